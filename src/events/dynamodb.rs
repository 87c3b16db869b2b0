//! DynamoDB Streams: each stream record (`eventName`, and its `dynamodb` part:
//! `Keys`, `NewImage` / `OldImage`, `SequenceNumber`, ...) is one JSON object,
//! stored exactly as it arrived, at `dynamodb/<table>/<eventID>`.
//!
//! A record is reported under its `dynamodb.SequenceNumber` (the stream's
//! partial batch response); the object's `source-id` is its `eventID`.

use aws_lambda_events::dynamodb::EventRecord;
use bytes::Bytes;
use serde_json::Value;
use serde_json::value::RawValue;

use super::decoding::{Decoding, Found};
use super::{
    DecodeContext, Decoded, Payload, Record, RecordError, TimeUnit, raw_records, records_of,
};
use crate::keys::{Facts, Layout, Part};
use crate::source::Source;

const SOURCE: Source = Source::DynamoDb;

/// Its entry in `events::decode`.
pub(crate) const DECODER: super::Decoder = decode;

pub fn decode(raw: &RawValue, event: Value, cx: &DecodeContext<'_>) -> Decoded {
    let raw_records = raw_records(raw);
    records_of(event)
        .into_iter()
        .enumerate()
        .map(|(n, record)| {
            decode_record(raw_records.get(n).copied(), record, cx).map_err(|e| e.in_record(n))
        })
        .collect()
}

fn decode_record(
    raw: Option<&RawValue>,
    mut record: Value,
    cx: &DecodeContext<'_>,
) -> Result<Record, RecordError> {
    let d = Decoding::at(SOURCE, &record, "/dynamodb/SequenceNumber", cx);
    let event_id = super::id_at(&record, "/eventID");
    let time = d
        .timestamp(
            &mut record,
            "/dynamodb/ApproximateCreationDateTime",
            TimeUnit::Seconds,
        )?
        .map(|t| t.to_rfc3339());
    let Some(raw) = raw else {
        return Err(d.malformed("the record could not be read as it arrived"));
    };
    let body = raw.get().as_bytes();
    d.within_limit(body.len())?;
    let typed: EventRecord = d.typed(record)?;
    let sequence_number = d.id("dynamodb.SequenceNumber")?;
    let Some(event_id) = event_id else {
        return Err(d.malformed("no eventID"));
    };
    let table = d.named_in_arn(typed.event_source_arn.as_deref(), table_name, "table")?;
    d.record(Found {
        source_id: &event_id,
        layout: Layout::new(SOURCE, Some(table), &[Part::Segment(&event_id)]),
        facts: Facts {
            event_time: time.as_deref(),
            partition_key: None,
            ..Facts::default()
        },
        content_type: Some("application/json".to_owned()),
        payload: Payload::Inline(Bytes::copy_from_slice(body)),
        id: sequence_number,
    })
}

fn table_name(arn: &str) -> Option<&str> {
    let (table, label) = crate::arn::arn_resource(arn)?
        .strip_prefix("table/")?
        .split_once("/stream/")?;
    (!table.is_empty() && !label.is_empty()).then_some(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_from_stream_arns() {
        assert_eq!(
            table_name(
                "arn:aws:dynamodb:us-east-1:111111111111:table/Orders/stream/2026-11-22T08:00:00.000"
            ),
            Some("Orders")
        );
        for not_a_stream in [
            "arn:aws:dynamodb:us-east-1:111111111111:table/Orders",
            "arn:aws:dynamodb:us-east-1:111111111111:table//stream/x",
            "arn:aws:dynamodb:us-east-1:111111111111:table/Orders/stream/",
            "arn:aws:kinesis:us-east-1:111111111111:stream/orders",
            "table/Orders/stream/x",
        ] {
            assert_eq!(table_name(not_a_stream), None, "{not_a_stream}");
        }
    }
}
