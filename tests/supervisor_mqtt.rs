//! The Supervisor's MQTT service lookup against a small local HTTP server that answers the way
//! the real Supervisor does (`supervisor/api/services.py`): the `{"result": …}` envelope, 400
//! "Service not enabled" before a broker add-on provides the service, 403 without `mqtt` in
//! `services`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use thinq_addon::hass::broker_address::BrokerAddress;
use thinq_addon::options::{Options, OptionsError};
use thinq_addon::secret::Secret;
use thinq_addon::supervisor::{RetryPolicy, Supervisor, resolve_mqtt, resolve_mqtt_with_policy};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "supervisor-token-for-tests";

/// What the fake Supervisor saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    authorization: Option<String>,
}

/// A fake Supervisor: answers with the scripted (status, body) list in order, repeating the
/// last one, and records every request.
struct FakeSupervisor {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeSupervisor {
    async fn start(script: Vec<(u16, Value)>) -> FakeSupervisor {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let seen_by_server = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = Arc::clone(&seen_by_server);
                let script = Arc::clone(&script);
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                        let seen = Arc::clone(&seen);
                        let script = Arc::clone(&script);
                        async move {
                            seen.lock().unwrap().push(Seen {
                                path: request.uri().path().to_owned(),
                                authorization: request
                                    .headers()
                                    .get("authorization")
                                    .and_then(|value| value.to_str().ok())
                                    .map(str::to_owned),
                            });
                            let (status, body) = {
                                let mut script = script.lock().unwrap();
                                if script.len() > 1 {
                                    script.pop_front().unwrap()
                                } else {
                                    script.front().cloned().unwrap()
                                }
                            };
                            let response = Response::builder()
                                .status(status)
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from(body.to_string())))
                                .unwrap();
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FakeSupervisor { url, seen }
    }

