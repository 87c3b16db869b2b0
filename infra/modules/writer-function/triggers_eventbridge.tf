################################################################################
# Trigger: EventBridge rule
################################################################################

resource "aws_cloudwatch_event_rule" "this" {
  count = var.create_eventbridge_trigger ? 1 : 0

  name           = var.function_name
  description    = "Events written to the bucket account by ${var.function_name}"
  event_bus_name = var.eventbridge_bus_name
  event_pattern  = var.eventbridge_event_pattern
  tags           = var.tags

  lifecycle {
    precondition {
      condition     = var.eventbridge_event_pattern != null
      error_message = "create_eventbridge_trigger = true needs eventbridge_event_pattern."
    }
  }
}

resource "aws_cloudwatch_event_target" "this" {
  count = var.create_eventbridge_trigger ? 1 : 0

  rule           = aws_cloudwatch_event_rule.this[0].name
  event_bus_name = var.eventbridge_bus_name
  target_id      = "writer-function"
  arn            = local.invoke_arn

  # EventBridge's own delivery retries (to Lambda's async queue); events it cannot deliver go
  # to the failure queue.
  retry_policy {
    maximum_retry_attempts       = var.eventbridge_maximum_retry_attempts
    maximum_event_age_in_seconds = var.eventbridge_maximum_event_age_in_seconds
  }

  dead_letter_config {
    arn = aws_sqs_queue.failures.arn
  }

  depends_on = [aws_lambda_permission.eventbridge, aws_sqs_queue_policy.failures]
}

resource "aws_lambda_permission" "eventbridge" {
  count = var.create_eventbridge_trigger ? 1 : 0

  statement_id  = "AllowInvokeFromEventBridgeRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = local.invoke_qualifier
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this[0].arn
}
