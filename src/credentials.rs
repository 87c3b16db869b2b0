//! The two identities the function works with, and the clients that use them.
//!
//! The *source* identity is the execution role (in Lambda: the environment
//! credentials). It reads source objects in the lambda account and assumes the
//! *target* role in the bucket account through `AssumeRoleProvider`. All
//! clients are built once, at init, and share one identity cache for the target
//! role, so AssumeRole runs once per credential lifetime (refreshed shortly
//! before expiry), never per invocation.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_config::SdkConfig;
use aws_config::identity::IdentityCache;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::{
    self, ProvideCredentials, SharedCredentialsProvider, error::CredentialsError, future,
};
use aws_sdk_s3::config::Region;
use aws_sdk_sts::error::SdkError;
use aws_sdk_sts::operation::assume_role::AssumeRoleError as StsAssumeRoleError;
use serde::Serialize;

use crate::config::Config;
use crate::errors::{AssumeRoleError, ErrorCode};

/// The clients of both identities.
#[derive(Clone, Debug)]
pub struct Clients {
    /// S3 in the bucket account, as the target role: writes.
    pub target_s3: aws_sdk_s3::Client,
    /// S3 in the lambda account, as the execution role: reads source objects.
    pub source_s3: aws_sdk_s3::Client,
    /// STS as the execution role (`whoami`, and naming it in errors).
    pub source_sts: aws_sdk_sts::Client,
    /// STS as the target role (`whoami`).
    pub target_sts: aws_sdk_sts::Client,
    /// How many times AssumeRole has been called by this process.
    pub assume_role_calls: Arc<AtomicU64>,
}

impl Clients {
    /// Builds every client from `base`, the source identity's configuration.
    /// Makes no network call: the first AssumeRole happens on the first write.
    pub async fn build(config: &Config, base: &SdkConfig) -> Self {
        let source_sts = aws_sdk_sts::Client::new(base);
        let mut assume = AssumeRoleProvider::builder(config.target_role_arn.as_str())
            .session_name(&config.role_session_name)
            .session_length(config.role_session_length)
            .configure(base);
        if let Some(id) = &config.external_id {
            assume = assume.external_id(id);
        }
        let assume_role_calls = Arc::new(AtomicU64::new(0));
        let provider = SharedCredentialsProvider::new(TargetRoleProvider {
            inner: assume.build().await,
            target_role_arn: config.target_role_arn.to_string(),
            sends_external_id: config.external_id.is_some(),
            source_sts: source_sts.clone(),
            calls: Arc::clone(&assume_role_calls),
        });
        // One cache for both target clients: the same provider (one cache
        // partition) behind one lazy cache means one AssumeRole serves both.
        let cache = IdentityCache::lazy().build();
        let target_region = config
            .target_region
            .clone()
            .map(Region::new)
            .or_else(|| base.region().cloned());

        let mut target_s3 = aws_sdk_s3::config::Builder::from(base)
            .credentials_provider(provider.clone())
            .identity_cache(cache.clone())
            .force_path_style(config.force_path_style);
        target_s3.set_region(target_region);
        let source_s3 =
            aws_sdk_s3::config::Builder::from(base).force_path_style(config.force_path_style);
        let target_sts = aws_sdk_sts::config::Builder::from(base)
            .credentials_provider(provider)
            .identity_cache(cache);

        Self {
            target_s3: aws_sdk_s3::Client::from_conf(target_s3.build()),
            source_s3: aws_sdk_s3::Client::from_conf(source_s3.build()),
            source_sts,
            target_sts: aws_sdk_sts::Client::from_conf(target_sts.build()),
            assume_role_calls,
        }
    }

    /// Both identities, as STS sees them: proof that the deployed function
    /// really works through the role.
    pub async fn whoami(&self) -> Result<WhoAmI, IdentityError> {
        let (execution, assumed) = tokio::join!(caller(&self.source_sts), caller(&self.target_sts));
        Ok(WhoAmI {
            execution_identity: execution.map_err(IdentityError::Execution)?,
            assumed_identity: assumed.map_err(IdentityError::Assumed)?,
            assume_role_calls: self.assume_role_calls.load(Ordering::Relaxed),
        })
    }
}

/// One identity as `sts:GetCallerIdentity` reports it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// The answer to `{"action": "whoami"}` (the handler adds target and bucket).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct WhoAmI {
    pub execution_identity: Identity,
    pub assumed_identity: Identity,
    pub assume_role_calls: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("could not identify the execution role: {0}")]
    Execution(String),
    #[error("could not identify the assumed target role: {0}")]
    Assumed(String),
}

async fn caller(sts: &aws_sdk_sts::Client) -> Result<Identity, String> {
    let out = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| crate::errors::explain(&e))?;
    Ok(Identity {
        account: out.account.unwrap_or_default(),
        arn: out.arn.unwrap_or_default(),
        user_id: out.user_id.unwrap_or_default(),
    })
}

tokio::task_local! {
    /// AssumeRole calls made for the invocation running in this task: its
    /// `AssumeRoleCalls` metric, right even when several invocations share the
    /// process (Lambda Managed Instances) and one of them refreshes the session.
    static INVOCATION_ASSUME_ROLE_CALLS: Arc<AtomicU64>;
}

/// Runs one invocation's work, and counts the AssumeRole calls made for it.
pub async fn counting_assume_role_calls<T>(work: impl Future<Output = T>) -> (T, u64) {
    let calls = Arc::new(AtomicU64::new(0));
    let out = INVOCATION_ASSUME_ROLE_CALLS
        .scope(Arc::clone(&calls), work)
        .await;
    (out, calls.load(Ordering::Relaxed))
}

