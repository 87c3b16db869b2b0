//! Turning an invocation's JSON into records to write, and the results into
//! the answer its source expects.
//!
//! [`decode`] is the one entry point the handler and the tests share: it
//! recognizes the source from the event's shape ([`classify`]), lets that
//! source's module decode its records (with the `aws_lambda_events` types, one
//! record at a time, so a malformed record fails alone), and returns them with
//! the source's [`Reply`], which turns the ordered outcomes into its answer
//! (SQS or stream `batchItemFailures`, an HTTP response, a summary, or an error).
//!
//! The invocation arrives as raw JSON: sources whose object is JSON from the
//! event itself (EventBridge, SES, DynamoDB Streams, direct JSON bodies) store exactly the bytes
//! that arrived, never a re-serialization (which would re-order keys and turn
//! big integers into floats).
//!
//! `classify.rs` recognizes the shape, `reply.rs` makes the answers, one file
//! per source decodes, each record through `decoding.rs` (its ID, failures,
//! "malformed", key and provenance); this file holds `decode` and the small
//! helpers the decoders share.

mod classify;
mod decoding;
pub mod kpl;
mod reply;
mod s3_carried;

pub use classify::{Kind, UnsupportedEvent, classify};
pub use reply::{RecordsFailed, Reply};

use std::collections::BTreeMap;

use bytes::Bytes;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::config::{S3Notifications, SesRawMail};
use crate::keys::KeyPrefix;
pub use crate::record::{
    DecodeError, Decoded, Failure, Outcome, Payload, Record, RecordError, SourceObject, Written,
    provenance,
};
use crate::source::{Answer, Source};

/// A source's decoder: the invocation as it arrived (`raw`, for sources that
/// store it byte for byte) and parsed (`event`), to its records in event order.
pub(crate) type Decoder = fn(&RawValue, Value, &DecodeContext<'_>) -> Decoded;

/// Declares each source's decoder module (its `DECODER`) and the one dispatch
/// keyed by [`Source`]: a new source is one line here. The match is
/// exhaustive, so a row of the source table without a decoder does not compile.
macro_rules! decoders {
    ($($source:ident => $module:ident),* $(,)?) => {
        $(pub mod $module;)*

        fn decoder(source: Source) -> Decoder {
            match source {
                $(Source::$source => $module::DECODER,)*
            }
        }
    };
}

decoders! {
    Sqs => sqs,
    Sns => sns,
    EventBridge => eventbridge,
    S3 => s3,
    Ses => ses,
    Http => http,
    Direct => direct,
    Kinesis => kinesis,
    DynamoDb => dynamodb,
    Kafka => kafka,
    CloudWatchLogs => cloudwatch_logs,
    S3Batch => batch_operations,
}

/// S3's limit on user-defined metadata (names and values), in bytes.
const MAX_USER_METADATA_BYTES: usize = 2048;
/// The share of that a record's source ID may take (it is ASCII once header-safe).
const MAX_PROVENANCE_ID_BYTES: usize = 1024;

/// The unit of a numeric timestamp field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeUnit {
    Seconds,
    Milliseconds,
}

