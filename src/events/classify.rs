//! Which source an event comes from, recognized by its shape.

use serde_json::{Map, Value};

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

/// The event matched none of the accepted shapes, or one the function knows
/// and does not take ([`LOOKALIKES`]). Its message lists the accepted shapes,
/// read from the source table ([`Source::accepts`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported event ({found}). Accepted: {}", accepted())]
pub struct UnsupportedEvent {
    pub found: String,
}

/// The accepted shapes, one per source row, then the actions.
fn accepted() -> String {
    let mut list: Vec<&str> = Source::ALL.iter().map(|s| s.accepts()).collect();
    list.push("or {\"action\": \"whoami\"} or {\"action\": \"preflight\"}");
    list.join(", ")
}

/// An event shape the function recognizes and refuses: what it is, why it
/// is not taken, and how to tell it. Taking these as a source's shape would
/// answer them with a successful 4xx (an authorizer with 405, an ALB request
/// with 400) or a malformed direct invocation: a Lambda success with an error
/// in its body reaches no retry, no DLQ and no error metric.
struct Lookalike {
    name: &'static str,
    why: &'static str,
    /// Whether the event is one; `Some(detail)` adds e.g. the authorizer's type.
    recognize: fn(&Map<String, Value>) -> Option<Option<String>>,
}

/// Checked before the sources' own shapes, which some of these would pass
/// (a REQUEST authorizer has `requestContext` and `httpMethod`; VPC Lattice
/// and HTTP responses have a `body`).
const LOOKALIKES: &[Lookalike] = &[
    Lookalike {
        name: "an API Gateway Lambda authorizer event",
        why: "an authorizer must answer with an access decision, and carries no body to store",
        recognize: |m| {
            let kind = str_at(m, "type").filter(|t| matches!(*t, "TOKEN" | "REQUEST"))?;
            let arn = ["methodArn", "routeArn"]
                .into_iter()
                .find(|f| m.contains_key(*f))?;
            Some(Some(format!("type {kind}, {arn}")))
        },
    },
    Lookalike {
        name: "an API Gateway WebSocket event",
        why: "a WebSocket route answers on its connection; store messages through an SQS or \
              Kinesis integration instead",
        recognize: |m| {
            let context = m.get("requestContext")?.as_object()?;
            let event_type = context.get("eventType").and_then(Value::as_str);
            (context.contains_key("connectionId") || event_type.is_some())
                .then(|| event_type.map(|t| format!("eventType {t}")))
        },
    },
    Lookalike {
        name: "a VPC Lattice request",
        why: "VPC Lattice targets are not a supported HTTP front door",
        recognize: |m| {
            if m.contains_key("raw_path") && m.contains_key("method") {
                return Some(Some("version 1".into()));
            }
            let context = m.get("requestContext")?.as_object()?;
            (context.contains_key("serviceNetworkArn") || context.contains_key("serviceArn"))
                .then(|| str_at(m, "version").map(|v| format!("version {v}")))
        },
    },
    Lookalike {
        name: "an HTTP response",
        why: "it is what a function answers an ALB, API Gateway or VPC Lattice with, not an event",
        recognize: |m| {
            let answer = ["headers", "multiValueHeaders", "body", "isBase64Encoded"];
            (m.get("statusCode").is_some_and(Value::is_number)
                && answer.iter().any(|f| m.contains_key(*f))
                && !m.contains_key("requestContext"))
            .then(|| {
                m.contains_key("statusDescription")
                    .then(|| "ALB target shape".into())
            })
        },
    },
    Lookalike {
        name: "an API Gateway authorizer response",
        why: "it is what an authorizer answers, not an event",
        recognize: |m| {
            (m.contains_key("policyDocument") && m.contains_key("principalId")).then_some(None)
        },
    },
    Lookalike {
        name: "an AppSync resolver or authorizer event",
        why: "a resolver must answer with the field's data",
        recognize: |m| {
            let resolver = m.contains_key("arguments")
                && ["info", "fieldName", "identity"]
                    .iter()
                    .any(|f| m.contains_key(*f));
            let invoke = m.contains_key("operation") && m.contains_key("payload");
            let authorizer = m.contains_key("authorizationToken")
                && m.get("requestContext")
                    .and_then(|c| c.get("apiId"))
                    .is_some();
            (resolver || invoke || authorizer).then_some(None)
        },
    },
    Lookalike {
        name: "an Amazon Cognito user pool trigger",
        why: "a trigger must answer with the user pool's expected response",
        recognize: |m| {
            (m.contains_key("userPoolId") && m.contains_key("triggerSource"))
                .then(|| str_at(m, "triggerSource").map(str::to_owned))
        },
    },
    Lookalike {
        name: "a CloudFormation custom resource request",
        why: "a custom resource must report its result to CloudFormation",
        recognize: |m| {
            (m.contains_key("RequestType") && m.contains_key("LogicalResourceId"))
                .then(|| str_at(m, "RequestType").map(str::to_owned))
        },
    },
];

