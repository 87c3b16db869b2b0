################################################################################
# Accounts and how Terraform gets into them
################################################################################

variable "lambda_account_id" {
  description = "Account that runs the function (the lambda account)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.lambda_account_id))
    error_message = "lambda_account_id must be a 12-digit account ID."
  }
}

variable "bucket_account_id" {
  description = "Account that owns the bucket and the target role (the bucket account)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.bucket_account_id))
    error_message = "bucket_account_id must be a 12-digit account ID."
  }
}

variable "lambda_region" {
  description = "Region of the function (and its triggers)."
  type        = string
}

variable "bucket_region" {
  description = "Region of the bucket and its KMS key. null: lambda_region."
  type        = string
  default     = null
}

variable "lambda_profile" {
  description = "AWS CLI profile for the lambda account. null: the default credential chain."
  type        = string
  default     = null
}

variable "lambda_assume_role_arn" {
  description = "Role Terraform assumes to reach the lambda account (e.g. an OrganizationAccountAccessRole). null: use the profile's credentials directly."
  type        = string
  default     = null
}

variable "bucket_profile" {
  description = "AWS CLI profile for the bucket account. null: the default credential chain."
  type        = string
  default     = null
}

variable "bucket_assume_role_arn" {
  description = "Role Terraform assumes to reach the bucket account. null: use the profile's credentials directly."
  type        = string
  default     = null
}

variable "tags" {
  description = "Default tags of both providers."
  type        = map(string)
  default     = { Project = "cross-account-s3-writer" }
}

################################################################################
# Function
################################################################################

variable "function_name" {
  description = "Name of the Lambda function."
  type        = string
  default     = "cross-account-s3-writer"
}

variable "package_path" {
  description = "The function zip. null: ../../../target/lambda-arm64/cross-account-s3-writer/bootstrap.zip (what `make build-arm64` writes, with its architecture record bootstrap.zip.arch; relative to this directory)."
  type        = string
  default     = null
}

variable "architecture" {
  description = "arm64 (build with --arm64) or x86_64."
  type        = string
  default     = "arm64"
}

variable "memory_size" {
  description = "Memory of the function in MB."
  type        = number
  default     = 128
}

variable "timeout" {
  description = "Timeout of the function in seconds."
  type        = number
  default     = 30
}

variable "reserved_concurrency" {
  description = "Reserved concurrency; null = unreserved."
  type        = number
  default     = null
}

variable "log_level" {
  description = "AWS_LAMBDA_LOG_LEVEL of the function: TRACE, DEBUG, INFO, WARN, ERROR or FATAL."
  type        = string
  default     = "INFO"
}

variable "log_retention_in_days" {
  description = "Retention of the function's log group."
  type        = number
  default     = 30
}

variable "role_session_seconds" {
  description = "ROLE_SESSION_SECONDS, 900..3600 (role chaining caps sessions at one hour)."
  type        = number
  default     = 3600
}

variable "max_concurrent_writes" {
  description = "MAX_CONCURRENT_WRITES of the function."
  type        = number
  default     = 10
}

variable "ses_raw_mail_bucket" {
  description = "SES_RAW_MAIL_BUCKET: bucket in the lambda account where an SES receipt rule stores raw mail. null: not used."
  type        = string
  default     = null
}

variable "ses_raw_mail_prefix" {
  description = "SES_RAW_MAIL_PREFIX: empty or ending with '/'."
  type        = string
  default     = ""
}

################################################################################
# Bucket, role, trust
################################################################################

variable "bucket_name" {
  description = "Target bucket in the bucket account (globally unique)."
  type        = string
}

variable "create_bucket" {
  description = "Create the bucket; false uses an existing one (its settings and policy are then left alone, see the target-bucket module)."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete a bucket that still holds objects."
  type        = bool
  default     = false
}

variable "create_kms_key" {
  description = "SSE-KMS with a new customer managed key (and a Bucket Key) instead of SSE-S3."
  type        = bool
  default     = false
}

variable "target_role_name" {
  description = "Name of the role in the bucket account the function assumes."
  type        = string
  default     = "cross-account-s3-writer-target"
}

variable "external_id" {
  description = "sts:ExternalId shared by the function (TARGET_EXTERNAL_ID) and the target role's trust policy. Generate one, e.g. `uuidgen`."
  type        = string
  sensitive   = true
}

variable "additional_external_ids" {
  description = "Further ExternalIds the trust accepts during a rotation (see infra/README.md). Keep empty otherwise."
  type        = list(string)
  default     = []
  sensitive   = true
}

variable "key_prefix" {
  description = "KEY_PREFIX: every object goes under it, and the target role may write nowhere else. Must end with '/'."
  type        = string
  default     = "incoming/"
}

