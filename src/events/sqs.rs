//! SQS batches: one object per message, at `sqs/<queue name>/<messageId>`.
//!
//! SQS bodies are text. A producer that sends binary sets the message
//! attribute `content-encoding` to `base64`; `content-type` sets the object's
//! content type.

use aws_lambda_events::sqs::SqsMessage;
use serde_json::Value;

use super::decoding::{Decoding, Found};
use super::{DecodeContext, Decoded, Payload, Record, RecordError, content_type_for};
use crate::keys::{Facts, Layout, Part};
use crate::source::Source;

const SOURCE: Source = Source::Sqs;

/// Its entry in `events::decode`.
pub(crate) const DECODER: super::Decoder = |_, event, cx| decode(event, cx);

pub fn decode(event: Value, cx: &DecodeContext<'_>) -> Decoded {
    super::each_record(event, |raw| decode_message(raw, cx))
}

/// Per message, in event order, its `MessageGroupId` when it came from a FIFO
/// queue (its ARN ends in `.fifo`). Read from the raw records, so a message
/// that fails to decode still stops its group. Standard queues with fair
/// queueing carry a group too, but promise no order: holding their messages
/// back would only cost redeliveries.
pub fn message_groups(event: &Value) -> Vec<Option<String>> {
    let Some(Value::Array(records)) = event.get("Records") else {
        return Vec::new();
    };
    records
        .iter()
        .map(|raw| {
            let fifo = raw
                .get("eventSourceARN")
                .and_then(Value::as_str)
                .is_some_and(|arn| arn.ends_with(".fifo"));
            fifo.then(|| super::id_at(raw, "/attributes/MessageGroupId"))
                .flatten()
        })
        .collect()
}

fn decode_message(raw: Value, cx: &DecodeContext<'_>) -> Result<Record, RecordError> {
    let d = Decoding::at(SOURCE, &raw, "/messageId", cx);
    let message: SqsMessage = d.typed(raw)?;
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
