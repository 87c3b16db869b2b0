//! Wires the pieces: logging, configuration, clients (built once), the runtime loop.

use std::process::ExitCode;

use cross_account_s3_writer::{
    behavior_version, config::Config, credentials::Clients, handler::Handler, https, telemetry,
};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::value::RawValue;

fn main() -> ExitCode {
    telemetry::init();
    // One invocation at a time per process: a current-thread runtime is all Lambda needs.
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(lambda_runtime::Error::from)
        .and_then(|runtime| runtime.block_on(run()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Logged once, by its Display: the messages say what to fix.
            tracing::error!("{error}");
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
    let handler = Handler::new(config, clients);
    let handler = &handler;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Box<RawValue>>| async move { handler.handle(event).await },
    ))
    .await
}
