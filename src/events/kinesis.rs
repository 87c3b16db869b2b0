//! Kinesis Data Streams: each record's data (base64 in the event) is one
//! object, at `kinesis/<stream>/<shardId>/<sequenceNumber>`; each user record
//! of a KPL aggregate ([`super::kpl`]) is one object, at
//! `kinesis/<stream>/<shardId>/<sequenceNumber>/<n>` (`n` its place in the aggregate, from 0).
//!
//! A record is reported under its sequence number (the stream's partial batch
//! response): Lambda checkpoints before the lowest one reported and retries from there.
//! A user record that fails fails its Kinesis record's sequence number; on the
//! retry, the user records already written answer "already existed".

use aws_lambda_events::kinesis::KinesisEventRecord;
use bytes::Bytes;
use serde_json::Value;

use super::{
    DecodeContext, DecodeError, Decoded, Payload, Record, RecordError, TimeUnit, content_type_for,
    decode_as, kpl, provenance_of, within_limit,
};
use crate::keys::{Facts, Layout};
use crate::source::Source;

const SOURCE: &str = Source::Kinesis.name();

/// Decodes each record on its own; an aggregate becomes its user records.
pub fn decode(event: Value, cx: &DecodeContext<'_>) -> Decoded {
    let mut decoded = Decoded::new();
    for raw in super::records_of(event) {
        match decode_record(raw, cx) {
            Ok(records) => decoded.extend(records),
            Err(failed) => decoded.push(Err(failed)),
        }
    }
    decoded
}

fn malformed(detail: &str) -> DecodeError {
    DecodeError::malformed(SOURCE, detail)
}

/// A record's objects: one, or one per user record of an aggregate (each
/// failing on its own under the record's sequence number); `Err` when the
/// record itself is malformed.
fn decode_record(mut raw: Value, cx: &DecodeContext<'_>) -> Result<Decoded, RecordError> {
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
    let data = Bytes::from(data);
    let arrival = arrival.to_rfc3339();
    let object = |body: Bytes, partition_key: &str, user_record: Option<usize>| {
        if body.is_empty() {
            return Err(fail(DecodeError::EmptyBody));
        }
        within_limit(body.len(), cx.max_body_bytes).map_err(fail)?;
        let layout = Layout::Kinesis {
            stream,
            shard_id,
            sequence_number: &sequence_number,
            user_record,
        };
        let facts = Facts {
            event_time: Some(&arrival),
            partition_key: Some(partition_key),
        };
        let key = cx.prefix.key(layout, facts).map_err(|e| fail(e.into()))?;
        // A user record's source ID is its Kinesis record's, then `/<n>`, as its key ends.
        let source_id = match user_record {
            Some(n) => format!("{event_id}/{n}"),
            None => event_id.to_owned(),
        };
        Ok(Record {
            key,
            content_type: Some(content_type_for(None, &body)),
            metadata: provenance_of(SOURCE, &source_id, Some(&arrival)),
            payload: Payload::Inline(body),
            id: sequence_number.clone(),
        })
    };
    let users = kpl::deaggregate(&data).map_err(|e| fail(malformed(&e.to_string())))?;
    Ok(match users {
        None => vec![object(data, &record.kinesis.partition_key, None)],
        Some(users) => users
            .into_iter()
            .enumerate()
            .map(|(n, user)| object(user.data, &user.partition_key, Some(n)))
            .collect(),
    })
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
