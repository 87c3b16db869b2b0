//! Kinesis Data Streams: each record's data (base64 in the event) is one
//! object, at `kinesis/<stream>/<shardId>/<sequenceNumber>`.
//!
//! A record is reported under its sequence number (the stream's partial batch
//! response): Lambda checkpoints before the lowest one reported and retries from there.

use aws_lambda_events::kinesis::KinesisEventRecord;
use bytes::Bytes;
use serde_json::Value;

use super::{
    DecodeContext, DecodeError, Decoded, Payload, Record, RecordError, TimeUnit, content_type_for,
    decode_as, provenance_of, within_limit,
};
use crate::keys::{Facts, Layout};
use crate::source::Source;

const SOURCE: &str = Source::Kinesis.name();

/// Decodes each record on its own. A record carrying a CloudWatch Logs
/// `CONTROL_MESSAGE` has nothing to write and leaves no outcome: not reported, so acknowledged.
pub fn decode(event: Value, cx: &DecodeContext<'_>) -> Decoded {
    super::records_of(event)
        .into_iter()
        .filter_map(|raw| decode_record(raw, cx).transpose())
        .collect()
}

fn malformed(detail: &str) -> DecodeError {
    DecodeError::malformed(SOURCE, detail)
}

fn decode_record(mut raw: Value, cx: &DecodeContext<'_>) -> Result<Option<Record>, RecordError> {
    // Read the sequence number first, so even a record that fails to decode is reported under it.
    let id = super::id_at(&raw, "/kinesis/sequenceNumber");
    let fail = RecordError::under(&id);
    let arrival = super::take_timestamp(
        &mut raw,
        "/kinesis/approximateArrivalTimestamp",
        TimeUnit::Seconds,
        SOURCE,
    )
    .map_err(fail)?;
    let record: KinesisEventRecord = decode_as(SOURCE, raw).map_err(fail)?;
    let Some(arrival) = arrival else {
        return Err(fail(malformed("no kinesis.approximateArrivalTimestamp")));
    };
    let Some(sequence_number) = id.clone() else {
        return Err(fail(malformed("no kinesis.sequenceNumber")));
    };
    let stream = super::named_in_arn(
        SOURCE,
        record.event_source_arn.as_deref(),
        stream_name,
        "stream",
    )
    .map_err(fail)?;
    // eventID is `<shardId>:<sequenceNumber>`.
    let event_id = record.event_id.as_deref().unwrap_or_default();
    let shard_id = match event_id.split_once(':') {
        Some((shard, sequence)) if !shard.is_empty() && sequence == sequence_number => shard,
        _ => {
            return Err(fail(malformed(
                "the eventID is not <shardId>:<sequenceNumber> of this record",
            )));
        }
    };
    let data = record.kinesis.data.0;
    if data.is_empty() {
        return Err(fail(DecodeError::EmptyBody));
    }
    within_limit(data.len(), cx.max_body_bytes).map_err(fail)?;
    // A CloudWatch Logs delivery through a destination: stored as the direct path stores it.
    if let Some(delivery) = super::cloudwatch_logs::in_kinesis_data(&data, cx) {
        let with_id = |record: Record| Record {
            id: sequence_number.clone(),
            ..record
        };
        return delivery.map(|record| record.map(with_id)).map_err(fail);
    }
    let body = Bytes::from(data);
    let arrival = arrival.to_rfc3339();
    let layout = Layout::Kinesis {
        stream,
        shard_id,
        sequence_number: &sequence_number,
    };
    let facts = Facts {
        event_time: Some(&arrival),
        partition_key: Some(&record.kinesis.partition_key),
    };
    let key = cx.prefix.key(layout, facts).map_err(|e| fail(e.into()))?;
    Ok(Some(Record {
        key,
        content_type: Some(content_type_for(None, &body)),
        metadata: provenance_of(SOURCE, event_id, Some(&arrival)),
        payload: Payload::Inline(body),
        id: sequence_number,
    }))
}

/// The stream's name in `arn:aws:kinesis:<region>:<account>:stream/<name>`.
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