/// Reads the numeric timestamp at `pointer` (a number, or a numeric string)
/// before the typed decode, and leaves whole units there for it: the
/// `aws_lambda_events` decoders of these fields panic on input (a fraction of
/// 14+ digits overflows, a fractional millisecond fails an `assert`) and read
/// `1.5` s as 1.005 s. Absent: `None`. Not a number, negative, past year 9999
/// or a fractional millisecond: the record is malformed.
pub(crate) fn take_timestamp(
    raw: &mut Value,
    pointer: &str,
    unit: TimeUnit,
    source_name: &'static str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, DecodeError> {
    const MAX_MS: f64 = 253_402_300_799_999.0; // 9999-12-31T23:59:59.999Z
    let bad = |why: &str| DecodeError::malformed(source_name, format!("{pointer} {why}"));
    // Every object on the way must be one: serde also reads a struct from an
    // array, by position, which would hand the typed decoder this field unchecked.
    let mut at = &*raw;
    for name in pointer.split('/').skip(1) {
        let Value::Object(fields) = at else {
            return Err(bad("is inside something that is not a JSON object"));
        };
        match fields.get(name) {
            Some(next) => at = next,
            None => return Ok(None),
        }
    }
    let Some(field) = raw.pointer_mut(pointer) else {
        return Ok(None);
    };
    let value = match &*field {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let ms = value.map(|v| match unit {
        TimeUnit::Seconds => (v * 1000.0).round(),
        TimeUnit::Milliseconds => v,
    });
    let ms = match ms {
        Some(ms) if ms.is_finite() && (0.0..=MAX_MS).contains(&ms) => ms,
        Some(_) => return Err(bad("is out of range")),
        None => return Err(bad("is not a number")),
    };
    if ms.fract() != 0.0 {
        return Err(bad("has a fraction of a millisecond"));
    }
    let ms = ms as i64;
    *field = match unit {
        TimeUnit::Seconds => Value::from(ms / 1000),
        TimeUnit::Milliseconds => Value::from(ms),
    };
    Ok(chrono::DateTime::from_timestamp_millis(ms))
}

/// The non-empty string at `pointer` in a raw record. A record's ID is read
/// before its typed decode, so even a record that fails to decode is reported under it.
pub(crate) fn id_at(raw: &Value, pointer: &str) -> Option<String> {
    raw.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// What the decoders need to know besides the event.
#[derive(Debug, Clone)]
pub struct DecodeContext<'a> {
    pub prefix: &'a KeyPrefix,
    pub max_body_bytes: usize,
    /// The invocation's request ID (keys of direct invocations).
    pub request_id: &'a str,
    /// Where SES raw mail is, when a receipt rule stores it in S3 before invoking us.
    pub ses_raw_mail: Option<&'a SesRawMail>,
    /// What an S3 notification in an SQS or SNS message, or an EventBridge
    /// `aws.s3` event, becomes (`S3_NOTIFICATIONS_IN_MESSAGES`).
    pub s3_notifications: S3Notifications,
}

/// What an invocation asks for.
#[derive(Debug)]
pub enum Request {
    /// Records to write, and how to answer once they are written.
    Write {
        kind: Kind,
        records: Decoded,
        reply: Reply,
        /// Per decoded record (`records[n]`), the SQS FIFO message group it
        /// keeps its order in (`crate::order`); empty for every other source.
        /// A message carrying an S3 notification decodes to 0..N records,
        /// each of them in its message's group.
        message_groups: Vec<Option<String>>,
    },
    /// Nothing to write; this is the answer (`s3:TestEvent`).
    Ignore(Value),
    /// `{"action": ...}`.
    Action(String),
}

impl Request {
    /// The source's name, as metrics and logs give it.
    pub fn source(&self) -> &'static str {
        match self {
            Self::Write { kind, .. } => kind.as_str(),
            Self::Ignore(_) => Kind::S3Test.as_str(),
            Self::Action(_) => Kind::Action.as_str(),
        }
    }
}

/// Decodes an invocation: which source, its records, and how to answer.
pub fn decode(raw: &RawValue, cx: &DecodeContext<'_>) -> Result<Request, UnsupportedEvent> {
    let event: Value = serde_json::from_str(raw.get()).map_err(|e| UnsupportedEvent {
        found: format!("invalid JSON ({e})"),
    })?;
    let kind = classify(&event)?;
    let source = match kind {
        Kind::S3Test => {
            return Ok(Request::Ignore(
                serde_json::json!({ "ignored": "s3:TestEvent" }),
            ));
        }
        Kind::Action => {
            let action = event
                .get("action")
                .and_then(Value::as_str)
                .unwrap_or_default();
            return Ok(Request::Action(action.to_owned()));
        }
        Kind::Source(source) => source,
    };
    let reply = match source.answer() {
        Answer::Sqs => Reply::Sqs,
        Answer::Streams => Reply::Streams,
        Answer::AllOrError => Reply::AllOrError,
        Answer::Http => Reply::Http(http::flavor_of(&event)),
        Answer::Direct => Reply::Direct,
        Answer::BatchOperations => Reply::BatchOperations(batch_operations::job_of(&event)),
    };
    let (records, message_groups) = match source {
        Source::Sqs => sqs::decode_grouped(event, cx),
        _ => (decoder(source)(raw, event, cx), Vec::new()),
    };
    Ok(Request::Write {
        kind,
        records,
        reply,
        message_groups,
    })
}

