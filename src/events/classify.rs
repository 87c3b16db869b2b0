//! Which source an event comes from, recognized by its shape.

use serde_json::Value;

use crate::source::{Shape, Source};

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
     notification, an S3 Batch Operations invocation (schema 1.0 or 2.0), an SES receipt (Lambda \
     action), a CloudWatch Logs subscription delivery {{\"awslogs\": {{\"data\": ...}}}}, an API \
     Gateway HTTP API v2 / REST v1 / Function \
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
    if map.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Kind::S3Test);
    }
    let has = |field: &str| map.contains_key(field);
    let recognized = |otherwise: bool| {
        Source::ALL.into_iter().find(|source| match source.shape() {
            Shape::Records(_) => false,
            Shape::FieldIs(field, values) => {
                !otherwise
                    && map
                        .get(field)
                        .and_then(Value::as_str)
                        .is_some_and(|value| values.contains(&value))
            }
            Shape::Fields { all, any } => {
                !otherwise
                    && all.iter().all(|f| has(f))
                    && (any.is_empty() || any.iter().any(|f| has(f)))
            }
            Shape::Otherwise(any) => otherwise && any.iter().any(|f| has(f)),
        })
    };
    if let Some(source) = recognized(false) {
        return Ok(Kind::Source(source));
    }
    if let Some(action) = map.get("action") {
        return match action.as_str() {
            Some(_) => Ok(Kind::Action),
            None => Err(UnsupportedEvent {
                found: "an \"action\" that is not a string".into(),
            }),
        };
    }
    if let Some(source) = recognized(true) {
        return Ok(Kind::Source(source));
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
            (
                json!({"invocationSchemaVersion": "2.0", "invocationId": "i", "tasks": []}),
                "S3Batch",
            ),
        ];
        for (event, expected) in cases {
            let got = match classify(&event).unwrap() {
                Kind::Source(source) => format!("{source:?}"),
                other => format!("{other:?}"),
            };
            assert_eq!(got, expected, "{event}");
        }
    }

    /// Every row of the source table is recognized by the shape it states,
    /// with no arm here: a minimal event of each shape classifies as its source.
    #[test]
    fn every_source_is_recognized_by_its_rows_shape() {
        for source in Source::ALL {
            let mut event = serde_json::Map::new();
            match source.shape() {
                Shape::Records(tag) => {
                    event.insert("Records".into(), json!([{ "eventSource": tag }]));
                }
                Shape::FieldIs(field, values) => {
                    event.insert(field.into(), json!(values[values.len() - 1]));
                }
                Shape::Fields { all, any } => {
                    for field in all.iter().chain(any.last()) {
                        event.insert((*field).into(), json!({}));
                    }
                }
                Shape::Otherwise(any) => {
                    event.insert(any[0].into(), json!("x"));
                }
            }
            let event = Value::Object(event);
            assert_eq!(classify(&event), Ok(Kind::Source(source)), "{event}");
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
