# An existing bucket is used as is (its policy and settings are left alone unless asked), and
# the ExternalId rotation window: the trust accepts both values, the function uses the new one.

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
  bucket_name       = "existing-target-bucket"
  create_bucket     = false
  external_id       = "new-external-id-0456"
  package_path      = "tests/fixtures/package-placeholder.txt"
  key_prefix        = "drop/zone-1/"
}

run "existing_bucket_and_rotation" {
  command = apply

  variables {
    additional_external_ids = ["old-external-id-0123"]
  }

  assert {
    condition     = !module.target_bucket.bucket_policy_applied
    error_message = "An existing bucket's policy and settings must not be replaced by default."
  }
  assert {
    condition     = module.target_bucket.bucket_arn == "arn:aws:s3:::existing-target-bucket" && module.writer_function.environment["TARGET_BUCKET"] == "existing-target-bucket"
    error_message = "The existing bucket must be looked up in the bucket account and given to the function."
  }
  assert {
    condition     = [for s in jsondecode(module.target_bucket.role_policy).Statement : s.Resource] == ["arn:aws:s3:::existing-target-bucket/drop/zone-1/*", "arn:aws:s3:::existing-target-bucket/drop/zone-1/*"]
    error_message = "The target role may write and read (HEAD) under the configured prefix only."
  }
  assert {
    condition     = module.writer_function.environment["KEY_PREFIX"] == "drop/zone-1/"
    error_message = "The function's KEY_PREFIX must equal the prefix of the target role's grant."
  }
  assert {
    condition = alltrue([for s in jsondecode(module.target_bucket.role_trust_policy).Statement :
      try(s.Condition.StringEquals["sts:ExternalId"], null) == ["new-external-id-0456", "old-external-id-0123"]
      && try(s.Principal, null) == { AWS = module.writer_function.execution_role_arn }
    ])
    error_message = "During a rotation the trust accepts the current and the additional ExternalIds, still from the execution role only."
  }
  assert {
    condition     = module.writer_function.target_external_id == "new-external-id-0456"
    error_message = "The function uses the current ExternalId."
  }
}

run "existing_bucket_managed" {
  command = apply

  module {
    source = "../../modules/target-bucket"
  }

  providers = {
    aws = aws.bucket
  }

  variables {
    bucket_name            = "existing-target-bucket"
    create_bucket          = false
    manage_bucket_settings = true
    execution_role_arn     = "arn:aws:iam::111111111111:role/cross-account-s3-writer-execution"
    external_id            = "new-external-id-0456"
  }

  assert {
    condition     = output.bucket_policy_applied && [for s in jsondecode(output.bucket_policy).Statement : s.Sid] == ["DenyInsecureTransport", "DenyUnexpectedEncryption", "DenyUnconditionalWritesUnderThePrefix", "DenyCustomerProvidedKeys"]
    error_message = "manage_bucket_settings = true applies the bucket policy to an existing bucket."
  }
  assert {
    condition     = jsondecode(output.bucket_policy).Statement[0].Resource == ["arn:aws:s3:::existing-target-bucket", "arn:aws:s3:::existing-target-bucket/*"]
    error_message = "The bucket policy must cover the existing bucket."
  }
  assert {
    condition     = jsondecode(output.bucket_policy).Statement[2].Resource == "arn:aws:s3:::existing-target-bucket/drop/zone-1/*"
    error_message = "The conditional-write deny must cover the writer's prefix of the existing bucket only (the owner's other prefixes keep CopyObject)."
  }
}
