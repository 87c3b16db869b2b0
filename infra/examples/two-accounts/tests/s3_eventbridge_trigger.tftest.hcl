# An existing bucket sending its events to EventBridge, with a rule for its Object Created events
# (s3_eventbridge): the rule matches exactly that bucket (and prefix), invokes what the triggers
# invoke (here the alias) with the EventBridge trigger's retries and dead letters; EventBridge may
# invoke the function only for that rule; the execution role may read exactly what a copy needs.

mock_provider "aws" {
  alias  = "lambda"
  source = "./tests/mocks/lambda"
}

mock_provider "aws" {
  alias  = "bucket"
  source = "./tests/mocks/bucket"
}

override_resource {
  target = module.writer_function.aws_cloudwatch_event_rule.s3
  values = {
    arn = "arn:aws:events:eu-west-1:111111111111:rule/cross-account-s3-writer-s3-object-created"
  }
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
  s3_eventbridge = {
    bucket_name = "test-events-bucket"
    prefix      = "incoming/"
  }

  # for the module-level run below
  target_role_arn = "arn:aws:iam::222222222222:role/cross-account-s3-writer-target"
  target_bucket   = "test-target-bucket"
}

run "eventbridge_trigger" {
  command = apply

  assert {
    condition = jsonencode(module.writer_function.s3_eventbridge.notification) == jsonencode({
      bucket           = "test-events-bucket"
      eventbridge      = true
      queues           = 0
      lambda_functions = 0
    })
    error_message = "The bucket must send its events to EventBridge (and nothing else): ${jsonencode(module.writer_function.s3_eventbridge.notification)}"
  }
  assert {
    condition = jsondecode(module.writer_function.s3_eventbridge.event_pattern) == {
      source        = ["aws.s3"]
      "detail-type" = ["Object Created"]
      detail = {
        bucket = { name = ["test-events-bucket"] }
        object = { key = [{ prefix = "incoming/" }] }
      }
    } && module.writer_function.s3_eventbridge.event_bus_name == "default"
    error_message = "The rule (on the default bus) must match exactly the bucket's Object Created events under the prefix: ${module.writer_function.s3_eventbridge.event_pattern}"
  }
  assert {
    condition = jsonencode(module.writer_function.s3_eventbridge.target) == jsonencode({
      rule                         = "cross-account-s3-writer-s3-object-created"
      arn                          = "arn:aws:lambda:eu-west-1:111111111111:function:cross-account-s3-writer:live"
      dead_letter_arn              = module.writer_function.failure_queue_arn
      maximum_retry_attempts       = 185
      maximum_event_age_in_seconds = 86400
    })
    error_message = "The rule's target must be the alias, with the EventBridge trigger's retry policy and the failure queue as dead-letter queue: ${jsonencode(module.writer_function.s3_eventbridge.target)}"
  }
  assert {
    condition = jsonencode(module.writer_function.lambda_permissions) == jsonencode({
      s3-eventbridge = {
        principal      = "events.amazonaws.com"
        source_arn     = "arn:aws:events:eu-west-1:111111111111:rule/cross-account-s3-writer-s3-object-created"
        source_account = null
        qualifier      = "live"
      }
    })
    error_message = "EventBridge may invoke the alias only for this rule (source_arn): ${jsonencode(module.writer_function.lambda_permissions)}"
  }
  assert {
    condition = contains(jsondecode(module.writer_function.failure_queue_policy).Statement, {
      Sid       = "S3ObjectCreatedEventBridgeTargetDeadLetters"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = module.writer_function.failure_queue_arn
      Condition = { ArnEquals = { "aws:SourceArn" = "arn:aws:events:eu-west-1:111111111111:rule/cross-account-s3-writer-s3-object-created" } }
    }) && length(jsondecode(module.writer_function.failure_queue_policy).Statement) == 1
    error_message = "The failure queue must accept dead letters from EventBridge for exactly this rule: ${module.writer_function.failure_queue_policy}"
  }

  # --- exactly the grants a copy needs -----------------------------------------------------------
  assert {
    condition = jsondecode(module.writer_function.execution_role_policies["read-s3-eventbridge-source"]).Statement == [{
      Sid      = "ReadNotifiedSourceObjects"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:GetObjectVersion"]
      Resource = "arn:aws:s3:::test-events-bucket/incoming/*"
    }]
    error_message = "The execution role may s3:GetObject and s3:GetObjectVersion on the bucket's objects under the prefix only."
  }
  assert {
    condition = toset(keys(module.writer_function.execution_role_policies)) == toset([
      "assume-target-role", "write-own-log-group", "send-failed-async-events", "read-s3-eventbridge-source",
    ]) && module.writer_function.execution_role_exclusive.policy_names == toset(keys(module.writer_function.execution_role_policies))
    error_message = "The trigger adds exactly the read grant: ${jsonencode(keys(module.writer_function.execution_role_policies))}"
  }
  assert {
    condition     = module.writer_function.trigger_invoke_targets["s3-eventbridge"] == module.writer_function.lambda_invoke_target_arn
    error_message = "The rule must invoke what every trigger invokes (lambda_invoke_target_arn)."
  }
}

# No prefix: the rule matches every Object Created event of the bucket, the read grant is the
# bucket's objects; a KMS key adds kms:Decrypt via S3 for it.
run "whole_bucket_with_key" {
  command = apply

  variables {
    s3_eventbridge = {
      bucket_name = "test-events-bucket"
      kms_key_arn = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"
    }
  }

  assert {
    condition = jsondecode(module.writer_function.s3_eventbridge.event_pattern) == {
      source        = ["aws.s3"]
      "detail-type" = ["Object Created"]
      detail        = { bucket = { name = ["test-events-bucket"] } }
    }
    error_message = "Without a prefix the rule must match the bucket's Object Created events: ${module.writer_function.s3_eventbridge.event_pattern}"
  }
  assert {
    condition     = jsondecode(module.writer_function.execution_role_policies["read-s3-eventbridge-source"]).Statement[0].Resource == "arn:aws:s3:::test-events-bucket/*"
    error_message = "Without a prefix the read grant covers the bucket's objects."
  }
  assert {
    condition = jsondecode(module.writer_function.execution_role_policies["decrypt-s3-eventbridge-source"]).Statement[0].Condition == {
      StringEquals = { "kms:ViaService" = "s3.eu-west-1.amazonaws.com" }
      StringLike   = { "kms:EncryptionContext:aws:s3:arn" = ["arn:aws:s3:::test-events-bucket", "arn:aws:s3:::test-events-bucket/*"] }
    }
    error_message = "The bucket's key: kms:Decrypt only via S3, only for that bucket."
  }
}

# One bucket, two of the module's S3 triggers: refused (each would replace the other's
# notification configuration).
run "same_bucket_as_queue_trigger_is_refused" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    s3_notification_queue = { bucket_name = "test-events-bucket" }
    s3_eventbridge        = { bucket_name = "test-events-bucket" }
  }
  expect_failures = [aws_s3_bucket_notification.queue, aws_s3_bucket_notification.eventbridge]
}

run "same_bucket_as_s3_trigger_is_refused" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    create_s3_trigger = true
    s3_source_bucket  = "test-events-bucket"
  }
  expect_failures = [aws_s3_bucket_notification.eventbridge]
}
