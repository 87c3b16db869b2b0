//! A real two-account AWS emulator (ministack, AUTH=true) for integration tests.
//!
//! `scripts/emulator.py up` starts it on a free loopback port and provisions
//! both accounts with the policy documents Terraform deploys; dropping
//! [`Emulator`] runs `down`. The tests talk to it over real HTTPS with real SigV4.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_sdk_s3::config::Region;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use cross_account_s3_writer::config::Config;
use cross_account_s3_writer::credentials::Clients;
use cross_account_s3_writer::handler::Handler;
use lambda_runtime::{Context, LambdaEvent};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Deserialize, Clone)]
pub struct Keys {
    pub access_key_id: String,
    pub secret_access_key: String,
    #[serde(default)]
    pub session_token: Option<String>,
}

/// `emulator.json`, as written by `scripts/emulator.py up`.
#[derive(Debug, Deserialize, Clone)]
pub struct State {
    pub endpoint: String,
    pub region: String,
    pub ca_bundle: Option<PathBuf>,
    pub lambda_account_id: String,
    pub bucket_account_id: String,
    pub lambda_root: Keys,
    pub bucket_root: Keys,
    pub execution_role_arn: String,
    pub execution_credentials: Keys,
    pub no_assume_role_arn: String,
    pub no_assume_credentials: Keys,
    pub target_role_arn: String,
    pub external_id: String,
    pub bucket: String,
    pub key_prefix: String,
    pub source_bucket: String,
    pub kms_key_arn: Option<String>,
}

