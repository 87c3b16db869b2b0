################################################################################
# Function
################################################################################

variable "function_name" {
  description = "Name of the Lambda function; also names the log group (`/aws/lambda/<name>`) and, by default, the execution role and the role session."
  type        = string
  default     = "cross-account-s3-writer"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{2,64}$", var.function_name))
    error_message = "function_name must be 2-64 characters of letters, digits, '-' and '_' (it is also the default role session name, which needs 2)."
  }
}

variable "description" {
  description = "Description of the Lambda function."
  type        = string
  default     = "Writes incoming events as objects into a bucket in another AWS account through an assumed role."
}

variable "package_path" {
  description = "Path of the deployment zip: `make build-arm64` writes `target/lambda-arm64/cross-account-s3-writer/bootstrap.zip` and its architecture record `bootstrap.zip.arch`. When `<package_path>.arch` exists, a plan whose architecture differs fails; without it a check warns that the architecture could not be verified. Relative paths are relative to the directory Terraform runs in."
  type        = string

  validation {
    condition     = fileexists(var.package_path)
    error_message = "package_path does not exist: build it first with `make build-arm64` (target/lambda-arm64/cross-account-s3-writer/bootstrap.zip; x86_64: `make build-host` on an x86_64 machine and architecture = \"x86_64\")."
  }
}

variable "architecture" {
  description = "Instruction set of the function: arm64 (Graviton, the default) or x86_64. Must match the build: the plan fails when `<package_path>.arch` (written by `make build-arm64` / `make build-host`) names another one."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "memory_size" {
  description = "Memory in MB. CPU share scales with it; 128 is plenty for the Rust function unless records are large."
  type        = number
  default     = 128

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB between 128 and 10240."
  }
}

variable "timeout" {
  description = "Function timeout in seconds."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds between 1 and 900."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions. null leaves the function unreserved (shares the account pool); 0 stops all invocations."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrency == null ? true : var.reserved_concurrency >= 0 && floor(var.reserved_concurrency) == var.reserved_concurrency
    error_message = "reserved_concurrency must be null or a whole number >= 0."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the function's log group `/aws/lambda/<function_name>`."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "log_group_kms_key_arn" {
  description = "Optional KMS key ARN to encrypt the log group with (the key policy must allow the CloudWatch Logs service). null: CloudWatch Logs' default encryption."
  type        = string
  default     = null
}

variable "log_level" {
  description = "Application log level (logging_config.application_log_level, JSON log format): Lambda drops the function's lines below it and passes it as AWS_LAMBDA_LOG_LEVEL. Every level keeps the EMF metric lines (RecordsFailed, ...) and so the records-failed alarm: the function writes them with a level that passes every filter (see the README's Logs and metrics)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_level)
    error_message = "log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

variable "system_log_level" {
  description = "Level of the Lambda platform's own log lines (START/END/REPORT are INFO)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN"], var.system_log_level)
    error_message = "system_log_level must be one of DEBUG, INFO, WARN."
  }
}

variable "execution_role_arn" {
  description = "Bring your own execution role: its ARN (a role of the function's account, trusted by lambda.amazonaws.com). The module then creates no role and attaches nothing: grant the role exactly the execution_role_required_policies output. null: the module creates the role."
  type        = string
  default     = null

  validation {
    condition     = var.execution_role_arn == null ? true : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\\w+=,.@/-]{1,512}$", var.execution_role_arn))
    error_message = "execution_role_arn must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "restrict_execution_trust_to_function" {
  description = "The execution role's trust names this function only (aws:SourceArn = its ARN, or a version/alias of it, with aws:SourceAccount), as AWS recommends for service roles, so a function that is given the role (iam:PassRole) elsewhere in the account cannot use it. false: any Lambda function of this account may be given the role. Only shapes a role the module creates (ignored with execution_role_arn)."
  type        = bool
  default     = true
}

variable "tracing_mode" {
  description = "X-Ray tracing of the function: PassThrough (default; no segments unless the caller traces) or Active (Lambda records each invocation; adds the write-xray-traces policy)."
  type        = string
  default     = "PassThrough"

  validation {
    condition     = contains(["PassThrough", "Active"], var.tracing_mode)
    error_message = "tracing_mode must be PassThrough or Active."
  }
}

variable "publish" {
  description = "Publish a new version of the function on every code or configuration change."
  type        = bool
  default     = false
}

variable "alias_name" {
  description = "An alias pointing at the latest published version (needs publish = true); every trigger, permission, the Function URL and the asynchronous configuration then use the alias. null: they use the unqualified function ($LATEST)."
  type        = string
  default     = null

  validation {
    condition     = var.alias_name == null ? true : can(regex("^[a-zA-Z][a-zA-Z0-9_-]{0,127}$", var.alias_name))
    error_message = "alias_name must be 1-128 characters of [a-zA-Z0-9_-] starting with a letter."
  }
}

