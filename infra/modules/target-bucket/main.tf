# Bucket account: the target bucket, its policy and optional KMS key, and the role the writer
# function assumes.
#
# Every policy document is rendered from policies/*.json.tftpl, inside this module (the same files the local
# emulator provisions with); optional statements are appended, nothing is written inline.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  policies   = "${path.module}/policies"
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  # The region this provider creates resources in. `id` is the region name too (the offline
  # provider stand-in's schema fills only that one).
  provider_region = coalesce(data.aws_region.current.region, data.aws_region.current.id)

  manage_bucket_settings = coalesce(var.manage_bucket_settings, var.create_bucket)

  bucket_name   = var.create_bucket ? aws_s3_bucket.this[0].bucket : data.aws_s3_bucket.existing[0].bucket
  bucket_arn    = var.create_bucket ? aws_s3_bucket.this[0].arn : data.aws_s3_bucket.existing[0].arn
  bucket_region = var.create_bucket ? aws_s3_bucket.this[0].bucket_region : data.aws_s3_bucket.existing[0].bucket_region

  # SSE-KMS with the key this module creates, or with an existing key (existing_kms_key_arn).
  use_kms       = var.create_kms_key || var.existing_kms_key_arn != null
  kms_key_arn   = var.create_kms_key ? aws_kms_key.this[0].arn : var.existing_kms_key_arn
  sse_algorithm = local.use_kms ? "aws:kms" : "AES256"

  # The bucket policy's prefix deny: on by default for a bucket this module creates.
  deny_other_prefix_writers = coalesce(var.deny_other_prefix_writers, var.create_bucket)

  # Trust: exactly the execution role, with the ExternalId. During an ExternalId rotation the
  # condition lists the additional values too (StringEquals matches any value of a list).
  trust_rendered = jsondecode(templatefile("${local.policies}/target-trust.json.tftpl", {
    execution_role_arn = var.execution_role_arn
    external_id        = var.external_id
  }))
  trust_policy = length(var.additional_external_ids) == 0 ? jsonencode(local.trust_rendered) : jsonencode(merge(local.trust_rendered, {
    Statement = [for s in local.trust_rendered.Statement : merge(s, {
      Condition = merge(s.Condition, {
        StringEquals = merge(s.Condition.StringEquals, {
          "sts:ExternalId" = concat([var.external_id], var.additional_external_ids)
        })
      })
    })]
  }))

  role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      jsondecode(templatefile("${local.policies}/target-write.json.tftpl", {
        bucket_arn = local.bucket_arn
        key_prefix = var.key_prefix
      })).Statement,
      # Only through S3 in the bucket's region, and only for this bucket: with an S3 Bucket Key the
      # encryption context is the bucket ARN (without one it would be each object's ARN).
      local.use_kms ? jsondecode(templatefile("${local.policies}/target-kms.json.tftpl", {
        kms_key_arn = local.kms_key_arn
        region      = local.bucket_region
        bucket_arn  = local.bucket_arn
      })).Statement : [],
    )
  })

  # Only the target role (and the listed exceptions) may write objects under the prefix. The
  # template names the role; further ARNs join the condition's list (any value of it matches).
  prefix_writers_rendered = jsondecode(templatefile("${local.policies}/bucket-policy-prefix-writers.json.tftpl", {
    bucket_arn      = local.bucket_arn
    key_prefix      = var.key_prefix
    target_role_arn = aws_iam_role.this.arn
  }))
  prefix_writers_statements = [for s in local.prefix_writers_rendered.Statement : merge(s, {
    Condition = merge(s.Condition, {
      ArnNotLike = merge(s.Condition.ArnNotLike, {
        "aws:PrincipalArn" = concat(flatten([s.Condition.ArnNotLike["aws:PrincipalArn"]]), var.prefix_writer_exception_arns)
      })
    })
  })]

  # The module's own statements (hardening), then the caller's. A Deny always wins over an Allow,
  # so appended statements can grant more but never lift a hardening deny.
  hardening_bucket_policy_statements = concat(
    jsondecode(templatefile("${local.policies}/bucket-policy.json.tftpl", {
      bucket_arn    = local.bucket_arn
      sse_algorithm = local.sse_algorithm
      key_prefix    = var.key_prefix
    })).Statement,
    local.use_kms ? jsondecode(templatefile("${local.policies}/bucket-policy-kms.json.tftpl", {
      bucket_arn  = local.bucket_arn
      kms_key_arn = local.kms_key_arn
    })).Statement : [],
    local.deny_other_prefix_writers ? local.prefix_writers_statements : [],
  )
  bucket_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.hardening_bucket_policy_statements, var.bucket_policy_statements)
  })

  # The preflight canaries' rule, in the S3 API's shape (PutBucketLifecycleConfiguration): the
  # module's lifecycle configuration applies it, and output preflight_lifecycle_rule hands it to
  # the owner of a bucket whose lifecycle is managed elsewhere.
  preflight_prefix = "${var.key_prefix}preflight/"
  preflight_lifecycle_rule = {
    ID                          = "expire-preflight-canaries"
    Status                      = "Enabled"
    Filter                      = { Prefix = local.preflight_prefix }
    Expiration                  = { Days = 1 }
    NoncurrentVersionExpiration = { NoncurrentDays = 1 }
  }

  # The statement a key's own policy needs for the target role (the module's key has it; an
  # existing key managed elsewhere needs it pasted in: output kms_key_policy_statement).
  kms_key_policy_target_role = jsondecode(templatefile("${local.policies}/kms-key-policy-target-role.json.tftpl", {
    target_role_arn   = aws_iam_role.this.arn
    region            = local.bucket_region
    bucket_account_id = local.account_id
    bucket_arn        = local.bucket_arn
  }))
}

