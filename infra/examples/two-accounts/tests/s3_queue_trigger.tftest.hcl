# An existing bucket notifying an SQS queue that triggers the function (s3_notification_queue): the
# queue is shaped like the SQS trigger's (SSE-SQS, its own DLQ after sqs_max_receive_count, a
# mapping that reports batch item failures); only S3, only for that bucket of this account, may
# send to it; the execution role may read exactly what a copy needs (GetObject and
# GetObjectVersion under the prefix) and consume exactly that queue.

mock_provider "aws" {
  alias  = "lambda"
  source = "./tests/mocks/lambda"
}

mock_provider "aws" {
  alias  = "bucket"
  source = "./tests/mocks/bucket"
}

# The mock gives every queue a random ARN: pin these two (the SQS trigger's queues stay off).
override_resource {
  target = module.writer_function.aws_sqs_queue.s3_notifications
  values = {
    arn  = "arn:aws:sqs:eu-west-1:111111111111:cross-account-s3-writer-s3-notifications"
    id   = "https://sqs.eu-west-1.amazonaws.com/111111111111/cross-account-s3-writer-s3-notifications"
    url  = "https://sqs.eu-west-1.amazonaws.com/111111111111/cross-account-s3-writer-s3-notifications"
    name = "cross-account-s3-writer-s3-notifications"
  }
}

