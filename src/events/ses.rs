//! SES inbound mail (receipt rule with a Lambda action): the notification JSON
//! at `ses/<messageId>.json`, and the raw mail at `ses/<messageId>.eml` when the
//! receipt stored it in S3 first (an S3 action before the Lambda action).

use aws_lambda_events::ses::SimpleEmailRecord;
use bytes::Bytes;
use serde_json::Value;
use serde_json::value::RawValue;

use super::decoding::{Decoding, Found};
use super::{DecodeContext, Decoded, Payload, Record, RecordError, SourceObject, records_of};
use crate::keys::{Facts, Layout, Part};
use crate::source::Source;

const SOURCE: Source = Source::Ses;

/// Its entry in `events::decode`.
pub(crate) const DECODER: super::Decoder = decode;

pub fn decode(raw: &RawValue, event: Value, cx: &DecodeContext<'_>) -> Decoded {
    // The records as they arrived, to store each notification byte for byte.
    let raw_records = super::raw_records(raw);
    records_of(event)
        .into_iter()
        .enumerate()
        .flat_map(
            |(n, record)| match decode_record(raw_records.get(n).copied(), record, cx) {
                Ok(records) => records.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e.in_record(n))],
            },
        )
        .collect()
}

/// The notification, and the raw mail when the receipt stored it.
fn decode_record(
    raw: Option<&RawValue>,
    record: Value,
    cx: &DecodeContext<'_>,
) -> Result<Vec<Record>, RecordError> {
    let d = Decoding::at(SOURCE, &record, "/ses/mail/messageId", cx);
    let Some(raw) = raw else {
        return Err(d.malformed("the record could not be read as it arrived"));
    };
    let body = raw.get().as_bytes();
    d.within_limit(body.len())?;
    let typed: SimpleEmailRecord = d.typed(record)?;
    let id = d.id("mail.messageId")?;
    let time = typed.ses.mail.timestamp.to_rfc3339();
    let id_parts = [Part::Segment(&id)];
    let layout = Layout::new(SOURCE, None, &id_parts);
    let notification = d.record(Found {
        source_id: &id,
        layout: layout.with_suffix(".json"),
        facts: Facts::at(&time),
        content_type: Some("application/json".to_owned()),
        payload: Payload::Inline(Bytes::copy_from_slice(body)),
        id: id.clone(),
    })?;
    // Made whether or not it is written: a record whose raw mail can't have a key fails whole.
    let raw_mail_key = d.key(layout.with_suffix(".eml"), Facts::at(&time))?;
    let action = &typed.ses.receipt.action;
    let stored = match (&action.bucket_name, &action.object_key) {
        (Some(bucket), Some(key)) if action.type_.as_deref() == Some("S3") => {
            Some((bucket.clone(), key.clone()))
        }
        _ => cx
            .ses_raw_mail
            .map(|raw| (raw.bucket.clone(), format!("{}{id}", raw.prefix))),
    };
    let Some((bucket, key)) = stored else {
        return Ok(vec![notification]);
    };
    let raw_mail = Record {
        key: raw_mail_key,
        payload: Payload::SourceObject(SourceObject {
            bucket,
            key,
            version_id: None,
            etag: None,
            sequencer: None,
            fill_only: false,
        }),
        content_type: Some("message/rfc822".to_owned()),
        metadata: notification.metadata.clone(),
        id,
    };
    Ok(vec![notification, raw_mail])
}
