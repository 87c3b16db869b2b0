//! CloudWatch Logs subscription deliveries: `{"awslogs": {"data": <base64 of
//! gzip of JSON>}}` from a subscription filter that targets the function, or
//! the same gzip'd JSON as the data of a Kinesis record (a CloudWatch Logs
//! destination in front of a stream: the usual cross-account route).
//!
//! - A `DATA_MESSAGE` is stored as **one NDJSON object per delivery**, one line
//!   per log event in delivery order: `{"id","timestamp","message","owner",
//!   "logGroup","logStream"}` in that order, serialized by serde (the message
//!   is the string as received, escaped as JSON needs), content type
//!   `application/x-ndjson`. One object per delivery rather than per log event:
//!   a delivery of N events costs one PUT instead of N.
//! - Its key is `logs/<owner>/<logGroup>/<logStream>/<digest>.ndjson`, the digest
//!   being the SHA-256 of the owner, log group, log stream and the log event
//!   IDs in order (each length-prefixed): a redelivery (Lambda's async retry,
//!   a stream's retry) renders the same key, meets the create-only 412, and
//!   the identity check answers "already existed". The direct and the Kinesis
//!   path store a delivery as the same object under the same key with the same
//!   metadata, so one delivery arriving both ways lands once. `source-id` is
//!   the digest, `event-time` (and `KEY_TEMPLATE`'s time tokens) the first log
//!   event's timestamp.
//! - A `CONTROL_MESSAGE` (CloudWatch Logs checking that the destination is
//!   reachable) writes nothing and succeeds.
//! - `OBJECT_MODE=batch`: a delivery is already the batch of its log events, so
//!   it joins no envelope batch (its row in `crate::source` says so) and is the
//!   same object, under the same key, in both modes: its log events are the
//!   lines of that object.
//!
//! `awslogs.data` is decompressed with a bound: a delivery is at most one
//! PutLogEvents batch (1 MiB of log events) plus its JSON framing, so more than
//! `MAX_BODY_BYTES` of JSON is refused as soon as the decompressor passes it,
//! without ever holding more. A gzip bomb, a truncated or corrupt gzip stream,
//! invalid base64 or JSON that is not a delivery fail that record, with the
//! reason, never the function. (`aws_lambda_events`' own `LogsEvent`
//! decompresses without a bound, so it is not used.)

use std::io::Read as _;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::decoding::{Decoding, Found};
use super::{DecodeContext, DecodeError, Decoded, Payload, Record, RecordError};
use crate::keys::{Facts, Layout, Part, hex};
use crate::source::Source;

const SOURCE: &str = Source::CloudWatchLogs.name();

/// The content type of a delivery's object.
const NDJSON: &str = "application/x-ndjson";

/// Where the gzip'd delivery is, for errors: the direct event's field, or the Kinesis record's.
const DIRECT: &str = "awslogs.data";
const KINESIS: &str = "kinesis.data";

/// The first bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Decodes a subscription filter's event: one record for a `DATA_MESSAGE`,
/// none for a `CONTROL_MESSAGE`, one failure for anything else.
/// Its entry in `events::decode`.
pub(crate) const DECODER: super::Decoder = |_, event, cx| decode(&event, cx);

pub fn decode(event: &Value, cx: &DecodeContext<'_>) -> Decoded {
    let data = event
        .pointer("/awslogs/data")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(format!("{DIRECT} is not a string")));
    let delivery = data.and_then(|data| {
        use base64::Engine as _;
        let gzip = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .map_err(|e| malformed(format!("{DIRECT} is not valid base64: {e}")))?;
        let json = gunzip(&gzip, cx.max_body_bytes, DIRECT).map_err(|(_, e)| e)?;
        delivery_record(&json, cx, DIRECT)
    });
    match delivery {
        Ok(Some(record)) => vec![Ok(record)],
        Ok(None) => Vec::new(),
        Err(error) => vec![Err(RecordError { id: None, error })],
    }
}

