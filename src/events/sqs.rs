//! SQS batches: one object per message, at `sqs/<queue name>/<messageId>`.
//!
//! SQS bodies are text. A producer that sends binary sets the message
//! attribute `content-encoding` to `base64`; `content-type` sets the object's
//! content type.

use aws_lambda_events::sqs::SqsMessage;
use serde_json::Value;

use super::{
    DecodeContext, DecodeError, Decoded, Payload, Record, RecordError, content_type_for, decode_as,
    inline_body, provenance_of,
};
use crate::keys::{Facts, Layout, Part};
use crate::source::Source;

const SOURCE: &str = Source::Sqs.name();

/// Decodes each message on its own.
pub fn decode(event: Value, cx: &DecodeContext<'_>) -> Decoded {
    super::each_record(event, |raw| decode_message(raw, cx))
}

fn decode_message(raw: Value, cx: &DecodeContext<'_>) -> Result<Record, RecordError> {
    // Read the ID first, so even a message that fails to decode is reported under it.
    let id = super::id_at(&raw, "/messageId");
    let fail = RecordError::under(&id);
    let message: SqsMessage = decode_as(SOURCE, raw).map_err(fail)?;
    let Some(id) = id.clone() else {
        return Err(fail(DecodeError::malformed(SOURCE, "no messageId")));
    };
    let queue = super::named_in_arn(
        SOURCE,
        message.event_source_arn.as_deref(),
        crate::arn::arn_name,
        "queue",
    )
    .map_err(fail)?;
    let attribute = |name: &str| {
        message
            .message_attributes
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, a)| a.string_value.as_deref())
    };
    let base64 = attribute("content-encoding").is_some_and(|v| v.eq_ignore_ascii_case("base64"));
    let content_type = attribute("content-type").map(str::to_owned);
    let body = inline_body(message.body.clone(), base64, cx.max_body_bytes).map_err(fail)?;
    let sent = message
        .attributes
        .get("SentTimestamp")
        .and_then(|ms| ms.parse::<i64>().ok())
        .and_then(|ms| {
            aws_smithy_types::DateTime::from_millis(ms)
                .fmt(aws_smithy_types::date_time::Format::DateTime)
                .ok()
        });
    let facts = Facts {
        event_time: sent.as_deref(),
        // FIFO queues: the message group.
        partition_key: message.attributes.get("MessageGroupId").map(String::as_str),
    };
    let key = cx
        .prefix
        .key(
            Layout::new(Source::Sqs, Some(queue), &[Part::Segment(&id)]),
            facts,
        )
        .map_err(|e| fail(e.into()))?;
    Ok(Record {
        key,
        content_type: Some(content_type_for(content_type.as_deref(), &body)),
        metadata: provenance_of(SOURCE, &id, sent.as_deref()),
        payload: Payload::Inline(body),
        id,
    })
}
