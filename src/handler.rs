//! One invocation: decode its records, write them, answer as the source expects.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt as _;
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::arn::lambda_function_account;
use crate::batch::Plan;
use crate::config::Config;
use crate::credentials::{Clients, IdentityError, counting_assume_role_calls};
use crate::errors::ErrorCode;
use crate::events::{self, DecodeContext, Decoded, RecordsFailed, Request, UnsupportedEvent};
use crate::metrics::Tally;
use crate::order::{self, Groups};
use crate::record::{Failure, Outcome, Record, RecordError};
use crate::writer::{self, Writer, WriterSettings};

/// Everything an invocation needs, built once at init.
#[derive(Debug)]
pub struct Handler {
    config: Config,
    clients: Clients,
    writer: Writer,
    /// Until the first invocation has run (the `ColdStart` metric).
    cold: AtomicBool,
}

/// Why an invocation failed as a whole. Lambda retries asynchronous sources
/// on error; the deterministic keys and the identity checks make that retry harmless.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Unsupported(#[from] UnsupportedEvent),
    #[error("unknown action {0:?}; the actions are \"whoami\" and \"preflight\"")]
    UnknownAction(String),
    #[error(transparent)]
    RecordsFailed(#[from] RecordsFailed),
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<HandlerError> for Diagnostic {
    fn from(error: HandlerError) -> Self {
        let error_type = match &error {
            HandlerError::Unsupported(_) => "UnsupportedEvent".to_owned(),
            HandlerError::UnknownAction(_) => "UnknownAction".to_owned(),
            // By the AWS error codes behind the failures, never by their text.
            HandlerError::RecordsFailed(failed)
                if failed.codes.contains(&ErrorCode::AccessDenied) =>
            {
                ErrorCode::AccessDenied.to_string()
            }
            HandlerError::RecordsFailed(_) => "RecordsFailed".to_owned(),
            HandlerError::Identity(_) => "IdentityFailed".to_owned(),
        };
        Diagnostic {
            error_type,
            error_message: error.to_string(),
        }
    }
}

impl Handler {
    pub fn new(config: Config, clients: Clients) -> Self {
        let writer = Writer::new(
            writer_settings(&config),
            clients.target_s3.clone(),
            clients.source_s3.clone(),
        );
        Self {
            config,
            clients,
            writer,
            cold: AtomicBool::new(true),
        }
    }

    /// One invocation, and its metrics (one EMF document on stdout unless `METRICS=off`).
    pub async fn handle(&self, event: LambdaEvent<Box<RawValue>>) -> Result<Value, HandlerError> {
        let ((source, mut tally, result), assume_role_calls) =
            counting_assume_role_calls(self.invoke(event)).await;
        if let Some(metrics) = &self.config.metrics {
            tally.assume_role_calls = assume_role_calls;
            tally.cold_start = self.cold.swap(false, Ordering::Relaxed);
            let now_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            let mut out = std::io::stdout().lock();
            for line in metrics.documents(source, &tally, now_ms) {
                let _ = out.write_all(line.as_bytes());
            }
            let _ = out.flush();
        } else {
            self.cold.store(false, Ordering::Relaxed);
        }
        result
    }

    /// The invocation's source, what it did, and its answer.
    async fn invoke(
        &self,
        event: LambdaEvent<Box<RawValue>>,
    ) -> (&'static str, Tally, Result<Value, HandlerError>) {
        let (payload, context) = event.into_parts();
        let invocation = Invocation::new(&context);
        let cx = DecodeContext {
            prefix: &self.config.key_prefix,
            max_body_bytes: self.config.max_body_bytes,
            request_id: &context.request_id,
            ses_raw_mail: self.config.ses_raw_mail.as_ref(),
            s3_notifications: self.config.s3_notifications,
        };
        let request = match events::decode(&payload, &cx) {
            Ok(request) => request,
            Err(e) => return ("unsupported", Tally::default(), Err(e.into())),
        };
        let source = request.source();
        match request {
            Request::Write {
                mut records,
                reply,
                message_groups,
                ..
            } => {
                let groups = Groups::new(message_groups);
                groups.hold_back(&mut records);
                let (objects, plan) = Plan::new(records, &self.config.delivery);
                let lanes = groups.lanes(&plan.object_of_records(), objects.len());
                let results = plan.finish(self.write(objects, lanes, &invocation).await);
                let tally = Tally::of_results(&results);
                let answer = reply
                    .answer(results.records, self.writer.bucket())
                    .map_err(HandlerError::from);
                (source, tally, answer)
            }
            Request::Ignore(answer) => (source, Tally::default(), Ok(answer)),
            Request::Action(action) if action == "whoami" => {
                (source, Tally::default(), self.whoami().await)
            }
            Request::Action(action) if action == "preflight" => {
                (source, Tally::default(), Ok(self.preflight(&context).await))
            }
            Request::Action(action) => (
                source,
                Tally::default(),
                Err(HandlerError::UnknownAction(action)),
            ),
        }
    }

    async fn whoami(&self) -> Result<Value, HandlerError> {
        let who = self.clients.whoami().await?;
        let mut answer = serde_json::to_value(who).unwrap_or_default();
        answer["target_role_arn"] = json!(self.config.target_role_arn.as_str());
        answer["bucket"] = json!(self.config.target_bucket);
        answer["key_prefix"] = json!(self.config.key_prefix.as_str());
        Ok(answer)
    }

    /// `{"action": "preflight"}`: answers even when checks fail (`crate::preflight`).
    async fn preflight(&self, context: &Context) -> Value {
        let answer = crate::preflight::Preflight {
            config: &self.config,
            clients: &self.clients,
            writer: &self.writer,
            request_id: &context.request_id,
            function_account: lambda_function_account(&context.invoked_function_arn),
        }
        .run()
        .await;
        serde_json::to_value(answer).unwrap_or_default()
    }

    /// Writes what decoded, at most `MAX_CONCURRENT_WRITES` lanes at once;
    /// within a lane (an SQS FIFO message group, `crate::order`) one object
    /// after the other, and nothing after a failure. Decode errors and write
    /// results come back as one outcome per object, in object order, so no
    /// failure can drop out of the answer. Each write comes with how long it took.
    async fn write(
        &self,
        objects: Decoded,
        lanes: Vec<Vec<usize>>,
        invocation: &Invocation,
    ) -> Vec<(Outcome, Option<Duration>)> {
        let count = objects.len();
        let mut slots: Vec<Option<_>> = objects.into_iter().map(Some).collect();
        let mut lanes: Vec<Vec<(usize, Result<Record, RecordError>)>> = lanes
            .into_iter()
            .map(|lane| {
                lane.into_iter()
                    .filter_map(|i| Some((i, slots.get_mut(i)?.take()?)))
                    .collect()
            })
            .collect();
        // Whatever no lane took (never, for lanes from `order`) is a lane of its own.
        lanes.extend(
            slots
                .into_iter()
                .enumerate()
                .filter_map(|(i, item)| Some(vec![(i, item?)])),
        );
        let mut written: Vec<(usize, (Outcome, Option<Duration>))> =
            futures_util::stream::iter(lanes)
                .map(|lane| self.write_lane(lane, invocation))
                .buffer_unordered(self.writer.max_concurrent())
                .flat_map(futures_util::stream::iter)
                .collect()
                .await;
        written.sort_unstable_by_key(|(i, _)| *i);
        debug_assert_eq!(written.len(), count);
        written.into_iter().map(|(_, result)| result).collect()
    }

    /// One lane in order: after the first failure, the rest are held back.
    async fn write_lane(
        &self,
        lane: Vec<(usize, Result<Record, RecordError>)>,
        invocation: &Invocation,
    ) -> Vec<(usize, (Outcome, Option<Duration>))> {
        let mut done = Vec::with_capacity(lane.len());
        let mut failed: Option<String> = None;
        for (i, item) in lane {
            let item = match (&failed, item) {
                (Some(first), Ok(record)) => Err(order::held_back(Some(record.id), first)),
                (_, item) => item,
            };
            let result = self.write_one(item, invocation).await;
            if let (None, Err(failure)) = (&failed, &result.0) {
                failed = Some(failure.id.clone().unwrap_or_else(|| format!("#{i}")));
            }
            done.push((i, result));
        }
        done
    }

    async fn write_one(
        &self,
        item: Result<Record, RecordError>,
        invocation: &Invocation,
    ) -> (Outcome, Option<Duration>) {
        match item {
            Ok(record) => {
                let id = record.id.clone();
                let started = Instant::now();
                let outcome = self
                    .writer
                    .write_before(
                        record,
                        invocation.deadline,
                        invocation.source_owner.as_deref(),
                    )
                    .await
                    .map_err(|e| e.into_failure(id));
                (outcome, Some(started.elapsed()))
            }
            Err(rejected) => {
                tracing::warn!(id = rejected.id.as_deref().unwrap_or("(none)"), error = %rejected.error, "record rejected");
                (Err(Failure::from(rejected)), None)
            }
        }
    }
}

/// What the writer needs of the configuration.
fn writer_settings(config: &Config) -> WriterSettings {
    WriterSettings {
        bucket: config.target_bucket.clone(),
        bucket_owner: config.bucket_owner.clone(),
        sse_kms_key_arn: config
            .sse_kms_key_arn
            .as_ref()
            .map(|k| k.as_str().to_owned()),
        max_concurrent: config.max_concurrent_writes,
        part_size: config.part_size,
        max_concurrent_parts: config.max_concurrent_parts,
        start_reserve: writer::START_RESERVE,
        finish_reserve: writer::FINISH_RESERVE,
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
