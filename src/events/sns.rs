//! SNS notifications: one object per message, at `sns/<topic name>/<MessageId>`.

use aws_lambda_events::sns::SnsRecord;
use bytes::Bytes;
use serde_json::Value;

use super::{
    DecodeContext, DecodeError, Decoded, Payload, Record, RecordError, content_type_for, decode_as,
    provenance_of,
};
use crate::keys::{Facts, Layout, Part};
use crate::source::Source;

const SOURCE: &str = Source::Sns.name();

pub fn decode(event: Value, cx: &DecodeContext<'_>) -> Decoded {
    super::each_record(event, |raw| decode_record(raw, cx))
}

fn decode_record(raw: Value, cx: &DecodeContext<'_>) -> Result<Record, RecordError> {
    let id = super::id_at(&raw, "/Sns/MessageId");
    let fail = RecordError::under(&id);
    let record: SnsRecord = decode_as(SOURCE, raw).map_err(fail)?;
    let sns = record.sns;
    let topic = crate::arn::arn_name(&sns.topic_arn).ok_or_else(|| {
        fail(DecodeError::malformed(
            SOURCE,
            "no TopicArn naming the topic",
        ))
    })?;
    if sns.message.is_empty() {
        return Err(fail(DecodeError::EmptyBody));
    }
    super::within_limit(sns.message.len(), cx.max_body_bytes).map_err(fail)?;
    let content_type = sns
        .message_attributes
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, a)| a.value.clone());
    let body = Bytes::from(sns.message.into_bytes());
    let time = sns.timestamp.to_rfc3339();
    let id_parts = [Part::Segment(&sns.message_id)];
    let layout = Layout::new(Source::Sns, Some(topic), &id_parts);
    let key = cx
        .prefix
        .key(layout, Facts::at(&time))
        .map_err(|e| fail(e.into()))?;
    Ok(Record {
        key,
        content_type: Some(content_type_for(content_type.as_deref(), &body)),
        metadata: provenance_of(SOURCE, &sns.message_id, Some(&time)),
        payload: Payload::Inline(body),
        id: sns.message_id,
    })
}
