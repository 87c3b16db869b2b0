# KMS on: the key policy and the target role's policy must both grant the key; the bucket and
# the function must use it.

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

run "kms" {
  command = apply

  assert {
    condition     = module.target_bucket.kms_key_arn == "arn:aws:kms:eu-central-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    error_message = "The KMS key must be created in the bucket account: ${coalesce(module.target_bucket.kms_key_arn, "null")}"
  }

  # Key policy: the target role may GenerateDataKey and Decrypt, through S3 of the bucket's region.
  assert {
    condition = anytrue([for s in jsondecode(module.target_bucket.kms_key_policy).Statement :
      s.Effect == "Allow"
      && try(s.Principal.AWS, null) == module.target_bucket.role_arn
      && length(setsubtract(["kms:GenerateDataKey", "kms:Decrypt"], flatten([s.Action]))) == 0
      && try(s.Condition.StringEquals["kms:ViaService"], null) == "s3.eu-central-1.amazonaws.com"
    ])
    error_message = "The key policy must let the target role use the key (kms:GenerateDataKey, kms:Decrypt) via S3 in the bucket's region."
  }
  assert {
    condition = alltrue([for s in jsondecode(module.target_bucket.kms_key_policy).Statement :
      contains([module.target_bucket.role_arn, "arn:aws:iam::222222222222:root"], try(s.Principal.AWS, ""))
    ])
    error_message = "The key policy may name only the bucket account's root (administration) and the target role."
  }

  # Role policy: PutObject and GetObject (HEAD) under the prefix plus the key, nothing else.
  assert {
    condition     = toset(flatten([for s in jsondecode(module.target_bucket.role_policy).Statement : s.Action])) == toset(["s3:PutObject", "s3:GetObject", "kms:GenerateDataKey", "kms:Decrypt"])
    error_message = "With KMS the target role may do exactly s3:PutObject, s3:GetObject, kms:GenerateDataKey and kms:Decrypt."
  }
  assert {
    condition = alltrue([for s in jsondecode(module.target_bucket.role_policy).Statement :
      s.Resource == (startswith(flatten([s.Action])[0], "kms:") ? module.target_bucket.kms_key_arn : "arn:aws:s3:::test-target-bucket/incoming/*")
      && length(distinct([for a in flatten([s.Action]) : split(":", a)[0]])) == 1
    ])
    error_message = "The KMS actions must be granted on exactly the bucket's key and the S3 actions on exactly <bucket>/<prefix>*."
  }
  assert {
    condition = [for s in jsondecode(module.target_bucket.role_policy).Statement : s.Condition if startswith(flatten([s.Action])[0], "kms:")] == [{
      StringEquals = {
        "kms:ViaService"                   = "s3.eu-central-1.amazonaws.com"
        "kms:EncryptionContext:aws:s3:arn" = "arn:aws:s3:::test-target-bucket"
      }
    }]
    error_message = "The target role may use the key only via S3 in the bucket's region (kms:ViaService) and only for this bucket (kms:EncryptionContext:aws:s3:arn = the bucket ARN, S3 Bucket Key)."
  }

  # Bucket policy: expects aws:kms and this key.
  assert {
    condition     = [for s in jsondecode(module.target_bucket.bucket_policy).Statement : s.Sid] == ["DenyInsecureTransport", "DenyUnexpectedEncryption", "DenyUnconditionalWritesUnderThePrefix", "DenyCustomerProvidedKeys", "DenyOtherKmsKeys", "DenyObjectWritesUnderThePrefixByOtherPrincipals"]
    error_message = "With KMS the bucket policy appends the statements of bucket-policy-kms.json.tftpl."
  }
  assert {
    condition = (
      jsondecode(module.target_bucket.bucket_policy).Statement[1].Condition == {
        StringNotEquals = { "s3:x-amz-server-side-encryption" = "aws:kms" }
        Null            = { "s3:x-amz-server-side-encryption" = "false" }
      }
      && jsondecode(module.target_bucket.bucket_policy).Statement[4].Condition == {
        StringNotEquals = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = module.target_bucket.kms_key_arn }
        Null            = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = "false" }
      }
    )
    error_message = "With KMS the bucket policy must deny PUTs naming another algorithm or another key (and only those)."
  }
  assert {
    condition     = module.target_bucket.sse_algorithm == "aws:kms"
    error_message = "With KMS the bucket's default encryption is aws:kms."
  }

  # The function encrypts with the key's full ARN.
  assert {
    condition     = module.writer_function.environment["SSE_KMS_KEY_ARN"] == module.target_bucket.kms_key_arn
    error_message = "The function's SSE_KMS_KEY_ARN must be the bucket key's full ARN."
  }
}
