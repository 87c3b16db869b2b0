//! S3 Batch Operations ("Invoke AWS Lambda function", invocation schema 1.0
//! and 2.0): the backfill of objects that existed before the S3 trigger.
//!
//! Each task names an object (and version) of a bucket in the lambda account;
//! it is copied exactly as an S3 notification copies it ([`super::s3::copy_record`]:
//! key `s3/<bucket>/<key>`, provenance `source: s3`, `source-id: <bucket>/<key>`),
//! but only where the key holds no copy yet (`fill_only`): a task carries no
//! sequencer, so it can't tell whether the copy there is older or newer, and a
//! backfill must never roll a notification's newer copy back.
//!
//! Schema 1.0 tasks name the bucket by ARN (`s3BucketArn`), 2.0 tasks by name
//! (`s3Bucket`, with the job's `userArguments`, unused here). The key arrives
//! URL-encoded (`%XX`; AWS's example function decodes it with `unquote`), so
//! it is percent-decoded, `+` kept as it is.
//!
//! The answer is the schema's: `invocationSchemaVersion` and `invocationId`
//! echoed, `treatMissingKeysAs: PermanentFailure`, and per task its `taskId`,
//! `resultCode` and `resultString`. The invocation itself always succeeds:
//! Batch Operations reads the per-task results, whereas a function error
//! would fail every task of the invocation alike, a permanent refusal and a
//! throttled write included.

use serde_json::{Value, json};

use super::decoding::Decoding;
use super::{DecodeContext, Decoded, Record, RecordError, SourceObject};
use crate::record::{Cause, Failure, Outcome};
use crate::source::Source;

const SOURCE: Source = Source::S3Batch;

/// Its entry in `events::decode`.
pub(crate) const DECODER: super::Decoder = |_, event, cx| decode(event, cx);

/// The schemas this function reads.
const SCHEMAS: [&str; 2] = ["1.0", "2.0"];

/// What the answer echoes of the invocation, and its tasks' IDs in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    schema: String,
    invocation_id: String,
    /// Per task, in event order (one record each), its `taskId`.
    task_ids: Vec<Option<String>>,
}

/// A task's result code, as the schema spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultCode {
    Succeeded,
    /// S3 retries the task.
    TemporaryFailure,
    /// S3 records the task as failed, with the result string, in the job's report.
    PermanentFailure,
}

impl ResultCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "Succeeded",
            Self::TemporaryFailure => "TemporaryFailure",
            Self::PermanentFailure => "PermanentFailure",
        }
    }

    /// A failed task's code: temporary when a retry may succeed (throttled, a
    /// 5xx, a timeout, the deadline: [`Cause::Transient`]), permanent
    /// otherwise (refused, malformed, not found, a conflict). By the failure's
    /// cause and AWS error code, never its message.
    pub fn of_failure(failure: &Failure) -> Self {
        match (&failure.cause, &failure.code) {
            (Cause::Transient, _) => Self::TemporaryFailure,
            (Cause::Write, Some(code)) if code.is_transient() => Self::TemporaryFailure,
            (Cause::Write | Cause::Decode(_), _) => Self::PermanentFailure,
        }
    }
}

