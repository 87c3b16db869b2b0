//! Direct invocations: `{"key"?, "body" | "body_base64", "content_type"?, "metadata"?}`
//! or `{"objects": [ ... ]}`. Keys are the caller's (clean, under the prefix,
//! outside the derived keys' namespaces) or `direct/<request id>/<n>`.

use std::collections::{BTreeMap, HashSet};

use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::decoding::Decoding;
use super::{
    DecodeContext, DecodeError, Decoded, Failure, Outcome, Payload, Record, RecordError,
    RecordsFailed, add_user_metadata, content_type_for,
};
use crate::keys::{Facts, Layout, Part};
use crate::source::Source;

const SOURCE: Source = Source::Direct;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectObject<'a> {
    key: Option<String>,
    /// A string is written as is; any other JSON value is written exactly as it arrived.
    #[serde(borrow)]
    body: Option<&'a RawValue>,
    body_base64: Option<String>,
    content_type: Option<String>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch<'a> {
    #[serde(borrow)]
    objects: Vec<&'a RawValue>,
}

/// Its entry in `events::decode`.
pub(crate) const DECODER: super::Decoder = |raw, event, cx| decode(raw, &event, cx);

/// One record per object, in order. A key given to two objects of one
/// invocation is refused for the second (one of them would silently win).
/// `event` is `raw` parsed (for its shape); bodies are taken from `raw`.
pub fn decode(raw: &RawValue, event: &Value, cx: &DecodeContext<'_>) -> Decoded {
    let objects = if event.get("objects").is_some() {
        match serde_json::from_str::<Batch<'_>>(raw.get()) {
            Ok(batch) => batch.objects,
            Err(_) => {
                return vec![Err(RecordError {
                    id: None,
                    error: DecodeError::malformed(
                        SOURCE.name(),
                        "\"objects\" must be the only field, and an array",
                    ),
                })];
            }
        }
    } else {
        vec![raw]
    };
    let mut seen = HashSet::new();
    objects
        .into_iter()
        .enumerate()
        .map(|(n, object)| {
            let record = decode_object(n, object, cx)?;
            if !seen.insert(record.key.clone()) {
                return Err(RecordError {
                    id: Some(record.id),
                    error: DecodeError::DuplicateKey(record.key.to_string()),
                });
            }
            Ok(record)
        })
        .collect()
}

fn decode_object(
    n: usize,
    object: &RawValue,
    cx: &DecodeContext<'_>,
) -> Result<Record, RecordError> {
    let id = format!("{}/{n}", cx.request_id);
    let d = Decoding::new(SOURCE, Some(id.clone()), cx);
    let object: DirectObject<'_> =
        serde_json::from_str(object.get()).map_err(|e| d.malformed(e.to_string()))?;
    let body = object.body.filter(|b| b.get() != "null");
    let (body, given_type) = match (body, object.body_base64) {
        (Some(_), Some(_)) => {
            return Err(d.malformed("give \"body\" or \"body_base64\", not both"));
        }
        (Some(json), None) if json.get().starts_with('"') => {
            let text: String =
                serde_json::from_str(json.get()).map_err(|e| d.malformed(e.to_string()))?;
            (d.inline_body(Some(text), false)?, object.content_type)
        }
        (Some(json), None) => {
            let bytes = json.get().as_bytes();
            d.within_limit(bytes.len())?;
            (
                Bytes::copy_from_slice(bytes),
                object
                    .content_type
                    .or_else(|| Some("application/json".to_owned())),
            )
        }
        (None, Some(b64)) => (d.inline_body(Some(b64), true)?, object.content_type),
        (None, None) => return Err(d.fail(DecodeError::EmptyBody)),
    };
    // A caller-named object is identified by its key (the same key with the
    // same bytes is "already written"; other bytes are a conflict), a derived
    // one by the invocation's request ID and its place in the batch.
    let (key, source_id) = match &object.key {
        Some(key) => (
            cx.prefix.caller_given(key).map_err(|e| d.fail(e))?,
            key.clone(),
        ),
        None => {
            let id_parts = [Part::Segment(cx.request_id), Part::Number(n as i64)];
            let layout = Layout::new(SOURCE, None, &id_parts).grouped_by(cx.request_id);
            // A direct invocation has no event time: a template with time tokens fails it.
            (d.key(layout, Facts::default())?, id.clone())
        }
    };
    let mut metadata = d.provenance(&source_id, None);
    add_user_metadata(&mut metadata, &object.metadata).map_err(|e| d.fail(e))?;
    Ok(Record {
        key,
        content_type: Some(content_type_for(given_type.as_deref(), &body)),
        metadata,
        payload: Payload::Inline(body),
        id,
    })
}

/// `{"bucket", "failed", "objects": [...]}`. When any object failed the
/// invocation is an error carrying that summary, so an asynchronous invoke is
/// retried and reaches its on-failure destination instead of passing as a success.
pub fn answer(outcomes: Vec<Outcome>, bucket: &str) -> Result<Value, RecordsFailed> {
    let total = outcomes.len();
    let failures: Vec<Failure> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().err().cloned())
        .collect();
    let objects: Vec<Value> = outcomes
        .into_iter()
        .map(|r| match r {
            Ok(written) => serde_json::to_value(written).unwrap_or_default(),
            Err(f) => serde_json::json!({ "id": f.id, "status": "failed", "error": f.message }),
        })
        .collect();
    let summary =
        serde_json::json!({ "bucket": bucket, "failed": failures.len(), "objects": objects });
    if failures.is_empty() {
        return Ok(summary);
    }
    let mut error = RecordsFailed::of(&failures, total, |_| String::new());
    error.details = summary.to_string();
    Err(error)
}
