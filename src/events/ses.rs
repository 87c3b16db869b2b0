//! SES inbound mail (receipt rule with a Lambda action): the notification JSON
//! at `ses/<messageId>.json`, and the raw mail at `ses/<messageId>.eml` when the
//! receipt stored it in S3 first (an S3 action before the Lambda action).

use aws_lambda_events::ses::SimpleEmailRecord;
use bytes::Bytes;
use serde_json::Value;
use serde_json::value::RawValue;

use super::{
    DecodeContext, DecodeError, Decoded, Payload, Record, RecordError, SourceObject, decode_as,
    provenance_of, records_of,
};
use crate::keys::{Facts, Layout, Part};
use crate::source::Source;

const SOURCE: &str = Source::Ses.name();

pub fn decode(raw: &RawValue, event: Value, cx: &DecodeContext<'_>) -> Decoded {
    // The records as they arrived, to store each notification byte for byte.
    let raw_records = super::raw_records(raw);
    records_of(event)
        .into_iter()
        .enumerate()
        .flat_map(|(n, record)| decode_record(raw_records.get(n).copied(), record, cx))
        .collect()
}

fn decode_record(
    raw: Option<&RawValue>,
    record: Value,
    cx: &DecodeContext<'_>,
) -> Vec<Result<Record, RecordError>> {
    let id = super::id_at(&record, "/ses/mail/messageId");
    let fail = |error| {
        vec![Err(RecordError {
            id: id.clone(),
            error,
        })]
    };
    let Some(raw) = raw else {
        return fail(DecodeError::malformed(
            SOURCE,
            "the record could not be read as it arrived",
        ));
    };
    let body = raw.get().as_bytes();
    if let Err(e) = super::within_limit(body.len(), cx.max_body_bytes) {
        return fail(e);
    }
    let typed: SimpleEmailRecord = match decode_as(SOURCE, record) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let Some(id) = id.clone() else {
        return fail(DecodeError::malformed(SOURCE, "no mail.messageId"));
    };
    let time = typed.ses.mail.timestamp.to_rfc3339();
    let metadata = provenance_of(SOURCE, &id, Some(&time));
    let key_of = |layout| cx.prefix.key(layout, Facts::at(&time));
    let (notification_key, raw_mail_key) = match (
        key_of(Layout::new(Source::Ses, None, &[Part::Segment(&id)]).with_suffix(".json")),
        key_of(Layout::new(Source::Ses, None, &[Part::Segment(&id)]).with_suffix(".eml")),
    ) {
        (Ok(notification), Ok(raw_mail)) => (notification, raw_mail),
        (Err(e), _) | (_, Err(e)) => return fail(e.into()),
    };
    let mut records = vec![Ok(Record {
        id: id.clone(),
        key: notification_key,
        payload: Payload::Inline(Bytes::copy_from_slice(body)),
        content_type: Some("application/json".to_owned()),
        metadata: metadata.clone(),
    })];
    let action = &typed.ses.receipt.action;
    let stored = match (&action.bucket_name, &action.object_key) {
        (Some(bucket), Some(key)) if action.type_.as_deref() == Some("S3") => {
            Some((bucket.clone(), key.clone()))
        }
        _ => cx
            .ses_raw_mail
            .map(|raw| (raw.bucket.clone(), format!("{}{id}", raw.prefix))),
    };
    if let Some((bucket, key)) = stored {
        records.push(Ok(Record {
            key: raw_mail_key,
            payload: Payload::SourceObject(SourceObject {
                bucket,
                key,
                version_id: None,
                etag: None,
                sequencer: None,
            }),
            content_type: Some("message/rfc822".to_owned()),
            metadata,
            id,
        }));
    }
    records
}
