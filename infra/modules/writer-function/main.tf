# Lambda account: the writer function, its execution role, its log group and optional triggers.
#
# Every policy document is rendered from policies/*.json.tftpl, inside this module (the same files the local
# emulator provisions with); nothing here is written inline.
#
# Files by concern: main.tf (log group, function, alias, Function URL), locals.tf, iam.tf (execution
# role and its policies), failures.tf (failure queue, asynchronous invocation settings),
# triggers_<kind>.tf (one per trigger), alarms.tf.

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
# Function URL (AWS_IAM auth)
################################################################################

resource "aws_lambda_function_url" "this" {
  count = var.create_function_url ? 1 : 0

  function_name      = aws_lambda_function.this.function_name
  qualifier          = local.invoke_qualifier
  authorization_type = "AWS_IAM"
}
