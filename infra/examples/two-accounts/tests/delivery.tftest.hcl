# Data-lake delivery settings reach the function as its environment, only when set; malformed
# ones are refused at plan time (the function validates them again, fully, at start).

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

run "delivery_settings_reach_the_function" {
  command = apply

  variables {
    key_template         = "{source}/{source_name}/dt={yyyy}-{MM}-{dd}/{HH}/{id}"
    object_mode          = "batch"
    max_batch_bytes      = 8388608
    content_encoding     = "gzip"
    max_concurrent_parts = 8
  }

  assert {
    condition = {
      for name in ["KEY_TEMPLATE", "OBJECT_MODE", "MAX_BATCH_BYTES", "CONTENT_ENCODING", "MAX_CONCURRENT_PARTS"] :
      name => lookup(module.writer_function.environment, name, null)
      } == {
      KEY_TEMPLATE         = "{source}/{source_name}/dt={yyyy}-{MM}-{dd}/{HH}/{id}"
      OBJECT_MODE          = "batch"
      MAX_BATCH_BYTES      = "8388608"
      CONTENT_ENCODING     = "gzip"
      MAX_CONCURRENT_PARTS = "8"
    }
    error_message = "The delivery settings must reach the function as KEY_TEMPLATE, OBJECT_MODE, MAX_BATCH_BYTES, CONTENT_ENCODING and MAX_CONCURRENT_PARTS: ${jsonencode(module.writer_function.environment)}"
  }
}

run "unset_delivery_settings_leave_the_function_defaults" {
  command = apply

  assert {
    condition     = length(setintersection(keys(module.writer_function.environment), ["KEY_TEMPLATE", "OBJECT_MODE", "MAX_BATCH_BYTES", "CONTENT_ENCODING", "MAX_CONCURRENT_PARTS"])) == 0
    error_message = "Unset delivery settings must not be in the environment (the function's own defaults apply)."
  }
}

run "malformed_delivery_settings_are_refused" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }

  variables {
    target_role_arn      = "arn:aws:iam::222222222222:role/cross-account-s3-writer-target"
    target_bucket        = "test-target-bucket"
    key_template         = "{source}/{yyyy}/" # no {source_name} or {id}, trailing '/'
    object_mode          = "batches"
    max_batch_bytes      = 100
    content_encoding     = "zstd"
    max_concurrent_parts = 0
  }
  expect_failures = [
    var.key_template,
    var.object_mode,
    var.max_batch_bytes,
    var.content_encoding,
    var.max_concurrent_parts,
  ]
}
