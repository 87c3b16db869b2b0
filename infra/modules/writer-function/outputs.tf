# Names in the terraform-aws-modules manner (lambda_*, sqs_*). The unprefixed names further down are
# deprecated aliases of these, kept for one major version (see infra/CHANGELOG.md).

output "lambda_function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "lambda_function_arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "lambda_function_version" {
  description = "Latest published version of the function (\"$LATEST\" without publish)."
  value       = aws_lambda_function.this.version
}

output "lambda_function_url" {
  description = "Function URL (AWS_IAM auth; null when not created)."
  value       = one(aws_lambda_function_url.this[*].function_url)
}

output "lambda_alias_arn" {
  description = "ARN of the alias the triggers invoke (invoke it rather than the unqualified function); null without alias_name."
  value       = one(aws_lambda_alias.this[*].arn)
}

output "lambda_invoke_target_arn" {
  description = "What every trigger invokes, and what producers should invoke (aws lambda invoke --function-name): the alias ARN with alias_name, else the unqualified function ARN."
  value       = local.invoke_arn
}

output "lambda_role_arn" {
  description = "ARN of the execution role (the module's, or execution_role_arn); the target role's trust policy names it."
  value       = local.execution_role_arn
}

output "lambda_role_name" {
  description = "Name of the execution role."
  value       = local.create_execution_role ? aws_iam_role.execution[0].name : element(split("/", var.execution_role_arn), length(split("/", var.execution_role_arn)) - 1)
}

output "lambda_cloudwatch_log_group_name" {
  description = "Log group of the function."
  value       = aws_cloudwatch_log_group.this.name
}

output "lambda_cloudwatch_log_group_arn" {
  description = "ARN of the function's log group."
  value       = aws_cloudwatch_log_group.this.arn
}

output "sqs_queue_arn" {
  description = "ARN of the trigger queue (null without the SQS trigger)."
  value       = one(aws_sqs_queue.this[*].arn)
}

output "sqs_queue_name" {
  description = "Name of the trigger queue (null without the SQS trigger)."
  value       = one(aws_sqs_queue.this[*].name)
}

output "sqs_queue_url" {
  description = "URL of the trigger queue: send messages here (null without the SQS trigger)."
  value       = one(aws_sqs_queue.this[*].url)
}

output "sqs_dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue (null without the SQS trigger)."
  value       = one(aws_sqs_queue.dlq[*].arn)
}

output "sqs_dead_letter_queue_name" {
  description = "Name of the dead-letter queue (null without the SQS trigger)."
  value       = one(aws_sqs_queue.dlq[*].name)
}

output "sqs_dead_letter_queue_url" {
  description = "URL of the dead-letter queue (null without the SQS trigger)."
  value       = one(aws_sqs_queue.dlq[*].url)
}

output "sqs_failure_queue_arn" {
  description = "ARN of the failure queue: failed asynchronous invocations (Lambda on-failure destination) and SNS/EventBridge dead letters."
  value       = aws_sqs_queue.failures.arn
}

output "sqs_failure_queue_name" {
  description = "Name of the failure queue."
  value       = aws_sqs_queue.failures.name
}

output "sqs_failure_queue_url" {
  description = "URL of the failure queue: read failed records here (aws sqs receive-message)."
  value       = aws_sqs_queue.failures.url
}

output "lambda_logging_config" {
  description = "The function's logging configuration: log_format (JSON), application_log_level (log_level: Lambda drops the function's lines below it; the EMF metric lines pass at every level) and system_log_level."
  value = {
    log_format            = aws_lambda_function.this.logging_config[0].log_format
    application_log_level = aws_lambda_function.this.logging_config[0].application_log_level
    system_log_level      = aws_lambda_function.this.logging_config[0].system_log_level
    log_group             = aws_lambda_function.this.logging_config[0].log_group
  }
}

