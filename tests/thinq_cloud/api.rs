//! The REST client against the minimal LG server.

use std::collections::HashSet;
use std::path::Path;

use serde_json::{Value, json};
use thinq_addon::secret::Secret;
use thinq_addon::thinq::api::{ApiConfig, ThinqApi};
use thinq_addon::thinq::error::{ApiError, ErrorCode};

use crate::fake_lg::{FakeLg, Reply};

const CLIENT_ID: &str = "thinq-addon-test-client";

fn fixture(path: &str) -> Value {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    serde_json::from_slice(&std::fs::read(&full).unwrap()).unwrap()
}

#[tokio::test]
async fn every_call_carries_lg_headers_and_a_fresh_message_id() {
    let lg = FakeLg::start(|req| match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/route") => Reply::ok(json!({"apiServer": "https://api-eic.lgthinq.com", "mqttServer": "mqtts://a1b2c3-ats.iot.eu-west-1.amazonaws.com:8883", "webSocketServer": "wss://x"})),
        ("GET", "/devices") => Reply::ok(json!([])),
        _ => Reply::ok(Value::Null),
    })
    .await;
    let api = lg.api(CLIENT_ID);
    assert_eq!(api.client_id(), CLIENT_ID);
    let route = api.route().await.unwrap();
    assert_eq!(
        route.mqtt_host_port(),
        Some(("a1b2c3-ats.iot.eu-west-1.amazonaws.com".into(), 8883))
    );
    assert!(api.devices().await.unwrap().is_empty());
    api.register_client().await.unwrap();

    let requests = lg.requests();
    assert_eq!(requests.len(), 3);
    let ids: HashSet<_> = requests
        .iter()
        .map(|r| r.header("x-message-id").unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3, "message ids must not repeat");
    for r in &requests {
        assert_eq!(r.header("x-client-id"), Some(CLIENT_ID));
        assert_eq!(
            r.header("x-conditional-control"),
            None,
            "{} {}",
            r.method,
            r.path
        );
    }
    let client = &requests[2];
    assert_eq!(
        (client.method.as_str(), client.path.as_str()),
        ("POST", "/client")
    );
    assert_eq!(client.header("content-type"), Some("application/json"));
    assert_eq!(
        client.json(),
        json!({"type": "MQTT", "service-code": "SVC202", "device-type": "607", "allowExist": true})
    );
}

#[tokio::test]
async fn devices_profile_and_state_come_from_the_envelope() {
    let ac_device = fixture("air_conditioner/device.json");
    let profile = fixture("air_conditioner/profile.json");
    let status = fixture("air_conditioner/status.json");
    let oven_status = fixture("oven/status.json");
    let (p, s, o) = (profile.clone(), status.clone(), oven_status.clone());
    let list = json!([ac_device, {"deviceId": "broken-entry"}, {"deviceId": "W-1", "deviceInfo": {"deviceType": "DEVICE_WASHTOWER_WASHER", "groupId": "G1"}}]);
    let lg = FakeLg::start(move |req| match req.path.as_str() {
        "/devices" => Reply::ok(list.clone()),
        "/devices/MW2-1/profile" => Reply::ok(p.clone()),
        "/devices/MW2-1/state" => Reply::ok(s.clone()),
        "/devices/OV-1/state" => Reply::ok(o.clone()),
        _ => Reply::error(404, "1205", "Not exist device"),
    })
    .await;
    let api = lg.api(CLIENT_ID);

    let devices = api.devices().await.unwrap();
    assert_eq!(
        devices.len(),
        2,
        "the malformed entry is skipped, the others kept"
    );
    assert_eq!(devices[0].device_info.device_type, "DEVICE_AIR_CONDITIONER");
    assert_eq!(devices[0].device_info.alias, "Test air conditioner");
    assert_eq!(devices[1].device_info.group_id.as_deref(), Some("G1"));
    assert_eq!(api.profile("MW2-1").await.unwrap(), profile);
    assert_eq!(api.state("MW2-1").await.unwrap(), status);
    assert!(api.state("OV-1").await.unwrap().is_array());
    let missing = api.state("nope").await.unwrap_err();
    assert_eq!(missing.code(), Some(&ErrorCode::NotExistDevice));
}

