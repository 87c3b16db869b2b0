# Outputs producers need (issue item 12), named in the terraform-aws-modules manner, with the
# names of the previous version kept as deprecated aliases carrying the same values.

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

  create_sqs_trigger  = true
  create_function_url = true
  publish             = true
  alias_name          = "live"
}

run "prefixed_outputs_for_producers" {
  command = apply

  assert {
    condition     = can(regex("^arn:aws:sqs:eu-west-1:111111111111:cross-account-s3-writer$", module.writer_function.sqs_queue_arn)) && module.writer_function.sqs_queue_url != null
    error_message = "sqs_queue_arn / sqs_queue_url name the trigger queue (what producers send to)."
  }
  assert {
    condition     = can(regex("^arn:aws:sqs:eu-west-1:111111111111:cross-account-s3-writer-failures$", module.writer_function.sqs_failure_queue_arn))
    error_message = "sqs_failure_queue_arn names the failure queue."
  }
  assert {
    condition     = endswith(module.writer_function.lambda_alias_arn, ":live") && module.writer_function.lambda_invoke_target_arn == module.writer_function.lambda_alias_arn
    error_message = "With an alias, lambda_alias_arn is its ARN and lambda_invoke_target_arn (what producers invoke) is the alias."
  }
  assert {
    condition     = output.queue_arn == module.writer_function.sqs_queue_arn && output.failure_queue_arn == module.writer_function.sqs_failure_queue_arn && output.invoke_target_arn == module.writer_function.lambda_alias_arn
    error_message = "The example passes the producer outputs on."
  }
}

run "deprecated_aliases_carry_the_same_values" {
  command = apply

  assert {
    condition = alltrue([
      module.writer_function.function_name == module.writer_function.lambda_function_name,
      module.writer_function.function_arn == module.writer_function.lambda_function_arn,
      module.writer_function.function_version == module.writer_function.lambda_function_version,
      module.writer_function.function_url == module.writer_function.lambda_function_url,
      module.writer_function.alias_arn == module.writer_function.lambda_alias_arn,
      module.writer_function.invoke_arn == module.writer_function.lambda_invoke_target_arn,
      module.writer_function.execution_role_arn == module.writer_function.lambda_role_arn,
      module.writer_function.execution_role_name == module.writer_function.lambda_role_name,
      module.writer_function.log_group_name == module.writer_function.lambda_cloudwatch_log_group_name,
      module.writer_function.log_group_arn == module.writer_function.lambda_cloudwatch_log_group_arn,
      module.writer_function.queue_arn == module.writer_function.sqs_queue_arn,
      module.writer_function.queue_name == module.writer_function.sqs_queue_name,
      module.writer_function.queue_url == module.writer_function.sqs_queue_url,
      module.writer_function.dead_letter_queue_arn == module.writer_function.sqs_dead_letter_queue_arn,
      module.writer_function.dead_letter_queue_name == module.writer_function.sqs_dead_letter_queue_name,
      module.writer_function.dead_letter_queue_url == module.writer_function.sqs_dead_letter_queue_url,
      module.writer_function.failure_queue_arn == module.writer_function.sqs_failure_queue_arn,
      module.writer_function.failure_queue_name == module.writer_function.sqs_failure_queue_name,
      module.writer_function.failure_queue_url == module.writer_function.sqs_failure_queue_url,
    ])
    error_message = "Each deprecated unprefixed output equals its lambda_*/sqs_* replacement."
  }
}

run "without_alias_or_queue" {
  command = apply

  variables {
    create_sqs_trigger = false
    publish            = false
    alias_name         = null
  }

  assert {
    condition     = module.writer_function.lambda_alias_arn == null && module.writer_function.lambda_invoke_target_arn == module.writer_function.lambda_function_arn && module.writer_function.sqs_queue_arn == null && module.writer_function.sqs_failure_queue_arn != null
    error_message = "Without alias and SQS trigger: no alias or queue ARN, producers invoke the function, the failure queue always exists."
  }
}
