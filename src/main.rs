//! Wires the pieces: logging, configuration, clients (built once), the runtime loop.

use std::process::ExitCode;
use std::sync::Arc;

use cross_account_s3_writer::{
    allocator, behavior_version, config::Config, credentials::Clients, handler::Handler, https,
    telemetry,
};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::value::RawValue;

fn main() -> ExitCode {
    allocator::tune();
    let logs = telemetry::init();
    // A current-thread runtime: one invocation at a time, or several interleaved on it.
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(lambda_runtime::Error::from)
        .and_then(|runtime| runtime.block_on(run()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Logged once, by its Display: the messages say what to fix.
            telemetry::fatal(&logs, &error.to_string());
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), lambda_runtime::Error> {
    let config = Config::from_env()?;
    let base = aws_config::defaults(behavior_version())
        .http_client(https::client())
        .load()
        .await;
    let clients = Clients::build(&config, &base).await;
    let handler = Arc::new(Handler::new(config, clients));
    // One invocation at a time, unless AWS_LAMBDA_MAX_CONCURRENCY > 1 (Lambda
    // Managed Instances): then that many `/next` loops, as tasks on this thread,
    // sharing the one handler, its clients and its identity cache (the writes
    // wait on the network, not the CPU).
    lambda_runtime::run_concurrent(service_fn(move |event: LambdaEvent<Box<RawValue>>| {
        let handler = Arc::clone(&handler);
        // Boxed: the invocation's future is deep, and the runtime's workers
        // would nest it in theirs (one allocation per invocation).
        Box::pin(async move { handler.handle(event).await })
    }))
    .await
}