variable "execution_role_name" {
  description = "Name of the execution role. null: `<function_name>-execution`."
  type        = string
  default     = null

  validation {
    condition     = var.execution_role_name == null ? true : can(regex("^[\\w+=,.@-]{1,64}$", var.execution_role_name))
    error_message = "execution_role_name must be 1-64 characters of [A-Za-z0-9_+=,.@-]."
  }
}

variable "permissions_boundary" {
  description = "Optional permissions boundary policy ARN for the execution role."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource of this module."
  type        = map(string)
  default     = {}
}

################################################################################
# What the function writes where (environment variables of the function)
################################################################################

variable "target_role_arn" {
  description = "TARGET_ROLE_ARN: the role in the bucket account the function assumes. The execution role may assume exactly this ARN. Pass the target-bucket module's role_arn output (there is no cycle: this module's grants are separate resources)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?:iam::[0-9]{12}:role/[\\w+=,.@/-]*[\\w+=,.@-]$", var.target_role_arn))
    error_message = "target_role_arn must be an IAM role ARN (arn:<partition>:iam::<12-digit account>:role/<optional path/><name>) of a known partition, without wildcards."
  }
}

variable "target_bucket" {
  description = "TARGET_BUCKET: name of the bucket in the bucket account."
  type        = string

  validation {
    condition = (
      !strcontains(var.target_bucket, "..") && can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.target_bucket))
      && length(regexall("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.target_bucket)) == 0
      && alltrue([for reserved in ["xn--", "sthree-", "amzn-s3-demo-"] : !startswith(var.target_bucket, reserved)])
      && alltrue([for reserved in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] : !endswith(var.target_bucket, reserved)])
    )
    error_message = "target_bucket must be a valid S3 bucket name: 3-63 characters of a-z, 0-9, '.', '-', starting and ending with a letter or digit, no '..', not an IP address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
  }
}

variable "target_bucket_owner" {
  description = "TARGET_BUCKET_OWNER: account ID expected to own the bucket (sent as x-amz-expected-bucket-owner). null: the account in target_role_arn."
  type        = string
  default     = null

  validation {
    condition     = var.target_bucket_owner == null ? true : can(regex("^[0-9]{12}$", var.target_bucket_owner))
    error_message = "target_bucket_owner must be a 12-digit account ID."
  }
}

variable "target_region" {
  description = "TARGET_REGION: region of the bucket (the SDK does not follow S3 redirects). null: not set, the function uses its own region."
  type        = string
  default     = null

  validation {
    condition     = var.target_region == null ? true : can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]+$", var.target_region))
    error_message = "target_region must look like a region name, e.g. eu-west-1 or eusc-de-east-1."
  }
}

variable "external_id" {
  description = "TARGET_EXTERNAL_ID: the sts:ExternalId the function passes to AssumeRole; the target role's trust policy requires the same value."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.external_id) >= 2 && length(var.external_id) <= 1224 && can(regex("^[\\w+=,.@:/-]+$", var.external_id))
    error_message = "external_id must be 2-1224 characters of [A-Za-z0-9_+=,.@:/-]."
  }
}

