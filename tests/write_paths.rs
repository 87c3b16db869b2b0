//! The write and answer paths without an emulator: S3 answers come from the
//! SDK's own test tooling (`aws-smithy-mocks` rules, `NeverClient`), so each
//! case runs in milliseconds and pins exactly one S3 behaviour.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::operation::put_object::PutObjectOutput;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use cross_account_s3_writer::config::Config;
use cross_account_s3_writer::credentials::Clients;
use cross_account_s3_writer::handler::{Handler, HandlerError};
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:111111111111:writer-queue";

fn config() -> Config {
    config_with(&[])
}

/// The test configuration with `extra` variables set.
fn config_with(extra: &[(&'static str, &'static str)]) -> Config {
    let mut env: HashMap<&str, &str> = [
        (
            "TARGET_ROLE_ARN",
            "arn:aws:iam::222222222222:role/writer-target",
        ),
        ("TARGET_BUCKET", "writer-target-222222222222"),
        ("AWS_REGION", "us-east-1"),
    ]
    .into();
    env.extend(extra.iter().copied());
    Config::from_lookup(|n| env.get(n).map(|v| v.to_string())).expect("valid configuration")
}

/// A handler whose target S3 answers by `target` rules and source S3 by `source` rules.
fn handler(target: &[&Rule], source: &[&Rule]) -> Handler {
    let target_s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, target, |c| c
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled()));
    let source_s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, source);
    handler_with(target_s3, source_s3)
}

fn handler_with(target_s3: aws_sdk_s3::Client, source_s3: aws_sdk_s3::Client) -> Handler {
    handler_configured(config(), target_s3, source_s3)
}

fn handler_configured(
    config: Config,
    target_s3: aws_sdk_s3::Client,
    source_s3: aws_sdk_s3::Client,
) -> Handler {
    let sts = mock_client!(aws_sdk_sts, &[] as &[&Rule]);
    let clients = Clients {
        target_s3,
        source_s3,
        source_sts: sts.clone(),
        target_sts: sts,
        assume_role_calls: Arc::new(AtomicU64::new(0)),
    };
    Handler::new(config, clients)
}

fn event(payload: Value, deadline_in: Duration) -> LambdaEvent<Box<RawValue>> {
    let mut context = Context::default();
    context.request_id = "req-1".into();
    context.invoked_function_arn =
        "arn:aws:lambda:us-east-1:111111111111:function:cross-account-s3-writer".into();
    context.deadline = (SystemTime::now() + deadline_in)
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    LambdaEvent::new(serde_json::value::to_raw_value(&payload).unwrap(), context)
}

async fn invoke(h: &Handler, payload: Value) -> Result<Value, HandlerError> {
    h.handle(event(payload, Duration::from_secs(60))).await
}

fn sqs(messages: &[(&str, &str)]) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, body)| {
            json!({
                "messageId": id, "receiptHandle": "r", "body": body, "attributes": {},
                "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": QUEUE_ARN, "awsRegion": "us-east-1"
            })
        })
        .collect();
    json!({ "Records": records })
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn put_ok() -> Rule {
    mock!(aws_sdk_s3::Client::put_object)
        .then_output(|| PutObjectOutput::builder().e_tag("\"new\"").build())
}

fn put_status(status: u16) -> Rule {
    mock!(aws_sdk_s3::Client::put_object)
        .sequence()
        .http_status(status, None)
        .repeatedly()
        .build()
}

fn head_with(metadata: &[(&str, &str)]) -> Rule {
    let metadata: HashMap<String, String> = metadata
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    mock!(aws_sdk_s3::Client::head_object).then_output(move || {
        HeadObjectOutput::builder()
            .e_tag("\"stored\"")
            .set_metadata(Some(metadata.clone()))
            .build()
    })
}

fn failed_ids(response: &Value) -> Vec<&str> {
    response["batchItemFailures"]
        .as_array()
        .expect("an SQS batch response")
        .iter()
        .filter_map(|f| f["itemIdentifier"].as_str())
        .collect()
}

fn error_type(error: HandlerError) -> String {
    Diagnostic::from(error).error_type
}

