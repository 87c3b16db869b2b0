//! One invocation: classify the event, decode its records, write them, and
//! answer in the shape the source expects.

use std::time::{Duration, SystemTime};

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse};
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::arn::lambda_function_account;
use crate::config::Config;
use crate::credentials::{Clients, IdentityError};
use crate::events::{
    self, DecodeContext, Decoded, Incoming, Record, RecordError, UnsupportedEvent, http,
};
use crate::writer::{WriteError, Writer, Written};

/// Everything an invocation needs, built once at init.
#[derive(Debug)]
pub struct Handler {
    config: Config,
    clients: Clients,
    writer: Writer,
}

/// Why an invocation failed as a whole. Lambda retries asynchronous sources
/// on error; the deterministic keys make that retry harmless.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Unsupported(#[from] UnsupportedEvent),
    #[error("unknown action {0:?}; the only action is \"whoami\"")]
    UnknownAction(String),
    #[error("{failed} of {total} records failed: {details}")]
    RecordsFailed {
        failed: usize,
        total: usize,
        details: String,
    },
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<HandlerError> for Diagnostic {
    fn from(error: HandlerError) -> Self {
        let error_type = match &error {
            HandlerError::Unsupported(_) => "UnsupportedEvent",
            HandlerError::UnknownAction(_) => "UnknownAction",
            HandlerError::RecordsFailed { details, .. } if details.contains("AccessDenied") => {
                "AccessDenied"
            }
            HandlerError::RecordsFailed { .. } => "RecordsFailed",
            HandlerError::Identity(_) => "IdentityFailed",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// One record's failure, decoding or writing, under the source's ID.
struct Failure {
    id: Option<String>,
    message: String,
}

impl Handler {
    pub fn new(config: Config, clients: Clients) -> Self {
        let writer = Writer::new(
            &config,
            clients.target_s3.clone(),
            clients.source_s3.clone(),
        );
        Self {
            config,
            clients,
            writer,
        }
    }

    /// Replaces the writer (tests use it for a smaller multipart part size).
    pub fn with_writer(mut self, writer: Writer) -> Self {
        self.writer = writer;
        self
    }

    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, HandlerError> {
        let (payload, context) = event.into_parts();
        let invocation = Invocation::new(&context);
        let cx = DecodeContext {
            prefix: &self.config.key_prefix,
            max_body_bytes: self.config.max_body_bytes,
            request_id: &context.request_id,
            ses_raw_mail: self.config.ses_raw_mail.as_ref(),
        };
        match events::classify(payload)? {
            Incoming::Sqs(event) => self.sqs(events::sqs::decode(event, &cx), &invocation).await,
            Incoming::Sns(event) => {
                self.all_or_error(events::sns::decode(event, &cx), &invocation)
                    .await
            }
            Incoming::S3(event) => {
                self.all_or_error(events::s3::decode(event, &cx), &invocation)
                    .await
            }
            Incoming::Ses(event) => {
                self.all_or_error(events::ses::decode(event, &cx), &invocation)
                    .await
            }
            Incoming::EventBridge(event) => {
                self.all_or_error(vec![events::eventbridge::decode(event, &cx)], &invocation)
                    .await
            }
            Incoming::S3Test => Ok(json!({ "ignored": "s3:TestEvent" })),
            Incoming::Http(event) => Ok(self.http(event, &cx, &invocation).await),
            Incoming::Direct(event) => Ok(self
                .direct(events::direct::decode(event, &cx), &invocation)
                .await),
            Incoming::Action(action) if action == "whoami" => {
                let who = self.clients.whoami().await?;
                let mut answer = serde_json::to_value(who).unwrap_or_default();
                answer["target_role_arn"] = json!(self.config.target_role_arn.as_str());
                answer["bucket"] = json!(self.config.target_bucket);
                answer["key_prefix"] = json!(self.config.key_prefix.as_str());
                Ok(answer)
            }
            Incoming::Action(action) => Err(HandlerError::UnknownAction(action)),
        }
    }

    /// Writes what decoded; returns every result in record order.
    async fn write(
        &self,
        decoded: Decoded,
        invocation: &Invocation,
    ) -> Vec<Result<Written, Failure>> {
        let mut results: Vec<Option<Result<Written, Failure>>> = Vec::with_capacity(decoded.len());
        let mut records: Vec<Record> = Vec::new();
        let mut slots = Vec::new();
        for item in decoded {
            match item {
                Ok(record) => {
                    slots.push((results.len(), record.id.clone()));
                    records.push(record);
                    results.push(None);
                }
                Err(RecordError { id, error }) => {
                    tracing::warn!(id = id.as_deref().unwrap_or("(none)"), error = %error, "record rejected");
                    results.push(Some(Err(Failure {
                        id,
                        message: error.to_string(),
                    })));
                }
            }
        }
        let written = self
            .writer
            .write_all(
                records,
                invocation.deadline,
                invocation.source_owner.as_deref(),
            )
            .await;
        for ((slot, id), result) in slots.into_iter().zip(written) {
            results[slot] = Some(result.map_err(|e: WriteError| Failure {
                id: Some(id),
                message: e.to_string(),
            }));
        }
        results.into_iter().flatten().collect()
    }

    /// SQS: only the failed message IDs go back, so SQS deletes the rest.
    async fn sqs(&self, decoded: Decoded, invocation: &Invocation) -> Result<Value, HandlerError> {
        let total = decoded.len();
        let results = self.write(decoded, invocation).await;
        let mut response = SqsBatchResponse::default();
        let mut unreportable = Vec::new();
        for failure in results.into_iter().filter_map(Result::err) {
            match failure.id {
                Some(id) => {
                    let mut item = BatchItemFailure::default();
                    item.item_identifier = id;
                    response.batch_item_failures.push(item);
                }
                None => unreportable.push(failure.message),
            }
        }
        if !unreportable.is_empty() {
            // A failure without a message ID can't be reported item by item: fail
            // the batch, so nothing is deleted unwritten (written items will answer 412).
            return Err(HandlerError::RecordsFailed {
                failed: unreportable.len(),
                total,
                details: format!("messages without a messageId: {}", unreportable.join("; ")),
            });
        }
        Ok(serde_json::to_value(response).unwrap_or_else(|_| json!({ "batchItemFailures": [] })))
    }

    /// SNS, EventBridge, S3, SES: an error when any record failed, so Lambda retries.
    async fn all_or_error(
        &self,
        decoded: Decoded,
        invocation: &Invocation,
    ) -> Result<Value, HandlerError> {
        let total = decoded.len();
        let results = self.write(decoded, invocation).await;
        let failures: Vec<String> = results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|f| format!("{}: {}", f.id.as_deref().unwrap_or("(no id)"), f.message))
            .collect();
        if !failures.is_empty() {
            return Err(HandlerError::RecordsFailed {
                failed: failures.len(),
                total,
                details: failures.join("; "),
            });
        }
        let written: Vec<Written> = results.into_iter().filter_map(Result::ok).collect();
        Ok(json!({ "bucket": self.writer.bucket(), "written": written }))
    }

    /// HTTP: 201 with where the object went; 400/405/413 for bad requests; 502 when the write failed.
    async fn http(&self, event: Value, cx: &DecodeContext<'_>, invocation: &Invocation) -> Value {
        let (flavor, decoded) = http::decode(event, cx);
        let (status, body) = match decoded {
            Err(rejection) => (
                rejection.status,
                json!({ "error": rejection.error.to_string() }),
            ),
            Ok(record) => match self.write(vec![Ok(record)], invocation).await.pop() {
                Some(Ok(written)) => (
                    if written.status == crate::writer::Status::Created {
                        201
                    } else {
                        200
                    },
                    json!({ "bucket": self.writer.bucket(), "key": written.key, "etag": written.etag, "version_id": written.version_id, "status": written.status }),
                ),
                Some(Err(failure)) => (502, json!({ "error": failure.message })),
                None => (502, json!({ "error": "nothing was written" })),
            },
        };
        http::response(flavor, status, &body)
    }

    /// Direct invocation: a summary per object.
    async fn direct(&self, decoded: Decoded, invocation: &Invocation) -> Value {
        let results = self.write(decoded, invocation).await;
        let failed = results.iter().filter(|r| r.is_err()).count();
        let objects: Vec<Value> = results
            .into_iter()
            .map(|r| match r {
                Ok(written) => serde_json::to_value(written).unwrap_or_default(),
                Err(f) => json!({ "id": f.id, "status": "failed", "error": f.message }),
            })
            .collect();
        json!({ "bucket": self.writer.bucket(), "failed": failed, "objects": objects })
    }
}

/// Lambda's longest timeout.
const MAX_LAMBDA_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Per-invocation facts from the Lambda context.
struct Invocation {
    deadline: Instant,
    /// The lambda account (from the function's ARN): source buckets must belong to it.
    source_owner: Option<String>,
}

impl Invocation {
    fn new(context: &Context) -> Self {
        let remaining = match context.deadline().duration_since(SystemTime::now()) {
            Ok(remaining) if !remaining.is_zero() => remaining,
            // Lambda never hands out an invocation already past its deadline; local
            // runtime emulators sometimes send a duration instead of a timestamp.
            // Refusing every write for that would only make local runs useless.
            _ => {
                tracing::warn!(
                    deadline_ms = context.deadline,
                    "the invocation's deadline is not in the future; assuming Lambda's 15-minute maximum"
                );
                MAX_LAMBDA_TIMEOUT
            }
        };
        Self {
            deadline: Instant::now() + remaining,
            source_owner: lambda_function_account(&context.invoked_function_arn).map(str::to_owned),
        }
    }
}
