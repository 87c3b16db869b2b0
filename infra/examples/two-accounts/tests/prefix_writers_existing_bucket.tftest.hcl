# The prefix-writers deny on an existing bucket: off unless asked for (its other writers are
# unknown here). A file of its own: the module latches create_bucket (bucket_flags.tftest.hcl),
# so one state cannot hold both the created-bucket runs and these.

mock_provider "aws" {
  alias  = "lambda"
  source = "./tests/mocks/lambda"
}

mock_provider "aws" {
  alias  = "bucket"
  source = "./tests/mocks/bucket"
}

variables {
  lambda_account_id      = "111111111111"
  bucket_account_id      = "222222222222"
  lambda_region          = "eu-west-1"
  bucket_region          = "eu-central-1"
  bucket_name            = "existing-target-bucket"
  create_bucket          = false
  manage_bucket_settings = true
  external_id            = "test-external-id-0123"
  package_path           = "tests/fixtures/package-placeholder.txt"
}

run "existing_bucket_leaves_it_off" {
  command = apply

  assert {
    condition     = module.target_bucket.prefix_writers == null && !contains(module.target_bucket.bucket_policy_sids, "DenyObjectWritesUnderThePrefixByOtherPrincipals")
    error_message = "On an existing bucket the prefix-writers deny is off unless asked for."
  }
}

run "existing_bucket_asks_for_it" {
  command = apply

  variables {
    deny_other_prefix_writers = true
  }

  assert {
    condition     = contains(module.target_bucket.bucket_policy_sids, "DenyObjectWritesUnderThePrefixByOtherPrincipals") && module.target_bucket.prefix_writers == [module.target_bucket.role_arn]
    error_message = "deny_other_prefix_writers = true adds the deny on an existing bucket."
  }
}
