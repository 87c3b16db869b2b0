# Handing a bucket and its settings over without deleting them (module README, "Changing
# create_bucket or manage_bucket_settings"): create_bucket = false plus the root-level
# moved + removed { lifecycle { destroy = false } } blocks, applied once with -replace of the
# module's latch. Two fixture roots share one state (state_key, Terraform >= 1.11): the "before"
# root creates and manages the bucket (bucket_flags.tftest.hcl: the flag alone is refused); the
# "after" root is that root with the flag off and the blocks. Its plan forgets the settings (Terraform's removed-block semantics: no Delete call) and
# the module's own instances are gone from the state, so nothing in it can plan a deletion.

mock_provider "aws" {
  source = "./tests/mocks/bucket"
}

run "before" {
  state_key = "handover"
  module {
    source = "./tests/fixtures/handover-before"
  }
  providers = {
    aws = aws
  }

  assert {
    condition     = output.bucket_policy_applied && output.bucket_ownership.manage_bucket_settings
    error_message = "The before root manages the bucket's settings."
  }
}

run "after" {
  state_key = "handover"
  module {
    source = "./tests/fixtures/handover-after"
  }
  providers = {
    aws = aws
  }
  plan_options {
    replace = [module.target_bucket.terraform_data.bucket_ownership]
  }

  assert {
    condition     = !output.bucket_policy_applied && output.bucket_ownership == { create_bucket = false, manage_bucket_settings = false }
    error_message = "After the handover the module no longer manages the bucket or its settings, and the latch records that."
  }
}