/// `work`, to be spawned as a task of its own, counted as the current invocation's.
pub fn for_this_invocation<F: Future>(work: F) -> impl Future<Output = F::Output> {
    let calls = INVOCATION_ASSUME_ROLE_CALLS.try_with(Arc::clone).ok();
    async move {
        match calls {
            Some(calls) => INVOCATION_ASSUME_ROLE_CALLS.scope(calls, work).await,
            None => work.await,
        }
    }
}

/// One AssumeRole call, for the invocation running in this task (if any).
fn count_for_this_invocation() {
    let _ = INVOCATION_ASSUME_ROLE_CALLS.try_with(|calls| calls.fetch_add(1, Ordering::Relaxed));
}

/// Wraps `AssumeRoleProvider`: counts calls, logs each new session (never the
/// credentials), and turns a refusal into an error that says what to fix.
#[derive(Debug)]
struct TargetRoleProvider {
    inner: AssumeRoleProvider,
    target_role_arn: String,
    sends_external_id: bool,
    source_sts: aws_sdk_sts::Client,
    calls: Arc<AtomicU64>,
}

impl TargetRoleProvider {
    async fn assume(&self) -> provider::Result {
        let n = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        count_for_this_invocation();
        match self.inner.provide_credentials().await {
            Ok(credentials) => {
                let expires = credentials.expiry().map(|t| {
                    aws_smithy_types::DateTime::from(t)
                        .fmt(aws_smithy_types::date_time::Format::DateTime)
                        .unwrap_or_default()
                });
                tracing::info!(target_role = %self.target_role_arn, expires = expires.as_deref().unwrap_or("never"), assume_role_calls = n, "assumed target role");
                Ok(credentials)
            }
            Err(err) => {
                let (detail, code) = sts_refusal(&err);
                let error = if code == Some(ErrorCode::AccessDenied) {
                    AssumeRoleError::AccessDenied {
                        execution_role: self.execution_role().await,
                        target_role: self.target_role_arn.clone(),
                        sends: if self.sends_external_id {
                            "sends the ExternalId from TARGET_EXTERNAL_ID"
                        } else {
                            "sends no ExternalId: TARGET_EXTERNAL_ID is unset"
                        },
                        detail,
                    }
                } else {
                    AssumeRoleError::Other {
                        target_role: self.target_role_arn.clone(),
                        detail,
                        code,
                    }
                };
                tracing::error!(error = %error, "assume role failed");
                Err(CredentialsError::provider_error(error))
            }
        }
    }

    /// The execution role's ARN, asked of STS only on this error path.
    async fn execution_role(&self) -> String {
        match self.source_sts.get_caller_identity().send().await {
            Ok(out) => out
                .arn
                .map(|arn| role_arn_of_session(&arn))
                .unwrap_or_else(|| "(unknown)".into()),
            Err(_) => "(the function's execution role; GetCallerIdentity failed too)".into(),
        }
    }
}

impl ProvideCredentials for TargetRoleProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.assume())
    }
}

/// STS's own message and error code when it refused, else the error chain.
fn sts_refusal(err: &CredentialsError) -> (String, Option<ErrorCode>) {
    type AssumeRoleSdkError = SdkError<StsAssumeRoleError, aws_smithy_runtime_api::http::Response>;
    match crate::errors::find_in_chain::<AssumeRoleSdkError>(err) {
        Some(sdk) => (crate::errors::explain(sdk), crate::errors::code(sdk)),
        None => (crate::errors::chain(err), None),
    }
}

/// `arn:aws:sts::111:assumed-role/NAME/SESSION` → `arn:aws:iam::111:role/NAME`
/// (the role a trust policy must name); other ARNs unchanged.
pub fn role_arn_of_session(arn: &str) -> String {
    let mut parts = arn.splitn(6, ':');
    if let (Some("arn"), Some(partition), Some("sts"), Some(_), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) && let Some(rest) = resource.strip_prefix("assumed-role/")
        && let Some((name, _session)) = rest.rsplit_once('/')
    {
        return format!("arn:{partition}:iam::{account}:role/{name}");
    }
    arn.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assume_role_calls_count_for_the_invocation_that_made_them() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let one = counting_assume_role_calls(async {
                count_for_this_invocation();
                tokio::task::yield_now().await;
                // A task the invocation spawns (a part upload) counts for it too.
                tokio::spawn(for_this_invocation(async { count_for_this_invocation() }))
                    .await
                    .unwrap();
            });
            let other = counting_assume_role_calls(async {
                tokio::task::yield_now().await;
                count_for_this_invocation();
                tokio::task::yield_now().await;
            });
            let idle = counting_assume_role_calls(tokio::task::yield_now());
            let (((), a), ((), b), ((), c)) = tokio::join!(one, other, idle);
            assert_eq!((a, b, c), (2, 1, 0));
            // Outside any invocation nothing is counted (and nothing fails).
            count_for_this_invocation();
        });
    }

    #[test]
    fn session_arns_map_to_role_arns() {
        assert_eq!(
            role_arn_of_session("arn:aws:sts::111111111111:assumed-role/writer-exec/fn-session"),
            "arn:aws:iam::111111111111:role/writer-exec"
        );
        assert_eq!(
            role_arn_of_session("arn:aws:iam::111111111111:user/bob"),
            "arn:aws:iam::111111111111:user/bob"
        );
    }
}
