//! Kinesis, DynamoDB and Kafka records land, and failed writes are reported as each source expects.

use libtest_mimic::Failed;
use serde_json::{Value, json};

use crate::harness::{
    block_on, event, failure, fresh, get, handler, keys_under, raw_event, sample, versions,
};
use crate::support::Emulator;

scenarios![
    kinesis_records_land_and_failed_writes_are_reported_by_sequence_number,
    dynamodb_records_land_and_failed_writes_are_reported_by_sequence_number,
    kafka_records_land_and_a_failed_write_fails_the_invocation,
];

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
pub(crate) fn batch_item_failures(sequence_numbers: &[&str]) -> Value {
    let items: Vec<Value> = sequence_numbers
        .iter()
        .map(|s| json!({ "itemIdentifier": s }))
        .collect();
    json!({ "batchItemFailures": items })
}

/// The Kinesis sample on a fresh stream: the stream's name and the batch.
pub(crate) fn fresh_kinesis_sample() -> (String, Value) {
    fresh_stream_sample("kinesis.json", |stream| {
        format!("arn:aws:kinesis:us-east-1:111111111111:stream/{stream}")
    })
}

/// The sequence number of record `n` of a Kinesis batch.
pub(crate) fn kinesis_seq(batch: &Value, n: usize) -> &str {
    batch["Records"][n]["kinesis"]["sequenceNumber"]
        .as_str()
        .unwrap()
}

/// The answer to `batch` from a handler (with `overrides`) whose every write
/// is refused: its KEY_PREFIX is outside what the target role may write.
pub(crate) async fn answer_when_refused(
    emu: &Emulator,
    overrides: &[(&str, &str)],
    batch: &Value,
) -> Value {
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

fn kinesis_records_land_and_failed_writes_are_reported_by_sequence_number(
    emu: &Emulator,
) -> Result<(), Failed> {
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

fn dynamodb_records_land_and_failed_writes_are_reported_by_sequence_number(
    emu: &Emulator,
) -> Result<(), Failed> {
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

fn kafka_records_land_and_a_failed_write_fails_the_invocation(
    emu: &Emulator,
) -> Result<(), Failed> {
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
