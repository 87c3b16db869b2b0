//! The HTTPS client every SDK client of this function uses, built explicitly at
//! init. It is the SDK's default client (rustls, proxy settings from the
//! environment, the SDK's connector settings and sleep) with two choices of ours:
//!
//! - rustls's crypto is `ring`, not `aws-lc` (a smaller binary, a faster start);
//! - the roots are Mozilla's, compiled in (`webpki-root-certs`), instead of the
//!   host's store, read and parsed at every start. When `SSL_CERT_FILE` or
//!   `SSL_CERT_DIR` is set (a private CA, the local emulator) the trust store is
//!   what they name, read as before (`rustls-native-certs`).
//!
//! The SDK's client builds a throwaway connector, parsing every root, each time
//! an SDK client is constructed (so that errors show at init); this function
//! constructs five. Here the connector is built once, on the first request, by
//! the SDK's own cache of connectors.

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use base64::Engine;

/// The HTTPS client for every SDK client; makes no connection.
pub fn client() -> SharedHttpClient {
    let names_a_store = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .iter()
        .any(|name| std::env::var_os(name).is_some());
    with_trust_store(if names_a_store {
        TrustStore::default()
    } else {
        compiled_in_roots()
    })
}

fn with_trust_store(trust: TrustStore) -> SharedHttpClient {
    SharedHttpClient::new(OnFirstRequest(sdk_client(trust)))
}

fn sdk_client(trust: TrustStore) -> SharedHttpClient {
    let tls_context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a trust store of valid certificates");
    Builder::new().build_with_connector_fn(move |settings, runtime_components| {
        let mut connector = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .tls_context(tls_context.clone());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = runtime_components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// The SDK's client, without its eager throwaway connector per SDK client:
/// every call but that one goes to it.
#[derive(Debug)]
struct OnFirstRequest(SharedHttpClient);

impl HttpClient for OnFirstRequest {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// Mozilla's roots, as one PEM bundle (the form `TrustStore` takes).
fn compiled_in_roots() -> TrustStore {
    let mut pem = String::new();
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        base64::engine::general_purpose::STANDARD.encode_string(cert.as_ref(), &mut pem);
        pem.push_str("\n-----END CERTIFICATE-----\n");
    }
    TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(pem)
}

#[cfg(test)]
mod tests {
    use aws_credential_types::Credentials;
    use aws_sdk_s3::config::{Region, retry::RetryConfig};
    use aws_sdk_s3::error::SdkError;

    /// The compiled-in roots parse: the connector is built from them on the
    /// first request (a certificate that does not parse panics there), and the
    /// request then fails to connect, nothing else.
    #[tokio::test]
    async fn compiled_in_roots_make_a_working_client() {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::Config::builder()
                .behavior_version(crate::behavior_version())
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::new("AKID", "secret", None, None, "test"))
                .endpoint_url("https://127.0.0.1:9")
                .retry_config(RetryConfig::disabled())
                .http_client(super::with_trust_store(super::compiled_in_roots()))
                .build(),
        );
        let error = s3.list_buckets().send().await.unwrap_err();
        assert!(matches!(error, SdkError::DispatchFailure(_)), "{error:?}");
    }
}
