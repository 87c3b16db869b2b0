//! `{"action": "preflight"}`: the whole write path, proven before the first
//! event, as a list of named checks, each `ok`, `failed` (with the statement
//! that is missing, its account, policy template and Terraform resource),
//! `warning` or `skipped` (with the reason).
//!
//! The checks, in order:
//!
//! 1. `execution_identity`: `sts:GetCallerIdentity` as the execution role;
//! 2. `assume_role`: the same as the target role (AssumeRole with the ExternalId);
//! 3. `create_only_put`: a create-only PUT of a **fresh canary** per run, with
//!    exactly the request a record's write sends (the writer's own
//!    `Writer::probe_put`): `<KEY_PREFIX>preflight/<UTC time>-<request id>`,
//!    a namespace no record's key can take ([`crate::keys::Namespace::Preflight`]).
//!    Fresh, so every run proves the PUT and the KMS key (a 412 on an existing
//!    key would prove neither); the bucket's lifecycle rule expires the prefix;
//! 4. `identity_check_head`: a HEAD of the canary as the target role;
//! 5. `unconditional_put_refused`: the canary PUT again without a condition,
//!    which the bucket policy must refuse (accepted: a warning);
//! 6. `encryption`: what S3 reported for the canary against `SSE_KMS_KEY_ARN`;
//! 7. `expected_bucket_owner`: proven by the PUT (S3 refuses a request whose
//!    `x-amz-expected-bucket-owner` is not the bucket's owner);
//! 8. `raw_mail_read`: a GET of a key no SES action writes under the raw-mail
//!    prefix, as the execution role.
//!
//! Failures are told apart by AWS error codes ([`ErrorCode`]) and HTTP status
//! only. Nothing secret (no ExternalId, no credentials) and no object body is
//! in the answer or the logs.

mod fixes;

use bytes::Bytes;
use serde::Serialize;

use crate::config::Config;
use crate::credentials::Clients;
use crate::errors::ErrorCode;
use crate::keys::ObjectKey;
use crate::writer::{ProbeError, Probed, Writer};

pub use fixes::Place;
use fixes::{
    DENY_UNCONDITIONAL, EXECUTION_ASSUME, KEY_POLICY, PREFIX_WRITERS, RAW_MAIL_READ, Statement,
    TARGET_HEAD, TARGET_KMS, TARGET_PUT, TARGET_TRUST,
};

/// The canary's body: small, fixed, nothing secret.
const CANARY_BODY: &[u8] = b"cross-account-s3-writer preflight canary\n";

/// The check names, in the order of the answer.
pub const CHECKS: [&str; 8] = [
    "execution_identity",
    "assume_role",
    "create_only_put",
    "identity_check_head",
    "unconditional_put_refused",
    "encryption",
    "expected_bucket_owner",
    "raw_mail_read",
];

/// The answer to `{"action": "preflight"}`.
#[derive(Clone, Debug, Serialize)]
pub struct Answer {
    /// No check failed.
    pub ok: bool,
    pub bucket: String,
    pub key_prefix: String,
    pub canary_key: String,
    pub checks: Vec<Check>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Failed,
    Warning,
    Skipped,
}

/// One check. `account`, `statement`, `policy` and `resource` name the most
/// likely place of the fix; `candidates` lists every place that can cause the
/// same AWS error code (S3 and STS do not say which), that one first.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub place: Option<Place>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Place>,
}

impl Check {
    fn new(name: &'static str, status: Status, detail: impl Into<String>) -> Self {
        Self {
            name,
            status,
            code: None,
            detail: detail.into(),
            fix: None,
            place: None,
            candidates: Vec::new(),
        }
    }

    fn code(mut self, code: Option<&ErrorCode>, status: Option<u16>) -> Self {
        self.code = code
            .map(ToString::to_string)
            .or_else(|| status.map(|s| format!("HTTP {s}")));
        self
    }

    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    fn at(mut self, places: Vec<Place>) -> Self {
        self.place = places.first().cloned();
        if places.len() > 1 {
            self.candidates = places;
        }
        self
    }
}

/// What one preflight run works with.
pub struct Preflight<'a> {
    pub config: &'a Config,
    pub clients: &'a Clients,
    pub writer: &'a Writer,
    /// The invocation's request ID: names the canary.
    pub request_id: &'a str,
    /// The lambda account, when the function's ARN tells it (else STS does).
    pub function_account: Option<&'a str>,
}

