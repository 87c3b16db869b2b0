# Lambda account: the writer function, its execution role, its log group and optional triggers.
#
# Every policy document is rendered from policies/*.json.tftpl, inside this module (the same files the local
# emulator provisions with); nothing here is written inline.

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

################################################################################
# Execution role
################################################################################

# What the function's code and Lambda (logs, on-failure destination) do as the execution role:
# name => policy JSON, each rendered from one template. The module attaches them to the role it
# creates; a role brought in with execution_role_arn needs exactly these (the
# execution_role_required_policies output).
locals {
  execution_policies = merge(
    {
      "assume-target-role"       = templatefile("${local.policies}/execution-assume-target.json.tftpl", { target_role_arn = var.target_role_arn })
      "write-own-log-group"      = templatefile("${local.policies}/execution-logs.json.tftpl", { log_group_arn = aws_cloudwatch_log_group.this.arn })
      "send-failed-async-events" = templatefile("${local.policies}/execution-send-failures.json.tftpl", { queue_arn = aws_sqs_queue.failures.arn })
    },
    # s3:GetObject and s3:GetObjectVersion on the source bucket's objects (only under the filter
    # prefix when there is one): the function copies the exact version a notification names
    # (GetObject with versionId needs s3:GetObjectVersion). (Without s3_source_bucket the plan
    # fails on aws_lambda_permission.s3's precondition.)
    var.create_s3_trigger && var.s3_source_bucket != null ? {
      "read-s3-trigger-source" = templatefile("${local.policies}/execution-read-source.json.tftpl", { source_bucket_arn = local.s3_source_read_scope })
    } : {},
    # s3:GetObject only, on exactly <bucket>/<prefix>*: SES receipt events name no object
    # version, so the function reads the current one (no s3:GetObjectVersion).
    var.ses_raw_mail_bucket == null ? {} : {
      "read-ses-raw-mail" = templatefile("${local.policies}/execution-read-raw-mail.json.tftpl", {
        raw_mail_bucket_arn = local.ses_raw_mail_bucket_arn
        raw_mail_prefix     = var.ses_raw_mail_prefix
      })
    },
    # kms:Decrypt for objects the function reads that are encrypted with a customer managed key:
    # exactly that key, only through S3 of this region (kms:ViaService), only for that bucket's
    # objects (the encryption context S3 sends is the object ARN, or the bucket ARN when the
    # object was written with an S3 Bucket Key).
    var.create_s3_trigger && var.s3_source_bucket != null && var.s3_source_kms_key_arn != null ? {
      "decrypt-s3-trigger-source" = templatefile("${local.policies}/execution-decrypt-source.json.tftpl", {
        kms_key_arn = var.s3_source_kms_key_arn
        region      = local.region
        bucket_arn  = local.s3_source_bucket_arn
        object_arns = "${local.s3_source_read_scope}/*"
      })
    } : {},
    var.ses_raw_mail_bucket == null || var.ses_raw_mail_kms_key_arn == null ? {} : {
      "decrypt-ses-raw-mail" = templatefile("${local.policies}/execution-decrypt-raw-mail.json.tftpl", {
        kms_key_arn = var.ses_raw_mail_kms_key_arn
        region      = local.region
        bucket_arn  = local.ses_raw_mail_bucket_arn
        object_arns = "${local.ses_raw_mail_bucket_arn}/${var.ses_raw_mail_prefix}*"
      })
    },
    # Stream triggers: Lambda's poller reads the stream as the execution role; exactly that
    # stream (and, for DynamoDB, listing that table's streams).
    var.kinesis_stream_arn == null ? {} : {
      "read-kinesis-trigger-stream" = templatefile("${local.policies}/execution-read-kinesis.json.tftpl", { stream_arn = var.kinesis_stream_arn })
    },
    var.dynamodb_stream_arn == null ? {} : {
      "read-dynamodb-trigger-stream" = templatefile("${local.policies}/execution-read-dynamodb-stream.json.tftpl", {
        stream_arn = var.dynamodb_stream_arn
        table_arn  = regex("^(.+:table/[^/]+)/stream/", var.dynamodb_stream_arn)[0]
      })
    },
    var.create_sqs_trigger ? {
      "consume-trigger-queue" = templatefile("${local.policies}/execution-consume-queue.json.tftpl", { queue_arn = aws_sqs_queue.this[0].arn })
    } : {},
    # Active tracing: the Lambda service and runtime send the invocation's segments as the
    # execution role (X-Ray has no resource-level permissions).
    var.tracing_mode == "Active" ? {
      "write-xray-traces" = templatefile("${local.policies}/execution-xray.json.tftpl", {})
    } : {},
  )

  # Lambda assumes the role for this account's functions, or (restrict_execution_trust_to_function)
  # for this function only: its ARN, unqualified or with a version/alias.
  execution_trust = var.restrict_execution_trust_to_function ? templatefile("${local.policies}/execution-trust-function.json.tftpl", {
    lambda_account_id = local.account_id
    function_arn      = local.function_arn
    }) : templatefile("${local.policies}/execution-trust.json.tftpl", {
    lambda_account_id = local.account_id
  })
}

