# CloudWatch Logs subscription filters (cloudwatch_logs_subscriptions): each log group's filter
# targets what the triggers invoke (here the alias), and CloudWatch Logs may invoke it only for
# that log group (source_arn) of this account (source_account). The execution role gets nothing:
# the log events arrive in the event.

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

  publish    = true
  alias_name = "live"
  cloudwatch_logs_subscriptions = {
    orders = { log_group_name = "/app/orders" }
    trail  = { log_group_name = "aws-cloudtrail-logs-org", filter_pattern = "{ $.eventSource = \"s3.amazonaws.com\" }" }
  }

  # for the module-level run below
  target_role_arn = "arn:aws:iam::222222222222:role/cross-account-s3-writer-target"
  target_bucket   = "test-target-bucket"
}

run "subscriptions" {
  command = apply

  assert {
    condition = module.writer_function.cloudwatch_logs_subscription_filters == {
      orders = {
        name            = "cross-account-s3-writer-orders"
        log_group_name  = "/app/orders"
        filter_pattern  = ""
        destination_arn = "arn:aws:lambda:eu-west-1:111111111111:function:cross-account-s3-writer:live"
      }
      trail = {
        name            = "cross-account-s3-writer-trail"
        log_group_name  = "aws-cloudtrail-logs-org"
        filter_pattern  = "{ $.eventSource = \"s3.amazonaws.com\" }"
        destination_arn = "arn:aws:lambda:eu-west-1:111111111111:function:cross-account-s3-writer:live"
      }
    }
    error_message = "Each log group gets one subscription filter, with its pattern (\"\": every event), targeting the alias: ${jsonencode(module.writer_function.cloudwatch_logs_subscription_filters)}"
  }
  assert {
    condition = {
      for k, p in module.writer_function.lambda_permissions : k => p if startswith(k, "cloudwatch-logs-")
      } == {
      cloudwatch-logs-orders = {
        principal      = "logs.amazonaws.com"
        source_arn     = "arn:aws:logs:eu-west-1:111111111111:log-group:/app/orders:*"
        source_account = "111111111111"
        qualifier      = "live"
      }
      cloudwatch-logs-trail = {
        principal      = "logs.amazonaws.com"
        source_arn     = "arn:aws:logs:eu-west-1:111111111111:log-group:aws-cloudtrail-logs-org:*"
        source_account = "111111111111"
        qualifier      = "live"
      }
    }
    error_message = "CloudWatch Logs may invoke the alias only for each subscribed log group (source_arn = its ARN) of the lambda account (source_account): ${jsonencode(module.writer_function.lambda_permissions)}"
  }
  assert {
    condition     = module.writer_function.trigger_invoke_targets["cloudwatch-logs-orders"] == module.writer_function.lambda_invoke_target_arn && module.writer_function.trigger_invoke_targets["cloudwatch-logs-trail"] == module.writer_function.lambda_invoke_target_arn
    error_message = "The subscription filters must invoke what every trigger invokes (lambda_invoke_target_arn)."
  }
  assert {
    condition     = toset(keys(module.writer_function.execution_role_policies)) == toset(["assume-target-role", "write-own-log-group", "send-failed-async-events"])
    error_message = "Subscriptions add no grant to the execution role: ${jsonencode(keys(module.writer_function.execution_role_policies))}"
  }
}

# Without subscriptions: no filter, no permission.
run "off_by_default" {
  command = apply

  variables {
    cloudwatch_logs_subscriptions = {}
  }

  assert {
    condition     = length(module.writer_function.cloudwatch_logs_subscription_filters) == 0 && length(module.writer_function.lambda_permissions) == 0
    error_message = "Without cloudwatch_logs_subscriptions there is no subscription filter and no permission."
  }
}

# The function's own log group would feed the function its own logs: refused at plan time.
run "own_log_group_is_refused" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    cloudwatch_logs_subscriptions = { self = { log_group_name = "/aws/lambda/cross-account-s3-writer" } }
  }
  expect_failures = [aws_lambda_permission.cloudwatch_logs]
}

run "log_group_arn_is_refused_as_name" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    cloudwatch_logs_subscriptions = { orders = { log_group_name = "arn:aws:logs:eu-west-1:111111111111:log-group:/app/orders:*" } }
  }
  expect_failures = [var.cloudwatch_logs_subscriptions]
}
