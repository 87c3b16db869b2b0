//! Amazon MSK (`eventSource: "aws:kafka"`) and self-managed Apache Kafka
//! (`"SelfManagedKafka"`): each record's value (base64 in the event) is one
//! object, at `kafka/<topic>/<partition>/<offset>`. A `content-type` header
//! sets the object's content type.
//!
//! The answer is all or nothing: a failed record fails the invocation, so
//! Lambda retries the batch (the records already written then answer
//! "already existed"). Lambda accepts a partial batch response from Kafka only
//! for event source mappings in provisioned mode, so no answer here relies on it.

use aws_lambda_events::kafka::KafkaRecord;
use serde_json::Value;

use super::decoding::{Decoding, Found};
use super::{
    DecodeContext, DecodeError, Decoded, Payload, Record, RecordError, TimeUnit, content_type_for,
};
use crate::keys::{Facts, Layout, Part};
use crate::source::Source;

const SOURCE: Source = Source::Kafka;

/// Its entry in `events::decode`.
pub(crate) const DECODER: super::Decoder = |_, event, cx| decode(event, cx);

pub fn decode(event: Value, cx: &DecodeContext<'_>) -> Decoded {
    let Some(Value::Object(partitions)) = event.get("records") else {
        return vec![Err(RecordError {
            id: None,
            error: malformed("\"records\" is not an object of topic-partitions"),
        })];
    };
    partitions
        .iter()
        .flat_map(|(name, records)| match records {
            Value::Array(records) => records
                .iter()
                .map(|raw| decode_record(raw.clone(), cx))
                .collect(),
            _ => vec![Err(RecordError {
                id: None,
                error: malformed(&format!("the records of {name:?} are not an array")),
            })],
        })
        .collect()
}

fn malformed(detail: &str) -> DecodeError {
    DecodeError::malformed(SOURCE.name(), detail)
}

fn record_id(topic: &str, partition: i64, offset: i64) -> String {
    format!("{topic}-{partition}@{offset}")
}

fn decode_record(mut raw: Value, cx: &DecodeContext<'_>) -> Result<Record, RecordError> {
    let id = match (
        super::id_at(&raw, "/topic"),
        raw.get("partition").and_then(Value::as_i64),
        raw.get("offset").and_then(Value::as_i64),
    ) {
        (Some(topic), Some(partition), Some(offset)) => Some(record_id(&topic, partition, offset)),
        _ => None,
    };
    let d = Decoding::new(SOURCE, id, cx);
    let time = d.timestamp(&mut raw, "/timestamp", TimeUnit::Milliseconds)?;
    let record: KafkaRecord = d.typed(raw)?;
    let Some(time) = time else {
        return Err(d.malformed("no timestamp"));
    };
    let (Ok(id), Some(topic)) = (d.id("topic"), record.topic.as_deref()) else {
        return Err(d.malformed("no topic"));
    };
    let content_type = record
        .headers
        .iter()
        .flat_map(|header| header.iter())
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .and_then(|(_, value)| String::from_utf8(value.iter().map(|b| *b as u8).collect()).ok());
    let body = d.inline_body(record.value.clone(), true)?;
    let time = time.to_rfc3339();
    let id_parts = [Part::Number(record.partition), Part::Number(record.offset)];
    d.record(Found {
        source_id: &id,
        layout: Layout::new(SOURCE, Some(topic), &id_parts),
        facts: Facts::at(&time),
        content_type: Some(content_type_for(content_type.as_deref(), &body)),
        payload: Payload::Inline(body),
        id: id.clone(),
    })
}