variable "key_prefix" {
  description = "KEY_PREFIX: prefix of every object key written. Must end with '/' and equal the prefix the target role may write under."
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

variable "sse_kms_key_arn" {
  description = "SSE_KMS_KEY_ARN: full ARN (not an alias) of the KMS key to encrypt objects with. null: SSE-S3, no header sent."
  type        = string
  default     = null

  validation {
    condition     = var.sse_kms_key_arn == null ? true : can(regex("^arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.sse_kms_key_arn))
    error_message = "sse_kms_key_arn must be a full KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "role_session_name" {
  description = "ROLE_SESSION_NAME: session name for AssumeRole (appears in the bucket account's CloudTrail). null: the function name."
  type        = string
  default     = null

  validation {
    condition     = var.role_session_name == null ? true : can(regex("^[\\w+=,.@-]{2,64}$", var.role_session_name))
    error_message = "role_session_name must be 2-64 characters of [A-Za-z0-9_+=,.@-]."
  }
}

variable "role_session_seconds" {
  description = "ROLE_SESSION_SECONDS: duration of the assumed-role session. Lambda role -> target role is role chaining, which AWS caps at 3600."
  type        = number
  default     = 3600

  validation {
    condition     = var.role_session_seconds >= 900 && var.role_session_seconds <= 3600 && floor(var.role_session_seconds) == var.role_session_seconds
    error_message = "role_session_seconds must be a whole number between 900 and 3600 (role chaining caps sessions at one hour)."
  }
}

variable "max_concurrent_writes" {
  description = "MAX_CONCURRENT_WRITES: PutObject calls in flight per invocation."
  type        = number
  default     = 10

  validation {
    condition     = var.max_concurrent_writes >= 1 && var.max_concurrent_writes <= 64 && floor(var.max_concurrent_writes) == var.max_concurrent_writes
    error_message = "max_concurrent_writes must be a whole number between 1 and 64."
  }
}

variable "key_template" {
  description = "KEY_TEMPLATE: the key layout below key_prefix, e.g. \"{source}/{source_name}/dt={yyyy}-{MM}-{dd}/{HH}/{id}\" (time tokens from each record's event time); the function validates it fully at start. null: the per-source layout."
  type        = string
  default     = null

  validation {
    # The function's rules (src/keys/template.rs), which tests/config_module.rs checks sample by
    # sample: known tokens only, no '%' or control character in the text, no empty, '.' or '..'
    # segment, {source}, {source_name} and {id} each exactly once as a whole segment, and a first
    # segment that is {source} or plain text.
    condition = var.key_template == null ? true : (
      can(regex("^[^{}%\\x00-\\x1f\\x7f-\\x{9f}]*$", replace(var.key_template, "/\\{(source|source_name|id|partition_key|yyyy|MM|dd|HH|mm)\\}/", "")))
      && alltrue([for segment in split("/", var.key_template) : !contains(["", ".", ".."], segment)])
      && alltrue([for token in ["{source}", "{source_name}", "{id}"] : length(split(token, var.key_template)) == 2 && contains(split("/", var.key_template), token)])
      && (split("/", var.key_template)[0] == "{source}" || !strcontains(split("/", var.key_template)[0], "{"))
    )
    error_message = "key_template must use only the tokens {source}, {source_name}, {id}, {partition_key}, {yyyy}, {MM}, {dd}, {HH}, {mm}; contain {source}, {source_name} and {id} each exactly once as a whole segment; have no '%', control character, or empty, '.' or '..' segment (so no leading or trailing '/'); and start with {source} or a plain-text segment."
  }
}

variable "object_mode" {
  description = "OBJECT_MODE: record (one object per record) or batch (the records of one invocation from SQS, SNS, Kinesis, DynamoDB, Kafka or direct objects as one NDJSON object). null: record."
  type        = string
  default     = null

  validation {
    condition     = var.object_mode == null ? true : contains(["record", "batch"], lower(var.object_mode))
    error_message = "object_mode must be record or batch (any case)."
  }
}

variable "max_batch_bytes" {
  description = "MAX_BATCH_BYTES: largest batch object before it is split into several (1024..536870912). null: the function's default, 5 MiB."
  type        = number
  default     = null

  validation {
    condition     = var.max_batch_bytes == null ? true : var.max_batch_bytes >= 1024 && var.max_batch_bytes <= 536870912 && floor(var.max_batch_bytes) == var.max_batch_bytes
    error_message = "max_batch_bytes must be a whole number of bytes from 1024 to 536870912 (512 MiB)."
  }
}

variable "content_encoding" {
  description = "CONTENT_ENCODING: gzip stores batch and inline objects compressed (Content-Encoding: gzip, key suffix .gz), identity as they came. null: identity."
  type        = string
  default     = null

  validation {
    condition     = var.content_encoding == null ? true : contains(["identity", "none", "gzip"], lower(var.content_encoding))
    error_message = "content_encoding must be identity (or none) or gzip (any case)."
  }
}

variable "max_concurrent_parts" {
  description = "MAX_CONCURRENT_PARTS: parts of one multipart S3 copy uploaded at once (1..16), and so held in memory. null: the function's default, 4."
  type        = number
  default     = null

  validation {
    condition     = var.max_concurrent_parts == null ? true : var.max_concurrent_parts >= 1 && var.max_concurrent_parts <= 16 && floor(var.max_concurrent_parts) == var.max_concurrent_parts
    error_message = "max_concurrent_parts must be a whole number from 1 to 16."
  }
}

variable "ses_raw_mail_bucket" {
  description = "SES_RAW_MAIL_BUCKET: bucket (in the lambda account) where an SES receipt rule's S3 action stores raw mail, so the function copies the raw message. null: not set. Grants the execution role s3:GetObject on `<bucket>/<ses_raw_mail_prefix>*`."
  type        = string
  default     = null

  validation {
    condition = var.ses_raw_mail_bucket == null ? true : (
      !strcontains(var.ses_raw_mail_bucket, "..") && can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.ses_raw_mail_bucket))
      && length(regexall("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.ses_raw_mail_bucket)) == 0
      && alltrue([for reserved in ["xn--", "sthree-", "amzn-s3-demo-"] : !startswith(var.ses_raw_mail_bucket, reserved)])
      && alltrue([for reserved in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] : !endswith(var.ses_raw_mail_bucket, reserved)])
    )
    error_message = "ses_raw_mail_bucket must be a valid S3 bucket name (the rules of target_bucket)."
  }
}

variable "ses_raw_mail_prefix" {
  description = "SES_RAW_MAIL_PREFIX: object key prefix of the SES S3 action (the function reads `<prefix><messageId>`). Empty or ending with '/': the read grant is `<bucket>/<prefix>*`, rendered from execution-read-raw-mail.json.tftpl."
  type        = string
  default     = ""

  validation {
    condition     = var.ses_raw_mail_prefix == "" || (can(regex("^[A-Za-z0-9!_.'()=+,@-][A-Za-z0-9!_.'()=+,@/-]*/$", var.ses_raw_mail_prefix)) && !strcontains(var.ses_raw_mail_prefix, "//"))
    error_message = "ses_raw_mail_prefix must be empty or end with '/', without '//', wildcards or '$'."
  }
}

variable "ses_raw_mail_kms_key_arn" {
  description = "KMS key ARN the SES raw-mail bucket encrypts with (SSE-KMS with a customer managed key). Grants the execution role kms:Decrypt on exactly this key, only through S3 in this region and only for that bucket's objects under `ses_raw_mail_prefix` (`execution-decrypt-raw-mail.json.tftpl`). The key's policy must allow this account (root delegation, or the execution role). null: no grant (SSE-S3 or the AWS managed aws/s3 key)."
  type        = string
  default     = null

  validation {
    condition     = var.ses_raw_mail_kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.ses_raw_mail_kms_key_arn))
    error_message = "ses_raw_mail_kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias."
  }
}

################################################################################
# Triggers (each off by default)
################################################################################

variable "create_sqs_trigger" {
  description = "Create an SQS queue (SSE on) with a dead-letter queue, and an event source mapping reporting batch item failures."
  type        = bool
  default     = false
}

variable "sqs_queue_name" {
  description = "Name of the trigger queue. null: function_name. Set it (and sqs_dlq_name) before renaming the function: a new name replaces the queue, and its messages are lost."
  type        = string
  default     = null

  validation {
    condition     = var.sqs_queue_name == null ? true : can(regex("^[A-Za-z0-9_-]{1,80}$", var.sqs_queue_name))
    error_message = "sqs_queue_name must be 1-80 characters of letters, digits, '-' and '_' (a standard queue)."
  }
}

variable "sqs_dlq_name" {
  description = "Name of the trigger queue's dead-letter queue. null: `<sqs_queue_name>-dlq`. A new name replaces the queue, and the messages waiting in it are lost."
  type        = string
  default     = null

  validation {
    condition     = var.sqs_dlq_name == null ? true : can(regex("^[A-Za-z0-9_-]{1,80}$", var.sqs_dlq_name))
    error_message = "sqs_dlq_name must be 1-80 characters of letters, digits, '-' and '_' (a standard queue)."
  }
}

variable "sqs_batch_size" {
  description = "Records per batch of the SQS event source mapping (more than 10 requires sqs_maximum_batching_window_in_seconds > 0)."
  type        = number
  default     = 10

  validation {
    condition     = var.sqs_batch_size >= 1 && var.sqs_batch_size <= 10000
    error_message = "sqs_batch_size must be between 1 and 10000."
  }
}

variable "sqs_maximum_batching_window_in_seconds" {
  description = "How long the event source mapping gathers records before invoking (0..300)."
  type        = number
  default     = 0

  validation {
    condition     = var.sqs_maximum_batching_window_in_seconds >= 0 && var.sqs_maximum_batching_window_in_seconds <= 300
    error_message = "sqs_maximum_batching_window_in_seconds must be between 0 and 300."
  }
}

variable "sqs_maximum_concurrency" {
  description = "Maximum concurrent invocations the SQS event source mapping drives (2..1000). null: no limit."
  type        = number
  default     = null

  validation {
    condition     = var.sqs_maximum_concurrency == null ? true : var.sqs_maximum_concurrency >= 2 && var.sqs_maximum_concurrency <= 1000
    error_message = "sqs_maximum_concurrency must be null or between 2 and 1000."
  }
}

variable "sqs_max_receive_count" {
  description = "Deliveries of a message before SQS moves it to the dead-letter queue (redrive maxReceiveCount)."
  type        = number
  default     = 5

  validation {
    condition     = var.sqs_max_receive_count >= 1 && var.sqs_max_receive_count <= 1000
    error_message = "sqs_max_receive_count must be between 1 and 1000."
  }
}

variable "sqs_visibility_timeout_seconds" {
  description = "Visibility timeout of the queue. null: 6 x timeout + sqs_maximum_batching_window_in_seconds (AWS's recommendation), which is also the minimum accepted."
  type        = number
  default     = null

  validation {
    condition     = var.sqs_visibility_timeout_seconds == null ? true : var.sqs_visibility_timeout_seconds >= 0 && var.sqs_visibility_timeout_seconds <= 43200
    error_message = "sqs_visibility_timeout_seconds must be null or between 0 and 43200."
  }
}

variable "sqs_message_retention_seconds" {
  description = "Retention of the queue. The dead-letter queue keeps messages 14 days (the maximum), longer than this, because a message keeps its original enqueue time when moved."
  type        = number
  default     = 345600

  validation {
    condition     = var.sqs_message_retention_seconds >= 60 && var.sqs_message_retention_seconds <= 1209600
    error_message = "sqs_message_retention_seconds must be between 60 and 1209600."
  }
}

variable "kinesis_stream_arn" {
  description = "ARN of an existing Kinesis data stream (function's account and region) whose records the function writes, through an event source mapping reporting batch item failures; the execution role may read exactly this stream. null: no Kinesis trigger."
  type        = string
  default     = null

  validation {
    condition     = var.kinesis_stream_arn == null ? true : can(regex("^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:[0-9]{12}:stream/[A-Za-z0-9_.-]{1,128}$", var.kinesis_stream_arn))
    error_message = "kinesis_stream_arn must be a Kinesis stream ARN (arn:<partition>:kinesis:<region>:<account>:stream/<name>)."
  }
}

variable "dynamodb_stream_arn" {
  description = "ARN of an existing DynamoDB stream (the table's stream_arn) whose records the function writes, through an event source mapping reporting batch item failures; the execution role may read exactly this stream. null: no DynamoDB trigger."
  type        = string
  default     = null

  validation {
    condition     = var.dynamodb_stream_arn == null ? true : can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]{3,255}/stream/[^/]+$", var.dynamodb_stream_arn))
    error_message = "dynamodb_stream_arn must be a DynamoDB stream ARN (arn:<partition>:dynamodb:<region>:<account>:table/<table>/stream/<label>), not the table's ARN."
  }
}