/// Splits a `Records` event into its records, so each decodes on its own.
pub(crate) fn records_of(event: Value) -> Vec<Value> {
    match event {
        Value::Object(mut map) => match map.remove("Records") {
            Some(Value::Array(records)) => records,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The `Records` of an event as they arrived, to store records byte for byte;
/// empty when the event has no such array. Index `n` is `records_of`'s `n`.
pub(crate) fn raw_records(raw: &RawValue) -> Vec<&RawValue> {
    #[derive(serde::Deserialize)]
    struct RawRecords<'a> {
        #[serde(rename = "Records", borrow)]
        records: Vec<&'a RawValue>,
    }
    serde_json::from_str::<RawRecords<'_>>(raw.get())
        .map(|r| r.records)
        .unwrap_or_default()
}

/// A body of `len` bytes is refused over `max` (MAX_BODY_BYTES).
pub(crate) fn within_limit(len: usize, max: usize) -> Result<(), DecodeError> {
    if len > max {
        return Err(DecodeError::TooLarge { len, max });
    }
    Ok(())
}

/// A body that arrived in an event, bounded and optionally base64.
pub(crate) fn inline_body(
    body: Option<String>,
    base64: bool,
    max: usize,
) -> Result<Bytes, DecodeError> {
    let body = body.unwrap_or_default();
    let bytes = if base64 {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .map_err(|e| DecodeError::InvalidBase64(e.to_string()))?
    } else {
        body.into_bytes()
    };
    if bytes.is_empty() {
        return Err(DecodeError::EmptyBody);
    }
    within_limit(bytes.len(), max)?;
    Ok(Bytes::from(bytes))
}

/// The source's own content type when it has one, else JSON for a JSON object
/// or array, else octet-stream.
pub(crate) fn content_type_for(given: Option<&str>, body: &[u8]) -> String {
    if let Some(ct) = given
        .map(str::trim)
        .filter(|ct| !ct.is_empty() && ct.is_ascii() && !ct.chars().any(char::is_control))
    {
        return ct.to_owned();
    }
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let looks_like_json = matches!(first, Some(b'{') | Some(b'['));
    if looks_like_json && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
        "application/json".to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

/// The metadata every object carries: where it came from, its ID there, and when.
pub(crate) fn provenance_of(
    source: &str,
    source_id: &str,
    event_time: Option<&str>,
) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert(provenance::SOURCE.to_owned(), header_safe(source));
    // A source ID can be a 1 KiB S3 key; keep the whole within S3's 2 KiB of metadata.
    let mut id = header_safe(source_id);
    id.truncate(MAX_PROVENANCE_ID_BYTES);
    m.insert(provenance::SOURCE_ID.to_owned(), id);
    if let Some(t) = event_time {
        m.insert(provenance::EVENT_TIME.to_owned(), header_safe(t));
    }
    m
}

/// Adds caller-given metadata after checking names and size, keeping values
/// sendable as HTTP header values.
pub(crate) fn add_user_metadata(
    metadata: &mut BTreeMap<String, String>,
    user: &BTreeMap<String, String>,
) -> Result<(), DecodeError> {
    for (name, value) in user {
        let name = name.to_ascii_lowercase();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(DecodeError::Metadata(format!(
                "name {name:?} is not allowed: use letters, digits, '-' and '_'"
            )));
        }
        if provenance::is_reserved(&name) {
            return Err(DecodeError::Metadata(format!(
                "name {name:?} is reserved: the function records where an object came from \
                 (source, source-*, event-time, content-sha256)"
            )));
        }
        metadata.insert(name, header_safe(value));
    }
    let size: usize = metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_USER_METADATA_BYTES {
        return Err(DecodeError::Metadata(format!(
            "is {size} bytes; S3 allows {MAX_USER_METADATA_BYTES} bytes of user metadata"
        )));
    }
    Ok(())
}

/// Printable ASCII stays; anything else is percent-encoded, so a value is
/// always a valid header and round-trips unambiguously.
pub(crate) fn header_safe(value: &str) -> String {
    const UNSAFE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'%');
    percent_encoding::utf8_percent_encode(value, UNSAFE).to_string()
}

/// A typed decode of one JSON value; a failure names the field it is about
/// (`requestContext.httpMethod`), with serde's message as the detail.
pub(crate) fn decode_as<T: serde::de::DeserializeOwned>(
    source_name: &'static str,
    value: Value,
) -> Result<T, DecodeError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let detail = e.into_inner().to_string();
        // A missing field is reported at the object that lacks it: name the field itself.
        let (path, detail) = match missing_field(&detail) {
            Some(field) if path == "." => (field.to_owned(), "missing".to_owned()),
            Some(field) => (format!("{path}.{field}"), "missing".to_owned()),
            None if path == "." => return DecodeError::malformed(source_name, detail),
            None => (path, detail),
        };
        DecodeError::malformed_at(source_name, path, detail)
    })
}

