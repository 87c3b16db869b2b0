# Under the writer's prefix only the target role writes: on a bucket this module creates, the
# bucket policy denies s3:PutObject (and s3:ReplicateObject) under <bucket>/<key_prefix>* to
# every other principal (aws:PrincipalArn), the bucket account's own roles, users and root
# included, except the ARNs in prefix_writer_exception_arns. The rest of the bucket is not
# affected. Off by default on an existing bucket (its other writers are unknown here).

mock_provider "aws" {
  alias  = "lambda"
  source = "./tests/mocks/lambda"
}

mock_provider "aws" {
  alias  = "bucket"
  source = "./tests/mocks/bucket"
}

variables {
  lambda_account_id = "111111111111"
  bucket_account_id = "222222222222"
  lambda_region     = "eu-west-1"
  bucket_region     = "eu-central-1"
  bucket_name       = "test-target-bucket"
  external_id       = "test-external-id-0123"
  package_path      = "tests/fixtures/package-placeholder.txt"
}

run "created_bucket_denies_other_writers" {
  command = apply

  assert {
    condition = [for s in jsondecode(module.target_bucket.bucket_policy).Statement : s if s.Sid == "DenyObjectWritesUnderThePrefixByOtherPrincipals"] == [{
      Sid       = "DenyObjectWritesUnderThePrefixByOtherPrincipals"
      Effect    = "Deny"
      Principal = "*"
      Action    = ["s3:PutObject", "s3:ReplicateObject"]
      Resource  = "arn:aws:s3:::test-target-bucket/incoming/*"
      Condition = { ArnNotLike = { "aws:PrincipalArn" = [module.target_bucket.role_arn] } }
    }]
    error_message = "A created bucket's policy must deny object writes under <bucket>/<key_prefix>* to every principal but the target role (aws:PrincipalArn)."
  }
  assert {
    condition     = module.target_bucket.prefix_writers == [module.target_bucket.role_arn]
    error_message = "Only the target role may write under the prefix by default."
  }
}

run "exceptions_join_the_target_role" {
  command = apply

  variables {
    key_prefix                   = "drop/zone-1/"
    prefix_writer_exception_arns = ["arn:aws:iam::222222222222:role/break-glass-admin", "arn:aws:iam::222222222222:role/s3-replication"]
  }

  assert {
    condition = [for s in jsondecode(module.target_bucket.bucket_policy).Statement : [s.Resource, s.Condition] if s.Sid == "DenyObjectWritesUnderThePrefixByOtherPrincipals"] == [[
      "arn:aws:s3:::test-target-bucket/drop/zone-1/*",
      { ArnNotLike = { "aws:PrincipalArn" = [module.target_bucket.role_arn, "arn:aws:iam::222222222222:role/break-glass-admin", "arn:aws:iam::222222222222:role/s3-replication"] } },
    ]]
    error_message = "prefix_writer_exception_arns must join the target role in the deny's exception list, for the configured prefix."
  }
}

run "exceptions_must_be_iam_principals" {
  command = plan
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }
  variables {
    execution_role_arn           = "arn:aws:iam::111111111111:role/cross-account-s3-writer-execution"
    prefix_writer_exception_arns = ["*"]
  }
  expect_failures = [var.prefix_writer_exception_arns]
}
