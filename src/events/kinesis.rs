//! Kinesis Data Streams: each record's data (base64 in the event) is one
//! object, at `kinesis/<stream>/<shardId>/<sequenceNumber>`; each user record
//! of a KPL aggregate ([`super::kpl`]) is one object, at
//! `kinesis/<stream>/<shardId>/<sequenceNumber>/<n>` (`n` its place in the aggregate, from 0).
//!
//! A record is reported under its sequence number (the stream's partial batch
//! response): Lambda checkpoints before the lowest one reported and retries from there.
//! A user record that fails fails its Kinesis record's sequence number; on the
//! retry, the user records already written answer "already existed".
//! A record whose data is a CloudWatch Logs delivery (a destination in front of
//! the stream) is stored as `events/cloudwatch_logs.rs` stores it.

use aws_lambda_events::kinesis::KinesisEventRecord;
use bytes::Bytes;
use serde_json::Value;

use super::decoding::{Decoding, Found};
use super::{
    DecodeContext, DecodeError, Decoded, Payload, Record, RecordError, TimeUnit, content_type_for,
    kpl,
};
use crate::keys::{Facts, Layout, Part};
use crate::source::Source;

const SOURCE: Source = Source::Kinesis;

/// Its entry in `events::decode`.
pub(crate) const DECODER: super::Decoder = |_, event, cx| decode(event, cx);

/// Decodes each record on its own; an aggregate becomes its user records.
pub fn decode(event: Value, cx: &DecodeContext<'_>) -> Decoded {
    let mut decoded = Decoded::new();
    for (n, raw) in super::records_of(event).into_iter().enumerate() {
        match decode_record(raw, cx) {
            Ok(records) => decoded.extend(records),
            Err(failed) => decoded.push(Err(failed.in_record(n))),
        }
    }
    decoded
}

/// A record's objects: one, or one per user record of an aggregate (each
/// failing on its own under the record's sequence number); `Err` when the
/// record itself is malformed.
fn decode_record(mut raw: Value, cx: &DecodeContext<'_>) -> Result<Decoded, RecordError> {
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
    // A CloudWatch Logs delivery through a destination: stored as the direct
    // path stores it, under this record's sequence number; a CONTROL_MESSAGE
    // leaves no outcome (not reported, so acknowledged).
    if let Some(delivery) = super::cloudwatch_logs::in_kinesis_data(&data, cx) {
        let record = delivery.map_err(|e| d.fail(e))?;
        let with_id = |record: Record| Record {
            id: sequence_number.clone(),
            ..record
        };
        return Ok(record.map(with_id).into_iter().map(Ok).collect());
    }
    let data = Bytes::from(data);
    let arrival = arrival.to_rfc3339();
    // A user record is `/<n>` after its Kinesis record's ID, in its key and its
    // source ID alike: one more segment, so it never takes a plain record's key.
    let object = |body: Bytes, partition_key: &str, user_record: Option<usize>| {
        if body.is_empty() {
            return Err(d.fail(DecodeError::EmptyBody));
        }
        d.within_limit(body.len())?;
        let index = user_record.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        let plain = [Part::Segment(shard_id), Part::Segment(&sequence_number)];
        let aggregated;
        let id_parts: &[Part<'_>] = match index {
            Some(n) => {
                aggregated = [plain[0], plain[1], Part::Number(n)];
                &aggregated
            }
            None => &plain,
        };
        let source_id = match user_record {
            Some(n) => format!("{event_id}/{n}"),
            None => event_id.to_owned(),
        };
        d.record(Found {
            source_id: &source_id,
            layout: Layout::new(SOURCE, Some(stream), id_parts),
            facts: Facts {
                event_time: Some(&arrival),
                partition_key: Some(partition_key),
                ..Facts::default()
            },
            content_type: Some(content_type_for(None, &body)),
            payload: Payload::Inline(body),
            id: sequence_number.clone(),
        })
    };
    let users = kpl::deaggregate(&data).map_err(|e| d.malformed(e.to_string()))?;
    Ok(match users {
        None => vec![object(data, &record.kinesis.partition_key, None)],
        Some(users) => users
            .into_iter()
            .enumerate()
            .map(|(n, user)| object(user.data, &user.partition_key, Some(n)))
            .collect(),
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
