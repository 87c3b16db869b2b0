# An existing bucket whose default encryption is a customer managed KMS key of its own
# (create_bucket = false, existing_kms_key_arn): the target role may use exactly that key, via
# S3 for this bucket only, and the function names it on every PUT (with an S3 Bucket Key, so
# the encryption context is the bucket ARN). Without the grant S3's GenerateDataKey, made as the
# target role, is refused and so is every write.

mock_provider "aws" {
  alias  = "lambda"
  source = "./tests/mocks/lambda"
}

mock_provider "aws" {
  alias  = "bucket"
  source = "./tests/mocks/bucket"
}

variables {
  lambda_account_id    = "111111111111"
  bucket_account_id    = "222222222222"
  lambda_region        = "eu-west-1"
  bucket_region        = "eu-central-1"
  bucket_name          = "existing-target-bucket"
  create_bucket        = false
  external_id          = "test-external-id-0123"
  package_path         = "tests/fixtures/package-placeholder.txt"
  existing_kms_key_arn = "arn:aws:kms:eu-central-1:333333333333:key/0000aaaa-11bb-22cc-33dd-444444eeeeee"
}

run "existing_key" {
  command = apply

  assert {
    condition     = module.target_bucket.kms_key_arn == var.existing_kms_key_arn && !module.target_bucket.kms_key_created && module.target_bucket.kms_key_policy == null
    error_message = "With existing_kms_key_arn the module uses that key and creates none."
  }
  assert {
    condition = [for s in jsondecode(module.target_bucket.role_policy).Statement : {
      action = s.Action, resource = s.Resource, condition = s.Condition
      } if startswith(flatten([s.Action])[0], "kms:")] == [{
      action   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resource = "arn:aws:kms:eu-central-1:333333333333:key/0000aaaa-11bb-22cc-33dd-444444eeeeee"
      condition = { StringEquals = {
        "kms:ViaService"                   = "s3.eu-central-1.amazonaws.com"
        "kms:EncryptionContext:aws:s3:arn" = "arn:aws:s3:::existing-target-bucket"
      } }
    }]
    error_message = "The target role may use exactly the existing key (kms:GenerateDataKey, kms:Decrypt), only via S3 in the bucket's region and only for this bucket (encryption context = the bucket ARN)."
  }
  assert {
    condition     = try(module.writer_function.environment["SSE_KMS_KEY_ARN"], null) == var.existing_kms_key_arn
    error_message = "The function must name the existing key on every PUT (SSE_KMS_KEY_ARN), so S3 uses it with a Bucket Key and the encryption context is the bucket ARN the grant is conditioned on."
  }
  # What the key's own policy must allow (the key is in another account here: its policy alone
  # decides whether the bucket account's role may use it).
  assert {
    condition = jsondecode(module.target_bucket.kms_key_policy_statement).Statement == [{
      Sid       = "TargetRoleEncryptsViaS3ForThisBucketOnly"
      Effect    = "Allow"
      Principal = { AWS = module.target_bucket.role_arn }
      Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
      Resource  = "*"
      Condition = { StringEquals = {
        "kms:ViaService"                   = "s3.eu-central-1.amazonaws.com"
        "kms:CallerAccount"                = "222222222222"
        "kms:EncryptionContext:aws:s3:arn" = "arn:aws:s3:::existing-target-bucket"
      } }
    }]
    error_message = "kms_key_policy_statement must be the key-policy statement for the target role: via S3 of the bucket's region, from the bucket account, for this bucket only."
  }
  assert {
    condition     = !module.target_bucket.bucket_policy_applied && module.target_bucket.sse_algorithm == "aws:kms"
    error_message = "An existing bucket's settings stay untouched by default; its expected encryption is aws:kms."
  }
}

# Refused at plan time (before the next apply: the module latches create_bucket and
# manage_bucket_settings, see bucket_flags.tftest.hcl): an alias or key ID (S3 and the grants need the key ARN), a key in another
# region than the bucket, and both a created and an existing key.
run "existing_key_must_be_a_key_arn" {
  command = plan
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }
  variables {
    execution_role_arn   = "arn:aws:iam::111111111111:role/cross-account-s3-writer-execution"
    existing_kms_key_arn = "arn:aws:kms:eu-central-1:222222222222:alias/bucket"
  }
  expect_failures = [var.existing_kms_key_arn]
}

run "existing_key_in_the_bucket_region" {
  command = plan
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }
  variables {
    execution_role_arn   = "arn:aws:iam::111111111111:role/cross-account-s3-writer-execution"
    existing_kms_key_arn = "arn:aws:kms:us-east-1:222222222222:key/0000aaaa-11bb-22cc-33dd-444444eeeeee"
  }
  expect_failures = [aws_iam_role_policy.this]
}

run "existing_key_or_created_key" {
  command = plan
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }
  variables {
    execution_role_arn = "arn:aws:iam::111111111111:role/cross-account-s3-writer-execution"
    create_kms_key     = true
  }
  expect_failures = [aws_kms_key.this]
}

# The bucket settings managed too: default encryption with the existing key and a Bucket Key,
# and the bucket policy refuses PUTs naming another key.
run "existing_key_managed_bucket" {
  command = apply

  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }
  variables {
    create_bucket          = false
    manage_bucket_settings = true
    execution_role_arn     = "arn:aws:iam::111111111111:role/cross-account-s3-writer-execution"
  }

  assert {
    condition = [for r in aws_s3_bucket_server_side_encryption_configuration.this[0].rule : {
      algorithm = one(r.apply_server_side_encryption_by_default).sse_algorithm
      key       = one(r.apply_server_side_encryption_by_default).kms_master_key_id
      bucket    = r.bucket_key_enabled
      }] == [{
      algorithm = "aws:kms", key = var.existing_kms_key_arn, bucket = true
    }]
    error_message = "A managed bucket's default encryption must be SSE-KMS with the existing key and an S3 Bucket Key."
  }
  assert {
    condition = [for s in jsondecode(output.bucket_policy).Statement : s.Condition if s.Sid == "DenyOtherKmsKeys"] == [{
      StringNotEquals = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = var.existing_kms_key_arn }
      Null            = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = "false" }
    }]
    error_message = "The bucket policy must refuse PUTs naming another key than the existing one."
  }
}
