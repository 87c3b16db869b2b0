//! Which source an event comes from, recognized by its shape.

use serde_json::Value;

use crate::source::Source;

/// The kinds of event the function accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Records of a source in the table ([`crate::source`]).
    Source(Source),
    /// `s3:TestEvent`, sent once when a notification configuration is saved.
    S3Test,
    /// `{"action": ...}`.
    Action,
}

impl Kind {
    /// The source's name, as metrics and logs give it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Source(source) => source.name(),
            Self::S3Test => "s3-test",
            Self::Action => "action",
        }
    }
}

/// The event matched none of the accepted shapes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unsupported event ({found}). Accepted: an SQS batch, an SNS notification, an EventBridge event, \
     a Kinesis or DynamoDB Streams batch, an MSK or self-managed Kafka batch, an S3 ObjectCreated \
     notification, an SES receipt (Lambda action), a CloudWatch Logs subscription delivery \
     {{\"awslogs\": {{\"data\": ...}}}}, an API Gateway HTTP API v2 / REST v1 / Function \
     URL request, a direct invocation {{\"key\"?, \"body\" | \"body_base64\", \
     \"content_type\"?, \"metadata\"?}} or {{\"objects\": [...]}}, or {{\"action\": \"whoami\"}}"
)]
pub struct UnsupportedEvent {
    pub found: String,
}

/// Recognizes the source of an event from its shape.
pub fn classify(event: &Value) -> Result<Kind, UnsupportedEvent> {
    let Value::Object(map) = event else {
        return Err(UnsupportedEvent {
            found: format!("a JSON {}", json_kind(event)),
        });
    };
    if let Some(Value::Array(records)) = map.get("Records") {
        let source = records
            .first()
            .and_then(|r| r.get("eventSource").or_else(|| r.get("EventSource")));
        return match source.and_then(Value::as_str) {
            Some(tag) => {
                Source::of_records(tag)
                    .map(Kind::Source)
                    .ok_or_else(|| UnsupportedEvent {
                        found: format!("Records from event source {tag:?}"),
                    })
            }
            None if records.is_empty() => Err(UnsupportedEvent {
                found: "an empty Records list".into(),
            }),
            None => Err(UnsupportedEvent {
                found: "Records without an eventSource".into(),
            }),
        };
    }
    // MSK ("aws:kafka") and self-managed Kafka: `records` is an object keyed by topic-partition.
    if matches!(
        map.get("eventSource").and_then(Value::as_str),
        Some("aws:kafka" | "SelfManagedKafka")
    ) {
        return Ok(Kind::Source(Source::Kafka));
    }
    // A CloudWatch Logs subscription filter's delivery (`events/cloudwatch_logs.rs`).
    if map.contains_key("awslogs") {
        return Ok(Kind::Source(Source::CloudWatchLogs));
    }
    if map.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Kind::S3Test);
    }
    if map.contains_key("detail-type") && map.contains_key("source") {
        return Ok(Kind::Source(Source::EventBridge));
    }
    if map.contains_key("requestContext")
        && (map.contains_key("httpMethod") || map.contains_key("rawPath"))
    {
        return Ok(Kind::Source(Source::Http));
    }
    if let Some(action) = map.get("action") {
        return match action.as_str() {
            Some(_) => Ok(Kind::Action),
            None => Err(UnsupportedEvent {
                found: "an \"action\" that is not a string".into(),
            }),
        };
    }
    if ["body", "body_base64", "objects"]
        .iter()
        .any(|k| map.contains_key(*k))
    {
        return Ok(Kind::Source(Source::Direct));
    }
    let mut fields: Vec<&str> = map.keys().map(String::as_str).take(8).collect();
    fields.sort_unstable();
    Err(UnsupportedEvent {
        found: format!("an object with fields {fields:?}"),
    })
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classifies_each_source_by_shape() {
        let cases = [
            (json!({"Records": [{"eventSource": "aws:sqs"}]}), "Sqs"),
            (json!({"Records": [{"EventSource": "aws:sns"}]}), "Sns"),
            (json!({"Records": [{"eventSource": "aws:s3"}]}), "S3"),
            (json!({"Records": [{"eventSource": "aws:ses"}]}), "Ses"),
            (
                json!({"Records": [{"eventSource": "aws:kinesis"}]}),
                "Kinesis",
            ),
            (
                json!({"Records": [{"eventSource": "aws:dynamodb"}]}),
                "DynamoDb",
            ),
            (json!({"eventSource": "aws:kafka", "records": {}}), "Kafka"),
            (
                json!({"eventSource": "SelfManagedKafka", "records": {}}),
                "Kafka",
            ),
            (json!({"Event": "s3:TestEvent"}), "S3Test"),
            (json!({"awslogs": {"data": "H4sI"}}), "CloudWatchLogs"),
            (
                json!({"detail-type": "x", "source": "y", "detail": {}}),
                "EventBridge",
            ),
            (json!({"requestContext": {}, "rawPath": "/"}), "Http"),
            (json!({"requestContext": {}, "httpMethod": "POST"}), "Http"),
            (json!({"action": "whoami"}), "Action"),
            (json!({"body": "x"}), "Direct"),
            (json!({"objects": []}), "Direct"),
        ];
        for (event, expected) in cases {
            let got = match classify(&event).unwrap() {
                Kind::Source(source) => format!("{source:?}"),
                other => format!("{other:?}"),
            };
            assert_eq!(got, expected, "{event}");
        }
    }

    #[test]
    fn unknown_shapes_are_refused_with_the_accepted_list() {
        for event in [
            json!([1]),
            json!({"foo": 1}),
            json!({"Records": []}),
            json!({"Records": [{"eventSource": "aws:docdb"}]}),
            json!({"eventSource": "aws:rmq", "records": {}}),
        ] {
            let err = classify(&event).unwrap_err().to_string();
            assert!(err.contains("Accepted: an SQS batch"), "{err}");
        }
    }
}
