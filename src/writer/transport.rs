//! The upload transport: one conditional PUT of a body in memory, or a
//! multipart upload with a bounded number of parts in flight (and in memory).

use aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, ServerSideEncryption,
};
use bytes::{Bytes, BytesMut};
use tracing::Instrument as _;

use crate::credentials::for_this_invocation;
use crate::errors::{ErrorCode, code, explain};
use crate::keys::ObjectKey;
use crate::record::{Status, Written};

use super::{Condition, MAX_PARTS, Put, PutError, WriteError, Writer};

/// What every object-creating request carries, PutObject and
/// CreateMultipartUpload alike: bucket and key, the expected bucket owner (a
/// bucket of that name in a stranger's account is never written), a CRC32
/// checksum, content type and encoding, the user metadata, and SSE-KMS with a
/// Bucket Key when configured. Never an ACL (the bucket enforces owner ownership).
macro_rules! object_settings {
    ($request:expr, $settings:expr, $put:expr) => {
        $request
            .bucket(&$settings.bucket)
            .key($put.key.as_str())
            .expected_bucket_owner(&$settings.bucket_owner)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .content_type($put.content_type)
            .set_content_encoding($put.content_encoding.map(str::to_owned))
            .set_metadata(Some($put.user_metadata()))
            .set_server_side_encryption(
                $settings
                    .sse_kms_key_arn
                    .as_ref()
                    .map(|_| ServerSideEncryption::AwsKms),
            )
            .set_ssekms_key_id($settings.sse_kms_key_arn.clone())
            .set_bucket_key_enabled($settings.sse_kms_key_arn.as_ref().map(|_| true))
    };
}

/// The write's condition on a PutObject or CompleteMultipartUpload.
macro_rules! with_condition {
    ($request:expr, $condition:expr) => {
        match $condition {
            Condition::Absent => $request.if_none_match("*"),
            Condition::Matches(etag) => $request.if_match(etag),
        }
    };
}

impl Writer {
    /// A PutObject of a body in memory with every setting a write carries, but
    /// no condition yet: [`Self::put`] adds the record's, the preflight's canary
    /// ([`Self::probe_put`]) its own or none.
    fn put_request(&self, put: &Put<'_>, body: Bytes) -> PutObjectFluentBuilder {
        let len = i64::try_from(body.len()).unwrap_or(i64::MAX);
        object_settings!(self.target.put_object(), self.settings, put)
            .content_length(len)
            .body(ByteStream::from(body))
    }

