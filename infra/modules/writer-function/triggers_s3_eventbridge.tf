################################################################################
# Trigger: S3 events of an existing bucket through EventBridge (default bus, Object Created)
################################################################################

locals {
  s3_eventbridge = var.s3_eventbridge == null ? null : {
    bucket_name = var.s3_eventbridge.bucket_name
    bucket_arn  = "arn:${local.partition}:s3:::${var.s3_eventbridge.bucket_name}"
    prefix      = var.s3_eventbridge.prefix
    kms_key_arn = var.s3_eventbridge.kms_key_arn
    read_scope  = var.s3_eventbridge.prefix == null ? "arn:${local.partition}:s3:::${var.s3_eventbridge.bucket_name}" : "arn:${local.partition}:s3:::${var.s3_eventbridge.bucket_name}/${trimsuffix(var.s3_eventbridge.prefix, "/")}"
    rule_name   = "${var.function_name}-s3-object-created"
  }

  # S3 sends every event of a bucket with EventBridge enabled to the default bus of its region;
  # the rule takes this bucket's Object Created events (under the prefix when there is one).
  s3_eventbridge_pattern = var.s3_eventbridge == null ? null : jsonencode({
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = merge(
      { bucket = { name = [var.s3_eventbridge.bucket_name] } },
      { for k, p in { object = var.s3_eventbridge.prefix } : k => { key = [{ prefix = p }] } if p != null },
    )
  })
}

resource "aws_s3_bucket_notification" "eventbridge" {
  count = local.s3_eventbridge == null ? 0 : 1

  bucket      = local.s3_eventbridge.bucket_name
  eventbridge = true

  lifecycle {
    precondition {
      condition     = local.s3_notification_buckets_distinct
      error_message = "The S3 triggers (s3_source_bucket with create_s3_trigger, s3_notification_queue, s3_eventbridge) name the same bucket twice (${join(", ", local.s3_notification_buckets)}): aws_s3_bucket_notification owns a bucket's whole notification configuration, so each bucket can feed only one of them."
    }
  }
}

resource "aws_cloudwatch_event_rule" "s3" {
  count = local.s3_eventbridge == null ? 0 : 1

  name        = local.s3_eventbridge.rule_name
  description = "Object Created events of ${local.s3_eventbridge.bucket_name}, copied by ${var.function_name}"
  # S3 sends to the default bus only.
  event_bus_name = "default"
  event_pattern  = local.s3_eventbridge_pattern
  tags           = var.tags

  lifecycle {
    precondition {
      condition     = length(local.s3_eventbridge.rule_name) <= 64
      error_message = "The EventBridge rule name \"${local.s3_eventbridge.rule_name}\" is longer than 64 characters: shorten function_name."
    }
  }
}

# The same delivery settings as the EventBridge trigger (triggers_eventbridge.tf): EventBridge's
# own retries, then the failure queue.
resource "aws_cloudwatch_event_target" "s3" {
  count = local.s3_eventbridge == null ? 0 : 1

  rule           = aws_cloudwatch_event_rule.s3[0].name
  event_bus_name = "default"
  target_id      = "writer-function"
  arn            = local.invoke_arn

  retry_policy {
    maximum_retry_attempts       = var.eventbridge_maximum_retry_attempts
    maximum_event_age_in_seconds = var.eventbridge_maximum_event_age_in_seconds
  }

  dead_letter_config {
    arn = aws_sqs_queue.failures.arn
  }

  depends_on = [aws_lambda_permission.s3_eventbridge, aws_sqs_queue_policy.failures]
}

resource "aws_lambda_permission" "s3_eventbridge" {
  count = local.s3_eventbridge == null ? 0 : 1

  statement_id  = "AllowInvokeFromS3EventBridgeRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = local.invoke_qualifier
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.s3[0].arn
}
