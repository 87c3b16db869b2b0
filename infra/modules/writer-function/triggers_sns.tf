################################################################################
# Trigger: existing SNS topic
################################################################################

resource "aws_lambda_permission" "sns" {
  count = var.create_sns_trigger ? 1 : 0

  statement_id  = "AllowInvokeFromSnsTopic"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = local.invoke_qualifier
  principal     = "sns.amazonaws.com"
  source_arn    = var.sns_topic_arn

  lifecycle {
    precondition {
      condition     = var.sns_topic_arn != null
      error_message = "create_sns_trigger = true needs sns_topic_arn."
    }
  }
}

resource "aws_sns_topic_subscription" "this" {
  count = var.create_sns_trigger ? 1 : 0

  topic_arn = var.sns_topic_arn
  protocol  = "lambda"
  endpoint  = local.invoke_arn

  # Messages SNS cannot deliver to the function (throttled past SNS's retries, permission
  # missing) go to the failure queue; failures of the function itself are Lambda's (above).
  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.failures.arn })

  depends_on = [aws_lambda_permission.sns, aws_sqs_queue_policy.failures]
}
