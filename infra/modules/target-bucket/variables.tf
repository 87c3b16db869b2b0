################################################################################
# Bucket
################################################################################

variable "bucket_name" {
  description = "Name of the target bucket (created, or existing when create_bucket = false)."
  type        = string

  validation {
    condition = (
      !strcontains(var.bucket_name, "..") && can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
      && length(regexall("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.bucket_name)) == 0
      && alltrue([for reserved in ["xn--", "sthree-", "amzn-s3-demo-"] : !startswith(var.bucket_name, reserved)])
      && alltrue([for reserved in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] : !endswith(var.bucket_name, reserved)])
    )
    error_message = "bucket_name must be a valid S3 bucket name: 3-63 characters of a-z, 0-9, '.', '-', starting and ending with a letter or digit, no '..', not an IP address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
  }
}

variable "create_bucket" {
  description = "Create the bucket. false: use the existing bucket bucket_name, which must be in this provider's account and region."
  type        = bool
  default     = true
}

variable "manage_bucket_settings" {
  description = "Manage the bucket's ownership controls, public access block, versioning, default encryption, lifecycle configuration and bucket policy. null: same as create_bucket. On an existing bucket these resources REPLACE its current settings (the whole bucket policy and lifecycle configuration): leave it false and merge the bucket_policy output into your own policy instead."
  type        = bool
  default     = null
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete a bucket that still holds objects (all versions are deleted)."
  type        = bool
  default     = false
}

variable "noncurrent_version_expiration_days" {
  description = "Delete noncurrent object versions this many days after they become noncurrent (the writer replaces S3-notification copies with If-Match, so every replacement leaves one; other writers too). null: keep them forever."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days == null ? true : var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be null or >= 1."
  }
}

variable "lifecycle_rules" {
  description = "Further lifecycle rules, after the module's own rules `abort-incomplete-multipart-uploads` and `expire-preflight-canaries` (which they cannot replace: ids must differ). prefix null: the whole bucket. Applied with manage_bucket_settings."
  type = list(object({
    id                                 = string
    enabled                            = optional(bool, true)
    prefix                             = optional(string)
    expiration_days                    = optional(number)
    noncurrent_version_expiration_days = optional(number)
    transitions = optional(list(object({
      days          = number
      storage_class = string
    })), [])
    noncurrent_version_transitions = optional(list(object({
      noncurrent_days = number
      storage_class   = string
    })), [])
  }))
  default = []

  validation {
    condition     = length(distinct([for r in var.lifecycle_rules : r.id])) == length(var.lifecycle_rules) && length(setintersection([for r in var.lifecycle_rules : r.id], ["abort-incomplete-multipart-uploads", "expire-preflight-canaries"])) == 0
    error_message = "lifecycle_rules ids must be unique and differ from the module's own rules abort-incomplete-multipart-uploads and expire-preflight-canaries."
  }
}

variable "bucket_policy_statements" {
  description = "Further bucket policy statements (objects as in a policy document's Statement list, e.g. jsondecode(data.aws_iam_policy_document.x.json).Statement), appended after the module's hardening statements. An explicit Deny wins over any Allow, so these can grant more but never lift a hardening deny. Each needs a Sid that the module's statements do not use."
  type        = any
  default     = []

  validation {
    condition = can(length(var.bucket_policy_statements)) && alltrue([for s in var.bucket_policy_statements :
      can(s.Sid) && can(s.Effect) && !contains([
        "DenyInsecureTransport", "DenyUnexpectedEncryption", "DenyUnconditionalWritesUnderThePrefix",
        "DenyCustomerProvidedKeys", "DenyOtherKmsKeys", "DenyObjectWritesUnderThePrefixByOtherPrincipals",
      ], try(s.Sid, ""))
    ]) && length(distinct([for s in var.bucket_policy_statements : try(s.Sid, "")])) == length(var.bucket_policy_statements)
    error_message = "bucket_policy_statements must be a list of statement objects, each with Effect and a unique Sid that is not one of the module's own statements."
  }
}

variable "deny_other_prefix_writers" {
  description = "Bucket policy: deny s3:PutObject and s3:ReplicateObject under key_prefix to every principal but the target role and prefix_writer_exception_arns (aws:PrincipalArn), the bucket account's own users, roles and root included. null: on for a bucket this module creates (create_bucket), off for an existing one."
  type        = bool
  default     = null
}

