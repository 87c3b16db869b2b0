################################################################################
# Failures of asynchronous invocations (S3, SNS, EventBridge, SES, async direct invoke)
################################################################################

# A queue of its own, not the SQS trigger's DLQ: it exists without the SQS trigger, and its
# messages are invocation records (requestContext, requestPayload, responseContext,
# responsePayload) and undeliverable SNS/EventBridge events, not trigger messages; the DLQ may
# only be redriven into the trigger queue, where such records would be read as new records.
resource "aws_sqs_queue" "failures" {
  name                      = local.failure_queue_name
  message_retention_seconds = var.failure_queue_retention_seconds
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

# SNS (subscription dead letters) and EventBridge (target dead letters, of the EventBridge trigger
# and of the S3 Object Created rule) send as their service, each pinned to its own topic or rule by
# aws:SourceArn.
resource "aws_sqs_queue_policy" "failures" {
  count = var.create_sns_trigger || var.create_eventbridge_trigger || local.s3_eventbridge != null ? 1 : 0

  queue_url = aws_sqs_queue.failures.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      # (without sns_topic_arn the plan fails on aws_lambda_permission.sns's precondition)
      var.create_sns_trigger && var.sns_topic_arn != null ? jsondecode(templatefile("${local.policies}/failure-queue-from-sns.json.tftpl", {
        queue_arn = aws_sqs_queue.failures.arn
        topic_arn = var.sns_topic_arn
      })).Statement : [],
      var.create_eventbridge_trigger ? jsondecode(templatefile("${local.policies}/failure-queue-from-eventbridge.json.tftpl", {
        queue_arn = aws_sqs_queue.failures.arn
        rule_arn  = aws_cloudwatch_event_rule.this[0].arn
      })).Statement : [],
      # the S3 Object Created rule (triggers_s3_eventbridge.tf): the same document, its own Sid
      local.s3_eventbridge == null ? [] : [for s in jsondecode(templatefile("${local.policies}/failure-queue-from-eventbridge.json.tftpl", {
        queue_arn = aws_sqs_queue.failures.arn
        rule_arn  = aws_cloudwatch_event_rule.s3[0].arn
      })).Statement : merge(s, { Sid = "S3ObjectCreated${s.Sid}" })],
    )
  })
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  qualifier                    = local.invoke_qualifier
  maximum_retry_attempts       = var.async_maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_maximum_event_age_in_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.failures.arn
    }
  }

  # Lambda checks that the execution role may send to the destination.
  depends_on = [aws_iam_role_policy.execution]
}
