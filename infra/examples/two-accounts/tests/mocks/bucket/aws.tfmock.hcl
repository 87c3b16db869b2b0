# Mocked bucket account (222222222222, eu-central-1). See ../lambda/aws.tfmock.hcl.

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "222222222222"
    arn        = "arn:aws:sts::222222222222:assumed-role/terraform/session"
    user_id    = "AROAEXAMPLEBUCKET:session"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition          = "aws"
    dns_suffix         = "amazonaws.com"
    reverse_dns_prefix = "com.amazonaws"
  }
}

mock_data "aws_region" {
  defaults = {
    id     = "eu-central-1"
    region = "eu-central-1"
    name   = "eu-central-1"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn           = "arn:aws:s3:::test-target-bucket"
    bucket_region = "eu-central-1"
  }
}

mock_data "aws_s3_bucket" {
  defaults = {
    arn           = "arn:aws:s3:::existing-target-bucket"
    bucket_region = "eu-central-1"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn       = "arn:aws:iam::222222222222:role/cross-account-s3-writer-target"
    unique_id = "AROAEXAMPLETARGET"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:eu-central-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
  }
}
