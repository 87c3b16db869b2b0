//! Turning SDK errors into one-line explanations a user can act on, and
//! classifying them by their error codes (never by their message text).

use std::error::Error as StdError;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

/// An AWS error code. The ones the function acts on (a hint, an error type)
/// are variants, so they are matched, never compared as text; any other code
/// is kept as the service gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    AccessDenied,
    NoSuchBucket,
    NoSuchKey,
    PermanentRedirect,
    AuthorizationHeaderMalformed,
    AccessControlListNotSupported,
    Other(String),
}

impl ErrorCode {
    const NAMED: [ErrorCode; 6] = [
        Self::AccessDenied,
        Self::NoSuchBucket,
        Self::NoSuchKey,
        Self::PermanentRedirect,
        Self::AuthorizationHeaderMalformed,
        Self::AccessControlListNotSupported,
    ];

    /// The code a service sent.
    pub fn parse(code: &str) -> Self {
        Self::NAMED
            .into_iter()
            .find(|named| named.as_str() == code)
            .unwrap_or_else(|| Self::Other(code.to_owned()))
    }

    /// Whether AWS means a retry may succeed: throttling, a timeout, a
    /// server-side failure. The codes the SDKs' standard retry strategy
    /// treats as throttling or transient, and S3's own (`SlowDown`,
    /// `ServiceUnavailable`, `InternalError`, `RequestTimeout`, `OperationAborted`,
    /// `ConditionalRequestConflict`).
    pub fn is_transient(&self) -> bool {
        const TRANSIENT: [&str; 22] = [
            "SlowDown",
            "ServiceUnavailable",
            "InternalError",
            "InternalFailure",
            "RequestTimeout",
            "RequestTimeoutException",
            "OperationAborted",
            "ConditionalRequestConflict",
            "Throttling",
            "ThrottlingException",
            "ThrottledException",
            "RequestThrottled",
            "RequestThrottledException",
            "TooManyRequestsException",
            "RequestLimitExceeded",
            "ProvisionedThroughputExceededException",
            "TransactionInProgressException",
            "PriorRequestNotComplete",
            "BandwidthLimitExceeded",
            "EC2ThrottledException",
            "IDPCommunicationError",
            "ServiceUnavailableException",
        ];
        TRANSIENT.contains(&self.as_str())
    }

    /// Whether S3 passes on a refusal or failure of KMS (`KMS.NotFoundException`,
    /// `KMS.DisabledException`, ...): S3 prefixes those codes with `KMS.`.
    pub fn is_kms(&self) -> bool {
        self.as_str().starts_with("KMS.")
    }

    /// The code as AWS spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::AccessDenied => "AccessDenied",
            Self::NoSuchBucket => "NoSuchBucket",
            Self::NoSuchKey => "NoSuchKey",
            Self::PermanentRedirect => "PermanentRedirect",
            Self::AuthorizationHeaderMalformed => "AuthorizationHeaderMalformed",
            Self::AccessControlListNotSupported => "AccessControlListNotSupported",
            Self::Other(code) => code,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// AssumeRole was refused or failed. The message names both sides that could be at fault.
///
/// Right after `terraform apply` neither may be at fault yet: IAM is eventually
/// consistent, and AWS's IAM User Guide ("Troubleshooting general issues":
/// "Changes that I make are not always immediately visible",
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency>)
/// says a new or changed role, policy or trust may take a while to take
/// effect. We expect seconds, at most a minute or two, so the hint says to
/// wait and retry before debugging.
#[derive(Debug, thiserror::Error)]
pub enum AssumeRoleError {
    #[error(
        "AccessDenied: the execution role {execution_role} may not assume the target role {target_role}. \
         Either (1) the execution role's policy lacks sts:AssumeRole on {target_role} (lambda account), or \
         (2) the target role's trust policy does not name {execution_role}, or requires an ExternalId other \
         than the one in TARGET_EXTERNAL_ID (bucket account; this function {sends}). If the roles or their \
         policies were created or changed moments ago (right after terraform apply), IAM may not have \
         propagated them yet (usually seconds, up to a minute or two): wait, retry, and debug only if it \
         persists. STS said: {detail}"
    )]
    AccessDenied {
        execution_role: String,
        target_role: String,
        sends: &'static str,
        detail: String,
    },
    #[error("could not assume the target role {target_role}: {detail}")]
    Other {
        target_role: String,
        detail: String,
        code: Option<ErrorCode>,
    },
}