#[tokio::test]
async fn control_sends_the_body_with_conditional_control() {
    let lg = FakeLg::start(|_| Reply::ok(json!({}))).await;
    let api = lg.api(CLIENT_ID);
    let body = json!({"operation": {"airConOperationMode": "POWER_ON"}});
    api.control("MW2-1", &body).await.unwrap();
    let requests = lg.requests();
    let req = &requests[0];
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/devices/MW2-1/control")
    );
    assert_eq!(req.header("x-conditional-control"), Some("true"));
    assert_eq!(req.json(), body);
}

#[tokio::test]
async fn subscriptions_use_lg_paths_and_treat_already_done_as_success() {
    let lg = FakeLg::start(|req| match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/push/D1/subscribe") => Reply::error(400, "1207", "Already subscribed push"),
        ("POST", "/push/OFF/subscribe") => Reply::error(400, "1222", "Not connected device"),
        ("DELETE", "/push/D1/unsubscribe") => Reply::error(400, "1206", "Not subscribed push"),
        ("DELETE", "/event/D1/unsubscribe") => Reply::error(400, "1204", "Not subscribed event"),
        _ => Reply::ok(Value::Null),
    })
    .await;
    let api = lg.api(CLIENT_ID);
    api.push_subscribe("D1").await.unwrap();
    api.push_unsubscribe("D1").await.unwrap();
    api.event_subscribe("D1", 24).await.unwrap();
    api.event_unsubscribe("D1").await.unwrap();
    api.push_devices_subscribe().await.unwrap();
    let offline = api.push_subscribe("OFF").await.unwrap_err();
    assert!(offline.is_device_offline(), "{offline:?}");

    let seen: Vec<_> = lg
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        seen,
        [
            "POST /push/D1/subscribe",
            "DELETE /push/D1/unsubscribe",
            "POST /event/D1/subscribe",
            "DELETE /event/D1/unsubscribe",
            "POST /push/devices",
            "POST /push/OFF/subscribe"
        ]
    );
    let event = &lg.requests()[2];
    assert_eq!(
        event.json(),
        json!({"expire": {"unit": "HOUR", "timer": 24}})
    );
    // The SDK sends no body on the body-less calls.
    assert!(lg.requests()[0].body.is_empty());
}

