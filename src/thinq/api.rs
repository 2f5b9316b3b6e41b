//! The ThinQ Connect REST client.
//!
//! One method per endpoint of `reference/thinq-api.md` §2, each sending the six headers of
//! §1.2 with a fresh message id, and unwrapping LG's envelope (§1.3) into either the
//! `response` member or a typed [`ApiError`]. Nothing here retries: the caller knows whether a
//! call is safe to repeat (a control POST that timed out may already have run).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use reqwest::{Method, Url};
use serde::Deserialize;
use serde_json::{Value, json};

use super::DeviceSummary;
use super::error::{ApiError, ErrorCode};
use super::region;
use crate::secret::Secret;

/// The `x-api-key` the official Python SDK ships (the one proven in the field by HA).
pub const API_KEY: &str = "v6GFvkweNo7DK7yD3ylIZ9w52aKBU0eJ7wLXkSR3";

/// Environment variable that replaces the regional base URL (tests and the simulator).
pub const API_URL_ENV: &str = "THINQ_API_URL";

/// The SDKs' per-request timeout.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// `service-code` of every MQTT client the SDKs register.
const SERVICE_CODE: &str = "SVC202";

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

/// The answer of `GET /route`: where the MQTT broker is.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Route {
    pub api_server: String,
    /// `mqtts://<host>:8883`.
    pub mqtt_server: String,
    pub web_socket_server: String,
}

impl Route {
    /// `mqtts://host:port` → `(host, port)`, with 8883 when no port is given. `None` when
    /// there is no host or the port is not a number.
    pub fn mqtt_host_port(&self) -> Option<(String, u16)> {
        let server = self.mqtt_server.trim();
        let without_scheme = server.split_once("://").map_or(server, |(_, rest)| rest);
        let authority = without_scheme
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default();
        let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
            // IPv6 literal: [::1]:8883
            let (host, after) = rest.split_once(']')?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return None;
        }
        let port = match port {
            None => 8883,
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0)?,
        };
        Some((host.to_owned(), port))
    }
}

