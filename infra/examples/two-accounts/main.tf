# The root users copy: the writer function in the lambda account, the bucket and the role it
# assumes in the bucket account.
#
# The two roles name each other, without a cycle: the execution role's permissions are separate
# resources (aws_iam_role_policy), so the order is
#   execution role -> target role (its trust names the execution role: IAM rejects a trust policy
#   naming a principal that does not exist) -> the execution role's sts:AssumeRole grant and the
#   function's TARGET_ROLE_ARN (both the target role's real ARN, so the function is created only
#   once the role it assumes exists, with its policy).

locals {
  # `make build-arm64` writes the zip here (and its architecture record, bootstrap.zip.arch);
  # infra/tests/package_path.py checks that the Makefile, the READMEs and this default agree.
  package_path = coalesce(var.package_path, "${path.root}/../../../target/lambda-arm64/cross-account-s3-writer/bootstrap.zip")
}

module "writer_function" {
  source = "../../modules/writer-function"
  providers = {
    aws = aws.lambda
  }

  function_name         = var.function_name
  package_path          = local.package_path
  architecture          = var.architecture
  memory_size           = var.memory_size
  timeout               = var.timeout
  reserved_concurrency  = var.reserved_concurrency
  log_level             = var.log_level
  log_retention_in_days = var.log_retention_in_days

  target_role_arn       = module.target_bucket.role_arn
  target_bucket         = module.target_bucket.bucket_name
  target_bucket_owner   = var.bucket_account_id
  target_region         = module.target_bucket.bucket_region
  external_id           = var.external_id
  key_prefix            = var.key_prefix
  sse_kms_key_arn       = module.target_bucket.kms_key_arn
  role_session_seconds  = var.role_session_seconds
  max_concurrent_writes = var.max_concurrent_writes
  ses_raw_mail_bucket   = var.ses_raw_mail_bucket
  ses_raw_mail_prefix   = var.ses_raw_mail_prefix
  # the raw-mail bucket's customer managed KMS key (kms:Decrypt through S3), null: none
  ses_raw_mail_kms_key_arn = var.ses_raw_mail_kms_key_arn

  create_sqs_trigger    = var.create_sqs_trigger
  sqs_queue_name        = var.sqs_queue_name
  sqs_dlq_name          = var.sqs_dlq_name
  sqs_max_receive_count = var.sqs_max_receive_count

  create_sns_trigger = var.create_sns_trigger
  sns_topic_arn      = var.sns_topic_arn

  create_eventbridge_trigger = var.create_eventbridge_trigger
  eventbridge_event_pattern  = var.eventbridge_event_pattern

  create_s3_trigger       = var.create_s3_trigger
  s3_source_bucket        = var.s3_source_bucket
  s3_source_filter_prefix = var.s3_source_filter_prefix
  s3_source_kms_key_arn   = var.s3_source_kms_key_arn

  create_function_url = var.create_function_url

  # central-archive triggers (off while {} / null)
  cloudwatch_logs_subscriptions = var.cloudwatch_logs_subscriptions
  s3_notification_queue         = var.s3_notification_queue
  s3_eventbridge                = var.s3_eventbridge

  failure_queue_name                 = var.failure_queue_name
  async_maximum_retry_attempts       = var.async_maximum_retry_attempts
  async_maximum_event_age_in_seconds = var.async_maximum_event_age_in_seconds
  metrics_namespace                  = var.metrics_namespace
  create_alarms                      = var.create_alarms
  alarm_sns_topic_arn                = var.alarm_sns_topic_arn

  records_failed_alarm_treat_missing_data = var.records_failed_alarm_treat_missing_data

  # every other input, from variables of the same name (or noted)
  description                              = var.function_description
  log_group_kms_key_arn                    = var.log_group_kms_key_arn
  system_log_level                         = var.system_log_level
  execution_role_name                      = var.execution_role_name
  permissions_boundary                     = var.execution_role_permissions_boundary
  tags                                     = var.resource_tags
  role_session_name                        = var.role_session_name
  sqs_batch_size                           = var.sqs_batch_size
  sqs_maximum_batching_window_in_seconds   = var.sqs_maximum_batching_window_in_seconds
  sqs_maximum_concurrency                  = var.sqs_maximum_concurrency
  sqs_visibility_timeout_seconds           = var.sqs_visibility_timeout_seconds
  sqs_message_retention_seconds            = var.sqs_message_retention_seconds
  eventbridge_bus_name                     = var.eventbridge_bus_name
  s3_source_events                         = var.s3_source_events
  s3_source_filter_suffix                  = var.s3_source_filter_suffix
  failure_queue_retention_seconds          = var.failure_queue_retention_seconds
  eventbridge_maximum_retry_attempts       = var.eventbridge_maximum_retry_attempts
  eventbridge_maximum_event_age_in_seconds = var.eventbridge_maximum_event_age_in_seconds
  alarm_period_seconds                     = var.alarm_period_seconds

  # data-lake delivery (the function's defaults while null)
  key_template         = var.key_template
  object_mode          = var.object_mode
  max_batch_bytes      = var.max_batch_bytes
  content_encoding     = var.content_encoding
  max_concurrent_parts = var.max_concurrent_parts

  # stream triggers (off while the ARNs are null)
  kinesis_stream_arn                        = var.kinesis_stream_arn
  dynamodb_stream_arn                       = var.dynamodb_stream_arn
  stream_starting_position                  = var.stream_starting_position
  stream_batch_size                         = var.stream_batch_size
  stream_maximum_batching_window_in_seconds = var.stream_maximum_batching_window_in_seconds
  stream_parallelization_factor             = var.stream_parallelization_factor
  stream_maximum_retry_attempts             = var.stream_maximum_retry_attempts
  stream_maximum_record_age_in_seconds      = var.stream_maximum_record_age_in_seconds
  stream_bisect_batch_on_function_error     = var.stream_bisect_batch_on_function_error

  # optional hardening (off by default, except the trust pinned to this function)
  execution_role_arn                   = var.execution_role_arn
  restrict_execution_trust_to_function = var.restrict_execution_trust_to_function
  tracing_mode                         = var.tracing_mode
  publish                              = var.publish
  alias_name                           = var.alias_name
}

module "target_bucket" {
  source = "../../modules/target-bucket"
  providers = {
    aws = aws.bucket
  }

  bucket_name   = var.bucket_name
  create_bucket = var.create_bucket
  force_destroy = var.force_destroy

  create_kms_key       = var.create_kms_key
  existing_kms_key_arn = var.existing_kms_key_arn

  role_name               = var.target_role_name
  execution_role_arn      = module.writer_function.lambda_role_arn
  external_id             = var.external_id
  additional_external_ids = var.additional_external_ids
  key_prefix              = var.key_prefix

  # every other input, from variables of the same name (or noted)
  manage_bucket_settings             = var.manage_bucket_settings
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  kms_key_deletion_window_in_days    = var.kms_key_deletion_window_in_days
  permissions_boundary               = var.target_role_permissions_boundary
  tags                               = var.resource_tags

  # bucket policy and lifecycle: the module's hardening plus the caller's additions
  deny_other_prefix_writers    = var.deny_other_prefix_writers
  prefix_writer_exception_arns = var.prefix_writer_exception_arns
  bucket_policy_statements     = var.bucket_policy_statements
  lifecycle_rules              = var.lifecycle_rules
}