variable "stream_starting_position" {
  description = "Where the stream triggers start reading: TRIM_HORIZON (the oldest record still in the stream, the default: nothing already in it is skipped) or LATEST."
  type        = string
  default     = "TRIM_HORIZON"

  validation {
    condition     = contains(["TRIM_HORIZON", "LATEST"], var.stream_starting_position)
    error_message = "stream_starting_position must be TRIM_HORIZON or LATEST."
  }
}

variable "stream_batch_size" {
  description = "Records per batch of the stream triggers (1..10000)."
  type        = number
  default     = 100

  validation {
    condition     = var.stream_batch_size >= 1 && var.stream_batch_size <= 10000
    error_message = "stream_batch_size must be 1..10000."
  }
}

variable "stream_maximum_batching_window_in_seconds" {
  description = "How long the stream triggers gather records before invoking (0..300)."
  type        = number
  default     = 0

  validation {
    condition     = var.stream_maximum_batching_window_in_seconds >= 0 && var.stream_maximum_batching_window_in_seconds <= 300
    error_message = "stream_maximum_batching_window_in_seconds must be 0..300."
  }
}

variable "stream_parallelization_factor" {
  description = "Concurrent batches per shard (1..10); records of one partition key stay in order."
  type        = number
  default     = 1

  validation {
    condition     = var.stream_parallelization_factor >= 1 && var.stream_parallelization_factor <= 10
    error_message = "stream_parallelization_factor must be 1..10."
  }
}

