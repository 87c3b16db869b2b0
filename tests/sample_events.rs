//! Every sample in `events/` decodes to the records and keys the README promises.
//! A new sample without expectations here fails the coverage test.

use std::path::Path;

use bytes::Bytes;
use cross_account_s3_writer::config::{S3Notifications, SesRawMail};
use cross_account_s3_writer::events::{
    self, DecodeContext, DecodeError, Payload, Record, Reply, Request, SourceObject, http,
};
use cross_account_s3_writer::keys::KeyPrefix;
use serde_json::Value;
use serde_json::value::RawValue;

const REQUEST_ID: &str = "req-1";

fn load_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("events")
        .join(name);
    std::fs::read_to_string(&path).unwrap()
}

fn load(name: &str) -> Value {
    serde_json::from_str(&load_text(name)).unwrap()
}

fn context<'a>(
    prefix: &'a KeyPrefix,
    max_body_bytes: usize,
    ses_raw_mail: Option<&'a SesRawMail>,
) -> DecodeContext<'a> {
    DecodeContext {
        prefix,
        max_body_bytes,
        request_id: REQUEST_ID,
        ses_raw_mail,
        s3_notifications: Default::default(),
    }
}

/// Through the one entry point the handler uses.
fn decode_text(
    text: &str,
    cx: &DecodeContext<'_>,
) -> (Vec<Result<Record, events::RecordError>>, Reply) {
    let raw: Box<RawValue> = serde_json::from_str(text).unwrap();
    match events::decode(&raw, cx).unwrap() {
        Request::Write { records, reply, .. } => (records, reply),
        other => panic!("not a record-carrying event: {other:?}"),
    }
}

fn decode_with(
    name: &str,
    ses_raw_mail: Option<&SesRawMail>,
) -> Vec<Result<Record, events::RecordError>> {
    let prefix = KeyPrefix::parse("incoming/").unwrap();
    decode_text(&load_text(name), &context(&prefix, 1 << 20, ses_raw_mail)).0
}

fn decode(name: &str) -> Vec<Record> {
    decode_with(name, None)
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("{name}: {e:?}")))
        .collect()
}

fn inline(record: &Record) -> &[u8] {
    match &record.payload {
        Payload::Inline(b) => b,
        other => panic!("expected an inline body, got {other:?}"),
    }
}

/// The one object of the CloudWatch Logs sample delivery, whichever way it arrives.
const CLOUDWATCH_LOGS_KEY: &str = "incoming/logs/111111111111/%2Faws%2Flambda%2Forders-api/2025%2F12%2F05%2F[$LATEST]6d7f3b9c0a5e4f21b8c3d2e1f0a9b8c7/89a29c114d854c3623075aec103d94f7463630f1d1ccbead1bc86233a69ee289.ndjson";
/// The key of the object the `s3-via-*` and `s3-eventbridge` samples name: its
/// source key has a space, a `+` and a non-ASCII letter.
const CARRIED_S3_KEY: &str =
    "incoming/s3/writer-source-111111111111/reports/2026/Q4 summary+final é.csv";

/// (file, expected keys) for every sample; the coverage test checks this list is complete.
const EXPECTED_KEYS: &[(&str, &[&str])] = &[
    (
        "sqs.json",
        &[
            "incoming/sqs/writer-queue/059f36b4-87a3-44ab-83d2-661975830a7d",
            "incoming/sqs/writer-queue/2e1424d4-f796-459a-8184-9c92662be6da",
        ],
    ),
    (
        "sqs-partial-failure.json",
        &[
            "incoming/sqs/writer-queue/8f6a2b1c-1111-4a4a-9b9b-000000000001",
            "incoming/sqs/writer-queue/8f6a2b1c-3333-4a4a-9b9b-000000000003",
        ],
    ),
    (
        "sns.json",
        &["incoming/sns/writer-topic/95df01b4-ee98-5cb9-9903-4c221d41eb5e"],
    ),
    (
        "eventbridge.json",
        &["incoming/events/demo.orders/OrderPlaced/6a7e8feb-b491-4cf7-a9f1-bf3703467718"],
    ),
    (
        "s3.json",
        &["incoming/s3/writer-source-111111111111/reports/2026/Q4 summary.csv"],
    ),
    (
        "s3-batch-operations-1.0.json",
        &["incoming/s3/writer-source-111111111111/reports/2026/Q3 summary.csv"],
    ),
    (
        "s3-batch-operations-2.0.json",
        &["incoming/s3/writer-source-111111111111/reports/2025/annual+final.csv"],
    ),
    (
        "ses.json",
        &["incoming/ses/o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1.json"],
    ),
    // One object through four paths: one key (a test event and a removal write nothing).
    ("s3-via-sqs.json", &[CARRIED_S3_KEY]),
    ("s3-via-sns.json", &[CARRIED_S3_KEY]),
    ("s3-via-sns-sqs.json", &[CARRIED_S3_KEY]),
    ("s3-eventbridge.json", &[CARRIED_S3_KEY]),
    ("apigw-http-v2.json", &["incoming/http/Jd2fWgQKIAMEPfA="]),
    (
        "apigw-rest-v1.json",
        &["incoming/http/c6af9ac6-7b61-11e6-9a41-93e8deadbeef"],
    ),
    (
        "function-url.json",
        &["incoming/http/7b1e0c5e-3c2f-4f6e-9d0a-2b8c9e1f4a55"],
    ),
    // ALB events carry no request ID: the key is the Lambda invocation's.
    ("alb.json", &["incoming/http/req-1"]),
    ("alb-multi-value.json", &["incoming/http/req-1"]),
    (
        "kinesis.json",
        &[
            "incoming/kinesis/writer-stream/shardId-000000000006/49590338271490256608559692538361571095921575989136588898",
            "incoming/kinesis/writer-stream/shardId-000000000006/49590338271490256608559692540925702759324208523137515618",
        ],
    ),
    (
        "kinesis-kpl-aggregated.json",
        &[
            "incoming/kinesis/writer-stream/shardId-000000000003/49590338271490256608559692540925702759324208523137515700/0",
            "incoming/kinesis/writer-stream/shardId-000000000003/49590338271490256608559692540925702759324208523137515700/1",
            "incoming/kinesis/writer-stream/shardId-000000000003/49590338271490256608559692540925702759324208523137515700/2",
            "incoming/kinesis/writer-stream/shardId-000000000003/49590338271490256608559692540925702759324208523137515701",
        ],
    ),
    (
        "dynamodb.json",
        &[
            "incoming/dynamodb/writer-table/c4ca4238a0b923820dcc509a6f75849b",
            "incoming/dynamodb/writer-table/c81e728d9d4c2f636f067f89cc14862c",
            "incoming/dynamodb/writer-table/eccbc87e4b5ce2fe28308fd9f2a7baf3",
        ],
    ),
    (
        "msk.json",
        &[
            "incoming/kafka/writer-topic/0/15",
            "incoming/kafka/writer-topic/0/16",
            "incoming/kafka/writer-topic/1/3",
        ],
    ),
    (
        "self-managed-kafka.json",
        &[
            "incoming/kafka/writer-topic/2/1200",
            "incoming/kafka/writer-topic/2/1201",
        ],
    ),
    ("direct.json", &["incoming/manual/hello.json"]),
    ("cloudwatch-logs.json", &[CLOUDWATCH_LOGS_KEY]),
    // The same delivery through a Kinesis stream: the same key; the control message writes nothing.
    ("kinesis-cloudwatch-logs.json", &[CLOUDWATCH_LOGS_KEY]),
    (
        "direct-batch.json",
        &["incoming/direct/req-1/0", "incoming/manual/blob.bin"],
    ),
];

#[test]
fn every_sample_has_expectations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut covered: Vec<String> = EXPECTED_KEYS
        .iter()
        .map(|(f, _)| f.to_string())
        .chain(["whoami.json".to_string(), "preflight.json".to_string()])
        .collect();
    covered.sort();
    assert_eq!(
        files, covered,
        "every file in events/ needs expected keys in this test"
    );
}

