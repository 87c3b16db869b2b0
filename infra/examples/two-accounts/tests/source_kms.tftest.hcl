# Objects the function reads that are encrypted with a customer managed KMS key (issue item 3):
# the S3 trigger's source bucket (s3_source_kms_key_arn) and the SES raw-mail bucket
# (ses_raw_mail_kms_key_arn). The execution role gets kms:Decrypt on exactly that key, only
# through S3 of the function's region, only with the encryption context of that bucket (bucket
# ARN: objects written with an S3 Bucket Key) or its objects under the prefix (object ARN).

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
  package_path      = "tests/fixtures/package-arm64.txt"

  create_s3_trigger       = true
  s3_source_bucket        = "test-source-bucket"
  s3_source_filter_prefix = "uploads/"
  ses_raw_mail_bucket     = "test-mail-bucket"
  ses_raw_mail_prefix     = "raw/"

  # target-role_arn etc. for the module-level runs below
  target_role_arn = "arn:aws:iam::222222222222:role/cross-account-s3-writer-target"
  target_bucket   = "test-target-bucket"
}

run "no_key_no_grant" {
  command = apply

  assert {
    condition     = length([for name in keys(module.writer_function.execution_role_policies) : name if startswith(name, "decrypt-")]) == 0
    error_message = "Without s3_source_kms_key_arn / ses_raw_mail_kms_key_arn the execution role has no kms:Decrypt grant."
  }
  assert {
    condition = alltrue([for doc in values(module.writer_function.execution_role_policies) : alltrue([
      for st in jsondecode(doc).Statement : length([for a in flatten([st.Action]) : a if startswith(a, "kms:")]) == 0
    ])])
    error_message = "Without the KMS inputs no execution policy names a kms: action."
  }
}

run "source_and_raw_mail_keys" {
  command = apply

  variables {
    s3_source_kms_key_arn    = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"
    ses_raw_mail_kms_key_arn = "arn:aws:kms:eu-west-1:111111111111:key/66666666-7777-8888-9999-000000000000"
  }

  assert {
    condition = jsondecode(module.writer_function.execution_role_policies["decrypt-s3-trigger-source"]).Statement == [{
      Sid      = "DecryptSourceObjectsThroughS3Only"
      Effect   = "Allow"
      Action   = "kms:Decrypt"
      Resource = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"
      Condition = {
        StringEquals = { "kms:ViaService" = "s3.eu-west-1.amazonaws.com" }
        StringLike = { "kms:EncryptionContext:aws:s3:arn" = [
          "arn:aws:s3:::test-source-bucket",
          "arn:aws:s3:::test-source-bucket/uploads/*",
        ] }
      }
    }]
    error_message = "The S3 trigger's source key: kms:Decrypt on exactly that key, only via S3 in eu-west-1, only for test-source-bucket (bucket key) or its objects under uploads/."
  }
  assert {
    condition = jsondecode(module.writer_function.execution_role_policies["decrypt-ses-raw-mail"]).Statement == [{
      Sid      = "DecryptSesRawMailThroughS3Only"
      Effect   = "Allow"
      Action   = "kms:Decrypt"
      Resource = "arn:aws:kms:eu-west-1:111111111111:key/66666666-7777-8888-9999-000000000000"
      Condition = {
        StringEquals = { "kms:ViaService" = "s3.eu-west-1.amazonaws.com" }
        StringLike = { "kms:EncryptionContext:aws:s3:arn" = [
          "arn:aws:s3:::test-mail-bucket",
          "arn:aws:s3:::test-mail-bucket/raw/*",
        ] }
      }
    }]
    error_message = "The raw-mail key: kms:Decrypt on exactly that key, only via S3 in eu-west-1, only for test-mail-bucket (bucket key) or its objects under raw/."
  }
  assert {
    condition     = alltrue([for n in ["decrypt-s3-trigger-source", "decrypt-ses-raw-mail"] : contains(module.writer_function.execution_role_exclusive.policy_names, n)])
    error_message = "The decrypt policies are in the role's exclusive policy list (and in the required policies for a role of your own)."
  }
  assert {
    condition     = module.writer_function.execution_role_required_policies == module.writer_function.execution_role_policies
    error_message = "What a role of your own must be granted includes the decrypt policies."
  }
}

# Without a filter prefix the object scope is the whole bucket.
run "source_key_without_prefix" {
  command = apply

  variables {
    s3_source_filter_prefix = null
    s3_source_kms_key_arn   = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition = jsondecode(module.writer_function.execution_role_policies["decrypt-s3-trigger-source"]).Statement[0].Condition.StringLike == {
      "kms:EncryptionContext:aws:s3:arn" = ["arn:aws:s3:::test-source-bucket", "arn:aws:s3:::test-source-bucket/*"]
    }
    error_message = "Without a filter prefix the decrypt grant covers the source bucket's objects (and its bucket key context), nothing else."
  }
}

# A key input without the bucket it is for would grant nothing: refused at plan time.
run "source_key_without_s3_trigger_is_refused" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    create_s3_trigger     = false
    s3_source_kms_key_arn = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"
  }
  expect_failures = [aws_lambda_function.this]
}

run "raw_mail_key_without_bucket_is_refused" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    create_s3_trigger        = false
    ses_raw_mail_bucket      = null
    ses_raw_mail_kms_key_arn = "arn:aws:kms:eu-west-1:111111111111:key/66666666-7777-8888-9999-000000000000"
  }
  expect_failures = [aws_lambda_function.this]
}

run "alias_arn_is_refused_as_key" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    s3_source_kms_key_arn = "arn:aws:kms:eu-west-1:111111111111:alias/source"
  }
  expect_failures = [var.s3_source_kms_key_arn]
}
