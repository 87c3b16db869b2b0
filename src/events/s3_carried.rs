//! S3 notifications that arrive through another service: an SQS message whose
//! body is the notification (S3 → SQS, or S3 → SNS → SQS with raw delivery), an
//! SQS message whose body is an SNS envelope holding it (S3 → SNS → SQS without
//! raw delivery), an SNS notification whose `Message` is it (S3 → SNS), and an
//! EventBridge `aws.s3` event.
//!
//! With `S3_NOTIFICATIONS_IN_MESSAGES=copy` (the default) each is copied
//! exactly as a direct S3 notification is (`super::s3`): the same key, version,
//! sequencer order and provenance, so the same object arriving by two paths
//! lands once. What the carrier answers stays its own: each copy is reported
//! under the carrier's ID (the SQS message ID, the SNS message ID, the
//! EventBridge event ID), so a message holding several records fails as a
//! whole when any of its copies fails. `s3:TestEvent`, and every record that
//! is not a creation, write nothing. With `store` none of this applies: the
//! message or event is stored as any other.
//!
//! Keys: S3 URL-encodes the object key of the notification it sends to SQS,
//! SNS and Lambda (the same JSON whatever the path), and it is decoded here as
//! for a direct notification. The EventBridge event's `detail.object.key` is
//! taken as it is: AWS's EventBridge message structure page does not say it is
//! encoded (its notification structure page says so of the notification).

use serde::Deserialize;
use serde_json::Value;

use super::decoding::Decoding;
use super::s3::{self, Created};
use super::{DecodeContext, Decoded, Record, RecordError};
use crate::source::Source;

/// An S3 notification found in a message.
#[derive(Debug, PartialEq)]
pub(crate) enum Carried {
    /// The notification's `Records`.
    Notification(Vec<Value>),
    /// `s3:TestEvent`, sent once when the notification configuration is saved.
    Test,
}

/// The S3 notification a message's text holds, if it holds one: the
/// notification JSON itself or, when `envelope`, an SNS notification envelope
/// (`"Type": "Notification"`) whose `Message` is it.
pub(crate) fn in_text(text: &str, envelope: bool) -> Option<Carried> {
    // Only texts that can be one are parsed, so other messages cost a scan.
    if !(text.contains("aws:s3") || text.contains("s3:TestEvent")) {
        return None;
    }
    let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    if map.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Some(Carried::Test);
    }
    if envelope
        && map.get("Type").and_then(Value::as_str) == Some("Notification")
        && map.contains_key("TopicArn")
    {
        return match map.remove("Message") {
            Some(Value::String(message)) => in_text(&message, false),
            _ => None,
        };
    }
    match map.remove("Records") {
        Some(Value::Array(records))
            if records
                .first()
                .and_then(|r| r.get("eventSource"))
                .and_then(Value::as_str)
                == Some("aws:s3") =>
        {
            Some(Carried::Notification(records))
        }
        _ => None,
    }
}

/// The copies a carried notification asks for, each reported under
/// `carrier_id` (and logged `via` the carrier).
pub(crate) fn copies(
    carried: Carried,
    carrier_id: &str,
    via: &'static str,
    cx: &DecodeContext<'_>,
) -> Decoded {
    match carried {
        Carried::Test => {
            tracing::info!(via, id = carrier_id, "s3:TestEvent: nothing to write");
            Vec::new()
        }
        Carried::Notification(records) => s3::creations(records, via, cx)
            .into_iter()
            .map(|item| under(item, carrier_id))
            .collect(),
    }
}

/// A copy reported under its carrier's ID (what its answer names).
fn under(item: Result<Record, RecordError>, carrier_id: &str) -> Result<Record, RecordError> {
    match item {
        Ok(mut record) => {
            record.id = carrier_id.to_owned();
            Ok(record)
        }
        Err(mut error) => {
            error.id = Some(carrier_id.to_owned());
            Err(error)
        }
    }
}

/// The EventBridge `detail-type` of a created object.
pub(crate) const OBJECT_CREATED: &str = "Object Created";

/// What an EventBridge `aws.s3` event writes: an `Object Created` event, the
/// copy of its object; any other (`Object Deleted`, restores, tagging, ...), nothing.
pub(crate) fn eventbridge(event: Value, cx: &DecodeContext<'_>) -> Decoded {
    let event_id = super::id_at(&event, "/id");
    let detail_type = event.get("detail-type").and_then(Value::as_str);
    if detail_type != Some(OBJECT_CREATED) {
        tracing::info!(
            skipped = 1,
            via = "eventbridge",
            detail_type = detail_type.unwrap_or("(none)"),
            "S3 events other than Object Created write nothing"
        );
        return Vec::new();
    }
    let item = eventbridge_copy(event, cx);
    vec![match event_id {
        Some(id) => under(item, &id),
        None => {
            item.and_then(|_| Err(Decoding::new(Source::EventBridge, None, cx).malformed("no id")))
        }
    }]
}

/// An `Object Created` event's `detail`, as S3 sends it to EventBridge.
#[derive(Deserialize)]
struct Detail {
    bucket: DetailBucket,
    object: DetailObject,
}

