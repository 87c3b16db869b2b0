//! SES inbound mail (receipt rule with a Lambda action): the notification JSON
//! at `ses/<messageId>`, and the raw mail at `ses/<messageId>.eml` when the
//! receipt stored it in S3 first (an S3 action before the Lambda action).

use aws_lambda_events::ses::SimpleEmailRecord;
use bytes::Bytes;
use serde_json::Value;

use super::{
    DecodeContext, DecodeError, Decoded, Payload, Record, RecordError, SourceObject, decode_as,
    provenance, records_of,
};

const SOURCE: &str = "ses";

pub fn decode(event: Value, cx: &DecodeContext<'_>) -> Decoded {
    records_of(event)
        .into_iter()
        .flat_map(|raw| decode_record(raw, cx))
        .collect()
}

fn decode_record(raw: Value, cx: &DecodeContext<'_>) -> Vec<Result<Record, RecordError>> {
    let id = super::id_at(&raw, "/ses/mail/messageId");
    let fail = |error| {
        vec![Err(RecordError {
            id: id.clone(),
            error,
        })]
    };
    let body = match serde_json::to_vec(&raw) {
        Ok(body) if body.len() <= cx.max_body_bytes => body,
        Ok(body) => {
            return fail(DecodeError::TooLarge {
                len: body.len(),
                max: cx.max_body_bytes,
            });
        }
        Err(e) => {
            return fail(DecodeError::Malformed {
                source_name: SOURCE,
                detail: e.to_string(),
            });
        }
    };
    let record: SimpleEmailRecord = match decode_as(SOURCE, raw) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let Some(id) = id.clone() else {
        return fail(DecodeError::Malformed {
            source_name: SOURCE,
            detail: "no mail.messageId".into(),
        });
    };
    let time = record.ses.mail.timestamp.to_rfc3339();
    let metadata = provenance(SOURCE, &id, Some(&time));
    let mut records = vec![Ok(Record {
        id: id.clone(),
        key: cx.prefix.derived(&["ses", &id]),
        payload: Payload::Inline(Bytes::from(body)),
        content_type: Some("application/json".to_owned()),
        metadata: metadata.clone(),
    })];
    let action = &record.ses.receipt.action;
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
            key: cx.prefix.derived(&["ses", &format!("{id}.eml")]),
            payload: Payload::SourceObject(SourceObject {
                bucket,
                key,
                version_id: None,
            }),
            content_type: Some("message/rfc822".to_owned()),
            metadata,
            id,
        }));
    }
    records
}