resource "aws_iam_role" "execution" {
  count = local.create_execution_role ? 1 : 0

  name                 = local.execution_role_name
  description          = "Execution role of the ${var.function_name} Lambda function"
  assume_role_policy   = local.execution_trust
  permissions_boundary = var.permissions_boundary
  tags                 = var.tags

  lifecycle {
    precondition {
      condition     = length(local.execution_role_name) <= 64
      error_message = "The execution role name \"${local.execution_role_name}\" is longer than 64 characters: set execution_role_name."
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  for_each = local.create_execution_role ? local.execution_policies : {}

  name   = each.key
  role   = aws_iam_role.execution[0].id
  policy = each.value
}

# The role has exactly these inline policies and no managed policy: one added by hand (console,
# CLI) shows up in the next plan, and apply removes it.
resource "aws_iam_role_policies_exclusive" "execution" {
  count = local.create_execution_role ? 1 : 0

  role_name    = aws_iam_role.execution[0].name
  policy_names = [for p in aws_iam_role_policy.execution : p.name]
}

resource "aws_iam_role_policy_attachments_exclusive" "execution" {
  count = local.create_execution_role ? 1 : 0

  role_name   = aws_iam_role.execution[0].name
  policy_arns = []
}

# State written by module versions before bring-your-own roles (one resource per policy).
moved {
  from = aws_iam_role.execution
  to   = aws_iam_role.execution[0]
}
moved {
  from = aws_iam_role_policy.assume_target
  to   = aws_iam_role_policy.execution["assume-target-role"]
}
moved {
  from = aws_iam_role_policy.logs
  to   = aws_iam_role_policy.execution["write-own-log-group"]
}
moved {
  from = aws_iam_role_policy.send_failures
  to   = aws_iam_role_policy.execution["send-failed-async-events"]
}
moved {
  from = aws_iam_role_policy.read_s3_source[0]
  to   = aws_iam_role_policy.execution["read-s3-trigger-source"]
}
moved {
  from = aws_iam_role_policy.read_ses_raw_mail[0]
  to   = aws_iam_role_policy.execution["read-ses-raw-mail"]
}
moved {
  from = aws_iam_role_policy.consume_queue[0]
  to   = aws_iam_role_policy.execution["consume-trigger-queue"]
}
moved {
  from = aws_iam_role_policies_exclusive.execution
  to   = aws_iam_role_policies_exclusive.execution[0]
}
moved {
  from = aws_iam_role_policy_attachments_exclusive.execution
  to   = aws_iam_role_policy_attachments_exclusive.execution[0]
}

################################################################################
# Logs
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.log_group_kms_key_arn
  tags              = var.tags
}

################################################################################
# Function
################################################################################

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_50:Tracing is opt-in (tracing_mode = "Active"): the function's code emits no segments of its own, so by default Active tracing would add cost and an X-Ray grant for little.
  # checkov:skip=CKV_AWS_116:Failed asynchronous invocations go to the failure queue through aws_lambda_function_event_invoke_config (an on-failure destination, which also carries the error and the response, unlike dead_letter_config); the SQS trigger has its redrive dead-letter queue.
  # checkov:skip=CKV_AWS_117:The function calls only public AWS endpoints (STS, S3); a VPC adds NAT or endpoint cost and protects nothing here.
  # checkov:skip=CKV_AWS_173:The environment holds no secret (the ExternalId is a confused-deputy guard, not a credential); Lambda encrypts it at rest with an AWS managed key.
  # checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile; the deployed zip is pinned by source_code_hash.
  function_name = var.function_name
  description   = var.description
  role          = local.execution_role_arn

  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = [var.architecture]

  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)

  publish = var.publish

  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = coalesce(var.reserved_concurrency, -1)

  environment {
    variables = local.environment
  }

  tracing_config {
    mode = var.tracing_mode
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.this.name
    application_log_level = var.log_level
    system_log_level      = var.system_log_level
  }

  tags = var.tags

  # Permissions first: the function must not run (and Lambda must not create the log group
  # itself) before it may write logs and assume the target role.
  depends_on = [aws_iam_role_policy.execution]

  lifecycle {
    precondition {
      condition     = local.create_execution_role || split(":", coalesce(var.execution_role_arn, "::::"))[4] == local.account_id
      error_message = "execution_role_arn must be a role of the function's own account (${local.account_id}): Lambda cannot use another account's role."
    }
    precondition {
      condition     = local.create_execution_role || (var.execution_role_name == null && var.permissions_boundary == null)
      error_message = "execution_role_name and permissions_boundary shape the role the module creates; with execution_role_arn (your own role) set them on that role instead."
    }
    # The build records its architecture next to the zip: a binary of the other architecture
    # would fail every invocation with an exec format error, so refuse it here.
    precondition {
      condition     = local.package_arch == null || local.package_arch == var.architecture
      error_message = "The package ${var.package_path} was built for ${coalesce(local.package_arch, "?")} (${local.package_arch_path}), but architecture = \"${var.architecture}\": build it with `${var.architecture == "arm64" ? "make build-arm64" : "make build-host"}` (x86_64 on an x86_64 machine), or set architecture = \"${coalesce(local.package_arch, "?")}\"."
    }
    precondition {
      condition     = var.s3_source_kms_key_arn == null || var.create_s3_trigger
      error_message = "s3_source_kms_key_arn grants kms:Decrypt for the S3 trigger's source bucket: it needs create_s3_trigger = true."
    }
    precondition {
      condition     = var.ses_raw_mail_kms_key_arn == null || var.ses_raw_mail_bucket != null
      error_message = "ses_raw_mail_kms_key_arn grants kms:Decrypt for the SES raw-mail bucket: it needs ses_raw_mail_bucket."
    }
    precondition {
      condition     = var.alias_name == null || var.publish
      error_message = "alias_name needs publish = true: an alias points at a published version."
    }
  }
}

