//! HTTP requests from API Gateway (HTTP API v2, REST v1), Function URLs and
//! Application Load Balancer targets: the request body, at `http/<requestId>`.
//!
//! An ALB event carries no request ID (only its `x-amzn-trace-id` header,
//! whose `Root` a client may set itself, so two clients' requests could share
//! it). Its key is the Lambda invocation's request ID instead: Lambda makes a
//! new one per invocation, and an ALB never retries a Lambda target, so a
//! request lands once; a client that retries after a 5xx makes a new request
//! (a second object with the same body), as with API Gateway.

use aws_lambda_events::alb::AlbTargetGroupRequest;
use aws_lambda_events::apigw::{
    ApiGatewayProxyRequest, ApiGatewayProxyResponse, ApiGatewayV2httpRequest,
    ApiGatewayV2httpResponse,
};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlResponse,
};
use http::HeaderMap;
use serde_json::Value;

use super::decoding::{Decoding, Found};
use super::{DecodeContext, DecodeError, Outcome, Payload, Record, RecordError, content_type_for};
use crate::keys::{Facts, Layout, Part};
use crate::record::{Cause, Status};
use crate::source::Source;

const SOURCE: Source = Source::Http;

/// Which front door the request came through; the response must match it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    RestV1,
    HttpV2,
    FunctionUrl,
    /// An ALB target group; `multi_value` when the target group sends
    /// `multiValueHeaders`, which its answer must then use too.
    Alb { multi_value: bool },
}

/// The parts of a request the function uses, whatever the flavor.
struct Request {
    method: String,
    content_type: Option<String>,
    body: Option<String>,
    base64: bool,
    request_id: Option<String>,
    time_epoch_ms: i64,
}

/// Its entry in `events::decode`.
pub(crate) const DECODER: super::Decoder = |_, event, cx| vec![decode(event, cx).1];

/// Decodes the request into one record; a refused request's error says which
/// status to answer with ([`DecodeError::http_status`]).
pub fn decode(event: Value, cx: &DecodeContext<'_>) -> (Flavor, Result<Record, RecordError>) {
    let flavor = flavor_of(&event);
    let d = match flavor {
        Flavor::Alb { .. } => Decoding::new(SOURCE, Some(cx.request_id.to_owned()), cx),
        _ => Decoding::at(SOURCE, &event, "/requestContext/requestId", cx),
    };
    let request = match flavor {
        Flavor::RestV1 => d.typed::<ApiGatewayProxyRequest>(event).map(|r| Request {
            method: r.http_method.to_string(),
            content_type: content_type_header(&r.headers),
            body: r.body,
            base64: r.is_base64_encoded,
            request_id: r.request_context.request_id,
            time_epoch_ms: r.request_context.request_time_epoch,
        }),
        Flavor::HttpV2 => d.typed::<ApiGatewayV2httpRequest>(event).map(|r| Request {
            method: r.request_context.http.method.to_string(),
            content_type: content_type_header(&r.headers),
            body: r.body,
            base64: r.is_base64_encoded,
            request_id: r.request_context.request_id,
            time_epoch_ms: r.request_context.time_epoch,
        }),
        Flavor::FunctionUrl => d.typed::<LambdaFunctionUrlRequest>(event).map(|r| Request {
            method: r.request_context.http.method.unwrap_or_default(),
            content_type: content_type_header(&r.headers),
            body: r.body,
            base64: r.is_base64_encoded,
            request_id: r.request_context.request_id,
            time_epoch_ms: r.request_context.time_epoch,
        }),
        Flavor::Alb { multi_value } => d.typed::<AlbTargetGroupRequest>(event).map(|r| Request {
            method: r.http_method.to_string(),
            content_type: content_type_header(if multi_value {
                &r.multi_value_headers
            } else {
                &r.headers
            }),
            body: r.body,
            base64: r.is_base64_encoded,
            request_id: Some(cx.request_id.to_owned()),
            time_epoch_ms: 0,
        }),
    };
    (flavor, request.and_then(|request| record_of(request, &d)))
}

fn record_of(request: Request, d: &Decoding<'_>) -> Result<Record, RecordError> {
    if !matches!(request.method.as_str(), "POST" | "PUT") {
        return Err(d.fail(DecodeError::MethodNotAllowed(request.method)));
    }
    let Some(id) = request.request_id.filter(|id| !id.is_empty()) else {
        return Err(d.malformed("no requestContext.requestId"));
    };
    let body = d.inline_body(request.body, request.base64)?;
    let time = (request.time_epoch_ms > 0)
        .then(|| aws_smithy_types::DateTime::from_millis(request.time_epoch_ms))
        .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok());
    d.record(Found {
        source_id: &id,
        layout: Layout::new(SOURCE, None, &[Part::Segment(&id)]),
        facts: Facts {
            event_time: time.as_deref(),
            partition_key: None,
            ..Facts::default()
        },
        content_type: Some(content_type_for(request.content_type.as_deref(), &body)),
        payload: Payload::Inline(body),
        id: id.clone(),
    })
}

pub(crate) fn flavor_of(event: &Value) -> Flavor {
    if event.pointer("/requestContext/elb").is_some() {
        let multi_value = event.get("multiValueHeaders").is_some_and(Value::is_object);
        return Flavor::Alb { multi_value };
    }
    if event.get("httpMethod").is_some()
        && event.get("version").and_then(Value::as_str) != Some("2.0")
    {
        return Flavor::RestV1;
    }
    let domain = event
        .pointer("/requestContext/domainName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if domain.contains(".lambda-url.") {
        Flavor::FunctionUrl
    } else {
        Flavor::HttpV2
    }
}

