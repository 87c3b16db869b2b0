//! What flows between the stages: a decoded [`Record`] (or why a record could
//! not be decoded), and how its write ended.
//!
//! These types sit below `events` (which makes records and shapes answers) and
//! `writer` (which writes them), so neither has to know the other.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::Serialize;

use crate::errors::ErrorCode;
use crate::keys::{KeyError, ObjectKey};

/// Metadata names that record which record an object holds. Set only by the
/// function; a caller's metadata may not use them (nor any `source-*` name).
pub mod provenance {
    /// The kind of source (`sqs`, `s3`, ...).
    pub const SOURCE: &str = "source";
    /// The source's own ID for the record.
    pub const SOURCE_ID: &str = "source-id";
    /// When the source says the record happened.
    pub const EVENT_TIME: &str = "event-time";
    /// Hex SHA-256 of an inline body: "the same bytes" on a redelivery.
    pub const CONTENT_SHA256: &str = "content-sha256";
    /// Of a copied source object: its ETag, version ID and (S3 notifications) sequencer.
    pub const SOURCE_ETAG: &str = "source-etag";
    pub const SOURCE_VERSION_ID: &str = "source-version-id";
    pub const SOURCE_SEQUENCER: &str = "source-sequencer";

    /// Whether a caller-given metadata name would forge provenance.
    pub fn is_reserved(name: &str) -> bool {
        matches!(name, SOURCE | EVENT_TIME | CONTENT_SHA256) || name.starts_with("source-")
    }
}

/// What one decoded record asks the writer to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The source's own ID for the record (message ID, event ID, request ID):
    /// what a failure is reported under.
    pub id: String,
    pub key: ObjectKey,
    pub payload: Payload,
    /// `None` for a source object: its own content type is used.
    pub content_type: Option<String>,
    /// User metadata (`x-amz-meta-*`): provenance (at least `source` and
    /// `source-id`) and the caller's; names lowercase, values printable ASCII.
    pub metadata: BTreeMap<String, String>,
}

/// The bytes to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A body that arrived in the event. `Bytes` so it is moved, not copied, to the PUT.
    Inline(Bytes),
    /// An inline body already gzip-compressed (`CONTENT_ENCODING=gzip`):
    /// stored as these bytes with `Content-Encoding: gzip`.
    Gzip(Bytes),
    /// An object in the lambda account to stream across (S3 notification, SES raw mail).
    SourceObject(SourceObject),
}

/// An object to copy from a bucket in the lambda account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceObject {
    pub bucket: String,
    pub key: String,
    /// The version the event names (versioned source buckets).
    pub version_id: Option<String>,
    /// The ETag the event names, unquoted; reading with `If-Match` on it
    /// detects a source overwritten since the event.
    pub etag: Option<String>,
    /// S3's ordering of events on one key ([`crate::sequencer`]); `None` for
    /// objects without one (SES raw mail, written once).
    pub sequencer: Option<String>,
    /// Only fill a gap (S3 Batch Operations backfills): when the key already
    /// holds a copy of this source object, of whichever version, nothing is
    /// read or written, so a backfill never rolls a newer copy back.
    pub fill_only: bool,
}

/// How a write ended well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The object was created.
    Created,
    /// An older copy of the same source object was replaced by this newer version.
    Replaced,
    /// The key already held this very record, byte for byte: an earlier delivery wrote it.
    AlreadyExisted,
    /// The key holds a newer version of the same source object than this
    /// (late) event names: nothing was changed.
    Superseded,
}

/// A successful write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Written {
    pub key: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Bytes this write stored (0 when nothing was written): for the metrics.
    #[serde(skip)]
    pub bytes: u64,
}

/// A record that was not written, decoding or writing, under the source's ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The source's ID, when one could be read.
    pub id: Option<String>,
    pub message: String,
    /// The AWS error code behind it (`AccessDenied`, ...), when there was one.
    pub code: Option<ErrorCode>,
    /// Where it failed: what an HTTP caller's status is chosen by.
    pub cause: Cause,
}

/// Where a record failed. The HTTP reply turns it into a status; nothing
/// else needs one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// It was refused before any write: the record itself is at fault.
    Decode(DecodeError),
    /// Its write into the bucket account failed.
    Write,
    /// Its write failed in a way a later attempt may not: throttled, a 5xx, a
    /// timeout, no answer, the invocation's deadline, a contended key
    /// ([`crate::writer::WriteError::is_transient`]).
    Transient,
}