impl Preflight<'_> {
    /// Runs every check, in order; never fails as a whole.
    pub async fn run(&self) -> Answer {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let canary = self
            .config
            .key_prefix
            .preflight_canary(&stamp, self.request_id);
        let bucket_account = self.config.bucket_owner.clone();
        let mut checks = Vec::with_capacity(CHECKS.len());

        let (execution, lambda_account) = self.execution_identity().await;
        let lambda_account = lambda_account
            .or_else(|| self.function_account.map(str::to_owned))
            .unwrap_or_else(|| "(the lambda account)".into());
        checks.push(execution);
        let places = Places {
            lambda: &lambda_account,
            bucket: &bucket_account,
        };

        let assume = self.assume_role(&places).await;
        let assumed = assume.status == Status::Ok;
        checks.push(assume);

        let put = if assumed {
            Some(
                self.writer
                    .probe_put(&canary, Bytes::from_static(CANARY_BODY), true)
                    .await,
            )
        } else {
            None
        };
        checks.push(self.create_only_put(put.as_ref(), &canary, &places));
        let created = matches!(put, Some(Ok(_)));
        let not_created = || match &put {
            None => "skipped: the target role could not be assumed (assume_role)",
            Some(_) => "skipped: the canary was not created (create_only_put failed)",
        };

        let head = if created {
            Some(self.writer.probe_head(&canary).await)
        } else {
            None
        };
        checks.push(match &head {
            None => Check::new("identity_check_head", Status::Skipped, not_created()),
            Some(head) => identity_check_head(head, &places),
        });

        checks.push(if created {
            let again = self
                .writer
                .probe_put(&canary, Bytes::from_static(CANARY_BODY), false)
                .await;
            unconditional_put_refused(&again, &places)
        } else {
            Check::new("unconditional_put_refused", Status::Skipped, not_created())
        });

        checks.push(match (&put, &head) {
            (Some(Ok(put)), head) => {
                let head = head.as_ref().and_then(|h| h.as_ref().ok());
                self.encryption(put, head)
            }
            _ => Check::new("encryption", Status::Skipped, not_created()),
        });

        checks.push(self.expected_bucket_owner(put.as_ref()));
        checks.push(self.raw_mail_read(&stamp, &places).await);

        for check in &checks {
            tracing::info!(
                check = check.name,
                status = ?check.status,
                code = check.code.as_deref().unwrap_or(""),
                detail = %check.detail,
                "preflight"
            );
        }
        Answer {
            ok: checks.iter().all(|c| c.status != Status::Failed),
            bucket: self.config.target_bucket.clone(),
            key_prefix: self.config.key_prefix.as_str().to_owned(),
            canary_key: canary.as_str().to_owned(),
            checks,
        }
    }

    async fn execution_identity(&self) -> (Check, Option<String>) {
        const NAME: &str = "execution_identity";
        match self.clients.source_sts.get_caller_identity().send().await {
            Ok(out) => (
                Check::new(NAME, Status::Ok, out.arn.unwrap_or_default()),
                out.account,
            ),
            Err(err) => (
                Check::new(
                    NAME,
                    Status::Failed,
                    format!(
                        "sts:GetCallerIdentity with the execution role's credentials failed: {}",
                        crate::errors::explain(&err)
                    ),
                )
                .code(
                    crate::errors::code(&err).as_ref(),
                    crate::errors::status(&err),
                )
                .fix(
                    "The function's own credentials were refused or STS was not reached: check \
                     that the execution role exists and that Lambda may assume it \
                     (module.writer_function.aws_iam_role.execution[0]), and the function's \
                     network path to STS (a VPC needs an STS endpoint or a NAT).",
                ),
                None,
            ),
        }
    }

    async fn assume_role(&self, places: &Places<'_>) -> Check {
        const NAME: &str = "assume_role";
        let target = self.config.target_role_arn.as_str();
        match self.clients.target_sts.get_caller_identity().send().await {
            Ok(out) => Check::new(NAME, Status::Ok, out.arn.unwrap_or_default()),
            Err(err) => {
                let code = crate::errors::code(&err);
                let check = Check::new(NAME, Status::Failed, crate::errors::explain(&err))
                    .code(code.as_ref(), crate::errors::status(&err));
                if code == Some(ErrorCode::AccessDenied) {
                    check
                        .fix(format!(
                            "Either the target role's trust policy in the bucket account \
                             ({}) does not name the execution role or requires an ExternalId \
                             other than TARGET_EXTERNAL_ID, or the execution role's policy in the \
                             lambda account ({}) lacks sts:AssumeRole on {target}. Right after \
                             terraform apply this can also be IAM propagation: wait a minute \
                             and run the preflight again.",
                            places.bucket, places.lambda
                        ))
                        .at(places.all(&[TARGET_TRUST, EXECUTION_ASSUME]))
                } else {
                    check.fix(format!(
                        "AssumeRole of {target} failed for a reason other than a refusal: \
                         check TARGET_ROLE_ARN and the function's network path to STS."
                    ))
                }
            }
        }
    }

    fn create_only_put(
        &self,
        put: Option<&Result<Probed, ProbeError>>,
        canary: &ObjectKey,
        places: &Places<'_>,
    ) -> Check {
        const NAME: &str = "create_only_put";
        let kms = self.config.sse_kms_key_arn.as_ref().map(|k| k.as_str());
        let settings = match kms {
            Some(key) => format!("SSE-KMS with {key} and a Bucket Key"),
            None => "no SSE header (the bucket's default encryption)".into(),
        };
        match put {
            None => Check::new(
                NAME,
                Status::Skipped,
                "skipped: the target role could not be assumed (assume_role)",
            ),
            Some(Ok(_)) => Check::new(
                NAME,
                Status::Ok,
                format!(
                    "created {} with If-None-Match: *, x-amz-expected-bucket-owner {}, a CRC32 \
                     checksum and {settings}, as a record's write does",
                    canary.as_str(),
                    self.config.bucket_owner
                ),
            ),
            Some(Err(e)) => {
                let check = Check::new(
                    NAME,
                    Status::Failed,
                    format!("PutObject of {} was refused: {}", canary.as_str(), e.detail),
                )
                .code(e.code.as_ref(), e.status);
                match &e.code {
                    Some(ErrorCode::AccessDenied) => {
                        let mut statements = vec![TARGET_PUT];
                        if kms.is_some() {
                            statements.extend([TARGET_KMS, KEY_POLICY]);
                        }
                        statements.push(PREFIX_WRITERS);
                        let kms_part = if kms.is_some() {
                            ", or kms:GenerateDataKey on the key is missing from the target role's \
                             policy (EncryptWithTheBucketKeyViaS3ForThisBucketOnly) or from the key \
                             policy (TargetRoleEncryptsViaS3ForThisBucketOnly): S3 answers all of \
                             these with AccessDenied"
                        } else {
                            ""
                        };
                        check
                            .fix(format!(
                                "In the bucket account ({}): the target role lacks s3:PutObject on \
                                 {}/{}* (PutObjectsUnderThePrefixOnly; KEY_PREFIX must match the \
                                 prefix in that policy letter for letter){kms_part}; or the bucket \
                                 policy's DenyObjectWritesUnderThePrefixByOtherPrincipals does not \
                                 except TARGET_ROLE_ARN; or TARGET_BUCKET_OWNER ({}) is not the \
                                 bucket's account (S3 answers an owner mismatch with AccessDenied \
                                 too). Right after terraform apply this can also be IAM \
                                 propagation: wait a minute and run the preflight again.",
                                places.bucket,
                                self.config.target_bucket,
                                self.config.key_prefix.as_str(),
                                self.config.bucket_owner
                            ))
                            .at(places.all(&statements))
                    }
                    Some(code) if code.is_kms() => check
                        .fix(format!(
                            "KMS refused or could not use SSE_KMS_KEY_ARN ({}): the key must exist, \
                             be enabled, be in the bucket's region, and grant the target role \
                             kms:GenerateDataKey via S3 for this bucket.",
                            kms.unwrap_or("(unset)")
                        ))
                        .at(places.all(&[KEY_POLICY, TARGET_KMS])),
                    Some(ErrorCode::NoSuchBucket) => check.fix(format!(
                        "TARGET_BUCKET ({}) names no bucket: check its name and TARGET_REGION.",
                        self.config.target_bucket
                    )),
                    Some(ErrorCode::PermanentRedirect | ErrorCode::AuthorizationHeaderMalformed) => {
                        check.fix("The bucket is in another region: set TARGET_REGION to it.")
                    }
                    _ if e.status == Some(412) => check.fix(
                        "The canary key already exists, which a fresh key per run never should: \
                         run the preflight again (a new request ID names a new canary).",
                    ),
                    _ => check,
                }
            }
        }
    }

    fn encryption(&self, put: &Probed, head: Option<&Probed>) -> Check {
        const NAME: &str = "encryption";
        // What S3 reported for the canary: the PUT's answer, filled in by the HEAD's.
        let sse = put.sse.clone().or_else(|| head.and_then(|h| h.sse.clone()));
        let key_id = put
            .kms_key_id
            .clone()
            .or_else(|| head.and_then(|h| h.kms_key_id.clone()));
        let bucket_key = put.bucket_key.or_else(|| head.and_then(|h| h.bucket_key));
        let reported = format!(
            "S3 reports {}{}{}",
            sse.as_deref().unwrap_or("no encryption"),
            key_id
                .as_deref()
                .map(|k| format!(" with key {k}"))
                .unwrap_or_default(),
            match bucket_key {
                Some(true) => ", Bucket Key enabled",
                Some(false) => ", Bucket Key disabled",
                None => ", Bucket Key not reported",
            }
        );
        match self.config.sse_kms_key_arn.as_ref().map(|k| k.as_str()) {
            Some(expected) => {
                if sse.as_deref() != Some("aws:kms") || key_id.as_deref() != Some(expected) {
                    Check::new(
                        NAME,
                        Status::Failed,
                        format!("{reported}; SSE_KMS_KEY_ARN is {expected}"),
                    )
                    .fix(
                        "Objects are not encrypted with the configured key: SSE_KMS_KEY_ARN \
                         must be the full ARN of the key S3 uses (not an alias), and the bucket \
                         must not override it.",
                    )
                } else if bucket_key == Some(false) {
                    Check::new(NAME, Status::Warning, reported).fix(
                        "S3 Bucket Keys are off for the canary: each object then costs a KMS \
                         request, and the target role's KMS statement expects the bucket ARN as \
                         encryption context.",
                    )
                } else {
                    Check::new(NAME, Status::Ok, format!("{reported}, as configured"))
                }
            }
            None => match sse {
                Some(_) => Check::new(
                    NAME,
                    Status::Ok,
                    format!("{reported}; SSE_KMS_KEY_ARN is unset, so the bucket's default applies"),
                ),
                None => Check::new(NAME, Status::Warning, reported).fix(
                    "S3 reported no server-side encryption for the canary: check the bucket's \
                     default encryption (module.target_bucket.aws_s3_bucket_server_side_encryption_configuration.this[0]).",
                ),
            },
        }
    }

    fn expected_bucket_owner(&self, put: Option<&Result<Probed, ProbeError>>) -> Check {
        const NAME: &str = "expected_bucket_owner";
        let owner = &self.config.bucket_owner;
        match put {
            Some(Ok(_)) => Check::new(
                NAME,
                Status::Ok,
                format!(
                    "the canary PUT carried x-amz-expected-bucket-owner {owner} and S3 accepted it; \
                     S3 refuses such a request when another account owns the bucket"
                ),
            ),
            Some(Err(e)) if e.code == Some(ErrorCode::AccessDenied) => Check::new(
                NAME,
                Status::Skipped,
                format!(
                    "skipped: the canary PUT was refused with AccessDenied, which S3 also answers \
                     when the bucket's owner is not TARGET_BUCKET_OWNER ({owner}); the preflight \
                     never repeats a write without the header (it could land in a stranger's \
                     bucket), so it cannot tell the two apart"
                ),
            ),
            None | Some(Err(_)) => Check::new(
                NAME,
                Status::Skipped,
                "skipped: the canary was not created (create_only_put), which is what proves the owner",
            ),
        }
    }

    async fn raw_mail_read(&self, stamp: &str, places: &Places<'_>) -> Check {
        const NAME: &str = "raw_mail_read";
        let Some(raw) = &self.config.ses_raw_mail else {
            return Check::new(
                NAME,
                Status::Skipped,
                "skipped: SES_RAW_MAIL_BUCKET is not set",
            );
        };
        // SES names its objects <prefix><message id>, and a message ID has no '/':
        // no mail can be at this key, and a GET only reads.
        let probe = format!("{}preflight/{stamp}-{}", raw.prefix, self.request_id);
        let mut request = self
            .clients
            .source_s3
            .get_object()
            .bucket(&raw.bucket)
            .key(&probe);
        if places.lambda.bytes().all(|b| b.is_ascii_digit()) {
            request = request.expected_bucket_owner(places.lambda);
        }
        let at = format!("s3://{}/{probe}", raw.bucket);
        match request.send().await {
            // Never read: the body is dropped unread.
            Ok(_) => Check::new(
                NAME,
                Status::Ok,
                format!("the execution role may read {at}"),
            ),
            Err(err) => {
                let code = crate::errors::code(&err);
                let check = Check::new(NAME, Status::Failed, crate::errors::explain(&err))
                    .code(code.as_ref(), crate::errors::status(&err));
                match code {
                    Some(ErrorCode::NoSuchKey) => Check::new(
                        NAME,
                        Status::Ok,
                        format!(
                            "GetObject of {at} (a key SES never writes) answered NoSuchKey, which \
                             S3 answers only to a caller allowed to read the key (and to list \
                             the bucket)"
                        ),
                    ),
                    Some(ErrorCode::AccessDenied) => Check {
                        status: Status::Warning,
                        detail: format!(
                            "GetObject of {at} (a key SES never writes) was refused with \
                             AccessDenied. Indeterminate: S3 answers a missing key with \
                             AccessDenied when the caller lacks s3:ListBucket on the bucket, which \
                             the module does not grant, so a correct deployment may answer this \
                             too; it is also the answer when the read itself is not allowed"
                        ),
                        ..check
                    }
                    .fix(format!(
                        "Make sure the execution role (lambda account {}) has s3:GetObject on \
                         arn:aws:s3:::{}/{}* (ReadSesRawMailUnderThePrefixOnly), and that \
                         SES_RAW_MAIL_PREFIX matches the receipt rule's object key prefix.",
                        places.lambda, raw.bucket, raw.prefix
                    ))
                    .at(places.all(&[RAW_MAIL_READ])),
                    Some(ErrorCode::NoSuchBucket) => check.fix(format!(
                        "SES_RAW_MAIL_BUCKET ({}) names no bucket.",
                        raw.bucket
                    )),
                    _ => check,
                }
            }
        }
    }
}

