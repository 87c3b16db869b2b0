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

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, ServerSideEncryption,
};
use bytes::{Bytes, BytesMut};
use sha2::{Digest as _, Sha256};
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::config::Config;
use crate::credentials::for_this_invocation;
use crate::errors::{ErrorCode, code, explain, status};
use crate::keys::{ObjectKey, hex};
use crate::record::{Failure, Payload, Record, SourceObject, Status, Written, provenance};
use crate::sequencer;

/// S3 allows at most this many parts in an upload.
const MAX_PARTS: u64 = 10_000;
/// Rounds of check-and-write before a contended key is given up (and retried by the source).
const MAX_ATTEMPTS: u32 = 5;

/// Why a write failed. The messages never contain object bodies or credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error(
        "not started: less than {reserve_ms} ms of the invocation remained; it will be retried"
    )]
    DeadlineNear { reserve_ms: u128 },
    #[error("timed out before the invocation's deadline; it will be retried")]
    TimedOut,
    #[error(transparent)]
    S3(Box<S3Failure>),
    #[error("reading the source object s3://{bucket}/{key} failed: {detail}")]
    Source {
        bucket: String,
        key: String,
        detail: String,
        code: Option<ErrorCode>,
    },
    #[error("the source object is {size} bytes; more than S3 can take in {MAX_PARTS} parts")]
    TooLarge { size: u64 },
    #[error(
        "s3://{bucket}/{key} already holds another record ({stored}); this record ({ours}) was not \
         written and the object was left as it is"
    )]
    Conflict {
        bucket: String,
        key: String,
        stored: String,
        ours: String,
    },
    #[error(
        "s3://{bucket}/{key} changed under {MAX_ATTEMPTS} attempts in a row (concurrent writers); \
         it will be retried"
    )]
    Contended { bucket: String, key: String },
}

impl WriteError {
    /// The AWS error code behind the failure, when there was one.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Self::S3(failure) => failure.code.as_ref(),
            Self::Source { code, .. } => code.as_ref(),
            _ => None,
        }
    }

    /// The failure reported under the record's `id`.
    pub fn into_failure(self, id: String) -> Failure {
        Failure {
            id: Some(id),
            code: self.code().cloned(),
            message: self.to_string(),
            http_status: 502,
        }
    }
}

/// An S3 call on the target bucket that failed (boxed: it is the largest error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} s3://{bucket}/{key} failed: {detail}{hint}")]
pub struct S3Failure {
    pub operation: &'static str,
    pub bucket: String,
    pub key: String,
    pub detail: String,
    pub hint: &'static str,
    pub code: Option<ErrorCode>,
}