/// One record's result, in event order.
pub type Outcome = Result<Written, Failure>;

/// What an invocation's writes came to: one outcome per record in event order
/// (what the source's answer reports), one per object written or checked (a
/// batch object holds many records), and the writes' durations. The plan
/// makes it; the reply and the metrics read it.
#[derive(Debug)]
pub struct Results {
    pub records: Vec<Outcome>,
    pub objects: Vec<Outcome>,
    pub latencies: Vec<std::time::Duration>,
}

/// Why a record could not be decoded. Reported under the record's ID; never retried
/// by the function itself (a redelivery will fail the same way, then reach the DLQ).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("malformed {source_name} record: {}{detail}", at_path(.path))]
    Malformed {
        source_name: &'static str,
        /// Where in the event the fault is (`Records[3].kinesis.data`), when known.
        path: Option<Box<FieldPath>>,
        detail: String,
    },
    #[error("the body is empty: there is nothing to write")]
    EmptyBody,
    #[error("the body is flagged as base64 but is not valid base64: {0}")]
    InvalidBase64(String),
    #[error("the body is {len} bytes; the limit is {max} (MAX_BODY_BYTES)")]
    TooLarge { len: usize, max: usize },
    #[error("the key {0}")]
    Key(#[from] KeyError),
    #[error("metadata {0}")]
    Metadata(String),
    #[error("method {0} is not allowed; use POST or PUT")]
    MethodNotAllowed(String),
    #[error(
        "the key {0} is given to another object of this invocation; each object needs its own key"
    )]
    DuplicateKey(String),
    /// An earlier record of its SQS FIFO message group failed (`crate::order`).
    #[error(
        "not written: message {failed} before it in its FIFO message group failed, and a later \
         message of the group waits for it so that the group's order holds; both are redelivered"
    )]
    HeldBack { failed: String },
}

impl DecodeError {
    /// A record of `source_name` that doesn't have the shape its source gives it.
    pub(crate) fn malformed(source_name: &'static str, detail: impl Into<String>) -> Self {
        Self::Malformed {
            source_name,
            path: None,
            detail: detail.into(),
        }
    }

    /// Malformed at `path` (serde_path_to_error's rendering: `a.b[3].c`).
    pub(crate) fn malformed_at(source_name: &'static str, path: String, detail: String) -> Self {
        Self::Malformed {
            source_name,
            path: Some(Box::new(FieldPath(path))),
            detail,
        }
    }

    /// A malformed record's path, prefixed with where the record is in its
    /// event (`Records[3]`); any other error as it is.
    pub(crate) fn in_record(self, index: usize) -> Self {
        match self {
            Self::Malformed {
                source_name,
                path,
                detail,
            } => Self::Malformed {
                source_name,
                path: Some(Box::new(FieldPath(match path {
                    Some(path) => format!("Records[{index}].{}", path.0),
                    None => format!("Records[{index}]"),
                }))),
                detail,
            },
            other => other,
        }
    }
}

fn at_path(path: &Option<Box<FieldPath>>) -> String {
    path.as_ref()
        .map(|p| format!("{}: ", p.0))
        .unwrap_or_default()
}

/// Where in an event a fault is, as serde_path_to_error renders it
/// (`Records[3].kinesis.data`). Boxed in [`DecodeError`], which every
/// outcome carries, to keep that small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath(String);

impl FieldPath {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A record that could not be decoded: its ID when one could be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub id: Option<String>,
    pub error: DecodeError,
}

impl From<RecordError> for Failure {
    fn from(RecordError { id, error }: RecordError) -> Self {
        Failure {
            id,
            message: error.to_string(),
            cause: Cause::Decode(error),
            code: None,
        }
    }
}

impl RecordError {
    /// The error placed at the record's index in its event ([`DecodeError::in_record`]).
    pub(crate) fn in_record(self, index: usize) -> Self {
        RecordError {
            id: self.id,
            error: self.error.in_record(index),
        }
    }
}

/// Decoded records of one invocation, in event order.
pub type Decoded = Vec<Result<Record, RecordError>>;
