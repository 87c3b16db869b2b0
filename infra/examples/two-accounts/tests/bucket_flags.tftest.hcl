# Changing create_bucket or manage_bucket_settings destroys nothing. Turning one off would plan
# the deletion of the bucket policy, public access block and the other settings (and of an empty
# bucket); the module latches the flags as first applied, and a plan that changes them fails
# before anything is destroyed (terraform test cannot read a plan's actions, but a failed plan
# cannot be applied). The deliberate paths (README) re-latch with -replace.

mock_provider "aws" {
  alias  = "bucket"
  source = "./tests/mocks/bucket"
}

variables {
  bucket_name        = "test-target-bucket"
  execution_role_arn = "arn:aws:iam::111111111111:role/cross-account-s3-writer-execution"
  external_id        = "test-external-id-0123"
}

run "created_and_managed" {
  command = apply
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }

  assert {
    condition     = output.bucket_ownership == { create_bucket = true, manage_bucket_settings = true } && output.bucket_policy_applied
    error_message = "The first apply latches the flags as applied."
  }
}

run "create_bucket_off_is_refused" {
  command = plan
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }
  variables {
    create_bucket = false
  }
  expect_failures = [terraform_data.bucket_ownership]
}

run "manage_bucket_settings_off_is_refused" {
  command = plan
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }
  variables {
    manage_bucket_settings = false
  }
  expect_failures = [terraform_data.bucket_ownership]
}

# The refused plans changed nothing: the same configuration plans cleanly, the latch unchanged.
run "state_unchanged" {
  command = plan
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }

  assert {
    condition     = output.bucket_ownership == { create_bucket = true, manage_bucket_settings = true } && output.bucket_policy_applied
    error_message = "After refused flag changes the bucket and its settings are still managed as before."
  }
}

# On purpose (after moving the objects out with the README's moved + removed blocks, or to
# really stop managing them): -replace the latch; the plan then goes through.
run "manage_bucket_settings_off_on_purpose" {
  command = plan
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }
  variables {
    manage_bucket_settings = false
  }
  plan_options {
    replace = [terraform_data.bucket_ownership]
  }

  assert {
    condition     = !output.bucket_policy_applied
    error_message = "With the latch replaced, the flag change plans."
  }
}
