//! The answer each source expects, given every record's outcome in event order.

use serde_json::Value;

use crate::errors::ErrorCode;
use crate::record::{Failure, Outcome, Written};

use super::{batch_operations, direct, http};

/// The answer a source expects, given every record's outcome in event order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// SQS: only the failed message IDs, so SQS deletes the rest.
    Sqs,
    /// Kinesis, DynamoDB Streams: only the failed sequence numbers, so Lambda
    /// checkpoints before the lowest of them and retries from there.
    Streams,
    /// SNS, EventBridge, S3, SES, Kafka: an error when any record failed, so Lambda retries.
    AllOrError,
    /// API Gateway / Function URL: an HTTP response of the flavor's own type.
    Http(http::Flavor),
    /// Direct invocation: a summary, and an error when any object failed.
    Direct,
    /// S3 Batch Operations: the schema's result per task, never an error.
    BatchOperations(batch_operations::Job),
}

/// Some records failed in a way the source's answer must report as an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{failed} of {total} records failed: {details}")]
pub struct RecordsFailed {
    pub failed: usize,
    pub total: usize,
    pub details: String,
    /// The AWS error codes behind the failures (for the error's type).
    pub codes: Vec<ErrorCode>,
}

impl Reply {
    /// The source's answer for `outcomes` (one per record, in event order).
    pub fn answer(self, outcomes: Vec<Outcome>, bucket: &str) -> Result<Value, RecordsFailed> {
        match self {
            Self::Sqs => batch_item_failures(outcomes, "a message without a messageId"),
            Self::Streams => batch_item_failures(outcomes, "a record without a sequence number"),
            Self::AllOrError => all_or_error(outcomes, bucket),
            Self::Http(flavor) => Ok(http::answer(flavor, outcomes, bucket)),
            Self::Direct => direct::answer(outcomes, bucket),
            Self::BatchOperations(job) => Ok(job.answer(outcomes)),
        }
    }
}

/// The partial batch response SQS and streams share: only the failed records'
/// IDs (message IDs, sequence numbers), in event order, so the source retries
/// exactly those; each ID once, however many of its records failed (the user
/// records of one KPL aggregate share their Kinesis record's sequence number).
/// A failure without an ID can't be reported item by item: then
/// the whole invocation fails, so nothing is acknowledged unwritten (the written
/// ones answer "already existed" on redelivery). `unnamed` says what such a
/// failure is, for the error.
fn batch_item_failures(outcomes: Vec<Outcome>, unnamed: &str) -> Result<Value, RecordsFailed> {
    let total = outcomes.len();
    let mut items = Vec::new();
    let mut reported = std::collections::HashSet::new();
    let mut unreportable: Vec<Failure> = Vec::new();
    for failure in outcomes.into_iter().filter_map(Result::err) {
        match failure.id {
            Some(id) if reported.insert(id.clone()) => {
                items.push(serde_json::json!({ "itemIdentifier": id }))
            }
            Some(_) => {}
            None => unreportable.push(failure),
        }
    }
    if !unreportable.is_empty() {
        return Err(RecordsFailed::of(&unreportable, total, |f| {
            format!("{unnamed}: {}", f.message)
        }));
    }
    Ok(serde_json::json!({ "batchItemFailures": items }))
}

/// An error naming every failure when any record failed, else what was written.
fn all_or_error(outcomes: Vec<Outcome>, bucket: &str) -> Result<Value, RecordsFailed> {
    let total = outcomes.len();
    let (written, failures): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(Result::is_ok);
    if !failures.is_empty() {
        let failures: Vec<Failure> = failures.into_iter().filter_map(Result::err).collect();
        return Err(RecordsFailed::of(&failures, total, |f| {
            format!("{}: {}", f.id.as_deref().unwrap_or("(no id)"), f.message)
        }));
    }
    let written: Vec<Written> = written.into_iter().filter_map(Result::ok).collect();
    Ok(serde_json::json!({ "bucket": bucket, "written": written }))
}

impl RecordsFailed {
    /// `details` joins each failure as `describe` renders it.
    pub(crate) fn of(
        failures: &[Failure],
        total: usize,
        describe: impl Fn(&Failure) -> String,
    ) -> Self {
        RecordsFailed {
            failed: failures.len(),
            total,
            details: failures.iter().map(describe).collect::<Vec<_>>().join("; "),
            codes: failures.iter().filter_map(|f| f.code.clone()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn written(id: &str) -> Outcome {
        Ok(Written {
            key: format!("k/{id}"),
            status: crate::record::Status::Created,
            etag: None,
            version_id: None,
            bytes: 1,
        })
    }

    fn failed(id: Option<&str>) -> Outcome {
        Err(Failure {
            id: id.map(str::to_owned),
            message: "boom".into(),
            code: None,
            cause: crate::record::Cause::Write,
        })
    }

    #[test]
    fn stream_replies_report_exactly_the_failed_sequence_numbers_in_order() {
        let outcomes = vec![
            written("1"),
            failed(Some("300")),
            written("2"),
            failed(Some("100")),
            failed(Some("200")),
        ];
        assert_eq!(
            Reply::Streams.answer(outcomes, "b").unwrap(),
            json!({ "batchItemFailures": [
                { "itemIdentifier": "300" },
                { "itemIdentifier": "100" },
                { "itemIdentifier": "200" }
            ]})
        );
        assert_eq!(
            Reply::Streams
                .answer(vec![written("1"), written("2")], "b")
                .unwrap(),
            json!({ "batchItemFailures": [] })
        );
    }

    #[test]
    fn a_sequence_number_is_reported_once_however_many_of_its_records_failed() {
        // Three user records of one aggregate ("300") and one of another ("100").
        let outcomes = vec![
            failed(Some("300")),
            written("300"),
            failed(Some("300")),
            failed(Some("100")),
            failed(Some("300")),
        ];
        for reply in [Reply::Streams, Reply::Sqs] {
            assert_eq!(
                reply.answer(outcomes.clone(), "b").unwrap(),
                json!({ "batchItemFailures": [
                    { "itemIdentifier": "300" },
                    { "itemIdentifier": "100" }
                ]})
            );
        }
    }

    #[test]
    fn a_failure_without_a_sequence_number_fails_the_whole_invocation() {
        let err = Reply::Streams
            .answer(vec![written("1"), failed(None), failed(Some("9"))], "b")
            .unwrap_err();
        assert_eq!((err.failed, err.total), (1, 3));
        assert!(
            err.details.contains("a record without a sequence number"),
            "{}",
            err.details
        );
    }

    #[test]
    fn kafka_fails_the_whole_invocation_when_any_record_failed() {
        let err = Reply::AllOrError
            .answer(vec![written("t-0@1"), failed(Some("t-0@2"))], "b")
            .unwrap_err();
        assert_eq!((err.failed, err.total), (1, 2));
        assert!(err.details.contains("t-0@2"), "{}", err.details);
    }
}
