//! A Lambda function that writes incoming events as objects into an S3 bucket
//! owned by another AWS account, through a role it assumes there.
//!
//! ```text
//! event JSON ─ events::classify / events::<source>::decode ─► records
//!            ─ keys (deterministic, under KEY_PREFIX) ─► writer (create-only PUT as the target role)
//!            ─ handler ─► SQS batchItemFailures | HTTP response | summary
//! ```

pub mod arn;
pub mod config;
pub mod credentials;
pub mod errors;
pub mod events;
pub mod handler;
pub mod keys;
pub mod telemetry;
pub mod writer;

/// The SDK behavior version this function is tested with: pinned, so an SDK
/// upgrade can't change retries or timeouts behind our back.
pub fn behavior_version() -> aws_config::BehaviorVersion {
    aws_config::BehaviorVersion::v2026_01_12()
}
