################################################################################
# Trigger: SQS queue + dead-letter queue + event source mapping
################################################################################

resource "aws_sqs_queue" "dlq" {
  count = var.create_sqs_trigger ? 1 : 0

  name                      = local.sqs_dlq_name
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_sqs_queue" "this" {
  count = var.create_sqs_trigger ? 1 : 0

  name                       = local.sqs_queue_name
  visibility_timeout_seconds = local.sqs_visibility_timeout
  message_retention_seconds  = var.sqs_message_retention_seconds
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[0].arn
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

resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  count = var.create_sqs_trigger ? 1 : 0

  queue_url = aws_sqs_queue.dlq[0].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this[0].arn]
  })
}

resource "aws_lambda_event_source_mapping" "sqs" {
  count = var.create_sqs_trigger ? 1 : 0

  event_source_arn                   = aws_sqs_queue.this[0].arn
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
