# Failures that do not vanish, and the alarms that report them. Every trigger on, alarms on:
# the on-failure destination of asynchronous invocations, the SNS subscription's and the
# EventBridge target's dead letters all go to the failure queue, which only those senders may
# use; each alarm watches the right queue, function or namespace.

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

  async_maximum_retry_attempts       = 1
  async_maximum_event_age_in_seconds = 3600
  metrics_namespace                  = "Writer/Test"
  create_alarms                      = true
  alarm_sns_topic_arn                = "arn:aws:sns:eu-west-1:111111111111:oncall"
}

run "failures_and_alarms" {
  command = apply

  # --- asynchronous invocations: bounded, and sent to the failure queue ------------------------
  assert {
    condition = module.writer_function.async_invoke_config == {
      maximum_retry_attempts       = 1
      maximum_event_age_in_seconds = 3600
      on_failure_destination       = "arn:aws:sqs:eu-west-1:111111111111:cross-account-s3-writer-failures"
      function_name                = "cross-account-s3-writer"
      qualifier                    = tostring(null) # the unqualified function
    }
    error_message = "Asynchronous invocations must have bounded retries and event age, and the failure queue as on-failure destination."
  }
  assert {
    condition = (
      module.writer_function.failure_queue_arn == "arn:aws:sqs:eu-west-1:111111111111:cross-account-s3-writer-failures"
      && module.writer_function.failure_queue_arn != module.writer_function.dead_letter_queue_arn
      && module.writer_function.failure_queue_arn != module.writer_function.queue_arn
      && output.failure_queue_url == module.writer_function.failure_queue_url
    )
    error_message = "The failure queue must be a queue of its own (not the trigger queue or its DLQ), and its URL an output."
  }
  assert {
    condition = jsondecode(module.writer_function.execution_role_policies["send-failed-async-events"]).Statement == [{
      Sid      = "SendFailedAsyncEventsToTheFailureQueueOnly"
      Effect   = "Allow"
      Action   = "sqs:SendMessage"
      Resource = module.writer_function.failure_queue_arn
    }]
    error_message = "The execution role may sqs:SendMessage to exactly the failure queue."
  }
  assert {
    condition = flatten([for name, doc in module.writer_function.execution_role_policies : [
      for s in jsondecode(doc).Statement : s.Resource if contains(flatten([s.Action]), "sqs:SendMessage")
    ]]) == [module.writer_function.failure_queue_arn]
    error_message = "sqs:SendMessage must be granted on the failure queue only."
  }

  # --- SNS and EventBridge dead letters ------------------------------------------------------
  assert {
    condition     = try(jsondecode(module.writer_function.sns_subscription_redrive_policy), null) == { deadLetterTargetArn = module.writer_function.failure_queue_arn }
    error_message = "The SNS subscription must redrive undeliverable messages to the failure queue."
  }
  assert {
    condition = module.writer_function.eventbridge_target == {
      arn                          = module.writer_function.function_arn
      dead_letter_arn              = module.writer_function.failure_queue_arn
      maximum_retry_attempts       = 185
      maximum_event_age_in_seconds = 86400
    }
    error_message = "The EventBridge target must have a retry policy and the failure queue as dead-letter queue."
  }
  assert {
    condition = jsondecode(module.writer_function.failure_queue_policy).Statement == [
      {
        Sid       = "SnsSubscriptionDeadLetters"
        Effect    = "Allow"
        Principal = { Service = "sns.amazonaws.com" }
        Action    = "sqs:SendMessage"
        Resource  = module.writer_function.failure_queue_arn
        Condition = { ArnEquals = { "aws:SourceArn" = "arn:aws:sns:eu-west-1:111111111111:events" } }
      },
      {
        Sid       = "EventBridgeTargetDeadLetters"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sqs:SendMessage"
        Resource  = module.writer_function.failure_queue_arn
        Condition = { ArnEquals = { "aws:SourceArn" = module.writer_function.eventbridge_rule_arn } }
      },
    ]
    error_message = "The failure queue policy must let exactly SNS (from the topic) and EventBridge (from the rule) send, each pinned by aws:SourceArn."
  }

  # --- metrics namespace ---------------------------------------------------------------------
  assert {
    condition     = module.writer_function.environment["METRICS_NAMESPACE"] == "Writer/Test" && module.writer_function.metrics_namespace == "Writer/Test"
    error_message = "The function must get METRICS_NAMESPACE from metrics_namespace."
  }

  # --- alarms ----------------------------------------------------------------------------------
  assert {
    condition     = toset(keys(module.writer_function.alarms)) == toset(["failure-queue-not-empty", "dlq-not-empty", "errors", "throttles", "async-events-dropped", "destination-delivery-failures", "records-failed"])
    error_message = "create_alarms must create the failure-queue, DLQ, Errors, Throttles, AsyncEventsDropped, DestinationDeliveryFailures and RecordsFailed alarms."
  }
  assert {
    condition = (
      module.writer_function.alarms["failure-queue-not-empty"].namespace == "AWS/SQS"
      && module.writer_function.alarms["failure-queue-not-empty"].metric_name == "ApproximateNumberOfMessagesVisible"
      && module.writer_function.alarms["failure-queue-not-empty"].dimensions == tomap({ QueueName = "cross-account-s3-writer-failures" })
      && module.writer_function.alarms["dlq-not-empty"].namespace == "AWS/SQS"
      && module.writer_function.alarms["dlq-not-empty"].metric_name == "ApproximateNumberOfMessagesVisible"
      && module.writer_function.alarms["dlq-not-empty"].dimensions == tomap({ QueueName = "cross-account-s3-writer-dlq" })
    )
    error_message = "The queue alarms must watch ApproximateNumberOfMessagesVisible of the failure queue and of the DLQ."
  }
  assert {
    condition = alltrue([for k in ["errors", "throttles", "async-events-dropped", "destination-delivery-failures"] :
      module.writer_function.alarms[k].namespace == "AWS/Lambda" && module.writer_function.alarms[k].dimensions == tomap({ FunctionName = "cross-account-s3-writer" })
      ]) && [for k in ["errors", "throttles", "async-events-dropped", "destination-delivery-failures"] : module.writer_function.alarms[k].metric_name] == [
      "Errors", "Throttles", "AsyncEventsDropped", "DestinationDeliveryFailures"
    ]
    error_message = "The function alarms must watch Errors, Throttles, AsyncEventsDropped and DestinationDeliveryFailures of exactly this function."
  }
  assert {
    condition = (
      module.writer_function.alarms["records-failed"].namespace == "Writer/Test"
      && module.writer_function.alarms["records-failed"].metric_name == "RecordsFailed"
      && module.writer_function.alarms["records-failed"].dimensions == tomap({ FunctionName = "cross-account-s3-writer" })
      && module.writer_function.alarms["records-failed"].statistic == "Sum"
    )
    error_message = "The RecordsFailed alarm must watch the function's namespace with the [FunctionName] dimension set."
  }
  assert {
    condition = alltrue([for a in values(module.writer_function.alarms) :
      a.threshold == 0 && a.comparison_operator == "GreaterThanThreshold"
      && a.alarm_actions == tolist(["arn:aws:sns:eu-west-1:111111111111:oncall"]) && a.ok_actions == tolist(["arn:aws:sns:eu-west-1:111111111111:oncall"])
    ])
    error_message = "Every alarm must fire above 0 and notify alarm_sns_topic_arn."
  }
}

# Defaults: no trigger, no alarm. Asynchronous invocations (aws lambda invoke --invocation-type
# Event) still have the failure queue; namespace = function name.
run "defaults" {
  command = apply

  variables {
    create_sqs_trigger                 = false
    create_sns_trigger                 = false
    create_eventbridge_trigger         = false
    create_s3_trigger                  = false
    async_maximum_retry_attempts       = 2
    async_maximum_event_age_in_seconds = 21600
    metrics_namespace                  = null
    create_alarms                      = false
    alarm_sns_topic_arn                = null
  }

  assert {
    condition     = module.writer_function.async_invoke_config.on_failure_destination == module.writer_function.failure_queue_arn && module.writer_function.async_invoke_config.maximum_retry_attempts == 2
    error_message = "Without triggers asynchronous invocations must still go to the failure queue."
  }
  assert {
    condition     = module.writer_function.failure_queue_policy == null && module.writer_function.alarms == {}
    error_message = "Without SNS/EventBridge triggers no service may send to the failure queue; without create_alarms no alarm."
  }
  assert {
    condition     = module.writer_function.environment["METRICS_NAMESPACE"] == "cross-account-s3-writer"
    error_message = "METRICS_NAMESPACE must default to the function name."
  }
}
