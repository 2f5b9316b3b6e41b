//! The simulator's HTTP/1 front end: it checks the headers LG requires, applies injected
//! faults, routes each call to the account ([`super::cloud`]) and answers in LG's envelope.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::Shared;
use super::cloud::RecordedRequest;
use super::envelope::{self, ApiError, code};

/// The API key built into LG's Python SDK, which the add-on sends too.
pub const API_KEY: &str = "v6GFvkweNo7DK7yD3ylIZ9w52aKBU0eJ7wLXkSR3";
/// Largest request body accepted; a CSR is about 1.5 KB.
const MAX_BODY: usize = 256 * 1024;

/// Accepts connections until `cancel` fires; one task per connection.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, cancel: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(err) => {
                tracing::warn!(%err, "simulator accept failed");
                continue;
            }
        };
        let shared = shared.clone();
        let cancel = cancel.clone();
        shared.tracker.clone().spawn(async move {
            let service = service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(shared, request).await) }
            });
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = cancel.cancelled() => {}
                result = connection => {
                    if let Err(err) = result {
                        tracing::debug!(%err, "simulator connection ended");
                    }
                }
            }
        });
    }
}

/// One call: read it, answer it, record it.
async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let client_id = header(&parts.headers, "x-client-id").map(str::to_owned);
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(_) => Err(ApiError::with_message(
            code::BAD_REQUEST,
            "body too large or broken",
        )),
    };
    let result = match body {
        Ok(body) => {
            let query = parts.uri.query();
            answer(&shared, &parts.method, &path, query, &parts.headers, &body).await
        }
        Err(err) => Err(Refusal::Api(err)),
    };
    let (status, envelope, error_code) = match result {
        Ok(response) => (200, Some(envelope::success(response)), None),
        Err(Refusal::Api(err)) => (err.status, Some(envelope::failure(&err)), Some(err.code)),
        Err(Refusal::EmptyBody(status)) => (status, None, None),
    };
    // An error without a code is an answer without a body (the oven's energy 406).
    let bodiless = error_code.as_deref() == Some("");
    shared.with_cloud(|cloud| {
        cloud.requests.push(RecordedRequest {
            method: parts.method.to_string(),
            path,
            status,
            code: error_code,
            client_id,
        })
    });
    let body = if bodiless {
        Vec::new()
    } else {
        envelope
            .and_then(|envelope| serde_json::to_vec(&envelope).ok())
            .unwrap_or_default()
    };
    let has_body = !body.is_empty();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    if has_body {
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    response
}

/// Why a call gets no success answer.
enum Refusal {
    /// LG's error envelope.
    Api(ApiError),
    /// A bare status with no body at all, as LG's gateway rejects an invalid PAT (§9).
    EmptyBody(u16),
}

impl From<ApiError> for Refusal {
    fn from(err: ApiError) -> Self {
        Refusal::Api(err)
    }
}

/// Header checks, faults, then the route.
async fn answer(
    shared: &Arc<Shared>,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, Refusal> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let is_control =
        method == Method::POST && matches!(segments.as_slice(), ["devices", _, "control"]);
    let client_id = shared.with_cloud(|cloud| {
        // LG's gateway turns a dead PAT away before it looks at anything else.
        if cloud.faults.token_rejected_empty_body() {
            cloud.token_rejections += 1;
            return Err(Refusal::EmptyBody(401));
        }
        let checked = check_headers(headers, |pat| cloud.accepts_pat(pat), is_control);
        if let Err(err) = &checked
            && err.code == code::INVALID_TOKEN
            && cloud.faults.token_revoked()
        {
            cloud.token_rejections += 1;
        }
        let client_id = checked?;
        if let Some(failure) = cloud.faults.take_call_failure() {
            return Err(failure.into());
        }
        let clock = cloud.events.clock();
        cloud.quota.admit(clock)?;
        Ok(client_id)
    })?;
    let (delay, latency) =
        shared.with_cloud(|cloud| (cloud.faults.take_delay(path), cloud.latency));
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    Ok(route(shared, method, &segments, query, &client_id, body).await?)
}

/// Checks LG's headers in a fixed order and returns the caller's client id.
fn check_headers(
    headers: &HeaderMap,
    accepts_pat: impl Fn(&str) -> bool,
    is_control: bool,
) -> Result<String, ApiError> {
    let incorrect = |name: &str| {
        ApiError::with_message(
            code::INCORRECT_HEADER,
            format!("{name} is missing or incorrect"),
        )
    };
    if header(headers, "x-api-key") != Some(API_KEY) {
        return Err(incorrect("x-api-key"));
    }
    let pat = header(headers, "authorization")
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    if !pat.is_some_and(|pat| !pat.is_empty() && accepts_pat(pat)) {
        return Err(ApiError::new(code::INVALID_TOKEN));
    }
    if !header(headers, "x-message-id").is_some_and(envelope::is_valid_message_id) {
        return Err(ApiError::new(code::INVALID_MESSAGE_ID));
    }
    let country = header(headers, "x-country").ok_or_else(|| incorrect("x-country"))?;
    // LG's country table is data, shared with the client; the checks around it are the sim's own.
    if !crate::thinq::region::is_supported_country(country) {
        return Err(ApiError::new(code::NOT_SUPPORTED_COUNTRY));
    }
    let client_id = header(headers, "x-client-id")
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| incorrect("x-client-id"))?;
    if header(headers, "x-service-phase") != Some("OP") {
        return Err(incorrect("x-service-phase"));
    }
    if is_control
        && !matches!(
            header(headers, "x-conditional-control"),
            Some("true" | "false")
        )
    {
        return Err(incorrect("x-conditional-control"));
    }
    Ok(client_id.to_owned())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A JSON request body; an absent or empty body reads as `{}` (the SDKs differ there).
fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body)
        .map_err(|_| ApiError::with_message(code::BAD_REQUEST, "the body is not JSON"))
}

async fn route(
    shared: &Arc<Shared>,
    method: &Method,
    segments: &[&str],
    query: Option<&str>,
    client: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    let not_found = || ApiError {
        status: 404,
        code: code::BAD_REQUEST.to_owned(),
        message: "no such endpoint".to_owned(),
    };
    match (method.as_str(), segments) {
        ("GET", ["route"]) => Ok(shared.route_answer()),
        ("POST", ["client"]) => {
            let body = json_body(body)?;
            shared.with_cloud(|c| c.register_client(client, &body))
        }
        ("DELETE", ["client"]) => {
            let body = json_body(body)?;
            shared.with_cloud(|c| c.unregister_client(client, &body))
        }
        ("POST", ["client", "certificate"]) => {
            let body = json_body(body)?;
            let (ca, untrusted) = (&shared.ca, &shared.untrusted_ca);
            shared.with_cloud(|c| c.issue_certificate(client, &body, ca, untrusted))
        }
        ("GET", ["devices"]) => Ok(shared.with_cloud(|c| c.device_list())),
        ("GET", ["devices", "energy", id, "profile"]) => shared.energy_profile(id),
        ("GET", ["devices", "energy", id, "usage"]) => shared.energy_usage(id, query),
        ("GET", ["devices", id, "profile"]) => shared.with_cloud(|c| c.profile(id)),
        ("GET", ["devices", id, "state"]) => shared.with_cloud(|c| c.state(id)),
        ("POST", ["devices", id, "control"]) => {
            let body = json_body(body)?;
            let report = shared.with_cloud(|c| c.accept_control(id, &body))?;
            shared.schedule_report(id, report);
            Ok(json!({}))
        }
        ("GET", ["push"]) => Ok(shared.with_cloud(|c| c.push_list(client))),
        ("GET", ["push", "devices"]) => Ok(shared.with_cloud(|c| c.device_list_subscriptions())),
        ("POST", ["push", "devices"]) => shared.with_cloud(|c| c.subscribe_device_list(client)),
        ("DELETE", ["push", "devices"]) => shared.with_cloud(|c| c.unsubscribe_device_list(client)),
        ("POST", ["push", id, "subscribe"]) => shared.with_cloud(|c| c.subscribe_push(client, id)),
        ("DELETE", ["push", id, "unsubscribe"]) => {
            shared.with_cloud(|c| c.unsubscribe_push(client, id))
        }
        ("GET", ["event"]) => Ok(shared.with_cloud(|c| c.event_list(client))),
        ("POST", ["event", id, "subscribe"]) => {
            let body = json_body(body)?;
            shared.with_cloud(|c| c.subscribe_event(client, id, &body))
        }
        ("DELETE", ["event", id, "unsubscribe"]) => {
            shared.with_cloud(|c| c.unsubscribe_event(client, id))
        }
        _ => Err(not_found()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("header"));
        }
        map
    }

    fn complete() -> Vec<(&'static str, &'static str)> {
        vec![
            ("authorization", "Bearer good"),
            ("x-message-id", "AAAAAAAAAAAAAAAAAAAAAA"),
            ("x-country", "DE"),
            ("x-client-id", "client"),
            ("x-api-key", API_KEY),
            ("x-service-phase", "OP"),
            ("x-conditional-control", "true"),
        ]
    }

    #[test]
    fn each_missing_header_has_its_code() {
        let ok = check_headers(&headers(&complete()), |p| p == "good", true);
        assert_eq!(ok, Ok("client".to_owned()));
        for (missing, expected) in [
            ("authorization", "1103"),
            ("x-message-id", "1104"),
            ("x-country", "1216"),
            ("x-client-id", "1216"),
            ("x-api-key", "1216"),
            ("x-service-phase", "1216"),
            ("x-conditional-control", "1216"),
        ] {
            let pairs: Vec<_> = complete()
                .into_iter()
                .filter(|(n, _)| *n != missing)
                .collect();
            let result = check_headers(&headers(&pairs), |p| p == "good", true);
            assert_eq!(
                result.map_err(|e| e.code),
                Err(expected.to_owned()),
                "{missing}"
            );
        }
        let pairs: Vec<_> = complete()
            .into_iter()
            .filter(|(n, _)| *n != "x-conditional-control")
            .collect();
        assert!(check_headers(&headers(&pairs), |p| p == "good", false).is_ok());
    }
}
