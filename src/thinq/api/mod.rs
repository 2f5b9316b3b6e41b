//! The ThinQ Connect REST client.
//!
//! One method per endpoint of `reference/thinq-api.md` §2, each sending the six headers of
//! §1.2 with a fresh message id, and unwrapping LG's envelope (§1.3) into either the
//! `response` member or a typed [`ApiError`]. Nothing here retries: the caller knows whether a
//! call is safe to repeat (a control POST that timed out may already have run).
//!
//! This file is the client itself: its configuration, construction and message ids. The
//! endpoints are in `endpoints.rs`, one method each; `transport.rs` sends one request with
//! LG's headers and reads its answer; `route.rs` is the broker address `GET /route` gives.

mod endpoints;
mod route;
mod transport;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use reqwest::Url;

use super::error::ApiError;
use super::region;
use crate::secret::Secret;

pub use super::envelope::{parse_envelope, unwrap_result};
pub use endpoints::IssuedCertificate;
pub use route::Route;

/// The `x-api-key` the official Python SDK ships (the one proven in the field by HA).
pub const API_KEY: &str = "v6GFvkweNo7DK7yD3ylIZ9w52aKBU0eJ7wLXkSR3";

/// Environment variable that replaces the regional base URL (tests and the simulator).
pub const API_URL_ENV: &str = "THINQ_API_URL";

/// The SDKs' per-request timeout.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The largest answer read from LG: a big appliance's profile is tens of KiB; anything near
/// this is not an answer we can use, and reading it whole would cost a small device memory.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// What a [`ThinqApi`] needs to talk to LG for one account.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Scheme, host and optional path prefix, without a trailing slash.
    pub base_url: String,
    pub pat: Secret,
    /// ISO 3166 alpha-2, upper case (the `x-country` header).
    pub country: String,
    /// `x-client-id`, and the MQTT client id.
    pub client_id: String,
}

impl ApiConfig {
    /// The production configuration for a country, or the `THINQ_API_URL` override when set.
    ///
    /// The country is checked against LG's table even with the override, so a bad option is
    /// found in tests as it would be in production. The override may be plain `http://` (the
    /// simulator); the regional URLs are always `https://`.
    pub fn for_country(pat: Secret, country: &str, client_id: &str) -> Result<Self, ApiError> {
        let regional = region::base_url_for_country(country)
            .ok_or_else(|| ApiError::UnsupportedCountry(country.trim().to_owned()))?;
        let base_url = match std::env::var(API_URL_ENV) {
            Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
            _ => regional,
        };
        Ok(ApiConfig {
            base_url,
            pat,
            country: country.trim().to_ascii_uppercase(),
            client_id: client_id.trim().to_owned(),
        })
    }
}

/// The REST client for one account. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct ThinqApi {
    http: reqwest::Client,
    config: Arc<ApiConfig>,
    base: Url,
}

impl std::fmt::Debug for ThinqApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThinqApi")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A fresh `x-message-id`: the 16 bytes of a random UUIDv4 as URL-safe base64 without
/// padding, 22 characters (LG refuses a malformed one with 1104).
pub fn new_message_id() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
}

impl ThinqApi {
    /// Builds the client: 15 s timeout per request, rustls with ring, certificates verified.
    pub fn new(cfg: ApiConfig) -> Result<ThinqApi, ApiError> {
        if cfg.pat.is_empty() {
            return Err(ApiError::Config(
                "the personal access token (pat) is empty".into(),
            ));
        }
        if cfg.client_id.trim().is_empty() {
            return Err(ApiError::Config("the client id is empty".into()));
        }
        let base = Url::parse(&cfg.base_url)
            .map_err(|e| ApiError::Config(format!("base URL {:?}: {e}", cfg.base_url)))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(ApiError::Config(format!(
                "base URL {:?} is not http(s)",
                cfg.base_url
            )));
        }
        // LG's regional servers are HTTPS: then nothing else is spoken, and no redirect is
        // followed (a redirect would carry the PAT header to wherever it points). Plain HTTP
        // only for a development override (the simulator), which the bridge warns about.
        let https = base.scheme() == "https";
        let http = reqwest::Client::builder()
            .https_only(https)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("thinq-addon/", env!("CARGO_PKG_VERSION")))
            .tls_backend_preconfigured(
                crate::tls::public_client_config()
                    .map_err(|e| ApiError::Config(format!("TLS setup: {e}")))?,
            )
            .build()
            .map_err(|e| ApiError::Config(format!("HTTP client: {e}")))?;
        Ok(ThinqApi {
            http,
            config: Arc::new(cfg),
            base,
        })
    }

    /// The `x-client-id` (also the MQTT client id).
    pub fn client_id(&self) -> &str {
        &self.config.client_id
    }

    /// The configuration this client was built from.
    pub fn config(&self) -> &ApiConfig {
        &self.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn message_ids_are_22_urlsafe_chars(_seed in any::<u64>()) {
            let id = new_message_id();
            prop_assert_eq!(id.len(), 22);
            prop_assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{}", id);
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&id).unwrap();
            let uuid = uuid::Uuid::from_slice(&bytes).unwrap();
            prop_assert_eq!(uuid.get_version_num(), 4);
        }
    }

    #[test]
    fn message_ids_differ() {
        assert_ne!(new_message_id(), new_message_id());
    }

    #[test]
    fn unsupported_country_is_refused() {
        let err = ApiConfig::for_country(Secret::new("pat"), "ZZ", "id").unwrap_err();
        assert!(matches!(err, ApiError::UnsupportedCountry(_)), "{err:?}");
    }
}
