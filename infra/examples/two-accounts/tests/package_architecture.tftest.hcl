# The deployed zip's architecture (issue item 0): `make build-arm64` / `make build-host` record it
# next to the zip (`<zip>.arch`: arm64 or x86_64) and the writer-function module reads
# `${package_path}.arch`. The same architecture plans; the other one fails the plan with a message
# naming both and the make target; no record plans with a warning (check block) only.

mock_provider "aws" {
  alias  = "lambda"
  source = "./tests/mocks/lambda"
}

mock_provider "aws" {
  alias  = "bucket"
  source = "./tests/mocks/bucket"
}

variables {
  target_role_arn = "arn:aws:iam::222222222222:role/cross-account-s3-writer-target"
  target_bucket   = "test-target-bucket"
  external_id     = "test-external-id-0123"

  lambda_account_id = "111111111111"
  bucket_account_id = "222222222222"
  lambda_region     = "eu-west-1"
  bucket_region     = "eu-central-1"
  bucket_name       = "test-target-bucket"
}

run "arm64_build_for_arm64_plans" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    package_path = "tests/fixtures/package-arm64.txt"
    architecture = "arm64"
  }

  assert {
    condition     = output.package_architecture == "arm64" && aws_lambda_function.this.architectures == tolist(["arm64"])
    error_message = "A zip recorded as arm64 deploys as an arm64 function."
  }
}

run "x86_64_build_for_x86_64_plans" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    package_path = "tests/fixtures/package-x86_64.txt"
    architecture = "x86_64"
  }

  assert {
    condition     = output.package_architecture == "x86_64" && aws_lambda_function.this.architectures == tolist(["x86_64"])
    error_message = "A zip recorded as x86_64 deploys as an x86_64 function."
  }
}

# The README's mistake: the host (x86_64) build deployed as arm64 fails every invocation with an
# exec format error. The plan refuses it.
run "x86_64_build_for_arm64_fails_the_plan" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    package_path = "tests/fixtures/package-x86_64.txt"
    architecture = "arm64"
  }
  expect_failures = [aws_lambda_function.this]
}

run "arm64_build_for_x86_64_fails_the_plan" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    package_path = "tests/fixtures/package-arm64.txt"
    architecture = "x86_64"
  }
  expect_failures = [aws_lambda_function.this]
}

# No record (a zip built by other means): the plan goes on; the check block warns.
run "unrecorded_build_warns_only" {
  command = plan
  module {
    source = "../../modules/writer-function"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    package_path = "tests/fixtures/package-unrecorded.txt"
  }
  expect_failures = [check.package_architecture_recorded]

  assert {
    condition     = output.package_architecture == null && aws_lambda_function.this.architectures == tolist(["arm64"])
    error_message = "Without a record the architecture is unknown and the function is still planned (arm64, the default)."
  }
}
