//! The create-only protocol for inline bodies: `If-None-Match: *`, and on a
//! 412 a HEAD that must show the very same record (else a conflict).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use aws_sdk_s3::operation::head_object::builders::HeadObjectFluentBuilder;
use bytes::Bytes;

use crate::errors::{ErrorCode, code, explain, status};
use crate::keys::ObjectKey;
use crate::record::{Status, Written, provenance};

use super::{
    Condition, Lookup, MAX_ATTEMPTS, Put, PutError, Stored, WriteError, Writer, backoff, sha256_hex,
};

impl Writer {
    /// Creates `put.key` with `body` (the bytes stored, compressed or not), or
    /// confirms that an earlier delivery did.
    pub(super) async fn create_inline(
        &self,
        put: Put<'_>,
        body: Bytes,
    ) -> Result<Written, WriteError> {
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

    /// What is at `key`. Needs `s3:GetObject` on the function's own prefix,
    /// nothing more; without `s3:ListBucket`, S3 answers a HEAD of a missing
    /// key with 403, not 404, so a 403 means "missing, or really not allowed".
    pub(super) async fn head(&self, key: &ObjectKey) -> Result<Lookup, WriteError> {
        let out = self.head_request(key).send().await;
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

    /// A HeadObject of `key` in the target bucket, owner-checked.
    pub(super) fn head_request(&self, key: &ObjectKey) -> HeadObjectFluentBuilder {
        self.target
            .head_object()
            .bucket(&self.settings.bucket)
            .key(key.as_str())
            .expected_bucket_owner(&self.settings.bucket_owner)
    }

    /// `Ok` when `stored` carries the same values as `ours` for every name in
    /// `names`; else the conflict, naming both records.
    pub(super) fn check_same(
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
            bucket: self.settings.bucket.clone(),
            key: key.to_string(),
            stored: describe(&|n| stored.meta(n).map(str::to_owned)),
            ours: describe(&|n| ours.get(n).cloned()),
        };
        tracing::warn!(key = key.as_str(), error = %error, "key holds another record");
        Err(error)
    }
}
