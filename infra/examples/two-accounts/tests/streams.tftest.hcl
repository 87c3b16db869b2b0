# The stream triggers: a Kinesis data stream and a DynamoDB stream, each through an event source
# mapping that reports batch item failures, retries a bounded number of times, splits failing
# batches and describes skipped ones in the failure queue; the execution role reads exactly
# those streams.

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

  kinesis_stream_arn  = "arn:aws:kinesis:eu-west-1:111111111111:stream/clicks"
  dynamodb_stream_arn = "arn:aws:dynamodb:eu-west-1:111111111111:table/orders/stream/2026-01-01T00:00:00.000"
}

run "stream_triggers" {
  command = apply

  assert {
    condition = { for k, m in module.writer_function.stream_event_source_mappings : k => {
      source = m.event_source_arn, target = m.function_name, responses = tolist(m.function_response_types)
      }
      } == {
      kinesis  = { source = var.kinesis_stream_arn, target = module.writer_function.function_arn, responses = tolist(["ReportBatchItemFailures"]) }
      dynamodb = { source = var.dynamodb_stream_arn, target = module.writer_function.function_arn, responses = tolist(["ReportBatchItemFailures"]) }
    }
    error_message = "Each stream must invoke the function through its own event source mapping that reports batch item failures."
  }
  assert {
    condition = alltrue([for m in values(module.writer_function.stream_event_source_mappings) :
      m.starting_position == "TRIM_HORIZON" && m.bisect_batch_on_function_error && m.maximum_retry_attempts == 10 && m.maximum_record_age_in_seconds == 86400 && m.batch_size == 100
    ])
    error_message = "Stream triggers must start at TRIM_HORIZON (skip nothing), split failing batches, and retry a bounded number of times and record age."
  }
  assert {
    condition = alltrue([for m in values(module.writer_function.stream_event_source_mappings) :
      m.on_failure_destination == module.writer_function.failure_queue_arn
    ])
    error_message = "A stream batch that is given up on must be described in the failure queue (on-failure destination)."
  }
  assert {
    condition = jsondecode(module.writer_function.execution_role_policies["read-kinesis-trigger-stream"]).Statement == [{
      Sid      = "ReadTheTriggerStreamOnly"
      Effect   = "Allow"
      Action   = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"]
      Resource = var.kinesis_stream_arn
    }]
    error_message = "The execution role may read exactly the Kinesis trigger stream."
  }
  assert {
    condition = jsondecode(module.writer_function.execution_role_policies["read-dynamodb-trigger-stream"]).Statement == [
      {
        Sid      = "ReadTheTriggerTableStreamOnly"
        Effect   = "Allow"
        Action   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
        Resource = var.dynamodb_stream_arn
      },
      {
        Sid      = "ListTheTableStreams"
        Effect   = "Allow"
        Action   = "dynamodb:ListStreams"
        Resource = "arn:aws:dynamodb:eu-west-1:111111111111:table/orders/stream/*"
      },
    ]
    error_message = "The execution role may read exactly the DynamoDB trigger stream, and list only that table's streams."
  }
  assert {
    condition     = toset(module.writer_function.execution_role_exclusive.policy_names) == toset(keys(module.writer_function.execution_role_required_policies)) && contains(keys(module.writer_function.execution_role_required_policies), "read-dynamodb-trigger-stream")
    error_message = "The stream read policies must be in the role's exclusive policy list."
  }
}

run "stream_arns_are_checked" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    target_role_arn                      = "arn:aws:iam::222222222222:role/cross-account-s3-writer-target"
    target_bucket                        = "test-target-bucket"
    kinesis_stream_arn                   = "arn:aws:kinesis:eu-west-1:111111111111:clicks"        # no stream/
    dynamodb_stream_arn                  = "arn:aws:dynamodb:eu-west-1:111111111111:table/orders" # the table, not its stream
    stream_starting_position             = "AT_TIMESTAMP"
    stream_maximum_retry_attempts        = 10001
    stream_maximum_record_age_in_seconds = 30
  }
  expect_failures = [
    var.kinesis_stream_arn,
    var.dynamodb_stream_arn,
    var.stream_starting_position,
    var.stream_maximum_retry_attempts,
    var.stream_maximum_record_age_in_seconds,
  ]
}
