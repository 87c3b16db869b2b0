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