variable "stream_maximum_retry_attempts" {
  description = "Retries of a failing stream batch (0..10000) before it is skipped and described in the failure queue. Bounded by default: -1 (AWS's default, retry until the record expires) blocks the shard."
  type        = number
  default     = 10

  validation {
    condition     = var.stream_maximum_retry_attempts >= -1 && var.stream_maximum_retry_attempts <= 10000 && floor(var.stream_maximum_retry_attempts) == var.stream_maximum_retry_attempts
    error_message = "stream_maximum_retry_attempts must be an integer, -1 (unbounded) or 0..10000."
  }
}

variable "stream_maximum_record_age_in_seconds" {
  description = "Oldest record a stream trigger still processes (60..604800 s, or -1: unbounded); older ones are skipped and described in the failure queue."
  type        = number
  default     = 86400

  validation {
    condition     = var.stream_maximum_record_age_in_seconds == -1 || (var.stream_maximum_record_age_in_seconds >= 60 && var.stream_maximum_record_age_in_seconds <= 604800)
    error_message = "stream_maximum_record_age_in_seconds must be -1 or 60..604800."
  }
}

variable "stream_bisect_batch_on_function_error" {
  description = "Split a stream batch in two when the function returns an error (not for reported batch item failures), so one bad record does not hold back the rest."
  type        = bool
  default     = true
}