/// The two accounts, to place statements in.
struct Places<'a> {
    lambda: &'a str,
    bucket: &'a str,
}

impl Places<'_> {
    fn all(&self, statements: &[Statement]) -> Vec<Place> {
        statements
            .iter()
            .map(|s| s.place(self.lambda, self.bucket))
            .collect()
    }
}

fn identity_check_head(head: &Result<Probed, ProbeError>, places: &Places<'_>) -> Check {
    const NAME: &str = "identity_check_head";
    match head {
        Ok(_) => Check::new(
            NAME,
            Status::Ok,
            "HeadObject of the canary as the target role answered 200: a redelivered record's \
             412 can be checked against what the key holds",
        ),
        Err(e) => {
            let check = Check::new(
                NAME,
                Status::Failed,
                format!("HeadObject of the canary just created failed: {}", e.detail),
            )
            .code(e.code.as_ref(), e.status);
            // A HEAD has no error body: its status is all there is. The canary
            // exists, so a 403 is a refused read, not a hidden 404.
            if e.status == Some(403) {
                check
                    .fix(format!(
                        "In the bucket account ({}), the target role needs s3:GetObject under the \
                         prefix (HeadOwnObjectsForIdentityChecksAndBeforeOverwrite): without it \
                         every redelivered record fails its identity check.",
                        places.bucket
                    ))
                    .at(places.all(&[TARGET_HEAD]))
            } else {
                check
            }
        }
    }
}

