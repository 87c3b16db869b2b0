//! Kinesis Data Streams: each record's data (base64 in the event) is one
//! object, at `kinesis/<stream>/<shardId>/<sequenceNumber>`.
//!
//! A record is reported under its sequence number (the stream's partial batch
//! response): Lambda checkpoints before the lowest one reported and retries from there.

use aws_lambda_events::kinesis::KinesisEventRecord;
use bytes::Bytes;
use serde_json::Value;

use super::decoding::{Decoding, Found};
use super::{
    DecodeContext, DecodeError, Decoded, Payload, Record, RecordError, TimeUnit, content_type_for,
    each_record,
};
use crate::keys::{Facts, Layout, Part};
use crate::source::Source;

const SOURCE: Source = Source::Kinesis;

/// Its entry in `events::decode`.
pub(crate) const DECODER: super::Decoder = |_, event, cx| decode(event, cx);

pub fn decode(event: Value, cx: &DecodeContext<'_>) -> Decoded {
    each_record(event, |raw| decode_record(raw, cx))
}

fn decode_record(mut raw: Value, cx: &DecodeContext<'_>) -> Result<Record, RecordError> {
    let d = Decoding::at(SOURCE, &raw, "/kinesis/sequenceNumber", cx);
    let arrival = d.timestamp(
        &mut raw,
        "/kinesis/approximateArrivalTimestamp",
        TimeUnit::Seconds,
    )?;
    let record: KinesisEventRecord = d.typed(raw)?;
    let Some(arrival) = arrival else {
        return Err(d.malformed("no kinesis.approximateArrivalTimestamp"));
    };
    let sequence_number = d.id("kinesis.sequenceNumber")?;
    let stream = d.named_in_arn(record.event_source_arn.as_deref(), stream_name, "stream")?;
    let event_id = record.event_id.as_deref().unwrap_or_default();
    let shard_id = match event_id.split_once(':') {
        Some((shard, sequence)) if !shard.is_empty() && sequence == sequence_number => shard,
        _ => {
            return Err(d.malformed("the eventID is not <shardId>:<sequenceNumber> of this record"));
        }
    };
    let data = record.kinesis.data.0;
    if data.is_empty() {
        return Err(d.fail(DecodeError::EmptyBody));
    }
    d.within_limit(data.len())?;
    let body = Bytes::from(data);
    let arrival = arrival.to_rfc3339();
    let id_parts = [Part::Segment(shard_id), Part::Segment(&sequence_number)];
    d.record(Found {
        source_id: event_id,
        layout: Layout::new(SOURCE, Some(stream), &id_parts),
        facts: Facts {
            event_time: Some(&arrival),
            partition_key: Some(&record.kinesis.partition_key),
        },
        content_type: Some(content_type_for(None, &body)),
        payload: Payload::Inline(body),
        id: sequence_number.clone(),
    })
}

fn stream_name(arn: &str) -> Option<&str> {
    crate::arn::arn_resource(arn)?
        .strip_prefix("stream/")
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_from_arns() {
        assert_eq!(
            stream_name("arn:aws:kinesis:us-east-1:111111111111:stream/orders"),
            Some("orders")
        );
        assert_eq!(
            stream_name("arn:aws:kinesis:us-east-1:111111111111:stream/"),
            None
        );
        assert_eq!(
            stream_name("arn:aws:sqs:us-east-1:111111111111:orders"),
            None
        );
        assert_eq!(stream_name("stream/orders"), None);
    }
}
