//! The function's handler against two emulated AWS accounts (ministack with
//! AUTH=true: SigV4, identity, trust and bucket policies enforced), over real
//! HTTPS. One emulator serves the whole binary; `libtest-mimic` gives the
//! usual test output and filtering, and lets `main` stop the emulator after.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_s3::primitives::ByteStream;
use cross_account_s3_writer::handler::{Handler, HandlerError};
use lambda_runtime::{Diagnostic, LambdaEvent};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use support::{Emulator, Keys};

/// One scenario: runs against the shared emulator; panics or returns `Err` on failure.
type Scenario = fn(&Emulator) -> Result<(), Failed>;

fn main() {
    let args = Arguments::from_args();
    let emulator = if args.list {
        None
    } else {
        Some(Arc::new(Emulator::start(&[])))
    };
    let scenarios: Vec<(&str, Scenario)> = vec![
        (
            "sqs_messages_land_under_their_queue_and_id",
            sqs_messages_land,
        ),
        (
            "sqs_malformed_message_fails_alone",
            sqs_malformed_message_fails_alone,
        ),
        (
            "sqs_redelivery_never_overwrites",
            sqs_redelivery_never_overwrites,
        ),
        (
            "sns_eventbridge_http_and_direct_land",
            other_inline_sources_land,
        ),
        (
            "s3_notification_copies_the_source_object",
            s3_notification_copies_source,
        ),
        (
            "s3_large_object_is_copied_in_parts",
            s3_large_object_copied_in_parts,
        ),
        (
            "ses_notification_and_raw_mail_land",
            ses_notification_and_raw_mail_land,
        ),
        (
            "wrong_external_id_is_an_actionable_access_denied",
            wrong_external_id,
        ),
        (
            "missing_external_id_is_an_actionable_access_denied",
            missing_external_id,
        ),
        (
            "execution_role_without_permission_is_named",
            execution_role_without_permission,
        ),
        (
            "role_cannot_write_outside_its_prefix",
            role_cannot_write_outside_prefix,
        ),
        (
            "assume_role_once_across_50_invocations",
            assume_role_once_across_invocations,
        ),
        (
            "objects_are_owned_by_the_bucket_account",
            objects_owned_by_bucket_account,
        ),
        (
            "whoami_reports_both_identities",
            whoami_reports_both_identities,
        ),
        (
            "sse_kms_uses_the_key_and_the_bucket_refuses_other_encryption",
            sse_kms,
        ),
        (
            "s3_overwrite_replaces_the_copy_and_a_late_old_event_never_rolls_it_back",
            s3_overwrite_then_late_redelivery,
        ),
        (
            "s3_versioned_source_copies_the_named_version",
            s3_versioned_source,
        ),
        (
            "s3_redelivered_large_object_is_not_uploaded_again",
            s3_redelivered_large_object_not_uploaded_again,
        ),
        (
            "keys_that_used_to_sanitize_alike_land_apart",
            colliding_keys_land_apart,
        ),
        (
            "caller_keys_cannot_squat_and_metadata_cannot_forge",
            caller_keys_cannot_squat_or_forge,
        ),
        (
            "duplicate_keys_in_one_invocation_are_refused",
            duplicate_keys_refused,
        ),
        (
            "eventbridge_event_is_stored_byte_for_byte",
            eventbridge_byte_for_byte,
        ),
        (
            "a_failed_direct_write_answers_an_error",
            failed_direct_write_is_an_error,
        ),
        (
            "concurrent_invocations_in_one_process_share_one_session",
            concurrent_invocations_share_one_session,
        ),
        (
            "key_template_partitions_by_event_time_and_redelivery_meets_the_same_key",
            key_template_partitions_by_event_time,
        ),
        (
            "kinesis_records_land_and_failed_writes_are_reported_by_sequence_number",
            kinesis_records_land,
        ),
        (
            "dynamodb_records_land_and_failed_writes_are_reported_by_sequence_number",
            dynamodb_records_land,
        ),
        (
            "kafka_records_land_and_a_failed_write_fails_the_invocation",
            kafka_records_land,
        ),
        (
            "batch_of_10_sqs_messages_is_one_ndjson_object_and_a_redelivery_is_already_present",
            sqs_batch_is_one_object,
        ),
        (
            "batch_gzip_is_one_ndjson_gz_object_and_single_objects_get_gz",
            sqs_batch_gzip,
        ),
        (
            "batch_objects_follow_the_key_template_one_per_event_hour",
            sqs_batch_under_a_key_template,
        ),
        (
            "batch_failed_put_reports_every_message_and_a_malformed_one_alone",
            sqs_batch_failures,
        ),
        (
            "batch_kinesis_records_are_one_object_and_failures_name_sequence_numbers",
            kinesis_batch,
        ),
    ];
    let trials = scenarios
        .into_iter()
        .map(|(name, scenario)| {
            let emulator = emulator.clone();
            Trial::test(name, move || match &emulator {
                Some(e) => scenario(e),
                None => Ok(()),
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    drop(emulator); // stops the emulator before exiting
    conclusion.exit();
}

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

async fn handler(emu: &Emulator, overrides: &[(&str, &str)], identity: Option<&Keys>) -> Handler {
    emu.handler(overrides, identity, None).await
}

fn event(payload: Value, request_id: &str) -> LambdaEvent<Box<RawValue>> {
    raw_event(&payload.to_string(), request_id)
}

fn raw_event(text: &str, request_id: &str) -> LambdaEvent<Box<RawValue>> {
    support::lambda_event(text, request_id)
}

fn sample(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("events")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("sample event"))
        .expect("sample JSON")
}

/// A fresh ID, so scenarios sharing the bucket never collide.
fn fresh(tag: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{tag}-{:x}-{n}", support::unique())
}

struct Object {
    body: Vec<u8>,
    content_type: Option<String>,
    content_encoding: Option<String>,
    metadata: HashMap<String, String>,
}

/// Reads an object as the bucket account's root.
async fn get(emu: &Emulator, key: &str) -> Object {
    let s3 = emu.bucket_root_s3().await;
    let out = s3
        .get_object()
        .bucket(&emu.state.bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "object {key} should exist: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        });
    let content_type = out.content_type.clone();
    let content_encoding = out.content_encoding.clone();
    let metadata = out.metadata.clone().unwrap_or_default();
    let body = out
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec();
    Object {
        body,
        content_type,
        content_encoding,
        metadata,
    }
}

async fn versions(emu: &Emulator, key: &str) -> usize {
    let s3 = emu.bucket_root_s3().await;
    let out = s3
        .list_object_versions()
        .bucket(&emu.state.bucket)
        .prefix(key)
        .send()
        .await
        .expect("list versions");
    out.versions
        .unwrap_or_default()
        .iter()
        .filter(|v| v.key.as_deref() == Some(key))
        .count()
}

/// Every key in the bucket under `prefix`, all pages.
async fn keys_under(emu: &Emulator, prefix: &str) -> Vec<String> {
    let mut pages = emu
        .bucket_root_s3()
        .await
        .list_objects_v2()
        .bucket(&emu.state.bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    let mut keys = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.expect("ListObjectsV2");
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    keys
}

fn with_queue_ids(mut event: Value, ids: &[&str]) -> Value {
    for (record, id) in event["Records"]
        .as_array_mut()
        .expect("Records")
        .iter_mut()
        .zip(ids)
    {
        record["messageId"] = json!(id);
    }
    event
}

// ---------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------

fn sqs_messages_land(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let (a, b) = (fresh("sqs-a"), fresh("sqs-b"));
        let response = h
            .handle(event(with_queue_ids(sample("sqs.json"), &[&a, &b]), "r1"))
            .await
            .expect("handled");
        assert_eq!(response, json!({ "batchItemFailures": [] }));
        let first = get(emu, &format!("incoming/sqs/writer-queue/{a}")).await;
        assert_eq!(first.body, br#"{"orderId":"o-1001","total":42.5}"#);
        assert_eq!(first.content_type.as_deref(), Some("application/json"));
        assert_eq!(
            first.metadata.get("source").map(String::as_str),
            Some("sqs")
        );
        assert_eq!(first.metadata.get("source-id"), Some(&a));
        let second = get(emu, &format!("incoming/sqs/writer-queue/{b}")).await;
        assert_eq!(second.body, b"hello, binary world\n");
        assert_eq!(second.content_type.as_deref(), Some("text/plain"));
        Ok(())
    })
}

fn sqs_malformed_message_fails_alone(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let ids = [fresh("ok-1"), fresh("bad"), fresh("ok-3")];
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let response = h
            .handle(event(
                with_queue_ids(sample("sqs-partial-failure.json"), &refs),
                "r2",
            ))
            .await
            .expect("handled");
        assert_eq!(
            response,
            json!({ "batchItemFailures": [{ "itemIdentifier": ids[1] }] })
        );
        assert_eq!(
            get(emu, &format!("incoming/sqs/writer-queue/{}", ids[0]))
                .await
                .body,
            b"first good message"
        );
        assert_eq!(
            get(emu, &format!("incoming/sqs/writer-queue/{}", ids[2]))
                .await
                .body,
            b"third good message"
        );
        assert_eq!(
            versions(emu, &format!("incoming/sqs/writer-queue/{}", ids[1])).await,
            0,
            "nothing written for the bad one"
        );
        Ok(())
    })
}

fn sqs_redelivery_never_overwrites(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let id = fresh("redelivered");
        let mut first = with_queue_ids(sample("sqs.json"), &[&id]);
        first["Records"].as_array_mut().unwrap().truncate(1);
        for attempt in ["first delivery", "identical redelivery"] {
            let response = h.handle(event(first.clone(), "r3")).await.expect("handled");
            assert_eq!(response, json!({ "batchItemFailures": [] }), "{attempt}");
        }
        // The same message ID with other bytes is not the record stored: it fails
        // (stays in the queue, reaches the DLQ), and the stored object is kept.
        let mut other = first.clone();
        other["Records"][0]["body"] = json!("a different body on redelivery");
        let response = h.handle(event(other, "r3")).await.expect("handled");
        assert_eq!(
            response,
            json!({ "batchItemFailures": [{ "itemIdentifier": id }] })
        );
        let key = format!("incoming/sqs/writer-queue/{id}");
        assert_eq!(
            get(emu, &key).await.body,
            br#"{"orderId":"o-1001","total":42.5}"#,
            "first write kept"
        );
        assert_eq!(
            versions(emu, &key).await,
            1,
            "no second version in the versioned bucket"
        );
        Ok(())
    })
}

