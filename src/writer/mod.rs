//! Writes into the bucket account: conditional, owner-checked, checksummed,
//! and never a silent success.
//!
//! Every write sends `x-amz-expected-bucket-owner` (a bucket of the same name in
//! a stranger's account is never written), no ACL (the bucket enforces owner
//! ownership), a CRC32 checksum (which, with TLS, is why the payload is not
//! also SHA-256-hashed for SigV4), SSE-KMS with a Bucket Key when configured,
//! and a condition:
//!
//! - **Inline bodies** are created with `If-None-Match: *`. A 412 means the key
//!   exists; it is success only when a HEAD shows the object there is the same
//!   record with the same bytes (`source`, `source-id` and `content-sha256`
//!   metadata). Anything else under the key is a conflict, reported as a failure
//!   naming both records.
//! - **Source objects** (S3 notifications) follow the newest source version: the
//!   destination is HEADed first; an event older than the stored copy (by S3's
//!   `sequencer`) or equal to it changes nothing, a newer one replaces the copy
//!   with `If-Match` on the stored ETag. A lost race (412, or 409
//!   `ConditionalRequestConflict`) starts over. Checking first also means a
//!   redelivered 5 GiB object is not read or uploaded again.
//!
//! One file a job: `error` (why a write failed, with hints), `deadline` (the
//! guard around every write), `create` (the create-only protocol), `copy` (the
//! copy protocol), `transport` (PUT and multipart upload, every request's
//! common settings in one place).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use crate::keys::{ObjectKey, hex};
use crate::record::{Payload, Record, Status, Written};

mod copy;
mod create;
mod deadline;
mod error;
mod transport;

pub use deadline::{FINISH_RESERVE, START_RESERVE};
pub use error::WriteError;
pub(crate) use transport::{ProbeError, Probed};

/// S3 allows at most this many parts in an upload.
const MAX_PARTS: u64 = 10_000;
/// Rounds of check-and-write before a contended key is given up (and retried by the source).
const MAX_ATTEMPTS: u32 = 5;

/// What the writer is told of the configuration: the bucket and how to
/// write into it, nothing else (it never sees the whole `Config`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriterSettings {
    /// The target bucket (`TARGET_BUCKET`).
    pub bucket: String,
    /// The account that must own it (`x-amz-expected-bucket-owner`).
    pub bucket_owner: String,
    /// The SSE-KMS key's ARN, when objects are encrypted with one.
    pub sse_kms_key_arn: Option<String>,
    /// Records written at once (`MAX_CONCURRENT_WRITES`).
    pub max_concurrent: usize,
    /// Bytes of one part of a multipart copy (`PART_SIZE_MIB`).
    pub part_size: usize,
    /// Parts of one copy in flight at once (`MAX_CONCURRENT_PARTS`).
    pub max_concurrent_parts: usize,
    /// No write starts with less than this left before the deadline ([`START_RESERVE`]).
    pub start_reserve: Duration,
    /// A running write is cut this long before the deadline ([`FINISH_RESERVE`]).
    pub finish_reserve: Duration,
}

/// Writes records into the target bucket.
#[derive(Clone, Debug)]
pub struct Writer {
    /// S3 in the bucket account, as the target role.
    target: aws_sdk_s3::Client,
    /// S3 in the lambda account: reads source objects.
    source: aws_sdk_s3::Client,
    settings: WriterSettings,
}

/// What the key must hold for a write to go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    /// Nothing: `If-None-Match: *`.
    Absent,
    /// The object with this ETag: `If-Match`.
    Matches(String),
}

/// Why a conditional write did not happen.
enum PutError {
    /// The condition failed or a concurrent conditional write won: check again.
    LostRace,
    Failed(WriteError),
}

/// What HEAD found at a key.
enum Lookup {
    Found(Stored),
    Missing,
    /// 403: missing (S3 hides that without `s3:ListBucket`) or not readable.
    /// Once a conditional write has shown the key exists, it is the error.
    Forbidden(WriteError),
}

/// An object already at a key, as HEAD shows it.
struct Stored {
    etag: Option<String>,
    version_id: Option<String>,
    metadata: HashMap<String, String>,
}

impl Stored {
    fn meta(&self, name: &str) -> Option<&str> {
        self.metadata.get(name).map(String::as_str)
    }

    fn written(&self, key: &ObjectKey, status: Status) -> Written {
        Written {
            key: key.to_string(),
            status,
            etag: self.etag.clone(),
            version_id: self.version_id.clone(),
            bytes: 0,
        }
    }
}

/// What one PUT needs besides the body and its condition.
struct Put<'a> {
    key: &'a ObjectKey,
    content_type: &'a str,
    /// `Content-Encoding` (`gzip` for a compressed body).
    content_encoding: Option<&'a str>,
    metadata: &'a BTreeMap<String, String>,
}

impl Put<'_> {
    /// The `x-amz-meta-*` map the SDK takes.
    fn user_metadata(&self) -> HashMap<String, String> {
        self.metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

impl Writer {
    pub fn new(
        settings: WriterSettings,
        target: aws_sdk_s3::Client,
        source: aws_sdk_s3::Client,
    ) -> Self {
        Self {
            target,
            source,
            settings,
        }
    }

    pub fn bucket(&self) -> &str {
        &self.settings.bucket
    }

    /// How many records one invocation writes at once (`MAX_CONCURRENT_WRITES`).
    pub fn max_concurrent(&self) -> usize {
        self.settings.max_concurrent
    }

    /// Writes one record.
    pub async fn write(
        &self,
        record: Record,
        source_owner: Option<&str>,
    ) -> Result<Written, WriteError> {
        let Record {
            key,
            payload,
            content_type,
            metadata,
            ..
        } = record;
        let content_encoding = matches!(payload, Payload::Gzip(_)).then_some("gzip");
        match payload {
            Payload::Inline(body) | Payload::Gzip(body) => {
                let put = Put {
                    key: &key,
                    content_type: content_type
                        .as_deref()
                        .unwrap_or("application/octet-stream"),
                    content_encoding,
                    metadata: &metadata,
                };
                self.create_inline(put, body).await
            }
            Payload::SourceObject(source) => {
                self.copy(
                    &key,
                    content_type.as_deref(),
                    metadata,
                    &source,
                    source_owner,
                )
                .await
            }
        }
    }
}

/// A short pause before checking a contended key again.
async fn backoff(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(25 << attempt.min(5))).await;
}

/// Hex SHA-256 of a body: what "the same bytes" is checked by.
fn sha256_hex(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_hex_of_the_bytes() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
