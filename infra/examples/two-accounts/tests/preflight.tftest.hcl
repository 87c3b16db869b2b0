# After apply (issue 21): the example invokes the function with {"action":"preflight"} from a
# check block (module ./preflight), so apply warns, naming the failed checks and their fixes, when
# the chain is broken; and the bucket's lifecycle expires what the preflight runs leave behind
# under <key_prefix>preflight/ (current and noncurrent versions after 1 day).
#
# The answers below follow the function's contract: ok iff no check failed; each check has name
# and status (ok | failed | warning | skipped), a failed one code, detail, fix, account,
# statement, policy and resource. tests/mocks/lambda answers a healthy preflight by default.

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
  key_prefix        = "drop/zone-1/"
}

run "canaries_expire_after_a_day" {
  command = apply

  assert {
    condition = [for r in module.target_bucket.lifecycle_rules : {
      status     = r.status
      prefix     = try(one(r.filter).prefix, null)
      expiration = try(one(r.expiration).days, null)
      noncurrent = try(one(r.noncurrent_version_expiration).noncurrent_days, null)
    } if r.id == "expire-preflight-canaries"] == [{ status = "Enabled", prefix = "drop/zone-1/preflight/", expiration = 1, noncurrent = 1 }]
    error_message = "The bucket's lifecycle must expire the preflight canaries under <key_prefix>preflight/, current and noncurrent versions, after 1 day."
  }
  assert {
    condition     = module.target_bucket.preflight_prefix == "${module.writer_function.environment["KEY_PREFIX"]}preflight/"
    error_message = "The canary prefix must sit right after the function's KEY_PREFIX."
  }
  assert {
    condition = module.target_bucket.preflight_lifecycle_rule == {
      ID                          = "expire-preflight-canaries"
      Status                      = "Enabled"
      Filter                      = { Prefix = "drop/zone-1/preflight/" }
      Expiration                  = { Days = 1 }
      NoncurrentVersionExpiration = { NoncurrentDays = 1 }
    }
    error_message = "Output preflight_lifecycle_rule must be the applied rule, in the S3 API's shape."
  }
  assert {
    condition     = [for r in module.target_bucket.lifecycle_rules : one(r.abort_incomplete_multipart_upload).days_after_initiation if r.id == "abort-incomplete-multipart-uploads"] == [1]
    error_message = "The canary rule must not take the place of the module's abort-incomplete-multipart-uploads rule."
  }
}

run "healthy_answer_passes" {
  command = apply

  override_data {
    target = module.preflight[0].data.aws_lambda_invocation.preflight
    values = {
      result = <<-EOT
        {
          "ok": true,
          "bucket": "test-target-bucket",
          "key_prefix": "drop/zone-1/",
          "canary_key": "drop/zone-1/preflight/20261206T010203Z-00000000-0000-0000-0000-000000000000",
          "checks": [
            {
              "name": "execution_identity",
              "status": "ok",
              "detail": "arn:aws:sts::111111111111:assumed-role/cross-account-s3-writer-execution/cross-account-s3-writer"
            },
            {
              "name": "assume_role",
              "status": "ok"
            },
            {
              "name": "create_only_put",
              "status": "ok"
            },
            {
              "name": "identity_check_head",
              "status": "ok"
            },
            {
              "name": "unconditional_put_refused",
              "status": "ok"
            },
            {
              "name": "encryption",
              "status": "ok"
            },
            {
              "name": "expected_bucket_owner",
              "status": "ok"
            },
            {
              "name": "raw_mail_read",
              "status": "skipped",
              "detail": "no raw-mail bucket configured"
            }
          ]
        }
      EOT
    }
  }

  # A check that fails here fails this run (terraform test reports an unexpected check failure).
  assert {
    condition     = length(module.preflight) == 1 && module.preflight[0].function_name == module.writer_function.lambda_function_name
    error_message = "By default the preflight runs, against the deployed function."
  }
  assert {
    condition     = jsondecode(module.preflight[0].request) == { action = "preflight" }
    error_message = "The preflight sends {\"action\":\"preflight\"}."
  }
  assert {
    condition     = module.preflight[0].qualifier == null
    error_message = "Without publish and alias the preflight invokes $LATEST, as the triggers do."
  }
}

run "alias_is_what_is_checked" {
  command = apply
  variables {
    publish    = true
    alias_name = "live"
  }

  assert {
    condition     = module.preflight[0].qualifier == "live"
    error_message = "With alias_name the preflight invokes the alias, as the triggers do."
  }
  assert {
    condition     = strcontains(output.try_it, "--qualifier live --region eu-west-1 --payload '{\"action\":\"preflight\"}'")
    error_message = "try_it must show how to run the preflight by hand, on the alias."
  }
}

run "published_version_is_what_is_checked" {
  command = apply
  variables {
    publish = true
  }

  assert {
    condition     = module.preflight[0].qualifier == module.writer_function.lambda_function_version
    error_message = "With publish (no alias) the preflight invokes the version just published."
  }
}

run "can_be_turned_off" {
  command = apply
  variables {
    run_preflight = false
  }

  assert {
    condition     = length(module.preflight) == 0
    error_message = "run_preflight = false must not invoke the function."
  }
}

