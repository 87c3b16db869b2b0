//! S3 notifications from a bucket in the lambda account: each created object is
//! copied (streamed) to `s3/<source bucket>/<source key>`. The record names the
//! exact source version (version ID, ETag) and the event's `sequencer`, so the
//! writer can keep the newest version whatever order the events arrive in.

use aws_lambda_events::s3::S3EventRecord;
use serde_json::Value;

use super::decoding::{Decoding, Found};
use super::{DecodeContext, Decoded, Payload, Record, RecordError, SourceObject, records_of};
use crate::keys::{Facts, Layout, Part};
use crate::source::Source;

const SOURCE: Source = Source::S3;

/// Its entry in `events::decode`.
pub(crate) const DECODER: super::Decoder = |_, event, cx| decode(event, cx);

pub fn decode(event: Value, cx: &DecodeContext<'_>) -> Decoded {
    records_of(event)
        .into_iter()
        .filter(|raw| {
            raw.get("eventName")
                .and_then(Value::as_str)
                .is_none_or(|name| name.starts_with("ObjectCreated:"))
        })
        .map(|raw| decode_record(raw, cx))
        .collect()
}

fn decode_record(raw: Value, cx: &DecodeContext<'_>) -> Result<Record, RecordError> {
    let raw_id = || -> Option<String> {
        let bucket = raw.pointer("/s3/bucket/name")?.as_str()?;
        let key = raw.pointer("/s3/object/key")?.as_str()?;
        Some(format!("{bucket}/{}", decode_key(key)))
    };
    let d = Decoding::new(SOURCE, raw_id(), cx);
    let record: S3EventRecord = d.typed(raw)?;
    let bucket = record
        .s3
        .bucket
        .name
        .filter(|b| !b.is_empty())
        .ok_or_else(|| d.malformed("no bucket name"))?;
    let key = record
        .s3
        .object
        .key
        .filter(|k| !k.is_empty())
        .map(|k| decode_key(&k))
        .ok_or_else(|| d.malformed("no object key"))?;
    let sequencer = record
        .s3
        .object
        .sequencer
        .filter(|s| crate::sequencer::is_valid(s))
        .ok_or_else(|| {
            d.malformed("no valid object.sequencer (hex); S3 sends one with every event")
        })?;
    let time = record.event_time.to_rfc3339();
    let object = SourceObject {
        version_id: record.s3.object.version_id.filter(|v| !v.is_empty()),
        etag: record
            .s3
            .object
            .e_tag
            .map(|e| e.trim_matches('"').to_owned())
            .filter(|e| !e.is_empty()),
        sequencer: Some(sequencer),
        fill_only: false,
        bucket,
        key,
    };
    copy_record(format!("{}/{}", object.bucket, object.key), object, Some(&time), cx)
}

/// The record that copies `object` (one version of an object of the lambda
/// account) to `s3/<bucket>/<key>`, with provenance `source: s3` and
/// `source-id: <bucket>/<key>`: what an S3 notification and a Batch Operations
/// backfill both make of an object, so the two paths land it under one key
/// with one identity. `id` is what the source's answer reports it under.
pub(crate) fn copy_record(
    id: String,
    object: SourceObject,
    event_time: Option<&str>,
    cx: &DecodeContext<'_>,
) -> Result<Record, RecordError> {
    let d = Decoding::new(SOURCE, Some(id.clone()), cx);
    let source_id = format!("{}/{}", object.bucket, object.key);
    let (bucket, key) = (object.bucket.clone(), object.key.clone());
    d.record(Found {
        source_id: &source_id,
        layout: Layout::new(SOURCE, Some(&bucket), &[Part::Path(&key)]),
        facts: Facts {
            event_time,
            ..Facts::default()
        },
        content_type: None,
        payload: Payload::SourceObject(object),
        id,
    })
}

pub(crate) fn decode_key(key: &str) -> String {
    let spaced = key.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_form_decoded() {
        assert_eq!(
            super::decode_key("reports/Q3+2026%2Fa%C3%A9.csv"),
            "reports/Q3 2026/aé.csv"
        );
    }
}