fn other_inline_sources_land(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;

        let mut sns = sample("sns.json");
        let sns_id = fresh("sns");
        sns["Records"][0]["Sns"]["MessageId"] = json!(sns_id);
        let summary = h.handle(event(sns, "r-sns")).await.expect("SNS handled");
        assert_eq!(summary["written"][0]["status"], "created");
        let o = get(emu, &format!("incoming/sns/writer-topic/{sns_id}")).await;
        assert_eq!(o.body, br#"{"orderId":"o-1001","status":"shipped"}"#);

        let mut eb = sample("eventbridge.json");
        let eb_id = fresh("eb");
        eb["id"] = json!(eb_id);
        h.handle(event(eb.clone(), "r-eb"))
            .await
            .expect("EventBridge handled");
        let o = get(
            emu,
            &format!("incoming/events/demo.orders/OrderPlaced/{eb_id}"),
        )
        .await;
        assert_eq!(o.body, eb.to_string().as_bytes());

        for file in [
            "apigw-http-v2.json",
            "apigw-rest-v1.json",
            "function-url.json",
        ] {
            let mut http = sample(file);
            let request_id = fresh("http");
            http["requestContext"]["requestId"] = json!(request_id);
            let response = h.handle(event(http, "r-http")).await.expect("HTTP handled");
            assert_eq!(response["statusCode"], 201, "{file}: {response}");
            let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
            assert_eq!(body["key"], format!("incoming/http/{request_id}"));
            assert_eq!(body["bucket"], emu.state.bucket.as_str());
            assert!(body["etag"].is_string(), "{body}");
            get(emu, &format!("incoming/http/{request_id}")).await;
        }

        let request_id = fresh("direct");
        let summary = h
            .handle(raw_event(
                &std::fs::read_to_string(
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("events/direct-batch.json"),
                )
                .unwrap(),
                &request_id,
            ))
            .await
            .expect("direct handled");
        assert_eq!(summary["failed"], 0, "{summary}");
        let o = get(emu, &format!("incoming/direct/{request_id}/0")).await;
        assert_eq!(o.body, b"plain text, key derived from the request id");
        assert_eq!(o.content_type.as_deref(), Some("text/plain"));
        Ok(())
    })
}

/// Puts an object in the lambda account's source bucket, as that account's root.
/// Puts an object in the source bucket; its ETag (unquoted) and version ID.
async fn put_source(
    emu: &Emulator,
    key: &str,
    body: Vec<u8>,
    content_type: &str,
) -> (String, Option<String>) {
    let s3 = emu.s3_of(&emu.state.lambda_root).await;
    let out = s3
        .put_object()
        .bucket(&emu.state.source_bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap_or_else(|e| panic!("source put: {}", aws_sdk_s3::error::DisplayErrorContext(e)));
    (
        out.e_tag.unwrap_or_default().trim_matches('"').to_owned(),
        out.version_id,
    )
}

/// The sample S3 notification for `key_in_event` (form-encoded, as S3 sends
/// keys), without the sample's ETag.
fn s3_event_for(emu: &Emulator, key_in_event: &str) -> Value {
    let mut e = sample("s3.json");
    e["Records"][0]["s3"]["bucket"]["name"] = json!(emu.state.source_bucket);
    e["Records"][0]["s3"]["object"]["key"] = json!(key_in_event);
    e["Records"][0]["s3"]["object"]
        .as_object_mut()
        .unwrap()
        .remove("eTag");
    e
}

/// A notification for `key` naming this version of it, in S3's own form.
fn s3_event(
    emu: &Emulator,
    key: &str,
    etag: &str,
    version: Option<&str>,
    sequencer: &str,
) -> Value {
    const FORM: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b' ');
    let encoded = percent_encoding::utf8_percent_encode(key, FORM)
        .to_string()
        .replace(' ', "+");
    let mut e = s3_event_for(emu, &encoded);
    let object = &mut e["Records"][0]["s3"]["object"];
    object["eTag"] = json!(etag);
    object["sequencer"] = json!(sequencer);
    if let Some(v) = version {
        object["versionId"] = json!(v);
    }
    e
}

fn destination(emu: &Emulator, source_key: &str) -> String {
    let prefix = cross_account_s3_writer::keys::KeyPrefix::parse(&emu.state.key_prefix).unwrap();
    prefix
        .derived(cross_account_s3_writer::keys::Layout::new(
            cross_account_s3_writer::source::Source::S3,
            Some(&emu.state.source_bucket),
            &[cross_account_s3_writer::keys::Part::Path(source_key)],
        ))
        .to_string()
}

