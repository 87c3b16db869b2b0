//! Direct invocations: `{"key"?, "body" | "body_base64", "content_type"?, "metadata"?}`
//! or `{"objects": [ ... ]}`. Keys are the caller's (sanitized, under the
//! prefix) or `direct/<request id>/<n>`.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;

use super::{
    DecodeContext, DecodeError, Decoded, Payload, Record, RecordError, add_user_metadata,
    content_type_for, decode_as, inline_body, provenance,
};

const SOURCE: &str = "direct";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectObject {
    key: Option<String>,
    /// A string is written as is; any other JSON value is written as JSON.
    body: Option<Value>,
    body_base64: Option<String>,
    content_type: Option<String>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

/// One record per object, in order.
pub fn decode(event: Value, cx: &DecodeContext<'_>) -> Decoded {
    let objects = match event {
        Value::Object(mut map) if map.contains_key("objects") => match map.remove("objects") {
            Some(Value::Array(objects)) if map.is_empty() => objects,
            _ => {
                return vec![Err(RecordError {
                    id: None,
                    error: DecodeError::Malformed {
                        source_name: SOURCE,
                        detail: "\"objects\" must be the only field, and an array".into(),
                    },
                })];
            }
        },
        single => vec![single],
    };
    objects
        .into_iter()
        .enumerate()
        .map(|(n, object)| decode_object(n, object, cx))
        .collect()
}

fn decode_object(n: usize, object: Value, cx: &DecodeContext<'_>) -> Result<Record, RecordError> {
    let id = format!("{}/{n}", cx.request_id);
    let fail = |error| RecordError {
        id: Some(id.clone()),
        error,
    };
    let object: DirectObject = decode_as(SOURCE, object).map_err(fail)?;
    let (body, given_type) = match (object.body, object.body_base64) {
        (Some(_), Some(_)) => {
            return Err(fail(DecodeError::Malformed {
                source_name: SOURCE,
                detail: "give \"body\" or \"body_base64\", not both".into(),
            }));
        }
        (Some(Value::String(text)), None) => (
            inline_body(Some(text), false, cx.max_body_bytes).map_err(fail)?,
            object.content_type,
        ),
        (Some(json), None) => {
            let bytes = serde_json::to_vec(&json).map_err(|e| {
                fail(DecodeError::Malformed {
                    source_name: SOURCE,
                    detail: e.to_string(),
                })
            })?;
            if bytes.len() > cx.max_body_bytes {
                return Err(fail(DecodeError::TooLarge {
                    len: bytes.len(),
                    max: cx.max_body_bytes,
                }));
            }
            (
                Bytes::from(bytes),
                object
                    .content_type
                    .or_else(|| Some("application/json".to_owned())),
            )
        }
        (None, Some(b64)) => (
            inline_body(Some(b64), true, cx.max_body_bytes).map_err(fail)?,
            object.content_type,
        ),
        (None, None) => return Err(fail(DecodeError::EmptyBody)),
    };
    let key = match &object.key {
        Some(key) => cx.prefix.caller_given(key).map_err(|e| fail(e.into()))?,
        None => cx
            .prefix
            .derived(&["direct", cx.request_id, &n.to_string()]),
    };
    let mut metadata = provenance(SOURCE, &id, None);
    add_user_metadata(&mut metadata, &object.metadata).map_err(fail)?;
    Ok(Record {
        key,
        content_type: Some(content_type_for(given_type.as_deref(), &body)),
        metadata,
        payload: Payload::Inline(body),
        id,
    })
}