################################################################################
# Bucket
################################################################################

resource "aws_s3_bucket" "this" {
  # checkov:skip=CKV_AWS_18:Server access logs need a separate log bucket of the owner's choosing; CloudTrail S3 data events are the better audit trail for a write-only drop bucket.
  # checkov:skip=CKV_AWS_144:Cross-region replication is a business-continuity decision of the bucket owner (a second bucket and role); out of scope.
  # checkov:skip=CKV2_AWS_62:Event notifications belong to the bucket owner's consumers, unknown to this module.
  count = var.create_bucket ? 1 : 0

  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

data "aws_s3_bucket" "existing" {
  count = var.create_bucket ? 0 : 1

  bucket = var.bucket_name
}

# The bucket settings reference the bucket directly (not through a local) so static analysis
# (checkov) can see they belong to it.

resource "aws_s3_bucket_ownership_controls" "this" {
  count = local.manage_bucket_settings ? 1 : 0

  bucket = var.create_bucket ? aws_s3_bucket.this[0].id : data.aws_s3_bucket.existing[0].id
  rule {
    # ACLs off: the bucket account owns every object the writer puts.
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  count = local.manage_bucket_settings ? 1 : 0

  bucket                  = var.create_bucket ? aws_s3_bucket.this[0].id : data.aws_s3_bucket.existing[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  count = local.manage_bucket_settings ? 1 : 0

  bucket                = var.create_bucket ? aws_s3_bucket.this[0].id : data.aws_s3_bucket.existing[0].id
  expected_bucket_owner = local.account_id
  versioning_configuration {
    status = "Enabled"
  }

  lifecycle {
    # The provider replaces the resource when expected_bucket_owner changes: a deployment made
    # before the argument existed keeps its resource (replacing it would suspend versioning).
    ignore_changes = [expected_bucket_owner]
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count = local.manage_bucket_settings ? 1 : 0

  bucket                = var.create_bucket ? aws_s3_bucket.this[0].id : data.aws_s3_bucket.existing[0].id
  expected_bucket_owner = local.account_id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = local.sse_algorithm
      kms_master_key_id = local.kms_key_arn
    }
    # With SSE-KMS, S3 Bucket Keys cut KMS requests (and their cost) by orders of magnitude.
    bucket_key_enabled = local.use_kms
    # S3 blocks SSE-C on new buckets: say so, or providers that do not treat the argument as
    # computed plan its removal on every run. The bucket policy denies SSE-C uploads too.
    blocked_encryption_types = ["SSE-C"]
  }

  lifecycle {
    ignore_changes = [expected_bucket_owner] # see aws_s3_bucket_versioning.this
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count = local.manage_bucket_settings ? 1 : 0

  bucket                = var.create_bucket ? aws_s3_bucket.this[0].id : data.aws_s3_bucket.existing[0].id
  expected_bucket_owner = local.account_id

  # The writer uses multipart uploads for large objects and deliberately has no
  # s3:AbortMultipartUpload: S3 cleans up the parts of failed uploads after a day. Noncurrent
  # versions (left behind by every If-Match replacement of an S3 copy, and by other writers)
  # expire after noncurrent_version_expiration_days (default 30; null keeps them).
  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }

    dynamic "noncurrent_version_expiration" {
      for_each = var.noncurrent_version_expiration_days == null ? [] : [var.noncurrent_version_expiration_days]
      content {
        noncurrent_days = noncurrent_version_expiration.value
      }
    }
  }

  # The preflight's canaries (`{"action":"preflight"}` puts a fresh one under
  # <key_prefix>preflight/ on every run, a namespace no record key can take): current versions
  # expire after a day, and the version that makes noncurrent after another day; S3 then removes
  # the delete marker left alone (an Expiration with Days does that). So a canary is gone two to
  # three days after its run (S3 counts days to the next midnight UTC) and what runs leave behind
  # stays bounded. Where rules overlap (the rule above), S3 applies the shorter expiry.
  rule {
    id     = local.preflight_lifecycle_rule.ID
    status = local.preflight_lifecycle_rule.Status
    filter {
      prefix = local.preflight_lifecycle_rule.Filter.Prefix
    }
    expiration {
      days = local.preflight_lifecycle_rule.Expiration.Days
    }
    noncurrent_version_expiration {
      noncurrent_days = local.preflight_lifecycle_rule.NoncurrentVersionExpiration.NoncurrentDays
    }
  }

  # The caller's rules, after the module's own (which they cannot replace: ids must differ).
  dynamic "rule" {
    for_each = var.lifecycle_rules
    content {
      id     = rule.value.id
      status = rule.value.enabled ? "Enabled" : "Disabled"

      filter {
        prefix = rule.value.prefix
      }

      dynamic "expiration" {
        for_each = rule.value.expiration_days == null ? [] : [rule.value.expiration_days]
        content {
          days = expiration.value
        }
      }

      dynamic "transition" {
        for_each = rule.value.transitions
        content {
          days          = transition.value.days
          storage_class = transition.value.storage_class
        }
      }

      dynamic "noncurrent_version_expiration" {
        for_each = rule.value.noncurrent_version_expiration_days == null ? [] : [rule.value.noncurrent_version_expiration_days]
        content {
          noncurrent_days = noncurrent_version_expiration.value
        }
      }

      dynamic "noncurrent_version_transition" {
        for_each = rule.value.noncurrent_version_transitions
        content {
          noncurrent_days = noncurrent_version_transition.value.noncurrent_days
          storage_class   = noncurrent_version_transition.value.storage_class
        }
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]

  lifecycle {
    ignore_changes = [expected_bucket_owner] # see aws_s3_bucket_versioning.this
  }
}

resource "aws_s3_bucket_policy" "this" {
  count = local.manage_bucket_settings ? 1 : 0

  bucket = var.create_bucket ? aws_s3_bucket.this[0].id : data.aws_s3_bucket.existing[0].id
  policy = local.bucket_policy

  depends_on = [aws_s3_bucket_public_access_block.this, aws_s3_bucket_ownership_controls.this]
}

################################################################################
# KMS key (optional)
################################################################################

resource "aws_kms_key" "this" {
  count = var.create_kms_key ? 1 : 0

  description             = "SSE-KMS key of s3://${var.bucket_name} (cross-account-s3-writer)"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_in_days
  # The account's root (administration; IAM policies of the account are not enough on their own
  # for the target role, see kms-key-policy-target-role) and the target role, through S3 of the
  # bucket's region, from the bucket account, for this bucket only.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      jsondecode(templatefile("${local.policies}/kms-key-policy.json.tftpl", {
        partition         = local.partition
        bucket_account_id = local.account_id
      })).Statement,
      local.kms_key_policy_target_role.Statement,
    )
  })
  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.existing_kms_key_arn == null
      error_message = "create_kms_key and existing_kms_key_arn exclude each other: the bucket has one default key."
    }
    # Checked before CreateKey (a postcondition on self.arn would leave a stray key behind).
    precondition {
      condition     = local.provider_region == local.bucket_region
      error_message = "The KMS key would be created in ${local.provider_region} but the bucket is in ${local.bucket_region}: S3 needs a key in the bucket's region. Configure the bucket provider with the bucket's region."
    }
  }
}

