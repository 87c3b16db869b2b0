# Mocked lambda account (111111111111, eu-west-1). Every identifier carries this account, and
# none of these defaults exists in the bucket account's mock: a resource planned under the wrong
# provider alias gets random identifiers and the assertions fail.

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "111111111111"
    arn        = "arn:aws:sts::111111111111:assumed-role/terraform/session"
    user_id    = "AROAEXAMPLELAMBDA:session"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition          = "aws"
    dns_suffix         = "amazonaws.com"
    reverse_dns_prefix = "com.amazonaws"
  }
}

mock_data "aws_region" {
  defaults = {
    id     = "eu-west-1"
    region = "eu-west-1"
    name   = "eu-west-1"
  }
}

# The function's preflight ({"action":"preflight"}, module ./preflight) answers healthy unless a
# run overrides it (tests/preflight.tftest.hcl).
mock_data "aws_lambda_invocation" {
  defaults = {
    result = "{\"ok\":true,\"checks\":[{\"name\":\"execution_identity\",\"status\":\"ok\"},{\"name\":\"assume_role\",\"status\":\"ok\"}]}"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn       = "arn:aws:iam::111111111111:role/cross-account-s3-writer-execution"
    unique_id = "AROAEXAMPLEEXECUTION"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/cross-account-s3-writer"
  }
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn           = "arn:aws:lambda:eu-west-1:111111111111:function:cross-account-s3-writer"
    qualified_arn = "arn:aws:lambda:eu-west-1:111111111111:function:cross-account-s3-writer:$LATEST"
    invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:111111111111:function:cross-account-s3-writer/invocations"
  }
}

mock_resource "aws_lambda_alias" {
  defaults = {
    arn = "arn:aws:lambda:eu-west-1:111111111111:function:cross-account-s3-writer:live"
  }
}

mock_resource "aws_cloudwatch_event_rule" {
  defaults = {
    arn = "arn:aws:events:eu-west-1:111111111111:rule/cross-account-s3-writer"
  }
}

mock_resource "aws_lambda_function_url" {
  defaults = {
    function_url = "https://exampleurlid.lambda-url.eu-west-1.on.aws/"
  }
}

# Three queues of the same type: pinned one by one.
override_resource {
  target = module.writer_function.aws_sqs_queue.this
  values = {
    arn = "arn:aws:sqs:eu-west-1:111111111111:cross-account-s3-writer"
    id  = "https://sqs.eu-west-1.amazonaws.com/111111111111/cross-account-s3-writer"
    url = "https://sqs.eu-west-1.amazonaws.com/111111111111/cross-account-s3-writer"
  }
}

override_resource {
  target = module.writer_function.aws_sqs_queue.dlq
  values = {
    arn = "arn:aws:sqs:eu-west-1:111111111111:cross-account-s3-writer-dlq"
    id  = "https://sqs.eu-west-1.amazonaws.com/111111111111/cross-account-s3-writer-dlq"
    url = "https://sqs.eu-west-1.amazonaws.com/111111111111/cross-account-s3-writer-dlq"
  }
}

override_resource {
  target = module.writer_function.aws_sqs_queue.failures
  values = {
    arn = "arn:aws:sqs:eu-west-1:111111111111:cross-account-s3-writer-failures"
    id  = "https://sqs.eu-west-1.amazonaws.com/111111111111/cross-account-s3-writer-failures"
    url = "https://sqs.eu-west-1.amazonaws.com/111111111111/cross-account-s3-writer-failures"
  }
}