fn s3_notification_copies_source(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let name = fresh("report");
        let _ = put_source(
            emu,
            &format!("reports/{name} Q4.csv"),
            b"a,b\n1,2\n".to_vec(),
            "text/csv",
        )
        .await;
        let summary = h
            .handle(event(
                s3_event_for(emu, &format!("reports/{name}+Q4.csv")),
                "r-s3",
            ))
            .await
            .expect("S3 handled");
        assert_eq!(summary["written"][0]["status"], "created", "{summary}");
        let o = get(
            emu,
            &format!(
                "incoming/s3/{}/reports/{name} Q4.csv",
                emu.state.source_bucket
            ),
        )
        .await;
        assert_eq!(o.body, b"a,b\n1,2\n");
        assert_eq!(
            o.content_type.as_deref(),
            Some("text/csv"),
            "the source's content type is kept"
        );
        Ok(())
    })
}

fn s3_large_object_copied_in_parts(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        // 5 MiB parts (S3's minimum), 12 MiB + 7 bytes: three parts, the last one short;
        // two in flight at a time, so the third waits for a free slot.
        let h = handler(
            emu,
            &[("PART_SIZE_MIB", "5"), ("MAX_CONCURRENT_PARTS", "2")],
            None,
        )
        .await;
        let body: Vec<u8> = (0..12 * 1024 * 1024 + 7)
            .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let name = fresh("big");
        let _ = put_source(
            emu,
            &format!("{name}.bin"),
            body.clone(),
            "application/octet-stream",
        )
        .await;
        let summary = h
            .handle(event(s3_event_for(emu, &format!("{name}.bin")), "r-big"))
            .await
            .expect("S3 handled");
        assert_eq!(summary["written"][0]["status"], "created", "{summary}");
        let o = get(
            emu,
            &format!("incoming/s3/{}/{name}.bin", emu.state.source_bucket),
        )
        .await;
        assert_eq!(o.body.len(), body.len());
        assert!(o.body == body, "multipart copy differs from the source");
        Ok(())
    })
}

fn ses_notification_and_raw_mail_land(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let source = emu.state.source_bucket.clone();
        let h = handler(
            emu,
            &[
                ("SES_RAW_MAIL_BUCKET", &source),
                ("SES_RAW_MAIL_PREFIX", "mail/"),
            ],
            None,
        )
        .await;
        let id = fresh("mail");
        let raw =
            b"From: sender@example.com\r\nTo: inbox@example.org\r\nSubject: hi\r\n\r\nhello\r\n"
                .to_vec();
        let _ = put_source(
            emu,
            &format!("mail/{id}"),
            raw.clone(),
            "application/octet-stream",
        )
        .await;
        let mut ses = sample("ses.json");
        ses["Records"][0]["ses"]["mail"]["messageId"] = json!(id);
        let summary = h
            .handle(event(ses.clone(), "r-ses"))
            .await
            .expect("SES handled");
        assert_eq!(
            summary["written"].as_array().map(Vec::len),
            Some(2),
            "{summary}"
        );
        let notification = get(emu, &format!("incoming/ses/{id}.json")).await;
        assert_eq!(
            notification.body,
            ses["Records"][0].to_string().as_bytes(),
            "the notification as it arrived"
        );
        let mail = get(emu, &format!("incoming/ses/{id}.eml")).await;
        assert_eq!(mail.body, raw);
        assert_eq!(mail.content_type.as_deref(), Some("message/rfc822"));
        Ok(())
    })
}

/// The error a direct write gets, as the handler reports it (an invocation
/// error carrying the per-object summary).
async fn direct_write_error(h: &Handler) -> String {
    let error = h
        .handle(event(json!({ "body": "x" }), &fresh("denied")))
        .await
        .expect_err("a failed write makes the invocation fail");
    let HandlerError::RecordsFailed(failed) = &error else {
        panic!("not a records failure: {error}");
    };
    let summary: Value = serde_json::from_str(&failed.details).expect("the summary as JSON");
    assert_eq!(summary["failed"], 1, "{summary}");
    summary["objects"][0]["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn assert_names_both_causes(emu: &Emulator, message: &str, execution_role: &str) {
    assert!(message.contains("AccessDenied"), "{message}");
    assert!(
        message.contains(execution_role),
        "names the execution role: {message}"
    );
    assert!(
        message.contains(&emu.state.target_role_arn),
        "names the target role: {message}"
    );
    assert!(
        message.contains("lacks sts:AssumeRole"),
        "cause 1: {message}"
    );
    assert!(
        message.contains("trust policy") && message.contains("ExternalId"),
        "cause 2: {message}"
    );
    assert!(
        message.contains("propagated") && message.contains("wait, retry"),
        "IAM propagation after an apply: {message}"
    );
}

fn wrong_external_id(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[("TARGET_EXTERNAL_ID", "not-the-agreed-id")], None).await;
        let message = direct_write_error(&h).await;
        assert_names_both_causes(emu, &message, &emu.state.execution_role_arn);
        assert!(
            !message.contains("not-the-agreed-id"),
            "the ExternalId is not echoed into logs or errors: {message}"
        );
        Ok(())
    })
}

fn missing_external_id(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[("TARGET_EXTERNAL_ID", "")], None).await;
        let message = direct_write_error(&h).await;
        assert_names_both_causes(emu, &message, &emu.state.execution_role_arn);
        assert!(message.contains("TARGET_EXTERNAL_ID is unset"), "{message}");
        Ok(())
    })
}

fn execution_role_without_permission(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let keys = emu.state.no_assume_credentials.clone();
        let h = handler(emu, &[], Some(&keys)).await;
        let message = direct_write_error(&h).await;
        assert_names_both_causes(emu, &message, &emu.state.no_assume_role_arn);
        Ok(())
    })
}

fn role_cannot_write_outside_prefix(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        // The function never builds a key outside KEY_PREFIX; misconfigure the
        // prefix to prove the role's policy is what stops it, not just our code.
        let h = handler(emu, &[("KEY_PREFIX", "elsewhere/")], None).await;
        let message = direct_write_error(&h).await;
        assert!(
            message.contains("AccessDenied") && message.contains("KEY_PREFIX must match"),
            "{message}"
        );
        assert_eq!(
            keys_under(emu, "elsewhere/").await,
            Vec::<String>::new(),
            "nothing written outside the prefix"
        );

        // And hostile caller keys are refused, each with its reason; nothing is written.
        let h = handler(emu, &[], None).await;
        let name = fresh("escape");
        let error = h
            .handle(event(
                json!({ "objects": [
                    { "key": format!("../../{name}"), "body": "a" },
                    { "key": format!("/{name}/abs"), "body": "b" }
                ]}),
                "r-escape",
            ))
            .await
            .expect_err("refused");
        let message = error.to_string();
        assert!(
            message.contains("'..'") && message.contains("starts with '/'"),
            "{message}"
        );
        assert!(
            keys_under(emu, "").await.iter().all(|k| !k.contains(&name)),
            "nothing written for refused keys"
        );
        Ok(())
    })
}

fn assume_role_once_across_invocations(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let session = fresh("once");
        let started = SystemTime::now() - Duration::from_secs(1);
        let (h, clients) = emu
            .handler_with_clients(&[("ROLE_SESSION_NAME", &session)], None, None)
            .await;
        for n in 0..50 {
            let summary = h
                .handle(event(
                    json!({ "body": format!("invocation {n}") }),
                    &fresh("inv"),
                ))
                .await
                .unwrap();
            assert_eq!(summary["failed"], 0, "{summary}");
        }
        assert_eq!(
            clients
                .assume_role_calls
                .load(std::sync::atomic::Ordering::Relaxed),
            1,
            "by the function's own count"
        );
        // And by the emulator's audit log: STS calls naming this session.
        // (ministack records query-protocol STS calls as "POST.sts", JSON ones by action.)
        let trail = aws_sdk_cloudtrail::Client::new(&emu.sdk_config(&emu.state.lambda_root).await);
        let mut ours = 0;
        for name in ["POST.sts", "AssumeRole"] {
            let mut pages = trail
                .lookup_events()
                .lookup_attributes(
                    aws_sdk_cloudtrail::types::LookupAttribute::builder()
                        .attribute_key(aws_sdk_cloudtrail::types::LookupAttributeKey::EventName)
                        .attribute_value(name)
                        .build()
                        .unwrap(),
                )
                .start_time(aws_sdk_cloudtrail::primitives::DateTime::from(started))
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.expect("LookupEvents");
                ours += page
                    .events
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|e| e.cloud_trail_event.as_deref())
                    .filter(|raw| raw.contains("AssumeRole") && raw.contains(&session))
                    .count();
            }
        }
        assert_eq!(
            ours, 1,
            "the emulator saw {ours} AssumeRole calls with session {session}"
        );
        Ok(())
    })
}