variable "create_sns_trigger" {
  description = "Subscribe the function to the existing SNS topic sns_topic_arn."
  type        = bool
  default     = false
}

variable "sns_topic_arn" {
  description = "ARN of an existing SNS topic in the function's region (required when create_sns_trigger). A topic in another account must allow sns:Subscribe from the lambda account."
  type        = string
  default     = null

  validation {
    condition     = var.sns_topic_arn == null ? true : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+(\\.fifo)?$", var.sns_topic_arn))
    error_message = "sns_topic_arn must be an SNS topic ARN."
  }
}

variable "create_eventbridge_trigger" {
  description = "Create an EventBridge rule matching eventbridge_event_pattern that targets the function."
  type        = bool
  default     = false
}

variable "eventbridge_event_pattern" {
  description = "Event pattern (JSON) of the EventBridge rule (required when create_eventbridge_trigger)."
  type        = string
  default     = null

  validation {
    condition     = var.eventbridge_event_pattern == null ? true : can(jsondecode(var.eventbridge_event_pattern))
    error_message = "eventbridge_event_pattern must be a JSON document."
  }
}

variable "eventbridge_bus_name" {
  description = "Event bus of the EventBridge rule."
  type        = string
  default     = "default"
}

variable "create_s3_trigger" {
  description = "Invoke the function on object events of the existing bucket s3_source_bucket (lambda account, same region), and let it read those objects."
  type        = bool
  default     = false
}

variable "s3_source_bucket" {
  description = "Name of an existing bucket in the lambda account (required when create_s3_trigger). Its whole notification configuration is then managed here: existing notifications on it are replaced."
  type        = string
  default     = null

  validation {
    condition     = var.s3_source_bucket == null ? true : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.s3_source_bucket))
    error_message = "s3_source_bucket must be a valid S3 bucket name."
  }
}

variable "s3_source_events" {
  description = "S3 event types that invoke the function."
  type        = list(string)
  default     = ["s3:ObjectCreated:*"]
}

variable "s3_source_filter_prefix" {
  description = "Only objects whose key starts with this prefix trigger the function; the execution role may then read only `<bucket>/<prefix>*`. null or ending with '/'."
  type        = string
  default     = null

  validation {
    condition     = var.s3_source_filter_prefix == null ? true : can(regex("^[A-Za-z0-9!_.'()=+,@-][A-Za-z0-9!_.'()=+,@/-]*/$", var.s3_source_filter_prefix)) && !strcontains(var.s3_source_filter_prefix, "//")
    error_message = "s3_source_filter_prefix must be null or end with '/' (the read grant is <bucket>/<prefix>*), without '//', wildcards or '$'."
  }
}

variable "s3_source_kms_key_arn" {
  description = "KMS key ARN the S3 trigger's source bucket encrypts with (SSE-KMS with a customer managed key). Grants the execution role kms:Decrypt on exactly this key, only through S3 in this region and only for that bucket's objects under `s3_source_filter_prefix` (`execution-decrypt-source.json.tftpl`). The key's policy must allow this account (root delegation, or the execution role). null: no grant (SSE-S3 or the AWS managed aws/s3 key)."
  type        = string
  default     = null

  validation {
    condition     = var.s3_source_kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.s3_source_kms_key_arn))
    error_message = "s3_source_kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "s3_source_filter_suffix" {
  description = "Only objects whose key ends with this suffix trigger the function."
  type        = string
  default     = null
}

variable "create_function_url" {
  description = "Create a Function URL with AWS_IAM auth. Callers (same account) need lambda:InvokeFunctionUrl and lambda:InvokeFunction in their own identity policy."
  type        = bool
  default     = false
}

################################################################################
# Failures of asynchronous invocations
################################################################################

variable "failure_queue_name" {
  description = "Name of the queue that receives failed asynchronous invocations (Lambda on-failure destination) and the SNS/EventBridge dead letters. null: `<function_name>-failures`. Its own input so that renaming the function does not replace the queue (and lose its messages)."
  type        = string
  default     = null

  validation {
    condition     = var.failure_queue_name == null ? true : can(regex("^[A-Za-z0-9_-]{1,80}$", var.failure_queue_name))
    error_message = "failure_queue_name must be 1-80 characters of letters, digits, '-' and '_' (a standard queue)."
  }
}

variable "failure_queue_retention_seconds" {
  description = "How long the failure queue keeps a record (default 14 days, the maximum)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.failure_queue_retention_seconds >= 60 && var.failure_queue_retention_seconds <= 1209600
    error_message = "failure_queue_retention_seconds must be between 60 and 1209600."
  }
}

