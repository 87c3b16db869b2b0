# The bucket policy and the lifecycle configuration take the caller's additions without giving
# up the module's own: extra statements are appended after the hardening statements (a Deny wins
# over any Allow, so they cannot lift one), extra lifecycle rules after the module's rules.
# Noncurrent versions expire after 30 days by default (every If-Match replacement of an S3 copy
# leaves one). The settings carry expected_bucket_owner where the provider has it.

mock_provider "aws" {
  alias  = "bucket"
  source = "./tests/mocks/bucket"
}

variables {
  bucket_name        = "test-target-bucket"
  execution_role_arn = "arn:aws:iam::111111111111:role/cross-account-s3-writer-execution"
  external_id        = "test-external-id-0123"
}

run "module_defaults" {
  command = apply
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }

  assert {
    condition = output.lifecycle_rules[*].id == ["abort-incomplete-multipart-uploads", "expire-preflight-canaries"] && [for r in output.lifecycle_rules : {
      abort      = try(one(r.abort_incomplete_multipart_upload).days_after_initiation, null)
      noncurrent = try(one(r.noncurrent_version_expiration).noncurrent_days, null)
    }] == [{ abort = 1, noncurrent = 30 }, { abort = null, noncurrent = 1 }]
    error_message = "By default the module's first rule aborts incomplete multipart uploads after 1 day and expires noncurrent versions after 30 days; its second expires the preflight canaries (tests/preflight.tftest.hcl pins it)."
  }
  assert {
    condition = [
      aws_s3_bucket_versioning.this[0].expected_bucket_owner,
      aws_s3_bucket_server_side_encryption_configuration.this[0].expected_bucket_owner,
      aws_s3_bucket_lifecycle_configuration.this[0].expected_bucket_owner,
    ] == ["222222222222", "222222222222", "222222222222"]
    error_message = "Versioning, default encryption and lifecycle configuration must carry expected_bucket_owner = the bucket account."
  }
}

run "with_additions" {
  command = apply
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }
  variables {
    bucket_policy_statements = [
      {
        Sid       = "AnalyticsReadsTheDropZone"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::222222222222:role/analytics" }
        Action    = "s3:GetObject"
        Resource  = "arn:aws:s3:::test-target-bucket/incoming/*"
      },
      {
        Sid       = "DenyDeletesOutsideTheOrg"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:DeleteObject"
        Resource  = "arn:aws:s3:::test-target-bucket/*"
        Condition = { StringNotEquals = { "aws:PrincipalOrgID" = "o-example" } }
      },
    ]
    lifecycle_rules = [
      { id = "archive-incoming", prefix = "incoming/", transitions = [{ days = 30, storage_class = "GLACIER_IR" }] },
      { id = "expire-tmp", prefix = "tmp/", expiration_days = 7 },
    ]
    noncurrent_version_expiration_days = 90
  }

  assert {
    condition     = try(slice(jsondecode(output.bucket_policy).Statement, 0, length(jsondecode(run.module_defaults.bucket_policy).Statement)), null) == jsondecode(run.module_defaults.bucket_policy).Statement
    error_message = "The hardening statements must remain, unchanged and first, when bucket_policy_statements are given."
  }
  assert {
    condition     = slice(output.bucket_policy_sids, length(output.bucket_policy_sids) - 2, length(output.bucket_policy_sids)) == ["AnalyticsReadsTheDropZone", "DenyDeletesOutsideTheOrg"]
    error_message = "bucket_policy_statements must be appended after the hardening statements."
  }
  assert {
    condition     = output.lifecycle_rules[*].id == ["abort-incomplete-multipart-uploads", "expire-preflight-canaries", "archive-incoming", "expire-tmp"] && one(output.lifecycle_rules[0].noncurrent_version_expiration).noncurrent_days == 90 && one(output.lifecycle_rules[0].abort_incomplete_multipart_upload).days_after_initiation == 1
    error_message = "lifecycle_rules must follow the module's rules; the first keeps aborting incomplete uploads (and takes noncurrent_version_expiration_days)."
  }
  assert {
    condition     = one(output.lifecycle_rules[2].filter).prefix == "incoming/" && one(output.lifecycle_rules[2].transition).storage_class == "GLACIER_IR" && one(output.lifecycle_rules[3].expiration).days == 7
    error_message = "An extra lifecycle rule must keep its prefix filter, transitions and expiration."
  }
}

run "noncurrent_expiry_can_be_disabled" {
  command = apply
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }
  variables {
    noncurrent_version_expiration_days = null
  }

  assert {
    condition     = length(output.lifecycle_rules[0].noncurrent_version_expiration) == 0
    error_message = "noncurrent_version_expiration_days = null keeps noncurrent versions."
  }
}

# The module's own Sids and lifecycle rule id cannot be taken over, and Sids must be unique.
run "additions_cannot_replace_hardening" {
  command = plan
  module {
    source = "../../modules/target-bucket"
  }
  providers = {
    aws = aws.bucket
  }
  variables {
    bucket_policy_statements = [{ Sid = "DenyInsecureTransport", Effect = "Allow", Principal = "*", Action = "s3:*", Resource = "*" }]
    lifecycle_rules          = [{ id = "abort-incomplete-multipart-uploads" }]
  }
  expect_failures = [var.bucket_policy_statements, var.lifecycle_rules]
}
