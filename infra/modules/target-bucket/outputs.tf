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
  description = "ARN of the KMS key (null without create_kms_key); the function's SSE_KMS_KEY_ARN."
  value       = local.kms_key_arn
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
