################################################################################
# Trigger: CloudWatch Logs subscription filters on existing log groups of the lambda account
################################################################################

locals {
  # name => the log group's ARN as CloudWatch Logs names it when it invokes a function
  # ("...:log-group:<name>:*"): what the permission's source_arn must match.
  cloudwatch_logs_source_arns = { for k, s in var.cloudwatch_logs_subscriptions :
    k => "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${s.log_group_name}:*"
  }
}

# CloudWatch Logs invokes the function asynchronously, as its service principal: only for this log
# group (source_arn) of this account (source_account). The execution role needs nothing: the
# event carries the log events (gzip'd, base64) in awslogs.data.
resource "aws_lambda_permission" "cloudwatch_logs" {
  for_each = var.cloudwatch_logs_subscriptions

  statement_id   = "AllowInvokeFromLogGroup-${each.key}"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  qualifier      = local.invoke_qualifier
  principal      = "logs.amazonaws.com"
  source_arn     = local.cloudwatch_logs_source_arns[each.key]
  source_account = local.account_id

  lifecycle {
    # The function's own logs would be archived by the function, which logs doing so: a loop
    # that only ends with the account's Lambda concurrency.
    precondition {
      condition     = each.value.log_group_name != local.log_group_name
      error_message = "cloudwatch_logs_subscriptions.${each.key}: ${each.value.log_group_name} is the function's own log group; subscribing the function to its own logs is a loop."
    }
  }
}

resource "aws_cloudwatch_log_subscription_filter" "this" {
  for_each = var.cloudwatch_logs_subscriptions

  name            = "${var.function_name}-${each.key}"
  log_group_name  = each.value.log_group_name
  filter_pattern  = each.value.filter_pattern
  destination_arn = local.invoke_arn

  # CloudWatch Logs checks that it may invoke the function when the filter is written.
  depends_on = [aws_lambda_permission.cloudwatch_logs]
}
