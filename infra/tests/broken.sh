#!/usr/bin/env bash
# Shows that the Terraform tests can fail: each case copies infra/ to a temp dir, breaks one
# thing on purpose (a policy template or the wiring), and requires `terraform test` to FAIL with
# the assertion that guards it. Exits non-zero if any broken copy passes, or fails for another
# reason (config error, missing tool).
#
#   bash infra/tests/broken.sh            the default cases
#   bash infra/tests/broken.sh --all      also the extra cases (same assertions, other breakages)
#   bash infra/tests/broken.sh NAME...    only these cases
# Env: INFRA_BROKEN_JOBS  cases run in parallel (default 3)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

jobs=${INFRA_BROKEN_JOBS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/infra-broken.XXXXXX")
trap 'rm -rf "$work"' EXIT

names=() files=() filters=() expects=() olds=() news=() extra=()
# case_ NAME FILE(under infra/) TEST_FILE EXPECTED_MESSAGE OLD NEW   (extra_case_: only with --all)
case_() {
  names+=("$1") files+=("$2") filters+=("$3") expects+=("$4") olds+=("$5") news+=("$6") extra+=("")
}
extra_case_() {
  case_ "$@"
  extra[${#extra[@]} - 1]=1
}

# --- the trust chain ---------------------------------------------------------------------------
case_ trust-principal-wildcard modules/target-bucket/policies/target-trust.json.tftpl trust_chain \
  "must trust exactly the writer's execution role" \
  '"AWS": "${execution_role_arn}"' \
  '"AWS": "*"'
extra_case_ trust-principal-other-role examples/two-accounts/main.tf trust_chain \
  "must trust exactly the writer's execution role" \
  'execution_role_arn      = module.writer_function.lambda_role_arn' \
  'execution_role_arn      = "arn:aws:iam::${var.lambda_account_id}:role/someone-else"'
case_ trust-without-external-id modules/target-bucket/policies/target-trust.json.tftpl trust_chain \
  "must require sts:ExternalId" \
  $'"Action": "sts:AssumeRole",\n      "Condition": { "StringEquals": { "sts:ExternalId": "${external_id}" } }' \
  '"Action": "sts:AssumeRole"'
case_ execution-assumes-any-role modules/writer-function/policies/execution-assume-target.json.tftpl trust_chain \
  "may assume only the target role" \
  '"Resource": "${target_role_arn}"' \
  '"Resource": "*"'

# --- what the target role may do -----------------------------------------------------------------
case_ write-wildcard-resource modules/target-bucket/policies/target-write.json.tftpl trust_chain \
  "s3:PutObject must be allowed on exactly <bucket>/<key_prefix>*" \
  $'"Action": "s3:PutObject",\n      "Resource": "${bucket_arn}/${key_prefix}*"' \
  $'"Action": "s3:PutObject",\n      "Resource": "*"'
case_ write-extra-s3-action modules/target-bucket/policies/target-write.json.tftpl trust_chain \
  "Without KMS the target role may do exactly s3:PutObject and s3:GetObject" \
  '"Action": "s3:PutObject"' \
  '"Action": ["s3:PutObject", "s3:DeleteObject"]'
case_ head-beyond-prefix modules/target-bucket/policies/target-write.json.tftpl trust_chain \
  "s3:GetObject must be allowed on exactly <bucket>/<key_prefix>*" \
  $'"Action": "s3:GetObject",\n      "Resource": "${bucket_arn}/${key_prefix}*"' \
  $'"Action": "s3:GetObject",\n      "Resource": "${bucket_arn}/*"'
extra_case_ head-with-list-bucket modules/target-bucket/policies/target-write.json.tftpl trust_chain \
  "Without KMS the target role may do exactly s3:PutObject and s3:GetObject" \
  '"Action": "s3:GetObject"' \
  '"Action": ["s3:GetObject", "s3:ListBucket"]'

# --- the bucket policy -------------------------------------------------------------------------
case_ cond-write-deny-removed modules/target-bucket/policies/bucket-policy.json.tftpl trust_chain \
  "The bucket policy must deny PutObject/CompleteMultipartUpload under <bucket>/<key_prefix>*" \
  $',\n    {\n      "Sid": "DenyUnconditionalWritesUnderThePrefix",\n      "Effect": "Deny",\n      "Principal": "*",\n      "Action": "s3:PutObject",\n      "Resource": "${bucket_arn}/${key_prefix}*",\n      "Condition": {\n        "Null": { "s3:if-none-match": "true", "s3:if-match": "true" },\n        "Bool": { "s3:ObjectCreationOperation": "true" }\n      }\n    }' \
  ''
extra_case_ cond-write-no-mpu-exemption modules/target-bucket/policies/bucket-policy.json.tftpl trust_chain \
  "The bucket policy must deny PutObject/CompleteMultipartUpload under <bucket>/<key_prefix>*" \
  $',\n        "Bool": { "s3:ObjectCreationOperation": "true" }' \
  ''
extra_case_ cond-write-ignores-if-match modules/target-bucket/policies/bucket-policy.json.tftpl trust_chain \
  "The bucket policy must deny PutObject/CompleteMultipartUpload under <bucket>/<key_prefix>*" \
  '"Null": { "s3:if-none-match": "true", "s3:if-match": "true" }' \
  '"Null": { "s3:if-none-match": "true" }'

# --- accounts and wiring -----------------------------------------------------------------------
case_ function-in-bucket-account examples/two-accounts/main.tf trust_chain \
  "Provider aliases are crossed" \
  'aws = aws.lambda' \
  'aws = aws.bucket'
extra_case_ bucket-in-lambda-account examples/two-accounts/main.tf trust_chain \
  "is not in the bucket account 222222222222" \
  'aws = aws.bucket' \
  'aws = aws.lambda'
extra_case_ target-role-arn-as-string examples/two-accounts/main.tf target_role_reference \
  "must be the target-bucket module's role_arn output" \
  'target_role_arn       = module.target_bucket.role_arn' \
  'target_role_arn       = "arn:aws:iam::${var.bucket_account_id}:role/${var.target_role_name}"'
case_ env-wrong-bucket examples/two-accounts/main.tf trust_chain \
  "environment does not point at the target role, bucket" \
  'target_bucket         = module.target_bucket.bucket_name' \
  'target_bucket         = "some-other-bucket"'

extra_case_ exclusive-misses-a-policy modules/writer-function/iam.tf triggers \
  "The execution role's exclusive policy list must name every inline policy" \
  'policy_names = [for p in aws_iam_role_policy.execution : p.name]' \
  'policy_names = [for p in aws_iam_role_policy.execution : p.name if p.name != "consume-trigger-queue"]'

# --- optional hardening ------------------------------------------------------------------------
case_ trust-any-function modules/writer-function/policies/execution-trust-function.json.tftpl hardening \
  "trusts Lambda only for this function" \
  '"ArnLike": { "aws:SourceArn": ["${function_arn}", "${function_arn}:*"] }' \
  '"ArnLike": { "aws:SourceArn": "arn:aws:lambda:*:${lambda_account_id}:function:*" }'
extra_case_ xray-extra-action modules/writer-function/policies/execution-xray.json.tftpl hardening \
  "Active tracing needs exactly xray:PutTraceSegments and xray:PutTelemetryRecords" \
  '"Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]' \
  '"Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetTraceSummaries"]'
case_ sqs-trigger-bypasses-alias modules/writer-function/triggers_sqs.tf hardening \
  "must invoke the alias" \
  $'  event_source_arn                   = aws_sqs_queue.this[0].arn\n  function_name                      = local.invoke_arn' \
  $'  event_source_arn                   = aws_sqs_queue.this[0].arn\n  function_name                      = aws_lambda_function.this.arn'
extra_case_ async-config-not-on-alias modules/writer-function/failures.tf hardening \
  "the on-failure configuration must be on the alias" \
  $'  qualifier                    = local.invoke_qualifier\n' \
  ''

# --- KMS ---------------------------------------------------------------------------------------
case_ kms-key-policy-without-role modules/target-bucket/policies/kms-key-policy-target-role.json.tftpl kms \
  "key policy must let the target role use the key" \
  '"Principal": { "AWS": "${target_role_arn}" }' \
  '"Principal": { "AWS": "arn:aws:iam::${bucket_account_id}:root" }'
extra_case_ kms-role-policy-without-key modules/target-bucket/main.tf kms \
  "With KMS the target role may do exactly" \
  'local.use_kms ? jsondecode(templatefile("${local.policies}/target-kms.json.tftpl"' \
  'false ? jsondecode(templatefile("${local.policies}/target-kms.json.tftpl"'
# The key policy alone authorizes in the key's account: its statement must carry the bucket.
case_ kms-key-policy-any-bucket modules/target-bucket/policies/kms-key-policy-target-role.json.tftpl kms_key_policy \
  "and only for this bucket (kms:EncryptionContext:aws:s3:arn = the bucket ARN)" \
  $',\n          "kms:EncryptionContext:aws:s3:arn": "${bucket_arn}"' \
  ''
extra_case_ kms-key-policy-any-account modules/target-bucket/policies/kms-key-policy-target-role.json.tftpl kms_key_policy \
  "from the bucket account, and only for this bucket" \
  $'\n          "kms:CallerAccount": "${bucket_account_id}",' \
  ''
# An existing bucket key (create_bucket = false, existing_kms_key_arn).
case_ existing-key-not-granted modules/target-bucket/main.tf existing_kms_key \
  "The target role may use exactly the existing key" \
  'local.use_kms ? jsondecode(templatefile("${local.policies}/target-kms.json.tftpl"' \
  'var.create_kms_key ? jsondecode(templatefile("${local.policies}/target-kms.json.tftpl"'
extra_case_ existing-key-not-sent modules/target-bucket/outputs.tf existing_kms_key \
  "The function must name the existing key on every PUT" \
  'value       = local.kms_key_arn' \
  'value       = var.create_kms_key ? local.kms_key_arn : null'

extra_case_ kms-role-direct-kms-calls modules/target-bucket/policies/target-kms.json.tftpl kms \
  "The target role may use the key only via S3 in the bucket's region" \
  '"kms:ViaService": "s3.${region}.amazonaws.com",' \
  ''

# --- who may write under the prefix (bucket policy) --------------------------------------------
case_ prefix-writers-deny-off-by-default modules/target-bucket/main.tf prefix_writers \
  "A created bucket's policy must deny object writes under" \
  'coalesce(var.deny_other_prefix_writers, var.create_bucket)' \
  'coalesce(var.deny_other_prefix_writers, false)'
case_ prefix-writers-put-allowed modules/target-bucket/policies/bucket-policy-prefix-writers.json.tftpl prefix_writers \
  "A created bucket's policy must deny object writes under" \
  '"Action": ["s3:PutObject", "s3:ReplicateObject"]' \
  '"Action": "s3:ReplicateObject"'
extra_case_ prefix-writers-whole-bucket modules/target-bucket/policies/bucket-policy-prefix-writers.json.tftpl prefix_writers \
  "A created bucket's policy must deny object writes under" \
  '"Resource": "${bucket_arn}/${key_prefix}*"' \
  '"Resource": "${bucket_arn}/*"'

# --- the caller's additions keep the hardening; noncurrent versions expire --------------------
case_ extra-statements-replace-hardening modules/target-bucket/main.tf bucket_extensions \
  "The hardening statements must remain, unchanged and first" \
  'Statement = concat(local.hardening_bucket_policy_statements, var.bucket_policy_statements)' \
  'Statement = concat(slice(local.hardening_bucket_policy_statements, 0, length(var.bucket_policy_statements) > 0 ? 1 : length(local.hardening_bucket_policy_statements)), var.bucket_policy_statements)'
case_ noncurrent-versions-kept-forever modules/target-bucket/variables.tf bucket_extensions \
  "expires noncurrent versions after 30 days" \
  $'null: keep them forever."\n  type        = number\n  default     = 30\n' \
  $'null: keep them forever."\n  type        = number\n  default     = null\n'
extra_case_ expected-owner-dropped modules/target-bucket/main.tf bucket_extensions \
  "must carry expected_bucket_owner = the bucket account" \
  $'  expected_bucket_owner = local.account_id\n  versioning_configuration {' \
  '  versioning_configuration {'

# --- flipping create_bucket / manage_bucket_settings destroys nothing --------------------------
case_ flags-not-latched modules/target-bucket/flags.tf bucket_flags \
  "was expected to report an error but did not" \
  $'    ignore_changes = [input]\n' \
  ''
extra_case_ flags-latch-ignores-manage modules/target-bucket/flags.tf bucket_flags \
  "was expected to report an error but did not" \
  'condition     = self.output.create_bucket == var.create_bucket && self.output.manage_bucket_settings == local.manage_bucket_settings' \
  'condition     = self.output.create_bucket == var.create_bucket'

# --- what the execution role may read ---------------------------------------------------------
extra_case_ source-versions-any-bucket modules/writer-function/policies/execution-read-source.json.tftpl triggers \
  "s3:GetObjectVersion must be granted on the S3 trigger's source bucket objects only" \
  '"Resource": "${source_bucket_arn}/*"' \
  '"Resource": "*"'
case_ source-read-beyond-filter-prefix modules/writer-function/iam.tf triggers \
  "on the source bucket's objects under the filter prefix only" \
  '{ source_bucket_arn = local.s3_source_read_scope }' \
  '{ source_bucket_arn = local.s3_source_bucket_arn }'
extra_case_ raw-mail-beyond-prefix modules/writer-function/policies/execution-read-raw-mail.json.tftpl triggers \
  "The execution role may read SES raw mail (s3:GetObject only) under <bucket>/<prefix>* only" \
  '"Resource": "${raw_mail_bucket_arn}/${raw_mail_prefix}*"' \
  '"Resource": "${raw_mail_bucket_arn}/*"'

# --- SQS ---------------------------------------------------------------------------------------
case_ sqs-without-batch-item-failures modules/writer-function/triggers_sqs.tf triggers \
  "must report batch item failures" \
  $'  maximum_batching_window_in_seconds = var.sqs_maximum_batching_window_in_seconds\n  function_response_types            = ["ReportBatchItemFailures"]' \
  $'  maximum_batching_window_in_seconds = var.sqs_maximum_batching_window_in_seconds\n  function_response_types            = []'
extra_case_ sqs-without-dlq modules/writer-function/triggers_sqs.tf triggers \
  "module.writer_function.queue_redrive_policy is null" \
  $'  redrive_policy = jsonencode({\n    deadLetterTargetArn = aws_sqs_queue.dlq[0].arn\n    maxReceiveCount     = var.sqs_max_receive_count\n  })\n' \
  ''

# --- stream triggers -------------------------------------------------------------------------------
case_ stream-without-batch-item-failures modules/writer-function/triggers_streams.tf streams \
  "Each stream must invoke the function through its own event source mapping that reports batch item failures" \
  $'  bisect_batch_on_function_error     = var.stream_bisect_batch_on_function_error\n  function_response_types            = ["ReportBatchItemFailures"]' \
  $'  bisect_batch_on_function_error     = var.stream_bisect_batch_on_function_error\n  function_response_types            = []'
extra_case_ stream-without-destination modules/writer-function/triggers_streams.tf streams \
  "must be described in the failure queue" \
  $'  destination_config {\n    on_failure {\n      destination_arn = aws_sqs_queue.failures.arn\n    }\n  }\n' \
  ''
case_ kinesis-read-any-stream modules/writer-function/policies/execution-read-kinesis.json.tftpl streams \
  "may read exactly the Kinesis trigger stream" \
  '"Resource": "${stream_arn}"' \
  '"Resource": "*"'
extra_case_ dynamodb-list-any-table modules/writer-function/policies/execution-read-dynamodb-stream.json.tftpl streams \
  "list only that table's streams" \
  '"Resource": "${table_arn}/stream/*"' \
  '"Resource": "*"'

# --- data-lake delivery settings ----------------------------------------------------------------
case_ delivery-setting-dropped modules/writer-function/locals.tf delivery \
  "The delivery settings must reach the function" \
  '      CONTENT_ENCODING     = var.content_encoding' \
  '      CONTENT_ENCODING     = null'

# --- SSE-C ---------------------------------------------------------------------------------------
extra_case_ sse-c-allowed-by-policy modules/target-bucket/policies/bucket-policy.json.tftpl trust_chain \
  "SSE-C must be blocked" \
  '"Condition": { "Null": { "s3:x-amz-server-side-encryption-customer-algorithm": "false" } }' \
  '"Condition": { "Null": { "s3:x-amz-server-side-encryption-customer-algorithm": "true" } }'
extra_case_ sse-c-not-blocked modules/target-bucket/main.tf trust_chain \
  "SSE-C must be blocked" \
  '    blocked_encryption_types = ["SSE-C"]' \
  ''

# --- failures that do not vanish, and their alarms ----------------------------------------------
case_ send-failures-any-queue modules/writer-function/policies/execution-send-failures.json.tftpl failures \
  "The execution role may sqs:SendMessage to exactly the failure queue" \
  '"Resource": "${queue_arn}"' \
  '"Resource": "*"'
case_ async-without-destination modules/writer-function/failures.tf failures \
  "Asynchronous invocations must have bounded retries and event age, and the failure queue as on-failure destination" \
  $'\n  destination_config {\n    on_failure {\n      destination = aws_sqs_queue.failures.arn\n    }\n  }\n' \
  ''
extra_case_ sns-dead-letters-any-topic modules/writer-function/policies/failure-queue-from-sns.json.tftpl failures \
  "The failure queue policy must let exactly SNS (from the topic) and EventBridge (from the rule) send" \
  $',\n      "Condition": { "ArnEquals": { "aws:SourceArn": "${topic_arn}" } }' \
  ''
extra_case_ eventbridge-dead-letters-any-rule modules/writer-function/policies/failure-queue-from-eventbridge.json.tftpl failures \
  "The failure queue policy must let exactly SNS (from the topic) and EventBridge (from the rule) send" \
  '"Condition": { "ArnEquals": { "aws:SourceArn": "${rule_arn}" } }' \
  '"Condition": { "StringEquals": { "aws:SourceAccount": "111111111111" } }'
extra_case_ sns-without-redrive modules/writer-function/triggers_sns.tf failures \
  "The SNS subscription must redrive undeliverable messages to the failure queue" \
  '  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.failures.arn })' \
  ''
extra_case_ eventbridge-without-dead-letters modules/writer-function/triggers_eventbridge.tf failures \
  "The EventBridge target must have a retry policy and the failure queue as dead-letter queue" \
  $'  dead_letter_config {\n    arn = aws_sqs_queue.failures.arn\n  }\n' \
  ''
case_ records-failed-alarm-wrong-namespace modules/writer-function/alarms.tf failures \
  "The RecordsFailed alarm must watch the function's namespace with the [FunctionName] dimension set" \
  'namespace   = local.metrics_namespace' \
  'namespace   = var.function_name'
extra_case_ dlq-alarm-on-trigger-queue modules/writer-function/alarms.tf failures \
  "The queue alarms must watch ApproximateNumberOfMessagesVisible of the failure queue and of the DLQ" \
  'dimensions  = { QueueName = aws_sqs_queue.dlq[0].name }' \
  'dimensions  = { QueueName = aws_sqs_queue.this[0].name }'

# --- the lambda account: package architecture, KMS for objects read, execution trust --------------
case_ arch-mismatch-not-refused modules/writer-function/main.tf package_architecture \
  'run "x86_64_build_for_arm64_fails_the_plan"... fail' \
  'condition     = local.package_arch == null || local.package_arch == var.architecture' \
  'condition     = local.package_arch == null || var.architecture != ""'
case_ source-decrypt-not-via-s3 modules/writer-function/policies/execution-decrypt-source.json.tftpl source_kms \
  "The S3 trigger's source key: kms:Decrypt on exactly that key, only via S3" \
  $'"StringEquals": { "kms:ViaService": "s3.${region}.amazonaws.com" },\n        ' \
  ''
extra_case_ source-decrypt-any-key modules/writer-function/policies/execution-decrypt-source.json.tftpl source_kms \
  "The S3 trigger's source key: kms:Decrypt on exactly that key, only via S3" \
  '"Resource": "${kms_key_arn}"' \
  '"Resource": "*"'
case_ raw-mail-decrypt-any-bucket modules/writer-function/policies/execution-decrypt-raw-mail.json.tftpl source_kms \
  "The raw-mail key: kms:Decrypt on exactly that key, only via S3 in eu-west-1, only for test-mail-bucket" \
  '"StringLike": { "kms:EncryptionContext:aws:s3:arn": ["${bucket_arn}", "${object_arns}"] }' \
  '"StringLike": { "kms:EncryptionContext:aws:s3:arn": "*" }'
case_ execution-trust-default-account-wide modules/writer-function/variables.tf execution_trust \
  "By default the execution role trusts Lambda for this function only" \
  $'Only shapes a role the module creates (ignored with execution_role_arn)."\n  type        = bool\n  default     = true' \
  $'Only shapes a role the module creates (ignored with execution_role_arn)."\n  type        = bool\n  default     = false'

# --- central-archive triggers: CloudWatch Logs subscriptions, S3 through SQS, S3 through EventBridge
case_ logs-permission-without-source-arn modules/writer-function/triggers_cloudwatch_logs.tf cloudwatch_logs_trigger \
  "CloudWatch Logs may invoke the alias only for each subscribed log group (source_arn = its ARN)" \
  $'  source_arn     = local.cloudwatch_logs_source_arns[each.key]\n' \
  ''
case_ logs-permission-without-source-account modules/writer-function/triggers_cloudwatch_logs.tf cloudwatch_logs_trigger \
  "of the lambda account (source_account)" \
  $'  source_account = local.account_id\n' \
  ''
extra_case_ logs-own-log-group-allowed modules/writer-function/triggers_cloudwatch_logs.tf cloudwatch_logs_trigger \
  "was expected to report an error but did not" \
  'condition     = each.value.log_group_name != local.log_group_name' \
  'condition     = each.value.log_group_name != ""'
case_ s3-queue-policy-without-source-arn modules/writer-function/policies/notification-queue-from-s3.json.tftpl s3_queue_trigger \
  "must let only s3.amazonaws.com send, with aws:SourceArn = the bucket and aws:SourceAccount = the lambda account" \
  $'"ArnEquals": { "aws:SourceArn": "${bucket_arn}" },\n        ' \
  ''
case_ s3-queue-read-whole-bucket modules/writer-function/iam.tf s3_queue_trigger \
  "on the notifying bucket's objects under the prefix only" \
  '{ source_bucket_arn = local.s3_notification_queue.read_scope }' \
  '{ source_bucket_arn = local.s3_notification_queue.bucket_arn }'
case_ s3-bucket-in-two-triggers modules/writer-function/triggers_s3_queue.tf s3_queue_trigger \
  "was expected to report an error but did not" \
  's3_notification_buckets_distinct = length(distinct(local.s3_notification_buckets)) == length(local.s3_notification_buckets)' \
  's3_notification_buckets_distinct = true'
case_ s3-eventbridge-rule-any-bucket modules/writer-function/triggers_s3_eventbridge.tf s3_eventbridge_trigger \
  "must match exactly the bucket's Object Created events under the prefix" \
  '      { bucket = { name = [var.s3_eventbridge.bucket_name] } },' \
  '      {},'

# --- after apply: the preflight check, and the lifecycle that bounds its canaries ----------------
case_ preflight-canaries-noncurrent-kept modules/target-bucket/main.tf preflight \
  "must expire the preflight canaries under <key_prefix>preflight/, current and noncurrent versions, after 1 day" \
  $'    noncurrent_version_expiration {\n      noncurrent_days = local.preflight_lifecycle_rule.NoncurrentVersionExpiration.NoncurrentDays\n    }\n' \
  ''
extra_case_ preflight-canaries-whole-prefix modules/target-bucket/main.tf preflight \
  "must expire the preflight canaries under <key_prefix>preflight/" \
  'preflight_prefix = "${var.key_prefix}preflight/"' \
  'preflight_prefix = var.key_prefix'
case_ preflight-check-ignores-ok examples/two-accounts/preflight/main.tf preflight \
  "check.preflight, was expected to report an error" \
  'condition = try(jsondecode(data.aws_lambda_invocation.preflight.result).ok, null) == true' \
  'condition = can(jsondecode(data.aws_lambda_invocation.preflight.result).checks)'
# The failed answer's run without its expect_failures: the check's warning must name the failed
# check, its code, what happened, the fix and where it goes.
case_ preflight-message-names-checks examples/two-accounts/tests/preflight.tftest.hcl preflight \
  "- assume_role [AccessDenied]: sts:AssumeRole of the target role was refused fix: let the target role's trust policy name the execution role, with the ExternalId account: 222222222222 statement: OnlyTheWriterExecutionRoleWithExternalId policy: infra/modules/target-bucket/policies/target-trust.json.tftpl resource: module.target_bucket.aws_iam_role.this or: account 111111111111, AssumeExactlyTheTargetRole (infra/modules/writer-function/policies/execution-assume-target.json.tftpl, module.writer_function.aws_iam_role_policy.execution[\"assume-target-role\"])" \
  $'  expect_failures = [check.preflight]\n}\n\n# ok, but a warning' \
  $'}\n\n# ok, but a warning'
extra_case_ preflight-warnings-pass examples/two-accounts/preflight/main.tf preflight \
  "check.preflight, was expected to report an error" \
  $'    ]) == 0\n' \
  $'    ]) >= 0\n'
extra_case_ preflight-bypasses-alias examples/two-accounts/preflight.tf preflight \
  "With alias_name the preflight invokes the alias" \
  'qualifier = var.alias_name != null ? var.alias_name : (var.publish ? module.writer_function.lambda_function_version : null)' \
  'qualifier = null'
extra_case_ preflight-not-turned-off examples/two-accounts/preflight.tf preflight \
  "run_preflight = false must not invoke the function" \
  'count  = var.run_preflight ? 1 : 0' \
  'count  = 1'
extra_case_ preflight-rule-id-not-reserved modules/target-bucket/variables.tf preflight \
  "was expected to report an error" \
  '["abort-incomplete-multipart-uploads", "expire-preflight-canaries"]' \
  '["abort-incomplete-multipart-uploads"]'

# Break one copy and run its test file; succeed only if the test fails with the expected message.
run_case() {
  local i=$1 name=${names[$1]} dir=$work/${names[$1]} log=$work/${names[$1]}.log
  stage_infra "$dir" || return 2
  OLD=${olds[$i]} NEW=${news[$i]} python3 - "$dir/infra/${files[$i]}" <<'PY' || return 2
import os, sys
path, old, new = sys.argv[1], os.environ["OLD"], os.environ["NEW"]
text = open(path).read()
if text.count(old) != 1:
    sys.exit(f"broken.sh: expected exactly one occurrence in {path} of: {old!r} (found {text.count(old)}); update the case")
open(path, "w").write(text.replace(old, new))
PY
  terraform fmt -recursive "$dir/infra" >/dev/null 2>&1 || true
  if tf_test "$dir/infra/examples/two-accounts" "-filter=tests/${filters[$i]}.tftest.hcl" >"$log" 2>&1; then
    return 1 # the broken copy passed: the tests cannot see this
  fi
  # Failed in the test step (configuration valid), with the assertion that guards this.
  local flat
  flat=$(tr -s ' \n\t│' ' ' <"$log")
  grep -q "Success! The configuration is valid." "$log" || return 3
  grep -qF -- "${expects[$i]}" <<<"$flat" || return 4
  return 0
}

selected=()
if [ "${1:-}" = --all ]; then
  selected=("${!names[@]}")
elif [ $# -gt 0 ]; then
  for want in "$@"; do
    found=
    for i in "${!names[@]}"; do [ "${names[$i]}" = "$want" ] && selected+=("$i") && found=1; done
    [ -n "$found" ] || { echo "broken.sh: no case named $want (cases: ${names[*]})" >&2; exit 2; }
  done
else
  for i in "${!names[@]}"; do [ -n "${extra[$i]}" ] || selected+=("$i"); done
fi

echo "broken.sh: ${#selected[@]} deliberately broken copies, each must FAIL terraform test (${jobs} in parallel)"
declare -A pid_case=()
declare -A rc_case=()
for i in "${selected[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  (run_case "$i") &
  pid_case[$!]=$i
done
for pid in "${!pid_case[@]}"; do
  rc=0
  wait "$pid" || rc=$?
  rc_case[${pid_case[$pid]}]=$rc
done

bad=0
for i in "${selected[@]}"; do
  rc=${rc_case[$i]}
  case $rc in
    0) printf '  ok    %-34s fails as it must: "%s"\n' "${names[$i]}" "${expects[$i]}" ;;
    1) printf '  FAIL  %-34s the broken copy PASSED terraform test\n' "${names[$i]}" ;;
    2) printf '  FAIL  %-34s could not apply the mutation to %s\n' "${names[$i]}" "${files[$i]}" ;;
    3) printf '  FAIL  %-34s failed before the tests ran (fmt/init/validate)\n' "${names[$i]}" ;;
    *) printf '  FAIL  %-34s failed, but not with: "%s"\n' "${names[$i]}" "${expects[$i]}" ;;
  esac
  if [ "$rc" -ne 0 ]; then
    bad=$((bad + 1))
    [ -f "$work/${names[$i]}.log" ] && sed 's/^/        | /' "$work/${names[$i]}.log" | tail -40
  fi
done
if [ "$bad" -ne 0 ]; then
  echo "broken.sh: $bad of ${#selected[@]} cases did not fail as they must"
  exit 1
fi
echo "broken.sh: all ${#selected[@]} broken copies fail terraform test"
