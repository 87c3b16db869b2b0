output "function_name" {
  description = "Name of the function: aws lambda invoke --function-name <this>."
  value       = module.writer_function.lambda_function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = module.writer_function.lambda_function_arn
}

output "execution_role_arn" {
  description = "Execution role of the function (lambda account); the only principal the target role trusts."
  value       = module.writer_function.lambda_role_arn
}

output "target_role_arn" {
  description = "Role the function assumes (bucket account)."
  value       = module.target_bucket.role_arn

  precondition {
    condition     = split(":", module.target_bucket.role_arn)[4] == var.bucket_account_id
    error_message = "The target role (${module.target_bucket.role_arn}) is not in the bucket account ${var.bucket_account_id}: the target-bucket module must run under the bucket account's provider."
  }
}

output "bucket_name" {
  description = "Target bucket (bucket account)."
  value       = module.target_bucket.bucket_name
}

output "bucket_region" {
  description = "Region of the target bucket."
  value       = module.target_bucket.bucket_region
}

output "kms_key_arn" {
  description = "KMS key of the bucket (null with SSE-S3)."
  value       = module.target_bucket.kms_key_arn
}

output "function_environment" {
  description = "Environment the function got (TARGET_EXTERNAL_ID left out: sensitive)."
  value       = module.writer_function.environment
}

output "queue_url" {
  description = "Queue that triggers the function (null without the SQS trigger)."
  value       = module.writer_function.sqs_queue_url
}

output "queue_arn" {
  description = "ARN of the queue that triggers the function, for producers' sqs:SendMessage grants (null without the SQS trigger)."
  value       = module.writer_function.sqs_queue_arn
}

output "invoke_target_arn" {
  description = "What producers invoke: the alias ARN with alias_name, else the function ARN."
  value       = module.writer_function.lambda_invoke_target_arn
}

output "failure_queue_arn" {
  description = "ARN of the failure queue (for a consumer's or an alarm's grants)."
  value       = module.writer_function.sqs_failure_queue_arn
}

output "dead_letter_queue_url" {
  description = "Dead-letter queue (null without the SQS trigger)."
  value       = module.writer_function.sqs_dead_letter_queue_url
}

output "failure_queue_url" {
  description = "Queue of failed asynchronous invocations and SNS/EventBridge dead letters: read failed records here."
  value       = module.writer_function.sqs_failure_queue_url
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms (empty without create_alarms)."
  value       = [for a in values(module.writer_function.alarms) : a.alarm_name]
}

output "function_url" {
  description = "Function URL, AWS_IAM auth (null when not created)."
  value       = module.writer_function.lambda_function_url
}

output "try_it" {
  description = "Commands to invoke the function, see the object in the bucket account, and run the preflight (what the check block after apply runs)."
  value       = <<-EOT
    aws lambda invoke --function-name ${module.writer_function.lambda_function_name} --region ${var.lambda_region}${var.lambda_profile == null ? "" : " --profile ${var.lambda_profile}"} --payload '{"action":"whoami"}' --cli-binary-format raw-in-base64-out out.json && cat out.json
    aws s3 ls s3://${module.target_bucket.bucket_name}/${var.key_prefix} --recursive${var.bucket_profile == null ? "" : " --profile ${var.bucket_profile}"}
    aws lambda invoke --function-name ${module.writer_function.lambda_function_name}${var.alias_name == null ? "" : " --qualifier ${var.alias_name}"} --region ${var.lambda_region}${var.lambda_profile == null ? "" : " --profile ${var.lambda_profile}"} --payload '{"action":"preflight"}' --cli-binary-format raw-in-base64-out preflight.json && cat preflight.json
  EOT
}