/// A Batch Operations task is copied as the notification of the same object is:
/// the same key, the same provenance, and only where no copy is yet.
#[test]
fn batch_operations_tasks_copy_as_notifications_do_and_only_fill_gaps() {
    // The S3 sample's notification, for the object the 1.0 sample's task names.
    let mut event = load("s3.json");
    event["Records"][0]["s3"]["object"]["key"] = "reports/2026/Q3+summary.csv".into();
    let prefix = KeyPrefix::parse("incoming/").unwrap();
    let (notified, _) = decode_text(&event.to_string(), &context(&prefix, 1 << 20, None));
    let notification = notified.into_iter().next().unwrap().unwrap();
    let task = decode("s3-batch-operations-1.0.json").remove(0);
    assert_eq!(task.key, notification.key);
    assert_eq!(
        task.id, "dGFzay0wMDAx",
        "failures are reported under the taskId"
    );
    for name in ["source", "source-id"] {
        assert_eq!(
            task.metadata.get(name),
            notification.metadata.get(name),
            "{name}"
        );
    }
    assert_eq!(
        task.metadata.get("event-time"),
        None,
        "a task has no event time"
    );
    assert_eq!(
        task.payload,
        Payload::SourceObject(SourceObject {
            bucket: "writer-source-111111111111".into(),
            key: "reports/2026/Q3 summary.csv".into(),
            version_id: Some("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY".into()),
            etag: None,
            sequencer: None,
            fill_only: true,
        })
    );
    let v2 = decode("s3-batch-operations-2.0.json").remove(0);
    match &v2.payload {
        Payload::SourceObject(object) => {
            assert_eq!(object.key, "reports/2025/annual+final.csv");
            assert_eq!(object.version_id, None);
            assert!(object.fill_only);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn samples_decode_to_the_documented_keys() {
    for (file, keys) in EXPECTED_KEYS {
        let got: Vec<String> = decode_with(file, None)
            .into_iter()
            .filter_map(Result::ok)
            .map(|r| r.key.to_string())
            .collect();
        assert_eq!(&got, keys, "{file}");
    }
}

#[test]
fn sqs_bodies_content_types_and_metadata() {
    let records = decode("sqs.json");
    assert_eq!(inline(&records[0]), br#"{"orderId":"o-1001","total":42.5}"#);
    assert_eq!(records[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(records[0].metadata["source"], "sqs");
    assert_eq!(
        records[0].metadata["source-id"],
        "059f36b4-87a3-44ab-83d2-661975830a7d"
    );
    assert_eq!(records[0].metadata["event-time"], "2025-11-22T08:26:40Z");
    assert_eq!(
        inline(&records[1]),
        b"hello, binary world\n",
        "base64 body decoded"
    );
    assert_eq!(records[1].content_type.as_deref(), Some("text/plain"));
}

#[test]
fn a_malformed_sqs_message_fails_alone_under_its_id() {
    let results = decode_with("sqs-partial-failure.json", None);
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[2].is_ok());
    let failure = results[1].as_ref().unwrap_err();
    assert_eq!(
        failure.id.as_deref(),
        Some("8f6a2b1c-2222-4a4a-9b9b-000000000002")
    );
    assert!(
        matches!(failure.error, DecodeError::InvalidBase64(_)),
        "{:?}",
        failure.error
    );
}

#[test]
fn sns_message_and_attribute_content_type() {
    let records = decode("sns.json");
    assert_eq!(
        inline(&records[0]),
        br#"{"orderId":"o-1001","status":"shipped"}"#
    );
    assert_eq!(records[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(
        records[0].metadata["event-time"],
        "2026-11-22T08:00:00+00:00"
    );
}

#[test]
fn eventbridge_writes_the_whole_event_byte_for_byte() {
    let records = decode("eventbridge.json");
    assert_eq!(
        inline(&records[0]),
        load_text("eventbridge.json").trim_end().as_bytes()
    );
    assert_eq!(records[0].content_type.as_deref(), Some("application/json"));

    // Key order, big integers, escapes and unicode survive: nothing is re-serialized.
    let text = r#"{"version":"0","id":"big-1","source":"z.first","detail-type":"T","account":"111111111111","time":"2026-11-22T08:00:00Z","region":"us-east-1","resources":[],"detail":{"zeta":1,"alpha":123456789012345678901,"pi":3.14159265358979323846,"esc":"a\u0041\n\"q\"","uni":"ü😀"}}"#;
    let prefix = KeyPrefix::parse("incoming/").unwrap();
    let (records, reply) = decode_text(text, &context(&prefix, 1 << 20, None));
    assert_eq!(reply, Reply::AllOrError);
    assert_eq!(inline(records[0].as_ref().unwrap()), text.as_bytes());
}

#[test]
fn s3_notifications_become_source_copies() {
    let records = decode("s3.json");
    assert_eq!(
        records[0].payload,
        Payload::SourceObject(SourceObject {
            bucket: "writer-source-111111111111".into(),
            key: "reports/2026/Q4 summary.csv".into(),
            version_id: None,
            etag: Some("33c11f2d3745da290b8e059a806c6174".into()),
            sequencer: Some("0055AED6DCD90281E5".into()),
            fill_only: false,
        })
    );
    assert_eq!(
        records[0].content_type, None,
        "the source object's own content type is used"
    );
}

// ---- S3 notifications through SQS, SNS, SNS→SQS and EventBridge (issue 19 item 2) ----

/// The copy the carried samples ask for: one object (of an unversioned bucket:
/// read with `If-Match` on its ETag, the MD5 of `quarter,total\nQ4,1299.50\n`), one sequencer.
fn carried_copy() -> Payload {
    Payload::SourceObject(SourceObject {
        bucket: "writer-source-111111111111".into(),
        key: "reports/2026/Q4 summary+final é.csv".into(),
        version_id: None,
        etag: Some("41d942e84e9cf32e306a904c809c0e17".into()),
        sequencer: Some("00673F1A2B3C4D5E6F".into()),
        fill_only: false,
    })
}

/// The one copy a carried sample decodes to, checked against the direct
/// path's: the same key, object and provenance; reported under `carrier_id`.
fn assert_carried_copy(file: &str, carrier_id: &str, want_reply: Reply) {
    let prefix = KeyPrefix::parse("incoming/").unwrap();
    let (records, reply) = decode_text(&load_text(file), &context(&prefix, 1 << 20, None));
    assert_eq!(reply, want_reply, "{file}: the carrier's answer");
    let records: Vec<Record> = records
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("{file}: {e:?}")))
        .collect();
    assert_eq!(records.len(), 1, "{file}");
    let record = &records[0];
    assert_eq!(record.key.as_str(), CARRIED_S3_KEY, "{file}");
    assert_eq!(record.payload, carried_copy(), "{file}");
    assert_eq!(record.id, carrier_id, "{file}: reported under its carrier");
    assert_eq!(record.content_type, None, "{file}");
    // The same provenance as a direct notification of the object.
    let direct = direct_copy_of_the_carried_object();
    assert_eq!(record.key, direct.key, "{file}");
    for name in ["source", "source-id"] {
        assert_eq!(
            record.metadata[name], direct.metadata[name],
            "{file}: {name}"
        );
    }
    assert_eq!(record.metadata["source"], "s3");
}

/// The notification inside `s3-via-sns.json`, invoked directly (S3 → Lambda).
fn direct_copy_of_the_carried_object() -> Record {
    let event = load("s3-via-sns.json");
    let notification = event["Records"][0]["Sns"]["Message"].as_str().unwrap();
    let prefix = KeyPrefix::parse("incoming/").unwrap();
    let (records, reply) = decode_text(notification, &context(&prefix, 1 << 20, None));
    assert_eq!(reply, Reply::AllOrError);
    let record = records.into_iter().next().unwrap().unwrap();
    assert_eq!(
        record.id,
        "writer-source-111111111111/reports/2026/Q4 summary+final é.csv"
    );
    record
}

#[test]
fn s3_via_sqs_copies_the_url_decoded_key_under_the_message_id() {
    // Raw delivery too (S3 → SNS → SQS with RawMessageDelivery): the same body.
    let event = load("s3-via-sqs.json");
    let body = event["Records"][1]["body"].as_str().unwrap();
    assert!(
        body.contains(r#""key":"reports/2026/Q4+summary%2Bfinal+%C3%A9.csv""#),
        "the sample carries the key as S3 encodes it"
    );
    assert_carried_copy(
        "s3-via-sqs.json",
        "8d2e7c51-19fa-4b3e-b0c6-5e4a9d3f2b02",
        Reply::Sqs,
    );
}

#[test]
fn s3_via_sns_copies_the_url_decoded_key_under_the_sns_message_id() {
    assert_carried_copy(
        "s3-via-sns.json",
        "2f6c9b0e-7a41-5d83-a1c2-9e4b8d7f3c10",
        Reply::AllOrError,
    );
}

#[test]
fn s3_via_sns_to_sqs_without_raw_delivery_unwraps_the_envelope() {
    let body: Value = serde_json::from_str(
        load("s3-via-sns-sqs.json")["Records"][0]["body"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(body["Type"], "Notification", "the body is SNS's envelope");
    assert_carried_copy(
        "s3-via-sns-sqs.json",
        "a7c3e9b1-4d2f-4a60-9b85-3f1e7d0c6a04",
        Reply::Sqs,
    );
}

#[test]
fn s3_eventbridge_takes_the_key_as_it_is() {
    assert_eq!(
        load("s3-eventbridge.json")["detail"]["object"]["key"],
        "reports/2026/Q4 summary+final é.csv",
        "EventBridge's detail carries the key unencoded"
    );
    assert_carried_copy(
        "s3-eventbridge.json",
        "6b1f0e7a-3c92-4d58-b2a4-8e0f5c7d9a13",
        Reply::AllOrError,
    );
    // Decoding it again would be wrong: the `+` is part of the key.
    let mut event = load("s3-eventbridge.json");
    event["detail"]["object"]["key"] = "a+b%41".into();
    let (records, _) = decode_value(&event);
    match &records[0].as_ref().unwrap().payload {
        Payload::SourceObject(source) => assert_eq!(source.key, "a+b%41"),
        other => panic!("not a copy: {other:?}"),
    }
    // A key that climbs (`..`) stays inside the source's namespace, by every path.
    event["detail"]["object"]["key"] = "../../x".into();
    let mut queued = load("s3-via-sqs.json");
    let body = queued["Records"][1]["body"].as_str().unwrap().replace(
        "reports/2026/Q4+summary%2Bfinal+%C3%A9.csv",
        "%2E%2E/%2E%2E/x",
    );
    queued["Records"][1]["body"] = body.into();
    for event in [event, queued] {
        let (records, _) = decode_value(&event);
        let key = records[0].as_ref().unwrap().key.to_string();
        assert_eq!(
            key,
            "incoming/s3/writer-source-111111111111/%2E%2E/%2E%2E/x"
        );
    }
}

#[test]
fn s3_test_events_and_removals_write_nothing_through_any_path() {
    // Through SQS: the test event and the removal are two messages that decode to nothing.
    let (records, _) = decode_value(&load("s3-via-sqs.json"));
    assert_eq!(records.len(), 1, "only the ObjectCreated message copies");
    let test_event = load("s3-via-sqs.json")["Records"][0]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut sns = load("s3-via-sns.json");
    sns["Records"][0]["Sns"]["Message"] = test_event.clone().into();
    assert!(decode_value(&sns).0.is_empty(), "s3:TestEvent through SNS");
    let mut wrapped = load("s3-via-sns-sqs.json");
    let mut envelope: Value =
        serde_json::from_str(wrapped["Records"][0]["body"].as_str().unwrap()).unwrap();
    envelope["Message"] = test_event.into();
    wrapped["Records"][0]["body"] = envelope.to_string().into();
    assert!(
        decode_value(&wrapped).0.is_empty(),
        "s3:TestEvent through SNS → SQS"
    );
    let (records, reply) = decode_value(&wrapped);
    assert_eq!(
        answer_when_decoded_ones_are_written(records, reply).unwrap(),
        serde_json::json!({ "batchItemFailures": [] }),
        "acknowledged"
    );
    // EventBridge: Object Deleted (or any other S3 event) writes nothing.
    let mut deleted = load("s3-eventbridge.json");
    deleted["detail-type"] = "Object Deleted".into();
    deleted["detail"]["deletion-type"] = "Permanently Deleted".into();
    assert!(decode_value(&deleted).0.is_empty());
}

/// `s3-via-sqs.json` whose second message names a second object (with `sequencer`).
fn s3_via_sqs_with_a_second_record(sequencer: &str) -> Value {
    let mut event = load("s3-via-sqs.json");
    let mut notification: Value =
        serde_json::from_str(event["Records"][1]["body"].as_str().unwrap()).unwrap();
    let mut second = notification["Records"][0].clone();
    second["s3"]["object"]["key"] = "reports/2026/second.csv".into();
    second["s3"]["object"]["sequencer"] = sequencer.into();
    notification["Records"].as_array_mut().unwrap().push(second);
    event["Records"][1]["body"] = notification.to_string().into();
    event
}

#[test]
fn a_message_with_several_s3_records_fails_as_a_whole_under_its_message_id() {
    let event = s3_via_sqs_with_a_second_record("not hex");
    let (records, reply) = decode_value(&event);
    assert_eq!(records.len(), 2);
    assert!(records[0].is_ok());
    assert_eq!(
        records[1].as_ref().unwrap_err().id.as_deref(),
        Some("8d2e7c51-19fa-4b3e-b0c6-5e4a9d3f2b02")
    );
    assert_eq!(
        answer_when_decoded_ones_are_written(records, reply).unwrap(),
        serde_json::json!({ "batchItemFailures": [
            { "itemIdentifier": "8d2e7c51-19fa-4b3e-b0c6-5e4a9d3f2b02" }
        ]})
    );
}

#[test]
fn fifo_message_groups_follow_the_records_a_message_expands_to() {
    // A FIFO batch: message 0 (group a) is a test event (no record), message 1
    // (group b) a notification of two objects, message 2 (group a) a plain body.
    let mut event = s3_via_sqs_with_a_second_record("00673F1A2B3C4D5E71");
    event["Records"][2]["body"] = "plain text".into();
    for (n, group) in ["a", "b", "a"].into_iter().enumerate() {
        let record = &mut event["Records"][n];
        record["eventSourceARN"] = "arn:aws:sqs:us-east-1:111111111111:writer.fifo".into();
        record["attributes"]["MessageGroupId"] = group.into();
    }
    let prefix = KeyPrefix::parse("incoming/").unwrap();
    let raw: Box<RawValue> = serde_json::from_str(&event.to_string()).unwrap();
    let Request::Write {
        records,
        message_groups,
        ..
    } = events::decode(&raw, &context(&prefix, 1 << 20, None)).unwrap()
    else {
        panic!("not a write")
    };
    assert_eq!(records.len(), 3);
    assert_eq!(
        message_groups,
        vec![
            Some("b".to_owned()),
            Some("b".to_owned()),
            Some("a".to_owned())
        ],
        "one group per decoded record, index for index"
    );
    let ids: Vec<&str> = records
        .iter()
        .map(|r| r.as_ref().unwrap().id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "8d2e7c51-19fa-4b3e-b0c6-5e4a9d3f2b02",
            "8d2e7c51-19fa-4b3e-b0c6-5e4a9d3f2b02",
            "e1b9f3a4-6c28-4d75-8f01-7a3c2e9d4b03"
        ]
    );
}

#[test]
fn s3_notifications_in_messages_can_be_stored_as_messages() {
    let prefix = KeyPrefix::parse("incoming/").unwrap();
    let cx = DecodeContext {
        s3_notifications: S3Notifications::Store,
        ..context(&prefix, 1 << 20, None)
    };
    let keys = |file: &str| -> Vec<String> {
        decode_text(&load_text(file), &cx)
            .0
            .into_iter()
            .map(|r| r.unwrap().key.to_string())
            .collect()
    };
    assert_eq!(
        keys("s3-via-sqs.json"),
        [
            "incoming/sqs/writer-s3-notifications/c4f1a0e2-5b7d-4e11-9a43-0d2b6f8e1a01",
            "incoming/sqs/writer-s3-notifications/8d2e7c51-19fa-4b3e-b0c6-5e4a9d3f2b02",
            "incoming/sqs/writer-s3-notifications/e1b9f3a4-6c28-4d75-8f01-7a3c2e9d4b03",
        ]
    );
    assert_eq!(
        keys("s3-via-sns.json"),
        ["incoming/sns/writer-s3-notifications/2f6c9b0e-7a41-5d83-a1c2-9e4b8d7f3c10"]
    );
    assert_eq!(
        keys("s3-via-sns-sqs.json"),
        ["incoming/sqs/writer-s3-via-topic/a7c3e9b1-4d2f-4a60-9b85-3f1e7d0c6a04"]
    );
    assert_eq!(
        keys("s3-eventbridge.json"),
        ["incoming/events/aws.s3/Object Created/6b1f0e7a-3c92-4d58-b2a4-8e0f5c7d9a13"]
    );
}

#[test]
fn ses_writes_the_notification_and_copies_stored_raw_mail() {
    let records = decode("ses.json");
    assert_eq!(records.len(), 1, "no raw mail location configured");
    let notification: Value = serde_json::from_slice(inline(&records[0])).unwrap();
    assert_eq!(notification, load("ses.json")["Records"][0]);
    let text = load_text("ses.json");
    let raw_record = std::str::from_utf8(inline(&records[0])).unwrap();
    assert!(
        text.contains(raw_record),
        "stored as it arrived, byte for byte"
    );

    let raw = SesRawMail {
        bucket: "mail-111111111111".into(),
        prefix: "raw/".into(),
    };
    let records: Vec<Record> = decode_with("ses.json", Some(&raw))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        records[1].key.as_str(),
        "incoming/ses/o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1.eml"
    );
    assert_eq!(
        records[1].payload,
        Payload::SourceObject(SourceObject {
            bucket: "mail-111111111111".into(),
            key: "raw/o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1".into(),
            version_id: None,
            etag: None,
            sequencer: None,
            fill_only: false,
        })
    );
    assert_eq!(records[1].content_type.as_deref(), Some("message/rfc822"));
}

#[test]
fn http_bodies_by_flavor() {
    let v2 = decode("apigw-http-v2.json");
    assert_eq!(inline(&v2[0]), br#"{"orderId":"o-1003","via":"http"}"#);
    assert_eq!(v2[0].content_type.as_deref(), Some("application/json"));
    let v1 = decode("apigw-rest-v1.json");
    assert_eq!(inline(&v1[0]), b"sku,qty\na-1,3\n", "base64 body decoded");
    assert_eq!(v1[0].content_type.as_deref(), Some("text/csv"));
    let url = decode("function-url.json");
    assert_eq!(inline(&url[0]), b"hello from a function URL");
    assert_eq!(url[0].content_type.as_deref(), Some("text/plain"));
}

#[test]
fn http_flavors_answer_in_their_own_shape() {
    let prefix = KeyPrefix::parse("incoming/").unwrap();
    let cx = DecodeContext {
        prefix: &prefix,
        max_body_bytes: 8,
        request_id: REQUEST_ID,
        ses_raw_mail: None,
        s3_notifications: Default::default(),
    };
    let (flavor, result) = http::decode(load("apigw-http-v2.json"), &cx);
    assert_eq!(flavor, http::Flavor::HttpV2);
    assert_eq!(
        result.unwrap_err().error.http_status(),
        413,
        "body over MAX_BODY_BYTES"
    );
    assert_eq!(
        http::decode(load("apigw-rest-v1.json"), &cx).0,
        http::Flavor::RestV1
    );
    assert_eq!(
        http::decode(load("function-url.json"), &cx).0,
        http::Flavor::FunctionUrl
    );

    let mut get = load("function-url.json");
    get["requestContext"]["http"]["method"] = "GET".into();
    assert_eq!(
        http::decode(get, &cx).1.unwrap_err().error.http_status(),
        405
    );

    let response = http::response(http::Flavor::HttpV2, 201, &serde_json::json!({"key": "k"}));
    assert_eq!(response["statusCode"], 201);
    assert_eq!(response["headers"]["content-type"], "application/json");
    assert_eq!(
        serde_json::from_str::<Value>(response["body"].as_str().unwrap()).unwrap()["key"],
        "k"
    );
}

/// ALB targets: the body under the invocation's request ID, and the answer
/// in ALB's shape, with `multiValueHeaders` exactly when the request had them.
#[test]
fn alb_requests_are_written_and_answered_in_albs_shape() {
    let single = decode("alb.json");
    assert_eq!(inline(&single[0]), br#"{"orderId":"o-2001","total":17.25}"#);
    assert_eq!(single[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(single[0].metadata["source"], "http");
    assert_eq!(single[0].metadata["source-id"], REQUEST_ID);
    let multi = decode("alb-multi-value.json");
    assert_eq!(
        inline(&multi[0]),
        b"sensor,temp\nn-1,-4.5\n",
        "base64 body decoded"
    );
    assert_eq!(multi[0].content_type.as_deref(), Some("text/csv"));

    for (file, multi_value) in [("alb.json", false), ("alb-multi-value.json", true)] {
        let (records, reply) = decode_value(&load(file));
        assert_eq!(
            reply,
            Reply::Http(http::Flavor::Alb { multi_value }),
            "{file}"
        );
        let answer = answer_when_decoded_ones_are_written(records, reply).unwrap();
        assert_eq!(answer["statusCode"], 201, "{file}: {answer}");
        assert_eq!(answer["statusDescription"], "201 Created", "{file}");
        assert_eq!(answer["isBase64Encoded"], false, "{file}");
        let (used, unused) = if multi_value {
            ("multiValueHeaders", "headers")
        } else {
            ("headers", "multiValueHeaders")
        };
        assert!(answer[used].is_object(), "{file}: {answer}");
        assert!(answer.get(unused).is_none(), "{file}: {answer}");
        let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["key"], "incoming/http/req-1", "{file}");
    }

    // A GET is refused in ALB's shape too: a successful 405, never a direct-invoke error.
    let mut get = load("alb.json");
    get["httpMethod"] = "GET".into();
    let (records, reply) = decode_value(&get);
    let answer = answer_when_decoded_ones_are_written(records, reply).unwrap();
    assert_eq!(answer["statusCode"], 405);
    assert_eq!(answer["statusDescription"], "405 Method Not Allowed");
}

#[test]
fn direct_bodies_and_metadata() {
    let records = decode("direct.json");
    let body: Value = serde_json::from_slice(inline(&records[0])).unwrap();
    assert_eq!(body["hello"], "bucket account");
    assert_eq!(records[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(records[0].metadata["team"], "platform");

    let batch = decode("direct-batch.json");
    assert_eq!(
        inline(&batch[0]),
        b"plain text, key derived from the request id"
    );
    assert_eq!(batch[0].content_type.as_deref(), Some("text/plain"));
    assert_eq!(
        batch[1].payload,
        Payload::Inline(Bytes::from_static(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))
    );
    assert_eq!(
        batch[1].content_type.as_deref(),
        Some("application/octet-stream")
    );
}

#[test]
fn direct_objects_fail_one_by_one() {
    let prefix = KeyPrefix::parse("incoming/").unwrap();
    let cx = DecodeContext {
        prefix: &prefix,
        max_body_bytes: 1024,
        request_id: REQUEST_ID,
        ses_raw_mail: None,
        s3_notifications: Default::default(),
    };
    let event = r#"{"objects": [
        {"body": "ok"},
        {"body": "x", "body_base64": "eA=="},
        {"bogus": 1},
        {"key": "../../outside", "body": "refused"},
        {"key": "sqs/writer-queue/m-1", "body": "squatting"},
        {"key": "mine/a", "body": "first"},
        {"key": "mine/a", "body": "second"},
        {"body": "x", "metadata": {"source": "s3"}},
        {"body": {"zeta": 1, "alpha": 123456789012345678901}}
    ]}"#;
    let (results, reply) = decode_text(event, &cx);
    assert_eq!(reply, Reply::Direct);
    assert!(results[0].is_ok());
    assert!(results[1].is_err() && results[2].is_err());
    assert_eq!(
        results[2].as_ref().unwrap_err().id.as_deref(),
        Some("req-1/2")
    );
    let error = |n: usize| results[n].as_ref().unwrap_err().error.to_string();
    assert!(error(3).contains("'..'"), "{}", error(3));
    assert!(error(4).contains("reserved"), "{}", error(4));
    assert!(results[5].is_ok());
    assert!(matches!(
        results[6].as_ref().unwrap_err().error,
        DecodeError::DuplicateKey(_)
    ));
    assert!(error(7).contains("reserved"), "{}", error(7));
    assert_eq!(
        inline(results[8].as_ref().unwrap()),
        br#"{"zeta": 1, "alpha": 123456789012345678901}"#,
        "a JSON body is stored as it arrived"
    );
}

/// Decodes `event` (a sample, changed) through the one entry point.
fn decode_value(event: &Value) -> (Vec<Result<Record, events::RecordError>>, Reply) {
    let prefix = KeyPrefix::parse("incoming/").unwrap();
    decode_text(&event.to_string(), &context(&prefix, 1 << 20, None))
}

/// The answer when every record that decoded was written: what the source is told.
fn answer_when_decoded_ones_are_written(
    records: Vec<Result<Record, events::RecordError>>,
    reply: Reply,
) -> Result<Value, events::RecordsFailed> {
    let outcomes = records
        .into_iter()
        .map(|r| match r {
            Ok(record) => Ok(events::Written {
                key: record.key.to_string(),
                status: cross_account_s3_writer::record::Status::Created,
                etag: None,
                version_id: None,
                bytes: 1,
            }),
            Err(e) => Err(events::Failure::from(e)),
        })
        .collect();
    reply.answer(outcomes, "bucket")
}

#[test]
fn kinesis_data_is_decoded_and_keyed_by_shard_and_sequence_number() {
    let records = decode("kinesis.json");
    assert_eq!(inline(&records[0]), br#"{"orderId":"o-1001","total":42.5}"#);
    assert_eq!(records[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(
        inline(&records[1]),
        &[0, 1, 2, 3, 250, 251, 252, 253, 254, 255],
        "binary data, base64-decoded"
    );
    assert_eq!(
        records[1].content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(
        records[0].id,
        "49590338271490256608559692538361571095921575989136588898"
    );
    assert_eq!(records[0].metadata["source"], "kinesis");
    assert_eq!(
        records[0].metadata["source-id"],
        "shardId-000000000006:49590338271490256608559692538361571095921575989136588898"
    );
    assert_eq!(
        records[0].metadata["event-time"],
        "2025-11-22T08:26:40.123+00:00"
    );
}

#[test]
fn a_malformed_kinesis_record_fails_alone_under_its_sequence_number() {
    let mut event = load("kinesis.json");
    event["Records"][0]["kinesis"]["data"] = "%%% not base64 %%%".into();
    let (results, reply) = decode_value(&event);
    assert_eq!(reply, Reply::Streams);
    let failure = results[0].as_ref().unwrap_err();
    assert_eq!(
        failure.id.as_deref(),
        Some("49590338271490256608559692538361571095921575989136588898")
    );
    assert!(results[1].is_ok());
    assert_eq!(
        answer_when_decoded_ones_are_written(results, reply).unwrap(),
        serde_json::json!({ "batchItemFailures": [
            { "itemIdentifier": "49590338271490256608559692538361571095921575989136588898" }
        ]})
    );

    // An eventID of another record, a missing stream name, empty data: each fails alone.
    for (pointer, value) in [
        ("/Records/1/eventID", Value::from("shardId-000000000006:1")),
        ("/Records/1/eventSourceARN", Value::from("writer-stream")),
        ("/Records/1/kinesis/data", Value::from("")),
    ] {
        let mut event = load("kinesis.json");
        *event.pointer_mut(pointer).unwrap() = value;
        let (results, reply) = decode_value(&event);
        assert!(results[0].is_ok(), "{pointer}");
        assert_eq!(
            answer_when_decoded_ones_are_written(results, reply).unwrap(),
            serde_json::json!({ "batchItemFailures": [
                { "itemIdentifier": "49590338271490256608559692540925702759324208523137515618" }
            ]}),
            "{pointer}"
        );
    }
}

#[test]
fn a_stream_record_without_a_sequence_number_fails_the_invocation() {
    let mut kinesis = load("kinesis.json");
    kinesis["Records"][1]["kinesis"]
        .as_object_mut()
        .unwrap()
        .remove("sequenceNumber");
    let mut dynamodb = load("dynamodb.json");
    dynamodb["Records"][2]["dynamodb"]["SequenceNumber"] = Value::Null;
    for event in [kinesis, dynamodb] {
        let (results, reply) = decode_value(&event);
        assert!(results[0].is_ok());
        let failed = answer_when_decoded_ones_are_written(results, reply).unwrap_err();
        assert_eq!(failed.failed, 1);
        assert!(
            failed
                .details
                .contains("a record without a sequence number"),
            "{}",
            failed.details
        );
    }
}

/// The sample's two sequence numbers: an aggregate (made by AWS's aws-kinesis-agg,
/// `scripts/kpl_sample.py`), and the same bytes with a wrong MD5 trailer.
const KPL_AGGREGATE: &str = "49590338271490256608559692540925702759324208523137515700";
const KPL_WRONG_TRAILER: &str = "49590338271490256608559692540925702759324208523137515701";

/// What aws-kinesis-agg was given (`USER_RECORDS` in scripts/kpl_sample.py).
fn kpl_user_records() -> [(&'static str, Vec<u8>); 3] {
    [
        ("order-7", br#"{"orderId":"o-7","total":12.5}"#.to_vec()),
        ("sensor/42", (0..=255).collect()),
        ("k\u{fc}che", "gr\u{fc}\u{df} dich\n".as_bytes().to_vec()),
    ]
}

fn kinesis_data(event: &Value, n: usize) -> Vec<u8> {
    use base64::Engine as _;
    let data = event["Records"][n]["kinesis"]["data"].as_str().unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap()
}

#[test]
fn kpl_user_records_are_objects_of_their_own_and_a_wrong_trailer_is_one_record() {
    let records = decode("kinesis-kpl-aggregated.json");
    assert_eq!(records.len(), 4);
    for (n, (_, data)) in kpl_user_records().iter().enumerate() {
        let record = &records[n];
        assert_eq!(inline(record), &data[..], "user record {n}, byte for byte");
        assert_eq!(
            record.id, KPL_AGGREGATE,
            "reported under its Kinesis record"
        );
        assert_eq!(
            record.metadata["source-id"],
            format!("shardId-000000000003:{KPL_AGGREGATE}/{n}")
        );
        assert_eq!(record.metadata["source"], "kinesis");
        assert_eq!(
            record.metadata["event-time"],
            "2025-11-22T08:28:20.250+00:00"
        );
    }
    assert_eq!(records[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(
        records[1].content_type.as_deref(),
        Some("application/octet-stream")
    );
    // The wrong MD5: the whole data, magic and all, is one record (as the KCL reads it).
    let event = load("kinesis-kpl-aggregated.json");
    let whole = &records[3];
    assert_eq!(inline(whole), &kinesis_data(&event, 1)[..]);
    assert_eq!(&inline(whole)[..4], &[0xF3, 0x89, 0x9A, 0xC2]);
    assert_eq!(whole.id, KPL_WRONG_TRAILER);
    assert_eq!(
        whole.metadata["source-id"],
        format!("shardId-000000000003:{KPL_WRONG_TRAILER}")
    );
}

#[test]
fn kpl_user_records_render_their_own_partition_keys() {
    use cross_account_s3_writer::keys::KeyTemplate;
    let prefix = KeyPrefix::parse("incoming/").unwrap().with_template(
        KeyTemplate::parse("{source}/{source_name}/pk={partition_key}/{id}").unwrap(),
    );
    let (records, _) = decode_text(
        &load_text("kinesis-kpl-aggregated.json"),
        &context(&prefix, 1 << 20, None),
    );
    let keys: Vec<String> = records
        .into_iter()
        .map(|r| r.unwrap().key.to_string())
        .collect();
    let shard = "shardId-000000000003";
    assert_eq!(
        keys,
        [
            format!("incoming/kinesis/writer-stream/pk=order-7/{shard}/{KPL_AGGREGATE}/0"),
            format!("incoming/kinesis/writer-stream/pk=sensor%2F42/{shard}/{KPL_AGGREGATE}/1"),
            format!("incoming/kinesis/writer-stream/pk=k\u{fc}che/{shard}/{KPL_AGGREGATE}/2"),
            // Not an aggregate: the Kinesis record's own partition key.
            format!("incoming/kinesis/writer-stream/pk=order-7/{shard}/{KPL_WRONG_TRAILER}"),
        ]
    );
}

#[test]
fn failed_user_records_fail_their_sequence_number_once() {
    // MAX_BODY_BYTES of 20: user records 0 (30 bytes) and 1 (256) fail, 2 (12) is written;
    // the wrong-trailer record (its whole data) fails too.
    let prefix = KeyPrefix::parse("incoming/").unwrap();
    let (results, reply) = decode_text(
        &load_text("kinesis-kpl-aggregated.json"),
        &context(&prefix, 20, None),
    );
    let failed: Vec<Option<&str>> = results
        .iter()
        .map(|r| r.as_ref().err().map(|e| e.id.as_deref().unwrap()))
        .collect();
    assert_eq!(
        failed,
        [
            Some(KPL_AGGREGATE),
            Some(KPL_AGGREGATE),
            None,
            Some(KPL_WRONG_TRAILER)
        ]
    );
    assert_eq!(
        answer_when_decoded_ones_are_written(results, reply).unwrap(),
        serde_json::json!({ "batchItemFailures": [
            { "itemIdentifier": KPL_AGGREGATE },
            { "itemIdentifier": KPL_WRONG_TRAILER }
        ]})
    );
}

#[test]
fn in_batch_mode_user_records_are_lines_and_a_failed_batch_fails_each_sequence_number_once() {
    use base64::Engine as _;
    use cross_account_s3_writer::batch::{Delivery, ObjectMode, Plan};
    let prefix = KeyPrefix::parse("incoming/").unwrap();
    let (decoded, reply) = decode_text(
        &load_text("kinesis-kpl-aggregated.json"),
        &context(&prefix, 1 << 20, None),
    );
    let delivery = Delivery {
        mode: ObjectMode::Batch,
        ..Delivery::default()
    };
    let (objects, plan) = Plan::new(decoded, &delivery);
    assert_eq!(objects.len(), 1, "one stream, one batch object");
    let batch = objects[0].as_ref().unwrap();
    let lines: Vec<Value> = inline(batch)
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let event = load("kinesis-kpl-aggregated.json");
    let mut expected: Vec<(String, Vec<u8>)> = kpl_user_records()
        .into_iter()
        .enumerate()
        .map(|(n, (_, data))| (format!("shardId-000000000003:{KPL_AGGREGATE}/{n}"), data))
        .collect();
    expected.push((
        format!("shardId-000000000003:{KPL_WRONG_TRAILER}"),
        kinesis_data(&event, 1),
    ));
    assert_eq!(lines.len(), expected.len());
    for (line, (source_id, data)) in lines.iter().zip(&expected) {
        assert_eq!(line["source_id"], source_id.as_str());
        let body = match (&line["body_json"], &line["body"], &line["body_base64"]) {
            (Value::Null, Value::Null, Value::String(b64)) => {
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap()
            }
            (Value::Null, Value::String(text), _) => text.as_bytes().to_vec(),
            (json, _, _) => json.to_string().into_bytes(),
        };
        assert_eq!(&body, data, "{line}");
    }
    assert_eq!(
        lines
            .iter()
            .map(|l| l["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [
            KPL_AGGREGATE,
            KPL_AGGREGATE,
            KPL_AGGREGATE,
            KPL_WRONG_TRAILER
        ]
    );
    // The batch object's write fails: each record fails under its sequence number, each once.
    let failed = events::Failure {
        id: Some("batch".into()),
        message: "boom".into(),
        code: None,
        cause: cross_account_s3_writer::record::Cause::Write,
    };
    let outcomes = plan.finish(vec![(Err(failed), None)]).records;
    assert_eq!(outcomes.len(), 4);
    assert_eq!(
        reply.answer(outcomes, "bucket").unwrap(),
        serde_json::json!({ "batchItemFailures": [
            { "itemIdentifier": KPL_AGGREGATE },
            { "itemIdentifier": KPL_WRONG_TRAILER }
        ]})
    );
}

/// An aggregate around `message`: magic, the bytes, their MD5.
fn kpl_framed(message: &[u8]) -> String {
    use base64::Engine as _;
    use md5::Digest as _;
    let digest = md5::Md5::digest(message);
    let data = [&[0xF3, 0x89, 0x9A, 0xC2][..], message, digest.as_slice()].concat();
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[test]
fn a_malformed_aggregate_fails_its_record_alone() {
    let event = load("kinesis-kpl-aggregated.json");
    let aggregate = kinesis_data(&event, 0);
    let message = &aggregate[4..aggregate.len() - 16];
    let cases = [
        // Truncated protobuf, its MD5 recomputed: a broken producer, not an accident.
        (kpl_framed(&message[..message.len() - 3]), "does not decode"),
        // Partition key index 9 of a table of one.
        (
            kpl_framed(&[0x0A, 0x01, b'a', 0x1A, 0x05, 0x08, 0x09, 0x1A, 0x01, b'x']),
            "partition_key_table entry 9, but the table has 1",
        ),
    ];
    for (data, why) in cases {
        let mut event = event.clone();
        event["Records"][0]["kinesis"]["data"] = data.into();
        let (results, reply) = decode_value(&event);
        assert_eq!(
            results.len(),
            2,
            "{why}: one failure, nothing written of it"
        );
        let failure = results[0].as_ref().unwrap_err();
        assert_eq!(failure.id.as_deref(), Some(KPL_AGGREGATE));
        assert!(
            matches!(&failure.error, DecodeError::Malformed { detail, .. } if detail.contains(why)),
            "{why}: {}",
            failure.error
        );
        assert!(results[1].is_ok(), "the other record is unaffected");
        assert_eq!(
            answer_when_decoded_ones_are_written(results, reply).unwrap(),
            serde_json::json!({ "batchItemFailures": [{ "itemIdentifier": KPL_AGGREGATE }]})
        );
    }
    // Zero user records (a partition key table only): nothing to write, and no failure,
    // as the KCL hands its consumer nothing for it.
    let mut empty = event.clone();
    empty["Records"][0]["kinesis"]["data"] = kpl_framed(&[0x0A, 0x01, b'a']).into();
    let (results, reply) = decode_value(&empty);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].as_ref().unwrap().id, KPL_WRONG_TRAILER);
    assert_eq!(
        answer_when_decoded_ones_are_written(results, reply).unwrap(),
        serde_json::json!({ "batchItemFailures": [] })
    );
}

#[test]
fn dynamodb_records_are_stored_as_they_arrived() {
    let records = decode("dynamodb.json");
    let text = load_text("dynamodb.json");
    for (n, record) in records.iter().enumerate() {
        let stored = std::str::from_utf8(inline(record)).unwrap();
        assert!(text.contains(stored), "byte for byte: {stored}");
        let parsed: Value = serde_json::from_str(stored).unwrap();
        assert_eq!(parsed, load("dynamodb.json")["Records"][n]);
        assert_eq!(record.content_type.as_deref(), Some("application/json"));
        assert_eq!(record.metadata["source"], "dynamodb");
        assert_eq!(
            record.metadata["source-id"],
            parsed["eventID"].as_str().unwrap()
        );
        assert_eq!(
            record.id,
            parsed["dynamodb"]["SequenceNumber"].as_str().unwrap()
        );
    }
    // A big number in an image (DynamoDB's JSON spells numbers as strings) and key order survive.
    assert!(
        std::str::from_utf8(inline(&records[0]))
            .unwrap()
            .contains(r#""N": "123456789012345678901""#)
    );
    assert_eq!(
        records[0].metadata["event-time"],
        "2025-11-22T08:26:40+00:00"
    );
}

#[test]
fn a_malformed_dynamodb_record_fails_alone_under_its_sequence_number() {
    let mut event = load("dynamodb.json");
    event["Records"][1]["dynamodb"]["SizeBytes"] = "many".into();
    event["Records"][2]["eventSourceARN"] =
        "arn:aws:dynamodb:us-east-1:111111111111:table/x".into();
    let (results, reply) = decode_value(&event);
    assert_eq!(reply, Reply::Streams);
    assert!(results[0].is_ok());
    assert_eq!(
        answer_when_decoded_ones_are_written(results, reply).unwrap(),
        serde_json::json!({ "batchItemFailures": [
            { "itemIdentifier": "4421584500000000017450439092" },
            { "itemIdentifier": "4421584500000000017450439093" }
        ]})
    );
}

#[test]
fn kafka_values_are_decoded_and_keyed_by_topic_partition_and_offset() {
    let msk = decode("msk.json");
    assert_eq!(inline(&msk[0]), br#"{"orderId":"o-1001","total":42.5}"#);
    assert_eq!(msk[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(inline(&msk[1]), b"sku,qty\na-1,3\n");
    assert_eq!(
        msk[1].content_type.as_deref(),
        Some("text/csv"),
        "the content-type header"
    );
    assert_eq!(inline(&msk[2]), b"hello from partition 1");
    assert_eq!(msk[0].id, "writer-topic-0@15");
    assert_eq!(msk[0].metadata["source"], "kafka");
    assert_eq!(msk[0].metadata["source-id"], "writer-topic-0@15");
    assert_eq!(msk[0].metadata["event-time"], "2025-11-22T08:26:40+00:00");

    let self_managed = decode("self-managed-kafka.json");
    assert_eq!(inline(&self_managed[0]), &[0, 255, 16, 32]);
    assert_eq!(inline(&self_managed[1]), b"second record");
    assert_eq!(self_managed[1].id, "writer-topic-2@1201");
}

#[test]
fn a_failed_kafka_record_fails_the_whole_invocation() {
    for file in ["msk.json", "self-managed-kafka.json"] {
        let (results, reply) = decode_value(&load(file));
        assert_eq!(
            reply,
            Reply::AllOrError,
            "{file}: no partial batch response"
        );
        answer_when_decoded_ones_are_written(results, reply).expect("all written");
    }
    let mut event = load("self-managed-kafka.json");
    event["records"]["writer-topic-2"][1]["value"] = Value::Null; // a tombstone: nothing to write
    let (results, reply) = decode_value(&event);
    assert!(results[0].is_ok(), "the other record is still written");
    let failure = results[1].as_ref().unwrap_err();
    assert_eq!(failure.id.as_deref(), Some("writer-topic-2@1201"));
    assert_eq!(failure.error, DecodeError::EmptyBody);
    let failed = answer_when_decoded_ones_are_written(results, reply).unwrap_err();
    assert_eq!((failed.failed, failed.total), (1, 2));
    assert!(
        failed.details.contains("writer-topic-2@1201"),
        "{}",
        failed.details
    );

    // Not even an ID: still an error, never a success.
    let mut event = load("msk.json");
    event["records"]["writer-topic-1"] = "not an array".into();
    let (results, reply) = decode_value(&event);
    assert!(answer_when_decoded_ones_are_written(results, reply).is_err());
}

#[test]
fn cloudwatch_logs_deliveries_are_ndjson_of_their_log_events() {
    let records = decode("cloudwatch-logs.json");
    assert_eq!(records.len(), 1);
    let record = &records[0];
    let text = std::str::from_utf8(inline(record)).unwrap();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    assert_eq!(lines.len(), 4, "one line per log event");
    assert_eq!(
        lines[1],
        concat!(
            r#"{"id":"38617480345413158231924376129843617284617934716235268097","timestamp":1764969600021,"#,
            r#""message":"{\"level\":\"INFO\",\"msg\":\"order placed\",\"orderId\":\"o-1001\",\"total\":42.5}\n","#,
            r#""owner":"111111111111","logGroup":"/aws/lambda/orders-api","#,
            r#""logStream":"2025/12/05/[$LATEST]6d7f3b9c0a5e4f21b8c3d2e1f0a9b8c7"}"#,
            "\n"
        )
    );
    assert!(
        lines[2].contains(r#"\tWARN\tslow downstream: 61 ms über budget\n""#),
        "{}",
        lines[2]
    );
    assert_eq!(record.content_type.as_deref(), Some("application/x-ndjson"));
    assert_eq!(record.metadata["source"], "logs");
    assert_eq!(
        record.metadata["source-id"],
        "89a29c114d854c3623075aec103d94f7463630f1d1ccbead1bc86233a69ee289"
    );
    assert_eq!(
        record.metadata["event-time"],
        "2025-12-05T21:20:00.012+00:00"
    );
    let (_, reply) = decode_value(&load("cloudwatch-logs.json"));
    assert_eq!(
        reply,
        Reply::AllOrError,
        "an async invoke: an error is retried"
    );

    // Through Kinesis: the same object and metadata, reported under the sequence number.
    let (via_kinesis, reply) = decode_value(&load("kinesis-cloudwatch-logs.json"));
    assert_eq!(reply, Reply::Streams);
    assert_eq!(
        via_kinesis.len(),
        1,
        "the control message has nothing to write"
    );
    let via_kinesis = via_kinesis[0].as_ref().unwrap();
    assert_eq!(
        via_kinesis.id,
        "49658049837261409485310328361541347416859041988091969538"
    );
    assert_eq!(
        (
            &via_kinesis.key,
            &via_kinesis.payload,
            &via_kinesis.metadata
        ),
        (&record.key, &record.payload, &record.metadata)
    );
}

#[test]
fn a_cloudwatch_logs_delivery_is_the_same_object_in_batch_mode() {
    use cross_account_s3_writer::batch::{ContentEncoding, Delivery, ObjectMode, Plan};
    let record_mode = decode("cloudwatch-logs.json");
    for file in ["cloudwatch-logs.json", "kinesis-cloudwatch-logs.json"] {
        let batch = Delivery {
            mode: ObjectMode::Batch,
            ..Delivery::default()
        };
        let (objects, _) = Plan::new(decode_with(file, None), &batch);
        let objects: Vec<Record> = objects.into_iter().map(Result::unwrap).collect();
        assert_eq!(objects.len(), 1, "{file}");
        assert_eq!(
            objects[0].key, record_mode[0].key,
            "{file}: not a batch/ key"
        );
        assert_eq!(
            objects[0].payload, record_mode[0].payload,
            "{file}: its lines are the log events"
        );
        let gzip = Delivery {
            encoding: ContentEncoding::Gzip,
            ..batch
        };
        let (objects, _) = Plan::new(decode_with(file, None), &gzip);
        let key = objects[0].as_ref().unwrap().key.to_string();
        assert_eq!(key, format!("{CLOUDWATCH_LOGS_KEY}.gz"), "{file}");
    }
}

#[test]
fn a_cloudwatch_logs_control_message_succeeds_without_writing() {
    use base64::Engine as _;
    use std::io::Write as _;
    let control = br#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1432826855123,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(control).unwrap();
    let data = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
    let (records, reply) = decode_value(&serde_json::json!({ "awslogs": { "data": data } }));
    assert!(records.is_empty());
    assert_eq!(
        answer_when_decoded_ones_are_written(records, reply).unwrap(),
        serde_json::json!({ "bucket": "bucket", "written": [] })
    );
}

#[test]
fn a_broken_cloudwatch_logs_delivery_fails_and_is_retried() {
    for data in ["H4sIAAAAAAAA", "%%%", "aGVsbG8="] {
        let (records, reply) = decode_value(&serde_json::json!({ "awslogs": { "data": data } }));
        assert!(
            matches!(records[0], Err(ref e) if matches!(e.error, DecodeError::Malformed { .. })),
            "{data}: {records:?}"
        );
        assert!(
            answer_when_decoded_ones_are_written(records, reply).is_err(),
            "{data}"
        );
    }
}

mod never_panics {
    //! The function never panics on input: every sample, with any one value
    //! replaced by arbitrary JSON, decodes to records or to errors.
    use super::*;
    use proptest::prelude::*;

    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            ".{0,40}".prop_map(Value::from),
            "(\\.\\./|/|%2F|\u{0}|[A-Za-z0-9+=]){0,40}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map(".{0,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Every JSON pointer in `v` (objects and arrays included).
    fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => m.iter().for_each(|(k, v)| {
                pointers(
                    v,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                )
            }),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, v)| pointers(v, format!("{at}/{i}"), out)),
            _ => {}
        }
        out.push(at);
    }

    fn decode_any(event: Value) {
        let prefix = KeyPrefix::parse("incoming/").unwrap();
        let raw = SesRawMail {
            bucket: "mail-bucket".into(),
            prefix: "raw/".into(),
        };
        let cx = DecodeContext {
            prefix: &prefix,
            max_body_bytes: 1 << 16,
            request_id: "req",
            ses_raw_mail: Some(&raw),
            s3_notifications: Default::default(),
        };
        let raw = serde_json::value::to_raw_value(&event).unwrap();
        let (records, reply) = match events::decode(&raw, &cx) {
            Err(e) => {
                assert!(e.to_string().contains("Accepted:"));
                return;
            }
            Ok(Request::Write { records, reply, .. }) => (records, reply),
            Ok(_) => return,
        };
        // The answer, with every record failed (Batch Operations' results name each task).
        let failed = records
            .iter()
            .map(|r| {
                Err(events::Failure {
                    id: r.as_ref().ok().map(|r| r.id.clone()),
                    message: "m".into(),
                    code: None,
                    cause: cross_account_s3_writer::record::Cause::Transient,
                })
            })
            .collect();
        let _ = reply.answer(failed, "b");
        for record in records.into_iter().flatten() {
            assert!(
                record.key.as_str().starts_with("incoming/"),
                "{}",
                record.key
            );
        }
    }

    /// Protobuf wire format, by hand (independent of the decoder's prost types).
    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn bytes_field(tag: u64, bytes: &[u8], out: &mut Vec<u8>) {
        varint(tag << 3 | 2, out);
        varint(bytes.len() as u64, out);
        out.extend_from_slice(bytes);
    }

    fn varint_field(tag: u64, v: u64, out: &mut Vec<u8>) {
        varint(tag << 3, out);
        varint(v, out);
    }

    /// An `AggregatedRecord` of small tables and user records whose indexes may point
    /// past them and whose fields may be missing, sometimes cut short or followed by junk.
    fn kpl_message() -> impl Strategy<Value = Vec<u8>> {
        let user = (
            prop::option::of(0u64..4),
            prop::option::of(prop_oneof![0u64..3, Just(u64::MAX)]),
            prop::option::of(prop::collection::vec(any::<u8>(), 0..24)),
        )
            .prop_map(|(pk, ehk, data)| {
                let mut out = Vec::new();
                if let Some(i) = pk {
                    varint_field(1, i, &mut out);
                }
                if let Some(i) = ehk {
                    varint_field(2, i, &mut out);
                }
                if let Some(data) = data {
                    bytes_field(3, &data, &mut out);
                }
                out
            });
        (
            prop::collection::vec("(/|\\.\\.|%|a|\u{0}|é){0,6}", 0..3),
            prop::collection::vec("[0-9]{1,3}", 0..2),
            prop::collection::vec(user, 0..5),
            any::<prop::sample::Index>(),
            any::<bool>(),
            prop::collection::vec(any::<u8>(), 0..4),
        )
            .prop_map(|(keys, hash_keys, users, cut, whole, junk)| {
                let mut out = Vec::new();
                for k in &keys {
                    bytes_field(1, k.as_bytes(), &mut out);
                }
                for k in &hash_keys {
                    bytes_field(2, k.as_bytes(), &mut out);
                }
                for u in &users {
                    bytes_field(3, u, &mut out);
                }
                if !whole {
                    out.truncate(cut.index(out.len() + 1));
                    out.extend(junk);
                }
                out
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// Kinesis data that is, or looks like, a KPL aggregate: random bytes after the
        /// magic (a wrong trailer, almost always), random bytes with a matching MD5, and
        /// MD5-valid protobufs of every shape, in both records of the Kinesis sample.
        #[test]
        fn aggregated_kinesis_data_never_panics(
            message in prop_oneof![prop::collection::vec(any::<u8>(), 0..64), kpl_message()],
            trailer in prop::option::of(prop::collection::vec(any::<u8>(), 0..20)),
            which in 0usize..2,
        ) {
            use base64::Engine as _;
            let data = match trailer {
                Some(trailer) => [&[0xF3, 0x89, 0x9A, 0xC2][..], &message, &trailer].concat(),
                None => base64::engine::general_purpose::STANDARD.decode(kpl_framed(&message)).unwrap(),
            };
            let mut event = load("kinesis.json");
            event["Records"][which]["kinesis"]["data"] =
                base64::engine::general_purpose::STANDARD.encode(&data).into();
            decode_any(event.clone());
            // Whatever became of it: every failure is under a sequence number of the event.
            let (results, _) = decode_value(&event);
            for result in &results {
                match result {
                    Ok(record) => prop_assert!(record.key.as_str().starts_with("incoming/kinesis/writer-stream/")),
                    Err(e) => prop_assert!(e.id.as_deref().is_some_and(|id| event.to_string().contains(id))),
                }
            }
        }

        /// The S3 notification inside an SQS body, an SNS Message or an SNS
        /// envelope in an SQS body, with any one value replaced.
        #[test]
        fn mutated_carried_notifications_never_panic(
            which in 0usize..3,
            pick in any::<prop::sample::Index>(),
            replacement in arbitrary_json(),
        ) {
            let (file, pointer) = [
                ("s3-via-sqs.json", "/Records/1/body"),
                ("s3-via-sns.json", "/Records/0/Sns/Message"),
                ("s3-via-sns-sqs.json", "/Records/0/body"),
            ][which];
            let mut event = load(file);
            let text = event.pointer(pointer).unwrap().as_str().unwrap().to_owned();
            let mut outer: Value = serde_json::from_str(&text).unwrap();
            let enveloped = outer.get("Message").is_some();
            let inner: Value = if enveloped {
                serde_json::from_str(outer["Message"].as_str().unwrap()).unwrap()
            } else {
                outer.clone()
            };
            let inner = replace_one(inner, pick, replacement);
            let text = if enveloped {
                outer["Message"] = inner.to_string().into();
                outer.to_string()
            } else {
                inner.to_string()
            };
            *event.pointer_mut(pointer).unwrap() = text.into();
            decode_any(event);
        }

        #[test]
        fn mutated_samples_never_panic(file in prop::sample::select(EXPECTED_KEYS.iter().map(|(f, _)| *f).collect::<Vec<_>>()),
                                       pick in any::<prop::sample::Index>(),
                                       replacement in arbitrary_json()) {
            decode_any(replace_one(load(file), pick, replacement));
        }

        /// `awslogs.data`, and a Kinesis record's data: random bytes, their gzip, or a gzip'd
        /// sample delivery with any one value replaced (any cut of each as well).
        #[test]
        fn awslogs_data_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300),
                                     how in 0u8..3,
                                     pick in any::<prop::sample::Index>(),
                                     replacement in arbitrary_json(),
                                     cut in any::<Option<prop::sample::Index>>()) {
            let mut data = match how {
                0 => bytes,
                1 => gzip(&bytes),
                _ => gzip(replace_one(sample_delivery(), pick, replacement).to_string().as_bytes()),
            };
            if let Some(cut) = cut.filter(|_| !data.is_empty()) {
                data.truncate(cut.index(data.len()));
            }
            use base64::Engine as _;
            let data = base64::engine::general_purpose::STANDARD.encode(&data);
            decode_any(serde_json::json!({ "awslogs": { "data": data } }));
            let mut kinesis = load("kinesis-cloudwatch-logs.json");
            kinesis["Records"][1]["kinesis"]["data"] = data.into();
            decode_any(kinesis);
        }
    }

    /// `value` with the value at one of its pointers (itself included) replaced.
    fn replace_one(mut value: Value, pick: prop::sample::Index, replacement: Value) -> Value {
        let mut all = Vec::new();
        pointers(&value, String::new(), &mut all);
        let pointer = pick.get(&all).clone();
        match value.pointer_mut(&pointer) {
            Some(slot) => *slot = replacement,
            None => value = replacement,
        }
        value
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    /// The delivery inside `events/cloudwatch-logs.json`.
    fn sample_delivery() -> Value {
        use base64::Engine as _;
        use std::io::Read as _;
        let event = load("cloudwatch-logs.json");
        let data = base64::engine::general_purpose::STANDARD
            .decode(event["awslogs"]["data"].as_str().unwrap())
            .unwrap();
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(&data[..])
            .read_to_end(&mut json)
            .unwrap();
        serde_json::from_slice(&json).unwrap()
    }
}