fn objects_owned_by_bucket_account(emu: &Emulator) -> Result<(), Failed> {
    // With BucketOwnerEnforced the bucket account owns every object, and the
    // function writes as a principal of the bucket account (the assumed role),
    // never with the lambda account's credentials. (ministack's FetchOwner
    // reports the requester, so the owner field itself proves nothing here.)
    block_on(async {
        let started = SystemTime::now() - Duration::from_secs(1);
        let h = handler(emu, &[], None).await;
        let key = format!("owned/{}", fresh("o"));
        let summary = h
            .handle(event(json!({ "key": key, "body": "mine?" }), "r-own"))
            .await
            .unwrap();
        assert_eq!(summary["failed"], 0, "{summary}");
        let full_key = format!("incoming/{key}");

        let controls = emu
            .bucket_root_s3()
            .await
            .get_bucket_ownership_controls()
            .bucket(&emu.state.bucket)
            .send()
            .await
            .unwrap();
        let rules = controls
            .ownership_controls
            .map(|c| c.rules)
            .unwrap_or_default();
        assert_eq!(
            rules.first().map(|r| r.object_ownership.clone()),
            Some(aws_sdk_s3::types::ObjectOwnership::BucketOwnerEnforced)
        );

        let puts_in = |keys: Keys| {
            let full_key = full_key.clone();
            async move {
                let trail = aws_sdk_cloudtrail::Client::new(&emu.sdk_config(&keys).await);
                let mut pages = trail
                    .lookup_events()
                    .start_time(aws_sdk_cloudtrail::primitives::DateTime::from(started))
                    .into_paginator()
                    .send();
                let mut n = 0;
                while let Some(page) = pages.next().await {
                    n += page
                        .expect("LookupEvents")
                        .events
                        .unwrap_or_default()
                        .iter()
                        .filter(|e| e.event_name.as_deref() == Some("PutObject"))
                        .filter(|e| {
                            e.cloud_trail_event
                                .as_deref()
                                .is_some_and(|raw| raw.contains(&full_key))
                                || e.resources.as_deref().unwrap_or_default().iter().any(|r| {
                                    r.resource_name
                                        .as_deref()
                                        .is_some_and(|n| n.contains(&full_key))
                                })
                        })
                        .count();
                }
                n
            }
        };
        assert_eq!(
            puts_in(emu.state.bucket_root.clone()).await,
            1,
            "the PUT was made by a bucket-account principal"
        );
        assert_eq!(
            puts_in(emu.state.lambda_root.clone()).await,
            0,
            "no PUT with lambda-account credentials"
        );
        Ok(())
    })
}

fn whoami_reports_both_identities(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let who = h
            .handle(event(json!({ "action": "whoami" }), "r-who"))
            .await
            .expect("whoami");
        assert_eq!(
            who["execution_identity"]["account"],
            emu.state.lambda_account_id.as_str(),
            "{who}"
        );
        assert!(
            who["execution_identity"]["arn"]
                .as_str()
                .unwrap()
                .contains(":assumed-role/writer-exec/"),
            "{who}"
        );
        assert_eq!(
            who["assumed_identity"]["account"],
            emu.state.bucket_account_id.as_str(),
            "{who}"
        );
        assert!(
            who["assumed_identity"]["arn"]
                .as_str()
                .unwrap()
                .contains(":assumed-role/writer-target/integration-test"),
            "{who}"
        );
        assert_eq!(who["target_role_arn"], emu.state.target_role_arn.as_str());
        Ok(())
    })
}

fn sse_kms(_shared: &Emulator) -> Result<(), Failed> {
    // Its own emulator: the KMS key and the KMS statements of the bucket policy
    // exist only when provisioned with --kms.
    let emu = Emulator::start(&["--kms"]);
    let key_arn = emu
        .state
        .kms_key_arn
        .clone()
        .expect("--kms provisions a key");
    block_on(async {
        let (h, clients) = emu
            .handler_with_clients(&[("SSE_KMS_KEY_ARN", &key_arn)], None, None)
            .await;
        let key = format!("kms/{}", fresh("k"));
        let summary = h
            .handle(event(json!({ "key": key, "body": "secret-ish" }), "r-kms"))
            .await
            .unwrap();
        assert_eq!(summary["failed"], 0, "{summary}");
        let head = emu
            .bucket_root_s3()
            .await
            .head_object()
            .bucket(&emu.state.bucket)
            .key(format!("incoming/{key}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            head.server_side_encryption,
            Some(aws_sdk_s3::types::ServerSideEncryption::AwsKms)
        );
        assert_eq!(head.ssekms_key_id.as_deref(), Some(key_arn.as_str()));

        // A PUT naming another encryption is refused by the bucket policy, even for the
        // target role under its prefix. (ministack does not populate the KMS key-id
        // condition key, so the "other key" deny is asserted by the Terraform tests only.)
        let refused = clients
            .target_s3
            .put_object()
            .bucket(&emu.state.bucket)
            .key(format!("incoming/{key}-aes"))
            .expected_bucket_owner(&emu.state.bucket_account_id)
            .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .expect_err("SSE-S3 must be refused when the bucket expects SSE-KMS");
        assert_eq!(
            aws_sdk_s3::error::ProvideErrorMetadata::code(&refused),
            Some("AccessDenied")
        );
        Ok(())
    })
}

/// The answer to an S3 event: the written entry's status.
async fn s3_status(h: &Handler, event_json: Value) -> String {
    let summary = h
        .handle(event(event_json, "r-s3v"))
        .await
        .expect("S3 handled");
    summary["written"][0]["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn s3_overwrite_then_late_redelivery(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let key = format!("reports/{}/daily.csv", fresh("ow"));
        let (etag1, v1) = put_source(emu, &key, b"v1\n".to_vec(), "text/csv").await;
        let first = s3_event(emu, &key, &etag1, v1.as_deref(), "0055AED6DCD90281E5");
        assert_eq!(s3_status(&h, first.clone()).await, "created");
        let (etag2, v2) = put_source(emu, &key, b"v2, overwritten\n".to_vec(), "text/csv").await;
        let second = s3_event(emu, &key, &etag2, v2.as_deref(), "0055AED6DCD90281F0");
        assert_eq!(s3_status(&h, second.clone()).await, "replaced");
        let dest = destination(emu, &key);
        assert_eq!(get(emu, &dest).await.body, b"v2, overwritten\n");

        // A late redelivery of the first event changes nothing, and says so.
        assert_eq!(s3_status(&h, first).await, "superseded");
        assert_eq!(s3_status(&h, second).await, "already_existed");
        let o = get(emu, &dest).await;
        assert_eq!(o.body, b"v2, overwritten\n", "never rolled back");
        assert_eq!(o.metadata.get("source-etag"), Some(&etag2));
        assert_eq!(versions(emu, &dest).await, 2);
        Ok(())
    })
}