    fn supervisor(&self) -> Supervisor {
        Supervisor {
            url: self.url.clone(),
            token: Some(Secret::new(TOKEN)),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Asserts the lookup asked `times` times, each with the token.
    fn assert_asked(&self, times: usize, why: &str) {
        let seen = self.seen();
        assert_eq!(seen.len(), times, "{why}");
        assert_every_request_authorized(&seen);
    }

    /// The bridge's lookup against this Supervisor, with [`quick_policy`].
    async fn look_up(&self) -> Result<BrokerAddress, OptionsError> {
        resolve_mqtt_with_policy(
            &options(),
            &self.supervisor(),
            &CancellationToken::new(),
            &quick_policy(),
        )
        .await
    }
}

fn options() -> Options {
    Options::from_json(r#"{"pat": "thinqpat_test", "country": "DE", "mqtt_host": ""}"#).unwrap()
}

/// Tiny waits: the tests check what is asked and answered, not how long it takes.
fn quick_policy() -> RetryPolicy {
    RetryPolicy {
        first_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        give_up_after: Duration::from_millis(100),
        request_timeout: Duration::from_secs(10),
    }
}

fn ok(data: Value) -> (u16, Value) {
    (200, json!({"result": "ok", "data": data}))
}

/// The Supervisor's error envelope with `status`.
fn refusal(status: u16, message: &str) -> (u16, Value) {
    (status, json!({"result": "error", "message": message}))
}

/// Before a broker add-on provides the MQTT service.
fn not_enabled() -> (u16, Value) {
    refusal(400, "Service not enabled")
}

fn assert_every_request_authorized(seen: &[Seen]) {
    assert!(!seen.is_empty());
    for request in seen {
        assert_eq!(request.path, "/services/mqtt");
        assert_eq!(
            request.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
}

#[tokio::test]
async fn numeric_port_and_v1_addon_slug() {
    let fake = FakeSupervisor::start(vec![ok(json!({
        "addon": "core_mosquitto", "host": "core-mosquitto", "port": 1883, "ssl": false,
        "protocol": "3.1.1", "username": "addons", "password": "s3cret"
    }))])
    .await;
    let settings = resolve_mqtt(&options(), &fake.supervisor(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(
        settings,
        BrokerAddress {
            host: "core-mosquitto".into(),
            port: 1883,
            username: Some("addons".into()),
            password: Some(Secret::new("s3cret")),
            tls: false,
        }
    );
    fake.assert_asked(1, "one answer");
}

#[tokio::test]
async fn string_port_and_v2_app_slug() {
    let fake = FakeSupervisor::start(vec![ok(json!({
        "app": "core_mosquitto", "host": "core-mosquitto", "port": "8883", "ssl": true,
        "protocol": "3.1.1", "username": "addons", "password": "pw", "future_key": {"x": 1}
    }))])
    .await;
    let settings = resolve_mqtt(&options(), &fake.supervisor(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(settings.host, "core-mosquitto");
    assert_eq!(settings.port, 8883);
    assert!(settings.tls);
    assert_eq!(settings.password.as_ref().map(Secret::expose), Some("pw"));
    assert_every_request_authorized(&fake.seen());
}

#[tokio::test]
async fn service_not_enabled_is_retried_until_the_broker_appears() {
    let fake = FakeSupervisor::start(vec![
        not_enabled(),
        not_enabled(),
        refusal(502, "Bad gateway"),
        ok(json!({"addon": "core_mosquitto", "host": "core-mosquitto", "port": 1883})),
    ])
    .await;
    let settings = fake.look_up().await.unwrap();
    assert_eq!(settings.host, "core-mosquitto");
    assert_eq!(settings.username, None);
    fake.assert_asked(4, "three refusals then the answer");
}

/// A lookup the Supervisor refuses with `status`: it fails after one request, no retry,
/// with an error `expected` accepts.
async fn fails_at_once(
    status: u16,
    message: &str,
    expected: fn(&OptionsError) -> bool,
) -> OptionsError {
    let fake = FakeSupervisor::start(vec![refusal(status, message)]).await;
    let error = fake.look_up().await.unwrap_err();
    assert!(expected(&error), "{error}");
    fake.assert_asked(1, &format!("no retry after {status}"));
    error
}

#[tokio::test]
async fn forbidden_fails_at_once_with_the_fix() {
    let error = fails_at_once(403, "No access to mqtt service!", |e| {
        matches!(e, OptionsError::MqttServiceForbidden)
    })
    .await;
    assert!(error.to_string().contains("mqtt:need"));
    assert!(!error.to_string().contains(TOKEN));
}

#[tokio::test]
async fn unauthorized_fails_at_once() {
    fails_at_once(401, "Unauthorized", |e| {
        matches!(e, OptionsError::SupervisorUnauthorized)
    })
    .await;
}

#[tokio::test]
async fn gives_up_with_the_last_answer_when_no_broker_ever_appears() {
    let fake = FakeSupervisor::start(vec![not_enabled()]).await;
    let error = fake.look_up().await.unwrap_err();
    match &error {
        OptionsError::MqttServiceUnavailable { last, .. } => {
            assert!(last.contains("Service not enabled"), "{last}")
        }
        other => panic!("unexpected error: {other}"),
    }
    // Waits 5 + 10 + 20 + 20 + 20 + 20 = 95 ms fit in 100 ms, a seventh would not: 7 requests.
    assert_eq!(fake.seen().len(), 7);
}

#[tokio::test]
async fn unreachable_supervisor_is_retried_then_reported() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let supervisor = Supervisor {
        url,
        token: Some(Secret::new(TOKEN)),
    };
    let error = resolve_mqtt_with_policy(
        &options(),
        &supervisor,
        &CancellationToken::new(),
        &quick_policy(),
    )
    .await
    .unwrap_err();
    match &error {
        OptionsError::MqttServiceUnavailable { last, .. } => {
            assert!(last.contains("unreachable"), "{last}")
        }
        other => panic!("unexpected error: {other}"),
    }
}

#[tokio::test]
async fn shutdown_stops_the_wait() {
    let fake = FakeSupervisor::start(vec![not_enabled()]).await;
    let shutdown = CancellationToken::new();
    let patient = RetryPolicy {
        first_delay: Duration::from_secs(3600),
        max_delay: Duration::from_secs(3600),
        give_up_after: Duration::from_secs(86_400),
        request_timeout: Duration::from_secs(10),
    };
    let supervisor = fake.supervisor();
    let options = options();
    let lookup = resolve_mqtt_with_policy(&options, &supervisor, &shutdown, &patient);
    let cancel = async {
        // Cancel once the first refusal has been served, i.e. while the lookup waits.
        while fake.seen().is_empty() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        shutdown.cancel();
    };
    let (result, ()) = tokio::join!(lookup, cancel);
    assert!(matches!(result, Err(OptionsError::Cancelled)), "{result:?}");
}