/// The field of serde's "missing field `name`" message (`serde::de::Error::missing_field`).
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")?
        .strip_suffix('`')
        .filter(|f| !f.contains('`'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_the_typed_decoders_would_panic_on_are_read_here() {
        let at = |v: Value, unit| {
            let mut raw = json!({ "t": v });
            take_timestamp(&mut raw, "/t", unit, "kinesis")
                .map(|t| (t.map(|t| t.to_rfc3339()), raw["t"].clone()))
        };
        // A long fraction (overflowed aws_lambda_events) and `1.5` s (which it read as 1.005 s).
        assert_eq!(
            at(
                serde_json::from_str("1428537600.12345678901234").unwrap(),
                TimeUnit::Seconds,
            ),
            Ok((
                Some("2015-04-09T00:00:00.123+00:00".into()),
                json!(1428537600)
            ))
        );
        assert_eq!(
            at(json!("1.5"), TimeUnit::Seconds),
            Ok((Some("1970-01-01T00:00:01.500+00:00".into()), json!(1)))
        );
        assert_eq!(
            at(json!(1763800000123u64), TimeUnit::Milliseconds),
            Ok((
                Some("2025-11-22T08:26:40.123+00:00".into()),
                json!(1763800000123u64)
            ))
        );
        // A fractional millisecond (failed an assert there), negative, huge, not a number.
        for (v, unit) in [
            (json!(1.5), TimeUnit::Milliseconds),
            (json!(-1), TimeUnit::Seconds),
            (json!(1e300), TimeUnit::Seconds),
            (json!("soon"), TimeUnit::Milliseconds),
            (json!(true), TimeUnit::Seconds),
        ] {
            assert!(
                matches!(at(v.clone(), unit), Err(DecodeError::Malformed { .. })),
                "{v}"
            );
        }
        // A record, or the object holding the field, given as an array: serde would read it
        // by position, and the typed decoder would get the field unchecked.
        let mut positional = json!([6.6e-309]);
        assert!(take_timestamp(&mut positional, "/t", TimeUnit::Seconds, "kinesis").is_err());
        let mut nested = json!({ "k": [6.6e-309] });
        assert!(take_timestamp(&mut nested, "/k/t", TimeUnit::Seconds, "kinesis").is_err());
        let mut absent = json!({});
        assert_eq!(
            take_timestamp(&mut absent, "/t", TimeUnit::Seconds, "kinesis"),
            Ok(None)
        );
    }
    use serde_json::json;

    #[test]
    fn content_types() {
        assert_eq!(content_type_for(Some("text/csv"), b"a,b"), "text/csv");
        assert_eq!(content_type_for(None, b" {\"a\": 1}"), "application/json");
        assert_eq!(content_type_for(None, b"[1,2"), "application/octet-stream");
        assert_eq!(content_type_for(None, b"hello"), "application/octet-stream");
        assert_eq!(
            content_type_for(Some("bad\nvalue"), b"x"),
            "application/octet-stream"
        );
    }

    #[test]
    fn inline_bodies() {
        assert_eq!(
            inline_body(Some("aGk=".into()), true, 10).unwrap(),
            Bytes::from_static(b"hi")
        );
        assert_eq!(
            inline_body(Some("hi".into()), false, 10).unwrap(),
            Bytes::from_static(b"hi")
        );
        assert_eq!(inline_body(None, false, 10), Err(DecodeError::EmptyBody));
        assert!(matches!(
            inline_body(Some("%%%".into()), true, 10),
            Err(DecodeError::InvalidBase64(_))
        ));
        assert_eq!(
            inline_body(Some("x".repeat(11)), false, 10),
            Err(DecodeError::TooLarge { len: 11, max: 10 })
        );
    }

    fn decoded(event: Value) -> Decoded {
        let prefix = KeyPrefix::parse("p/").unwrap();
        let cx = DecodeContext {
            prefix: &prefix,
            max_body_bytes: 1 << 20,
            request_id: "req-1",
            ses_raw_mail: None,
            s3_notifications: Default::default(),
        };
        let raw = serde_json::value::to_raw_value(&event).unwrap();
        match decode(&raw, &cx).unwrap() {
            Request::Write { records, .. } => records,
            other => panic!("{other:?}"),
        }
    }

    fn malformed_path(outcome: &Result<Record, RecordError>) -> (Option<String>, String) {
        match outcome {
            Err(RecordError {
                error: DecodeError::Malformed { path, detail, .. },
                ..
            }) => (path.as_ref().map(|p| p.as_str().to_owned()), detail.clone()),
            other => panic!("not malformed: {other:?}"),
        }
    }

    /// A typed decode's failure names the field, under the record's place in
    /// its event: `Records[1].kinesis.data`, not "invalid base64".
    #[test]
    fn decode_errors_name_the_field_path_under_the_record_index() {
        let kinesis = |data: &str, n: u32| {
            json!({"eventSource": "aws:kinesis", "eventID": format!("shardId-0:{n}"),
                "eventSourceARN": "arn:aws:kinesis:us-east-1:111111111111:stream/s",
                "kinesis": {"data": data, "sequenceNumber": n.to_string(), "partitionKey": "p",
                    "approximateArrivalTimestamp": 1.5, "kinesisSchemaVersion": "1.0"}})
        };
        let records = decoded(json!({"Records": [kinesis("aGk=", 1), kinesis("!!not base64", 2)]}));
        assert!(records[0].is_ok(), "{:?}", records[0]);
        let (path, _) = malformed_path(&records[1]);
        assert_eq!(path.as_deref(), Some("Records[1].kinesis.data"));
        let err = records[1].as_ref().unwrap_err().error.to_string();
        assert!(
            err.starts_with("malformed kinesis record: Records[1].kinesis.data: "),
            "{err}"
        );

        // SQS: a missing field is named at its own path, not at the object lacking it.
        let message = json!({"eventSource": "aws:sqs", "messageId": "m1", "body": "x",
            "eventSourceARN": "arn:aws:sqs:us-east-1:111111111111:q",
            "messageAttributes": {"a": {"dataType": "String", "binaryValue": "%%"}}});
        let records = decoded(json!({"Records": [message.clone(), message]}));
        let (path, _) = malformed_path(&records[1]);
        assert_eq!(
            path.as_deref(),
            Some("Records[1].messageAttributes.a.binaryValue")
        );

        // HTTP (REST v1): one request, no record index; the missing field itself is named.
        let records = decoded(json!({"httpMethod": "POST", "body": "x",
            "requestContext": {"requestId": "r1"}}));
        let (path, detail) = malformed_path(&records[0]);
        assert_eq!(
            (path.as_deref(), detail.as_str()),
            (Some("requestContext.httpMethod"), "missing")
        );
    }

    #[test]
    fn serdes_missing_field_message_is_read_exactly() {
        assert_eq!(
            missing_field("missing field `httpMethod`"),
            Some("httpMethod")
        );
        assert_eq!(missing_field("invalid type: null"), None);
        assert_eq!(missing_field("missing field `a` and `b`"), None);
    }

    #[test]
    fn metadata_is_header_safe_and_bounded() {
        let mut m = provenance_of("sqs", "id\n1", Some("2026-11-22T00:00:00Z"));
        assert_eq!(m["source-id"], "id%0A1");
        let user: BTreeMap<String, String> = [("Team".to_owned(), "ünï".to_owned())].into();
        add_user_metadata(&mut m, &user).unwrap();
        assert_eq!(m["team"], "%C3%BCn%C3%AF");
        let bad: BTreeMap<String, String> = [("a b".to_owned(), "x".to_owned())].into();
        assert!(add_user_metadata(&mut m, &bad).is_err());
        let big: BTreeMap<String, String> = [("big".to_owned(), "x".repeat(3000))].into();
        assert!(add_user_metadata(&mut m, &big).is_err());
        for forged in [
            "source",
            "Source-Id",
            "event-time",
            "source-sequencer",
            "content-sha256",
        ] {
            let user: BTreeMap<String, String> = [(forged.to_owned(), "s3".to_owned())].into();
            let err = add_user_metadata(&mut m, &user).unwrap_err();
            assert!(err.to_string().contains("reserved"), "{forged}: {err}");
        }
        assert_eq!(m["source"], "sqs", "provenance untouched");
    }
}
