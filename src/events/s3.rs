//! S3 notifications from a bucket in the lambda account: each created object is
//! copied (streamed) to `s3/<source bucket>/<source key>`.

use aws_lambda_events::s3::S3EventRecord;
use serde_json::Value;

use super::{
    DecodeContext, DecodeError, Decoded, Payload, Record, RecordError, SourceObject, decode_as,
    provenance, records_of,
};

const SOURCE: &str = "s3";

/// Decodes each record; records of other event types (removals, restores)
/// are not objects to copy and are left out.
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
    let id = raw_id();
    let fail = |error| RecordError {
        id: id.clone(),
        error,
    };
    let record: S3EventRecord = decode_as(SOURCE, raw).map_err(fail)?;
    let malformed = |detail: &str| {
        fail(DecodeError::Malformed {
            source_name: SOURCE,
            detail: detail.to_owned(),
        })
    };
    let bucket = record
        .s3
        .bucket
        .name
        .filter(|b| !b.is_empty())
        .ok_or_else(|| malformed("no bucket name"))?;
    let key = record
        .s3
        .object
        .key
        .filter(|k| !k.is_empty())
        .map(|k| decode_key(&k))
        .ok_or_else(|| malformed("no object key"))?;
    let id = format!("{bucket}/{key}");
    Ok(Record {
        key: cx.prefix.derived(&["s3", &bucket, &key]),
        content_type: None,
        metadata: provenance(SOURCE, &id, Some(&record.event_time.to_rfc3339())),
        payload: Payload::SourceObject(SourceObject {
            bucket,
            key,
            version_id: record.s3.object.version_id,
        }),
        id,
    })
}

/// Keys in S3 notifications are form-encoded: `+` is a space, the rest percent-encoded.
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
