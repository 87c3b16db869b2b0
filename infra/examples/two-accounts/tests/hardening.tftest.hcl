# The optional hardening inputs of writer-function: the execution role's trust pinned to the
# function (aws:SourceArn), X-Ray tracing, a published version + alias that every trigger
# invokes, and a bring-your-own execution role. Each off by default ("defaults" checks that).

mock_provider "aws" {
  alias  = "lambda"
  source = "./tests/mocks/lambda"
}

mock_provider "aws" {
  alias  = "bucket"
  source = "./tests/mocks/bucket"
}

variables {
  lambda_account_id = "111111111111"
  bucket_account_id = "222222222222"
  lambda_region     = "eu-west-1"
  bucket_region     = "eu-central-1"
  bucket_name       = "test-target-bucket"
  external_id       = "test-external-id-0123"
  package_path      = "tests/fixtures/package-placeholder.txt"

  create_sqs_trigger         = true
  create_sns_trigger         = true
  sns_topic_arn              = "arn:aws:sns:eu-west-1:111111111111:events"
  create_eventbridge_trigger = true
  eventbridge_event_pattern  = "{\"source\":[\"test.app\"]}"
  create_s3_trigger          = true
  s3_source_bucket           = "test-source-bucket"
  create_function_url        = true
}

run "defaults" {
  command = apply

  assert {
    condition = [for s in jsondecode(module.writer_function.execution_role_trust_policy).Statement : s.Condition] == [{
      StringEquals = { "aws:SourceAccount" = "111111111111" }
      ArnLike      = { "aws:SourceArn" = [module.writer_function.function_arn, "${module.writer_function.function_arn}:*"] }
    }]
    error_message = "By default the execution role trusts Lambda for this function only (aws:SourceAccount and aws:SourceArn; restrict_execution_trust_to_function defaults to true)."
  }
  assert {
    condition     = module.writer_function.tracing_mode == "PassThrough" && !contains(keys(module.writer_function.execution_role_policies), "write-xray-traces")
    error_message = "By default tracing is PassThrough and the role has no X-Ray grant."
  }
  assert {
    condition = module.writer_function.alias_arn == null && alltrue([
      for t in ["sqs", "sns", "eventbridge", "s3"] : module.writer_function.trigger_invoke_targets[t] == module.writer_function.function_arn
      ]) && module.writer_function.trigger_invoke_targets["function_url"] == null && module.writer_function.async_invoke_config.qualifier == null && alltrue([
      for p in values(module.writer_function.lambda_permissions) : p.qualifier == null
    ])
    error_message = "Without an alias every trigger, permission and the asynchronous configuration use the unqualified function."
  }
  assert {
    condition     = module.writer_function.execution_role_created && module.writer_function.execution_role_policies == module.writer_function.execution_role_required_policies
    error_message = "The module creates the execution role and attaches exactly the policies it requires."
  }
}

run "hardened" {
  command = apply

  variables {
    restrict_execution_trust_to_function = true
    tracing_mode                         = "Active"
    publish                              = true
    alias_name                           = "live"
  }

  # --- trust: this function only ------------------------------------------------------------
  assert {
    condition = [for s in jsondecode(module.writer_function.execution_role_trust_policy).Statement : {
      principal = s.Principal, action = s.Action, condition = s.Condition
      }] == [{
      principal = { Service = "lambda.amazonaws.com" }
      action    = "sts:AssumeRole"
      condition = {
        StringEquals = { "aws:SourceAccount" = "111111111111" }
        ArnLike = { "aws:SourceArn" = [
          module.writer_function.function_arn,
          "${module.writer_function.function_arn}:*",
        ] }
      }
    }]
    error_message = "With restrict_execution_trust_to_function the execution role trusts Lambda only for this function (aws:SourceArn = its ARN or a version/alias of it)."
  }

  # --- X-Ray -----------------------------------------------------------------------------------
  assert {
    condition = module.writer_function.tracing_mode == "Active" && jsondecode(module.writer_function.execution_role_policies["write-xray-traces"]).Statement == [{
      Sid      = "SendTraceSegments"
      Effect   = "Allow"
      Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      Resource = "*"
    }]
    error_message = "Active tracing needs exactly xray:PutTraceSegments and xray:PutTelemetryRecords."
  }
  assert {
    condition     = contains(module.writer_function.execution_role_exclusive.policy_names, "write-xray-traces")
    error_message = "The X-Ray policy must be in the role's exclusive policy list."
  }

  # --- every trigger invokes the alias ----------------------------------------------------------
  assert {
    condition = module.writer_function.alias_arn == "arn:aws:lambda:eu-west-1:111111111111:function:cross-account-s3-writer:live" && alltrue([
      for t in ["sqs", "sns", "eventbridge", "s3"] : module.writer_function.trigger_invoke_targets[t] == module.writer_function.alias_arn
    ]) && module.writer_function.trigger_invoke_targets["function_url"] == "live"
    error_message = "With alias_name the SQS mapping, SNS subscription, EventBridge target, S3 notification and Function URL must invoke the alias: ${jsonencode(module.writer_function.trigger_invoke_targets)}"
  }
  assert {
    condition = module.writer_function.async_invoke_config.qualifier == "live" && length(module.writer_function.lambda_permissions) == 3 && alltrue([
      for p in values(module.writer_function.lambda_permissions) : p.qualifier == "live"
    ])
    error_message = "With alias_name the invoke permissions and the on-failure configuration must be on the alias (the alias is what is invoked)."
  }
}

run "bring_your_own_role" {
  command = apply

  variables {
    execution_role_arn = "arn:aws:iam::111111111111:role/platform/writer-execution"
  }

  assert {
    condition     = !module.writer_function.execution_role_created && module.writer_function.function_role_arn == var.execution_role_arn && module.writer_function.execution_role_arn == var.execution_role_arn && module.writer_function.execution_role_name == "writer-execution"
    error_message = "With execution_role_arn the function runs as that role and the module creates none."
  }
  assert {
    condition     = module.writer_function.execution_role_policies == {} && module.writer_function.execution_role_exclusive == null && module.writer_function.execution_role_trust_policy == null
    error_message = "The module must not attach policies to (or manage) a role it did not create."
  }
  assert {
    condition = toset(keys(module.writer_function.execution_role_required_policies)) == toset([
      "assume-target-role", "write-own-log-group", "send-failed-async-events", "consume-trigger-queue", "read-s3-trigger-source",
    ])
    error_message = "execution_role_required_policies must list what the function needs with these triggers: ${jsonencode(keys(module.writer_function.execution_role_required_policies))}"
  }
  assert {
    condition     = [for s in jsondecode(module.target_bucket.role_trust_policy).Statement : s.Principal] == [{ AWS = var.execution_role_arn }]
    error_message = "The target role must trust the brought-in execution role."
  }
}