output "package_architecture" {
  description = "Architecture the build recorded next to the zip (`<package_path>.arch`: arm64 or x86_64); null when there is no record (the plan then warns that it could not verify the architecture)."
  value       = local.package_arch
}

output "function_name" {
  description = "Deprecated alias of lambda_function_name (same value), removed in the next major version: use lambda_function_name."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Deprecated alias of lambda_function_arn (same value), removed in the next major version: use lambda_function_arn."
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
  description = "Deprecated alias of lambda_role_arn (same value), removed in the next major version: use lambda_role_arn."
  value       = local.execution_role_arn
}

output "execution_role_name" {
  description = "Deprecated alias of lambda_role_name (same value), removed in the next major version: use lambda_role_name."
  value       = local.create_execution_role ? aws_iam_role.execution[0].name : element(split("/", var.execution_role_arn), length(split("/", var.execution_role_arn)) - 1)
}

output "function_role_arn" {
  description = "Role the function runs as (as deployed; equals execution_role_arn)."
  value       = aws_lambda_function.this.role
}

output "execution_role_created" {
  description = "Whether the module created the execution role (false with execution_role_arn)."
  value       = local.create_execution_role
}

output "execution_role_trust_policy" {
  description = "Trust policy of the execution role the module created (JSON); null with execution_role_arn."
  value       = one(aws_iam_role.execution[*].assume_role_policy)
}

output "execution_role_policies" {
  description = "Inline policies the module attached to the execution role (name => JSON), as deployed; empty with execution_role_arn."
  value       = { for p in aws_iam_role_policy.execution : p.name => p.policy }
}

output "execution_role_required_policies" {
  description = "What the execution role needs (name => policy JSON): what the module attaches, or what your own role (execution_role_arn) must be granted."
  value       = local.execution_policies
}

output "execution_role_exclusive" {
  description = "What the module's execution role exclusively has: inline policy_names and managed policy_arns (anything else is removed on apply); null with execution_role_arn."
  value = local.create_execution_role ? {
    policy_names = toset(aws_iam_role_policies_exclusive.execution[0].policy_names)
    policy_arns  = toset(aws_iam_role_policy_attachments_exclusive.execution[0].policy_arns)
  } : null
}

output "function_version" {
  description = "Deprecated alias of lambda_function_version (same value), removed in the next major version: use lambda_function_version."
  value       = aws_lambda_function.this.version
}

output "alias_arn" {
  description = "Deprecated alias of lambda_alias_arn (same value), removed in the next major version: use lambda_alias_arn."
  value       = one(aws_lambda_alias.this[*].arn)
}

output "invoke_arn" {
  description = "Deprecated alias of lambda_invoke_target_arn (same value), removed in the next major version: use lambda_invoke_target_arn."
  value       = local.invoke_arn
}

output "tracing_mode" {
  description = "X-Ray tracing mode of the function."
  value       = aws_lambda_function.this.tracing_config[0].mode
}

output "log_group_name" {
  description = "Deprecated alias of lambda_cloudwatch_log_group_name (same value), removed in the next major version: use lambda_cloudwatch_log_group_name."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "Deprecated alias of lambda_cloudwatch_log_group_arn (same value), removed in the next major version: use lambda_cloudwatch_log_group_arn."
  value       = aws_cloudwatch_log_group.this.arn
}

output "queue_arn" {
  description = "Deprecated alias of sqs_queue_arn (same value), removed in the next major version: use sqs_queue_arn."
  value       = one(aws_sqs_queue.this[*].arn)
}

output "queue_name" {
  description = "Deprecated alias of sqs_queue_name (same value), removed in the next major version: use sqs_queue_name."
  value       = one(aws_sqs_queue.this[*].name)
}

output "dead_letter_queue_name" {
  description = "Deprecated alias of sqs_dead_letter_queue_name (same value), removed in the next major version: use sqs_dead_letter_queue_name."
  value       = one(aws_sqs_queue.dlq[*].name)
}