################################################################################
# Target role: trusted by exactly the writer's execution role, with the ExternalId
################################################################################

resource "aws_iam_role" "this" {
  name                 = var.role_name
  description          = "Assumed by the cross-account-s3-writer function to put objects under s3://${var.bucket_name}/${var.key_prefix}"
  assume_role_policy   = local.trust_policy
  max_session_duration = 3600
  permissions_boundary = var.permissions_boundary
  tags                 = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "put-objects-under-prefix"
  role   = aws_iam_role.this.id
  policy = local.role_policy

  lifecycle {
    precondition {
      condition     = var.existing_kms_key_arn == null || try(split(":", var.existing_kms_key_arn)[3], "") == local.bucket_region
      error_message = "existing_kms_key_arn is in ${try(split(":", var.existing_kms_key_arn)[3], "?")} but the bucket is in ${local.bucket_region}: S3 encrypts only with a key in the bucket's region."
    }
  }
}

# Exactly this inline policy and no managed policy: one added by hand shows up in the next plan.
resource "aws_iam_role_policies_exclusive" "this" {
  role_name    = aws_iam_role.this.name
  policy_names = [aws_iam_role_policy.this.name]
}

resource "aws_iam_role_policy_attachments_exclusive" "this" {
  role_name   = aws_iam_role.this.name
  policy_arns = []
}
