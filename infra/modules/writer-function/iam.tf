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
    # S3 through SQS / through EventBridge: the same read (and decrypt) documents as the S3
    # trigger, scoped to their own bucket and prefix; the notification queue is consumed like the
    # SQS trigger's queue. (triggers_s3_queue.tf, triggers_s3_eventbridge.tf)
    local.s3_notification_queue == null ? {} : merge(
      {
        "consume-s3-notification-queue"     = templatefile("${local.policies}/execution-consume-queue.json.tftpl", { queue_arn = aws_sqs_queue.s3_notifications[0].arn })
        "read-s3-notification-queue-source" = templatefile("${local.policies}/execution-read-source.json.tftpl", { source_bucket_arn = local.s3_notification_queue.read_scope })
      },
      local.s3_notification_queue.kms_key_arn == null ? {} : {
        "decrypt-s3-notification-queue-source" = templatefile("${local.policies}/execution-decrypt-source.json.tftpl", {
          kms_key_arn = local.s3_notification_queue.kms_key_arn
          region      = local.region
          bucket_arn  = local.s3_notification_queue.bucket_arn
          object_arns = "${local.s3_notification_queue.read_scope}/*"
        })
      },
    ),
    local.s3_eventbridge == null ? {} : merge(
      {
        "read-s3-eventbridge-source" = templatefile("${local.policies}/execution-read-source.json.tftpl", { source_bucket_arn = local.s3_eventbridge.read_scope })
      },
      local.s3_eventbridge.kms_key_arn == null ? {} : {
        "decrypt-s3-eventbridge-source" = templatefile("${local.policies}/execution-decrypt-source.json.tftpl", {
          kms_key_arn = local.s3_eventbridge.kms_key_arn
          region      = local.region
          bucket_arn  = local.s3_eventbridge.bucket_arn
          object_arns = "${local.s3_eventbridge.read_scope}/*"
        })
      },
    ),
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
