//! EventBridge events: the whole event JSON, at `events/<source>/<detail-type>/<id>`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use bytes::Bytes;
use serde_json::Value;
use serde_json::value::RawValue;

use super::{DecodeContext, DecodeError, Payload, Record, RecordError, decode_as, provenance_of};
use crate::keys::{Facts, Layout, Part};
use crate::source::Source;

const SOURCE: &str = Source::EventBridge.name();

/// One event, one record. The object is the event exactly as it arrived
/// (`raw`): key order, number spelling and escapes are kept; `event` is the
/// same JSON parsed, for the typed fields.
pub fn decode(raw: &RawValue, event: Value, cx: &DecodeContext<'_>) -> Result<Record, RecordError> {
    let id = super::id_at(&event, "/id");
    let fail = RecordError::under(&id);
    let body = raw.get().as_bytes();
    super::within_limit(body.len(), cx.max_body_bytes).map_err(fail)?;
    let typed: EventBridgeEvent = decode_as(SOURCE, event).map_err(fail)?;
    let Some(id) = typed.id.clone().filter(|s| !s.is_empty()) else {
        return Err(fail(DecodeError::malformed(SOURCE, "no id")));
    };
    let time = typed.time.map(|t| t.to_rfc3339());
    let id_parts = [Part::Segment(&typed.detail_type), Part::Segment(&id)];
    let layout = Layout::new(Source::EventBridge, Some(&typed.source), &id_parts);
    let facts = Facts {
        event_time: time.as_deref(),
        partition_key: None,
    };
    let key = cx.prefix.key(layout, facts).map_err(|e| fail(e.into()))?;
    Ok(Record {
        key,
        content_type: Some("application/json".to_owned()),
        metadata: provenance_of(SOURCE, &id, time.as_deref()),
        payload: Payload::Inline(Bytes::copy_from_slice(body)),
        id,
    })
}
