################################################################################
# Trigger: S3 notifications from an existing bucket through an SQS queue (+ DLQ, event source mapping)
################################################################################

locals {
  s3_notification_queue = var.s3_notification_queue == null ? null : {
    bucket_name = var.s3_notification_queue.bucket_name
    bucket_arn  = "arn:${local.partition}:s3:::${var.s3_notification_queue.bucket_name}"
    prefix      = var.s3_notification_queue.prefix
    suffix      = var.s3_notification_queue.suffix
    kms_key_arn = var.s3_notification_queue.kms_key_arn
    # What execution-read-source.json.tftpl grants "<this>/*" on, as for the S3 trigger: the
    # bucket, or only the prefix (validated to end with '/').
    read_scope = var.s3_notification_queue.prefix == null ? "arn:${local.partition}:s3:::${var.s3_notification_queue.bucket_name}" : "arn:${local.partition}:s3:::${var.s3_notification_queue.bucket_name}/${trimsuffix(var.s3_notification_queue.prefix, "/")}"
    queue_name = coalesce(var.s3_notification_queue.queue_name, "${var.function_name}-s3-notifications")
    dlq_name   = "${coalesce(var.s3_notification_queue.queue_name, "${var.function_name}-s3-notifications")}-dlq"
  }

  # aws_s3_bucket_notification owns a bucket's whole notification configuration: two of the
  # module's S3 triggers on one bucket would overwrite each other at every apply.
  s3_notification_buckets = concat(
    var.create_s3_trigger && var.s3_source_bucket != null ? [var.s3_source_bucket] : [],
    var.s3_notification_queue == null ? [] : [var.s3_notification_queue.bucket_name],
    var.s3_eventbridge == null ? [] : [var.s3_eventbridge.bucket_name],
  )
  s3_notification_buckets_distinct = length(distinct(local.s3_notification_buckets)) == length(local.s3_notification_buckets)
}

# The same shape as the SQS trigger's queues (triggers_sqs.tf): SSE-SQS, a DLQ that keeps 14 days,
# redrive after sqs_max_receive_count, the same visibility timeout rule.
resource "aws_sqs_queue" "s3_notifications_dlq" {
  count = local.s3_notification_queue == null ? 0 : 1

  name                      = local.s3_notification_queue.dlq_name
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_sqs_queue" "s3_notifications" {
  count = local.s3_notification_queue == null ? 0 : 1

  name                       = local.s3_notification_queue.queue_name
  visibility_timeout_seconds = local.sqs_visibility_timeout
  message_retention_seconds  = var.sqs_message_retention_seconds
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.s3_notifications_dlq[0].arn
    maxReceiveCount     = var.sqs_max_receive_count
  })
  tags = var.tags

  lifecycle {
    precondition {
      condition     = local.sqs_visibility_timeout >= local.sqs_visibility_timeout_minimum
      error_message = "The queue's visibility timeout (${local.sqs_visibility_timeout} s) must be at least 6 x the function timeout plus the batching window (${local.sqs_visibility_timeout_minimum} s): otherwise a message still being processed becomes visible again and is processed twice."
    }
  }
}

resource "aws_sqs_queue_redrive_allow_policy" "s3_notifications_dlq" {
  count = local.s3_notification_queue == null ? 0 : 1

  queue_url = aws_sqs_queue.s3_notifications_dlq[0].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.s3_notifications[0].arn]
  })
}

# Only S3, only for this bucket (aws:SourceArn) of this account (aws:SourceAccount: a bucket name
# is global, so after a deletion the name could be another account's bucket).
resource "aws_sqs_queue_policy" "s3_notifications" {
  count = local.s3_notification_queue == null ? 0 : 1

  queue_url = aws_sqs_queue.s3_notifications[0].id
  policy = templatefile("${local.policies}/notification-queue-from-s3.json.tftpl", {
    queue_arn      = aws_sqs_queue.s3_notifications[0].arn
    bucket_arn     = local.s3_notification_queue.bucket_arn
    source_account = local.account_id
  })
}

resource "aws_s3_bucket_notification" "queue" {
  count = local.s3_notification_queue == null ? 0 : 1

  bucket = local.s3_notification_queue.bucket_name

  queue {
    id            = var.function_name
    queue_arn     = aws_sqs_queue.s3_notifications[0].arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = local.s3_notification_queue.prefix
    filter_suffix = local.s3_notification_queue.suffix
  }

  lifecycle {
    precondition {
      condition     = local.s3_notification_buckets_distinct
      error_message = "The S3 triggers (s3_source_bucket with create_s3_trigger, s3_notification_queue, s3_eventbridge) name the same bucket twice (${join(", ", local.s3_notification_buckets)}): aws_s3_bucket_notification owns a bucket's whole notification configuration, so each bucket can feed only one of them."
    }
  }

  # S3 validates the destination (it may send to the queue) when the configuration is written.
  depends_on = [aws_sqs_queue_policy.s3_notifications]
}

resource "aws_lambda_event_source_mapping" "s3_notifications" {
  count = local.s3_notification_queue == null ? 0 : 1

  event_source_arn                   = aws_sqs_queue.s3_notifications[0].arn
  function_name                      = local.invoke_arn
  batch_size                         = var.sqs_batch_size
  maximum_batching_window_in_seconds = var.sqs_maximum_batching_window_in_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  dynamic "scaling_config" {
    for_each = var.sqs_maximum_concurrency == null ? [] : [var.sqs_maximum_concurrency]
    content {
      maximum_concurrency = scaling_config.value
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.sqs_batch_size <= 10 || var.sqs_maximum_batching_window_in_seconds >= 1
      error_message = "sqs_batch_size above 10 needs sqs_maximum_batching_window_in_seconds >= 1."
    }
  }

  # CreateEventSourceMapping checks that the execution role may read the queue.
  depends_on = [aws_iam_role_policy.execution]
}