fn str_at<'a>(map: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    map.get(field).and_then(Value::as_str)
}

/// The refusal for an event of a known unsupported shape, when it is one.
fn lookalike(map: &Map<String, Value>) -> Option<UnsupportedEvent> {
    LOOKALIKES.iter().find_map(|l| {
        let detail = (l.recognize)(map)?;
        let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
        Some(UnsupportedEvent {
            found: format!(
                "this looks like {}{detail}; the function does not take it: {}",
                l.name, l.why
            ),
        })
    })
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
    if let Some(refused) = lookalike(map) {
        return Err(refused);
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
            (json!({"action": "preflight"}), "Action"),
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

    /// Shapes that would pass a source's shape (or a direct invocation's) are
    /// refused by name: an authorizer is not an HTTP request, VPC Lattice is
    /// not a direct invocation.
    #[test]
    fn known_unsupported_shapes_are_refused_by_name() {
        let cases = [
            (
                json!({"type": "TOKEN", "methodArn": "arn", "authorizationToken": "t"}),
                "API Gateway Lambda authorizer event (type TOKEN, methodArn)",
            ),
            (
                json!({"type": "REQUEST", "methodArn": "arn", "httpMethod": "POST",
                       "requestContext": {"requestId": "r"}, "body": "x"}),
                "API Gateway Lambda authorizer event (type REQUEST, methodArn)",
            ),
            (
                json!({"type": "REQUEST", "routeArn": "arn", "version": "2.0", "rawPath": "/",
                       "requestContext": {"requestId": "r"}}),
                "API Gateway Lambda authorizer event (type REQUEST, routeArn)",
            ),
            (
                json!({"httpMethod": "POST", "body": "x", "requestContext":
                       {"eventType": "MESSAGE", "connectionId": "c", "routeKey": "$default"}}),
                "API Gateway WebSocket event (eventType MESSAGE)",
            ),
            (
                json!({"requestContext": {"connectionId": "c", "routeKey": "$connect"}}),
                "API Gateway WebSocket event;",
            ),
            (
                json!({"raw_path": "/", "method": "POST", "body": "x"}),
                "VPC Lattice request (version 1)",
            ),
            (
                json!({"version": "2.0", "method": "POST", "path": "/", "body": "x",
                       "requestContext": {"serviceNetworkArn": "arn"}}),
                "VPC Lattice request (version 2.0)",
            ),
            (
                json!({"statusCode": 201, "statusDescription": "201 Created", "body": "x"}),
                "HTTP response (ALB target shape)",
            ),
            (json!({"statusCode": 200, "body": "x"}), "HTTP response;"),
            (
                json!({"triggerSource": "PreSignUp_SignUp", "userPoolId": "p"}),
                "Amazon Cognito user pool trigger (PreSignUp_SignUp)",
            ),
            (
                json!({"RequestType": "Create", "LogicalResourceId": "R", "StackId": "s"}),
                "CloudFormation custom resource request (Create)",
            ),
            (json!({"arguments": {}, "info": {}}), "AppSync"),
        ];
        for (event, looks_like) in cases {
            let err = classify(&event).unwrap_err().to_string();
            assert!(
                err.contains(&format!("this looks like an {looks_like}"))
                    || err.contains(&format!("this looks like a {looks_like}")),
                "{event}: {err}"
            );
            assert!(err.contains("Accepted: an SQS batch"), "{err}");
        }
        // Near misses stay what they are: a REST request with a `type` field,
        // a direct invocation with a `statusCode` in its metadata.
        assert_eq!(
            classify(&json!({"type": "REQUEST", "httpMethod": "POST", "requestContext": {}})),
            Ok(Kind::Source(Source::Http))
        );
        assert_eq!(
            classify(&json!({"body": "x", "metadata": {"statusCode": "200"}})),
            Ok(Kind::Source(Source::Direct))
        );
    }

    /// The accepted list is the source table's, so a new row is listed with no edit here.
    #[test]
    fn the_accepted_list_names_every_source_row() {
        let err = classify(&json!({"foo": 1})).unwrap_err().to_string();
        let (_, accepted) = err.split_once("Accepted: ").unwrap();
        for source in Source::ALL {
            assert!(
                accepted.contains(source.accepts()),
                "{source:?}: {accepted}"
            );
        }
        assert!(
            accepted.ends_with("or {\"action\": \"whoami\"} or {\"action\": \"preflight\"}"),
            "{accepted}"
        );
        assert!(accepted.contains("ALB target request"), "{accepted}");
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
