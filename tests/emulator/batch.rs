//! OBJECT_MODE=batch and CONTENT_ENCODING=gzip: one NDJSON object per batch, never a second copy, failures per record.

use cross_account_s3_writer::handler::Handler;
use libtest_mimic::Failed;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::harness::{Object, block_on, event, fresh, get, handler, keys_under, sample, versions};
use crate::streams::{answer_when_refused, batch_item_failures, fresh_kinesis_sample, kinesis_seq};
use crate::support::Emulator;

scenarios![
    batch_of_10_sqs_messages_is_one_ndjson_object_and_a_redelivery_is_already_present,
    batch_gzip_is_one_ndjson_gz_object_and_single_objects_get_gz,
    batch_objects_follow_the_key_template_one_per_event_hour,
    batch_failed_put_reports_every_message_and_a_malformed_one_alone,
    batch_kinesis_records_are_one_object_and_failures_name_sequence_numbers,
];

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

fn batch_of_10_sqs_messages_is_one_ndjson_object_and_a_redelivery_is_already_present(
    emu: &Emulator,
) -> Result<(), Failed> {
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

fn batch_gzip_is_one_ndjson_gz_object_and_single_objects_get_gz(
    emu: &Emulator,
) -> Result<(), Failed> {
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

fn batch_objects_follow_the_key_template_one_per_event_hour(emu: &Emulator) -> Result<(), Failed> {
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

fn batch_failed_put_reports_every_message_and_a_malformed_one_alone(
    emu: &Emulator,
) -> Result<(), Failed> {
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

fn batch_kinesis_records_are_one_object_and_failures_name_sequence_numbers(
    emu: &Emulator,
) -> Result<(), Failed> {
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
