# Every trigger on: SQS (with DLQ and batch item failures), SNS, EventBridge, S3, Function URL,
# plus SES raw mail. Checks the grants each one adds to the function and its execution role.

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
  sqs_max_receive_count      = 3
  create_sns_trigger         = true
  sns_topic_arn              = "arn:aws:sns:eu-west-1:111111111111:events"
  create_eventbridge_trigger = true
  eventbridge_event_pattern  = "{\"source\":[\"test.app\"]}"
  create_s3_trigger          = true
  s3_source_bucket           = "test-source-bucket"
  s3_source_filter_prefix    = "uploads/"
  create_function_url        = true
  ses_raw_mail_bucket        = "test-mail-bucket"
  ses_raw_mail_prefix        = "raw/"
}

run "all_triggers" {
  command = apply

  # --- SQS -----------------------------------------------------------------------------------
  assert {
    condition     = tolist(module.writer_function.event_source_mapping.function_response_types) == tolist(["ReportBatchItemFailures"])
    error_message = "The SQS event source mapping must report batch item failures."
  }
  assert {
    condition     = module.writer_function.event_source_mapping.event_source_arn == module.writer_function.queue_arn && module.writer_function.event_source_mapping.function_name == module.writer_function.function_arn
    error_message = "The event source mapping must connect the trigger queue to the function."
  }
  assert {
    condition = jsondecode(module.writer_function.queue_redrive_policy) == {
      deadLetterTargetArn = module.writer_function.dead_letter_queue_arn
      maxReceiveCount     = 3
    } && module.writer_function.dead_letter_queue_arn != module.writer_function.queue_arn
    error_message = "The trigger queue must redrive to its own dead-letter queue after sqs_max_receive_count receives."
  }
  assert {
    condition = jsondecode(module.writer_function.execution_role_policies["consume-trigger-queue"]).Statement == [{
      Sid      = "ConsumeTheTriggerQueueOnly"
      Effect   = "Allow"
      Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
      Resource = module.writer_function.queue_arn
    }]
    error_message = "The execution role may receive/delete/get attributes on exactly the trigger queue."
  }

  assert {
    condition     = module.writer_function.queue_visibility_timeout_seconds == 6 * 30 + 0
    error_message = "The trigger queue's visibility timeout must default to 6 x the function timeout plus the batching window."
  }

  # --- every service permission names its source ---------------------------------------------
  assert {
    condition     = length(module.writer_function.lambda_permissions) == 3 && alltrue([for p in values(module.writer_function.lambda_permissions) : p.source_arn != null && p.source_arn != ""])
    error_message = "Every aws_lambda_permission must carry source_arn."
  }
  assert {
    condition = (
      toset(keys(module.writer_function.lambda_permissions)) == toset(["sns", "eventbridge", "s3"])
      && module.writer_function.lambda_permissions.sns.principal == "sns.amazonaws.com"
      && module.writer_function.lambda_permissions.sns.source_arn == "arn:aws:sns:eu-west-1:111111111111:events"
      && module.writer_function.lambda_permissions.eventbridge.principal == "events.amazonaws.com"
      && module.writer_function.lambda_permissions.eventbridge.source_arn == module.writer_function.eventbridge_rule_arn
      && module.writer_function.lambda_permissions.s3.principal == "s3.amazonaws.com"
      && module.writer_function.lambda_permissions.s3.source_arn == "arn:aws:s3:::test-source-bucket"
      && module.writer_function.lambda_permissions.s3.source_account == "111111111111"
    )
    error_message = "Permissions: SNS from the topic, EventBridge from the rule, S3 from the source bucket of the lambda account (with source_account)."
  }

  # --- S3 source and SES raw mail: read-only, scoped ----------------------------------------
  # Notifications name the object version; reading exactly it (GetObject with versionId) needs
  # s3:GetObjectVersion. SES receipt events name none: raw mail gets s3:GetObject only.
  assert {
    condition = jsondecode(module.writer_function.execution_role_policies["read-s3-trigger-source"]).Statement == [{
      Sid      = "ReadNotifiedSourceObjects"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:GetObjectVersion"]
      Resource = "arn:aws:s3:::test-source-bucket/uploads/*"
    }]
    error_message = "The execution role may s3:GetObject and s3:GetObjectVersion on the source bucket's objects under the filter prefix only."
  }
  assert {
    condition = jsondecode(module.writer_function.execution_role_policies["read-ses-raw-mail"]).Statement == [{
      Sid      = "ReadSesRawMailUnderThePrefixOnly"
      Effect   = "Allow"
      Action   = "s3:GetObject"
      Resource = "arn:aws:s3:::test-mail-bucket/raw/*"
    }]
    error_message = "The execution role may read SES raw mail (s3:GetObject only) under <bucket>/<prefix>* only."
  }
  assert {
    condition = flatten([for name, doc in module.writer_function.execution_role_policies : [
      for s in jsondecode(doc).Statement : s.Resource if contains(flatten([s.Action]), "s3:GetObjectVersion")
    ]]) == ["arn:aws:s3:::test-source-bucket/uploads/*"]
    error_message = "s3:GetObjectVersion must be granted on the S3 trigger's source bucket objects only."
  }
  assert {
    condition     = module.writer_function.environment["SES_RAW_MAIL_BUCKET"] == "test-mail-bucket" && module.writer_function.environment["SES_RAW_MAIL_PREFIX"] == "raw/"
    error_message = "The function must be told where SES stores raw mail."
  }
  assert {
    condition = alltrue(flatten([for name, doc in module.writer_function.execution_role_policies : [
      for s in jsondecode(doc).Statement : [for a in flatten([s.Action]) : !startswith(a, "s3:") || contains(["s3:GetObject", "s3:GetObjectVersion"], a)]
    ]]))
    error_message = "The execution role must not get any S3 action but GetObject and GetObjectVersion (writes go through the target role)."
  }

  # --- Function URL ------------------------------------------------------------------------------
  assert {
    condition     = module.writer_function.function_url_auth_type == "AWS_IAM" && output.function_url != null
    error_message = "The Function URL must use AWS_IAM auth."
  }

  assert {
    condition     = module.writer_function.execution_role_exclusive.policy_names == toset(keys(module.writer_function.execution_role_policies)) && length(module.writer_function.execution_role_policies) == 6
    error_message = "The execution role's exclusive policy list must name every inline policy the triggers add."
  }

  # Triggers do not change the trust chain.
  assert {
    condition     = jsondecode(module.writer_function.execution_role_policies["assume-target-role"]).Statement[0].Resource == module.target_bucket.role_arn
    error_message = "The execution role may still assume only the target role."
  }
}

# Renaming the function keeps the queues (and the failed records in them) when their names are
# pinned: a queue's name cannot change in place.
run "queues_keep_their_names" {
  command = apply

  variables {
    function_name      = "renamed-writer"
    sqs_queue_name     = "cross-account-s3-writer"
    sqs_dlq_name       = "cross-account-s3-writer-dlq"
    failure_queue_name = "cross-account-s3-writer-failures"
  }

  assert {
    condition = (
      module.writer_function.function_name == "renamed-writer"
      && module.writer_function.queue_name == "cross-account-s3-writer"
      && module.writer_function.dead_letter_queue_name == "cross-account-s3-writer-dlq"
      && module.writer_function.failure_queue_name == "cross-account-s3-writer-failures"
    )
    error_message = "The queues must take their names from sqs_queue_name, sqs_dlq_name and failure_queue_name, not from function_name."
  }
}