fn unconditional_put_refused(again: &Result<Probed, ProbeError>, places: &Places<'_>) -> Check {
    const NAME: &str = "unconditional_put_refused";
    match again {
        Err(e) if e.code == Some(ErrorCode::AccessDenied) => Check::new(
            NAME,
            Status::Ok,
            "the same PUT without If-None-Match was refused with AccessDenied: the bucket \
             policy's DenyUnconditionalWritesUnderThePrefix is in effect",
        )
        .code(e.code.as_ref(), e.status),
        Ok(_) => Check::new(
            NAME,
            Status::Warning,
            "the bucket policy's DenyUnconditionalWritesUnderThePrefix is not in effect: S3 \
             accepted a PUT of the canary without If-None-Match or If-Match under the prefix",
        )
        .fix(format!(
            "Deploy the bucket policy statement DenyUnconditionalWritesUnderThePrefix in the \
             bucket account ({}), so no writer, this one included, can overwrite under the \
             prefix without a condition.",
            places.bucket
        ))
        .at(places.all(&[DENY_UNCONDITIONAL])),
        Err(e) => Check::new(
            NAME,
            Status::Warning,
            format!(
                "the PUT without a condition failed for another reason, so it shows nothing \
                 about the deny: {}",
                e.detail
            ),
        )
        .code(e.code.as_ref(), e.status),
    }
}