fn s3_versioned_source(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let root = emu.s3_of(&emu.state.lambda_root).await;
        root.put_bucket_versioning()
            .bucket(&emu.state.source_bucket)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .expect("source versioning on");
        let h = handler(emu, &[], None).await;
        let key = format!("versioned/{}.txt", fresh("v"));
        let (etag1, v1) = put_source(emu, &key, b"version one".to_vec(), "text/plain").await;
        let (etag2, v2) = put_source(emu, &key, b"version two".to_vec(), "text/plain").await;
        let (v1, v2) = (v1.expect("a version ID"), v2.expect("a version ID"));
        // The first event arrives after the overwrite: its own version is copied
        // (s3:GetObjectVersion), not whatever is current.
        assert_eq!(
            s3_status(&h, s3_event(emu, &key, &etag1, Some(&v1), "0A")).await,
            "created"
        );
        let dest = destination(emu, &key);
        let o = get(emu, &dest).await;
        assert_eq!(o.body, b"version one");
        assert_eq!(o.metadata.get("source-version-id"), Some(&v1));
        assert_eq!(
            s3_status(&h, s3_event(emu, &key, &etag2, Some(&v2), "0B")).await,
            "replaced"
        );
        assert_eq!(get(emu, &dest).await.body, b"version two");
        Ok(())
    })
}

fn s3_redelivered_large_object_not_uploaded_again(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[("PART_SIZE_MIB", "5")], None).await;
        let key = format!("{}.bin", fresh("big-again"));
        let body = vec![7u8; 11 * 1024 * 1024];
        let (etag, version) = put_source(emu, &key, body, "application/octet-stream").await;
        let notification = s3_event(emu, &key, &etag, version.as_deref(), "0C");
        assert_eq!(s3_status(&h, notification.clone()).await, "created");
        // Remove the source: a redelivery that read it again would now fail.
        emu.s3_of(&emu.state.lambda_root)
            .await
            .delete_object()
            .bucket(&emu.state.source_bucket)
            .key(&key)
            .send()
            .await
            .expect("source deleted");
        assert_eq!(s3_status(&h, notification).await, "already_existed");
        assert_eq!(versions(emu, &destination(emu, &key)).await, 1);
        Ok(())
    })
}

fn colliding_keys_land_apart(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let tag = fresh("pairs");
        let long = format!("{tag}/{}", "l".repeat(1000 - tag.len()));
        let cut_form = destination(emu, &long)
            .strip_prefix(&format!("incoming/s3/{}/", emu.state.source_bucket))
            .unwrap()
            .to_owned();
        let pairs = [
            (format!("{tag}/a//b"), format!("{tag}/a/b")),
            (format!("{tag}/./x"), format!("{tag}/x")),
            (format!("{tag}/dir/"), format!("{tag}/dir")),
            (format!("{tag}/q/.."), format!("{tag}/q/%2E%2E")),
            // (a tab: ministack's policy matching does not match a newline in a key)
            (format!("{tag}/a\tb"), format!("{tag}/a%09b")),
            (long.clone(), cut_form),
        ];
        for (n, (a, b)) in pairs.iter().enumerate() {
            let mut dests = Vec::new();
            for (m, key) in [a, b].into_iter().enumerate() {
                let body = format!("pair {n} member {m}").into_bytes();
                let (etag, version) = put_source(emu, key, body.clone(), "text/plain").await;
                let status =
                    s3_status(&h, s3_event(emu, key, &etag, version.as_deref(), "01")).await;
                assert_eq!(status, "created", "{key:?}");
                let dest = destination(emu, key);
                assert_eq!(get(emu, &dest).await.body, body, "{key:?} at {dest:?}");
                dests.push(dest);
            }
            assert_ne!(dests[0], dests[1], "{a:?} and {b:?} share a key");
        }
        Ok(())
    })
}

/// The error of a failed invocation, and its Lambda error type.
fn failure(result: Result<Value, HandlerError>) -> (String, String) {
    let error = result.expect_err("the invocation fails");
    let message = error.to_string();
    let diagnostic = Diagnostic::from(error);
    (message, diagnostic.error_type)
}

fn caller_keys_cannot_squat_or_forge(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let id = fresh("squat");
        let (message, _) = failure(
            h.handle(event(
                json!({ "key": format!("sqs/writer-queue/{id}"), "body": "squatter" }),
                "r-squat",
            ))
            .await,
        );
        assert!(message.contains("reserved"), "{message}");
        // The real message then lands under its own key.
        let mut sqs = with_queue_ids(sample("sqs.json"), &[&id]);
        sqs["Records"].as_array_mut().unwrap().truncate(1);
        let response = h.handle(event(sqs, "r-real")).await.unwrap();
        assert_eq!(response, json!({ "batchItemFailures": [] }));
        let key = format!("incoming/sqs/writer-queue/{id}");
        assert_eq!(
            get(emu, &key).await.body,
            br#"{"orderId":"o-1001","total":42.5}"#
        );

        let forged = format!("forged/{}", fresh("f"));
        let (message, _) = failure(
            h.handle(event(
                json!({ "key": forged, "body": "x", "metadata": { "source": "s3", "source-id": "b/k" } }),
                "r-forge",
            ))
            .await,
        );
        assert!(message.contains("reserved"), "{message}");
        assert_eq!(versions(emu, &format!("incoming/{forged}")).await, 0);
        Ok(())
    })
}

fn duplicate_keys_refused(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let key = format!("dup/{}", fresh("d"));
        let (message, _) = failure(
            h.handle(event(
                json!({ "objects": [ { "key": key, "body": "first" }, { "key": key, "body": "second" } ] }),
                "r-dup",
            ))
            .await,
        );
        assert!(
            message.contains("another object of this invocation"),
            "{message}"
        );
        let full = format!("incoming/{key}");
        assert_eq!(get(emu, &full).await.body, b"first");

        // Later: the same key with the same bytes is already written; other bytes conflict.
        let again = h
            .handle(event(json!({ "key": key, "body": "first" }), "r-dup-2"))
            .await
            .expect("same record");
        assert_eq!(again["objects"][0]["status"], "already_existed", "{again}");
        let (message, error_type) = failure(
            h.handle(event(json!({ "key": key, "body": "other" }), "r-dup-3"))
                .await,
        );
        assert!(
            message.contains("already holds another record"),
            "{message}"
        );
        assert_eq!(error_type, "RecordsFailed");
        assert_eq!(get(emu, &full).await.body, b"first");
        assert_eq!(versions(emu, &full).await, 1);
        Ok(())
    })
}

fn eventbridge_byte_for_byte(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let id = fresh("big-int");
        let text = format!(
            r#"{{"version":"0","id":"{id}","detail-type":"Order Placed","source":"demo.orders","account":"111111111111","time":"2026-11-22T08:00:00Z","region":"us-east-1","resources":[],"detail":{{"zeta":1,"amount":123456789012345678901,"ratio":1.10,"note":"caf\u00e9 \"quoted\"","emoji":"😀"}}}}"#
        );
        h.handle(raw_event(&text, "r-eb-big"))
            .await
            .expect("handled");
        let o = get(
            emu,
            &format!("incoming/events/demo.orders/Order Placed/{id}"),
        )
        .await;
        assert_eq!(String::from_utf8_lossy(&o.body), text);
        Ok(())
    })
}

fn failed_direct_write_is_an_error(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[("KEY_PREFIX", "elsewhere/")], None).await;
        let (message, error_type) = failure(
            h.handle(event(
                json!({ "objects": [ { "body": "x" } ] }),
                &fresh("deny"),
            ))
            .await,
        );
        assert_eq!(error_type, "AccessDenied", "{message}");
        assert!(
            message.contains(r#""failed":1"#),
            "carries the summary: {message}"
        );

        // The type comes from error codes, not text: a key naming AccessDenied
        // that fails for another reason is no AccessDenied.
        let h = handler(emu, &[], None).await;
        let key = format!("AccessDenied/{}", fresh("a"));
        h.handle(event(json!({ "key": key, "body": "one" }), "r-ad-1"))
            .await
            .expect("written");
        let (message, error_type) = failure(
            h.handle(event(json!({ "key": key, "body": "two" }), "r-ad-2"))
                .await,
        );
        assert_eq!(error_type, "RecordsFailed", "{message}");
        Ok(())
    })
}

