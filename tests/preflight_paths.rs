//! `{"action": "preflight"}` without an emulator: every outcome of each check,
//! with S3's and STS's answers from `aws-smithy-mocks` rules. The rules match
//! only the requests the preflight must send (the canary PUT with exactly a
//! record's headers), so a request built differently fails the test.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::operation::put_object::PutObjectOutput;
use aws_sdk_s3::types::{ChecksumAlgorithm, ServerSideEncryption};
use aws_sdk_sts::operation::get_caller_identity::{
    GetCallerIdentityError, GetCallerIdentityOutput,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::error::ErrorMetadata;
use cross_account_s3_writer::config::Config;
use cross_account_s3_writer::credentials::Clients;
use cross_account_s3_writer::handler::Handler;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};

const KEY: &str = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const BUCKET_ACCOUNT: &str = "222222222222";
const LAMBDA_ACCOUNT: &str = "111111111111";
const BODY: &str = "cross-account-s3-writer preflight canary";

fn config(extra: &[(&'static str, &'static str)]) -> Config {
    let mut env: HashMap<&str, &str> = [
        (
            "TARGET_ROLE_ARN",
            "arn:aws:iam::222222222222:role/writer-target",
        ),
        ("TARGET_BUCKET", "writer-target-222222222222"),
        ("TARGET_EXTERNAL_ID", "the-agreed-secret-id"),
        ("AWS_REGION", "us-east-1"),
    ]
    .into();
    env.extend(extra.iter().copied());
    Config::from_lookup(|n| env.get(n).map(|v| v.to_string())).expect("valid configuration")
}

fn with_kms() -> Config {
    config(&[("SSE_KMS_KEY_ARN", KEY)])
}

fn identity(account: &'static str, arn: &'static str) -> Rule {
    mock!(aws_sdk_sts::Client::get_caller_identity).then_output(move || {
        GetCallerIdentityOutput::builder()
            .account(account)
            .arn(arn)
            .user_id("AROAEXAMPLE:session")
            .build()
    })
}

fn sts_refused(code: &'static str) -> Rule {
    mock!(aws_sdk_sts::Client::get_caller_identity).then_error(move || {
        GetCallerIdentityError::generic(ErrorMetadata::builder().code(code).message("m").build())
    })
}

fn execution_ok() -> Rule {
    identity(
        LAMBDA_ACCOUNT,
        "arn:aws:sts::111111111111:assumed-role/writer-exec/fn",
    )
}

fn target_ok() -> Rule {
    identity(
        BUCKET_ACCOUNT,
        "arn:aws:sts::222222222222:assumed-role/writer-target/s",
    )
}

/// The canary PUT exactly as a record's create-only write sends it (with SSE-KMS when `kms`).
fn canary_put(
    kms: bool,
) -> aws_smithy_mocks::RuleBuilder<
    aws_sdk_s3::operation::put_object::PutObjectInput,
    PutObjectOutput,
    aws_sdk_s3::operation::put_object::PutObjectError,
> {
    mock!(aws_sdk_s3::Client::put_object).match_requests(move |r| {
        r.if_none_match() == Some("*")
            && r.expected_bucket_owner() == Some(BUCKET_ACCOUNT)
            && r.checksum_algorithm() == Some(&ChecksumAlgorithm::Crc32)
            && r.key()
                .is_some_and(|k| k.starts_with("incoming/preflight/"))
            && if kms {
                r.server_side_encryption() == Some(&ServerSideEncryption::AwsKms)
                    && r.ssekms_key_id() == Some(KEY)
                    && r.bucket_key_enabled() == Some(true)
            } else {
                r.server_side_encryption().is_none()
            }
    })
}

fn canary_created(kms: bool) -> Rule {
    canary_put(kms).then_output(move || {
        let out = PutObjectOutput::builder().e_tag("\"c\"");
        if kms {
            out.server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(KEY)
                .bucket_key_enabled(true)
                .build()
        } else {
            out.server_side_encryption(ServerSideEncryption::Aes256)
                .build()
        }
    })
}

