//! Turning an invocation's JSON into records to write.
//!
//! [`classify`] recognizes which source sent the event from its shape; each
//! source's module decodes its records with the `aws_lambda_events` types, one
//! record at a time, so a malformed record fails alone and its batch-mates are
//! still written.

pub mod direct;
pub mod eventbridge;
pub mod http;
pub mod s3;
pub mod ses;
pub mod sns;
pub mod sqs;

use std::collections::BTreeMap;

use bytes::Bytes;
use serde_json::Value;

use crate::keys::{KeyError, KeyPrefix, ObjectKey};

/// S3's limit on user-defined metadata (names and values), in bytes.
const MAX_USER_METADATA_BYTES: usize = 2048;
/// The share of that a record's source ID may take (it is ASCII once header-safe).
const MAX_PROVENANCE_ID_BYTES: usize = 1024;

/// What one decoded record asks the writer to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The source's own ID for the record (message ID, event ID, request ID):
    /// what a failure is reported under.
    pub id: String,
    pub key: ObjectKey,
    pub payload: Payload,
    /// `None` for a source object: its own content type is used.
    pub content_type: Option<String>,
    /// User metadata (`x-amz-meta-*`): names lowercase, values printable ASCII.
    pub metadata: BTreeMap<String, String>,
}

/// The bytes to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A body that arrived in the event. `Bytes` so it is moved, not copied, to the PUT.
    Inline(Bytes),
    /// An object in the lambda account to stream across (S3 notification, SES raw mail).
    SourceObject(SourceObject),
}

/// An object to copy from a bucket in the lambda account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceObject {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
}

/// Why a record could not be decoded. Reported under the record's ID; never retried
/// by the function itself (a redelivery will fail the same way, then reach the DLQ).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("malformed {source_name} record: {detail}")]
    Malformed {
        source_name: &'static str,
        detail: String,
    },
    #[error("the body is empty: there is nothing to write")]
    EmptyBody,
    #[error("the body is flagged as base64 but is not valid base64: {0}")]
    InvalidBase64(String),
    #[error("the body is {len} bytes; the limit is {max} (MAX_BODY_BYTES)")]
    TooLarge { len: usize, max: usize },
    #[error("the key {0}")]
    Key(#[from] KeyError),
    #[error("metadata {0}")]
    Metadata(String),
}

/// A record that could not be decoded: its ID when one could be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub id: Option<String>,
    pub error: DecodeError,
}

impl RecordError {
    /// A maker of errors reported under `id`.
    pub(crate) fn under(id: &Option<String>) -> impl Fn(DecodeError) -> RecordError + Copy + '_ {
        move |error| RecordError {
            id: id.clone(),
            error,
        }
    }
}

/// The non-empty string at `pointer` in a raw record. A record's ID is read
/// before its typed decode, so even a record that fails to decode is reported under it.
pub(crate) fn id_at(raw: &Value, pointer: &str) -> Option<String> {
    raw.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Decoded records of one invocation, in event order.
pub type Decoded = Vec<Result<Record, RecordError>>;

/// What the decoders need to know besides the event.
#[derive(Debug, Clone)]
pub struct DecodeContext<'a> {
    pub prefix: &'a KeyPrefix,
    pub max_body_bytes: usize,
    /// The invocation's request ID (keys of direct invocations).
    pub request_id: &'a str,
    /// Where SES raw mail is, when a receipt rule stores it in S3 before invoking us.
    pub ses_raw_mail: Option<&'a crate::config::SesRawMail>,
}

/// The kinds of event the function accepts.
#[derive(Debug)]
pub enum Incoming {
    Sqs(Value),
    Sns(Value),
    S3(Value),
    /// `s3:TestEvent`, sent once when a notification configuration is saved.
    S3Test,
    Ses(Value),
    EventBridge(Value),
    Http(Value),
    Direct(Value),
    Action(String),
}

/// The event matched none of the accepted shapes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unsupported event ({found}). Accepted: an SQS batch, an SNS notification, an EventBridge event, \
     an S3 ObjectCreated notification, an SES receipt (Lambda action), an API Gateway HTTP API v2 / \
     REST v1 / Function URL request, a direct invocation {{\"key\"?, \"body\" | \"body_base64\", \
     \"content_type\"?, \"metadata\"?}} or {{\"objects\": [...]}}, or {{\"action\": \"whoami\"}}"
)]
pub struct UnsupportedEvent {
    pub found: String,
}