/// The invocation's echo and task IDs, read before its tasks are decoded.
pub(crate) fn job_of(event: &Value) -> Job {
    let text = |pointer: &str| {
        event
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let task_ids = match event.get("tasks") {
        Some(Value::Array(tasks)) => tasks
            .iter()
            .map(|task| super::id_at(task, "/taskId"))
            .collect(),
        _ => Vec::new(),
    };
    Job {
        schema: text("/invocationSchemaVersion"),
        invocation_id: text("/invocationId"),
        task_ids,
    }
}

impl Job {
    /// The schema's response: one result per task that has a `taskId` (one
    /// without can't be named; Batch Operations counts a missing result as
    /// `treatMissingKeysAs`, a permanent failure).
    pub fn answer(self, outcomes: Vec<Outcome>) -> Value {
        let results: Vec<Value> = outcomes
            .into_iter()
            .enumerate()
            .filter_map(|(i, outcome)| {
                let task_id = match &outcome {
                    Ok(_) => self.task_ids.get(i).cloned().flatten(),
                    Err(failure) => self
                        .task_ids
                        .get(i)
                        .cloned()
                        .flatten()
                        .or_else(|| failure.id.clone()),
                }?;
                let (code, text) = match outcome {
                    Ok(written) => (
                        ResultCode::Succeeded,
                        format!("{} {}", status_name(&written), written.key),
                    ),
                    Err(failure) => (ResultCode::of_failure(&failure), failure.message),
                };
                Some(json!({
                    "taskId": task_id,
                    "resultCode": code.as_str(),
                    "resultString": text,
                }))
            })
            .collect();
        json!({
            "invocationSchemaVersion": self.schema,
            "treatMissingKeysAs": ResultCode::PermanentFailure.as_str(),
            "invocationId": self.invocation_id,
            "results": results,
        })
    }
}

/// `created`, `already_existed`, ...: how the write ended, as the summaries say it.
fn status_name(written: &super::Written) -> String {
    serde_json::to_value(written.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub fn decode(event: Value, cx: &DecodeContext<'_>) -> Decoded {
    let schema = event
        .get("invocationSchemaVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let tasks = match event {
        Value::Object(mut map) => match map.remove("tasks") {
            Some(Value::Array(tasks)) => tasks,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    tasks
        .into_iter()
        .map(|task| decode_task(&schema, task, cx))
        .collect()
}

fn decode_task(schema: &str, task: Value, cx: &DecodeContext<'_>) -> Result<Record, RecordError> {
    let d = Decoding::at(SOURCE, &task, "/taskId", cx);
    let task_id = d.id("taskId")?;
    if !SCHEMAS.contains(&schema) {
        return Err(d.malformed(format!(
            "invocationSchemaVersion {schema:?} is not one this function reads (1.0, 2.0)"
        )));
    }
    let text = |field: &str| task.get(field).and_then(Value::as_str).filter(|s| !s.is_empty());
    let bucket = if schema == "1.0" {
        let arn = text("s3BucketArn")
            .ok_or_else(|| d.malformed("no s3BucketArn (invocation schema 1.0)"))?;
        bucket_of_arn(arn)
            .ok_or_else(|| d.malformed(format!("s3BucketArn {arn:?} is not an S3 bucket ARN")))?
    } else {
        text("s3Bucket").ok_or_else(|| d.malformed("no s3Bucket (invocation schema 2.0)"))?
    };
    if bucket.contains('/') || bucket.chars().any(char::is_control) {
        return Err(d.malformed(format!("{bucket:?} is not a bucket name")));
    }
    let encoded = text("s3Key").ok_or_else(|| d.malformed("no s3Key"))?;
    let key = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .map_err(|_| d.malformed("s3Key does not decode to UTF-8"))?
        .into_owned();
    if key.split('/').any(|segment| matches!(segment, "." | "..")) {
        // Keys keep such segments inside the prefix (escaped), but a manifest
        // naming one is not worth a copy under a name nobody would look for.
        return Err(d.malformed(format!(
            "s3Key decodes to {key:?}, which has a \".\" or \"..\" segment: refused, nothing is \
             written for it"
        )));
    }
    let version_id = match task.get("s3VersionId") {
        None | Some(Value::Null) => None,
        Some(Value::String(v)) if v.is_empty() => None,
        Some(Value::String(v)) => Some(v.clone()),
        Some(_) => return Err(d.malformed("s3VersionId is not a string")),
    };
    let object = SourceObject {
        bucket: bucket.to_owned(),
        key,
        version_id,
        etag: None,
        sequencer: None,
        fill_only: true,
    };
    super::s3::copy_record(task_id, object, None, cx)
}

/// The bucket of `arn:<partition>:s3:::<bucket>`.
fn bucket_of_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (prefix, _partition, service, region, account, bucket) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (prefix == "arn" && service == "s3" && region.is_empty() && account.is_empty())
        .then_some(bucket)
        .filter(|b| !b.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ErrorCode;
    use crate::record::{DecodeError, Status, Written};

    fn failure(cause: Cause, code: Option<&str>) -> Failure {
        Failure {
            id: Some("t".into()),
            message: "m".into(),
            code: code.map(ErrorCode::parse),
            cause,
        }
    }

    #[test]
    fn failures_are_temporary_when_a_retry_may_succeed_by_cause_and_code() {
        use ResultCode::*;
        let cases = [
            (failure(Cause::Transient, None), TemporaryFailure),
            (failure(Cause::Transient, Some("SlowDown")), TemporaryFailure),
            (failure(Cause::Write, Some("ServiceUnavailable")), TemporaryFailure),
            (failure(Cause::Write, Some("AccessDenied")), PermanentFailure),
            (failure(Cause::Write, Some("NoSuchKey")), PermanentFailure),
            (failure(Cause::Write, None), PermanentFailure),
            (
                failure(Cause::Decode(DecodeError::EmptyBody), None),
                PermanentFailure,
            ),
        ];
        for (failure, expected) in cases {
            assert_eq!(ResultCode::of_failure(&failure), expected, "{failure:?}");
        }
    }

    #[test]
    fn the_answer_echoes_the_invocation_and_names_each_task() {
        let event = json!({
            "invocationSchemaVersion": "2.0", "invocationId": "inv-1",
            "job": {"id": "j", "userArguments": {}},
            "tasks": [{"taskId": "a"}, {"taskId": "b"}, {"taskId": "c"}, {"s3Key": "no-id"}]
        });
        let job = job_of(&event);
        let written = Written {
            key: "p/s3/b/k".into(),
            status: Status::Created,
            etag: None,
            version_id: None,
            bytes: 3,
        };
        let answer = job.answer(vec![
            Ok(written),
            Err(failure(Cause::Transient, None)),
            Err(failure(Cause::Write, Some("AccessDenied"))),
            Err(failure(Cause::Decode(DecodeError::EmptyBody), None)),
        ]);
        assert_eq!(
            answer,
            json!({
                "invocationSchemaVersion": "2.0",
                "treatMissingKeysAs": "PermanentFailure",
                "invocationId": "inv-1",
                "results": [
                    {"taskId": "a", "resultCode": "Succeeded", "resultString": "created p/s3/b/k"},
                    {"taskId": "b", "resultCode": "TemporaryFailure", "resultString": "m"},
                    {"taskId": "c", "resultCode": "PermanentFailure", "resultString": "m"},
                    // The fourth has no taskId of its own: reported under the failure's.
                    {"taskId": "t", "resultCode": "PermanentFailure", "resultString": "m"},
                ]
            })
        );
    }

    #[test]
    fn bucket_arns() {
        assert_eq!(bucket_of_arn("arn:aws:s3:::my-bucket"), Some("my-bucket"));
        assert_eq!(bucket_of_arn("arn:aws-cn:s3:::b.c"), Some("b.c"));
        assert_eq!(bucket_of_arn("arn:aws:s3:::"), None);
        assert_eq!(bucket_of_arn("arn:aws:s3:us-east-1:1:b"), None);
        assert_eq!(bucket_of_arn("arn:aws:sqs:::b"), None);
        assert_eq!(bucket_of_arn("my-bucket"), None);
    }
}
