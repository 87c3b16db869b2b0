# log_level and the metrics (issue item 2): with JSON logs Lambda drops application lines below
# log_level; the function writes every line, EMF metric lines included, with a level and an RFC
# 3339 timestamp that pass the filter, so the metrics and the records-failed alarm work at every
# level. Here: the example, every trigger and the alarms on, plans at each level with JSON
# logging and the level passed through; the records-failed alarm's missing-data treatment.

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
  package_path      = "tests/fixtures/package-arm64.txt"

  create_sqs_trigger         = true
  create_sns_trigger         = true
  sns_topic_arn              = "arn:aws:sns:eu-west-1:111111111111:events"
  create_eventbridge_trigger = true
  eventbridge_event_pattern  = "{\"source\":[\"test.app\"]}"
  create_s3_trigger          = true
  s3_source_bucket           = "test-source-bucket"
  create_function_url        = true
  ses_raw_mail_bucket        = "test-mail-bucket"
  kinesis_stream_arn         = "arn:aws:kinesis:eu-west-1:111111111111:stream/orders"
  dynamodb_stream_arn        = "arn:aws:dynamodb:eu-west-1:111111111111:table/orders/stream/2026-01-01T00:00:00.000"
  create_alarms              = true

  # Plans only: on a plan the preflight waits for apply, and terraform test fails on a check
  # "known after apply" (tests/preflight.tftest.hcl covers the preflight).
  run_preflight = false
}

run "trace" {
  command = plan
  variables {
    log_level = "TRACE"
  }
  assert {
    condition     = module.writer_function.lambda_logging_config.log_format == "JSON" && module.writer_function.lambda_logging_config.application_log_level == "TRACE"
    error_message = "log_level TRACE: JSON logs at TRACE."
  }
}

run "debug" {
  command = plan
  variables {
    log_level = "DEBUG"
  }
  assert {
    condition     = module.writer_function.lambda_logging_config.log_format == "JSON" && module.writer_function.lambda_logging_config.application_log_level == "DEBUG"
    error_message = "log_level DEBUG: JSON logs at DEBUG."
  }
}

run "info" {
  command = plan
  assert {
    condition     = module.writer_function.lambda_logging_config.log_format == "JSON" && module.writer_function.lambda_logging_config.application_log_level == "INFO"
    error_message = "log_level defaults to INFO, JSON logs."
  }
  assert {
    condition     = module.writer_function.alarms["records-failed"].treat_missing_data == "notBreaching" && alltrue([for a in values(module.writer_function.alarms) : a.treat_missing_data == "notBreaching"])
    error_message = "By default every alarm, records-failed included, treats missing data as not breaching (an idle function)."
  }
}

run "warn" {
  command = plan
  variables {
    log_level = "WARN"
  }
  assert {
    condition     = module.writer_function.lambda_logging_config.log_format == "JSON" && module.writer_function.lambda_logging_config.application_log_level == "WARN"
    error_message = "log_level WARN: JSON logs at WARN."
  }
  assert {
    condition     = module.writer_function.alarms["records-failed"].metric_name == "RecordsFailed" && module.writer_function.alarms["records-failed"].namespace == module.writer_function.metrics_namespace
    error_message = "At WARN the records-failed alarm still watches the function's RecordsFailed metric."
  }
}

run "error" {
  command = plan
  variables {
    log_level = "ERROR"
  }
  assert {
    condition     = module.writer_function.lambda_logging_config.log_format == "JSON" && module.writer_function.lambda_logging_config.application_log_level == "ERROR" && contains(keys(module.writer_function.alarms), "records-failed")
    error_message = "log_level ERROR: JSON logs at ERROR, the records-failed alarm kept."
  }
}

run "fatal" {
  command = plan
  variables {
    log_level = "FATAL"
  }
  assert {
    condition     = module.writer_function.lambda_logging_config.log_format == "JSON" && module.writer_function.lambda_logging_config.application_log_level == "FATAL" && contains(keys(module.writer_function.alarms), "records-failed")
    error_message = "log_level FATAL: JSON logs at FATAL, the records-failed alarm kept."
  }
}

run "records_failed_missing_data_shows" {
  command = plan
  variables {
    log_level                               = "ERROR"
    records_failed_alarm_treat_missing_data = "missing"
  }
  assert {
    condition     = module.writer_function.alarms["records-failed"].treat_missing_data == "missing" && alltrue([for k, a in module.writer_function.alarms : a.treat_missing_data == "notBreaching" if k != "records-failed"])
    error_message = "records_failed_alarm_treat_missing_data applies to the records-failed alarm only; AWS's own metrics stay notBreaching."
  }
}
