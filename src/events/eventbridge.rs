//! EventBridge events: the whole event JSON, at `events/<source>/<detail-type>/<id>`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use bytes::Bytes;
use serde_json::Value;

use super::{DecodeContext, DecodeError, Payload, Record, RecordError, decode_as, provenance};

const SOURCE: &str = "eventbridge";

/// One event, one record. The event is written as received (re-serialized from
/// the original JSON, not from the typed struct, so no field is dropped).
pub fn decode(event: Value, cx: &DecodeContext<'_>) -> Result<Record, RecordError> {
    let id = super::id_at(&event, "/id");
    let fail = RecordError::under(&id);
    // Serialized before the typed decode consumes the value: no copy of the event.
    let body = serde_json::to_vec(&event).map_err(|e| {
        fail(DecodeError::Malformed {
            source_name: SOURCE,
            detail: e.to_string(),
        })
    })?;
    if body.len() > cx.max_body_bytes {
        return Err(fail(DecodeError::TooLarge {
            len: body.len(),
            max: cx.max_body_bytes,
        }));
    }
    let typed: EventBridgeEvent = decode_as(SOURCE, event).map_err(fail)?;
    let Some(id) = typed.id.clone().filter(|s| !s.is_empty()) else {
        return Err(fail(DecodeError::Malformed {
            source_name: SOURCE,
            detail: "no id".into(),
        }));
    };
    let time = typed.time.map(|t| t.to_rfc3339());
    Ok(Record {
        key: cx
            .prefix
            .derived(&["events", &typed.source, &typed.detail_type, &id]),
        content_type: Some("application/json".to_owned()),
        metadata: provenance(SOURCE, &id, time.as_deref()),
        payload: Payload::Inline(Bytes::from(body)),
        id,
    })
}
