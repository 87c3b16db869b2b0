//! PutObject into the bucket account: create-only, owner-checked, checksummed.
//!
//! Every write sends `x-amz-expected-bucket-owner` (a bucket of the same name in
//! a stranger's account is never written), no ACL (the bucket enforces owner
//! ownership), a CRC32 checksum (which, with TLS, is why the payload is not
//! also SHA-256-hashed for SigV4), SSE-KMS with a Bucket Key when configured, and
//! `If-None-Match: *`: a key that exists answers 412, which means "already
//! written" and counts as success, so a redelivered event never overwrites or
//! duplicates.

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, ServerSideEncryption,
};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;
use serde::Serialize;
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::config::Config;
use crate::errors::{code, explain, status};
use crate::events::{Payload, Record, SourceObject};
use crate::keys::ObjectKey;

/// Objects up to this size are read whole and sent in one PUT; larger ones go
/// in parts of this size, so memory stays bounded whatever the object's size.
pub const DEFAULT_PART_SIZE: usize = 8 * 1024 * 1024;
/// S3 allows at most this many parts in an upload.
const MAX_PARTS: u64 = 10_000;
/// S3's smallest part (all but the last).
const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

/// How a write ended well.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Created,
    /// The key existed (412 on the create-only PUT): an earlier delivery wrote it.
    AlreadyExisted,
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
}

