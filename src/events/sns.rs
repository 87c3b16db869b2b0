//! SNS notifications: one object per message, at `sns/<topic name>/<MessageId>`.

use aws_lambda_events::sns::SnsRecord;
use bytes::Bytes;
use serde_json::Value;

use super::decoding::{Decoding, Found};
use super::{
    DecodeContext, DecodeError, Decoded, Payload, Record, RecordError, content_type_for, s3_carried,
};
use crate::config::S3Notifications;
use crate::keys::{Facts, Layout, Part};
use crate::source::Source;

const SOURCE: Source = Source::Sns;

/// Its entry in `events::decode`.
pub(crate) const DECODER: super::Decoder = |_, event, cx| decode(event, cx);

pub fn decode(event: Value, cx: &DecodeContext<'_>) -> Decoded {
    super::records_of(event)
        .into_iter()
        .enumerate()
        .flat_map(|(n, raw)| {
            decode_record(raw, cx)
                .into_iter()
                .map(move |item| item.map_err(|e| e.in_record(n)))
        })
        .collect()
}

/// A notification's records: itself, or the copies the S3 notification its
/// `Message` carries asks for.
fn decode_record(raw: Value, cx: &DecodeContext<'_>) -> Decoded {
    let d = Decoding::at(SOURCE, &raw, "/Sns/MessageId", cx);
    let record: SnsRecord = match d.typed(raw) {
        Ok(record) => record,
        Err(e) => return vec![Err(e)],
    };
    if cx.s3_notifications == S3Notifications::Copy
        && !record.sns.message_id.is_empty()
        && let Some(carried) = s3_carried::in_text(&record.sns.message, false)
    {
        return s3_carried::copies(carried, &record.sns.message_id, "sns", cx);
    }
    vec![store_record(&d, record)]
}

fn store_record(d: &Decoding<'_>, record: SnsRecord) -> Result<Record, RecordError> {
    let sns = record.sns;
    let topic = crate::arn::arn_name(&sns.topic_arn)
        .ok_or_else(|| d.malformed("no TopicArn naming the topic"))?;
    if sns.message.is_empty() {
        return Err(d.fail(DecodeError::EmptyBody));
    }
    d.within_limit(sns.message.len())?;
    let content_type = sns
        .message_attributes
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, a)| a.value.as_str());
    let body = Bytes::from(sns.message.into_bytes());
    let time = sns.timestamp.to_rfc3339();
    d.record(Found {
        source_id: &sns.message_id,
        layout: Layout::new(SOURCE, Some(topic), &[Part::Segment(&sns.message_id)]),
        facts: Facts::at(&time),
        content_type: Some(content_type_for(content_type, &body)),
        payload: Payload::Inline(body),
        id: sns.message_id.clone(),
    })
}
