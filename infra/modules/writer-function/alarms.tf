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
    local.s3_notification_queue == null ? {} : {
      s3-notifications-dlq-not-empty = {
        description = "S3 notifications for ${var.function_name} failed ${var.sqs_max_receive_count} receives and wait in the dead-letter queue of its S3 notification queue."
        namespace   = "AWS/SQS"
        metric_name = "ApproximateNumberOfMessagesVisible"
        statistic   = "Maximum"
        dimensions  = { QueueName = aws_sqs_queue.s3_notifications_dlq[0].name }
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