/// Lambda Managed Instances run several invocations in one process
/// (`AWS_LAMBDA_MAX_CONCURRENCY`): the runtime interleaves them on one handler.
fn concurrent_invocations_share_one_session(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let (h, clients) = emu
            .handler_with_clients(&[("ROLE_SESSION_NAME", &fresh("concurrent"))], None, None)
            .await;
        let batches: Vec<[String; 2]> = (0..8)
            .map(|n| [fresh(&format!("c{n}-a")), fresh(&format!("c{n}-b"))])
            .collect();
        let invocations = batches.iter().enumerate().map(|(n, [a, b])| {
            let mut batch = with_queue_ids(sample("sqs.json"), &[a, b]);
            batch["Records"][0]["body"] = json!(format!("invocation {n}"));
            h.handle(event(batch, &format!("r-concurrent-{n}")))
        });
        let answers = futures_util::future::join_all(invocations).await;
        for (n, (answer, [a, b])) in answers.into_iter().zip(&batches).enumerate() {
            assert_eq!(
                answer.expect("handled"),
                json!({ "batchItemFailures": [] }),
                "{n}"
            );
            let first = get(emu, &format!("incoming/sqs/writer-queue/{a}")).await;
            assert_eq!(
                first.body,
                format!("invocation {n}").as_bytes(),
                "{n}: its own body"
            );
            let second = get(emu, &format!("incoming/sqs/writer-queue/{b}")).await;
            assert_eq!(second.body, b"hello, binary world\n", "{n}");
        }
        assert_eq!(
            clients
                .assume_role_calls
                .load(std::sync::atomic::Ordering::Relaxed),
            1,
            "eight concurrent invocations, one AssumeRole"
        );
        Ok(())
    })
}

fn key_template_partitions_by_event_time(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let template = "{source}/{source_name}/dt={yyyy}-{MM}-{dd}/{HH}/{id}";
        let h = handler(emu, &[("KEY_TEMPLATE", template)], None).await;
        let (a, b) = (fresh("tpl-a"), fresh("tpl-b"));
        let batch = with_queue_ids(sample("sqs.json"), &[&a, &b]);
        // SentTimestamp 1763800000000 ms: 2025-11-22T08:26:40Z, the same on every delivery.
        for attempt in ["first delivery", "redelivery"] {
            let response = h
                .handle(event(batch.clone(), "r-tpl"))
                .await
                .expect("handled");
            assert_eq!(response, json!({ "batchItemFailures": [] }), "{attempt}");
        }
        for (id, body) in [
            (&a, &br#"{"orderId":"o-1001","total":42.5}"#[..]),
            (&b, &b"hello, binary world\n"[..]),
        ] {
            let key = format!("incoming/sqs/writer-queue/dt=2025-11-22/08/{id}");
            assert_eq!(get(emu, &key).await.body, body, "{key}");
            assert_eq!(
                versions(emu, &key).await,
                1,
                "the redelivery met the same key"
            );
        }

        // A direct invocation has no event time: the template's time tokens fail it,
        // loudly, and nothing is written; a caller-named key needs no template.
        let (message, error_type) = failure(
            h.handle(event(
                json!({ "objects": [ { "body": "x" } ] }),
                &fresh("tpl-direct"),
            ))
            .await,
        );
        assert_eq!(error_type, "RecordsFailed", "{message}");
        assert!(message.contains("no event time"), "{message}");
        let named = format!("named/{}", fresh("tpl"));
        h.handle(event(
            json!({ "key": named, "body": "by name" }),
            "r-tpl-named",
        ))
        .await
        .expect("a caller-named key is written as given");
        assert_eq!(
            get(emu, &format!("incoming/{named}")).await.body,
            b"by name"
        );
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// Stream sources
// ---------------------------------------------------------------------------

/// A stream sample whose records all come from a fresh stream or table (so
/// fresh keys): its name, and the sample naming it in each `eventSourceARN`.
fn fresh_stream_sample(name: &str, arn_of: impl Fn(&str) -> String) -> (String, Value) {
    let source = fresh(name.trim_end_matches(".json"));
    let mut batch = sample(name);
    for record in batch["Records"].as_array_mut().expect("Records") {
        record["eventSourceARN"] = json!(arn_of(&source));
    }
    (source, batch)
}

/// The batch response naming `sequence_numbers`, in that order.
fn batch_item_failures(sequence_numbers: &[&str]) -> Value {
    let items: Vec<Value> = sequence_numbers
        .iter()
        .map(|s| json!({ "itemIdentifier": s }))
        .collect();
    json!({ "batchItemFailures": items })
}

/// The Kinesis sample on a fresh stream: the stream's name and the batch.
fn fresh_kinesis_sample() -> (String, Value) {
    fresh_stream_sample("kinesis.json", |stream| {
        format!("arn:aws:kinesis:us-east-1:111111111111:stream/{stream}")
    })
}

/// The sequence number of record `n` of a Kinesis batch.
fn kinesis_seq(batch: &Value, n: usize) -> &str {
    batch["Records"][n]["kinesis"]["sequenceNumber"]
        .as_str()
        .unwrap()
}

/// The answer to `batch` from a handler (with `overrides`) whose every write
/// is refused: its KEY_PREFIX is outside what the target role may write.
async fn answer_when_refused(emu: &Emulator, overrides: &[(&str, &str)], batch: &Value) -> Value {
    let mut overrides = overrides.to_vec();
    overrides.push(("KEY_PREFIX", "elsewhere/"));
    let h = handler(emu, &overrides, None).await;
    let response = h
        .handle(event(batch.clone(), &fresh("r-refused")))
        .await
        .expect("handled");
    assert!(keys_under(emu, "elsewhere/").await.is_empty());
    response
}

fn kinesis_records_land(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let (stream, batch) = fresh_kinesis_sample();
        let seq = |n: usize| kinesis_seq(&batch, n);
        let key = |n: usize| format!("incoming/kinesis/{stream}/shardId-000000000006/{}", seq(n));
        let response = h
            .handle(event(batch.clone(), "r-kin"))
            .await
            .expect("handled");
        assert_eq!(response, batch_item_failures(&[]));
        let first = get(emu, &key(0)).await;
        assert_eq!(first.body, br#"{"orderId":"o-1001","total":42.5}"#);
        assert_eq!(first.content_type.as_deref(), Some("application/json"));
        assert_eq!(
            first.metadata.get("source").map(String::as_str),
            Some("kinesis")
        );
        assert_eq!(
            first.metadata.get("source-id"),
            batch["Records"][0]["eventID"]
                .as_str()
                .map(str::to_owned)
                .as_ref()
        );
        let second = get(emu, &key(1)).await;
        assert_eq!(second.body, [0, 1, 2, 3, 250, 251, 252, 253, 254, 255]);

        // The same sequence number with other data can't be written over the first:
        // only that record is reported.
        let mut other = batch.clone();
        other["Records"][1]["kinesis"]["data"] = json!("b3RoZXIgYnl0ZXM=");
        let response = h.handle(event(other, "r-kin-2")).await.expect("handled");
        assert_eq!(response, batch_item_failures(&[seq(1)]));
        assert_eq!(
            get(emu, &key(1)).await.body,
            second.body,
            "first write kept"
        );
        assert_eq!(versions(emu, &key(1)).await, 1);

        // Every write refused (the role may not write there): all, in order.
        let response = answer_when_refused(emu, &[], &batch).await;
        assert_eq!(response, batch_item_failures(&[seq(0), seq(1)]));
        Ok(())
    })
}

fn dynamodb_records_land(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let (table, batch) = fresh_stream_sample("dynamodb.json", |table| {
            format!(
                "arn:aws:dynamodb:us-east-1:111111111111:table/{table}/stream/2026-11-22T08:00:00.000"
            )
        });
        let records = batch["Records"].as_array().unwrap().clone();
        let seq = |n: usize| records[n]["dynamodb"]["SequenceNumber"].as_str().unwrap();
        let key = |n: usize| {
            format!(
                "incoming/dynamodb/{table}/{}",
                records[n]["eventID"].as_str().unwrap()
            )
        };
        // The payload exactly as the Runtime API delivers it, so each record's bytes are known.
        let text = batch.to_string();
        let response = h.handle(raw_event(&text, "r-ddb")).await.expect("handled");
        assert_eq!(response, batch_item_failures(&[]));
        for (n, record) in records.iter().enumerate() {
            let o = get(emu, &key(n)).await;
            assert_eq!(
                o.body,
                record.to_string().as_bytes(),
                "record {n} as it arrived"
            );
            assert!(text.contains(&record.to_string()));
            assert_eq!(o.content_type.as_deref(), Some("application/json"));
            assert_eq!(
                o.metadata.get("source").map(String::as_str),
                Some("dynamodb")
            );
            assert_eq!(
                o.metadata.get("source-id").map(String::as_str),
                record["eventID"].as_str()
            );
        }

        // Records 0 and 2 redelivered with other images: exactly those two fail.
        let mut other = batch.clone();
        other["Records"][0]["dynamodb"]["NewImage"]["Message"]["S"] = json!("rewritten");
        other["Records"][2]["eventName"] = json!("INSERT");
        let response = h.handle(event(other, "r-ddb-2")).await.expect("handled");
        assert_eq!(response, batch_item_failures(&[seq(0), seq(2)]));
        assert_eq!(
            get(emu, &key(0)).await.body,
            records[0].to_string().as_bytes()
        );
        Ok(())
    })
}

