//! A Lambda function that writes incoming events as objects into an S3 bucket
//! owned by another AWS account, through a role it assumes there.
//!
//! ```text
//! raw event JSON ─ events::decode (classify, then the source's decoder) ─► records + reply
//!                ─ keys (injective layouts under KEY_PREFIX)
//!                ─ order (SQS FIFO: a failure stops the rest of its message group)
//!                ─ batch (OBJECT_MODE=batch: records → NDJSON objects; CONTENT_ENCODING=gzip)
//!                ─► writer (conditional writes as the target role; a 412 is checked
//!                  against the record's identity)
//!                ─ reply (per source) ─► SQS batchItemFailures | HTTP response | summary | error
//! ```
//!
//! `{"action": "preflight"}` takes another path down: [`preflight`] runs the
//! writer's own requests on a canary and answers a list of named checks.
//!
//! Every source is one row of [`source`]; `config`, `record`, `keys`, `source`
//! and the AWS helpers are floors the stages stand on, and no module imports
//! one that imports it back (`tests/module_graph.rs`).

pub mod allocator;
pub mod arn;
pub mod batch;
pub mod config;
pub mod credentials;
pub mod errors;
pub mod events;
pub mod handler;
pub mod https;
pub mod keys;
pub(crate) mod metrics;
pub(crate) mod order;
pub mod preflight;
pub mod record;
pub(crate) mod sequencer;
pub mod source;
pub mod telemetry;
pub(crate) mod writer;

/// The SDK behavior version this function is tested with: pinned, so an SDK
/// upgrade can't change retries or timeouts behind our back.
pub fn behavior_version() -> aws_config::BehaviorVersion {
    aws_config::BehaviorVersion::v2026_01_12()
}
