# Inputs that would deploy something wrong are refused at plan time. Each run plans one module
# directly (so its input variables are the ones expected to fail) and sets several bad inputs:
# expect_failures passes only if EVERY listed input fails its own validation.

mock_provider "aws" {
  alias  = "lambda"
  source = "./tests/mocks/lambda"
}

mock_provider "aws" {
  alias  = "bucket"
  source = "./tests/mocks/bucket"
}

variables {
  # writer-function
  package_path    = "tests/fixtures/package-placeholder.txt"
  target_role_arn = "arn:aws:iam::222222222222:role/cross-account-s3-writer-target"
  target_bucket   = "test-target-bucket"
  external_id     = "test-external-id-0123"
  # target-bucket (its execution_role_arn is set per run: writer-function has an input of the
  # same name, bring-your-own role, that must stay unset in its runs)
  bucket_name = "test-target-bucket"
}

run "writer_function_rejects_bad_inputs" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    external_id          = "x"                                                  # shorter than 2
    target_role_arn      = "arn:aws:iam::222222222222:role/*"                   # wildcard role
    key_prefix           = "incoming"                                           # no trailing slash
    role_session_seconds = 7200                                                 # role chaining caps at 3600
    architecture         = "x86"                                                # arm64 | x86_64
    package_path         = "tests/fixtures/does-not-exist.zip"                  # not built
    sse_kms_key_arn      = "arn:aws:kms:eu-central-1:222222222222:alias/bucket" # alias, not key ARN
    ses_raw_mail_bucket  = "test-mail-bucket"
    ses_raw_mail_prefix  = "raw-" # grant would be raw-/*
    log_level            = "VERBOSE"
  }
  expect_failures = [
    var.external_id,
    var.target_role_arn,
    var.key_prefix,
    var.role_session_seconds,
    var.architecture,
    var.package_path,
    var.sse_kms_key_arn,
    var.ses_raw_mail_prefix,
    var.log_level,
  ]
}

run "writer_function_rejects_more_bad_inputs" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    external_id          = "has spaces and \"quotes\""
    key_prefix           = "in*/"
    role_session_seconds = 600
    # the read grant could not be scoped to a prefix without '/'
    s3_source_filter_prefix = "uploads"
  }
  expect_failures = [var.external_id, var.key_prefix, var.role_session_seconds, var.s3_source_filter_prefix]
}

run "writer_function_rejects_too_long_external_id" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    external_id = "${join("", [for i in range(1000) : "a"])}${join("", [for i in range(225) : "b"])}"
  }
  expect_failures = [var.external_id]
}

run "target_bucket_rejects_bad_inputs" {
  command = plan
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }
  variables {
    external_id             = "x"
    additional_external_ids = ["bad id"]
    key_prefix              = "/incoming/"
    execution_role_arn      = "arn:aws:iam::111111111111:root" # whole account, not the role
  }
  expect_failures = [var.external_id, var.additional_external_ids, var.key_prefix, var.execution_role_arn]
}

run "target_bucket_rejects_more_bad_inputs" {
  command = plan
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }
  variables {
    key_prefix         = "incoming/../"
    execution_role_arn = "*"
  }
  expect_failures = [var.key_prefix, var.execution_role_arn]
}

run "writer_function_checks_trigger_settings" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    timeout                        = 60
    create_sqs_trigger             = true
    sqs_visibility_timeout_seconds = 30 # below the function timeout
  }
  expect_failures = [aws_sqs_queue.this]
}

# A run of its own: the function waits for every execution role policy, the SQS one included,
# so a failed queue precondition stops the plan before the SNS permission is evaluated.
run "writer_function_sns_trigger_needs_a_topic" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    create_sns_trigger = true
    # no sns_topic_arn
  }
  expect_failures = [aws_lambda_permission.sns]
}

# The KMS key's region is checked BEFORE CreateKey: an existing bucket in another region than the
# bucket provider fails the plan, no key is created.
run "target_bucket_kms_key_in_the_bucket_region" {
  command = plan
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }
  variables {
    execution_role_arn = "arn:aws:iam::111111111111:role/cross-account-s3-writer-execution"
    create_bucket      = false
    create_kms_key     = true
  }
  override_data {
    target = data.aws_s3_bucket.existing
    values = {
      arn           = "arn:aws:s3:::existing-target-bucket"
      bucket_region = "us-east-1"
    }
  }
  expect_failures = [aws_kms_key.this]
}

# 6 x timeout is not enough when the mapping also waits a batching window.
run "writer_function_visibility_covers_the_batching_window" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    timeout                                = 60
    create_sqs_trigger                     = true
    sqs_maximum_batching_window_in_seconds = 10
    sqs_visibility_timeout_seconds         = 360 # 6 x 60, without the 10 s window
  }
  expect_failures = [aws_sqs_queue.this]
}

# The optional hardening inputs: malformed values are refused by their validations ...
run "writer_function_rejects_bad_hardening_inputs" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    execution_role_arn = "arn:aws:iam::111111111111:user/someone" # a user, not a role
    tracing_mode       = "active"                                 # PassThrough | Active
    alias_name         = "1live"                                  # must start with a letter
  }
  expect_failures = [var.execution_role_arn, var.tracing_mode, var.alias_name]
}

# ... and combinations that cannot work fail the plan before anything is created.
run "writer_function_refuses_a_role_of_another_account" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    execution_role_arn = "arn:aws:iam::333333333333:role/platform-owned"
  }
  expect_failures = [aws_lambda_function.this]
}

run "writer_function_refuses_settings_for_a_role_it_does_not_create" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    execution_role_arn   = "arn:aws:iam::111111111111:role/platform-owned"
    permissions_boundary = "arn:aws:iam::111111111111:policy/boundary"
  }
  expect_failures = [aws_lambda_function.this]
}

run "writer_function_alias_needs_publish" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    alias_name = "live"
  }
  expect_failures = [aws_lambda_function.this]
}
