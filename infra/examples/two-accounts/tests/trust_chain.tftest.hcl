# The trust chain with the defaults (SSE-S3, no triggers): who trusts whom, who may do what,
# which account each resource lands in, and what the function is told.
# No credentials needed: both provider aliases are mocked (see mocks/).

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
  package_path      = "tests/fixtures/package-placeholder.txt"
}

run "trust_chain" {
  command = apply

  # --- provider aliases: each module's resources land in its own account ---------------------
  assert {
    condition     = module.writer_function.account_id == "111111111111" && module.target_bucket.account_id == "222222222222"
    error_message = "Provider aliases are crossed: writer-function must run under aws.lambda (111111111111), target-bucket under aws.bucket (222222222222)."
  }
  assert {
    condition     = module.writer_function.execution_role_arn == "arn:aws:iam::111111111111:role/cross-account-s3-writer-execution"
    error_message = "The execution role is not in the lambda account: ${module.writer_function.execution_role_arn}"
  }
  assert {
    condition     = module.writer_function.function_arn == "arn:aws:lambda:eu-west-1:111111111111:function:cross-account-s3-writer" && module.writer_function.log_group_arn == "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/cross-account-s3-writer"
    error_message = "The function or its log group is not in the lambda account."
  }
  assert {
    condition     = module.target_bucket.role_arn == "arn:aws:iam::222222222222:role/cross-account-s3-writer-target"
    error_message = "The target role is not in the bucket account: ${module.target_bucket.role_arn}"
  }
  assert {
    condition     = module.target_bucket.bucket_arn == "arn:aws:s3:::${var.bucket_name}" && module.target_bucket.bucket_region == "eu-central-1"
    error_message = "The bucket is not the bucket account's (mocked) bucket: ${module.target_bucket.bucket_arn} in ${module.target_bucket.bucket_region}."
  }

  # --- the target role trusts exactly the execution role, with the ExternalId -----------------
  assert {
    condition     = length(jsondecode(module.target_bucket.role_trust_policy).Statement) == 1
    error_message = "The target role's trust policy must have exactly one statement."
  }
  assert {
    condition = alltrue([for s in jsondecode(module.target_bucket.role_trust_policy).Statement :
      s.Effect == "Allow"
      && try(s.Principal, null) == { AWS = module.writer_function.execution_role_arn }
      && try(s.Action, null) == "sts:AssumeRole"
      && !can(s.NotPrincipal) && !can(s.NotAction)
    ])
    error_message = "The target role must trust exactly the writer's execution role (Principal.AWS = its ARN), for sts:AssumeRole only."
  }
  assert {
    condition = alltrue([for s in jsondecode(module.target_bucket.role_trust_policy).Statement :
      try(s.Condition.StringEquals["sts:ExternalId"], null) == var.external_id
    ])
    error_message = "The target role's trust must require sts:ExternalId (StringEquals) equal to the function's TARGET_EXTERNAL_ID."
  }
  assert {
    condition     = module.target_bucket.role_max_session_duration == 3600
    error_message = "The target role's max_session_duration must be 3600 (role chaining caps sessions at one hour anyway)."
  }

  # --- the execution role: trusted by Lambda, may assume exactly the target role -------------
  assert {
    condition = jsondecode(module.writer_function.execution_role_trust_policy).Statement == [{
      Sid       = "LambdaServiceForThisFunctionOnly"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = "111111111111" }
        ArnLike      = { "aws:SourceArn" = [module.writer_function.lambda_function_arn, "${module.writer_function.lambda_function_arn}:*"] }
      }
    }]
    error_message = "The execution role must be trusted by lambda.amazonaws.com of the lambda account only, for this function only (the default)."
  }
  assert {
    condition     = toset(keys(module.writer_function.execution_role_policies)) == toset(["assume-target-role", "write-own-log-group", "send-failed-async-events"])
    error_message = "Without triggers the execution role has exactly three inline policies (assume, logs, failure queue): ${join(", ", keys(module.writer_function.execution_role_policies))}."
  }
  assert {
    condition = (
      module.writer_function.execution_role_exclusive.policy_names == toset(keys(module.writer_function.execution_role_policies))
      && length(module.writer_function.execution_role_exclusive.policy_arns) == 0
      && module.target_bucket.role_exclusive.policy_names == toset(["put-objects-under-prefix"])
      && length(module.target_bucket.role_exclusive.policy_arns) == 0
    )
    error_message = "Both roles must hold exactly their inline policies and no managed policy (aws_iam_role_policies_exclusive, aws_iam_role_policy_attachments_exclusive)."
  }
  assert {
    condition = alltrue(flatten([for name, doc in module.writer_function.execution_role_policies : [
      for s in jsondecode(doc).Statement : [
        for a in flatten([s.Action]) :
        !startswith(lower(a), "sts:") || (a == "sts:AssumeRole" && s.Resource == "arn:aws:iam::222222222222:role/cross-account-s3-writer-target")
      ]
    ]]))
    error_message = "The execution role may assume only the target role (sts:AssumeRole on its exact ARN)."
  }
  assert {
    condition     = jsondecode(module.writer_function.execution_role_policies["assume-target-role"]).Statement[0].Resource == module.target_bucket.role_arn
    error_message = "The execution role's AssumeRole grant does not name the target role that was created."
  }
  assert {
    condition = alltrue(flatten([for name, doc in module.writer_function.execution_role_policies : [
      for s in jsondecode(doc).Statement : s.Effect == "Allow" && !can(s.NotAction) && !can(s.NotResource) && alltrue([for a in flatten([s.Action]) : !strcontains(a, "*")])
    ]]))
    error_message = "The execution role's policies must not use wildcard actions, NotAction or NotResource."
  }
  assert {
    condition = jsondecode(module.writer_function.execution_role_policies["write-own-log-group"]).Statement == [{
      Sid      = "WriteOwnLogGroupOnly"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "${module.writer_function.log_group_arn}:*"
    }]
    error_message = "Logging must be scoped to the function's own log group."
  }

  # --- the target role may PutObject and GetObject (HEAD) under the prefix, nothing else ------
  assert {
    condition = alltrue([for s in jsondecode(module.target_bucket.role_policy).Statement :
      s.Effect == "Allow" && !can(s.NotAction) && !can(s.NotResource) && !can(s.Condition)
    ])
    error_message = "The target role's policy must only Allow, without NotAction/NotResource/Condition."
  }
  assert {
    condition     = toset(flatten([for s in jsondecode(module.target_bucket.role_policy).Statement : s.Action])) == toset(["s3:PutObject", "s3:GetObject"])
    error_message = "Without KMS the target role may do exactly s3:PutObject and s3:GetObject (no ListBucket, no Delete*)."
  }
  assert {
    condition = flatten([for s in jsondecode(module.target_bucket.role_policy).Statement : s.Resource if contains(flatten([s.Action]), "s3:PutObject")]) == [
      "arn:aws:s3:::test-target-bucket/incoming/*"
    ]
    error_message = "s3:PutObject must be allowed on exactly <bucket>/<key_prefix>*."
  }
  # HeadObject (identity check after a 412, HEAD before an If-Match overwrite) needs s3:GetObject:
  # on the writer's own prefix, in a statement of its own.
  assert {
    condition = [for s in jsondecode(module.target_bucket.role_policy).Statement : s if contains(flatten([s.Action]), "s3:GetObject")] == [{
      Sid      = "HeadOwnObjectsForIdentityChecksAndBeforeOverwrite"
      Effect   = "Allow"
      Action   = "s3:GetObject"
      Resource = "arn:aws:s3:::test-target-bucket/incoming/*"
    }]
    error_message = "s3:GetObject must be allowed on exactly <bucket>/<key_prefix>*, alone in its own statement."
  }

  # --- the bucket policy -----------------------------------------------------------------------
  assert {
    condition = [for s in jsondecode(module.target_bucket.bucket_policy).Statement : s.Sid] == ["DenyInsecureTransport", "DenyUnexpectedEncryption", "DenyUnconditionalWritesUnderThePrefix", "DenyCustomerProvidedKeys", "DenyObjectWritesUnderThePrefixByOtherPrincipals"] && alltrue([
      for s in jsondecode(module.target_bucket.bucket_policy).Statement : s.Effect == "Deny"
    ])
    error_message = "The SSE-S3 bucket policy of a created bucket must be the Deny statements of bucket-policy.json.tftpl, then the prefix-writers deny (bucket-policy-prefix-writers.json.tftpl)."
  }
  # Conditional writes enforced (AWS "Enforce conditional writes on Amazon S3 buckets", example 3):
  # a PutObject or CompleteMultipartUpload (s3:ObjectCreationOperation true) carrying neither
  # If-None-Match nor If-Match is denied; CreateMultipartUpload/UploadPart (false) are not.
  assert {
    condition = [for s in jsondecode(module.target_bucket.bucket_policy).Statement : s if try(s.Sid, "") == "DenyUnconditionalWritesUnderThePrefix"] == [{
      Sid       = "DenyUnconditionalWritesUnderThePrefix"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:PutObject"
      Resource  = "arn:aws:s3:::test-target-bucket/incoming/*"
      Condition = {
        Null = { "s3:if-none-match" = "true", "s3:if-match" = "true" }
        Bool = { "s3:ObjectCreationOperation" = "true" }
      }
    }]
    error_message = "The bucket policy must deny PutObject/CompleteMultipartUpload under <bucket>/<key_prefix>* carrying neither If-None-Match nor If-Match (Null both true), exempting CreateMultipartUpload/UploadPart (Bool s3:ObjectCreationOperation true)."
  }
  assert {
    condition = jsondecode(module.target_bucket.bucket_policy).Statement[1].Condition == {
      StringNotEquals = { "s3:x-amz-server-side-encryption" = "AES256" }
      Null            = { "s3:x-amz-server-side-encryption" = "false" }
    }
    error_message = "Without KMS the bucket policy must deny PUTs that name another encryption than AES256, and only those (a PUT or UploadPart without the header gets the default encryption; ...IfExists would deny them)."
  }
  assert {
    condition = [for s in jsondecode(module.target_bucket.bucket_policy).Statement : s if try(s.Sid, "") == "DenyCustomerProvidedKeys"] == [{
      Sid       = "DenyCustomerProvidedKeys"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:PutObject"
      Resource  = "arn:aws:s3:::test-target-bucket/*"
      Condition = { Null = { "s3:x-amz-server-side-encryption-customer-algorithm" = "false" } }
    }] && module.target_bucket.blocked_encryption_types == ["SSE-C"]
    error_message = "SSE-C must be blocked: blocked_encryption_types = [\"SSE-C\"] in the encryption rule, and the bucket policy must deny PUTs that carry an SSE-C algorithm."
  }
  assert {
    condition     = module.target_bucket.bucket_policy_applied
    error_message = "A created bucket gets its policy and settings from the module."
  }

  # --- what the function is told -----------------------------------------------------------
  assert {
    condition = module.writer_function.environment == {
      TARGET_ROLE_ARN       = module.target_bucket.role_arn
      TARGET_BUCKET         = "test-target-bucket"
      TARGET_BUCKET_OWNER   = "222222222222"
      TARGET_REGION         = "eu-central-1"
      KEY_PREFIX            = "incoming/"
      ROLE_SESSION_NAME     = "cross-account-s3-writer"
      ROLE_SESSION_SECONDS  = "3600"
      MAX_CONCURRENT_WRITES = "10"
      METRICS_NAMESPACE     = "cross-account-s3-writer"
    }
    error_message = "The function's environment does not point at the target role, bucket, owner, region and prefix."
  }
  assert {
    condition     = module.writer_function.target_external_id == var.external_id
    error_message = "The function's TARGET_EXTERNAL_ID differs from the ExternalId the trust policy requires."
  }
  assert {
    condition     = output.function_environment == module.writer_function.environment && output.target_role_arn == module.target_bucket.role_arn
    error_message = "The example's outputs do not show what the function got."
  }
}