fn content_type_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// 201 with where the object went (200 when an earlier delivery already wrote
/// it); the refusal's 400/405/413; 502 when the write failed.
pub fn answer(flavor: Flavor, outcomes: Vec<Outcome>, bucket: &str) -> Value {
    let (status, body) = match outcomes.into_iter().next() {
        Some(Ok(written)) => (
            if written.status == Status::Created {
                201
            } else {
                200
            },
            serde_json::json!({
                "bucket": bucket,
                "key": written.key,
                "etag": written.etag,
                "version_id": written.version_id,
                "status": written.status,
            }),
        ),
        Some(Err(failure)) => (
            match &failure.cause {
                Cause::Decode(error) => error.http_status(),
                Cause::Write | Cause::Transient => 502,
            },
            serde_json::json!({ "error": failure.message }),
        ),
        None => (502, serde_json::json!({ "error": "nothing was written" })),
    };
    response(flavor, status, &body)
}

impl DecodeError {
    /// The HTTP status a request with this fault is answered with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::TooLarge { .. } => 413,
            Self::MethodNotAllowed(_) => 405,
            _ => 400,
        }
    }
}

/// The response in the flavor's own type, as JSON: `status` and a JSON body.
pub fn response(flavor: Flavor, status: u16, body: &Value) -> Value {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    let text = body.to_string();
    let status_code = i64::from(status);
    let response = match flavor {
        Flavor::RestV1 => {
            let mut r = ApiGatewayProxyResponse::default();
            r.status_code = status_code;
            r.headers = headers;
            r.body = Some(Body::Text(text));
            serde_json::to_value(r)
        }
        Flavor::HttpV2 => {
            let mut r = ApiGatewayV2httpResponse::default();
            r.status_code = status_code;
            r.headers = headers;
            r.body = Some(Body::Text(text));
            serde_json::to_value(r)
        }
        Flavor::FunctionUrl => {
            let mut r = LambdaFunctionUrlResponse::default();
            r.status_code = status_code;
            r.headers = headers;
            r.body = Some(text);
            serde_json::to_value(r)
        }
        Flavor::Alb { multi_value } => Ok(alb_response(multi_value, status, headers, text)),
    };
    // Serializing these plain structs cannot fail; fall back to the minimal shape anyway.
    response
        .unwrap_or_else(|_| serde_json::json!({ "statusCode": status, "body": body.to_string() }))
}

/// ALB's answer: `statusCode`, `statusDescription` ("201 Created"), the
/// headers as the request had them (`multiValueHeaders` when the target group
/// sends those: the load balancer then reads only that), the body, `isBase64Encoded`.
fn alb_response(multi_value: bool, status: u16, headers: HeaderMap, body: String) -> Value {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown");
    let mut names = serde_json::Map::new();
    for (name, value) in &headers {
        let value = Value::from(value.to_str().unwrap_or_default());
        names.insert(
            name.as_str().to_owned(),
            if multi_value {
                Value::Array(vec![value])
            } else {
                value
            },
        );
    }
    let headers_field = if multi_value {
        "multiValueHeaders"
    } else {
        "headers"
    };
    let mut response = serde_json::json!({
        "statusCode": status,
        "statusDescription": format!("{status} {reason}"),
        "body": body,
        "isBase64Encoded": false,
    });
    response[headers_field] = Value::Object(names);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Failure;

    fn status_for(cause: Cause) -> Value {
        let failure = Failure {
            id: Some("r".into()),
            message: "no".into(),
            code: None,
            cause,
        };
        answer(Flavor::HttpV2, vec![Err(failure)], "b")["statusCode"].clone()
    }

    #[test]
    fn the_http_reply_chooses_the_status_by_where_the_record_failed() {
        assert_eq!(status_for(Cause::Write), 502);
        let too_large = DecodeError::TooLarge { len: 2, max: 1 };
        assert_eq!(status_for(Cause::Decode(too_large)), 413);
        let method = DecodeError::MethodNotAllowed("GET".into());
        assert_eq!(status_for(Cause::Decode(method)), 405);
        assert_eq!(status_for(Cause::Decode(DecodeError::EmptyBody)), 400);
    }

    #[test]
    fn alb_requests_are_their_own_flavor_single_or_multi_value() {
        let single = serde_json::json!({"requestContext": {"elb": {"targetGroupArn": "arn"}},
            "httpMethod": "POST", "headers": {"content-type": "text/plain"}});
        assert_eq!(flavor_of(&single), Flavor::Alb { multi_value: false });
        let multi = serde_json::json!({"requestContext": {"elb": {}}, "httpMethod": "POST",
            "multiValueHeaders": {"content-type": ["text/plain"]}});
        assert_eq!(flavor_of(&multi), Flavor::Alb { multi_value: true });
    }

    /// ALB reads `statusDescription`, and only `multiValueHeaders` when the
    /// target group sends those: the answer has exactly one of the two.
    #[test]
    fn alb_answers_in_its_own_shape_with_the_requests_kind_of_headers() {
        let body = serde_json::json!({"key": "k"});
        let single = response(Flavor::Alb { multi_value: false }, 201, &body);
        assert_eq!(
            single,
            serde_json::json!({
                "statusCode": 201,
                "statusDescription": "201 Created",
                "headers": {"content-type": "application/json"},
                "body": "{\"key\":\"k\"}",
                "isBase64Encoded": false,
            })
        );
        let multi = response(Flavor::Alb { multi_value: true }, 405, &body);
        assert_eq!(multi["statusDescription"], "405 Method Not Allowed");
        assert_eq!(
            multi["multiValueHeaders"],
            serde_json::json!({"content-type": ["application/json"]})
        );
        assert!(multi.get("headers").is_none(), "{multi}");
    }
}