fn canary_refused(kms: bool, status: u16, code: &str) -> Rule {
    canary_put(kms)
        .sequence()
        .http_status(status, error_body(code))
        .repeatedly()
        .build()
}

/// The same canary PUT with no condition at all.
fn unconditional() -> aws_smithy_mocks::RuleBuilder<
    aws_sdk_s3::operation::put_object::PutObjectInput,
    PutObjectOutput,
    aws_sdk_s3::operation::put_object::PutObjectError,
> {
    mock!(aws_sdk_s3::Client::put_object).match_requests(|r| {
        r.if_none_match().is_none()
            && r.if_match().is_none()
            && r.expected_bucket_owner() == Some(BUCKET_ACCOUNT)
            && r.key()
                .is_some_and(|k| k.starts_with("incoming/preflight/"))
    })
}

fn unconditional_refused() -> Rule {
    unconditional()
        .sequence()
        .http_status(403, error_body("AccessDenied"))
        .repeatedly()
        .build()
}

fn unconditional_accepted() -> Rule {
    unconditional().then_output(|| PutObjectOutput::builder().build())
}

fn head_ok() -> Rule {
    mock!(aws_sdk_s3::Client::head_object)
        .match_requests(|r| r.expected_bucket_owner() == Some(BUCKET_ACCOUNT))
        .then_output(|| HeadObjectOutput::builder().build())
}

fn head_status(status: u16) -> Rule {
    mock!(aws_sdk_s3::Client::head_object)
        .sequence()
        .http_status(status, None)
        .repeatedly()
        .build()
}

fn raw_get(status: u16, code: &str) -> Rule {
    mock!(aws_sdk_s3::Client::get_object)
        .match_requests(|r| {
            r.bucket() == Some("mail-bucket")
                && r.key().is_some_and(|k| k.starts_with("raw/preflight/"))
                && r.expected_bucket_owner() == Some(LAMBDA_ACCOUNT)
        })
        .sequence()
        .http_status(status, error_body(code))
        .repeatedly()
        .build()
}

fn error_body(code: &str) -> Option<String> {
    Some(format!(
        "<Error><Code>{code}</Code><Message>m</Message></Error>"
    ))
}

struct Mocks<'a> {
    execution: &'a [&'a Rule],
    target: &'a [&'a Rule],
    s3: &'a [&'a Rule],
    source_s3: &'a [&'a Rule],
}

async fn preflight(config: Config, mocks: Mocks<'_>) -> Value {
    let no_retry = aws_sdk_s3::config::retry::RetryConfig::disabled();
    let target_s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, mocks.s3, |c| c
        .retry_config(no_retry.clone()));
    let source_s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, mocks.source_s3, |c| c
        .retry_config(no_retry.clone()));
    let source_sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, mocks.execution, |c| c
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled()));
    let target_sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, mocks.target, |c| c
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled()));
    let clients = Clients {
        target_s3,
        source_s3,
        source_sts,
        target_sts,
        assume_role_calls: Arc::new(AtomicU64::new(0)),
    };
    let h = Handler::new(config, clients);
    let mut context = Context::default();
    context.request_id = "req-1".into();
    context.invoked_function_arn =
        "arn:aws:lambda:us-east-1:111111111111:function:cross-account-s3-writer".into();
    context.deadline = (SystemTime::now() + Duration::from_secs(60))
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let payload = serde_json::value::to_raw_value(&json!({"action": "preflight"})).unwrap();
    let answer = h
        .handle(LambdaEvent::new(payload, context))
        .await
        .expect("the preflight answers even when checks fail");
    let text = answer.to_string();
    assert!(!text.contains(BODY), "no object body in the answer: {text}");
    assert!(
        !text.contains("the-agreed-secret-id"),
        "no ExternalId in the answer: {text}"
    );
    answer
}

fn check<'a>(answer: &'a Value, name: &str) -> &'a Value {
    answer["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {answer:#}"))
}

