//! SQS batches: one object per message, at `sqs/<queue name>/<messageId>`.
//!
//! SQS bodies are text. A producer that sends binary sets the message
//! attribute `content-encoding` to `base64`; `content-type` sets the object's
//! content type.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsMessage};
use serde_json::Value;

use super::{
    DecodeContext, DecodeError, Decoded, Failure, Outcome, Payload, Record, RecordError,
    RecordsFailed, content_type_for, decode_as, inline_body, provenance_of, records_of,
};
use crate::keys::Layout;

const SOURCE: &str = "sqs";

/// Decodes each message on its own.
pub fn decode(event: Value, cx: &DecodeContext<'_>) -> Decoded {
    records_of(event)
        .into_iter()
        .map(|raw| decode_message(raw, cx))
        .collect()
}

fn decode_message(raw: Value, cx: &DecodeContext<'_>) -> Result<Record, RecordError> {
    // Read the ID first, so even a message that fails to decode is reported under it.
    let id = super::id_at(&raw, "/messageId");
    let fail = RecordError::under(&id);
    let message: SqsMessage = decode_as(SOURCE, raw).map_err(fail)?;
    let Some(id) = id.clone() else {
        return Err(fail(DecodeError::Malformed {
            source_name: SOURCE,
            detail: "no messageId".into(),
        }));
    };
    let queue = message
        .event_source_arn
        .as_deref()
        .and_then(super::arn_name)
        .ok_or_else(|| {
            fail(DecodeError::Malformed {
                source_name: SOURCE,
                detail: "no eventSourceARN naming the queue".into(),
            })
        })?;
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
    Ok(Record {
        key: cx.prefix.derived(Layout::Sqs {
            queue,
            message_id: &id,
        }),
        content_type: Some(content_type_for(content_type.as_deref(), &body)),
        metadata: provenance_of(SOURCE, &id, sent.as_deref()),
        payload: Payload::Inline(body),
        id,
    })
}

/// Only the failed message IDs go back, so SQS deletes exactly the messages
/// that were written. A failure without a message ID can't be reported item by
/// item: then the whole batch fails, so nothing is deleted unwritten (the
/// written ones answer "already existed" on redelivery).
pub fn answer(outcomes: Vec<Outcome>) -> Result<Value, RecordsFailed> {
    let total = outcomes.len();
    let mut response = SqsBatchResponse::default();
    let mut unreportable: Vec<Failure> = Vec::new();
    for failure in outcomes.into_iter().filter_map(Result::err) {
        match &failure.id {
            Some(id) => {
                let mut item = BatchItemFailure::default();
                item.item_identifier = id.clone();
                response.batch_item_failures.push(item);
            }
            None => unreportable.push(failure),
        }
    }
    if !unreportable.is_empty() {
        return Err(RecordsFailed::of(&unreportable, total, |f| {
            format!("a message without a messageId: {}", f.message)
        }));
    }
    serde_json::to_value(response).map_err(|e| RecordsFailed {
        failed: total,
        total,
        details: format!("could not serialize the batch response: {e}"),
        codes: Vec::new(),
    })
}