impl AssumeRoleError {
    /// STS's error code.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::AccessDenied { .. } => Some(ErrorCode::AccessDenied),
            Self::Other { code, .. } => code.clone(),
        }
    }
}

/// What went wrong with a call, in one line: the service's code and message
/// for a service error; for anything else the whole source chain, or the
/// actionable AssumeRole error when credentials were what failed.
pub fn explain<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + StdError + 'static,
    R: std::fmt::Debug + 'static,
{
    if let Some(assume) = find_in_chain::<AssumeRoleError>(err) {
        return assume.to_string();
    }
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            match (e.code(), e.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_owned(),
                _ => chain(err),
            }
        }
        _ => chain(err),
    }
}

/// An error and its sources, each by its `Display`, joined by ": ". Unlike the
/// SDK's `DisplayErrorContext` it leaves out the `Debug` dump of the whole error
/// (raw HTTP responses included), which makes a log line unreadable.
pub fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = e.source();
    }
    out
}

/// The error code behind a failed call: the service's, or STS's when the
/// credentials (AssumeRole) were what failed.
pub fn code<E, R>(err: &SdkError<E, R>) -> Option<ErrorCode>
where
    E: ProvideErrorMetadata + StdError + 'static,
    R: std::fmt::Debug + 'static,
{
    match err {
        SdkError::ServiceError(service) => service.err().code().map(ErrorCode::parse),
        _ => find_in_chain::<AssumeRoleError>(err).and_then(AssumeRoleError::code),
    }
}

/// The HTTP status of the response behind an error, when there was one.
pub fn status<E>(err: &SdkError<E, aws_smithy_runtime_api::http::Response>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

/// The first error of type `T` in `err`'s source chain.
pub fn find_in_chain<'a, T: StdError + 'static>(
    err: &'a (dyn StdError + 'static),
) -> Option<&'a T> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_round_trip_and_unknown_ones_are_kept() {
        for code in ErrorCode::NAMED {
            assert_eq!(ErrorCode::parse(code.as_str()), code);
        }
        assert_eq!(
            ErrorCode::parse("SlowDown"),
            ErrorCode::Other("SlowDown".to_owned())
        );
        assert_eq!(ErrorCode::parse("SlowDown").to_string(), "SlowDown");
        assert_eq!(ErrorCode::AccessDenied.to_string(), "AccessDenied");
    }

    #[test]
    fn kms_codes_are_told_by_their_prefix() {
        assert!(ErrorCode::parse("KMS.NotFoundException").is_kms());
        assert!(ErrorCode::parse("KMS.DisabledException").is_kms());
        assert!(!ErrorCode::AccessDenied.is_kms());
        assert!(!ErrorCode::parse("KMSAccessDenied").is_kms());
    }

    #[test]
    fn throttling_and_server_codes_are_transient_and_refusals_are_not() {
        for code in [
            "SlowDown",
            "ServiceUnavailable",
            "InternalError",
            "RequestTimeout",
            "Throttling",
        ] {
            assert!(ErrorCode::parse(code).is_transient(), "{code}");
        }
        for code in [
            "AccessDenied",
            "NoSuchKey",
            "NoSuchVersion",
            "NoSuchBucket",
            "InvalidObjectState",
        ] {
            assert!(!ErrorCode::parse(code).is_transient(), "{code}");
        }
    }

    #[test]
    fn the_access_denied_hint_names_both_causes_and_propagation() {
        let message = AssumeRoleError::AccessDenied {
            execution_role: "arn:aws:iam::111111111111:role/writer-exec".into(),
            target_role: "arn:aws:iam::222222222222:role/writer-target".into(),
            sends: "sends the ExternalId from TARGET_EXTERNAL_ID",
            detail: "User is not authorized to perform: sts:AssumeRole".into(),
        }
        .to_string();
        for part in [
            "AccessDenied: the execution role arn:aws:iam::111111111111:role/writer-exec may not assume \
             the target role arn:aws:iam::222222222222:role/writer-target",
            "(1) the execution role's policy lacks sts:AssumeRole on arn:aws:iam::222222222222:role/writer-target",
            "(2) the target role's trust policy does not name arn:aws:iam::111111111111:role/writer-exec",
            "ExternalId other than the one in TARGET_EXTERNAL_ID",
            "right after terraform apply",
            "propagated",
            "up to a minute or two",
            "wait, retry",
            "STS said: User is not authorized",
        ] {
            assert!(message.contains(part), "{part:?} missing from: {message}");
        }
        assert_eq!(message.lines().count(), 1, "one log line");
    }
}