################################################################################
# Triggers (all off by default; `aws lambda invoke` always works)
################################################################################

variable "create_sqs_trigger" {
  description = "Create a queue (+ dead-letter queue) that triggers the function."
  type        = bool
  default     = false
}

variable "sqs_queue_name" {
  description = "Name of the trigger queue. null: function_name. Pin it before renaming the function (a new name replaces the queue)."
  type        = string
  default     = null
}

variable "sqs_dlq_name" {
  description = "Name of the dead-letter queue. null: \"<sqs_queue_name>-dlq\"."
  type        = string
  default     = null
}

variable "sqs_max_receive_count" {
  description = "Deliveries before a message moves to the dead-letter queue."
  type        = number
  default     = 5
}

variable "create_sns_trigger" {
  description = "Subscribe the function to sns_topic_arn."
  type        = bool
  default     = false
}

variable "sns_topic_arn" {
  description = "Existing SNS topic (lambda account, lambda_region)."
  type        = string
  default     = null
}

variable "create_eventbridge_trigger" {
  description = "Create an EventBridge rule (default bus) targeting the function."
  type        = bool
  default     = false
}

variable "eventbridge_event_pattern" {
  description = "Event pattern (JSON) of the EventBridge rule."
  type        = string
  default     = null
}

variable "create_s3_trigger" {
  description = "Trigger the function from object-created events of s3_source_bucket."
  type        = bool
  default     = false
}

variable "s3_source_bucket" {
  description = "Existing bucket in the lambda account (lambda_region). Its notification configuration is replaced."
  type        = string
  default     = null
}

variable "s3_source_filter_prefix" {
  description = "Only keys under this prefix of s3_source_bucket trigger the function, and the function may read only those. null or ending with '/'."
  type        = string
  default     = null
}

variable "create_function_url" {
  description = "Create a Function URL with AWS_IAM auth."
  type        = bool
  default     = false
}

################################################################################
# Failures and alarms
################################################################################

variable "failure_queue_name" {
  description = "Queue of failed asynchronous invocations and SNS/EventBridge dead letters. null: \"<function_name>-failures\"."
  type        = string
  default     = null
}

variable "async_maximum_retry_attempts" {
  description = "Retries of a failed asynchronous invocation (0..2) before it goes to the failure queue."
  type        = number
  default     = 2
}

variable "async_maximum_event_age_in_seconds" {
  description = "Maximum age of an asynchronous event (60..21600 s) before it goes to the failure queue."
  type        = number
  default     = 21600
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the function's metrics. null: the function name."
  type        = string
  default     = null
}

variable "create_alarms" {
  description = "Create the CloudWatch alarms (failure queue / DLQ not empty, Errors, Throttles, AsyncEventsDropped, DestinationDeliveryFailures, RecordsFailed)."
  type        = bool
  default     = false
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic the alarms notify (lambda account). null: no notification."
  type        = string
  default     = null
}

################################################################################
# Every other module input (defaults: the modules' own; see their READMEs)
################################################################################

variable "function_description" {
  description = "Description of the Lambda function."
  type        = string
  default     = "Writes incoming events as objects into a bucket in another AWS account through an assumed role."
}

variable "log_group_kms_key_arn" {
  description = "Optional KMS key ARN to encrypt the log group with (the key policy must allow the CloudWatch Logs service). null: CloudWatch Logs' default encryption."
  type        = string
  default     = null
}

variable "system_log_level" {
  description = "Level of the Lambda platform's own log lines (START/END/REPORT are INFO)."
  type        = string
  default     = "INFO"
}

variable "execution_role_name" {
  description = "Name of the execution role. null: \"<function_name>-execution\"."
  type        = string
  default     = null
}

variable "execution_role_permissions_boundary" {
  description = "Permissions boundary policy ARN for the execution role (lambda account)."
  type        = string
  default     = null
}

variable "resource_tags" {
  description = "Tags on every resource of both modules, on top of the providers' default_tags (var.tags)."
  type        = map(string)
  default     = {}
}

variable "role_session_name" {
  description = "ROLE_SESSION_NAME: session name for AssumeRole (appears in the bucket account's CloudTrail). null: the function name."
  type        = string
  default     = null
}

variable "sqs_batch_size" {
  description = "Records per batch of the SQS event source mapping (more than 10 requires sqs_maximum_batching_window_in_seconds > 0)."
  type        = number
  default     = 10
}

variable "sqs_maximum_batching_window_in_seconds" {
  description = "How long the event source mapping gathers records before invoking (0..300)."
  type        = number
  default     = 0
}

variable "sqs_maximum_concurrency" {
  description = "Maximum concurrent invocations the SQS event source mapping drives (2..1000). null: no limit."
  type        = number
  default     = null
}