run "run_preflight_is_not_null" {
  command = plan
  variables {
    run_preflight = null
  }
  expect_failures = [var.run_preflight]
}

# The check itself, on the preflight module: a failed answer warns. tests/../README and broken.sh
# (case preflight-message-names-checks) show the warning names the failed check and its fix.
run "failed_answer_warns" {
  command = apply
  module {
    source = "./preflight"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    function_name = "cross-account-s3-writer"
  }

  override_data {
    target = data.aws_lambda_invocation.preflight
    values = {
      result = <<-EOT
        {
          "ok": false,
          "bucket": "test-target-bucket",
          "key_prefix": "drop/zone-1/",
          "canary_key": "drop/zone-1/preflight/20261206T010203Z-00000000-0000-0000-0000-000000000000",
          "checks": [
            {
              "name": "execution_identity",
              "status": "ok",
              "detail": "arn:aws:sts::111111111111:assumed-role/cross-account-s3-writer-execution/cross-account-s3-writer"
            },
            {
              "name": "assume_role",
              "status": "failed",
              "code": "AccessDenied",
              "detail": "sts:AssumeRole of the target role was refused",
              "fix": "let the target role's trust policy name the execution role, with the ExternalId",
              "account": "222222222222",
              "statement": "OnlyTheWriterExecutionRoleWithExternalId",
              "policy": "infra/modules/target-bucket/policies/target-trust.json.tftpl",
              "resource": "module.target_bucket.aws_iam_role.this",
              "candidates": [
                {
                  "account": "222222222222",
                  "statement": "OnlyTheWriterExecutionRoleWithExternalId",
                  "policy": "infra/modules/target-bucket/policies/target-trust.json.tftpl",
                  "resource": "module.target_bucket.aws_iam_role.this"
                },
                {
                  "account": "111111111111",
                  "statement": "AssumeExactlyTheTargetRole",
                  "policy": "infra/modules/writer-function/policies/execution-assume-target.json.tftpl",
                  "resource": "module.writer_function.aws_iam_role_policy.execution[\"assume-target-role\"]"
                }
              ]
            },
            {
              "name": "create_only_put",
              "status": "skipped",
              "detail": "needs assume_role"
            },
            {
              "name": "identity_check_head",
              "status": "skipped",
              "detail": "needs assume_role"
            },
            {
              "name": "unconditional_put_refused",
              "status": "skipped",
              "detail": "needs assume_role"
            },
            {
              "name": "encryption",
              "status": "skipped",
              "detail": "needs assume_role"
            },
            {
              "name": "expected_bucket_owner",
              "status": "skipped",
              "detail": "needs assume_role"
            },
            {
              "name": "raw_mail_read",
              "status": "skipped",
              "detail": "no raw-mail bucket configured"
            }
          ]
        }
      EOT
    }
  }

  expect_failures = [check.preflight]
}

# ok, but a warning (the bucket took an unconditional PUT: no conditional-write deny) still warns.
run "warning_answer_warns" {
  command = apply
  module {
    source = "./preflight"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    function_name = "cross-account-s3-writer"
  }

  override_data {
    target = data.aws_lambda_invocation.preflight
    values = {
      result = <<-EOT
        {
          "ok": true,
          "checks": [
            {
              "name": "assume_role",
              "status": "ok"
            },
            {
              "name": "unconditional_put_refused",
              "status": "warning",
              "detail": "the bucket accepted a PUT without If-None-Match/If-Match",
              "fix": "add the bucket policy statement DenyUnconditionalWritesUnderThePrefix"
            }
          ]
        }
      EOT
    }
  }

  expect_failures = [check.preflight]
}

# A function that does not know the action (built before it existed) answers without checks.
run "answer_without_checks_warns" {
  command = apply
  module {
    source = "./preflight"
  }
  providers = {
    aws = aws.lambda
  }
  variables {
    function_name = "cross-account-s3-writer"
  }

  override_data {
    target = data.aws_lambda_invocation.preflight
    values = {
      result = <<-EOT
        {
          "error": "unknown action"
        }
      EOT
    }
  }

  expect_failures = [check.preflight]
}

# The caller's lifecycle rules cannot take the canary rule's id.
run "canary_rule_id_is_reserved" {
  command = plan
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }
  variables {
    execution_role_arn = "arn:aws:iam::111111111111:role/cross-account-s3-writer-execution"
    lifecycle_rules    = [{ id = "expire-preflight-canaries", prefix = "drop/zone-1/preflight/" }]
  }
  expect_failures = [var.lifecycle_rules]
}

# An existing bucket whose lifecycle the module does not manage: no rule is applied, the output
# renders the one its owner must add.
run "existing_bucket_gets_the_rule_to_add" {
  command   = apply
  state_key = "existing_bucket" # a state of its own: the bucket flags are latched as first applied
  variables {
    create_bucket = false
    bucket_name   = "existing-target-bucket"
  }

  assert {
    condition     = length(module.target_bucket.lifecycle_rules) == 0 && module.target_bucket.preflight_lifecycle_rule.Filter.Prefix == "drop/zone-1/preflight/"
    error_message = "On an unmanaged bucket the rule is not applied, and output preflight_lifecycle_rule renders it for the owner."
  }
}