override_resource {
  target = module.writer_function.aws_sqs_queue.s3_notifications_dlq
  values = {
    arn  = "arn:aws:sqs:eu-west-1:111111111111:cross-account-s3-writer-s3-notifications-dlq"
    id   = "https://sqs.eu-west-1.amazonaws.com/111111111111/cross-account-s3-writer-s3-notifications-dlq"
    url  = "https://sqs.eu-west-1.amazonaws.com/111111111111/cross-account-s3-writer-s3-notifications-dlq"
    name = "cross-account-s3-writer-s3-notifications-dlq"
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

  sqs_max_receive_count = 4
  create_alarms         = true
  s3_notification_queue = {
    bucket_name = "test-archive-bucket"
    prefix      = "exports/"
    suffix      = ".json"
  }

  # for the module-level runs below
  target_role_arn = "arn:aws:iam::222222222222:role/cross-account-s3-writer-target"
  target_bucket   = "test-target-bucket"
}

run "queue_trigger" {
  command = apply

  # --- who may send to the queue ---------------------------------------------------------------
  assert {
    condition = jsondecode(module.writer_function.s3_notification_queue.queue_policy).Statement == [{
      Sid       = "S3NotificationsFromTheSourceBucketOnly"
      Effect    = "Allow"
      Principal = { Service = "s3.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = "arn:aws:sqs:eu-west-1:111111111111:cross-account-s3-writer-s3-notifications"
      Condition = {
        ArnEquals    = { "aws:SourceArn" = "arn:aws:s3:::test-archive-bucket" }
        StringEquals = { "aws:SourceAccount" = "111111111111" }
      }
    }]
    error_message = "The notification queue's policy must let only s3.amazonaws.com send, with aws:SourceArn = the bucket and aws:SourceAccount = the lambda account: ${module.writer_function.s3_notification_queue.queue_policy}"
  }

  # --- the bucket notifies the queue ---------------------------------------------------------
  assert {
    condition = module.writer_function.s3_notification_queue.notification.bucket == "test-archive-bucket" && jsonencode(module.writer_function.s3_notification_queue.notification.queues) == jsonencode([{
      queue_arn     = "arn:aws:sqs:eu-west-1:111111111111:cross-account-s3-writer-s3-notifications"
      events        = ["s3:ObjectCreated:*"]
      filter_prefix = "exports/"
      filter_suffix = ".json"
    }]) && module.writer_function.s3_notification_queue.notification.lambda_functions == 0
    error_message = "The bucket must notify the queue of s3:ObjectCreated:* under the prefix, with the suffix: ${jsonencode(module.writer_function.s3_notification_queue.notification)}"
  }

  # --- the queue triggers the function like the SQS trigger does --------------------------------
  assert {
    condition = jsonencode(module.writer_function.s3_notification_queue.event_source_mapping) == jsonencode({
      event_source_arn        = "arn:aws:sqs:eu-west-1:111111111111:cross-account-s3-writer-s3-notifications"
      function_name           = module.writer_function.lambda_invoke_target_arn
      function_response_types = ["ReportBatchItemFailures"]
      batch_size              = 10
    })
    error_message = "The notification queue must invoke the function through a mapping that reports batch item failures: ${jsonencode(module.writer_function.s3_notification_queue.event_source_mapping)}"
  }
  assert {
    condition = jsondecode(module.writer_function.s3_notification_queue.redrive_policy) == {
      deadLetterTargetArn = "arn:aws:sqs:eu-west-1:111111111111:cross-account-s3-writer-s3-notifications-dlq"
      maxReceiveCount     = 4
      } && jsondecode(module.writer_function.s3_notification_queue.redrive_allow_policy) == {
      redrivePermission = "byQueue"
      sourceQueueArns   = ["arn:aws:sqs:eu-west-1:111111111111:cross-account-s3-writer-s3-notifications"]
    }
    error_message = "The notification queue must redrive to its own DLQ after sqs_max_receive_count receives, and the DLQ accept only it."
  }
  assert {
    condition     = module.writer_function.s3_notification_queue.sqs_managed_sse_enabled && module.writer_function.s3_notification_queue.dead_letter_queue_sse
    error_message = "The notification queue and its DLQ must be encrypted (SSE-SQS)."
  }
  assert {
    condition     = module.writer_function.alarms["s3-notifications-dlq-not-empty"].dimensions == tomap({ QueueName = "cross-account-s3-writer-s3-notifications-dlq" })
    error_message = "With create_alarms the notification queue's DLQ must be watched."
  }

  # --- exactly the grants a copy needs -----------------------------------------------------------
  assert {
    condition = jsondecode(module.writer_function.execution_role_policies["read-s3-notification-queue-source"]).Statement == [{
      Sid      = "ReadNotifiedSourceObjects"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:GetObjectVersion"]
      Resource = "arn:aws:s3:::test-archive-bucket/exports/*"
    }]
    error_message = "The execution role may s3:GetObject and s3:GetObjectVersion on the notifying bucket's objects under the prefix only."
  }
  assert {
    condition = jsondecode(module.writer_function.execution_role_policies["consume-s3-notification-queue"]).Statement == [{
      Sid      = "ConsumeTheTriggerQueueOnly"
      Effect   = "Allow"
      Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
      Resource = "arn:aws:sqs:eu-west-1:111111111111:cross-account-s3-writer-s3-notifications"
    }]
    error_message = "The execution role may receive/delete/get attributes on exactly the notification queue."
  }
  assert {
    condition = toset(keys(module.writer_function.execution_role_policies)) == toset([
      "assume-target-role", "write-own-log-group", "send-failed-async-events",
      "consume-s3-notification-queue", "read-s3-notification-queue-source",
    ]) && module.writer_function.execution_role_exclusive.policy_names == toset(keys(module.writer_function.execution_role_policies))
    error_message = "The trigger adds exactly the read and consume grants (and the exclusive list names them): ${jsonencode(keys(module.writer_function.execution_role_policies))}"
  }
}

# No prefix: the read grant is the whole bucket; a KMS key adds kms:Decrypt via S3 for it.
run "whole_bucket_with_key" {
  command = apply

  variables {
    s3_notification_queue = {
      bucket_name = "test-archive-bucket"
      kms_key_arn = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"
      queue_name  = "archive-notifications"
    }
  }

  assert {
    condition     = jsondecode(module.writer_function.execution_role_policies["read-s3-notification-queue-source"]).Statement[0].Resource == "arn:aws:s3:::test-archive-bucket/*"
    error_message = "Without a prefix the read grant covers the bucket's objects."
  }
  assert {
    condition = jsondecode(module.writer_function.execution_role_policies["decrypt-s3-notification-queue-source"]).Statement == [{
      Sid      = "DecryptSourceObjectsThroughS3Only"
      Effect   = "Allow"
      Action   = "kms:Decrypt"
      Resource = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"
      Condition = {
        StringEquals = { "kms:ViaService" = "s3.eu-west-1.amazonaws.com" }
        StringLike   = { "kms:EncryptionContext:aws:s3:arn" = ["arn:aws:s3:::test-archive-bucket", "arn:aws:s3:::test-archive-bucket/*"] }
      }
    }]
    error_message = "The notifying bucket's key: kms:Decrypt on exactly that key, only via S3, only for that bucket."
  }
  assert {
    condition     = module.writer_function.s3_notification_queue.notification.queues[0].filter_prefix == null && module.writer_function.s3_notification_queue.notification.queues[0].filter_suffix == null
    error_message = "Without prefix and suffix the notification has no filter."
  }
}

# Off by default: no queue, no notification, no grant.
run "off_by_default" {
  command = apply

  variables {
    s3_notification_queue = null
  }

  assert {
    condition     = module.writer_function.s3_notification_queue == null && toset(keys(module.writer_function.execution_role_policies)) == toset(["assume-target-role", "write-own-log-group", "send-failed-async-events"])
    error_message = "Without s3_notification_queue there is no notification queue and no grant."
  }
}

# aws_s3_bucket_notification owns a bucket's whole notification configuration: the S3 trigger and
# this one on one bucket would overwrite each other, so the plan refuses it.
run "same_bucket_as_s3_trigger_is_refused" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    create_s3_trigger     = true
    s3_source_bucket      = "test-archive-bucket"
    s3_notification_queue = { bucket_name = "test-archive-bucket" }
  }
  expect_failures = [aws_s3_bucket_notification.queue]
}

run "prefix_without_slash_is_refused" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    s3_notification_queue = { bucket_name = "test-archive-bucket", prefix = "exports" }
  }
  expect_failures = [var.s3_notification_queue]
}