#[derive(Deserialize)]
struct DetailBucket {
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct DetailObject {
    key: Option<String>,
    version_id: Option<String>,
    etag: Option<String>,
    sequencer: Option<String>,
}

fn eventbridge_copy(mut event: Value, cx: &DecodeContext<'_>) -> Result<Record, RecordError> {
    let raw_id = || -> Option<String> {
        let bucket = event.pointer("/detail/bucket/name")?.as_str()?;
        let key = event.pointer("/detail/object/key")?.as_str()?;
        Some(format!("{bucket}/{key}"))
    };
    let d = Decoding::new(Source::S3, raw_id(), cx);
    let time = event
        .get("time")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc).to_rfc3339());
    let detail: Detail = match event.get_mut("detail") {
        Some(detail) => d.typed(detail.take())?,
        None => return Err(d.malformed("no detail")),
    };
    s3::copy(
        &d,
        Created {
            bucket: detail.bucket.name,
            key: detail.object.key,
            version_id: detail.object.version_id,
            etag: detail.object.etag,
            sequencer: detail.object.sequencer,
            event_time: time,
        },
    )
}

/// What the tests of the carrying decoders share.
#[cfg(test)]
pub(crate) mod test_support {
    use serde_json::{Value, json};

    use crate::events::DecodeContext;

    /// An `ObjectCreated:Put` record of bucket `src`, as S3 sends it.
    pub fn s3_record(key: &str, sequencer: &str) -> Value {
        json!({
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventName": "ObjectCreated:Put", "eventTime": "2026-11-22T08:02:00.000Z",
            "userIdentity": {"principalId": "AWS:X"},
            "requestParameters": {"sourceIPAddress": "203.0.113.1"},
            "responseElements": {},
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "c",
                "bucket": {"name": "src", "ownerIdentity": {"principalId": "A"}, "arn": "arn:aws:s3:::src"},
                "object": {"key": key, "size": 1, "eTag": "e", "sequencer": sequencer}}
        })
    }

    /// `f` with a context of prefix `in/` that copies carried notifications.
    pub fn with_context<R>(f: impl FnOnce(&DecodeContext<'_>) -> R) -> R {
        let prefix = crate::keys::KeyPrefix::parse("in/").unwrap();
        f(&DecodeContext {
            prefix: &prefix,
            max_body_bytes: 1 << 20,
            request_id: "r",
            ses_raw_mail: None,
            s3_notifications: crate::config::S3Notifications::Copy,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{s3_record, with_context};
    use super::*;
    use serde_json::json;

    fn notification(key: &str) -> Value {
        json!({ "Records": [s3_record(key, "0A")] })
    }

    #[test]
    fn a_notification_is_found_bare_or_in_an_sns_envelope_only_where_allowed() {
        let bare = notification("a").to_string();
        assert!(matches!(
            in_text(&bare, true),
            Some(Carried::Notification(r)) if r.len() == 1
        ));
        let envelope = json!({
            "Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:us-east-1:1:t",
            "Message": bare
        })
        .to_string();
        assert!(matches!(
            in_text(&envelope, true),
            Some(Carried::Notification(_))
        ));
        // An SNS notification's Message is never itself unwrapped as an envelope.
        assert_eq!(in_text(&envelope, false), None);
        let test = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "src"});
        assert_eq!(in_text(&test.to_string(), true), Some(Carried::Test));
        // Other messages, even ones naming aws:s3, are not notifications.
        for other in [
            r#"{"note": "aws:s3"}"#.to_owned(),
            r#"{"Records": [{"eventSource": "aws:sqs"}], "x": "aws:s3"}"#.to_owned(),
            "aws:s3 plain text".to_owned(),
            json!({"Type": "Notification", "TopicArn": "t", "Message": "aws:s3 hi"}).to_string(),
        ] {
            assert_eq!(in_text(&other, true), None, "{other}");
        }
    }

    #[test]
    fn a_carried_copy_is_reported_under_its_carrier() {
        with_context(carried_copies_are_reported_under_their_carrier);
    }

    fn carried_copies_are_reported_under_their_carrier(cx: &DecodeContext<'_>) {
        let Some(carried) = in_text(&notification("a+b%C3%A9").to_string(), true) else {
            panic!("not found")
        };
        let copies = copies(carried, "msg-1", "sqs", cx);
        let record = copies[0].as_ref().unwrap();
        assert_eq!(record.id, "msg-1");
        assert_eq!(record.key.as_str(), "in/s3/src/a bé");
        assert_eq!(record.metadata["source"], "s3");
        assert_eq!(record.metadata["source-id"], "src/a b%C3%A9");
        // A bad record fails under the carrier too.
        let mut bad = notification("k");
        bad["Records"][0]["s3"]["object"]["sequencer"] = json!("not hex");
        let Some(carried) = in_text(&bad.to_string(), true) else {
            panic!("not found")
        };
        let failed = copies_err(carried, cx);
        assert_eq!(failed.id.as_deref(), Some("msg-2"));
    }

    fn copies_err(carried: Carried, cx: &DecodeContext<'_>) -> RecordError {
        copies(carried, "msg-2", "sqs", cx)
            .pop()
            .unwrap()
            .unwrap_err()
    }
}
