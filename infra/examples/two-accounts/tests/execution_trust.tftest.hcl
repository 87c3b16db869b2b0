# The execution role's trust (issue item 6). AWS's guidance for service roles is to pin the
# trust with aws:SourceArn (and aws:SourceAccount) to the resource the service acts for: by
# default the role trusts Lambda for this function only, so the chain into the bucket account
# cannot be borrowed by another function of the account given the role (iam:PassRole). The ARN is
# built from account, region and name (no create-time cycle between role and function).

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

  # for the module-level run
  target_role_arn = "arn:aws:iam::222222222222:role/cross-account-s3-writer-target"
  target_bucket   = "test-target-bucket"
}

# The module's own default, without the example in between.
run "module_default_trusts_this_function_only" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }

  assert {
    condition = [for st in jsondecode(output.execution_role_trust_policy).Statement : st.Condition] == [{
      StringEquals = { "aws:SourceAccount" = "111111111111" }
      ArnLike = { "aws:SourceArn" = [
        "arn:aws:lambda:eu-west-1:111111111111:function:cross-account-s3-writer",
        "arn:aws:lambda:eu-west-1:111111111111:function:cross-account-s3-writer:*",
      ] }
    }]
    error_message = "By default the execution role trusts Lambda for this function only (the module's default)."
  }
}

run "default_trusts_this_function_only" {
  command = apply

  assert {
    condition = jsondecode(module.writer_function.execution_role_trust_policy).Statement == [{
      Sid       = "LambdaServiceForThisFunctionOnly"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = "111111111111" }
        ArnLike = { "aws:SourceArn" = [
          "arn:aws:lambda:eu-west-1:111111111111:function:cross-account-s3-writer",
          "arn:aws:lambda:eu-west-1:111111111111:function:cross-account-s3-writer:*",
        ] }
      }
    }]
    error_message = "By default the execution role trusts Lambda for this function only: aws:SourceAccount and aws:SourceArn = the function's ARN or a version/alias of it."
  }
  assert {
    condition     = jsondecode(module.writer_function.execution_role_trust_policy).Statement[0].Condition.ArnLike["aws:SourceArn"][0] == module.writer_function.lambda_function_arn
    error_message = "The ARN the trust is built from (account, region, name) is the function's ARN."
  }
}

run "renamed_function_is_the_one_trusted" {
  command = plan

  variables {
    function_name = "orders-writer"
    run_preflight = false # a plan: the preflight would wait for apply (a check "known after apply")
  }

  assert {
    condition = jsondecode(module.writer_function.execution_role_trust_policy).Statement[0].Condition.ArnLike["aws:SourceArn"] == [
      "arn:aws:lambda:eu-west-1:111111111111:function:orders-writer",
      "arn:aws:lambda:eu-west-1:111111111111:function:orders-writer:*",
    ]
    error_message = "The trust follows function_name (built before the function exists, no cycle)."
  }
}

run "account_wide_when_switched_off" {
  command = apply

  variables {
    restrict_execution_trust_to_function = false
  }

  assert {
    condition = jsondecode(module.writer_function.execution_role_trust_policy).Statement == [{
      Sid       = "LambdaServiceOfThisAccount"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = "111111111111" } }
    }]
    error_message = "restrict_execution_trust_to_function = false: Lambda of this account only (aws:SourceAccount), any function."
  }
}

# With a role of your own the module creates no trust and the default does not get in the way.
run "own_role_plans_with_the_default" {
  command = apply

  variables {
    execution_role_arn = "arn:aws:iam::111111111111:role/platform-owned"
  }

  assert {
    condition     = !module.writer_function.execution_role_created && module.writer_function.execution_role_trust_policy == null && module.writer_function.lambda_role_arn == "arn:aws:iam::111111111111:role/platform-owned"
    error_message = "With execution_role_arn the module creates no role, so no trust, and the default restriction is not refused."
  }
}
