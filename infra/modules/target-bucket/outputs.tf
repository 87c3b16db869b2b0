output "account_id" {
  description = "Account the bucket and the target role live in (the bucket account)."
  value       = local.account_id
}

output "bucket_name" {
  description = "Name of the target bucket."
  value       = local.bucket_name
}

output "bucket_arn" {
  description = "ARN of the target bucket."
  value       = local.bucket_arn
}

output "bucket_region" {
  description = "Region of the target bucket (the function's TARGET_REGION)."
  value       = local.bucket_region
}

output "key_prefix" {
  description = "Prefix the target role may write under."
  value       = var.key_prefix
}

output "sse_algorithm" {
  description = "Encryption the bucket policy expects: AES256 (SSE-S3) or aws:kms."
  value       = local.sse_algorithm
}

output "kms_key_arn" {
  description = "ARN of the KMS key the bucket encrypts with: the key this module created (create_kms_key) or existing_kms_key_arn; null with SSE-S3. The function's SSE_KMS_KEY_ARN: it names the key on every PUT with an S3 Bucket Key, so the encryption context is the bucket ARN the grants are conditioned on."
  value       = local.kms_key_arn
}

output "kms_key_created" {
  description = "Whether this module created (and manages) the KMS key."
  value       = var.create_kms_key
}

output "kms_key_policy_statement" {
  description = "Key policy (JSON, one statement) that lets the target role use the key via S3 for this bucket only. Part of the created key's policy; with existing_kms_key_arn, add this statement to that key's policy (required when the key is in another account, or its policy does not delegate to the bucket account's IAM policies). Null with SSE-S3."
  value       = local.use_kms ? jsonencode(local.kms_key_policy_target_role) : null
}

output "kms_key_policy" {
  description = "Key policy of the KMS key (JSON; null without create_kms_key)."
  value       = one(aws_kms_key.this[*].policy)
}

output "role_arn" {
  description = "ARN of the target role (the function's TARGET_ROLE_ARN)."
  value       = aws_iam_role.this.arn

  # Whoever uses the ARN (the function's TARGET_ROLE_ARN) waits for the role's permissions too.
  depends_on = [aws_iam_role_policy.this, aws_iam_role_policies_exclusive.this]
}

output "role_name" {
  description = "Name of the target role."
  value       = aws_iam_role.this.name
}

output "role_max_session_duration" {
  description = "Maximum session duration of the target role in seconds."
  value       = aws_iam_role.this.max_session_duration
}

output "role_trust_policy" {
  description = "Trust policy of the target role (JSON; sensitive because it contains the ExternalId)."
  value       = aws_iam_role.this.assume_role_policy
  sensitive   = true
}

output "role_policy" {
  description = "Inline policy of the target role (JSON), as deployed."
  value       = aws_iam_role_policy.this.policy
}

output "bucket_policy" {
  description = "The bucket policy (JSON). Applied when manage_bucket_settings; otherwise merge it into the existing bucket's policy yourself."
  value       = local.manage_bucket_settings ? aws_s3_bucket_policy.this[0].policy : local.bucket_policy
}

output "bucket_policy_sids" {
  description = "Sids of the bucket policy's statements: the module's hardening statements first, then bucket_policy_statements."
  value       = [for s in jsondecode(local.bucket_policy).Statement : s.Sid]
}

output "prefix_writers" {
  description = "Principal ARN patterns that may write under key_prefix (aws:PrincipalArn); null when deny_other_prefix_writers is off (then IAM decides)."
  value       = local.deny_other_prefix_writers ? concat([aws_iam_role.this.arn], var.prefix_writer_exception_arns) : null
}

output "lifecycle_rules" {
  description = "Lifecycle rules applied to the bucket (the module's abort-incomplete-multipart-uploads rule, with the noncurrent-version expiry, and expire-preflight-canaries, then lifecycle_rules); empty when the bucket settings are not managed here."
  value       = flatten([for c in aws_s3_bucket_lifecycle_configuration.this : c.rule])
}

output "preflight_prefix" {
  description = "Where the function's preflight (`{\"action\":\"preflight\"}`) puts its canaries: `<key_prefix>preflight/`, a namespace no record key can take."
  value       = local.preflight_prefix
}

output "preflight_lifecycle_rule" {
  description = "The lifecycle rule that expires the preflight canaries (current and noncurrent versions after 1 day), in the shape of `aws s3api put-bucket-lifecycle-configuration`'s Rules. The module applies it with manage_bucket_settings; a bucket whose lifecycle is managed elsewhere needs it added there."
  value       = local.preflight_lifecycle_rule
}

output "bucket_ownership" {
  description = "create_bucket and manage_bucket_settings as this module last took the bucket on (latched; a plan that changes them stops, see the README)."
  value       = terraform_data.bucket_ownership.output
}

output "bucket_policy_applied" {
  description = "Whether this module manages the bucket policy and the other bucket settings."
  value       = local.manage_bucket_settings
}

output "blocked_encryption_types" {
  description = "Encryption types the bucket's default encryption blocks (SSE-C); empty when the bucket settings are not managed here."
  value       = flatten([for c in aws_s3_bucket_server_side_encryption_configuration.this : [for r in c.rule : r.blocked_encryption_types]])
}

output "role_exclusive" {
  description = "What the target role exclusively has: inline policy_names and managed policy_arns (anything else is removed on apply)."
  value = {
    policy_names = toset(aws_iam_role_policies_exclusive.this.policy_names)
    policy_arns  = toset(aws_iam_role_policy_attachments_exclusive.this.policy_arns)
  }
}