/// Recognizes the source of an event from its shape.
pub fn classify(event: Value) -> Result<Incoming, UnsupportedEvent> {
    let Value::Object(map) = &event else {
        return Err(UnsupportedEvent {
            found: format!("a JSON {}", json_kind(&event)),
        });
    };
    if let Some(Value::Array(records)) = map.get("Records") {
        let source = records
            .first()
            .and_then(|r| r.get("eventSource").or_else(|| r.get("EventSource")));
        return match source.and_then(Value::as_str) {
            Some("aws:sqs") => Ok(Incoming::Sqs(event)),
            Some("aws:sns") => Ok(Incoming::Sns(event)),
            Some("aws:s3") => Ok(Incoming::S3(event)),
            Some("aws:ses") => Ok(Incoming::Ses(event)),
            Some(other) => Err(UnsupportedEvent {
                found: format!("Records from event source {other:?}"),
            }),
            None if records.is_empty() => Err(UnsupportedEvent {
                found: "an empty Records list".into(),
            }),
            None => Err(UnsupportedEvent {
                found: "Records without an eventSource".into(),
            }),
        };
    }
    if map.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Incoming::S3Test);
    }
    if map.contains_key("detail-type") && map.contains_key("source") {
        return Ok(Incoming::EventBridge(event));
    }
    if map.contains_key("requestContext")
        && (map.contains_key("httpMethod") || map.contains_key("rawPath"))
    {
        return Ok(Incoming::Http(event));
    }
    if let Some(action) = map.get("action") {
        return match action.as_str() {
            Some(a) => Ok(Incoming::Action(a.to_owned())),
            None => Err(UnsupportedEvent {
                found: "an \"action\" that is not a string".into(),
            }),
        };
    }
    if ["body", "body_base64", "objects"]
        .iter()
        .any(|k| map.contains_key(*k))
    {
        return Ok(Incoming::Direct(event));
    }
    let mut fields: Vec<&str> = map.keys().map(String::as_str).take(8).collect();
    fields.sort_unstable();
    Err(UnsupportedEvent {
        found: format!("an object with fields {fields:?}"),
    })
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
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
    if bytes.len() > max {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            max,
        });
    }
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
pub(crate) fn provenance(
    source: &str,
    source_id: &str,
    event_time: Option<&str>,
) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert("source".to_owned(), header_safe(source));
    // A source ID can be a 1 KiB S3 key; keep the whole within S3's 2 KiB of metadata.
    let mut id = header_safe(source_id);
    id.truncate(MAX_PROVENANCE_ID_BYTES);
    m.insert("source-id".to_owned(), id);
    if let Some(t) = event_time {
        m.insert("event-time".to_owned(), header_safe(t));
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

/// The last `:`-separated part of an ARN (a queue's or a topic's name).
pub(crate) fn arn_name(arn: &str) -> Option<&str> {
    arn.rsplit(':')
        .next()
        .filter(|n| !n.is_empty() && *n != arn)
}

/// A typed decode of one JSON value, with the serde message as the detail.
pub(crate) fn decode_as<T: serde::de::DeserializeOwned>(
    source_name: &'static str,
    value: Value,
) -> Result<T, DecodeError> {
    serde_json::from_value(value).map_err(|e| DecodeError::Malformed {
        source_name,
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classifies_each_source_by_shape() {
        let cases = [
            (json!({"Records": [{"eventSource": "aws:sqs"}]}), "Sqs"),
            (json!({"Records": [{"EventSource": "aws:sns"}]}), "Sns"),
            (json!({"Records": [{"eventSource": "aws:s3"}]}), "S3"),
            (json!({"Records": [{"eventSource": "aws:ses"}]}), "Ses"),
            (json!({"Event": "s3:TestEvent"}), "S3Test"),
            (
                json!({"detail-type": "x", "source": "y", "detail": {}}),
                "EventBridge",
            ),
            (json!({"requestContext": {}, "rawPath": "/"}), "Http"),
            (json!({"requestContext": {}, "httpMethod": "POST"}), "Http"),
            (json!({"action": "whoami"}), "Action"),
            (json!({"body": "x"}), "Direct"),
            (json!({"objects": []}), "Direct"),
        ];
        for (event, expected) in cases {
            let got = format!("{:?}", classify(event.clone()).unwrap());
            assert!(got.starts_with(expected), "{event} → {got}");
        }
    }

    #[test]
    fn unknown_shapes_are_refused_with_the_accepted_list() {
        for event in [
            json!([1]),
            json!({"foo": 1}),
            json!({"Records": []}),
            json!({"Records": [{"eventSource": "aws:kinesis"}]}),
        ] {
            let err = classify(event).unwrap_err().to_string();
            assert!(err.contains("Accepted: an SQS batch"), "{err}");
        }
    }

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

    #[test]
    fn metadata_is_header_safe_and_bounded() {
        let mut m = provenance("sqs", "id\n1", Some("2026-11-22T00:00:00Z"));
        assert_eq!(m["source-id"], "id%0A1");
        let user: BTreeMap<String, String> = [("Team".to_owned(), "ünï".to_owned())].into();
        add_user_metadata(&mut m, &user).unwrap();
        assert_eq!(m["team"], "%C3%BCn%C3%AF");
        let bad: BTreeMap<String, String> = [("a b".to_owned(), "x".to_owned())].into();
        assert!(add_user_metadata(&mut m, &bad).is_err());
        let big: BTreeMap<String, String> = [("big".to_owned(), "x".repeat(3000))].into();
        assert!(add_user_metadata(&mut m, &big).is_err());
    }

    #[test]
    fn arn_names() {
        assert_eq!(
            arn_name("arn:aws:sqs:us-east-1:111111111111:orders"),
            Some("orders")
        );
        assert_eq!(arn_name("orders"), None);
    }
}