/// Writes records into the target bucket.
#[derive(Clone, Debug)]
pub struct Writer {
    target: aws_sdk_s3::Client,
    source: aws_sdk_s3::Client,
    bucket: String,
    bucket_owner: String,
    sse_kms_key_arn: Option<String>,
    max_concurrent: usize,
    part_size: usize,
    max_concurrent_parts: usize,
    /// No write starts with less than this left before the deadline.
    start_reserve: Duration,
    /// A running write is cut this long before the deadline, so the response still goes out.
    finish_reserve: Duration,
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
    pub fn new(config: &Config, target: aws_sdk_s3::Client, source: aws_sdk_s3::Client) -> Self {
        Self {
            target,
            source,
            bucket: config.target_bucket.clone(),
            bucket_owner: config.bucket_owner.clone(),
            sse_kms_key_arn: config
                .sse_kms_key_arn
                .as_ref()
                .map(|k| k.as_str().to_owned()),
            max_concurrent: config.max_concurrent_writes,
            part_size: config.part_size,
            max_concurrent_parts: config.max_concurrent_parts,
            start_reserve: Duration::from_millis(1000),
            finish_reserve: Duration::from_millis(300),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// How many records one invocation writes at once (`MAX_CONCURRENT_WRITES`).
    pub fn max_concurrent(&self) -> usize {
        self.max_concurrent
    }

    /// Writes one record unless the deadline is near, and cuts it short before
    /// the deadline, so the answer still goes out and nothing is lost silently.
    /// `source_owner` is the lambda account, expected to own source buckets.
    pub async fn write_before(
        &self,
        record: Record,
        deadline: Instant,
        source_owner: Option<&str>,
    ) -> Result<Written, WriteError> {
        if Instant::now() + self.start_reserve >= deadline {
            return Err(WriteError::DeadlineNear {
                reserve_ms: self.start_reserve.as_millis(),
            });
        }
        let cut = deadline
            .checked_sub(self.finish_reserve)
            .unwrap_or(deadline);
        let span = tracing::info_span!("write", id = %record.id);
        match tokio::time::timeout_at(cut, self.write(record, source_owner).instrument(span)).await
        {
            Ok(result) => result,
            Err(_) => Err(WriteError::TimedOut),
        }
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

    /// Creates `put.key` with `body` (the bytes stored, compressed or not), or
    /// confirms that an earlier delivery did.
    async fn create_inline(&self, put: Put<'_>, body: Bytes) -> Result<Written, WriteError> {
        let key = put.key;
        let mut metadata = put.metadata.clone();
        metadata.insert(provenance::CONTENT_SHA256.to_owned(), sha256_hex(&body));
        let put = Put {
            metadata: &metadata,
            ..put
        };
        for attempt in 1..=MAX_ATTEMPTS {
            match self.put(&put, body.clone(), &Condition::Absent).await {
                Ok(written) => return Ok(written),
                Err(PutError::Failed(e)) => return Err(e),
                Err(PutError::LostRace) => {}
            }
            // The create-only PUT says the key exists, so a 403 here is a real refusal.
            match self.head(key).await? {
                Lookup::Forbidden(e) => return Err(e),
                Lookup::Found(stored) => {
                    self.check_same(
                        key,
                        &stored,
                        &metadata,
                        &[
                            provenance::SOURCE,
                            provenance::SOURCE_ID,
                            provenance::CONTENT_SHA256,
                        ],
                    )?;
                    tracing::info!(key = key.as_str(), "object already held this record");
                    return Ok(stored.written(key, Status::AlreadyExisted));
                }
                // Gone between the 412 and the HEAD (or a 409): try to create it again.
                Lookup::Missing => backoff(attempt).await,
            }
        }
        Err(self.contended(key))
    }

    /// Copies a source object of the lambda account, keeping the newest version
    /// at `key` whatever order the events arrive in.
    async fn copy(
        &self,
        key: &ObjectKey,
        content_type: Option<&str>,
        mut metadata: BTreeMap<String, String>,
        source: &SourceObject,
        source_owner: Option<&str>,
    ) -> Result<Written, WriteError> {
        if let Some(sequencer) = &source.sequencer {
            metadata.insert(provenance::SOURCE_SEQUENCER.to_owned(), sequencer.clone());
        }
        let mut exists = false;
        for attempt in 1..=MAX_ATTEMPTS {
            let stored = match self.head(key).await? {
                Lookup::Found(stored) => Some(stored),
                Lookup::Missing => None,
                Lookup::Forbidden(e) if exists => return Err(e),
                // Most likely missing; the create-only write finds out for sure.
                Lookup::Forbidden(_) => None,
            };
            let condition = match &stored {
                None => Condition::Absent,
                Some(stored) => {
                    self.check_same(
                        key,
                        stored,
                        &metadata,
                        &[provenance::SOURCE, provenance::SOURCE_ID],
                    )?;
                    if let Some(done) = self.already_current(key, stored, source) {
                        return Ok(done);
                    }
                    Condition::Matches(stored.etag.clone().unwrap_or_default())
                }
            };
            let Some(object) = self.read_source(source, source_owner).await? else {
                // Overwritten since this event: the newer event brings the newer version.
                tracing::info!(
                    key = key.as_str(),
                    "source changed since this event; left to the newer event"
                );
                return Ok(Written {
                    key: key.to_string(),
                    status: Status::Superseded,
                    etag: stored.as_ref().and_then(|s| s.etag.clone()),
                    version_id: stored.and_then(|s| s.version_id),
                    bytes: 0,
                });
            };
            let source_etag = object
                .e_tag
                .as_deref()
                .map(|e| e.trim_matches('"').to_owned());
            if let Some(stored) = &stored
                && source.sequencer.is_none()
            {
                // Written once (SES raw mail): the same source bytes or a conflict.
                let mut ours = metadata.clone();
                ours.extend(
                    source_etag
                        .clone()
                        .map(|e| (provenance::SOURCE_ETAG.to_owned(), e)),
                );
                self.check_same(key, stored, &ours, &[provenance::SOURCE_ETAG])?;
                return Ok(stored.written(key, Status::AlreadyExisted));
            }
            let mut metadata = metadata.clone();
            metadata.extend(source_etag.map(|e| (provenance::SOURCE_ETAG.to_owned(), e)));
            metadata.extend(
                object
                    .version_id
                    .clone()
                    .map(|v| (provenance::SOURCE_VERSION_ID.to_owned(), v)),
            );
            let content_type = content_type
                .map(str::to_owned)
                .or_else(|| object.content_type.clone())
                .unwrap_or_else(|| "application/octet-stream".into());
            let put = Put {
                key,
                content_type: &content_type,
                content_encoding: None,
                metadata: &metadata,
            };
            match self.upload(&put, object, &condition, source).await {
                Ok(mut written) => {
                    if condition != Condition::Absent {
                        written.status = Status::Replaced;
                    }
                    return Ok(written);
                }
                Err(PutError::Failed(e)) => return Err(e),
                Err(PutError::LostRace) => {
                    exists = true;
                    backoff(attempt).await;
                }
            }
        }
        Err(self.contended(key))
    }

    /// When the stored copy is this event's version or a newer one: the answer,
    /// without reading or writing anything.
    fn already_current(
        &self,
        key: &ObjectKey,
        stored: &Stored,
        source: &SourceObject,
    ) -> Option<Written> {
        let ours = source.sequencer.as_deref()?;
        // A copy without a sequencer predates sequencer tracking: older than any event.
        let theirs = stored.meta(provenance::SOURCE_SEQUENCER)?;
        match sequencer::compare(theirs, ours) {
            Ordering::Greater => {
                tracing::info!(key = key.as_str(), "a newer version is already copied");
                Some(stored.written(key, Status::Superseded))
            }
            Ordering::Equal => {
                tracing::info!(key = key.as_str(), "this version is already copied");
                Some(stored.written(key, Status::AlreadyExisted))
            }
            Ordering::Less => None,
        }
    }

    /// The version of the source object the event names; `None` when the
    /// source was overwritten since (an unversioned bucket answers 412 to
    /// `If-Match` on the event's ETag).
    async fn read_source(
        &self,
        source: &SourceObject,
        source_owner: Option<&str>,
    ) -> Result<Option<aws_sdk_s3::operation::get_object::GetObjectOutput>, WriteError> {
        let mut get = self
            .source
            .get_object()
            .bucket(&source.bucket)
            .key(&source.key)
            .set_version_id(source.version_id.clone())
            .set_expected_bucket_owner(source_owner.map(str::to_owned));
        if source.version_id.is_none()
            && let Some(etag) = &source.etag
        {
            get = get.if_match(format!("\"{etag}\""));
        }
        match get.send().await {
            Ok(object) => Ok(Some(object)),
            Err(err) if status(&err) == Some(412) => Ok(None),
            Err(err) => Err(WriteError::Source {
                bucket: source.bucket.clone(),
                key: source.key.clone(),
                code: code(&err),
                detail: explain(&err),
            }),
        }
    }

    /// Sends a source object across: one PUT when it fits in a part, else a
    /// multipart upload with up to `MAX_CONCURRENT_PARTS` parts in flight (and in memory).
    async fn upload(
        &self,
        put: &Put<'_>,
        object: aws_sdk_s3::operation::get_object::GetObjectOutput,
        condition: &Condition,
        source: &SourceObject,
    ) -> Result<Written, PutError> {
        let read_error = |detail: String| {
            PutError::Failed(WriteError::Source {
                bucket: source.bucket.clone(),
                key: source.key.clone(),
                detail,
                code: None,
            })
        };
        let size = u64::try_from(object.content_length.unwrap_or(0)).unwrap_or(0);
        let mut body = object.body;
        if size <= self.part_size as u64 {
            let bytes = body
                .collect()
                .await
                .map_err(|e| read_error(e.to_string()))?
                .into_bytes();
            return self.put(put, bytes, condition).await;
        }
        let part_size = part_size_for(size, self.part_size)
            .ok_or(PutError::Failed(WriteError::TooLarge { size }))?;
        self.multipart(put, &mut body, part_size, condition)
            .await
            .map_err(|e| match e {
                MultipartError::Read(detail) => read_error(detail),
                MultipartError::Put(e) => e,
            })
    }

    /// One conditional PUT of a body in memory (the SDK computes the CRC32 and
    /// sends it as a header).
    async fn put(
        &self,
        put: &Put<'_>,
        body: Bytes,
        condition: &Condition,
    ) -> Result<Written, PutError> {
        let key = put.key.as_str();
        let len = i64::try_from(body.len()).unwrap_or(i64::MAX);
        let mut request = self
            .target
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .expected_bucket_owner(&self.bucket_owner)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .content_length(len)
            .content_type(put.content_type)
            .set_content_encoding(put.content_encoding.map(str::to_owned))
            .set_metadata(Some(put.user_metadata()))
            .set_server_side_encryption(
                self.sse_kms_key_arn
                    .as_ref()
                    .map(|_| ServerSideEncryption::AwsKms),
            )
            .set_ssekms_key_id(self.sse_kms_key_arn.clone())
            .set_bucket_key_enabled(self.sse_kms_key_arn.as_ref().map(|_| true))
            .body(ByteStream::from(body));
        request = match condition {
            Condition::Absent => request.if_none_match("*"),
            Condition::Matches(etag) => request.if_match(etag),
        };
        // The body is covered by the CRC32 checksum and by TLS: hashing it again
        // for SigV4 (x-amz-content-sha256) costs ~20% of the CPU of a large PUT.
        match request.customize().disable_payload_signing().send().await {
            Ok(out) => {
                tracing::info!(key, bytes = len, "object written");
                Ok(self.written(put.key, len as u64, out.e_tag, out.version_id))
            }
            Err(err) => Err(self.put_error("PutObject", key, condition, &err)),
        }
    }

    async fn multipart(
        &self,
        put: &Put<'_>,
        body: &mut ByteStream,
        part_size: usize,
        condition: &Condition,
    ) -> Result<Written, MultipartError> {
        let key = put.key.as_str();
        let create = self
            .target
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .expected_bucket_owner(&self.bucket_owner)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .content_type(put.content_type)
            .set_metadata(Some(put.user_metadata()))
            .set_server_side_encryption(
                self.sse_kms_key_arn
                    .as_ref()
                    .map(|_| ServerSideEncryption::AwsKms),
            )
            .set_ssekms_key_id(self.sse_kms_key_arn.clone())
            .set_bucket_key_enabled(self.sse_kms_key_arn.as_ref().map(|_| true));
        let failed = |e: WriteError| MultipartError::Put(PutError::Failed(e));
        let upload = create.send().await.map_err(|e| {
            failed(self.s3_error("CreateMultipartUpload", key, code(&e), explain(&e)))
        })?;
        let Some(upload_id) = upload.upload_id else {
            return Err(failed(self.s3_error(
                "CreateMultipartUpload",
                key,
                None,
                "no UploadId in the response".into(),
            )));
        };
        let result = self
            .upload_parts_and_complete(put.key, &upload_id, body, part_size, condition)
            .await;
        if result.is_err() {
            self.abort(key, &upload_id).await;
        }
        result
    }

    /// Reads the source in order and uploads its parts, up to `max_concurrent_parts`
    /// at once: each in a task of its own, so they progress while the next part is
    /// read. A part is cut only when a slot is free, so at most that many parts
    /// are in memory. The first failure stops the rest (dropping the set aborts them).
    async fn upload_parts_and_complete(
        &self,
        key: &ObjectKey,
        upload_id: &str,
        body: &mut ByteStream,
        part_size: usize,
        condition: &Condition,
    ) -> Result<Written, MultipartError> {
        let key_str = key.as_str();
        let failed = |operation, code: Option<ErrorCode>, detail| {
            MultipartError::Put(PutError::Failed(
                self.s3_error(operation, key_str, code, detail),
            ))
        };
        let mut in_flight = tokio::task::JoinSet::new();
        let mut parts = Vec::new();
        let mut cutter = PartCutter::new(part_size);
        let mut total: u64 = 0;
        let mut number = 0;
        loop {
            while in_flight.len() >= self.max_concurrent_parts {
                parts.push(
                    joined(in_flight.join_next().await)
                        .map_err(|(c, d)| failed("UploadPart", c, d))?,
                );
            }
            let Some(part) = cutter.next_part(body).await.map_err(MultipartError::Read)? else {
                break;
            };
            number += 1;
            total += part.len() as u64;
            in_flight.spawn(
                for_this_invocation(self.upload_part(key_str, upload_id, number, part))
                    .in_current_span(),
            );
        }
        while let Some(done) = in_flight.join_next().await {
            parts.push(joined(Some(done)).map_err(|(c, d)| failed("UploadPart", c, d))?);
        }
        parts.sort_by_key(|p| p.part_number);
        let mut complete = self
            .target
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key_str)
            .upload_id(upload_id)
            .expected_bucket_owner(&self.bucket_owner)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            );
        complete = match condition {
            Condition::Absent => complete.if_none_match("*"),
            Condition::Matches(etag) => complete.if_match(etag),
        };
        match complete.send().await {
            Ok(out) => {
                tracing::info!(key = key_str, parts = number, "object written (multipart)");
                Ok(self.written(key, total, out.e_tag, out.version_id))
            }
            Err(err) => Err(MultipartError::Put(self.put_error(
                "CompleteMultipartUpload",
                key_str,
                condition,
                &err,
            ))),
        }
    }

    /// One part's upload, owning what it needs so it can run as a task of its own.
    /// Fails with the AWS error code and an explanation.
    fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: i32,
        part: Bytes,
    ) -> impl Future<Output = Result<CompletedPart, (Option<ErrorCode>, String)>> + Send + 'static
    {
        let request = self
            .target
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .expected_bucket_owner(&self.bucket_owner)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .content_length(i64::try_from(part.len()).unwrap_or(i64::MAX))
            .body(ByteStream::from(part));
        async move {
            let out = request
                .customize()
                .disable_payload_signing()
                .send()
                .await
                .map_err(|e| (code(&e), explain(&e)))?;
            Ok(CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag)
                .set_checksum_crc32(out.checksum_crc32)
                .build())
        }
    }

    /// Best effort: the target role is deliberately not granted
    /// s3:AbortMultipartUpload; the bucket's lifecycle rule removes what is left.
    async fn abort(&self, key: &str, upload_id: &str) {
        let aborted = self
            .target
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .expected_bucket_owner(&self.bucket_owner)
            .send()
            .await;
        if let Err(err) = aborted {
            tracing::debug!(key, error = %explain(&err), "could not abort the multipart upload; the bucket's lifecycle rule will");
        }
    }

    /// What is at `key`. Needs `s3:GetObject` on the function's own prefix,
    /// nothing more; without `s3:ListBucket`, S3 answers a HEAD of a missing
    /// key with 403, not 404, so a 403 means "missing, or really not allowed".
    async fn head(&self, key: &ObjectKey) -> Result<Lookup, WriteError> {
        let out = self
            .target
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .expected_bucket_owner(&self.bucket_owner)
            .send()
            .await;
        match out {
            Ok(out) => Ok(Lookup::Found(Stored {
                etag: out.e_tag,
                version_id: out.version_id,
                metadata: out.metadata.unwrap_or_default(),
            })),
            Err(err) if status(&err) == Some(404) => Ok(Lookup::Missing),
            // A HEAD response has no body, so no error code: its status is all there is.
            Err(err) if status(&err) == Some(403) => Ok(Lookup::Forbidden(
                self.s3_error(
                    "HeadObject",
                    key.as_str(),
                    Some(ErrorCode::AccessDenied),
                    "403 Forbidden: the key exists but the target role may not read it; it needs \
                 s3:GetObject on its prefix to check what a key holds"
                        .to_owned(),
                ),
            )),
            Err(err) => Err(self.s3_error("HeadObject", key.as_str(), code(&err), explain(&err))),
        }
    }

    /// `Ok` when `stored` carries the same values as `ours` for every name in
    /// `names`; else the conflict, naming both records.
    fn check_same(
        &self,
        key: &ObjectKey,
        stored: &Stored,
        ours: &BTreeMap<String, String>,
        names: &[&str],
    ) -> Result<(), WriteError> {
        if names
            .iter()
            .all(|n| stored.meta(n).is_some() && stored.meta(n) == ours.get(*n).map(String::as_str))
        {
            return Ok(());
        }
        let describe = |get: &dyn Fn(&str) -> Option<String>| {
            let mut out = String::new();
            for name in names {
                let value = get(name).unwrap_or_else(|| "(none)".into());
                let _ = write!(
                    out,
                    "{}{name}={value}",
                    if out.is_empty() { "" } else { " " }
                );
            }
            out
        };
        let error = WriteError::Conflict {
            bucket: self.bucket.clone(),
            key: key.to_string(),
            stored: describe(&|n| stored.meta(n).map(str::to_owned)),
            ours: describe(&|n| ours.get(n).cloned()),
        };
        tracing::warn!(key = key.as_str(), error = %error, "key holds another record");
        Err(error)
    }

    /// A new object of `bytes` bytes at `key`.
    fn written(
        &self,
        key: &ObjectKey,
        bytes: u64,
        etag: Option<String>,
        version_id: Option<String>,
    ) -> Written {
        Written {
            key: key.to_string(),
            status: Status::Created,
            etag,
            version_id,
            bytes,
        }
    }

    fn contended(&self, key: &ObjectKey) -> WriteError {
        WriteError::Contended {
            bucket: self.bucket.clone(),
            key: key.to_string(),
        }
    }

    /// A failed conditional write: a lost race (412; 409 ConditionalRequestConflict;
    /// 404 when the object to match is gone) or a failure.
    fn put_error<E>(
        &self,
        operation: &'static str,
        key: &str,
        condition: &Condition,
        err: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
    ) -> PutError
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        match status(err) {
            Some(412 | 409) => PutError::LostRace,
            Some(404) if matches!(condition, Condition::Matches(_)) => PutError::LostRace,
            _ => PutError::Failed(self.s3_error(operation, key, code(err), explain(err))),
        }
    }

    fn s3_error(
        &self,
        operation: &'static str,
        key: &str,
        code: Option<ErrorCode>,
        detail: String,
    ) -> WriteError {
        let hint = match code {
            Some(ErrorCode::AccessDenied) => {
                " (the target role may write only under its policy's prefix: KEY_PREFIX must match it; \
                 the bucket policy may deny the request's encryption or transport; with SSE-KMS, the key \
                 policy and the role's policy must both allow kms:GenerateDataKey)"
            }
            Some(ErrorCode::NoSuchBucket) => " (check TARGET_BUCKET and TARGET_REGION)",
            Some(ErrorCode::PermanentRedirect | ErrorCode::AuthorizationHeaderMalformed) => {
                " (the bucket is in another region: set TARGET_REGION to the bucket's region)"
            }
            Some(ErrorCode::AccessControlListNotSupported) => {
                " (the bucket enforces owner ownership; no ACL must be sent)"
            }
            _ => "",
        };
        tracing::warn!(operation, key, error = %detail, "write failed");
        WriteError::S3(Box::new(S3Failure {
            operation,
            bucket: self.bucket.clone(),
            key: key.to_owned(),
            detail,
            hint,
            code,
        }))
    }
}