variable "prefix_writer_exception_arns" {
  description = "Principals that may still write under key_prefix when deny_other_prefix_writers is on (IAM role, user or account root ARNs; ArnLike wildcards allowed), e.g. a break-glass admin role or an S3 replication role."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.prefix_writer_exception_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$", arn))])
    error_message = "prefix_writer_exception_arns must be IAM role, user or root ARNs (arn:aws:iam::<account>:role/<name>, ...)."
  }
}

################################################################################
# Encryption
################################################################################

variable "create_kms_key" {
  description = "Create a customer managed KMS key (rotation on) and use SSE-KMS with an S3 Bucket Key. false: SSE-S3 (AES256)."
  type        = bool
  default     = false
}

variable "existing_kms_key_arn" {
  description = "ARN of an existing customer managed KMS key (not an alias) the bucket encrypts with (SSE-KMS, S3 Bucket Key): the target role gets kms:GenerateDataKey and kms:Decrypt on it, via S3 for this bucket only, and the function names it on every PUT (output kms_key_arn). The key's own policy must allow the target role too (output kms_key_policy_statement; see the README). Excludes create_kms_key."
  type        = string
  default     = null

  validation {
    condition     = var.existing_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.existing_kms_key_arn))
    error_message = "existing_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias, a key ID or a wildcard."
  }
}

variable "kms_key_deletion_window_in_days" {
  description = "Waiting period before a destroyed KMS key is deleted."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_in_days >= 7 && var.kms_key_deletion_window_in_days <= 30
    error_message = "kms_key_deletion_window_in_days must be between 7 and 30."
  }
}

################################################################################
# Target role
################################################################################

variable "role_name" {
  description = "Name of the target role. The writer function's TARGET_ROLE_ARN is this role's ARN (output role_arn)."
  type        = string
  default     = "cross-account-s3-writer-target"

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,64}$", var.role_name))
    error_message = "role_name must be 1-64 characters of [A-Za-z0-9_+=,.@-]."
  }
}

variable "execution_role_arn" {
  description = "ARN of the writer function's execution role (lambda account): the only principal the target role trusts. Pass the module output, so the role exists before the trust policy naming it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\\w+=,.@/-]+$", var.execution_role_arn))
    error_message = "execution_role_arn must be an IAM role ARN, not an account root or a wildcard."
  }
}

variable "external_id" {
  description = "The sts:ExternalId the trust policy requires (the function's TARGET_EXTERNAL_ID)."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.external_id) >= 2 && length(var.external_id) <= 1224 && can(regex("^[\\w+=,.@:/-]+$", var.external_id))
    error_message = "external_id must be 2-1224 characters of [A-Za-z0-9_+=,.@:/-]."
  }
}

variable "additional_external_ids" {
  description = "Further ExternalIds the trust policy accepts, for a rotation window only (see the README); keep empty otherwise."
  type        = list(string)
  default     = []
  sensitive   = true

  validation {
    condition     = alltrue([for id in var.additional_external_ids : length(id) >= 2 && length(id) <= 1224 && can(regex("^[\\w+=,.@:/-]+$", id))])
    error_message = "Each additional external ID must be 2-1224 characters of [A-Za-z0-9_+=,.@:/-]."
  }
}

variable "key_prefix" {
  description = "The only key prefix the target role may PutObject and GetObject (HEAD) under (the function's KEY_PREFIX), and where the bucket policy requires conditional writes. Must end with '/'."
  type        = string
  default     = "incoming/"

  validation {
    condition = (
      can(regex("^[A-Za-z0-9!_.'()=+,@/-]+/$", var.key_prefix)) && length(var.key_prefix) <= 512
      && alltrue([for segment in split("/", trimsuffix(var.key_prefix, "/")) : !contains(["", ".", ".."], segment)])
    )
    error_message = "key_prefix must end with '/', not start with '/', have no empty, '.' or '..' segment, be at most 512 bytes, and use only [A-Za-z0-9!_.'()=+,@/-] (no IAM wildcards '*' or '?', no '$')."
  }
}

variable "permissions_boundary" {
  description = "Optional permissions boundary policy ARN for the target role."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource of this module."
  type        = map(string)
  default     = {}
}