variable "async_maximum_retry_attempts" {
  description = "Retries Lambda makes of an asynchronous invocation that returned an error (0..2) before it sends the event to the failure queue."
  type        = number
  default     = 2

  validation {
    condition     = var.async_maximum_retry_attempts >= 0 && var.async_maximum_retry_attempts <= 2 && floor(var.async_maximum_retry_attempts) == var.async_maximum_retry_attempts
    error_message = "async_maximum_retry_attempts must be 0, 1 or 2."
  }
}

variable "async_maximum_event_age_in_seconds" {
  description = "How long Lambda keeps an asynchronous event in its internal queue (60..21600 s) before it sends it to the failure queue unprocessed."
  type        = number
  default     = 21600

  validation {
    condition     = var.async_maximum_event_age_in_seconds >= 60 && var.async_maximum_event_age_in_seconds <= 21600 && floor(var.async_maximum_event_age_in_seconds) == var.async_maximum_event_age_in_seconds
    error_message = "async_maximum_event_age_in_seconds must be a whole number between 60 and 21600."
  }
}

variable "eventbridge_maximum_retry_attempts" {
  description = "Retries EventBridge makes to deliver an event to the function (0..185) before it goes to the failure queue."
  type        = number
  default     = 185

  validation {
    condition     = var.eventbridge_maximum_retry_attempts >= 0 && var.eventbridge_maximum_retry_attempts <= 185 && floor(var.eventbridge_maximum_retry_attempts) == var.eventbridge_maximum_retry_attempts
    error_message = "eventbridge_maximum_retry_attempts must be a whole number between 0 and 185."
  }
}

variable "eventbridge_maximum_event_age_in_seconds" {
  description = "How long EventBridge keeps trying to deliver an event to the function (60..86400 s) before it goes to the failure queue."
  type        = number
  default     = 86400

  validation {
    condition     = var.eventbridge_maximum_event_age_in_seconds >= 60 && var.eventbridge_maximum_event_age_in_seconds <= 86400 && floor(var.eventbridge_maximum_event_age_in_seconds) == var.eventbridge_maximum_event_age_in_seconds
    error_message = "eventbridge_maximum_event_age_in_seconds must be a whole number between 60 and 86400."
  }
}

################################################################################
# Metrics and alarms
################################################################################

variable "metrics_namespace" {
  description = "METRICS_NAMESPACE: CloudWatch namespace of the function's EMF metrics (RecordsFailed, ...). null: the function name."
  type        = string
  default     = null

  validation {
    condition     = var.metrics_namespace == null ? true : can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/") && !startswith(var.metrics_namespace, ":")
    error_message = "metrics_namespace must be 1-255 characters of [A-Za-z0-9._/#:-] (the function refuses a space), not starting with \"AWS/\" or \":\"."
  }
}

variable "create_alarms" {
  description = "Create CloudWatch alarms (> 0 in a period): failure queue and DLQ not empty, function Errors, Throttles, AsyncEventsDropped, and the function's RecordsFailed metric."
  type        = bool
  default     = false
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic notified when an alarm fires and when it recovers. null: the alarms only change state."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null ? true : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be an SNS topic ARN (a standard topic)."
  }
}

variable "alarm_period_seconds" {
  description = "Period of every alarm, in seconds (a multiple of 60)."
  type        = number
  default     = 300

  validation {
    condition     = var.alarm_period_seconds >= 60 && var.alarm_period_seconds % 60 == 0
    error_message = "alarm_period_seconds must be a multiple of 60."
  }
}

variable "records_failed_alarm_treat_missing_data" {
  description = "How the records-failed alarm treats a period without RecordsFailed data points. notBreaching (default): no data is OK, which is what an idle function looks like. missing: the alarm goes to INSUFFICIENT_DATA when no EMF line arrives, so metrics that stop arriving (a function that no longer runs, lines filtered out) show instead of passing as OK. The other alarms' metrics are AWS's own and stay notBreaching."
  type        = string
  default     = "notBreaching"

  validation {
    condition     = contains(["notBreaching", "missing", "breaching", "ignore"], var.records_failed_alarm_treat_missing_data)
    error_message = "records_failed_alarm_treat_missing_data must be notBreaching, missing, breaching or ignore."
  }
}

################################################################################
# Triggers for central archives: CloudWatch Logs subscriptions, S3 through SQS, S3 through EventBridge
################################################################################

