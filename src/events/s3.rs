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
    creations(records_of(event), "s3", cx)
}

/// Whether a notification record announces a created object (a record
/// without an `eventName` is taken as one). Every other event (removals,
/// restores, replication, lifecycle, tagging, ACL) writes nothing: a removal
/// never deletes a copy.
fn is_creation(raw: &Value) -> bool {
    raw.get("eventName")
        .and_then(Value::as_str)
        .is_none_or(|name| name.starts_with("ObjectCreated:"))
}

/// The copies of the created objects among S3 notification `records`, in
/// order; the other records are counted and logged (at info, with the path
/// they came by, `via`), and write nothing. Shared by a direct notification
/// and one carried by SQS or SNS (`super::s3_carried`).
pub(crate) fn creations(records: Vec<Value>, via: &'static str, cx: &DecodeContext<'_>) -> Decoded {
    let total = records.len();
    let copies: Decoded = records
        .into_iter()
        .filter(is_creation)
        .map(|raw| copy_of(raw, cx))
        .collect();
    let skipped = total - copies.len();
    if skipped > 0 {
        tracing::info!(
            skipped,
            via,
            "S3 notification records other than ObjectCreated write nothing"
        );
    }
    copies
}

/// The copy record of one S3 notification record (`S3EventRecord`), whatever
/// path it arrived by: its key is `s3/<bucket>/<decoded key>` and its
/// provenance `source: s3`, `source-id: <bucket>/<decoded key>`.
pub(crate) fn copy_of(raw: Value, cx: &DecodeContext<'_>) -> Result<Record, RecordError> {
    let raw_id = || -> Option<String> {
        let bucket = raw.pointer("/s3/bucket/name")?.as_str()?;
        let key = raw.pointer("/s3/object/key")?.as_str()?;
        Some(format!("{bucket}/{}", decode_key(key)))
    };
    let d = Decoding::new(SOURCE, raw_id(), cx);
    let record: S3EventRecord = d.typed(raw)?;
    let object = record.s3.object;
    copy(
        &d,
        Created {
            bucket: record.s3.bucket.name,
            key: object.key.map(|k| decode_key(&k)),
            version_id: object.version_id,
            etag: object.e_tag,
            sequencer: object.sequencer,
            event_time: Some(record.event_time.to_rfc3339()),
        },
    )
}

/// A created object, as a notification of any path names it (the key already decoded).
pub(crate) struct Created {
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub version_id: Option<String>,
    pub etag: Option<String>,
    pub sequencer: Option<String>,
    pub event_time: Option<String>,
}

/// The copy record of a created object; `d` is an S3 decoding (its
/// provenance says `source: s3`), so every path lands the same object alike.
pub(crate) fn copy(d: &Decoding<'_>, created: Created) -> Result<Record, RecordError> {
    let bucket = created
        .bucket
        .filter(|b| !b.is_empty())
        .ok_or_else(|| d.malformed("no bucket name"))?;
    let key = created
        .key
        .filter(|k| !k.is_empty())
        .ok_or_else(|| d.malformed("no object key"))?;
    let sequencer = created
        .sequencer
        .filter(|s| crate::sequencer::is_valid(s))
        .ok_or_else(|| {
            d.malformed("no valid object.sequencer (hex); S3 sends one with every event")
        })?;
    let object = SourceObject {
        version_id: created.version_id.filter(|v| !v.is_empty()),
        etag: created
            .etag
            .map(|e| e.trim_matches('"').to_owned())
            .filter(|e| !e.is_empty()),
        sequencer: Some(sequencer),
        fill_only: false,
        bucket,
        key,
    };
    let id = format!("{}/{}", object.bucket, object.key);
    record_of(d, id, object, created.event_time.as_deref())
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
    record_of(&d, id, object, event_time)
}

fn record_of(
    d: &Decoding<'_>,
    id: String,
    object: SourceObject,
    event_time: Option<&str>,
) -> Result<Record, RecordError> {
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

/// The object key of an S3 notification, URL-decoded (form encoding: `+` is a
/// space), as S3 writes it into notifications to SQS, SNS and Lambda.
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
