//! Wires the pieces: logging, configuration, clients (built once), the runtime loop.

use cross_account_s3_writer::{
    behavior_version, config::Config, credentials::Clients, handler::Handler, telemetry,
};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

fn main() -> Result<(), lambda_runtime::Error> {
    // One invocation at a time per process: a current-thread runtime is all Lambda needs.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let config = Config::from_env().inspect_err(|e| tracing::error!("{e}"))?;
    let base = aws_config::defaults(behavior_version()).load().await;
    let clients = Clients::build(&config, &base).await;
    let handler = Handler::new(config, clients);
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handler.handle(event).await
    }))
    .await
}
