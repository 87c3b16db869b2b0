terraform {
  required_version = ">= 1.7"

  # Remote state with locking, for anything shared (the state holds the ExternalId): uncomment,
  # fill in, then `terraform init -migrate-state`. The state bucket belongs in an account of its
  # own or the lambda account, with versioning and encryption on.
  # backend "s3" {
  #   bucket       = "example-org-terraform-state"
  #   key          = "cross-account-s3-writer/terraform.tfstate"
  #   region       = "eu-west-1"
  #   encrypt      = true
  #   use_lockfile = true # S3 native locking (Terraform >= 1.10); older: dynamodb_table = "..."
  #   # profile / assume_role: how Terraform reaches the state bucket
  # }

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.22"
    }
  }
}