# Without the build's record the architecture cannot be checked: a warning, not an error (a zip
# built by other means, or by a version of the Makefile before the record).
check "package_architecture_recorded" {
  assert {
    condition     = local.package_arch != null || !fileexists(var.package_path) # (a missing zip is refused by package_path's validation)
    error_message = "The architecture of ${var.package_path} could not be verified: ${local.package_arch_path} does not exist. `make build-arm64` writes it (arm64; `make build-host` on an x86_64 machine for x86_64); a zip of the other architecture than architecture = \"${var.architecture}\" fails every invocation with an exec format error."
  }
}

# The alias the triggers invoke when there is one (publish + alias_name): a deployment publishes
# a version and moves the alias, and a rollback moves it back, while every trigger, permission
# and the asynchronous configuration stay pinned to the alias.
resource "aws_lambda_alias" "this" {
  count = var.alias_name == null ? 0 : 1

  name             = var.alias_name
  description      = "What the triggers of ${var.function_name} invoke"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}

locals {
  # What triggers invoke: the alias, or the unqualified function ($LATEST).
  invoke_arn       = var.alias_name == null ? aws_lambda_function.this.arn : aws_lambda_alias.this[0].arn
  invoke_qualifier = var.alias_name == null ? null : aws_lambda_alias.this[0].name
}

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

