//! SQS batches: one object per message, at `sqs/<queue name>/<messageId>`.
//!
//! SQS bodies are text. A producer that sends binary sets the message
//! attribute `content-encoding` to `base64`; `content-type` sets the object's
//! content type.

use aws_lambda_events::sqs::SqsMessage;
use serde_json::Value;

use super::decoding::{Decoding, Found};
use super::{DecodeContext, Decoded, Payload, Record, RecordError, content_type_for, s3_carried};
use crate::config::S3Notifications;
use crate::keys::{Facts, Layout, Part};
use crate::source::Source;

const SOURCE: Source = Source::Sqs;

/// Its entry in `events::decode`.
pub(crate) const DECODER: super::Decoder = |_, event, cx| decode(event, cx);

pub fn decode(event: Value, cx: &DecodeContext<'_>) -> Decoded {
    decode_grouped(event, cx).0
}

/// The records of a batch in event order, and per record (index for index)
/// its message's FIFO group ([`fifo_group`]). A message is one record,
/// but one carrying an S3 notification is one per created object it names:
/// none (`s3:TestEvent`, a removal) or several, each in its message's group.
pub fn decode_grouped(event: Value, cx: &DecodeContext<'_>) -> (Decoded, Vec<Option<String>>) {
    let mut records = Vec::new();
    let mut record_groups = Vec::new();
    for (n, raw) in super::records_of(event).into_iter().enumerate() {
        let group = fifo_group(&raw);
        for item in decode_message(raw, cx) {
            records.push(item.map_err(|e| e.in_record(n)));
            record_groups.push(group.clone());
        }
    }
    (records, record_groups)
}

/// A message's `MessageGroupId` when it came from a FIFO queue (its ARN ends
/// in `.fifo`). Read from the raw record, so a message that fails to decode
/// still stops its group. Standard queues with fair queueing carry a group
/// too, but promise no order: holding their messages back would only cost
/// redeliveries.
fn fifo_group(raw: &Value) -> Option<String> {
    let fifo = raw
        .get("eventSourceARN")
        .and_then(Value::as_str)
        .is_some_and(|arn| arn.ends_with(".fifo"));
    fifo.then(|| super::id_at(raw, "/attributes/MessageGroupId"))
        .flatten()
}

/// A message's records: itself, or the copies the S3 notification it carries asks for.
fn decode_message(raw: Value, cx: &DecodeContext<'_>) -> Decoded {
    let d = Decoding::at(SOURCE, &raw, "/messageId", cx);
    let message: SqsMessage = match d.typed(raw) {
        Ok(message) => message,
        Err(e) => return vec![Err(e)],
    };
    if cx.s3_notifications == S3Notifications::Copy
        && let (Ok(id), Some(body)) = (d.id("messageId"), message.body.as_deref())
        && let Some(carried) = s3_carried::in_text(body, true)
    {
        return s3_carried::copies(carried, &id, "sqs", cx);
    }
    vec![store_message(&d, message)]
}

fn store_message(d: &Decoding<'_>, message: SqsMessage) -> Result<Record, RecordError> {
    let id = d.id("messageId")?;
    let queue = d.named_in_arn(
        message.event_source_arn.as_deref(),
        crate::arn::arn_name,
        "queue",
    )?;
    let attribute = |name: &str| {
        message
            .message_attributes
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, a)| a.string_value.as_deref())
    };
    let base64 = attribute("content-encoding").is_some_and(|v| v.eq_ignore_ascii_case("base64"));
    let content_type = attribute("content-type");
    let body = d.inline_body(message.body.clone(), base64)?;
    let sent = message
        .attributes
        .get("SentTimestamp")
        .and_then(|ms| ms.parse::<i64>().ok())
        .and_then(|ms| {
            aws_smithy_types::DateTime::from_millis(ms)
                .fmt(aws_smithy_types::date_time::Format::DateTime)
                .ok()
        });
    d.record(Found {
        source_id: &id,
        layout: Layout::new(SOURCE, Some(queue), &[Part::Segment(&id)]),
        facts: Facts {
            event_time: sent.as_deref(),
            partition_key: message.attributes.get("MessageGroupId").map(String::as_str),
            ..Facts::default()
        },
        content_type: Some(content_type_for(content_type, &body)),
        payload: Payload::Inline(body),
        id: id.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::s3_carried::test_support::{s3_record, with_context};
    use crate::order::Groups;
    use serde_json::json;

    fn message(id: &str, group: &str, body: String) -> Value {
        json!({
            "messageId": id, "receiptHandle": "r", "body": body, "md5OfBody": "m",
            "attributes": {"SentTimestamp": "1795338905000", "MessageGroupId": group},
            "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:sqs:us-east-1:111111111111:writer.fifo"
        })
    }

    #[test]
    fn a_failed_copy_holds_back_its_group_across_expanded_messages() {
        let notification = json!({"Records": [s3_record("a", "not hex"), s3_record("b", "0B")]});
        let event = json!({"Records": [
            message("m1", "g1", notification.to_string()),
            message("m2", "g1", "later in g1".into()),
            message("m3", "g2", json!({"Event": "s3:TestEvent", "Bucket": "src"}).to_string()),
            message("m4", "g2", "later in g2".into()),
        ]});
        let (mut records, groups) = with_context(|cx| decode_grouped(event, cx));
        let g = |s: &str| Some(s.to_owned());
        assert_eq!(groups, [g("g1"), g("g1"), g("g1"), g("g2")]);
        Groups::new(groups).hold_back(&mut records);
        let seen: Vec<(Option<&str>, bool)> = records
            .iter()
            .map(|r| match r {
                Ok(record) => (Some(record.id.as_str()), true),
                Err(e) => (e.id.as_deref(), false),
            })
            .collect();
        assert_eq!(
            seen,
            [
                (Some("m1"), false), // the bad copy
                (Some("m1"), false), // its sibling, held back
                (Some("m2"), false), // later in g1, held back
                (Some("m4"), true),  // g2 goes on (m3, a test event, is no record)
            ]
        );
    }
}