enum MultipartError {
    Read(String),
    Put(PutError),
}

/// A short pause before checking a contended key again.
/// An uploaded part, or the AWS error code and an explanation of why not.
type PartResult = Result<CompletedPart, (Option<ErrorCode>, String)>;

/// A finished part upload, or why it failed (a task that panicked is a failure too).
fn joined(done: Option<Result<PartResult, tokio::task::JoinError>>) -> PartResult {
    match done {
        Some(Ok(part)) => part,
        Some(Err(e)) => Err((None, format!("the part upload stopped: {e}"))),
        None => Err((None, "no part upload was running".into())),
    }
}

/// Cuts a source stream into parts of exactly `part_size` bytes (the last may be
/// shorter). Each part is a buffer of its own, allocated at exactly that size and
/// never grown: a chunk that overshoots is split, its rest starting the next part,
/// so a part in flight holds `part_size` bytes, not a doubled allocation.
struct PartCutter {
    part_size: usize,
    /// What the last chunk had beyond the previous part.
    carry: Bytes,
    eof: bool,
}

impl PartCutter {
    fn new(part_size: usize) -> Self {
        Self {
            part_size,
            carry: Bytes::new(),
            eof: false,
        }
    }

    async fn next_part(&mut self, body: &mut impl Chunks) -> Result<Option<Bytes>, String> {
        let mut part = BytesMut::with_capacity(self.part_size);
        loop {
            let need = self.part_size - part.len();
            if self.carry.len() >= need {
                part.extend_from_slice(&self.carry.split_to(need));
                return Ok(Some(part.freeze()));
            }
            part.extend_from_slice(&std::mem::take(&mut self.carry));
            if self.eof {
                return Ok((!part.is_empty()).then(|| part.freeze()));
            }
            match body.next_chunk().await {
                Some(Ok(chunk)) => self.carry = chunk,
                Some(Err(e)) => return Err(e),
                None => self.eof = true,
            }
        }
    }
}