output "failure_queue_name" {
  description = "Deprecated alias of sqs_failure_queue_name (same value), removed in the next major version: use sqs_failure_queue_name."
  value       = aws_sqs_queue.failures.name
}

output "queue_url" {
  description = "Deprecated alias of sqs_queue_url (same value), removed in the next major version: use sqs_queue_url."
  value       = one(aws_sqs_queue.this[*].url)
}

output "queue_visibility_timeout_seconds" {
  description = "Visibility timeout of the trigger queue (null without the SQS trigger)."
  value       = one(aws_sqs_queue.this[*].visibility_timeout_seconds)
}

output "queue_redrive_policy" {
  description = "Redrive policy of the trigger queue (JSON; null without the SQS trigger)."
  value       = one(aws_sqs_queue.this[*].redrive_policy)
}

output "dead_letter_queue_arn" {
  description = "Deprecated alias of sqs_dead_letter_queue_arn (same value), removed in the next major version: use sqs_dead_letter_queue_arn."
  value       = one(aws_sqs_queue.dlq[*].arn)
}

output "dead_letter_queue_url" {
  description = "Deprecated alias of sqs_dead_letter_queue_url (same value), removed in the next major version: use sqs_dead_letter_queue_url."
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
  description = "Resource-based permissions on the function (trigger => {principal, source_arn, source_account, qualifier})."
  value = merge(
    { for p in aws_lambda_permission.sns : "sns" => { principal = p.principal, source_arn = p.source_arn, source_account = p.source_account, qualifier = p.qualifier } },
    { for p in aws_lambda_permission.eventbridge : "eventbridge" => { principal = p.principal, source_arn = p.source_arn, source_account = p.source_account, qualifier = p.qualifier } },
    { for p in aws_lambda_permission.s3 : "s3" => { principal = p.principal, source_arn = p.source_arn, source_account = p.source_account, qualifier = p.qualifier } },
    { for k, p in aws_lambda_permission.cloudwatch_logs : "cloudwatch-logs-${k}" => { principal = p.principal, source_arn = p.source_arn, source_account = p.source_account, qualifier = p.qualifier } },
    { for p in aws_lambda_permission.s3_eventbridge : "s3-eventbridge" => { principal = p.principal, source_arn = p.source_arn, source_account = p.source_account, qualifier = p.qualifier } },
  )
}

output "function_url" {
  description = "Deprecated alias of lambda_function_url (same value), removed in the next major version: use lambda_function_url."
  value       = one(aws_lambda_function_url.this[*].function_url)
}

output "function_url_auth_type" {
  description = "Auth type of the Function URL (null when not created)."
  value       = one(aws_lambda_function_url.this[*].authorization_type)
}

output "failure_queue_arn" {
  description = "Deprecated alias of sqs_failure_queue_arn (same value), removed in the next major version: use sqs_failure_queue_arn."
  value       = aws_sqs_queue.failures.arn
}

output "failure_queue_url" {
  description = "Deprecated alias of sqs_failure_queue_url (same value), removed in the next major version: use sqs_failure_queue_url."
  value       = aws_sqs_queue.failures.url
}

output "failure_queue_policy" {
  description = "Queue policy of the failure queue (JSON): SNS and EventBridge may send, each from its own topic/rule (null without those triggers)."
  value       = one(aws_sqs_queue_policy.failures[*].policy)
}

output "async_invoke_config" {
  description = "Asynchronous invocation settings: retries, event age, on-failure destination."
  value = {
    maximum_retry_attempts       = aws_lambda_function_event_invoke_config.this.maximum_retry_attempts
    maximum_event_age_in_seconds = aws_lambda_function_event_invoke_config.this.maximum_event_age_in_seconds
    on_failure_destination       = try(aws_lambda_function_event_invoke_config.this.destination_config[0].on_failure[0].destination, null)
    function_name                = aws_lambda_function_event_invoke_config.this.function_name
    qualifier                    = aws_lambda_function_event_invoke_config.this.qualifier
  }
}

