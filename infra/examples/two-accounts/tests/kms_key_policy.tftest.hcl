# The created key's policy itself limits the target role to this bucket: in the key's own
# account the key policy alone authorizes a principal it names, so a condition only in the
# role's policy would restrict nothing. The key policy's statement for the role carries
# kms:ViaService (S3 of the bucket's region), kms:CallerAccount (the bucket account) and
# kms:EncryptionContext:aws:s3:arn (the bucket ARN: with an S3 Bucket Key the encryption context
# is the bucket's ARN, not the object's).

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
  create_kms_key    = true
}

run "key_policy_scopes_the_role_to_this_bucket" {
  command = apply

  assert {
    condition = [for s in jsondecode(module.target_bucket.kms_key_policy).Statement : s.Condition if try(s.Principal.AWS, null) == module.target_bucket.role_arn] == [{
      StringEquals = {
        "kms:ViaService"                   = "s3.eu-central-1.amazonaws.com"
        "kms:CallerAccount"                = "222222222222"
        "kms:EncryptionContext:aws:s3:arn" = "arn:aws:s3:::test-target-bucket"
      }
    }]
    error_message = "The key policy must let the target role use the key only via S3 in the bucket's region, from the bucket account, and only for this bucket (kms:EncryptionContext:aws:s3:arn = the bucket ARN)."
  }
  assert {
    condition     = [for s in jsondecode(module.target_bucket.kms_key_policy).Statement : s.Sid] == ["BucketAccountAdministers", "TargetRoleEncryptsViaS3ForThisBucketOnly"]
    error_message = "The key policy is the bucket account's administration statement plus the target role's statement, nothing else."
  }
  assert {
    condition     = jsondecode(module.target_bucket.kms_key_policy).Statement[1] == jsondecode(module.target_bucket.kms_key_policy_statement).Statement[0]
    error_message = "The statement offered for existing keys (kms_key_policy_statement) must be the one the created key carries."
  }
}