#[tokio::test]
async fn a_412_for_the_same_record_is_success() {
    let head = head_with(&[
        ("source", "sqs"),
        ("source-id", "m-1"),
        ("content-sha256", &sha256_hex(b"hello")),
    ]);
    let put = put_status(412);
    let h = handler(&[&put, &head], &[]);
    let response = invoke(&h, sqs(&[("m-1", "hello")])).await.unwrap();
    assert_eq!(failed_ids(&response), Vec::<&str>::new());
    assert_eq!((put.num_calls(), head.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_412_for_another_record_fails_naming_both() {
    let head = head_with(&[
        ("source", "direct"),
        ("source-id", "someone/0"),
        ("content-sha256", &sha256_hex(b"other bytes")),
    ]);
    let put = put_status(412);
    let h = handler(&[&put, &head], &[]);
    let response = invoke(&h, sqs(&[("m-1", "hello")])).await.unwrap();
    assert_eq!(failed_ids(&response), vec!["m-1"]);

    let error = invoke(&h, json!({ "key": "AccessDenied/k", "body": "hello" }))
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("already holds another record"),
        "{message}"
    );
    assert!(
        message.contains("source-id=someone/0") && message.contains("source-id=AccessDenied/k"),
        "names both records: {message}"
    );
    assert_eq!(
        error_type(error),
        "RecordsFailed",
        "classified by code, not by the key's text"
    );
}

#[tokio::test]
async fn a_409_conflict_is_retried_until_created() {
    let put = mock!(aws_sdk_s3::Client::put_object)
        .sequence()
        .http_status(409, None)
        .output(|| PutObjectOutput::builder().e_tag("\"new\"").build())
        .build();
    let head = mock!(aws_sdk_s3::Client::head_object)
        .sequence()
        .http_status(404, None)
        .build();
    let h = handler(&[&put, &head], &[]);
    let summary = invoke(&h, json!({ "key": "k", "body": "x" }))
        .await
        .unwrap();
    assert_eq!(summary["objects"][0]["status"], "created", "{summary}");
    assert_eq!(put.num_calls(), 2);
}

#[tokio::test]
async fn a_503_fails_the_message_and_its_redelivery_lands() {
    let put = mock!(aws_sdk_s3::Client::put_object)
        .sequence()
        .http_status(
            503,
            Some(
                "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>"
                    .into(),
            ),
        )
        .output(|| PutObjectOutput::builder().e_tag("\"new\"").build())
        .repeatedly()
        .build();
    let h = handler(&[&put], &[]);
    let batch = sqs(&[("m-1", "one"), ("m-2", "two")]);
    let first = invoke(&h, batch.clone()).await.unwrap();
    assert_eq!(failed_ids(&first).len(), 1, "{first}");
    let redelivered = sqs(&[(failed_ids(&first)[0], "redelivered")]);
    let second = invoke(&h, redelivered).await.unwrap();
    assert_eq!(failed_ids(&second), Vec::<&str>::new());
    assert_eq!(put.num_calls(), 3);
}

#[tokio::test]
async fn access_denied_is_typed_by_its_code() {
    let put = mock!(aws_sdk_s3::Client::put_object)
        .sequence()
        .http_status(
            403,
            Some("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>".into()),
        )
        .build();
    let h = handler(&[&put], &[]);
    let error = invoke(&h, json!({ "body": "x" })).await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("KEY_PREFIX must match"), "{message}");
    assert_eq!(error_type(error), "AccessDenied");
}

#[tokio::test]
async fn a_write_that_never_answers_times_out_before_the_deadline() {
    let never = aws_smithy_http_client::test_util::NeverClient::new();
    let target = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .with_test_defaults_v2()
            .http_client(never.clone())
            .build(),
    );
    let source = mock_client!(aws_sdk_s3, &[] as &[&Rule]);
    let h = handler_with(target, source);
    let started = std::time::Instant::now();
    let response = h
        .handle(event(sqs(&[("m-1", "x")]), Duration::from_millis(1600)))
        .await
        .unwrap();
    assert_eq!(failed_ids(&response), vec!["m-1"]);
    assert!(
        started.elapsed() < Duration::from_millis(1600),
        "answered before the deadline"
    );
    assert_eq!(never.num_calls(), 1);
}

