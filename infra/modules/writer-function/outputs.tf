output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "architecture" {
  description = "Instruction set the function runs on."
  value       = one(aws_lambda_function.this.architectures)
}

output "environment" {
  description = "Environment variables the function got, except TARGET_EXTERNAL_ID (sensitive)."
  value       = { for k, v in aws_lambda_function.this.environment[0].variables : k => v if k != "TARGET_EXTERNAL_ID" }
}

output "target_external_id" {
  description = "TARGET_EXTERNAL_ID the function got (sensitive)."
  value       = aws_lambda_function.this.environment[0].variables["TARGET_EXTERNAL_ID"]
  sensitive   = true
}

output "account_id" {
  description = "Account the function lives in (the lambda account)."
  value       = local.account_id
}

output "execution_role_arn" {
  description = "ARN of the execution role; the target role's trust policy names it."
  value       = aws_iam_role.execution.arn
}

output "execution_role_name" {
  description = "Name of the execution role."
  value       = aws_iam_role.execution.name
}

output "execution_role_trust_policy" {
  description = "Trust policy of the execution role (JSON)."
  value       = aws_iam_role.execution.assume_role_policy
}

output "execution_role_policies" {
  description = "Inline policies of the execution role (name => JSON), as deployed."
  value = merge(
    {
      (aws_iam_role_policy.assume_target.name) = aws_iam_role_policy.assume_target.policy
      (aws_iam_role_policy.logs.name)          = aws_iam_role_policy.logs.policy
    },
    { for p in aws_iam_role_policy.read_s3_source : p.name => p.policy },
    { for p in aws_iam_role_policy.read_ses_raw_mail : p.name => p.policy },
    { for p in aws_iam_role_policy.consume_queue : p.name => p.policy },
  )
}

output "log_group_name" {
  description = "Log group of the function."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the function's log group."
  value       = aws_cloudwatch_log_group.this.arn
}

output "queue_arn" {
  description = "ARN of the trigger queue (null without the SQS trigger)."
  value       = one(aws_sqs_queue.this[*].arn)
}

output "queue_url" {
  description = "URL of the trigger queue: send messages here (null without the SQS trigger)."
  value       = one(aws_sqs_queue.this[*].url)
}

output "queue_redrive_policy" {
  description = "Redrive policy of the trigger queue (JSON; null without the SQS trigger)."
  value       = one(aws_sqs_queue.this[*].redrive_policy)
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue (null without the SQS trigger)."
  value       = one(aws_sqs_queue.dlq[*].arn)
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue (null without the SQS trigger)."
  value       = one(aws_sqs_queue.dlq[*].url)
}

output "event_source_mapping" {
  description = "The SQS event source mapping: uuid, event_source_arn, function_response_types (null without the SQS trigger)."
  value = one([for m in aws_lambda_event_source_mapping.sqs : {
    uuid                    = m.uuid
    event_source_arn        = m.event_source_arn
    function_name           = m.function_name
    function_response_types = m.function_response_types
    batch_size              = m.batch_size
  }])
}

output "eventbridge_rule_arn" {
  description = "ARN of the EventBridge rule (null without the EventBridge trigger)."
  value       = one(aws_cloudwatch_event_rule.this[*].arn)
}

output "lambda_permissions" {
  description = "Resource-based permissions on the function (trigger => {principal, source_arn, source_account})."
  value = merge(
    { for p in aws_lambda_permission.sns : "sns" => { principal = p.principal, source_arn = p.source_arn, source_account = p.source_account } },
    { for p in aws_lambda_permission.eventbridge : "eventbridge" => { principal = p.principal, source_arn = p.source_arn, source_account = p.source_account } },
    { for p in aws_lambda_permission.s3 : "s3" => { principal = p.principal, source_arn = p.source_arn, source_account = p.source_account } },
  )
}

output "function_url" {
  description = "Function URL (AWS_IAM auth; null when not created)."
  value       = one(aws_lambda_function_url.this[*].function_url)
}

output "function_url_auth_type" {
  description = "Auth type of the Function URL (null when not created)."
  value       = one(aws_lambda_function_url.this[*].authorization_type)
}
