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

use super::{
    DecodeContext, DecodeError, Decoded, Payload, Record, RecordError, TimeUnit, decode_as,
    provenance_of, raw_records, records_of, within_limit,
};
use crate::keys::{Facts, Layout, Part};
use crate::source::Source;

const SOURCE: &str = Source::DynamoDb.name();

/// Decodes each record on its own; `raw` is the event as it arrived, `event` the same parsed.
pub fn decode(raw: &RawValue, event: Value, cx: &DecodeContext<'_>) -> Decoded {
    let raw_records = raw_records(raw);
    records_of(event)
        .into_iter()
        .enumerate()
        .map(|(n, record)| decode_record(raw_records.get(n).copied(), record, cx))
        .collect()
}

fn malformed(detail: &str) -> DecodeError {
    DecodeError::malformed(SOURCE, detail)
}

fn decode_record(
    raw: Option<&RawValue>,
    mut record: Value,
    cx: &DecodeContext<'_>,
) -> Result<Record, RecordError> {
    // Read the sequence number first, so even a record that fails to decode is reported under it.
    let id = super::id_at(&record, "/dynamodb/SequenceNumber");
    let fail = RecordError::under(&id);
    let event_id = super::id_at(&record, "/eventID");
    let time = super::take_timestamp(
        &mut record,
        "/dynamodb/ApproximateCreationDateTime",
        TimeUnit::Seconds,
        SOURCE,
    )
    .map_err(fail)?
    .map(|t| t.to_rfc3339());
    let Some(raw) = raw else {
        return Err(fail(malformed(
            "the record could not be read as it arrived",
        )));
    };
    let body = raw.get().as_bytes();
    within_limit(body.len(), cx.max_body_bytes).map_err(fail)?;
    let typed: EventRecord = decode_as(SOURCE, record).map_err(fail)?;
    let Some(sequence_number) = id.clone() else {
        return Err(fail(malformed("no dynamodb.SequenceNumber")));
    };
    let Some(event_id) = event_id else {
        return Err(fail(malformed("no eventID")));
    };
    let table = super::named_in_arn(
        SOURCE,
        typed.event_source_arn.as_deref(),
        table_name,
        "table",
    )
    .map_err(fail)?;
    let facts = Facts {
        event_time: time.as_deref(),
        partition_key: None,
    };
    let key = cx
        .prefix
        .key(
            Layout::new(Source::DynamoDb, Some(table), &[Part::Segment(&event_id)]),
            facts,
        )
        .map_err(|e| fail(e.into()))?;
    Ok(Record {
        key,
        content_type: Some("application/json".to_owned()),
        metadata: provenance_of(SOURCE, &event_id, time.as_deref()),
        payload: Payload::Inline(Bytes::copy_from_slice(body)),
        id: sequence_number,
    })
}

/// The table's name in `arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>`.
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