#[tokio::test]
async fn near_the_deadline_nothing_starts_and_everything_fails() {
    let put = put_ok();
    let h = handler(&[&put], &[]);
    let response = h
        .handle(event(
            sqs(&[("m-1", "a"), ("m-2", "b")]),
            Duration::from_millis(500),
        ))
        .await
        .unwrap();
    assert_eq!(failed_ids(&response), vec!["m-1", "m-2"]);
    assert_eq!(put.num_calls(), 0);
}

#[tokio::test]
async fn write_failures_and_decode_failures_keep_their_order() {
    let put = mock!(aws_sdk_s3::Client::put_object)
        .match_requests(|r| r.key().is_some_and(|k| k.ends_with("m-2")))
        .sequence()
        .http_status(500, None)
        .build();
    let ok = put_ok();
    let h = handler(&[&put, &ok], &[]);
    let mut batch = sqs(&[("m-1", "a"), ("m-2", "b"), ("m-3", "c"), ("m-4", "d")]);
    batch["Records"][2]["messageAttributes"] =
        json!({ "content-encoding": { "stringValue": "base64", "dataType": "String" } });
    batch["Records"][2]["body"] = json!("%%% not base64");
    let response = invoke(&h, batch).await.unwrap();
    assert_eq!(failed_ids(&response), vec!["m-2", "m-3"]);
}

#[tokio::test]
async fn a_failure_without_a_message_id_fails_the_whole_batch() {
    let put = put_ok();
    let h = handler(&[&put], &[]);
    let mut batch = sqs(&[("m-1", "a"), ("m-2", "b")]);
    batch["Records"][1]
        .as_object_mut()
        .unwrap()
        .remove("messageId");
    let error = invoke(&h, batch).await.unwrap_err();
    assert!(error.to_string().contains("without a messageId"), "{error}");
}

fn s3_event(sequencer: &str) -> Value {
    json!({ "Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-22T08:02:00.000Z", "eventName": "ObjectCreated:Put",
        "userIdentity": { "principalId": "AWS:X" }, "requestParameters": { "sourceIPAddress": "203.0.113.10" },
        "responseElements": {},
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": { "name": "src", "arn": "arn:aws:s3:::src" },
            "object": { "key": "a.csv", "size": 3, "eTag": "abc", "sequencer": sequencer }
        }
    }]})
}

#[tokio::test]
async fn an_older_s3_event_changes_nothing_and_reads_nothing() {
    let head = head_with(&[
        ("source", "s3"),
        ("source-id", "src/a.csv"),
        ("source-sequencer", "0055AED6DCD90281F0"),
    ]);
    let get =
        mock!(aws_sdk_s3::Client::get_object).then_output(|| GetObjectOutput::builder().build());
    let put = put_ok();
    let h = handler(&[&head, &put], &[&get]);
    let older = invoke(&h, s3_event("55AED6DCD90281E5")).await.unwrap();
    assert_eq!(older["written"][0]["status"], "superseded", "{older}");
    let same = invoke(&h, s3_event("0055AED6DCD90281F0")).await.unwrap();
    assert_eq!(same["written"][0]["status"], "already_existed", "{same}");
    assert_eq!((get.num_calls(), put.num_calls()), (0, 0));
}

#[tokio::test]
async fn a_newer_s3_event_replaces_the_copy_on_its_etag() {
    let head = head_with(&[
        ("source", "s3"),
        ("source-id", "src/a.csv"),
        ("source-sequencer", "01"),
    ]);
    let get = mock!(aws_sdk_s3::Client::get_object)
        .match_requests(|r| r.if_match() == Some("\"abc\""))
        .then_output(|| {
            GetObjectOutput::builder()
                .e_tag("\"abc\"")
                .content_length(3)
                .body(aws_sdk_s3::primitives::ByteStream::from_static(b"new"))
                .build()
        });
    let put = mock!(aws_sdk_s3::Client::put_object)
        .match_requests(|r| {
            r.if_match() == Some("\"stored\"")
                && r.if_none_match().is_none()
                && r.metadata()
                    .and_then(|m| m.get("source-sequencer"))
                    .map(String::as_str)
                    == Some("02")
        })
        .then_output(|| PutObjectOutput::builder().e_tag("\"new\"").build());
    let h = handler(&[&head, &put], &[&get]);
    let newer = invoke(&h, s3_event("02")).await.unwrap();
    assert_eq!(newer["written"][0]["status"], "replaced", "{newer}");
    assert_eq!((get.num_calls(), put.num_calls()), (1, 1));
}