#[tokio::test]
async fn certificate_answer_is_unwrapped_from_result() {
    let lg = FakeLg::start(|req| {
        assert_eq!(req.json(), json!({"service-code": "SVC202", "csr": "Q1NS"}));
        Reply::ok(json!({"resultCode": "0000", "result": {
            "certificatePem": "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
            "subscriptions": ["app/clients/c/push"],
            "publications": ["app/clients/c/pub"]
        }}))
    })
    .await;
    let issued = lg.api(CLIENT_ID).issue_certificate("Q1NS").await.unwrap();
    assert_eq!(issued.subscriptions, ["app/clients/c/push"]);
    assert_eq!(issued.publications, ["app/clients/c/pub"]);
    assert!(
        issued
            .certificate_pem
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
}

#[tokio::test]
async fn rate_limit_auth_and_garbage_answers_are_told_apart() {
    let lg = FakeLg::start(|req| match req.path.as_str() {
        "/devices/limited/state" => Reply::error(401, "1314", "Exceeded User API calls"),
        "/devices/badpat/state" => Reply::error(401, "1103", "Invalid token"),
        "/devices/proxy/state" => Reply::raw(502, "<html>Bad Gateway</html>"),
        "/devices/empty/state" => Reply::raw(401, ""),
        _ => Reply::raw(200, "not json"),
    })
    .await;
    let api = lg.api(CLIENT_ID);

    let limited = api.state("limited").await.unwrap_err();
    assert!(
        limited.is_rate_limited() && !limited.is_auth_failure(),
        "{limited:?}"
    );
    assert!(matches!(&limited, ApiError::Api { status: 401, .. }));

    let bad_pat = api.state("badpat").await.unwrap_err();
    assert!(
        bad_pat.is_auth_failure() && !bad_pat.is_rate_limited(),
        "{bad_pat:?}"
    );

    let proxy = api.state("proxy").await.unwrap_err();
    assert!(
        matches!(&proxy, ApiError::InvalidResponse { status: 502, detail } if detail.contains("Bad Gateway")),
        "{proxy:?}"
    );
    let empty = api.state("empty").await.unwrap_err();
    assert!(
        matches!(&empty, ApiError::InvalidResponse { status: 401, .. }),
        "{empty:?}"
    );
    // LG rejects a dead PAT with a bare 401 (thinq-api.md §9).
    assert!(empty.is_auth_failure());
    let garbage = api.route().await.unwrap_err();
    assert!(
        matches!(garbage, ApiError::InvalidResponse { status: 200, .. }),
        "{garbage:?}"
    );
}

#[tokio::test]
async fn unreachable_server_is_a_transport_error_without_the_pat() {
    // Bind and drop a listener to get a loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    thinq_addon::install_crypto_provider();
    let api = ThinqApi::new(ApiConfig {
        base_url: format!("http://127.0.0.1:{port}"),
        pat: Secret::new("thinqpat_secret_value"),
        country: "DE".into(),
        client_id: CLIENT_ID.into(),
    })
    .unwrap();
    let err = api.devices().await.unwrap_err();
    assert!(matches!(err, ApiError::Transport(_)), "{err:?}");
    assert!(!err.to_string().contains("thinqpat_secret_value"));
    assert!(!format!("{api:?}").contains("thinqpat_secret_value"));
}

#[test]
fn bad_configurations_are_refused() {
    thinq_addon::install_crypto_provider();
    let cfg = |base: &str, pat: &str| ApiConfig {
        base_url: base.into(),
        pat: Secret::new(pat),
        country: "DE".into(),
        client_id: CLIENT_ID.into(),
    };
    assert!(matches!(
        ThinqApi::new(cfg("http://127.0.0.1:1", "")),
        Err(ApiError::Config(_))
    ));
    assert!(matches!(
        ThinqApi::new(cfg("ftp://127.0.0.1", "p")),
        Err(ApiError::Config(_))
    ));
    assert!(matches!(
        ThinqApi::new(cfg("not a url", "p")),
        Err(ApiError::Config(_))
    ));
    // The production URL builds with ring and the bundled roots.
    assert!(ThinqApi::new(cfg("https://api-eic.lgthinq.com", "p")).is_ok());
}

/// The only test in this binary that touches the environment (the others build their
/// configuration directly), so setting variables here cannot race another test's reads.
#[test]
fn environment_overrides_replace_the_regional_url_and_root_ca() {
    use thinq_addon::thinq::push::RootCa;
    let dir = tempfile::tempdir().unwrap();
    let ca = thinq_addon::sim::TestCa::generate().unwrap();
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, ca.ca_pem()).unwrap();

    // SAFETY: no other test in this binary reads or writes the environment.
    unsafe {
        std::env::remove_var("THINQ_API_URL");
        std::env::remove_var("THINQ_ROOT_CA");
    }
    let regional = ApiConfig::for_country(Secret::new("p"), "us", "id").unwrap();
    assert_eq!(regional.base_url, "https://api-aic.lgthinq.com");
    assert_eq!(regional.country, "US");
    assert_eq!(RootCa::from_env().unwrap(), RootCa::AmazonRootCa1);

    unsafe {
        std::env::set_var("THINQ_API_URL", "http://127.0.0.1:8080/");
        std::env::set_var("THINQ_ROOT_CA", &ca_path);
    }
    let overridden = ApiConfig::for_country(Secret::new("p"), "de", "id").unwrap();
    let root = RootCa::from_env();
    let unsupported = ApiConfig::for_country(Secret::new("p"), "ZZ", "id");
    unsafe {
        std::env::remove_var("THINQ_API_URL");
        std::env::remove_var("THINQ_ROOT_CA");
    }
    assert_eq!(overridden.base_url, "http://127.0.0.1:8080");
    assert_eq!(overridden.country, "DE");
    assert_eq!(root.unwrap(), RootCa::Pem(ca.ca_pem().into_bytes()));
    assert!(matches!(unsupported, Err(ApiError::UnsupportedCountry(_))));
}

#[tokio::test]
async fn an_answer_over_4_mib_is_refused_not_read_whole() {
    let huge = "x".repeat(thinq_addon::thinq::api::MAX_BODY_BYTES + 1);
    let lg = FakeLg::start(move |_| Reply::raw(200, &huge)).await;
    let err = lg.api(CLIENT_ID).state("big").await.unwrap_err();
    assert!(
        matches!(&err, ApiError::InvalidResponse { status: 200, detail } if detail.contains("exceeds")),
        "{err:?}"
    );
}