variable "cloudwatch_logs_subscriptions" {
  description = "Log groups of the lambda account (same region) whose log events the function archives: name => { log_group_name, filter_pattern (default \"\": every event) }. Each gets a subscription filter targeting the function (the alias with alias_name) and an aws_lambda_permission for logs.amazonaws.com with source_arn = that log group and source_account = this account; the execution role gets nothing. A log group has at most two subscription filters. The function's own log group is refused (a loop). {}: none."
  type = map(object({
    log_group_name = string
    filter_pattern = optional(string, "")
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for k, s in var.cloudwatch_logs_subscriptions : can(regex("^[A-Za-z0-9_-]{1,40}$", k)) && can(regex("^[A-Za-z0-9._/#-]{1,512}$", s.log_group_name))])
    error_message = "cloudwatch_logs_subscriptions: each name must be 1-40 of [A-Za-z0-9_-] (it names the filter and the permission statement), each log_group_name a log group name ([A-Za-z0-9._/#-], no ARN, no wildcard)."
  }
}

variable "s3_notification_queue" {
  description = "An existing bucket of the lambda account (same region) notifying an SQS queue the module creates, which triggers the function: { bucket_name, prefix, suffix, kms_key_arn, queue_name }. s3:ObjectCreated:* under prefix (null or ending with '/') and with suffix; the queue and its DLQ are SSE-SQS, redrive after sqs_max_receive_count, and take the SQS trigger's batch, window, concurrency, visibility and retention settings; the queue policy lets only s3.amazonaws.com send, with aws:SourceArn = the bucket and aws:SourceAccount = this account; the event source mapping reports batch item failures. The execution role gets s3:GetObject and s3:GetObjectVersion on `<bucket>/<prefix>*` and, with kms_key_arn, kms:Decrypt on that key via S3. queue_name defaults to `<function_name>-s3-notifications`, its DLQ `<queue_name>-dlq`. The bucket's whole notification configuration is managed here. null: none."
  type = object({
    bucket_name = string
    prefix      = optional(string)
    suffix      = optional(string)
    kms_key_arn = optional(string)
    queue_name  = optional(string)
  })
  default = null

  validation {
    condition = var.s3_notification_queue == null ? true : (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.s3_notification_queue.bucket_name))
      && (var.s3_notification_queue.prefix == null ? true : can(regex("^[A-Za-z0-9!_.'()=+,@-][A-Za-z0-9!_.'()=+,@/-]*/$", var.s3_notification_queue.prefix)) && !strcontains(var.s3_notification_queue.prefix, "//"))
      && (var.s3_notification_queue.kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.s3_notification_queue.kms_key_arn)))
      && (var.s3_notification_queue.queue_name == null ? true : can(regex("^[A-Za-z0-9_-]{1,76}$", var.s3_notification_queue.queue_name)))
    )
    error_message = "s3_notification_queue: bucket_name must be a valid bucket name; prefix null or ending with '/' (the read grant is <bucket>/<prefix>*), without '//', wildcards or '$'; kms_key_arn a key ARN (arn:...:kms:<region>:<account>:key/<id>, not an alias); queue_name 1-76 of [A-Za-z0-9_-] (its DLQ appends -dlq)."
  }
}

variable "s3_eventbridge" {
  description = "An existing bucket of the lambda account (same region) sending its events to EventBridge, with a rule on the default bus for its Object Created events that invokes the function: { bucket_name, prefix, kms_key_arn }. The module sets the bucket's notification configuration to EventBridge (eventbridge = true); the rule matches source aws.s3, detail-type Object Created, detail.bucket.name = the bucket and, with prefix (null or ending with '/'), detail.object.key prefix; the target retries and dead-letters to the failure queue like the EventBridge trigger; the aws_lambda_permission for events.amazonaws.com names the rule. The execution role gets s3:GetObject and s3:GetObjectVersion on `<bucket>/<prefix>*` and, with kms_key_arn, kms:Decrypt on that key via S3. The bucket's whole notification configuration is managed here. null: none."
  type = object({
    bucket_name = string
    prefix      = optional(string)
    kms_key_arn = optional(string)
  })
  default = null

  validation {
    condition = var.s3_eventbridge == null ? true : (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.s3_eventbridge.bucket_name))
      && (var.s3_eventbridge.prefix == null ? true : can(regex("^[A-Za-z0-9!_.'()=+,@-][A-Za-z0-9!_.'()=+,@/-]*/$", var.s3_eventbridge.prefix)) && !strcontains(var.s3_eventbridge.prefix, "//"))
      && (var.s3_eventbridge.kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.s3_eventbridge.kms_key_arn)))
    )
    error_message = "s3_eventbridge: bucket_name must be a valid bucket name; prefix null or ending with '/' (the read grant is <bucket>/<prefix>*), without '//', wildcards or '$'; kms_key_arn a key ARN (arn:...:kms:<region>:<account>:key/<id>, not an alias)."
  }
}