/// A handler configured with `extra` whose target S3 answers by `target` rules.
fn handler_for(extra: &[(&'static str, &'static str)], target: &[&Rule]) -> Handler {
    let target_s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, target, |c| c
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled()));
    let source_s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, &[] as &[&Rule]);
    handler_configured(config_with(extra), target_s3, source_s3)
}

#[tokio::test]
async fn gzip_puts_say_so_and_a_412_is_checked_against_the_stored_bytes() {
    // Only a gzip PUT under the `.gz` key matches; it answers 412.
    let put = mock!(aws_sdk_s3::Client::put_object)
        .match_requests(|r| {
            r.content_encoding() == Some("gzip")
                && r.key() == Some("incoming/sqs/writer-queue/m-1.gz")
        })
        .sequence()
        .http_status(412, None)
        .repeatedly()
        .build();
    let gz = cross_account_s3_writer::batch::gzip(b"hello");
    let same = head_with(&[
        ("source", "sqs"),
        ("source-id", "m-1"),
        ("content-sha256", &sha256_hex(&gz)),
    ]);
    let gzip = [("CONTENT_ENCODING", "gzip")];
    let h = handler_for(&gzip, &[&put, &same]);
    let response = invoke(&h, sqs(&[("m-1", "hello")])).await.unwrap();
    assert_eq!(failed_ids(&response), Vec::<&str>::new());
    assert_eq!((put.num_calls(), same.num_calls()), (1, 1));

    // The digest of the uncompressed bytes is not what is stored: a conflict.
    let uncompressed = head_with(&[
        ("source", "sqs"),
        ("source-id", "m-1"),
        ("content-sha256", &sha256_hex(b"hello")),
    ]);
    let h = handler_for(&gzip, &[&put, &uncompressed]);
    let response = invoke(&h, sqs(&[("m-1", "hello")])).await.unwrap();
    assert_eq!(failed_ids(&response), vec!["m-1"]);
}

#[tokio::test]
async fn a_batch_object_is_one_put_and_another_object_at_its_key_fails_every_record() {
    let batch_put = |r: &aws_sdk_s3::operation::put_object::PutObjectInput| {
        r.key().is_some_and(|k| {
            k.starts_with("incoming/batch/sqs/writer-queue/") && k.ends_with(".ndjson")
        }) && r.content_type() == Some("application/x-ndjson")
    };
    let put = mock!(aws_sdk_s3::Client::put_object)
        .match_requests(batch_put)
        .then_output(|| PutObjectOutput::builder().e_tag("\"new\"").build());
    let h = handler_for(&[("OBJECT_MODE", "batch")], &[&put]);
    let messages = [("m-1", "a"), ("m-2", "b"), ("m-3", "c")];
    let response = invoke(&h, sqs(&messages)).await.unwrap();
    assert_eq!(failed_ids(&response), Vec::<&str>::new());
    assert_eq!(put.num_calls(), 1, "one PUT for the batch");

    // A 412 at the batch's key, holding something else: every record fails.
    let taken = mock!(aws_sdk_s3::Client::put_object)
        .match_requests(batch_put)
        .sequence()
        .http_status(412, None)
        .repeatedly()
        .build();
    let other = head_with(&[
        ("source", "sqs"),
        ("source-id", "another batch"),
        ("content-sha256", &sha256_hex(b"other")),
    ]);
    let h = handler_for(&[("OBJECT_MODE", "batch")], &[&taken, &other]);
    let response = invoke(&h, sqs(&messages)).await.unwrap();
    assert_eq!(failed_ids(&response), vec!["m-1", "m-2", "m-3"]);
}