fn statuses(answer: &Value) -> Vec<(String, String)> {
    answer["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn expect(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn candidates(check: &Value) -> Vec<(String, String)> {
    check["candidates"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|c| {
                    (
                        c["statement"].as_str().unwrap().to_owned(),
                        c["account"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_healthy_chain_passes_every_check_in_order() {
    let answer = preflight(
        with_kms(),
        Mocks {
            execution: &[&execution_ok()],
            target: &[&target_ok()],
            s3: &[&canary_created(true), &head_ok(), &unconditional_refused()],
            source_s3: &[],
        },
    )
    .await;
    assert_eq!(
        statuses(&answer),
        expect(&[
            ("execution_identity", "ok"),
            ("assume_role", "ok"),
            ("create_only_put", "ok"),
            ("identity_check_head", "ok"),
            ("unconditional_put_refused", "ok"),
            ("encryption", "ok"),
            ("expected_bucket_owner", "ok"),
            ("raw_mail_read", "skipped"),
        ]),
        "{answer:#}"
    );
    assert_eq!(answer["ok"], true);
    assert_eq!(answer["bucket"], "writer-target-222222222222");
    assert_eq!(answer["key_prefix"], "incoming/");
    let canary = answer["canary_key"].as_str().unwrap();
    let rest = canary.strip_prefix("incoming/preflight/").expect(canary);
    let (stamp, request) = rest.split_once('-').expect(canary);
    assert_eq!(request, "req-1");
    assert!(
        stamp.len() == 16 && stamp.ends_with('Z') && stamp.as_bytes()[8] == b'T',
        "yyyymmddTHHMMSSZ: {stamp}"
    );
    assert!(
        check(&answer, "encryption")["detail"]
            .as_str()
            .unwrap()
            .contains(KEY)
    );
    assert_eq!(
        check(&answer, "unconditional_put_refused")["code"],
        "AccessDenied"
    );
}

#[tokio::test]
async fn an_accepted_unconditional_put_is_a_warning_naming_the_deny() {
    let answer = preflight(
        config(&[]),
        Mocks {
            execution: &[&execution_ok()],
            target: &[&target_ok()],
            s3: &[
                &canary_created(false),
                &head_ok(),
                &unconditional_accepted(),
            ],
            source_s3: &[],
        },
    )
    .await;
    let check = check(&answer, "unconditional_put_refused");
    assert_eq!(check["status"], "warning", "{check}");
    assert_eq!(check["statement"], "DenyUnconditionalWritesUnderThePrefix");
    assert_eq!(check["account"], BUCKET_ACCOUNT);
    assert_eq!(
        check["resource"],
        "module.target_bucket.aws_s3_bucket_policy.this[0]"
    );
    assert_eq!(answer["ok"], true, "a warning is not a failure");
}

#[tokio::test]
async fn a_refused_assume_role_names_both_sides_and_skips_the_rest() {
    let answer = preflight(
        config(&[]),
        Mocks {
            execution: &[&execution_ok()],
            target: &[&sts_refused("AccessDenied")],
            s3: &[],
            source_s3: &[],
        },
    )
    .await;
    assert_eq!(answer["ok"], false);
    let assume = check(&answer, "assume_role");
    assert_eq!(assume["status"], "failed");
    assert_eq!(assume["code"], "AccessDenied");
    assert_eq!(
        assume["statement"],
        "OnlyTheWriterExecutionRoleWithExternalId"
    );
    assert_eq!(
        assume["policy"],
        "infra/modules/target-bucket/policies/target-trust.json.tftpl"
    );
    assert_eq!(
        candidates(assume),
        expect(&[
            ("OnlyTheWriterExecutionRoleWithExternalId", BUCKET_ACCOUNT),
            ("AssumeExactlyTheTargetRole", LAMBDA_ACCOUNT),
        ])
    );
    assert!(assume["fix"].as_str().unwrap().contains("propagation"));
    for (name, status) in statuses(&answer).into_iter().skip(2) {
        assert_eq!(status, "skipped", "{name}: {answer:#}");
    }
}

#[tokio::test]
async fn an_execution_identity_failure_is_named_and_the_account_comes_from_the_function_arn() {
    let answer = preflight(
        config(&[]),
        Mocks {
            execution: &[&sts_refused("InvalidClientTokenId")],
            target: &[&sts_refused("AccessDenied")],
            s3: &[],
            source_s3: &[],
        },
    )
    .await;
    let execution = check(&answer, "execution_identity");
    assert_eq!(execution["status"], "failed");
    assert_eq!(execution["code"], "InvalidClientTokenId");
    assert_eq!(
        candidates(check(&answer, "assume_role"))[1],
        ("AssumeExactlyTheTargetRole".into(), LAMBDA_ACCOUNT.into())
    );
}

#[tokio::test]
async fn a_refused_put_with_kms_lists_every_statement_that_answers_access_denied() {
    let answer = preflight(
        with_kms(),
        Mocks {
            execution: &[&execution_ok()],
            target: &[&target_ok()],
            s3: &[&canary_refused(true, 403, "AccessDenied")],
            source_s3: &[],
        },
    )
    .await;
    let put = check(&answer, "create_only_put");
    assert_eq!(put["status"], "failed");
    assert_eq!(put["statement"], "PutObjectsUnderThePrefixOnly");
    assert_eq!(
        candidates(put),
        expect(&[
            ("PutObjectsUnderThePrefixOnly", BUCKET_ACCOUNT),
            (
                "EncryptWithTheBucketKeyViaS3ForThisBucketOnly",
                BUCKET_ACCOUNT
            ),
            ("TargetRoleEncryptsViaS3ForThisBucketOnly", BUCKET_ACCOUNT),
            (
                "DenyObjectWritesUnderThePrefixByOtherPrincipals",
                BUCKET_ACCOUNT
            ),
        ])
    );
    assert!(
        put["fix"].as_str().unwrap().contains("TARGET_BUCKET_OWNER"),
        "an owner mismatch answers AccessDenied too: {put}"
    );
    let owner = check(&answer, "expected_bucket_owner");
    assert_eq!(owner["status"], "skipped");
    assert!(owner["detail"].as_str().unwrap().contains("cannot tell"));
    // Without KMS, the KMS statements are no candidates.
    let answer = preflight(
        config(&[]),
        Mocks {
            execution: &[&execution_ok()],
            target: &[&target_ok()],
            s3: &[&canary_refused(false, 403, "AccessDenied")],
            source_s3: &[],
        },
    )
    .await;
    assert_eq!(
        candidates(check(&answer, "create_only_put")),
        expect(&[
            ("PutObjectsUnderThePrefixOnly", BUCKET_ACCOUNT),
            (
                "DenyObjectWritesUnderThePrefixByOtherPrincipals",
                BUCKET_ACCOUNT
            ),
        ])
    );
}

#[tokio::test]
async fn a_kms_error_code_names_the_key_policy_first() {
    let answer = preflight(
        with_kms(),
        Mocks {
            execution: &[&execution_ok()],
            target: &[&target_ok()],
            s3: &[&canary_refused(true, 400, "KMS.NotFoundException")],
            source_s3: &[],
        },
    )
    .await;
    let put = check(&answer, "create_only_put");
    assert_eq!(put["status"], "failed");
    assert_eq!(put["code"], "KMS.NotFoundException");
    assert_eq!(put["statement"], "TargetRoleEncryptsViaS3ForThisBucketOnly");
    assert_eq!(put["resource"], "module.target_bucket.aws_kms_key.this[0]");
}

#[tokio::test]
async fn a_forbidden_head_of_the_canary_names_the_read_statement() {
    let answer = preflight(
        config(&[]),
        Mocks {
            execution: &[&execution_ok()],
            target: &[&target_ok()],
            s3: &[
                &canary_created(false),
                &head_status(403),
                &unconditional_refused(),
            ],
            source_s3: &[],
        },
    )
    .await;
    let head = check(&answer, "identity_check_head");
    assert_eq!(head["status"], "failed", "{head}");
    assert_eq!(head["code"], "HTTP 403");
    assert_eq!(
        head["statement"],
        "HeadOwnObjectsForIdentityChecksAndBeforeOverwrite"
    );
    assert_eq!(head["account"], BUCKET_ACCOUNT);
    assert_eq!(
        head["policy"],
        "infra/modules/target-bucket/policies/target-write.json.tftpl"
    );
    assert_eq!(
        head["resource"],
        "module.target_bucket.aws_iam_role_policy.this"
    );
    assert_eq!(answer["ok"], false);
    // The other checks still ran: the canary exists.
    assert_eq!(check(&answer, "unconditional_put_refused")["status"], "ok");
    assert_eq!(check(&answer, "expected_bucket_owner")["status"], "ok");
}

#[tokio::test]
async fn encryption_other_than_the_configured_key_fails() {
    // The PUT asked for the key, S3 reports SSE-S3 (as it would for another key's ARN, another key).
    let put = canary_put(true).then_output(|| {
        PutObjectOutput::builder()
            .server_side_encryption(ServerSideEncryption::Aes256)
            .build()
    });
    let answer = preflight(
        with_kms(),
        Mocks {
            execution: &[&execution_ok()],
            target: &[&target_ok()],
            s3: &[&put, &head_ok(), &unconditional_refused()],
            source_s3: &[],
        },
    )
    .await;
    let encryption = check(&answer, "encryption");
    assert_eq!(encryption["status"], "failed", "{encryption}");
    assert!(encryption["detail"].as_str().unwrap().contains("AES256"));
    assert_eq!(answer["ok"], false);

    // A Bucket Key reported off is a warning (cost), not a failure.
    let put = canary_put(true).then_output(|| {
        PutObjectOutput::builder()
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .ssekms_key_id(KEY)
            .bucket_key_enabled(false)
            .build()
    });
    let answer = preflight(
        with_kms(),
        Mocks {
            execution: &[&execution_ok()],
            target: &[&target_ok()],
            s3: &[&put, &head_ok(), &unconditional_refused()],
            source_s3: &[],
        },
    )
    .await;
    assert_eq!(check(&answer, "encryption")["status"], "warning");
    assert_eq!(answer["ok"], true);
}

#[tokio::test]
async fn raw_mail_read_by_error_code() {
    let raw = [
        ("SES_RAW_MAIL_BUCKET", "mail-bucket"),
        ("SES_RAW_MAIL_PREFIX", "raw/"),
    ];
    let run = |rule: Rule| async move {
        let answer = preflight(
            config(&raw),
            Mocks {
                execution: &[&execution_ok()],
                target: &[&target_ok()],
                s3: &[&canary_created(false), &head_ok(), &unconditional_refused()],
                source_s3: &[&rule],
            },
        )
        .await;
        check(&answer, "raw_mail_read").clone()
    };
    let missing = run(raw_get(404, "NoSuchKey")).await;
    assert_eq!(missing["status"], "ok", "{missing}");

    let denied = run(raw_get(403, "AccessDenied")).await;
    assert_eq!(denied["status"], "warning", "indeterminate: {denied}");
    assert_eq!(denied["statement"], "ReadSesRawMailUnderThePrefixOnly");
    assert_eq!(denied["account"], LAMBDA_ACCOUNT);
    assert_eq!(
        denied["resource"],
        "module.writer_function.aws_iam_role_policy.execution[\"read-ses-raw-mail\"]"
    );
    assert!(denied["detail"].as_str().unwrap().contains("s3:ListBucket"));

    let no_bucket = run(raw_get(404, "NoSuchBucket")).await;
    assert_eq!(no_bucket["status"], "failed", "{no_bucket}");
    assert!(
        no_bucket["fix"]
            .as_str()
            .unwrap()
            .contains("SES_RAW_MAIL_BUCKET")
    );

    let found = run(mock!(aws_sdk_s3::Client::get_object).then_output(|| {
        GetObjectOutput::builder()
            .body(aws_sdk_s3::primitives::ByteStream::from_static(
                b"never read",
            ))
            .build()
    }))
    .await;
    assert_eq!(found["status"], "ok", "{found}");
}