fn kafka_records_land(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        for file in ["msk.json", "self-managed-kafka.json"] {
            let topic = fresh("topic");
            let mut batch = sample(file);
            let mut expected = Vec::new();
            for records in batch["records"].as_object_mut().unwrap().values_mut() {
                for record in records.as_array_mut().unwrap() {
                    record["topic"] = json!(topic);
                    expected.push((
                        format!(
                            "incoming/kafka/{topic}/{}/{}",
                            record["partition"], record["offset"]
                        ),
                        record["value"].as_str().unwrap().to_owned(),
                    ));
                }
            }
            let summary = h
                .handle(event(batch.clone(), "r-kafka"))
                .await
                .expect("handled");
            assert_eq!(
                summary["written"].as_array().map(Vec::len),
                Some(expected.len()),
                "{file}: {summary}"
            );
            for (key, value) in &expected {
                use base64::Engine as _;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(value)
                    .unwrap();
                let o = get(emu, key).await;
                assert_eq!(o.body, bytes, "{file}: {key}");
                assert_eq!(o.metadata.get("source").map(String::as_str), Some("kafka"));
            }
            if file == "msk.json" {
                let csv = get(emu, &expected[1].0).await;
                assert_eq!(csv.content_type.as_deref(), Some("text/csv"));
            }

            // One record redelivered with another value: the invocation fails (Lambda
            // retries the batch), naming it; the stored object is kept.
            let mut other = batch.clone();
            let first = other["records"]
                .as_object_mut()
                .unwrap()
                .values_mut()
                .next()
                .unwrap();
            first[0]["value"] = json!("b3RoZXIgdmFsdWU=");
            let id = format!("{topic}-{}@{}", first[0]["partition"], first[0]["offset"]);
            let (message, error_type) = failure(h.handle(event(other, "r-kafka-2")).await);
            assert_eq!(error_type, "RecordsFailed", "{message}");
            assert!(
                message.contains(&format!("1 of {} records failed", expected.len())),
                "{message}"
            );
            assert!(message.contains(&id), "{message}");
            assert!(
                message.contains("already holds another record"),
                "{message}"
            );
            assert_eq!(versions(emu, &expected[0].0).await, 1, "{file}");
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// Batched objects and compression (OBJECT_MODE=batch, CONTENT_ENCODING=gzip)
// ---------------------------------------------------------------------------

/// An SQS batch of 10 messages on a fresh queue: JSON, binary (base64
/// attribute) and multi-line text bodies; the queue, the event and the bodies.
fn ten_message_batch() -> (String, Value, Vec<Vec<u8>>) {
    let queue = fresh("batch-queue");
    let template = sample("sqs.json");
    let mut records = Vec::new();
    let mut bodies = Vec::new();
    for n in 0..10u8 {
        let mut record = template["Records"][if n % 3 == 1 { 1 } else { 0 }].clone();
        record["messageId"] = json!(fresh(&format!("m{n}")));
        record["eventSourceARN"] = json!(format!("arn:aws:sqs:us-east-1:111111111111:{queue}"));
        let body: Vec<u8> = match n % 3 {
            0 => format!(r#"{{"n":{n},"big":12345678901234567890,"f":1.50}}"#).into_bytes(),
            1 => vec![0, 255, n, 0x80],
            _ => format!("line {n}\nwith a line break and ünïcode").into_bytes(),
        };
        record["body"] = json!(if n % 3 == 1 {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(&body)
        } else {
            String::from_utf8(body.clone()).unwrap()
        });
        records.push(record);
        bodies.push(body);
    }
    (queue, json!({ "Records": records }), bodies)
}

fn message_ids(batch: &Value) -> Vec<String> {
    batch["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["messageId"].as_str().unwrap().to_owned())
        .collect()
}

#[derive(serde::Deserialize)]
struct Line {
    id: String,
    source: String,
    source_id: String,
    content_type: String,
    event_time: Option<String>,
    body_json: Option<Box<RawValue>>,
    body: Option<String>,
    body_base64: Option<String>,
}

/// Each line's record ID and body bytes, in order.
fn lines(ndjson: &[u8]) -> Vec<(String, Vec<u8>)> {
    assert!(ndjson.ends_with(b"\n"), "every line ends in a newline");
    ndjson[..ndjson.len() - 1]
        .split(|b| *b == b'\n')
        .map(|l| {
            let line: Line = serde_json::from_slice(l).expect("each line is one JSON object");
            assert_eq!(
                (line.source.as_str(), line.source_id.as_str()),
                ("sqs", line.id.as_str())
            );
            assert!(line.event_time.is_some() && !line.content_type.is_empty());
            let body = match (&line.body_json, &line.body, &line.body_base64) {
                (Some(raw), None, None) => raw.get().as_bytes().to_vec(),
                (None, Some(text), None) => text.clone().into_bytes(),
                (None, None, Some(b64)) => {
                    use base64::Engine as _;
                    base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .unwrap()
                }
                _ => panic!("exactly one body field"),
            };
            (line.id, body)
        })
        .collect()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read as _;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

/// Delivers `batch` twice (an identical redelivery); both answer that nothing failed.
async fn deliver_twice(h: &Handler, batch: &Value, request_id: &str) {
    for attempt in ["first delivery", "identical redelivery"] {
        let response = h
            .handle(event(batch.clone(), request_id))
            .await
            .expect("handled");
        assert_eq!(response, json!({ "batchItemFailures": [] }), "{attempt}");
    }
}

/// The one object under `under`: its key ends in `suffix`, and it has one version.
async fn only_object(emu: &Emulator, under: &str, suffix: &str) -> (String, Object) {
    let keys = keys_under(emu, under).await;
    assert_eq!(keys.len(), 1, "one object: {keys:?}");
    assert!(keys[0].ends_with(suffix), "{}", keys[0]);
    assert_eq!(versions(emu, &keys[0]).await, 1, "never a second copy");
    let object = get(emu, &keys[0]).await;
    (keys[0].clone(), object)
}

/// A fresh 10-message batch delivered twice to a handler with `overrides`:
/// the queue, the batch, its (ID, body) pairs in order, and the one batch object.
async fn ten_messages_delivered_twice(
    emu: &Emulator,
    overrides: &[(&str, &str)],
    suffix: &str,
) -> (String, Value, Vec<(String, Vec<u8>)>, (String, Object)) {
    let h = handler(emu, overrides, None).await;
    let (queue, batch, bodies) = ten_message_batch();
    deliver_twice(&h, &batch, &fresh("r-batch")).await;
    let under = format!("incoming/batch/sqs/{queue}/");
    let object = only_object(emu, &under, suffix).await;
    let expected = message_ids(&batch).into_iter().zip(bodies).collect();
    (queue, batch, expected, object)
}

/// The CRC32 checksum S3 stored for `key` (base64, as S3 gives it).
async fn stored_crc32(emu: &Emulator, key: &str) -> Option<String> {
    emu.bucket_root_s3()
        .await
        .head_object()
        .bucket(&emu.state.bucket)
        .key(key)
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .expect("HeadObject")
        .checksum_crc32
}

fn crc32_base64(bytes: &[u8]) -> Option<String> {
    use base64::Engine as _;
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    Some(base64::engine::general_purpose::STANDARD.encode(crc.sum().to_be_bytes()))
}

const BATCH: (&str, &str) = ("OBJECT_MODE", "batch");
const GZIP: (&str, &str) = ("CONTENT_ENCODING", "gzip");

fn sqs_batch_is_one_object(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let (queue, _, expected, (_, object)) =
            ten_messages_delivered_twice(emu, &[BATCH], ".ndjson").await;
        assert_eq!(object.content_type.as_deref(), Some("application/x-ndjson"));
        assert_eq!(object.content_encoding, None);
        assert_eq!(
            object.metadata.get("source-records").map(String::as_str),
            Some("10")
        );
        assert_eq!(lines(&object.body), expected, "in order, byte for byte");
        assert!(
            String::from_utf8_lossy(&object.body)
                .contains(r#""body_json":{"n":0,"big":12345678901234567890,"f":1.50}"#),
            "a JSON body is embedded as it arrived"
        );
        assert!(
            keys_under(emu, &format!("incoming/sqs/{queue}/"))
                .await
                .is_empty(),
            "no per-record objects in batch mode"
        );
        Ok(())
    })
}

fn sqs_batch_gzip(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let (queue, batch, expected, (key, object)) =
            ten_messages_delivered_twice(emu, &[BATCH, GZIP], ".ndjson.gz").await;
        assert_eq!(object.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(&object.body[..2], &[0x1f, 0x8b], "stored compressed");
        assert_eq!(lines(&gunzip(&object.body)), expected);
        assert_eq!(
            stored_crc32(emu, &key).await,
            crc32_base64(&object.body),
            "the checksum covers the stored, compressed bytes"
        );

        // Record mode with gzip: one object per message, `.gz` appended, the
        // body compressed; a redelivery is already present.
        let h = handler(emu, &[GZIP], None).await;
        deliver_twice(&h, &batch, "r-b3").await;
        for (id, body) in &expected {
            let key = format!("incoming/sqs/{queue}/{id}.gz");
            let object = get(emu, &key).await;
            assert_eq!(object.content_encoding.as_deref(), Some("gzip"));
            assert_eq!(&gunzip(&object.body), body);
            assert_eq!(versions(emu, &key).await, 1);
        }
        Ok(())
    })
}

fn sqs_batch_under_a_key_template(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let template = (
            "KEY_TEMPLATE",
            "{source}/{source_name}/dt={yyyy}-{MM}-{dd}/{HH}/{id}",
        );
        let h = handler(emu, &[BATCH, GZIP, template], None).await;
        // Nine messages sent at 08:26 (the samples' SentTimestamp), the last an hour later.
        let (queue, mut batch, bodies) = ten_message_batch();
        batch["Records"][9]["attributes"]["SentTimestamp"] = json!("1763803600000");
        deliver_twice(&h, &batch, &fresh("r-tpl-batch")).await;
        let expected: Vec<(String, Vec<u8>)> =
            message_ids(&batch).into_iter().zip(bodies).collect();
        let (key, first) = only_object(
            emu,
            &format!("incoming/sqs/{queue}/dt=2025-11-22/08/"),
            ".ndjson.gz",
        )
        .await;
        let (_, last) = only_object(
            emu,
            &format!("incoming/sqs/{queue}/dt=2025-11-22/09/"),
            ".ndjson.gz",
        )
        .await;
        assert_eq!(lines(&gunzip(&first.body)), expected[..9], "{key}");
        assert_eq!(lines(&gunzip(&last.body)), expected[9..]);
        assert!(
            keys_under(emu, &format!("incoming/batch/sqs/{queue}/"))
                .await
                .is_empty()
        );
        Ok(())
    })
}

fn sqs_batch_failures(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        // The role may not write there: the one PUT fails, so every message does.
        let (queue, batch, bodies) = ten_message_batch();
        let ids = message_ids(&batch);
        let response = answer_when_refused(emu, &[BATCH], &batch).await;
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        assert_eq!(response, batch_item_failures(&refs), "all 10, in order");

        // A malformed message (invalid base64) fails alone and is left out.
        let mut with_bad = batch.clone();
        with_bad["Records"][4]["body"] = json!("%%% not base64");
        let h = handler(emu, &[BATCH], None).await;
        let response = h.handle(event(with_bad, "r-b5")).await.expect("handled");
        assert_eq!(response, batch_item_failures(&[&ids[4]]));
        let keys = keys_under(emu, &format!("incoming/batch/sqs/{queue}/")).await;
        assert_eq!(keys.len(), 1, "{keys:?}");
        let expected: Vec<(String, Vec<u8>)> = ids
            .iter()
            .cloned()
            .zip(bodies)
            .enumerate()
            .filter(|(n, _)| *n != 4)
            .map(|(_, line)| line)
            .collect();
        assert_eq!(lines(&get(emu, &keys[0]).await.body), expected);
        Ok(())
    })
}

fn kinesis_batch(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let (stream, batch) = fresh_kinesis_sample();
        let seq = |n: usize| kinesis_seq(&batch, n);
        let h = handler(emu, &[BATCH, GZIP], None).await;
        deliver_twice(&h, &batch, "r-kb").await;
        let under = format!("incoming/batch/kinesis/{stream}/");
        let (_, object) = only_object(emu, &under, ".ndjson.gz").await;
        assert_eq!(object.content_encoding.as_deref(), Some("gzip"));
        let body = gunzip(&object.body);
        let lines: Vec<Value> = body
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        for (n, line) in lines.iter().enumerate() {
            assert_eq!(line["id"], seq(n), "reported under the sequence number");
            assert_eq!(line["source_id"], batch["Records"][n]["eventID"]);
        }
        assert_eq!(
            lines[0]["body_json"],
            json!({"orderId": "o-1001", "total": 42.5})
        );
        assert_eq!(lines[1]["body_base64"], "AAECA/r7/P3+/w==");

        let response = answer_when_refused(emu, &[BATCH], &batch).await;
        assert_eq!(response, batch_item_failures(&[seq(0), seq(1)]));
        Ok(())
    })
}