/// An SQS batch from a FIFO queue: `(id, message group, body)` per message.
fn fifo(queue_arn: &str, messages: &[(&str, &str, &str)]) -> Value {
    let plain: Vec<(&str, &str)> = messages.iter().map(|(id, _, body)| (*id, *body)).collect();
    let mut event = sqs(&plain);
    for (record, (_, group, _)) in event["Records"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .zip(messages)
    {
        record["eventSourceARN"] = json!(queue_arn);
        record["attributes"] = json!({ "MessageGroupId": group, "SentTimestamp": "1700000000000" });
    }
    event
}

const FIFO_QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:111111111111:writer-queue.fifo";

/// a-1, b-1 fine; a-2's PUT fails; a-3 after it; b-2 fine; c-1 malformed; c-2 after it.
fn mixed_groups(queue_arn: &str) -> Value {
    let mut event = fifo(
        queue_arn,
        &[
            ("a-1", "a", "1"),
            ("b-1", "b", "1"),
            ("a-2", "a", "2"),
            ("a-3", "a", "3"),
            ("b-2", "b", "2"),
            ("c-1", "c", "1"),
            ("c-2", "c", "2"),
        ],
    );
    event["Records"][5]["body"] = json!("");
    event
}

/// PUTs of the message whose key ends in `failing` fail with a 500; others succeed.
/// Returns the rules and the keys PUT successfully.
fn puts_failing(failing: &'static str) -> (Rule, Rule, Arc<std::sync::Mutex<Vec<String>>>) {
    let written = Arc::new(std::sync::Mutex::new(Vec::new()));
    let fail = mock!(aws_sdk_s3::Client::put_object)
        .match_requests(move |r| r.key().is_some_and(|k| k.ends_with(failing)))
        .sequence()
        .http_status(500, None)
        .repeatedly()
        .build();
    let log = written.clone();
    let ok = mock!(aws_sdk_s3::Client::put_object)
        .match_requests(move |r| {
            let key = r.key().unwrap_or_default();
            let last = key.rsplit('/').next().unwrap_or_default().to_owned();
            log.lock().unwrap().push(last);
            true
        })
        .then_output(|| PutObjectOutput::builder().e_tag("\"new\"").build());
    (fail, ok, written)
}

#[tokio::test]
async fn in_a_fifo_group_nothing_after_a_failure_is_written_and_other_groups_go_on() {
    let (fail, ok, written) = puts_failing("a-2");
    let h = handler(&[&fail, &ok], &[]);
    let response = invoke(&h, mixed_groups(FIFO_QUEUE_ARN)).await.unwrap();
    assert_eq!(failed_ids(&response), vec!["a-2", "a-3", "c-1", "c-2"]);
    let mut written = written.lock().unwrap().clone();
    written.sort();
    assert_eq!(written, ["a-1", "b-1", "b-2"], "a-3 and c-2 were never PUT");
    assert_eq!(fail.num_calls(), 1);
}

#[tokio::test]
async fn a_standard_queue_with_message_groups_keeps_no_order() {
    // Fair queues give standard-queue messages a group too; they promise no
    // order, so a later message is written as before.
    let (fail, ok, written) = puts_failing("a-2");
    let h = handler(&[&fail, &ok], &[]);
    let response = invoke(&h, mixed_groups(QUEUE_ARN)).await.unwrap();
    assert_eq!(failed_ids(&response), vec!["a-2", "c-1"]);
    let mut written = written.lock().unwrap().clone();
    written.sort();
    assert_eq!(written, ["a-1", "a-3", "b-1", "b-2", "c-2"]);
}

#[tokio::test]
async fn in_batch_mode_a_fifo_group_after_a_malformed_message_is_not_in_the_batch() {
    let bodies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = bodies.clone();
    let put = mock!(aws_sdk_s3::Client::put_object)
        .match_requests(move |r| {
            let body = r.body().bytes().unwrap_or_default();
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(body).into_owned());
            true
        })
        .then_output(|| PutObjectOutput::builder().e_tag("\"new\"").build());
    let h = handler_for(&[("OBJECT_MODE", "batch")], &[&put]);
    let mut event = fifo(
        FIFO_QUEUE_ARN,
        &[
            ("a-1", "a", "one"),
            ("b-1", "b", "two"),
            ("a-2", "a", "three"),
            ("a-3", "a", "four"),
        ],
    );
    event["Records"][2]["body"] = json!("");
    let response = invoke(&h, event).await.unwrap();
    assert_eq!(failed_ids(&response), vec!["a-2", "a-3"]);
    let bodies = bodies.lock().unwrap();
    assert_eq!(bodies.len(), 1, "one batch object");
    let lines: Vec<&str> = bodies[0].lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines.iter().all(|l| !l.contains("four")),
        "a-3 is not in the batch: {lines:?}"
    );
}