/// The Kinesis route: `None` when `data` is not a CloudWatch Logs delivery
/// (it is then stored as any record is); else what [`decode`] makes of it,
/// `Ok(None)` for a `CONTROL_MESSAGE`. Data is taken for a delivery when it is
/// gzip that decompresses (within `MAX_BODY_BYTES`) to a JSON object whose
/// `messageType` is `DATA_MESSAGE` or `CONTROL_MESSAGE`, or when gzip that is
/// too large or broken starts as CloudWatch Logs JSON does
/// (`{"messageType":`): that is a failure, not an opaque record.
pub(crate) fn in_kinesis_data(
    data: &[u8],
    cx: &DecodeContext<'_>,
) -> Option<Result<Option<Record>, DecodeError>> {
    if !data.starts_with(&GZIP_MAGIC) {
        return None;
    }
    match gunzip(data, cx.max_body_bytes, KINESIS) {
        Ok(json) => {
            #[derive(Deserialize)]
            struct Probe {
                #[serde(rename = "messageType")]
                message_type: Option<String>,
            }
            let probe = serde_json::from_slice::<Probe>(&json).ok()?;
            matches!(
                probe.message_type.as_deref(),
                Some("DATA_MESSAGE" | "CONTROL_MESSAGE")
            )
            .then(|| delivery_record(&json, cx, KINESIS))
        }
        Err((partial, error)) => partial
            .trim_ascii_start()
            .starts_with(br#"{"messageType":"#)
            .then_some(Err(error)),
    }
}

fn malformed(detail: impl Into<String>) -> DecodeError {
    DecodeError::malformed(SOURCE, detail)
}

/// Decompresses one gzip member, holding at most `max + 1` bytes of output.
/// On failure: what was decompressed before it, and why (naming `field`).
fn gunzip(gzip: &[u8], max: usize, field: &str) -> Result<Vec<u8>, (Vec<u8>, DecodeError)> {
    let mut out = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let read = flate2::read::GzDecoder::new(gzip)
        .take(limit)
        .read_to_end(&mut out);
    match read {
        Err(e) => Err((
            out,
            malformed(format!("{field} is not a whole gzip stream: {e}")),
        )),
        Ok(_) if out.len() > max => Err((
            out,
            malformed(format!(
                "{field} decompresses to more than {max} bytes, the limit \
                 (MAX_BODY_BYTES); a delivery is one PutLogEvents batch of at most 1 MiB"
            )),
        )),
        Ok(_) => Ok(out),
    }
}

/// A delivery as CloudWatch Logs sends it (unknown fields are ignored).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Delivery {
    message_type: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    log_group: String,
    #[serde(default)]
    log_stream: String,
    #[serde(default)]
    log_events: Vec<LogEvent>,
}

#[derive(Deserialize)]
struct LogEvent {
    id: String,
    timestamp: i64,
    message: String,
}

/// One line of a delivery's object. The field order is fixed.
#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    timestamp: i64,
    message: &'a str,
    owner: &'a str,
    #[serde(rename = "logGroup")]
    log_group: &'a str,
    #[serde(rename = "logStream")]
    log_stream: &'a str,
}

/// The record of a delivery's decompressed JSON; `None` for a `CONTROL_MESSAGE`.
fn delivery_record(
    json: &[u8],
    cx: &DecodeContext<'_>,
    field: &str,
) -> Result<Option<Record>, DecodeError> {
    let delivery: Delivery = serde_json::from_slice(json)
        .map_err(|e| malformed(format!("{field} is not a delivery's JSON: {e}")))?;
    match delivery.message_type.as_str() {
        "CONTROL_MESSAGE" => return Ok(None),
        "DATA_MESSAGE" => {}
        other => {
            return Err(malformed(format!(
                "messageType {other:?} is neither DATA_MESSAGE nor CONTROL_MESSAGE"
            )));
        }
    }
    let Some(first) = delivery.log_events.first() else {
        return Err(malformed("a DATA_MESSAGE without log events"));
    };
    let event_time = chrono::DateTime::from_timestamp_millis(first.timestamp)
        .filter(|t| t.timestamp() >= 0)
        .map(|t| t.to_rfc3339())
        .ok_or_else(|| malformed("logEvents[0].timestamp is not a time in milliseconds"))?;
    let digest = hex(&delivery_digest(&delivery));
    let body = ndjson(&delivery, cx.max_body_bytes)?;
    let id = [
        Part::Segment(&delivery.log_group),
        Part::Segment(&delivery.log_stream),
        Part::Segment(&digest),
    ];
    let layout =
        Layout::new(Source::CloudWatchLogs, Some(&delivery.owner), &id).with_suffix(".ndjson");
    let facts = Facts {
        account: Some(&delivery.owner),
        log_group: Some(&delivery.log_group),
        ..Facts::at(&event_time)
    };
    Decoding::new(Source::CloudWatchLogs, Some(digest.clone()), cx)
        .record(Found {
            source_id: &digest,
            layout,
            facts,
            content_type: Some(NDJSON.to_owned()),
            payload: Payload::Inline(Bytes::from(body)),
            id: digest.clone(),
        })
        .map(Some)
        .map_err(|failed| failed.error)
}