# SNS (subscription dead letters) and EventBridge (target dead letters) send as their service,
# each pinned to its own topic or rule by aws:SourceArn.
resource "aws_sqs_queue_policy" "failures" {
  count = var.create_sns_trigger || var.create_eventbridge_trigger ? 1 : 0

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

################################################################################
# Trigger: SQS queue + dead-letter queue + event source mapping
################################################################################

resource "aws_sqs_queue" "dlq" {
  count = var.create_sqs_trigger ? 1 : 0

  name                      = local.sqs_dlq_name
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_sqs_queue" "this" {
  count = var.create_sqs_trigger ? 1 : 0

  name                       = local.sqs_queue_name
  visibility_timeout_seconds = local.sqs_visibility_timeout
  message_retention_seconds  = var.sqs_message_retention_seconds
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[0].arn
    maxReceiveCount     = var.sqs_max_receive_count
  })
  tags = var.tags

  lifecycle {
    precondition {
      condition     = local.sqs_visibility_timeout >= local.sqs_visibility_timeout_minimum
      error_message = "The queue's visibility timeout (${local.sqs_visibility_timeout} s) must be at least 6 x the function timeout plus the batching window (${local.sqs_visibility_timeout_minimum} s): otherwise a message still being processed becomes visible again and is processed twice."
    }
  }
}

resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  count = var.create_sqs_trigger ? 1 : 0

  queue_url = aws_sqs_queue.dlq[0].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this[0].arn]
  })
}

resource "aws_lambda_event_source_mapping" "sqs" {
  count = var.create_sqs_trigger ? 1 : 0

  event_source_arn                   = aws_sqs_queue.this[0].arn
  function_name                      = local.invoke_arn
  batch_size                         = var.sqs_batch_size
  maximum_batching_window_in_seconds = var.sqs_maximum_batching_window_in_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  dynamic "scaling_config" {
    for_each = var.sqs_maximum_concurrency == null ? [] : [var.sqs_maximum_concurrency]
    content {
      maximum_concurrency = scaling_config.value
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.sqs_batch_size <= 10 || var.sqs_maximum_batching_window_in_seconds >= 1
      error_message = "sqs_batch_size above 10 needs sqs_maximum_batching_window_in_seconds >= 1."
    }
  }

  # CreateEventSourceMapping checks that the execution role may read the queue.
  depends_on = [aws_iam_role_policy.execution]
}

################################################################################
# Triggers: existing Kinesis data stream, DynamoDB stream (event source mappings)
################################################################################

locals {
  stream_triggers = merge(
    var.kinesis_stream_arn == null ? {} : { kinesis = var.kinesis_stream_arn },
    var.dynamodb_stream_arn == null ? {} : { dynamodb = var.dynamodb_stream_arn },
  )
}

# The function answers a stream batch with batchItemFailures (sequence numbers): Lambda retries
# from the first failed record, so records before it are not written twice. A batch that keeps
# failing is split (bisect) and, after stream_maximum_retry_attempts or
# stream_maximum_record_age_in_seconds, skipped: its description (shard, sequence number range,
# not the data) goes to the failure queue, and the shard moves on.
resource "aws_lambda_event_source_mapping" "stream" {
  for_each = local.stream_triggers

  event_source_arn                   = each.value
  function_name                      = local.invoke_arn
  starting_position                  = var.stream_starting_position
  batch_size                         = var.stream_batch_size
  maximum_batching_window_in_seconds = var.stream_maximum_batching_window_in_seconds
  parallelization_factor             = var.stream_parallelization_factor
  maximum_retry_attempts             = var.stream_maximum_retry_attempts
  maximum_record_age_in_seconds      = var.stream_maximum_record_age_in_seconds
  bisect_batch_on_function_error     = var.stream_bisect_batch_on_function_error
  function_response_types            = ["ReportBatchItemFailures"]

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.failures.arn
    }
  }

  tags = var.tags

  # CreateEventSourceMapping checks that the execution role may read the stream and send to
  # the on-failure destination.
  depends_on = [aws_iam_role_policy.execution]
}

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

################################################################################
# Trigger: S3 notifications from an existing bucket in the lambda account
################################################################################

resource "aws_lambda_permission" "s3" {
  count = var.create_s3_trigger ? 1 : 0

  statement_id   = "AllowInvokeFromSourceBucket"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  qualifier      = local.invoke_qualifier
  principal      = "s3.amazonaws.com"
  source_arn     = local.s3_source_bucket_arn
  source_account = local.account_id

  lifecycle {
    precondition {
      condition     = var.s3_source_bucket != null
      error_message = "create_s3_trigger = true needs s3_source_bucket."
    }
  }
}