/// An S3 Batch Operations invocation (schema 2.0) with one task for `src/<key>`.
fn batch_operations(key: &str, version: Option<&str>) -> Value {
    json!({
        "invocationSchemaVersion": "2.0",
        "invocationId": "inv-1",
        "job": { "id": "job-1", "userArguments": {} },
        "tasks": [{ "taskId": "task-1", "s3Key": key, "s3VersionId": version, "s3Bucket": "src" }]
    })
}

/// The one task's result code and string.
fn task_result(answer: &Value) -> (String, String) {
    assert_eq!(answer["invocationSchemaVersion"], "2.0", "{answer}");
    assert_eq!(answer["invocationId"], "inv-1", "{answer}");
    assert_eq!(answer["treatMissingKeysAs"], "PermanentFailure", "{answer}");
    let result = &answer["results"][0];
    assert_eq!(result["taskId"], "task-1", "{answer}");
    (
        result["resultCode"].as_str().unwrap_or_default().to_owned(),
        result["resultString"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// An S3 error document with this code.
fn error_body(code: &str) -> Option<String> {
    Some(format!(
        "<Error><Code>{code}</Code><Message>m</Message></Error>"
    ))
}

/// Every PUT answered with this status and error code.
fn put_refused(status: u16, code: &'static str) -> Rule {
    mock!(aws_sdk_s3::Client::put_object)
        .sequence()
        .http_status(status, error_body(code))
        .repeatedly()
        .build()
}

fn head_missing() -> Rule {
    mock!(aws_sdk_s3::Client::head_object)
        .sequence()
        .http_status(404, None)
        .repeatedly()
        .build()
}

fn source_object(body: &'static [u8]) -> Rule {
    mock!(aws_sdk_s3::Client::get_object).then_output(move || {
        GetObjectOutput::builder()
            .e_tag("\"src-etag\"")
            .content_length(body.len() as i64)
            .body(aws_sdk_s3::primitives::ByteStream::from_static(body))
            .build()
    })
}

#[tokio::test]
async fn a_backfill_task_over_an_existing_copy_writes_nothing_and_succeeds() {
    // The key holds a copy a notification wrote (of another version, with a sequencer).
    let head = head_with(&[
        ("source", "s3"),
        ("source-id", "src/a.csv"),
        ("source-sequencer", "0055AED6DCD90281F0"),
        ("source-version-id", "v2"),
    ]);
    let get = source_object(b"old");
    let put = put_ok();
    let h = handler(&[&head, &put], &[&get]);
    let answer = invoke(&h, batch_operations("a.csv", Some("v1")))
        .await
        .expect("the invocation succeeds");
    let (code, text) = task_result(&answer);
    assert_eq!(code, "Succeeded", "{answer}");
    assert!(text.starts_with("superseded "), "{text}");
    let same = invoke(&h, batch_operations("a.csv", Some("v2")))
        .await
        .unwrap();
    assert!(
        task_result(&same).1.starts_with("already_existed "),
        "{same}"
    );
    assert_eq!(
        (get.num_calls(), put.num_calls()),
        (0, 0),
        "nothing read or written"
    );
}

#[tokio::test]
async fn a_backfill_task_fills_a_gap_create_only_under_the_notification_key_and_identity() {
    let head = head_missing();
    let get = mock!(aws_sdk_s3::Client::get_object)
        .match_requests(|r| {
            r.bucket() == Some("src")
                && r.key() == Some("dir/a b+c.csv")
                && r.version_id() == Some("v1")
                && r.expected_bucket_owner() == Some("111111111111")
        })
        .then_output(|| {
            GetObjectOutput::builder()
                .content_length(3)
                .body(aws_sdk_s3::primitives::ByteStream::from_static(b"abc"))
                .build()
        });
    let put = mock!(aws_sdk_s3::Client::put_object)
        .match_requests(|r| {
            let meta = |name: &str| r.metadata().and_then(|m| m.get(name)).map(String::as_str);
            r.key() == Some("incoming/s3/src/dir/a b+c.csv")
                && r.if_none_match() == Some("*")
                && meta("source") == Some("s3")
                && meta("source-id") == Some("src/dir/a b+c.csv")
                && meta("source-sequencer").is_none()
        })
        .then_output(|| PutObjectOutput::builder().e_tag("\"new\"").build());
    let h = handler(&[&head, &put], &[&get]);
    // The key arrives URL-encoded; `+` is a plus.
    let answer = invoke(&h, batch_operations("dir/a%20b+c.csv", Some("v1")))
        .await
        .unwrap();
    assert_eq!(task_result(&answer).0, "Succeeded", "{answer}");
    assert_eq!((get.num_calls(), put.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_throttled_backfill_write_is_a_temporary_failure() {
    let head = head_missing();
    let get = source_object(b"abc");
    let put = put_refused(503, "SlowDown");
    let h = handler(&[&head, &put], &[&get]);
    let answer = invoke(&h, batch_operations("a.csv", None))
        .await
        .expect("a failed task is a result, not an error");
    let (code, text) = task_result(&answer);
    assert_eq!(code, "TemporaryFailure", "{answer}");
    assert!(text.contains("SlowDown"), "{text}");
}

#[tokio::test]
async fn a_refused_backfill_is_a_permanent_failure_with_its_reason() {
    // The source read refused: a bucket of another account (expected owner) or no read grant.
    let head = head_missing();
    let get = mock!(aws_sdk_s3::Client::get_object)
        .sequence()
        .http_status(403, error_body("AccessDenied"))
        .repeatedly()
        .build();
    let put = put_ok();
    let h = handler(&[&head, &put], &[&get]);
    let answer = invoke(&h, batch_operations("a.csv", None)).await.unwrap();
    let (code, text) = task_result(&answer);
    assert_eq!(code, "PermanentFailure", "{answer}");
    assert!(
        text.contains("s3://src/a.csv") && text.contains("AccessDenied"),
        "{text}"
    );
    assert_eq!(put.num_calls(), 0);

    // The write refused.
    let put = put_refused(403, "AccessDenied");
    let get = source_object(b"abc");
    let h = handler(&[&head, &put], &[&get]);
    let answer = invoke(&h, batch_operations("a.csv", None)).await.unwrap();
    assert_eq!(task_result(&answer).0, "PermanentFailure", "{answer}");
}

#[tokio::test]
async fn malformed_backfill_tasks_fail_permanently_and_touch_nothing() {
    let head = head_missing();
    let get = source_object(b"abc");
    let put = put_ok();
    let h = handler(&[&head, &put], &[&get]);
    for key in ["..", "a/%2E%2E/b", "%2e", "%FF"] {
        let answer = invoke(&h, batch_operations(key, None)).await.unwrap();
        assert_eq!(
            task_result(&answer).0,
            "PermanentFailure",
            "{key}: {answer}"
        );
    }
    let mut one_point_oh = batch_operations("a.csv", None);
    one_point_oh["invocationSchemaVersion"] = json!("1.0");
    let answer = invoke(&h, one_point_oh).await.unwrap();
    assert_eq!(
        answer["results"][0]["resultCode"], "PermanentFailure",
        "{answer}"
    );
    assert!(
        answer["results"][0]["resultString"]
            .as_str()
            .is_some_and(|s| s.contains("s3BucketArn")),
        "{answer}"
    );
    assert_eq!(
        (head.num_calls(), get.num_calls(), put.num_calls()),
        (0, 0, 0)
    );
}
