//! What flows between the stages: a decoded [`Record`], and how its write ended.
//!
//! These types sit below `events` (which makes records and shapes answers) and
//! `writer` (which writes them), so neither has to know the other.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::Serialize;

use crate::keys::ObjectKey;

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
    pub code: Option<String>,
    /// The HTTP status an HTTP caller gets for it.
    pub http_status: u16,
}

/// One record's result, in event order.
pub type Outcome = Result<Written, Failure>;