resource "aws_s3_bucket_notification" "this" {
  count = var.create_s3_trigger ? 1 : 0

  bucket = var.s3_source_bucket

  lambda_function {
    id                  = var.function_name
    lambda_function_arn = local.invoke_arn
    events              = var.s3_source_events
    filter_prefix       = var.s3_source_filter_prefix
    filter_suffix       = var.s3_source_filter_suffix
  }

  # S3 validates the destination when the configuration is written.
  depends_on = [aws_lambda_permission.s3]
}

################################################################################
# Function URL (AWS_IAM auth)
################################################################################

resource "aws_lambda_function_url" "this" {
  count = var.create_function_url ? 1 : 0

  function_name      = aws_lambda_function.this.function_name
  qualifier          = local.invoke_qualifier
  authorization_type = "AWS_IAM"
}

################################################################################
# Alarms (optional)
################################################################################

locals {
  function_dimensions = { FunctionName = var.function_name }

  # name suffix => what to watch. Every alarm fires on the first occurrence (> 0) in a period.
  alarms = !var.create_alarms ? {} : merge(
    {
      failure-queue-not-empty = {
        description = "Asynchronous invocations of ${var.function_name} failed every attempt (or SNS/EventBridge could not deliver): their records wait in ${local.failure_queue_name}."
        namespace   = "AWS/SQS"
        metric_name = "ApproximateNumberOfMessagesVisible"
        statistic   = "Maximum"
        dimensions  = { QueueName = aws_sqs_queue.failures.name }
      }
      errors = {
        description = "Invocations of ${var.function_name} that returned an error."
        namespace   = "AWS/Lambda"
        metric_name = "Errors"
        statistic   = "Sum"
        dimensions  = local.function_dimensions
      }
      throttles = {
        description = "Invocations of ${var.function_name} throttled (concurrency)."
        namespace   = "AWS/Lambda"
        metric_name = "Throttles"
        statistic   = "Sum"
        dimensions  = local.function_dimensions
      }
      async-events-dropped = {
        description = "Asynchronous events of ${var.function_name} given up on (retries or event age exhausted); each was sent to the failure queue unless destination-delivery-failures fires too."
        namespace   = "AWS/Lambda"
        metric_name = "AsyncEventsDropped"
        statistic   = "Sum"
        dimensions  = local.function_dimensions
      }
      destination-delivery-failures = {
        description = "Lambda could not send a failed asynchronous event of ${var.function_name} to the failure queue: that event is lost."
        namespace   = "AWS/Lambda"
        metric_name = "DestinationDeliveryFailures"
        statistic   = "Sum"
        dimensions  = local.function_dimensions
      }
      records-failed = {
        description = "Records ${var.function_name} could not write (its RecordsFailed metric, EMF, dimension set [FunctionName])."
        namespace   = local.metrics_namespace
        metric_name = "RecordsFailed"
        statistic   = "Sum"
        dimensions  = local.function_dimensions
      }
    },
    !var.create_sqs_trigger ? {} : {
      dlq-not-empty = {
        description = "SQS messages for ${var.function_name} failed ${var.sqs_max_receive_count} receives and wait in its dead-letter queue."
        namespace   = "AWS/SQS"
        metric_name = "ApproximateNumberOfMessagesVisible"
        statistic   = "Maximum"
        dimensions  = { QueueName = aws_sqs_queue.dlq[0].name }
      }
    },
  )
  alarm_actions = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.function_name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  statistic           = each.value.statistic
  dimensions          = each.value.dimensions
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  # No data = nothing happened (AWS/Lambda metrics are only published when the function runs).
  # records-failed, the function's own EMF metric: no data is an idle function, or metric lines
  # that did not arrive; records_failed_alarm_treat_missing_data decides (notBreaching by default).
  treat_missing_data = each.key == "records-failed" ? var.records_failed_alarm_treat_missing_data : "notBreaching"
  alarm_actions      = local.alarm_actions
  ok_actions         = local.alarm_actions
  tags               = var.tags
}