/// Where [`PartCutter`] reads from: a source object's body (or, in tests, chunks in memory).
trait Chunks {
    async fn next_chunk(&mut self) -> Option<Result<Bytes, String>>;
}

impl Chunks for ByteStream {
    async fn next_chunk(&mut self) -> Option<Result<Bytes, String>> {
        self.next()
            .await
            .map(|chunk| chunk.map_err(|e| e.to_string()))
    }
}

async fn backoff(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(25 << attempt.min(5))).await;
}

/// Hex SHA-256 of a body: what "the same bytes" is checked by.
fn sha256_hex(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

/// The part size for an object: the configured one, grown (in whole MiB) when
/// the object would need more than S3's 10,000 parts; `None` past S3's 5 TiB.
fn part_size_for(size: u64, configured: usize) -> Option<usize> {
    const MIB: u64 = 1024 * 1024;
    if size > 5 * 1024 * 1024 * MIB {
        return None;
    }
    let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    usize::try_from(needed.max(configured as u64)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Chunks for std::collections::VecDeque<Bytes> {
        async fn next_chunk(&mut self) -> Option<Result<Bytes, String>> {
            self.pop_front().map(Ok)
        }
    }

    /// The part sizes `chunks` are cut into; checks the parts are the source, in order.
    fn cut(chunks: &[usize], part_size: usize) -> Vec<usize> {
        let data: Vec<u8> = (0..chunks.iter().sum::<usize>()).map(|i| i as u8).collect();
        let mut source = std::collections::VecDeque::new();
        let mut offset = 0;
        for &n in chunks {
            source.push_back(Bytes::copy_from_slice(&data[offset..offset + n]));
            offset += n;
        }
        let mut cutter = PartCutter::new(part_size);
        let mut parts: Vec<Bytes> = Vec::new();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            while let Some(part) = cutter.next_part(&mut source).await.unwrap() {
                parts.push(part);
            }
        });
        assert_eq!(parts.concat(), data, "the parts are the source, in order");
        parts.iter().map(Bytes::len).collect()
    }

    #[test]
    fn parts_are_exactly_the_part_size_whatever_the_chunks() {
        // Chunks that overshoot a part, one bigger than two parts, an exact fit at the end.
        assert_eq!(cut(&[7, 7, 7, 1, 25, 3], 10), [10, 10, 10, 10, 10]);
        // A short last part; chunk boundaries on part boundaries; tiny chunks.
        assert_eq!(cut(&[4, 4, 4], 5), [5, 5, 2]);
        assert_eq!(cut(&[5, 5], 5), [5, 5]);
        assert_eq!(cut(&[1; 12], 5), [5, 5, 2]);
        assert_eq!(cut(&[], 5), Vec::<usize>::new());
        assert_eq!(cut(&[0, 3, 0], 5), [3]);
    }

    #[test]
    fn part_size_grows_only_when_needed() {
        const MIB: u64 = 1024 * 1024;
        let configured = 8 * 1024 * 1024;
        assert_eq!(part_size_for(100 * MIB, configured), Some(configured));
        let big = 200 * 1024 * MIB; // 200 GiB
        let p = part_size_for(big, configured).unwrap() as u64;
        assert!(big.div_ceil(p) <= MAX_PARTS && p.is_multiple_of(MIB));
        assert_eq!(part_size_for(6 * 1024 * 1024 * MIB, configured), None);
    }

    #[test]
    fn sha256_is_hex_of_the_bytes() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
