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