/// SHA-256 of the owner, log group, log stream and log event IDs, in order,
/// each length-prefixed: one delivery, one digest; another set of events, another.
fn delivery_digest(delivery: &Delivery) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let parts = [&delivery.owner, &delivery.log_group, &delivery.log_stream]
        .into_iter()
        .chain(delivery.log_events.iter().map(|e| &e.id));
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().into()
}

/// The object: one line per log event, each ending in `\n`; refused as soon
/// as it passes `max` bytes. Every line repeats the delivery's names, so a
/// small hostile delivery (a huge `logGroup`, many tiny events) could
/// otherwise ask for far more memory than it took to send.
fn ndjson(delivery: &Delivery, max: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    for (n, event) in delivery.log_events.iter().enumerate() {
        let line = Line {
            id: &event.id,
            timestamp: event.timestamp,
            message: &event.message,
            owner: &delivery.owner,
            log_group: &delivery.log_group,
            log_stream: &delivery.log_stream,
        };
        // Serializing strings and integers into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, &line);
        out.push(b'\n');
        if out.len() > max {
            return Err(malformed(format!(
                "its NDJSON object passes {max} bytes, the limit (MAX_BODY_BYTES), at log event {} of {}",
                n + 1,
                delivery.log_events.len()
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyPrefix;
    use serde_json::json;
    use std::io::Write as _;
    use std::time::{Duration, Instant};

    const LIMIT: usize = 1 << 20;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn b64(bytes: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn event_of(gzip: &[u8]) -> Value {
        json!({ "awslogs": { "data": b64(gzip) } })
    }

    fn data_message(ids: &[&str]) -> Value {
        let events: Vec<Value> = ids
            .iter()
            .enumerate()
            .map(|(n, id)| {
                json!({ "id": id, "timestamp": 1_764_969_600_000i64 + n as i64,
                        "message": format!("line {n}") })
            })
            .collect();
        json!({
            "messageType": "DATA_MESSAGE",
            "owner": "123456789012",
            "logGroup": "/aws/lambda/orders",
            "logStream": "2026/12/05/[$LATEST]abc",
            "subscriptionFilters": ["to-archive"],
            "logEvents": events,
        })
    }

    fn context(prefix: &KeyPrefix) -> DecodeContext<'_> {
        DecodeContext {
            prefix,
            max_body_bytes: LIMIT,
            request_id: "req",
            ses_raw_mail: None,
            s3_notifications: Default::default(),
        }
    }

    fn run(event: &Value) -> Decoded {
        let prefix = KeyPrefix::parse("incoming/").unwrap();
        decode(event, &context(&prefix))
    }

    fn one(event: &Value) -> Result<Record, DecodeError> {
        let mut decoded = run(event);
        assert_eq!(decoded.len(), 1);
        decoded.remove(0).map_err(|e| e.error)
    }

    fn body(record: &Record) -> &[u8] {
        match &record.payload {
            Payload::Inline(b) => b,
            other => panic!("{other:?}"),
        }
    }

    fn detail(result: Result<Record, DecodeError>) -> String {
        match result {
            Err(DecodeError::Malformed {
                source_name,
                detail,
                ..
            }) => {
                assert_eq!(source_name, "logs");
                detail
            }
            other => panic!("expected a malformed record, got {other:?}"),
        }
    }

    #[test]
    fn log_events_are_ndjson_lines_byte_for_byte() {
        let message = json!({
            "messageType": "DATA_MESSAGE",
            "owner": "123456789012",
            "logGroup": "/aws/lambda/orders",
            "logStream": "s",
            "subscriptionFilters": ["f"],
            "logEvents": [
                { "id": "1", "timestamp": 1764969600123i64, "message": "quote \" tab \t nl \n ü \u{1F600}" },
                { "id": "2", "timestamp": 1764969600124i64, "message": "{\"level\":\"info\"}" },
            ],
        });
        let record = one(&event_of(&gzip(message.to_string().as_bytes()))).unwrap();
        let expected = concat!(
            r#"{"id":"1","timestamp":1764969600123,"message":"quote \" tab \t nl \n ü 😀","owner":"123456789012","logGroup":"/aws/lambda/orders","logStream":"s"}"#,
            "\n",
            r#"{"id":"2","timestamp":1764969600124,"message":"{\"level\":\"info\"}","owner":"123456789012","logGroup":"/aws/lambda/orders","logStream":"s"}"#,
            "\n",
        );
        assert_eq!(std::str::from_utf8(body(&record)).unwrap(), expected);
        assert_eq!(record.content_type.as_deref(), Some(NDJSON));
        assert_eq!(record.metadata["source"], "logs");
        assert_eq!(record.metadata["source-id"], record.id);
        assert_eq!(
            record.metadata["event-time"],
            "2025-12-05T21:20:00.123+00:00"
        );
        assert_eq!(
            record.key.as_str(),
            format!(
                "incoming/logs/123456789012/%2Faws%2Flambda%2Forders/s/{}.ndjson",
                record.id
            )
        );
        // Each line reads back to the log event it came from.
        for (line, event) in expected
            .lines()
            .zip(message["logEvents"].as_array().unwrap())
        {
            let line: Value = serde_json::from_str(line).unwrap();
            assert_eq!(line["message"], event["message"]);
            assert_eq!(line["timestamp"], event["timestamp"]);
        }
    }

    #[test]
    fn the_key_names_the_delivery_by_its_log_event_ids() {
        let key_of = |gzip: &[u8]| one(&event_of(gzip)).unwrap().key;
        let key = |ids: &[&str]| key_of(&gzip(data_message(ids).to_string().as_bytes()));
        // The same delivery, compressed to other bytes: the same key (a redelivery's 412).
        let json = data_message(&["1", "2"]).to_string();
        let mut best = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        best.write_all(json.as_bytes()).unwrap();
        let best = best.finish().unwrap();
        assert_ne!(best, gzip(json.as_bytes()), "other gzip bytes");
        assert_eq!(key_of(&best), key(&["1", "2"]));
        // Other events, other order, a split: other keys.
        assert_ne!(key(&["1", "2"]), key(&["1", "3"]));
        assert_ne!(key(&["1", "2"]), key(&["2", "1"]));
        assert_ne!(key(&["1", "2"]), key(&["1"]));
        assert_ne!(key(&["12"]), key(&["1", "2"]));
    }

    #[test]
    fn a_control_message_writes_nothing() {
        let control = json!({
            "messageType": "CONTROL_MESSAGE",
            "owner": "CloudwatchLogs",
            "logGroup": "",
            "logStream": "",
            "subscriptionFilters": [],
            "logEvents": [{ "id": "", "timestamp": 1432826855123i64,
                            "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose." }],
        });
        assert!(run(&event_of(&gzip(control.to_string().as_bytes()))).is_empty());
    }

    #[test]
    fn a_gzip_bomb_fails_at_the_limit_without_inflating() {
        // 100 MiB of zeros: about 100 KiB of gzip.
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..100 {
            encoder.write_all(&zeros).unwrap();
        }
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < 200 << 10, "{} bytes", bomb.len());
        let started = Instant::now();
        let detail = detail(one(&event_of(&bomb)));
        assert!(
            detail.contains(&format!("more than {LIMIT} bytes"))
                && detail.contains("MAX_BODY_BYTES"),
            "{detail}"
        );
        // Stopping at 1 MiB takes milliseconds; inflating 100 MiB would take far longer.
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        // The bound itself: never more than the limit and one byte.
        let (held, _) = gunzip(&bomb, LIMIT, DIRECT).unwrap_err();
        assert_eq!(held.len(), LIMIT + 1);
    }

    #[test]
    fn names_repeated_on_every_line_cannot_blow_the_object_up() {
        // 600 KiB of JSON: a 64 KiB log group and 8,000 tiny events. As NDJSON, 500 MiB.
        let group = "g".repeat(64 << 10);
        let events: Vec<Value> = (0..8000)
            .map(|n| json!({ "id": n.to_string(), "timestamp": 1, "message": "" }))
            .collect();
        let hostile = json!({ "messageType": "DATA_MESSAGE", "owner": "1", "logGroup": group,
                              "logStream": "s", "logEvents": events });
        let started = Instant::now();
        let detail = detail(one(&event_of(&gzip(hostile.to_string().as_bytes()))));
        assert!(detail.contains("passes 1048576 bytes"), "{detail}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn broken_inputs_are_clear_per_record_failures() {
        let whole = gzip(data_message(&["1"]).to_string().as_bytes());
        let truncated = &whole[..whole.len() / 2];
        assert!(detail(one(&event_of(truncated))).contains("not a whole gzip stream"));
        let mut corrupt = whole.clone();
        let at = corrupt.len() - 6; // the CRC
        corrupt[at] ^= 0xff;
        assert!(detail(one(&event_of(&corrupt))).contains("not a whole gzip stream"));
        assert!(detail(one(&event_of(b"plain, not gzip"))).contains("gzip"));
        let bad_base64 = json!({ "awslogs": { "data": "%%%" } });
        assert!(detail(one(&bad_base64)).contains("not valid base64"));
        assert!(detail(one(&json!({ "awslogs": {} }))).contains("awslogs.data"));
        assert!(detail(one(&event_of(&gzip(b"{not json")))).contains("not a delivery's JSON"));
        let mut other = data_message(&["1"]);
        other["messageType"] = "SOMETHING_ELSE".into();
        assert!(
            detail(one(&event_of(&gzip(other.to_string().as_bytes())))).contains("SOMETHING_ELSE")
        );
        let empty = data_message(&[]);
        assert!(
            detail(one(&event_of(&gzip(empty.to_string().as_bytes()))))
                .contains("without log events")
        );
        let mut negative = data_message(&["1"]);
        negative["logEvents"][0]["timestamp"] = json!(-5);
        assert!(
            detail(one(&event_of(&gzip(negative.to_string().as_bytes())))).contains("timestamp")
        );
    }

    #[test]
    fn kinesis_data_is_a_delivery_only_when_it_is_one() {
        let prefix = KeyPrefix::parse("incoming/").unwrap();
        let cx = context(&prefix);
        let message = data_message(&["1", "2"]).to_string();
        let direct = one(&event_of(&gzip(message.as_bytes()))).unwrap();
        let via_kinesis = in_kinesis_data(&gzip(message.as_bytes()), &cx)
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(via_kinesis, direct, "one delivery, one object, either way");
        // Not gzip, gzip of something else, broken gzip of something else: ordinary records.
        assert!(in_kinesis_data(message.as_bytes(), &cx).is_none());
        assert!(in_kinesis_data(&gzip(br#"{"orderId":1}"#), &cx).is_none());
        assert!(in_kinesis_data(&gzip(b"a,b\n1,2\n")[..10], &cx).is_none());
        // A broken delivery is a failure, not an opaque record.
        let whole = gzip(message.as_bytes());
        let truncated = &whole[..whole.len() - 12];
        match in_kinesis_data(truncated, &cx) {
            Some(Err(DecodeError::Malformed { detail, .. })) => {
                assert!(
                    detail.starts_with("kinesis.data is not a whole gzip stream"),
                    "{detail}"
                )
            }
            other => panic!("{other:?}"),
        }
        let control = json!({"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs",
                             "logGroup": "", "logStream": "", "logEvents": []});
        assert_eq!(
            in_kinesis_data(&gzip(control.to_string().as_bytes()), &cx),
            Some(Ok(None))
        );
    }
}