/// Why a write failed. The messages never contain object bodies or credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error(
        "not started: less than {reserve_ms} ms of the invocation remained; it will be retried"
    )]
    DeadlineNear { reserve_ms: u128 },
    #[error("timed out before the invocation's deadline; it will be retried")]
    TimedOut,
    #[error("{operation} s3://{bucket}/{key} failed: {detail}{hint}")]
    S3 {
        operation: &'static str,
        bucket: String,
        key: String,
        detail: String,
        hint: &'static str,
    },
    #[error("reading the source object s3://{bucket}/{key} failed: {detail}")]
    Source {
        bucket: String,
        key: String,
        detail: String,
    },
    #[error("the source object is {size} bytes; more than S3 can take in {MAX_PARTS} parts")]
    TooLarge { size: u64 },
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
    /// No write starts with less than this left before the deadline.
    start_reserve: Duration,
    /// A running write is cut this long before the deadline, so the response still goes out.
    finish_reserve: Duration,
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
            part_size: DEFAULT_PART_SIZE,
            start_reserve: Duration::from_millis(1000),
            finish_reserve: Duration::from_millis(300),
        }
    }

    /// Smaller parts (at least S3's 5 MiB minimum); for tests of the multipart path.
    pub fn with_part_size(mut self, part_size: usize) -> Self {
        self.part_size = part_size.max(MIN_PART_SIZE);
        self
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Writes `records` concurrently (at most `MAX_CONCURRENT_WRITES` at once),
    /// returning one result per record, in order. Near the deadline no new
    /// write starts and the rest are reported as failed, so nothing is silently lost.
    /// `source_owner` is the lambda account, expected to own source buckets.
    pub async fn write_all(
        &self,
        records: Vec<Record>,
        deadline: Instant,
        source_owner: Option<&str>,
    ) -> Vec<Result<Written, WriteError>> {
        futures_util::stream::iter(records)
            .map(|record| self.write_before(record, deadline, source_owner))
            .buffered(self.max_concurrent)
            .collect()
            .await
    }

    async fn write_before(
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
        let put = Put {
            key: &key,
            content_type: content_type.as_deref(),
            metadata,
        };
        match payload {
            Payload::Inline(body) => self.put(put, body).await,
            Payload::SourceObject(source) => self.copy(put, &source, source_owner).await,
        }
    }

    /// One create-only PUT of a body in memory (the SDK computes the CRC32 and sends it as a header).
    async fn put(&self, put: Put<'_>, body: Bytes) -> Result<Written, WriteError> {
        let key = put.key.as_str();
        let len = i64::try_from(body.len()).unwrap_or(i64::MAX);
        let mut request = self
            .target
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .expected_bucket_owner(&self.bucket_owner)
            .if_none_match("*")
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .content_length(len)
            .content_type(put.content_type.unwrap_or("application/octet-stream"))
            .set_metadata(Some(put.metadata.into_iter().collect()))
            .body(ByteStream::from(body));
        if let Some(kms) = &self.sse_kms_key_arn {
            request = request
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(kms)
                .bucket_key_enabled(true);
        }
        // The body is covered by the CRC32 checksum and by TLS: hashing it again
        // for SigV4 (x-amz-content-sha256) costs ~20% of the CPU of a large PUT.
        match request.customize().disable_payload_signing().send().await {
            Ok(out) => {
                tracing::info!(key, bytes = len, "object created");
                Ok(Written {
                    key: key.to_owned(),
                    status: Status::Created,
                    etag: out.e_tag,
                    version_id: out.version_id,
                })
            }
            Err(err) if status(&err) == Some(412) => {
                tracing::info!(key, "object already existed");
                Ok(Written {
                    key: key.to_owned(),
                    status: Status::AlreadyExisted,
                    etag: None,
                    version_id: None,
                })
            }
            Err(err) => Err(self.s3_error("PutObject", key, code(&err), explain(&err))),
        }
    }

    /// Streams an object of the lambda account across: read with the execution
    /// role, written with the target role. Small objects take one PUT; larger ones
    /// a multipart upload, one part in memory at a time.
    async fn copy(
        &self,
        put: Put<'_>,
        source: &SourceObject,
        source_owner: Option<&str>,
    ) -> Result<Written, WriteError> {
        let source_error = |detail: String| WriteError::Source {
            bucket: source.bucket.clone(),
            key: source.key.clone(),
            detail,
        };
        let object = self
            .source
            .get_object()
            .bucket(&source.bucket)
            .key(&source.key)
            .set_version_id(source.version_id.clone())
            .set_expected_bucket_owner(source_owner.map(str::to_owned))
            .send()
            .await
            .map_err(|e| source_error(explain(&e)))?;
        let size = u64::try_from(object.content_length.unwrap_or(0)).unwrap_or(0);
        let content_type = put
            .content_type
            .map(str::to_owned)
            .or(object.content_type)
            .unwrap_or_else(|| "application/octet-stream".into());
        let put = Put {
            content_type: Some(&content_type),
            ..put
        };
        let mut body = object.body;
        if size <= self.part_size as u64 {
            let bytes = body
                .collect()
                .await
                .map_err(|e| source_error(e.to_string()))?
                .into_bytes();
            return self.put(put, bytes).await;
        }
        let part_size = part_size_for(size, self.part_size).ok_or(WriteError::TooLarge { size })?;
        self.multipart(put, &mut body, part_size)
            .await
            .map_err(|e| match e {
                MultipartError::Read(detail) => source_error(detail),
                MultipartError::Write(e) => e,
            })
    }

    async fn multipart(
        &self,
        put: Put<'_>,
        body: &mut ByteStream,
        part_size: usize,
    ) -> Result<Written, MultipartError> {
        let key = put.key.as_str();
        let mut create = self
            .target
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .expected_bucket_owner(&self.bucket_owner)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .content_type(put.content_type.unwrap_or("application/octet-stream"))
            .set_metadata(Some(put.metadata.into_iter().collect()));
        if let Some(kms) = &self.sse_kms_key_arn {
            create = create
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(kms)
                .bucket_key_enabled(true);
        }
        let upload = create.send().await.map_err(|e| {
            MultipartError::Write(self.s3_error(
                "CreateMultipartUpload",
                key,
                code(&e),
                explain(&e),
            ))
        })?;
        let Some(upload_id) = upload.upload_id else {
            return Err(MultipartError::Write(self.s3_error(
                "CreateMultipartUpload",
                key,
                None,
                "no UploadId in the response".into(),
            )));
        };
        let result = self
            .upload_parts_and_complete(key, &upload_id, body, part_size)
            .await;
        if !matches!(
            result,
            Ok(Written {
                status: Status::Created,
                ..
            })
        ) {
            self.abort(key, &upload_id).await;
        }
        result
    }

    async fn upload_parts_and_complete(
        &self,
        key: &str,
        upload_id: &str,
        body: &mut ByteStream,
        part_size: usize,
    ) -> Result<Written, MultipartError> {
        let mut parts = Vec::new();
        let mut buffer = BytesMut::with_capacity(part_size);
        let mut eof = false;
        loop {
            while buffer.len() < part_size && !eof {
                match body.next().await {
                    Some(Ok(chunk)) => buffer.extend_from_slice(&chunk),
                    Some(Err(e)) => return Err(MultipartError::Read(e.to_string())),
                    None => eof = true,
                }
            }
            if buffer.is_empty() {
                break;
            }
            let take = buffer.len().min(part_size);
            let part = buffer.split_to(take).freeze();
            let number = i32::try_from(parts.len() + 1).unwrap_or(i32::MAX);
            let out = self
                .target
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .expected_bucket_owner(&self.bucket_owner)
                .checksum_algorithm(ChecksumAlgorithm::Crc32)
                .content_length(i64::try_from(part.len()).unwrap_or(i64::MAX))
                .body(ByteStream::from(part))
                .customize()
                .disable_payload_signing()
                .send()
                .await
                .map_err(|e| {
                    MultipartError::Write(self.s3_error("UploadPart", key, code(&e), explain(&e)))
                })?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(out.e_tag)
                    .set_checksum_crc32(out.checksum_crc32)
                    .build(),
            );
        }
        let complete = self
            .target
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .expected_bucket_owner(&self.bucket_owner)
            .if_none_match("*")
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await;
        match complete {
            Ok(out) => {
                tracing::info!(key, "object created (multipart)");
                Ok(Written {
                    key: key.to_owned(),
                    status: Status::Created,
                    etag: out.e_tag,
                    version_id: out.version_id,
                })
            }
            Err(err) if status(&err) == Some(412) => Ok(Written {
                key: key.to_owned(),
                status: Status::AlreadyExisted,
                etag: None,
                version_id: None,
            }),
            Err(err) => Err(MultipartError::Write(self.s3_error(
                "CompleteMultipartUpload",
                key,
                code(&err),
                explain(&err),
            ))),
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

    fn s3_error(
        &self,
        operation: &'static str,
        key: &str,
        code: Option<&str>,
        detail: String,
    ) -> WriteError {
        let hint = match code {
            Some("AccessDenied") => {
                " (the target role may write only under its policy's prefix: KEY_PREFIX must match it; \
                 the bucket policy may deny the request's encryption or transport; with SSE-KMS, the key \
                 policy and the role's policy must both allow kms:GenerateDataKey)"
            }
            Some("NoSuchBucket") => " (check TARGET_BUCKET and TARGET_REGION)",
            Some("PermanentRedirect") | Some("AuthorizationHeaderMalformed") => {
                " (the bucket is in another region: set TARGET_REGION to the bucket's region)"
            }
            Some("AccessControlListNotSupported") => {
                " (the bucket enforces owner ownership; no ACL must be sent)"
            }
            _ => "",
        };
        tracing::warn!(operation, key, error = %detail, "write failed");
        WriteError::S3 {
            operation,
            bucket: self.bucket.clone(),
            key: key.to_owned(),
            detail,
            hint,
        }
    }
}

/// What one PUT needs besides the body.
struct Put<'a> {
    key: &'a ObjectKey,
    content_type: Option<&'a str>,
    metadata: std::collections::BTreeMap<String, String>,
}

enum MultipartError {
    Read(String),
    Write(WriteError),
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

    #[test]
    fn part_size_grows_only_when_needed() {
        const MIB: u64 = 1024 * 1024;
        assert_eq!(
            part_size_for(100 * MIB, DEFAULT_PART_SIZE),
            Some(DEFAULT_PART_SIZE)
        );
        let big = 200 * 1024 * MIB; // 200 GiB
        let p = part_size_for(big, DEFAULT_PART_SIZE).unwrap() as u64;
        assert!(big.div_ceil(p) <= MAX_PARTS && p.is_multiple_of(MIB));
        assert_eq!(
            part_size_for(6 * 1024 * 1024 * MIB, DEFAULT_PART_SIZE),
            None
        );
    }
}
