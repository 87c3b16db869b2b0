//! EventBridge events: the whole event JSON, at `events/<source>/<detail-type>/<id>`.
//! S3's own events (`source: aws.s3`) are S3 notifications (`super::s3_carried`)
//! unless `S3_NOTIFICATIONS_IN_MESSAGES=store`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use bytes::Bytes;
use serde_json::Value;
use serde_json::value::RawValue;

use super::decoding::{Decoding, Found};
use super::{DecodeContext, Payload, Record, RecordError, s3_carried};
use crate::config::S3Notifications;
use crate::keys::{Facts, Layout, Part};
use crate::source::Source;

const SOURCE: Source = Source::EventBridge;

/// Its entry in `events::decode`.
pub(crate) const DECODER: super::Decoder = |raw, event, cx| {
    if cx.s3_notifications == S3Notifications::Copy
        && event.get("source").and_then(Value::as_str) == Some(S3_SOURCE)
    {
        return s3_carried::eventbridge(event, cx);
    }
    vec![decode(raw, event, cx)]
};

/// The `source` of the events S3 sends to EventBridge.
const S3_SOURCE: &str = "aws.s3";

pub fn decode(raw: &RawValue, event: Value, cx: &DecodeContext<'_>) -> Result<Record, RecordError> {
    let d = Decoding::at(SOURCE, &event, "/id", cx);
    let body = raw.get().as_bytes();
    d.within_limit(body.len())?;
    let typed: EventBridgeEvent = d.typed(event)?;
    let Some(id) = typed.id.clone().filter(|s| !s.is_empty()) else {
        return Err(d.malformed("no id"));
    };
    let time = typed.time.map(|t| t.to_rfc3339());
    let id_parts = [Part::Segment(&typed.detail_type), Part::Segment(&id)];
    d.record(Found {
        source_id: &id,
        layout: Layout::new(SOURCE, Some(&typed.source), &id_parts),
        facts: Facts {
            event_time: time.as_deref(),
            partition_key: None,
            ..Facts::default()
        },
        content_type: Some("application/json".to_owned()),
        payload: Payload::Inline(Bytes::copy_from_slice(body)),
        id: id.clone(),
    })
}
