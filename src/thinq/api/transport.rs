//! One request to LG on the wire: the URL below the base (segments percent-encoded), the six
//! headers of `reference/thinq-api.md` §1.2 with a fresh message id, a body read up to
//! [`MAX_BODY_BYTES`], and LG's envelope unwrapped into the `response` member or a typed
//! error.
//!
//! Apart from the endpoints because it is the same for all of them, and the one place the
//! PAT is put on a request.

use reqwest::{Method, Url};
use serde_json::Value;

use super::{API_KEY, MAX_BODY_BYTES, ThinqApi, new_message_id, parse_envelope};
use crate::thinq::error::{ApiError, ErrorCode};

impl ThinqApi {
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
    pub(super) async fn call(
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

pub(super) fn ignore_codes(
    result: Result<Value, ApiError>,
    harmless: &[ErrorCode],
) -> Result<(), ApiError> {
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.code().is_some_and(|c| harmless.contains(c)) => Ok(()),
        Err(e) => Err(e),
    }
}

pub(super) fn decode<T: serde::de::DeserializeOwned>(
    value: Value,
    what: &str,
) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::InvalidResponse {
        status: 200,
        detail: format!("{what}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::thinq::api::ApiConfig;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn envelope_parsing_never_panics(status in 100u16..600, body in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_envelope(status, &body);
        }
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