/// A running emulator; stopped on drop.
pub struct Emulator {
    pub state: State,
    state_dir: PathBuf,
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The interpreter the emulator runs with (the project's `.venv`, else `python3`).
pub fn python() -> PathBuf {
    let venv = repo().join(".venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

impl Emulator {
    /// Starts and provisions an emulator. Fails loudly (never skips) when the
    /// project's `.venv` is missing: `make test` creates it.
    pub fn start(extra_args: &[&str]) -> Self {
        let state_dir = std::env::temp_dir().join(format!(
            "xacct-emulator-{}-{}",
            std::process::id(),
            unique()
        ));
        let output = Command::new(python())
            .arg(repo().join("scripts/emulator.py"))
            .args(["up", "--state"])
            .arg(&state_dir)
            .args(extra_args)
            .output()
            .expect("running scripts/emulator.py (run `make venv` first)");
        assert!(
            output.status.success(),
            "scripts/emulator.py up failed (is the venv installed? `make venv`):\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let text = std::fs::read_to_string(state_dir.join("emulator.json")).expect("emulator.json");
        let state: State =
            serde_json::from_str(&text).expect("emulator.json has the documented fields");
        Self { state, state_dir }
    }

    /// An SDK configuration acting as `keys`, pointed at the emulator.
    pub async fn sdk_config(&self, keys: &Keys) -> SdkConfig {
        self.sdk_config_via(keys, &self.state.endpoint).await
    }

    /// Like [`Emulator::sdk_config`], but sending every request to `endpoint`
    /// (e.g. `http://127.0.0.1:<port>` of a proxy in front of the emulator).
    pub async fn sdk_config_via(&self, keys: &Keys, endpoint: &str) -> SdkConfig {
        let credentials = Credentials::new(
            keys.access_key_id.clone(),
            keys.secret_access_key.clone(),
            keys.session_token.clone(),
            None,
            "emulator",
        );
        aws_config::defaults(cross_account_s3_writer::behavior_version())
            .region(Region::new(self.state.region.clone()))
            .endpoint_url(endpoint)
            .credentials_provider(credentials)
            // A client per configuration: a connection pool is tied to the
            // runtime that opened it, and each test has its own runtime.
            .http_client(http_client(self.state.ca_bundle.as_deref()))
            .load()
            .await
    }

    /// A handler configured like the deployed function (`overrides` change or,
    /// with "", unset variables), running as `identity` (by default the
    /// execution role), sending its requests to `endpoint` (by default the emulator).
    pub async fn handler(
        &self,
        overrides: &[(&str, &str)],
        identity: Option<&Keys>,
        endpoint: Option<&str>,
    ) -> Handler {
        self.handler_with_clients(overrides, identity, endpoint)
            .await
            .0
    }

    /// [`Self::handler`], and a clone of the clients it was built with (they
    /// share its identity cache and its count of AssumeRole calls).
    pub async fn handler_with_clients(
        &self,
        overrides: &[(&str, &str)],
        identity: Option<&Keys>,
        endpoint: Option<&str>,
    ) -> (Handler, Clients) {
        let mut env: HashMap<String, String> = self.function_env().into_iter().collect();
        for (k, v) in overrides {
            env.insert(k.to_string(), v.to_string());
        }
        let config =
            Config::from_lookup(|name| env.get(name).cloned()).expect("valid test configuration");
        let keys = identity.unwrap_or(&self.state.execution_credentials);
        let base = self
            .sdk_config_via(keys, endpoint.unwrap_or(&self.state.endpoint))
            .await;
        let clients = Clients::build(&config, &base).await;
        (Handler::new(config, clients.clone()), clients)
    }

    /// An S3 client of the bucket account's root: to inspect what was written.
    pub async fn bucket_root_s3(&self) -> aws_sdk_s3::Client {
        self.s3_of(&self.state.bucket_root).await
    }

    pub async fn s3_of(&self, keys: &Keys) -> aws_sdk_s3::Client {
        let base = self.sdk_config(keys).await;
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&base)
                .force_path_style(true)
                .build(),
        )
    }

    /// The function's environment as the deployment sets it (Terraform and the demo).
    pub fn function_env(&self) -> Vec<(String, String)> {
        let s = &self.state;
        vec![
            ("TARGET_ROLE_ARN".into(), s.target_role_arn.clone()),
            ("TARGET_BUCKET".into(), s.bucket.clone()),
            ("TARGET_EXTERNAL_ID".into(), s.external_id.clone()),
            ("TARGET_BUCKET_OWNER".into(), s.bucket_account_id.clone()),
            ("TARGET_REGION".into(), s.region.clone()),
            ("KEY_PREFIX".into(), s.key_prefix.clone()),
            ("S3_FORCE_PATH_STYLE".into(), "true".into()),
            ("ROLE_SESSION_NAME".into(), "integration-test".into()),
        ]
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = Command::new(python())
            .arg(repo().join("scripts/emulator.py"))
            .args(["down", "--state"])
            .arg(&self.state_dir)
            .output();
        let _ = std::fs::remove_dir_all(&self.state_dir);
    }
}

/// The emulator serves HTTPS with a per-run self-signed certificate (so the
/// bucket policy's `aws:SecureTransport` deny is exercised): trust exactly it.
fn http_client(ca_bundle: Option<&Path>) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    let mut trust = TrustStore::empty().with_native_roots(false);
    if let Some(path) = ca_bundle {
        trust = trust.with_pem_certificate(std::fs::read(path).expect("the emulator's CA bundle"));
    }
    let tls_context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("TLS context");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .tls_context(tls_context)
        .build_https()
}

/// A number no earlier call in this process returned (nanoseconds since the epoch).
pub fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------
// For tests that reach the emulator through something in between (tests/faults.rs).
// ---------------------------------------------------------------------------

impl Emulator {
    /// This emulator's `emulator.json`, for helper processes that read it.
    pub fn state_file(&self) -> PathBuf {
        self.state_dir.join("emulator.json")
    }
}

/// The function's ARN in the emulated lambda account (source buckets must belong to it).
pub const FUNCTION_ARN: &str =
    "arn:aws:lambda:us-east-1:111111111111:function:cross-account-s3-writer";

/// An invocation whose payload is exactly `text`, as the Runtime API delivers it,
/// with a minute before its deadline.
pub fn lambda_event(text: &str, request_id: &str) -> LambdaEvent<Box<RawValue>> {
    let payload: Box<RawValue> = serde_json::from_str(text).expect("JSON payload");
    let mut context = Context::default();
    context.request_id = request_id.to_owned();
    context.invoked_function_arn = FUNCTION_ARN.to_owned();
    let deadline = SystemTime::now() + Duration::from_secs(60);
    context.deadline = deadline
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    LambdaEvent::new(payload, context)
}
