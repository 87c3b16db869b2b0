//! Why a write failed, in words a user can act on: the error types and the
//! hints that name the setting or policy to check.

use crate::errors::{ErrorCode, code, explain, status};
use crate::keys::ObjectKey;
use crate::record::{Cause, Failure};

use super::{Condition, MAX_ATTEMPTS, MAX_PARTS, PutError, Writer};

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

    /// Whether a later attempt may succeed where this one failed: the
    /// deadline, a timeout, a contended key, a call that got no answer (no
    /// error code: a connection or I/O failure, or a 5xx without a body, as
    /// HEAD answers), or an error code AWS documents as transient
    /// ([`ErrorCode::is_transient`]). Never decided by the message text.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::DeadlineNear { .. } | Self::TimedOut | Self::Contended { .. } => true,
            Self::TooLarge { .. } | Self::Conflict { .. } => false,
            Self::S3(_) | Self::Source { .. } => self.code().is_none_or(ErrorCode::is_transient),
        }
    }

    /// The failure reported under the record's `id`.
    pub fn into_failure(self, id: String) -> Failure {
        Failure {
            id: Some(id),
            code: self.code().cloned(),
            cause: if self.is_transient() {
                Cause::Transient
            } else {
                Cause::Write
            },
            message: self.to_string(),
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

impl Writer {
    pub(super) fn contended(&self, key: &ObjectKey) -> WriteError {
        WriteError::Contended {
            bucket: self.settings.bucket.clone(),
            key: key.to_string(),
        }
    }

    /// A failed conditional write: a lost race (412; 409 ConditionalRequestConflict;
    /// 404 when the object to match is gone) or a failure.
    pub(super) fn put_error<E>(
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

    pub(super) fn s3_error(
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
            bucket: self.settings.bucket.clone(),
            key: key.to_owned(),
            detail,
            hint,
            code,
        }))
    }
}