output "stream_event_source_mappings" {
  description = "The stream triggers' event source mappings (kinesis/dynamodb => settings and on_failure_destination); empty without them."
  value = { for k, m in aws_lambda_event_source_mapping.stream : k => {
    uuid                           = m.uuid
    event_source_arn               = m.event_source_arn
    function_name                  = m.function_name
    function_response_types        = m.function_response_types
    starting_position              = m.starting_position
    batch_size                     = m.batch_size
    bisect_batch_on_function_error = m.bisect_batch_on_function_error
    maximum_retry_attempts         = m.maximum_retry_attempts
    maximum_record_age_in_seconds  = m.maximum_record_age_in_seconds
    on_failure_destination         = one(flatten([for d in m.destination_config : [for f in d.on_failure : f.destination_arn]]))
  } }
}

output "trigger_invoke_targets" {
  description = "What each trigger that exists invokes (trigger => function or alias ARN; function_url => its qualifier)."
  value = merge(
    { for m in aws_lambda_event_source_mapping.sqs : "sqs" => m.function_name },
    { for k, m in aws_lambda_event_source_mapping.stream : k => m.function_name },
    { for s in aws_sns_topic_subscription.this : "sns" => s.endpoint },
    { for t in aws_cloudwatch_event_target.this : "eventbridge" => t.arn },
    { for n in aws_s3_bucket_notification.this : "s3" => n.lambda_function[0].lambda_function_arn },
    { for u in aws_lambda_function_url.this : "function_url" => u.qualifier },
    { for k, f in aws_cloudwatch_log_subscription_filter.this : "cloudwatch-logs-${k}" => f.destination_arn },
    { for m in aws_lambda_event_source_mapping.s3_notifications : "s3-notification-queue" => m.function_name },
    { for t in aws_cloudwatch_event_target.s3 : "s3-eventbridge" => t.arn },
  )
}

output "sns_subscription_redrive_policy" {
  description = "Redrive policy of the SNS subscription (JSON; null without the SNS trigger)."
  value       = one(aws_sns_topic_subscription.this[*].redrive_policy)
}

output "eventbridge_target" {
  description = "Delivery settings of the EventBridge target: dead_letter_arn, maximum_retry_attempts, maximum_event_age_in_seconds (null without the EventBridge trigger)."
  value = one([for t in aws_cloudwatch_event_target.this : {
    arn                          = t.arn
    dead_letter_arn              = one(t.dead_letter_config[*].arn)
    maximum_retry_attempts       = one(t.retry_policy[*].maximum_retry_attempts)
    maximum_event_age_in_seconds = one(t.retry_policy[*].maximum_event_age_in_seconds)
  }])
}

output "metrics_namespace" {
  description = "CloudWatch namespace of the function's EMF metrics (METRICS_NAMESPACE)."
  value       = local.metrics_namespace
}

output "alarms" {
  description = "CloudWatch alarms (suffix => name, namespace, metric_name, dimensions, statistic, threshold, comparison_operator, treat_missing_data, alarm_actions); empty without create_alarms."
  value = { for k, a in aws_cloudwatch_metric_alarm.this : k => {
    alarm_name          = a.alarm_name
    namespace           = a.namespace
    metric_name         = a.metric_name
    dimensions          = a.dimensions
    statistic           = a.statistic
    threshold           = a.threshold
    comparison_operator = a.comparison_operator
    treat_missing_data  = a.treat_missing_data
    alarm_actions       = tolist(a.alarm_actions)
    ok_actions          = tolist(a.ok_actions)
  } }
}

output "cloudwatch_logs_subscription_filters" {
  description = "The CloudWatch Logs subscription filters (cloudwatch_logs_subscriptions name => name, log_group_name, filter_pattern, destination_arn); empty without."
  value = { for k, f in aws_cloudwatch_log_subscription_filter.this : k => {
    name            = f.name
    log_group_name  = f.log_group_name
    filter_pattern  = f.filter_pattern
    destination_arn = f.destination_arn
  } }
}