    /// One conditional PUT of a body in memory (the SDK computes the CRC32 and
    /// sends it as a header).
    pub(super) async fn put(
        &self,
        put: &Put<'_>,
        body: Bytes,
        condition: &Condition,
    ) -> Result<Written, PutError> {
        let key = put.key.as_str();
        let len = i64::try_from(body.len()).unwrap_or(i64::MAX);
        let request = with_condition!(self.put_request(put, body), condition);
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

    /// The preflight's canary write: the very request a record's create-only
    /// write sends (expected bucket owner, CRC32, SSE-KMS and Bucket Key when
    /// configured, `If-None-Match: *`), or, with `create_only` false, the same
    /// without any condition (which the bucket policy must refuse). Answers what
    /// S3 reported of the object's encryption, or the refusal's status and code.
    pub(crate) async fn probe_put(
        &self,
        key: &ObjectKey,
        body: Bytes,
        create_only: bool,
    ) -> Result<Probed, ProbeError> {
        let mut metadata = std::collections::BTreeMap::new();
        metadata.insert(
            crate::record::provenance::CONTENT_SHA256.to_owned(),
            super::sha256_hex(&body),
        );
        let put = Put {
            key,
            content_type: "text/plain",
            content_encoding: None,
            metadata: &metadata,
        };
        let request = self.put_request(&put, body);
        let request = if create_only {
            with_condition!(request, &Condition::Absent)
        } else {
            request
        };
        match request.customize().disable_payload_signing().send().await {
            Ok(out) => Ok(Probed {
                sse: out.server_side_encryption.map(|s| s.as_str().to_owned()),
                kms_key_id: out.ssekms_key_id,
                bucket_key: out.bucket_key_enabled,
            }),
            Err(err) => Err(ProbeError::of(&err)),
        }
    }

    /// A HEAD of `key` as the target role, with the expected bucket owner as
    /// every read of the writer sends it: what the identity check needs.
    pub(crate) async fn probe_head(&self, key: &ObjectKey) -> Result<Probed, ProbeError> {
        match self.head_request(key).send().await {
            Ok(out) => Ok(Probed {
                sse: out.server_side_encryption.map(|s| s.as_str().to_owned()),
                kms_key_id: out.ssekms_key_id,
                bucket_key: out.bucket_key_enabled,
            }),
            Err(err) => Err(ProbeError::of(&err)),
        }
    }

    pub(super) async fn multipart(
        &self,
        put: &Put<'_>,
        body: &mut ByteStream,
        part_size: usize,
        condition: &Condition,
    ) -> Result<Written, MultipartError> {
        let key = put.key.as_str();
        let create = object_settings!(self.target.create_multipart_upload(), self.settings, put);
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
    pub(super) async fn upload_parts_and_complete(
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
            while in_flight.len() >= self.settings.max_concurrent_parts {
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
        let complete = self
            .target
            .complete_multipart_upload()
            .bucket(&self.settings.bucket)
            .key(key_str)
            .upload_id(upload_id)
            .expected_bucket_owner(&self.settings.bucket_owner)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            );
        let complete = with_condition!(complete, condition);
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
    pub(super) fn upload_part(
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
            .bucket(&self.settings.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .expected_bucket_owner(&self.settings.bucket_owner)
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
    pub(super) async fn abort(&self, key: &str, upload_id: &str) {
        let aborted = self
            .target
            .abort_multipart_upload()
            .bucket(&self.settings.bucket)
            .key(key)
            .upload_id(upload_id)
            .expected_bucket_owner(&self.settings.bucket_owner)
            .send()
            .await;
        if let Err(err) = aborted {
            tracing::debug!(key, error = %explain(&err), "could not abort the multipart upload; the bucket's lifecycle rule will");
        }
    }

    /// A new object of `bytes` bytes at `key`.
    pub(super) fn written(
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
}

/// What S3 reported of the preflight's canary: its encryption.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Probed {
    /// `x-amz-server-side-encryption` (`aws:kms`, `AES256`, ...).
    pub sse: Option<String>,
    /// `x-amz-server-side-encryption-aws-kms-key-id`.
    pub kms_key_id: Option<String>,
    /// `x-amz-server-side-encryption-bucket-key-enabled`.
    pub bucket_key: Option<bool>,
}

/// Why a preflight request failed: the HTTP status, the AWS error code (a HEAD
/// has none: its response has no body) and a one-line explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProbeError {
    pub status: Option<u16>,
    pub code: Option<ErrorCode>,
    pub detail: String,
}

impl ProbeError {
    fn of<E>(err: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>) -> Self
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        let status = crate::errors::status(err);
        let code = code(err);
        let detail = match (&code, status) {
            // A HEAD response has no body, so no code and no message: its status
            // is all there is (the SDK's text would be a dump of request IDs).
            (None, Some(status)) => {
                format!("HTTP {status} (a HEAD response carries no error code)")
            }
            _ => explain(err),
        };
        Self {
            status,
            code,
            detail,
        }
    }
}

pub(super) enum MultipartError {
    Read(String),
    Put(PutError),
}

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

/// The part size for an object: the configured one, grown (in whole MiB) when
/// the object would need more than S3's 10,000 parts; `None` past S3's 5 TiB.
pub(super) fn part_size_for(size: u64, configured: usize) -> Option<usize> {
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
}
