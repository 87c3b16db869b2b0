# Two accounts, two provider configurations. allowed_account_ids makes Terraform refuse to run
# when a profile or role lands in the wrong account.

provider "aws" {
  alias               = "lambda"
  region              = var.lambda_region
  allowed_account_ids = [var.lambda_account_id]
  profile             = var.lambda_profile

  dynamic "assume_role" {
    for_each = var.lambda_assume_role_arn == null ? [] : [var.lambda_assume_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "terraform-cross-account-s3-writer"
    }
  }

  default_tags {
    tags = var.tags
  }
}

provider "aws" {
  alias               = "bucket"
  region              = coalesce(var.bucket_region, var.lambda_region)
  allowed_account_ids = [var.bucket_account_id]
  profile             = var.bucket_profile

  dynamic "assume_role" {
    for_each = var.bucket_assume_role_arn == null ? [] : [var.bucket_assume_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "terraform-cross-account-s3-writer"
    }
  }

  default_tags {
    tags = var.tags
  }
}