/// What `POST /client/certificate` hands back.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedCertificate {
    pub certificate_pem: String,
    /// The topics to subscribe to; the SDK uses only the first.
    pub subscriptions: Vec<String>,
    pub publications: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CertificateResult {
    certificate_pem: String,
    #[serde(default)]
    subscriptions: Vec<String>,
    #[serde(default)]
    publications: Vec<String>,
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

    /// `GET /route`: the MQTT broker's address.
    pub async fn route(&self) -> Result<Route, ApiError> {
        let response = self.call(Method::GET, &["route"], None, false).await?;
        decode(response, "route")
    }

    /// `POST /client`: registers our client id as an MQTT client (`allowExist`, so repeating
    /// it is harmless).
    pub async fn register_client(&self) -> Result<(), ApiError> {
        self.call(Method::POST, &["client"], Some(&client_body()), false)
            .await?;
        Ok(())
    }

    /// `DELETE /client` with the registration body, as the SDK does when HA unloads.
    pub async fn unregister_client(&self) -> Result<(), ApiError> {
        self.call(Method::DELETE, &["client"], Some(&client_body()), false)
            .await?;
        Ok(())
    }

    /// `POST /client/certificate`: LG signs our CSR (base64 DER, no PEM armour).
    pub async fn issue_certificate(&self, csr_base64: &str) -> Result<IssuedCertificate, ApiError> {
        let body = json!({"service-code": SERVICE_CODE, "csr": csr_base64});
        let response = self
            .call(Method::POST, &["client", "certificate"], Some(&body), false)
            .await?;
        let result: CertificateResult = decode(unwrap_result(response)?, "client/certificate")?;
        if result.certificate_pem.trim().is_empty() {
            return Err(ApiError::InvalidResponse {
                status: 200,
                detail: "client/certificate: empty certificatePem".into(),
            });
        }
        Ok(IssuedCertificate {
            certificate_pem: result.certificate_pem,
            subscriptions: result.subscriptions,
            publications: result.publications,
        })
    }

    /// `GET /devices`. An entry that does not have the documented shape is skipped with a
    /// warning rather than hiding every other appliance.
    pub async fn devices(&self) -> Result<Vec<DeviceSummary>, ApiError> {
        let response = self.call(Method::GET, &["devices"], None, false).await?;
        let entries = match response {
            Value::Array(entries) => entries,
            Value::Null => Vec::new(),
            other => {
                return Err(ApiError::InvalidResponse {
                    status: 200,
                    detail: format!(
                        "devices: expected an array, got {}",
                        crate::json_kind(&other)
                    ),
                });
            }
        };
        Ok(entries
            .into_iter()
            .filter_map(
                |entry| match serde_json::from_value::<DeviceSummary>(entry) {
                    Ok(device) => Some(device),
                    Err(e) => {
                        tracing::warn!(
                            "skipping a device list entry LG sent in an unknown shape: {e}"
                        );
                        None
                    }
                },
            )
            .collect())
    }

    /// `GET /devices/{id}/profile`.
    pub async fn profile(&self, device_id: &str) -> Result<Value, ApiError> {
        self.call(Method::GET, &["devices", device_id, "profile"], None, false)
            .await
    }

    /// `GET /devices/{id}/state` (an object, or an array for per-location devices).
    pub async fn state(&self, device_id: &str) -> Result<Value, ApiError> {
        self.call(Method::GET, &["devices", device_id, "state"], None, false)
            .await
    }

    /// `POST /devices/{id}/control` with `x-conditional-control: true`. Any 2xx counts as
    /// accepted; the real change arrives later as a `DEVICE_STATUS` push.
    pub async fn control(&self, device_id: &str, body: &Value) -> Result<(), ApiError> {
        self.call(
            Method::POST,
            &["devices", device_id, "control"],
            Some(body),
            true,
        )
        .await?;
        Ok(())
    }

    /// `POST /push/{id}/subscribe` (DEVICE_PUSH notifications). 1207 (already) is success.
    pub async fn push_subscribe(&self, device_id: &str) -> Result<(), ApiError> {
        let result = self
            .call(Method::POST, &["push", device_id, "subscribe"], None, false)
            .await;
        ignore_codes(result, &[ErrorCode::AlreadySubscribedPush])
    }

    /// `DELETE /push/{id}/unsubscribe`. 1206 (not subscribed) is success: the wanted state.
    pub async fn push_unsubscribe(&self, device_id: &str) -> Result<(), ApiError> {
        let result = self
            .call(
                Method::DELETE,
                &["push", device_id, "unsubscribe"],
                None,
                false,
            )
            .await;
        ignore_codes(result, &[ErrorCode::NotSubscribedPush])
    }

    /// `POST /event/{id}/subscribe` (DEVICE_STATUS reports) for `hours`. 1207 is success.
    pub async fn event_subscribe(&self, device_id: &str, hours: u32) -> Result<(), ApiError> {
        let body = json!({"expire": {"unit": "HOUR", "timer": hours}});
        let result = self
            .call(
                Method::POST,
                &["event", device_id, "subscribe"],
                Some(&body),
                false,
            )
            .await;
        ignore_codes(result, &[ErrorCode::AlreadySubscribedPush])
    }

    /// `DELETE /event/{id}/unsubscribe`. 1204 (not subscribed) is success.
    pub async fn event_unsubscribe(&self, device_id: &str) -> Result<(), ApiError> {
        let result = self
            .call(
                Method::DELETE,
                &["event", device_id, "unsubscribe"],
                None,
                false,
            )
            .await;
        ignore_codes(result, &[ErrorCode::NotSubscribedEvent])
    }

    /// `POST /push/devices`: be told when appliances are added, removed or renamed. 1207 is
    /// success.
    pub async fn push_devices_subscribe(&self) -> Result<(), ApiError> {
        let result = self
            .call(Method::POST, &["push", "devices"], None, false)
            .await;
        ignore_codes(result, &[ErrorCode::AlreadySubscribedPush])
    }

    /// `DELETE /push/devices`. 1206 is success.
    pub async fn push_devices_unsubscribe(&self) -> Result<(), ApiError> {
        let result = self
            .call(Method::DELETE, &["push", "devices"], None, false)
            .await;
        ignore_codes(result, &[ErrorCode::NotSubscribedPush])
    }

    /// The URL for path segments below the base (each segment percent-encoded, so an odd
    /// device id cannot change the path).
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Sends one request with LG's headers and unwraps the envelope.
    async fn call(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&Value>,
        conditional_control: bool,
    ) -> Result<Value, ApiError> {
        self.send(method, self.url(segments), body, conditional_control)
            .await
    }

    /// A `GET` with query parameters (the energy usage endpoint takes its dates that way).
    pub(crate) async fn get_with_query(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<Value, ApiError> {
        let mut url = self.url(segments);
        url.query_pairs_mut().extend_pairs(query);
        self.send(Method::GET, url, None, false).await
    }

    /// Sends one request to `url` with LG's headers and unwraps the envelope.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        conditional_control: bool,
    ) -> Result<Value, ApiError> {
        let message_id = new_message_id();
        tracing::debug!(%method, path = url.path(), %message_id, "ThinQ API request");
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .bearer_auth(self.config.pat.expose())
            .header("x-country", &self.config.country)
            .header("x-message-id", &message_id)
            .header("x-client-id", &self.config.client_id)
            .header("x-api-key", API_KEY)
            .header("x-service-phase", "OP");
        if conditional_control {
            request = request.header("x-conditional-control", "true");
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(ApiError::InvalidResponse {
                    status,
                    detail: format!("the answer exceeds {MAX_BODY_BYTES} bytes"),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        let result = parse_envelope(status, &bytes);
        if let Err(e) = &result {
            tracing::debug!(%method, path = url.path(), status, "ThinQ API error: {e}");
        }
        result
    }

    /// `GET /event`: the ids of the devices this client has a live event subscription for.
    /// LG switches a subscription off when its 1–24 h lifetime ends (thinq-api.md §9), so
    /// this list, not what we once subscribed, is the truth to reconcile against.
    pub async fn event_list(&self) -> Result<Vec<String>, ApiError> {
        let response = self.call(Method::GET, &["event"], None, false).await?;
        device_id_list(response, "event")
    }

    /// `GET /push`: the ids of the devices this client gets `DEVICE_PUSH` messages for.
    pub async fn push_list(&self) -> Result<Vec<String>, ApiError> {
        let response = self.call(Method::GET, &["push"], None, false).await?;
        device_id_list(response, "push")
    }
}

/// `[{"deviceId": "…"}, …]` → the ids. An entry without a string `deviceId` is skipped (one
/// odd entry must not hide the rest); anything but an array (or nothing) is an error.
fn device_id_list(response: Value, what: &str) -> Result<Vec<String>, ApiError> {
    match response {
        Value::Null => Ok(Vec::new()),
        Value::Array(entries) => Ok(entries
            .iter()
            .filter_map(|entry| entry.get("deviceId").and_then(Value::as_str))
            .map(str::to_owned)
            .collect()),
        other => Err(ApiError::InvalidResponse {
            status: 200,
            detail: format!(
                "{what}: expected an array, got {}",
                crate::json_kind(&other)
            ),
        }),
    }
}

/// The body of `POST /client` and `DELETE /client`, as both SDKs send it.
fn client_body() -> Value {
    json!({"type": "MQTT", "service-code": SERVICE_CODE, "device-type": "607", "allowExist": true})
}

fn transport_error(e: reqwest::Error) -> ApiError {
    if e.is_timeout() {
        return ApiError::Timeout;
    }
    // The URL carries no secret (the PAT is a header), so the full chain is safe to show.
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    ApiError::Transport(text)
}

pub use super::envelope::{parse_envelope, unwrap_result};

fn ignore_codes(result: Result<Value, ApiError>, harmless: &[ErrorCode]) -> Result<(), ApiError> {
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.code().is_some_and(|c| harmless.contains(c)) => Ok(()),
        Err(e) => Err(e),
    }
}

fn decode<T: serde::de::DeserializeOwned>(value: Value, what: &str) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::InvalidResponse {
        status: 200,
        detail: format!("{what}: {e}"),
    })
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

        #[test]
        fn envelope_parsing_never_panics(status in 100u16..600, body in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_envelope(status, &body);
        }
    }

    #[test]
    fn message_ids_differ() {
        assert_ne!(new_message_id(), new_message_id());
    }

    #[test]
    fn mqtt_host_port_from_route() {
        let route = |s: &str| Route {
            mqtt_server: s.into(),
            ..Route::default()
        };
        assert_eq!(
            route("mqtts://abc-ats.iot.ap-northeast-2.amazonaws.com:8883").mqtt_host_port(),
            Some(("abc-ats.iot.ap-northeast-2.amazonaws.com".into(), 8883))
        );
        assert_eq!(
            route("mqtts://host.example").mqtt_host_port(),
            Some(("host.example".into(), 8883))
        );
        assert_eq!(
            route("mqtts://127.0.0.1:443/").mqtt_host_port(),
            Some(("127.0.0.1".into(), 443))
        );
        assert_eq!(
            route("host.example:1234").mqtt_host_port(),
            Some(("host.example".into(), 1234))
        );
        assert_eq!(
            route("mqtts://[::1]:8884").mqtt_host_port(),
            Some(("::1".into(), 8884))
        );
        assert_eq!(route("").mqtt_host_port(), None);
        assert_eq!(route("mqtts://").mqtt_host_port(), None);
        assert_eq!(route("mqtts://host:port").mqtt_host_port(), None);
        assert_eq!(route("mqtts://host:0").mqtt_host_port(), None);
    }

    #[test]
    fn route_decodes_lg_field_names() {
        let route: Route = decode(
            json!({"apiServer": "https://api-eic.lgthinq.com", "mqttServer": "mqtts://h:8883", "webSocketServer": "wss://w"}),
            "route",
        )
        .unwrap();
        assert_eq!(route.mqtt_server, "mqtts://h:8883");
        assert_eq!(route.web_socket_server, "wss://w");
    }

    #[test]
    fn unsupported_country_is_refused() {
        let err = ApiConfig::for_country(Secret::new("pat"), "ZZ", "id").unwrap_err();
        assert!(matches!(err, ApiError::UnsupportedCountry(_)), "{err:?}");
    }

    #[test]
    fn segments_are_percent_encoded_below_the_base_path() {
        crate::install_crypto_provider();
        let cfg = ApiConfig {
            base_url: "http://127.0.0.1:9/prefix/".into(),
            pat: Secret::new("p"),
            country: "DE".into(),
            client_id: "c".into(),
        };
        let api = ThinqApi::new(cfg).unwrap();
        assert_eq!(
            api.url(&["devices", "a/b?c", "state"]).as_str(),
            "http://127.0.0.1:9/prefix/devices/a%2Fb%3Fc/state"
        );
    }
}