output "s3_notification_queue" {
  description = "The S3-through-SQS trigger (s3_notification_queue): the queue (arn, url, name, SSE, redrive policy, policy), its DLQ, the bucket's notification (bucket, queue configurations) and the event source mapping; null without."
  value = local.s3_notification_queue == null ? null : {
    queue_arn               = aws_sqs_queue.s3_notifications[0].arn
    queue_url               = aws_sqs_queue.s3_notifications[0].url
    queue_name              = aws_sqs_queue.s3_notifications[0].name
    sqs_managed_sse_enabled = aws_sqs_queue.s3_notifications[0].sqs_managed_sse_enabled
    redrive_policy          = aws_sqs_queue.s3_notifications[0].redrive_policy
    queue_policy            = aws_sqs_queue_policy.s3_notifications[0].policy
    dead_letter_queue_arn   = aws_sqs_queue.s3_notifications_dlq[0].arn
    dead_letter_queue_name  = aws_sqs_queue.s3_notifications_dlq[0].name
    dead_letter_queue_sse   = aws_sqs_queue.s3_notifications_dlq[0].sqs_managed_sse_enabled
    redrive_allow_policy    = aws_sqs_queue_redrive_allow_policy.s3_notifications_dlq[0].redrive_allow_policy
    notification = {
      bucket      = aws_s3_bucket_notification.queue[0].bucket
      eventbridge = aws_s3_bucket_notification.queue[0].eventbridge
      queues = [for q in aws_s3_bucket_notification.queue[0].queue : {
        queue_arn     = q.queue_arn
        events        = tolist(q.events)
        filter_prefix = q.filter_prefix
        filter_suffix = q.filter_suffix
      }]
      lambda_functions = length(aws_s3_bucket_notification.queue[0].lambda_function)
    }
    event_source_mapping = {
      event_source_arn        = aws_lambda_event_source_mapping.s3_notifications[0].event_source_arn
      function_name           = aws_lambda_event_source_mapping.s3_notifications[0].function_name
      function_response_types = tolist(aws_lambda_event_source_mapping.s3_notifications[0].function_response_types)
      batch_size              = aws_lambda_event_source_mapping.s3_notifications[0].batch_size
    }
  }
}

output "s3_eventbridge" {
  description = "The S3-through-EventBridge trigger (s3_eventbridge): the bucket's notification (bucket, eventbridge), the rule (arn, name, bus, event_pattern) and its target (arn, dead-letter queue, retry policy); null without."
  value = local.s3_eventbridge == null ? null : {
    notification = {
      bucket           = aws_s3_bucket_notification.eventbridge[0].bucket
      eventbridge      = aws_s3_bucket_notification.eventbridge[0].eventbridge
      queues           = length(aws_s3_bucket_notification.eventbridge[0].queue)
      lambda_functions = length(aws_s3_bucket_notification.eventbridge[0].lambda_function)
    }
    rule_arn       = aws_cloudwatch_event_rule.s3[0].arn
    rule_name      = aws_cloudwatch_event_rule.s3[0].name
    event_bus_name = aws_cloudwatch_event_rule.s3[0].event_bus_name
    event_pattern  = aws_cloudwatch_event_rule.s3[0].event_pattern
    target = {
      rule                         = aws_cloudwatch_event_target.s3[0].rule
      arn                          = aws_cloudwatch_event_target.s3[0].arn
      dead_letter_arn              = one(aws_cloudwatch_event_target.s3[0].dead_letter_config[*].arn)
      maximum_retry_attempts       = one(aws_cloudwatch_event_target.s3[0].retry_policy[*].maximum_retry_attempts)
      maximum_event_age_in_seconds = one(aws_cloudwatch_event_target.s3[0].retry_policy[*].maximum_event_age_in_seconds)
    }
  }
}
