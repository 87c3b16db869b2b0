//! The baseline for `make bench`: SQS records written one after another into a
//! bucket of another account, through `AssumeRoleProvider`. Only what `make
//! bench` drives: `TARGET_ROLE_ARN`, `TARGET_BUCKET`, `TARGET_EXTERNAL_ID`,
//! `KEY_PREFIX`, `ROLE_SESSION_NAME`.

use aws_config::BehaviorVersion;
use aws_config::sts::AssumeRoleProvider;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let env = |name: &str| std::env::var(name);
    let bucket = env("TARGET_BUCKET")?;
    let prefix = env("KEY_PREFIX").unwrap_or_else(|_| "incoming/".into());
    let base = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let mut role = AssumeRoleProvider::builder(env("TARGET_ROLE_ARN")?)
        .session_name(env("ROLE_SESSION_NAME").unwrap_or_else(|_| "baseline".into()))
        .configure(&base);
    if let Ok(id) = env("TARGET_EXTERNAL_ID") {
        role = role.external_id(id);
    }
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&base)
            .credentials_provider(role.build().await)
            .force_path_style(std::env::var_os("AWS_ENDPOINT_URL").is_some())
            .build(),
    );
    let (s3, bucket, prefix) = (&s3, &bucket, &prefix);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let mut response = SqsBatchResponse::default();
        for message in event.payload.records {
            let id = message.message_id.unwrap_or_default();
            let queue = message.event_source_arn.as_deref().unwrap_or_default();
            let queue = queue.rsplit(':').next().unwrap_or_default();
            let put = s3
                .put_object()
                .bucket(bucket)
                .key(format!("{prefix}sqs/{queue}/{id}"))
                .body(message.body.unwrap_or_default().into_bytes().into())
                .send()
                .await;
            if let Err(error) = put {
                tracing::error!(message_id = %id, error = %aws_sdk_s3::error::DisplayErrorContext(&error), "PutObject failed");
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                response.batch_item_failures.push(failure);
            }
        }
        Ok::<_, Error>(response)
    }))
    .await
}
