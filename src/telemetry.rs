//! Logging: JSON when Lambda's log format is JSON, text otherwise; level from
//! `AWS_LAMBDA_LOG_LEVEL`, overridden by `RUST_LOG`.
//!
//! The SDK's own crates are held at `warn` unless `RUST_LOG` names them: at
//! debug they log request details (including access key IDs) that don't belong
//! in a function's logs.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .ok()
        .map(|l| l.to_ascii_lowercase())
        .unwrap_or_else(|| "info".into());
    let filter = std::env::var("RUST_LOG").ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| {
        format!("{level},aws_config=warn,aws_smithy_runtime=warn,aws_smithy_http_client=warn,aws_sdk_s3=warn,aws_sdk_sts=warn,hyper=warn,rustls=warn")
    });
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .without_time();
    let result = if json {
        // The span list carries the runtime's requestId and the record being written.
        builder
            .json()
            .with_current_span(false)
            .with_span_list(true)
            .try_init()
    } else {
        builder.with_ansi(false).try_init()
    };
    // Only fails when a subscriber is already set (tests): keep that one.
    let _ = result;
}
