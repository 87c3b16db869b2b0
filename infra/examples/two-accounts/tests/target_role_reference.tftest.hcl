# The function gets the target role's real ARN (the target-bucket module's output), not a string
# rebuilt from the account and the name: the role here has an ARN no string could guess (a
# path), and TARGET_ROLE_ARN and the sts:AssumeRole grant must follow it.

mock_provider "aws" {
  alias  = "lambda"
  source = "./tests/mocks/lambda"
}

mock_provider "aws" {
  alias  = "bucket"
  source = "./tests/mocks/bucket"

  override_resource {
    target = module.target_bucket.aws_iam_role.this
    values = {
      arn       = "arn:aws:iam::222222222222:role/service-role/cross-account-s3-writer-target"
      unique_id = "AROAEXAMPLETARGET"
    }
  }
}

variables {
  lambda_account_id = "111111111111"
  bucket_account_id = "222222222222"
  lambda_region     = "eu-west-1"
  bucket_region     = "eu-central-1"
  bucket_name       = "test-target-bucket"
  external_id       = "test-external-id-0123"
  package_path      = "tests/fixtures/package-placeholder.txt"
}

run "target_role_arn_is_the_module_output" {
  command = apply

  assert {
    condition = (
      module.writer_function.environment["TARGET_ROLE_ARN"] == "arn:aws:iam::222222222222:role/service-role/cross-account-s3-writer-target"
      && jsondecode(module.writer_function.execution_role_policies["assume-target-role"]).Statement[0].Resource == "arn:aws:iam::222222222222:role/service-role/cross-account-s3-writer-target"
    )
    error_message = "The function's TARGET_ROLE_ARN and the execution role's sts:AssumeRole grant must be the target-bucket module's role_arn output (a real reference), not a string built from its name."
  }
}