variable "sqs_visibility_timeout_seconds" {
  description = "Visibility timeout of the queue. null: 6 x timeout + sqs_maximum_batching_window_in_seconds (AWS's recommendation), which is also the minimum accepted."
  type        = number
  default     = null
}

variable "sqs_message_retention_seconds" {
  description = "Retention of the queue. The dead-letter queue keeps messages 14 days (the maximum), longer than this, because a message keeps its original enqueue time when moved."
  type        = number
  default     = 345600
}

variable "eventbridge_bus_name" {
  description = "Event bus of the EventBridge rule."
  type        = string
  default     = "default"
}

variable "s3_source_events" {
  description = "S3 event types that invoke the function."
  type        = list(string)
  default     = ["s3:ObjectCreated:*"]
}

variable "s3_source_filter_suffix" {
  description = "Only objects whose key ends with this suffix trigger the function."
  type        = string
  default     = null
}

variable "failure_queue_retention_seconds" {
  description = "How long the failure queue keeps a record (default 14 days, the maximum)."
  type        = number
  default     = 1209600
}

variable "eventbridge_maximum_retry_attempts" {
  description = "Retries EventBridge makes to deliver an event to the function (0..185) before it goes to the failure queue."
  type        = number
  default     = 185
}

variable "eventbridge_maximum_event_age_in_seconds" {
  description = "How long EventBridge keeps trying to deliver an event to the function (60..86400 s) before it goes to the failure queue."
  type        = number
  default     = 86400
}

variable "alarm_period_seconds" {
  description = "Period of every alarm, in seconds (a multiple of 60)."
  type        = number
  default     = 300
}

variable "manage_bucket_settings" {
  description = "Manage the bucket's ownership controls, public access block, versioning, default encryption, lifecycle configuration and bucket policy. null: same as create_bucket. On an existing bucket these resources REPLACE its current settings (the whole bucket policy and lifecycle configuration): leave it false and merge the bucket_policy output into your own policy instead."
  type        = bool
  default     = null
}

variable "noncurrent_version_expiration_days" {
  description = "Delete noncurrent object versions this many days after they become noncurrent (every If-Match replacement of an S3 copy leaves one). null: keep them forever."
  type        = number
  default     = 30
}

variable "kms_key_deletion_window_in_days" {
  description = "Waiting period before a destroyed KMS key is deleted."
  type        = number
  default     = 30
}

variable "target_role_permissions_boundary" {
  description = "Permissions boundary policy ARN for the target role (bucket account)."
  type        = string
  default     = null
}

variable "existing_kms_key_arn" {
  description = "Existing customer managed KMS key (key ARN, not an alias) the bucket encrypts with; the target role gets GenerateDataKey/Decrypt via S3 for this bucket, the function names it on every PUT. Its key policy must allow the target role (output kms_key_policy_statement of the target-bucket module; see its README). Excludes create_kms_key."
  type        = string
  default     = null
}

variable "deny_other_prefix_writers" {
  description = "Bucket policy denies object writes under key_prefix to everyone but the target role and prefix_writer_exception_arns. null: on when the bucket is created here."
  type        = bool
  default     = null
}

variable "prefix_writer_exception_arns" {
  description = "IAM principals (role/user/root ARNs) that may still write under key_prefix, e.g. a break-glass admin role or a replication role."
  type        = list(string)
  default     = []
}

variable "bucket_policy_statements" {
  description = "Further bucket policy statements (objects with a unique Sid), appended after the module's hardening statements."
  type        = any
  default     = []
}

variable "lifecycle_rules" {
  description = "Further lifecycle rules (see the target-bucket module's lifecycle_rules input), after the module's own."
  type        = any
  default     = []
}

################################################################################
# Optional hardening of the function (writer-function module)
################################################################################

variable "execution_role_arn" {
  description = "Bring your own execution role (lambda account); the module then creates none. Grant it the writer_function module's execution_role_required_policies output."
  type        = string
  default     = null
}

variable "restrict_execution_trust_to_function" {
  description = "Trust only this function (aws:SourceArn, with aws:SourceAccount) in the execution role's trust. false: any Lambda function of the lambda account that is given the role."
  type        = bool
  default     = true
}

variable "tracing_mode" {
  description = "X-Ray tracing of the function: PassThrough or Active."
  type        = string
  default     = "PassThrough"
}

variable "publish" {
  description = "Publish a version of the function on every change."
  type        = bool
  default     = false
}

variable "alias_name" {
  description = "Alias the triggers invoke (needs publish = true); null: the unqualified function."
  type        = string
  default     = null
}

################################################################################
# Stream triggers (writer-function module)
################################################################################

