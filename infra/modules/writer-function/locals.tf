# What the module derives from its inputs and from where it runs (account, region, partition):
# names, the function's ARN and environment, the S3 trigger's read scope, the SQS visibility timeout.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  policies   = "${path.module}/policies"
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  # (the stand-in provider of the offline tests fills id, not region)
  region = coalesce(data.aws_region.current.region, data.aws_region.current.id)

  # The function's ARN, known before it exists (the execution role's trust may name it).
  function_arn = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${var.function_name}"

  create_execution_role = var.execution_role_arn == null
  execution_role_name   = coalesce(var.execution_role_name, "${var.function_name}-execution")
  execution_role_arn    = local.create_execution_role ? aws_iam_role.execution[0].arn : var.execution_role_arn
  log_group_name        = "/aws/lambda/${var.function_name}"
  metrics_namespace     = coalesce(var.metrics_namespace, var.function_name)
  failure_queue_name    = coalesce(var.failure_queue_name, "${var.function_name}-failures")
  sqs_queue_name        = coalesce(var.sqs_queue_name, var.function_name)
  sqs_dlq_name          = coalesce(var.sqs_dlq_name, "${local.sqs_queue_name}-dlq")

  # The function's configuration. Everything but the ExternalId, so it can be shown as an output.
  environment_public = merge(
    {
      TARGET_ROLE_ARN       = var.target_role_arn
      TARGET_BUCKET         = var.target_bucket
      TARGET_BUCKET_OWNER   = coalesce(var.target_bucket_owner, split(":", var.target_role_arn)[4])
      KEY_PREFIX            = var.key_prefix
      ROLE_SESSION_NAME     = coalesce(var.role_session_name, var.function_name)
      ROLE_SESSION_SECONDS  = tostring(var.role_session_seconds)
      MAX_CONCURRENT_WRITES = tostring(var.max_concurrent_writes)
      METRICS_NAMESPACE     = local.metrics_namespace
    },
    var.target_region == null ? {} : { TARGET_REGION = var.target_region },
    var.sse_kms_key_arn == null ? {} : { SSE_KMS_KEY_ARN = var.sse_kms_key_arn },
    var.ses_raw_mail_bucket == null ? {} : { SES_RAW_MAIL_BUCKET = var.ses_raw_mail_bucket },
    var.ses_raw_mail_bucket == null || var.ses_raw_mail_prefix == "" ? {} : { SES_RAW_MAIL_PREFIX = var.ses_raw_mail_prefix },
    # Set only when given: the function's defaults are documented in one place, its README.
    { for name, value in {
      KEY_TEMPLATE         = var.key_template
      OBJECT_MODE          = var.object_mode
      MAX_BATCH_BYTES      = var.max_batch_bytes == null ? null : tostring(var.max_batch_bytes)
      CONTENT_ENCODING     = var.content_encoding
      MAX_CONCURRENT_PARTS = var.max_concurrent_parts == null ? null : tostring(var.max_concurrent_parts)
    } : name => value if value != null },
  )
  environment = merge(local.environment_public, { TARGET_EXTERNAL_ID = var.external_id })

  s3_source_bucket_arn = var.s3_source_bucket == null ? null : "arn:${local.partition}:s3:::${var.s3_source_bucket}"
  # What execution-read-source.json.tftpl grants "<this>/*" on: the bucket, or only the filter
  # prefix (validated to end with '/', so "<bucket>/<prefix without '/'>/*" is exactly it).
  s3_source_read_scope = var.s3_source_filter_prefix == null || local.s3_source_bucket_arn == null ? local.s3_source_bucket_arn : "${local.s3_source_bucket_arn}/${trimsuffix(var.s3_source_filter_prefix, "/")}"

  ses_raw_mail_bucket_arn = var.ses_raw_mail_bucket == null ? null : "arn:${local.partition}:s3:::${var.ses_raw_mail_bucket}"

  # The build's architecture record next to the zip (`make build-arm64` / `make build-host` write
  # "<zip>.arch": arm64 or x86_64); null when there is none.
  package_arch_path = "${var.package_path}.arch"
  package_arch      = fileexists(local.package_arch_path) ? trimspace(file(local.package_arch_path)) : null

  # AWS: at least 6 x the function timeout plus the batching window (a message can wait the
  # window before its batch starts, and Lambda may retry a throttled batch).
  sqs_visibility_timeout_minimum = 6 * var.timeout + var.sqs_maximum_batching_window_in_seconds
  sqs_visibility_timeout         = coalesce(var.sqs_visibility_timeout_seconds, min(43200, local.sqs_visibility_timeout_minimum))
}