variable "kinesis_stream_arn" {
  description = "Existing Kinesis data stream (lambda account) that triggers the function. null: none."
  type        = string
  default     = null
}

variable "dynamodb_stream_arn" {
  description = "Existing DynamoDB stream ARN (the table's stream_arn) that triggers the function. null: none."
  type        = string
  default     = null
}

variable "stream_starting_position" {
  description = "TRIM_HORIZON (default) or LATEST."
  type        = string
  default     = "TRIM_HORIZON"
}

variable "stream_batch_size" {
  description = "Records per batch of the stream triggers."
  type        = number
  default     = 100
}

variable "stream_maximum_batching_window_in_seconds" {
  description = "How long the stream triggers gather records before invoking."
  type        = number
  default     = 0
}

variable "stream_parallelization_factor" {
  description = "Concurrent batches per shard."
  type        = number
  default     = 1
}

variable "stream_maximum_retry_attempts" {
  description = "Retries of a failing stream batch before it goes to the failure queue."
  type        = number
  default     = 10
}

variable "stream_maximum_record_age_in_seconds" {
  description = "Oldest record a stream trigger still processes."
  type        = number
  default     = 86400
}

variable "stream_bisect_batch_on_function_error" {
  description = "Split a failing stream batch in two on a function error."
  type        = bool
  default     = true
}

################################################################################
# Data-lake delivery (writer-function module)
################################################################################

variable "key_template" {
  description = "KEY_TEMPLATE, e.g. \"{source}/{source_name}/dt={yyyy}-{MM}-{dd}/{HH}/{id}\". null: the per-source layout."
  type        = string
  default     = null
}

variable "object_mode" {
  description = "OBJECT_MODE: record or batch (one NDJSON object per invocation). null: record."
  type        = string
  default     = null
}

variable "max_batch_bytes" {
  description = "MAX_BATCH_BYTES: largest batch object before it is split. null: 5 MiB."
  type        = number
  default     = null
}

variable "content_encoding" {
  description = "CONTENT_ENCODING: identity or gzip. null: identity."
  type        = string
  default     = null
}

variable "max_concurrent_parts" {
  description = "MAX_CONCURRENT_PARTS: parts of one multipart copy in flight. null: 4."
  type        = number
  default     = null
}

variable "s3_source_kms_key_arn" {
  description = "Customer managed KMS key of the S3 trigger's source bucket: the execution role gets kms:Decrypt on it, through S3, for that bucket only. null: none (SSE-S3)."
  type        = string
  default     = null
}

variable "ses_raw_mail_kms_key_arn" {
  description = "Customer managed KMS key of the SES raw-mail bucket: the execution role gets kms:Decrypt on it, through S3, for that bucket and prefix only. null: none (SSE-S3)."
  type        = string
  default     = null
}

variable "records_failed_alarm_treat_missing_data" {
  description = "Missing-data treatment of the records-failed alarm: notBreaching (an idle function is OK) or missing (INSUFFICIENT_DATA when no metric line arrives)."
  type        = string
  default     = "notBreaching"
}

# --- central-archive triggers (each off by default; see the module's README) -------------------

variable "cloudwatch_logs_subscriptions" {
  description = "Log groups (lambda account, its region) whose log events the function archives: name => { log_group_name, filter_pattern }. {}: none."
  type = map(object({
    log_group_name = string
    filter_pattern = optional(string, "")
  }))
  default = {}
}

variable "s3_notification_queue" {
  description = "An existing bucket (lambda account) notifying an SQS queue the module creates, which triggers the function: { bucket_name, prefix, suffix, kms_key_arn, queue_name }. null: none."
  type = object({
    bucket_name = string
    prefix      = optional(string)
    suffix      = optional(string)
    kms_key_arn = optional(string)
    queue_name  = optional(string)
  })
  default = null
}

variable "s3_eventbridge" {
  description = "An existing bucket (lambda account) sending its events to EventBridge, with a rule for its Object Created events that invokes the function: { bucket_name, prefix, kms_key_arn }. null: none."
  type = object({
    bucket_name = string
    prefix      = optional(string)
    kms_key_arn = optional(string)
  })
  default = null
}

################################################################################
# After apply
################################################################################

variable "run_preflight" {
  description = "Invoke the function with {\"action\":\"preflight\"} from a check block on every plan and apply (after the changes on an apply that has any): a broken chain shows as a warning listing the failed checks and their fixes. Each run puts one canary under <key_prefix>preflight/ (expired by the bucket's lifecycle rule). false: no invocation (e.g. plans without credentials to invoke, or a function built before the preflight existed)."
  type        = bool
  default     = true

  validation {
    condition     = var.run_preflight != null
    error_message = "run_preflight must be true or false."
  }
}
