//! The simulated ThinQ cloud's REST side, over real HTTP: headers, envelope, endpoints,
//! certificate signing, control checks and faults.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{LgClient, code, sim_and_client};
use thinq_addon::sim::Fault;
use thinq_addon::sim::devices::{AIR_CONDITIONER_ID, HOOD_ID, WASHER_ID};

fn assert_envelope_ids(envelope: &Value) {
    let id = envelope["messageId"].as_str().expect("messageId");
    assert_eq!(id.len(), 22, "{envelope}");
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    let timestamp = envelope["timestamp"].as_str().expect("timestamp");
    assert_eq!(timestamp.len(), 26, "{timestamp}");
}

#[tokio::test]
async fn each_missing_or_wrong_header_gets_its_code() {
    let (sim, lg) = sim_and_client("test-client").await;
    let cases: [(&str, Option<&str>, u16, &str); 10] = [
        ("authorization", None, 401, "1103"),
        ("authorization", Some("Bearer not-a-known-pat"), 401, "1103"),
        ("x-message-id", None, 400, "1104"),
        ("x-message-id", Some("short"), 400, "1104"),
        ("x-country", None, 400, "1216"),
        ("x-country", Some("ZZ"), 401, "1307"),
        ("x-client-id", None, 400, "1216"),
        ("x-api-key", None, 400, "1216"),
        (
            "x-api-key",
            Some("ZkVkqP9jq44HuWkbNX9EKzZmmn7ToPY3A4vQ4tY8"),
            400,
            "1216",
        ),
        ("x-service-phase", Some("QA"), 400, "1216"),
    ];
    for (name, replacement, status, expected) in cases {
        let mut headers: Vec<_> = lg
            .headers(false)
            .into_iter()
            .filter(|(n, _)| *n != name)
            .collect();
        if let Some(value) = replacement {
            headers.push((name, value.to_owned()));
        }
        let (got_status, envelope) = lg
            .call_with("GET", "/devices", None, &headers)
            .await
            .expect("call");
        assert_eq!(
            (got_status, code(&envelope)),
            (status, expected),
            "{name}={replacement:?}"
        );
        assert_envelope_ids(&envelope);
        assert!(envelope["error"]["message"].is_string());
    }
    // A control also needs x-conditional-control.
    let headers = lg.headers(false);
    let body = json!({"airFlow": {"windStrength": "LOW"}});
    let (status, envelope) = lg
        .call_with(
            "POST",
            &format!("/devices/{AIR_CONDITIONER_ID}/control"),
            Some(&body),
            &headers,
        )
        .await
        .expect("call");
    assert_eq!((status, code(&envelope)), (400, "1216"));
    assert_eq!(sim.count("GET", "/devices"), 10);
    sim.shutdown().await;
}

#[tokio::test]
async fn success_envelope_and_device_endpoints() {
    let (sim, lg) = sim_and_client("test-client").await;
    let (status, envelope) = lg.call("GET", "/devices", None).await.expect("devices");
    assert_eq!(status, 200);
    assert_envelope_ids(&envelope);
    let devices = envelope["response"].as_array().expect("array");
    assert_eq!(devices.len(), 16);
    let hood = devices
        .iter()
        .find(|d| d["deviceInfo"]["deviceType"] == "DEVICE_HOOD")
        .expect("hood");
    assert_eq!(hood["deviceId"], HOOD_ID);

    let profile = lg
        .ok(
            "GET",
            &format!("/devices/{AIR_CONDITIONER_ID}/profile"),
            None,
        )
        .await
        .expect("profile");
    assert!(profile["property"]["airConJobMode"].is_object());
    let state = lg
        .ok("GET", &format!("/devices/{WASHER_ID}/state"), None)
        .await
        .expect("state");
    assert_eq!(state["runState"]["currentState"], "POWER_OFF");

    let (status, envelope) = lg
        .call("GET", "/devices/no-such-device/state", None)
        .await
        .expect("call");
    assert_eq!((status, code(&envelope)), (404, "1205"));

    let route = lg.ok("GET", "/route", None).await.expect("route");
    assert!(
        route["mqttServer"]
            .as_str()
            .is_some_and(|s| s.starts_with("mqtts://127.0.0.1:"))
    );

    sim.set_online(AIR_CONDITIONER_ID, false).await;
    let (status, envelope) = lg
        .call("GET", &format!("/devices/{AIR_CONDITIONER_ID}/state"), None)
        .await
        .expect("call");
    assert_eq!((status, code(&envelope)), (400, "1222"));
    let body = json!({"airFlow": {"windStrength": "LOW"}});
    let (_, envelope) = lg.control(AIR_CONDITIONER_ID, &body).await.expect("call");
    assert_eq!(code(&envelope), "1222");
    sim.shutdown().await;
}

#[tokio::test]
async fn controls_are_checked_against_the_profile_and_applied() {
    let (sim, lg) = sim_and_client("test-client").await;
    let path = format!("/devices/{AIR_CONDITIONER_ID}/control");
    let refused = [
        (json!({"airConJobMode": {"currentJobMode": "HEAT"}}), "1102"),
        (
            json!({"temperatureInUnits": {"coolTargetTemperature": 40, "unit": "C"}}),
            "1102",
        ),
        (
            json!({"temperatureInUnits": {"coolTargetTemperature": 22}}),
            "1101",
        ),
        (json!({"airQualitySensor": {"PM1": 3}}), "2207"),
    ];
    for (body, expected) in refused {
        let (status, envelope) = lg.call("POST", &path, Some(&body)).await.expect("call");
        assert_eq!((status, code(&envelope)), (400, expected), "{body}");
    }
    let before = sim.device_state(AIR_CONDITIONER_ID).expect("state");

    let body = json!({"temperatureInUnits": {"coolTargetTemperature": 22, "unit": "C"}});
    let answer = lg.ok("POST", &path, Some(&body)).await.expect("accepted");
    assert!(answer.is_object());
    assert_eq!(sim.controls().len(), 5);
    // The appliance carries the command out after the control delay.
    let deadline = tokio::time::Instant::now() + support::WAIT;
    loop {
        let state = sim.device_state(AIR_CONDITIONER_ID).expect("state");
        if state["temperatureInUnits"][0]["targetTemperature"] == 22 {
            assert_eq!(state["temperatureInUnits"][1]["targetTemperature"], 72);
            assert_eq!(state["temperature"]["targetTemperature"], 22);
            break;
        }
        assert_eq!(state, before, "refused controls must not change the state");
        assert!(
            tokio::time::Instant::now() < deadline,
            "control never applied"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Power on while on: the device says so (HA ignores 2302).
    let (_, envelope) = lg
        .call(
            "POST",
            &path,
            Some(&json!({"operation": {"airConOperationMode": "POWER_ON"}})),
        )
        .await
        .expect("call");
    assert_eq!(code(&envelope), "2302");
    sim.shutdown().await;
}

#[tokio::test]
async fn client_registration_and_certificate_signing() {
    let (sim, lg) = sim_and_client("home-assistant-test").await;

    // A certificate before registration is refused.
    let (status, envelope) = lg.sign("AAAA").await.expect("call");
    assert_eq!((status, code(&envelope)), (400, "1210"));

    let (cert_pem, _key, topic) = lg.certify().await.expect("certify");
    assert_eq!(topic, "app/clients/home-assistant-test/push");
    assert!(sim.is_registered("home-assistant-test"));
    verify_against(&sim.ca().ca_pem(), &cert_pem)
        .expect("issued certificate verifies against the CA");

    // An RSA-2048 CSR signed with SHA-512, as LG's SDK makes it, sent as the PEM body.
    let rsa_cert = rsa_csr_certificate(&lg).await;
    verify_against(&sim.ca().ca_pem(), &rsa_cert).expect("RSA certificate verifies");

    // A CSR whose signature does not verify is refused.
    let csr = tampered_csr();
    let (status, envelope) = lg.sign(&csr).await.expect("call");
    assert_eq!((status, code(&envelope)), (400, "1102"));

    // Registering again without allowExist is refused; DELETE unregisters.
    let client_body = json!({"type": "MQTT", "service-code": "SVC202", "device-type": "607"});
    let (_, envelope) = lg
        .call("POST", "/client", Some(&client_body))
        .await
        .expect("call");
    assert_eq!(code(&envelope), "1225");
    lg.ok("DELETE", "/client", Some(&client_body))
        .await
        .expect("delete");
    assert!(!sim.is_registered("home-assistant-test"));
    assert_eq!(sim.count("POST", "/client/certificate"), 4);
    sim.shutdown().await;
}

async fn rsa_csr_certificate(lg: &LgClient) -> String {
    use base64::Engine as _;
    use rsa::pkcs8::EncodePrivateKey as _;
    let key = rsa::PrivateKey::new(&mut crypto_common::getrandom::SysRng, 2048).expect("rsa key");
    let der = key.to_pkcs8_der().expect("pkcs8");
    let pkcs8 = rustls_pki_types::PrivatePkcs8KeyDer::from(der.as_bytes().to_vec());
    let key_pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, &rcgen::PKCS_RSA_SHA512)
        .expect("key pair");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, "lg_thinq");
    params.distinguished_name = dn;
    let csr = params.serialize_request(&key_pair).expect("csr");
    let body = base64::engine::general_purpose::STANDARD.encode(csr.der());
    let (status, answer) = lg.sign(&body).await.expect("call");
    assert_eq!(status, 200, "RSA CSR refused: {answer}");
    answer["response"]["result"]["certificatePem"]
        .as_str()
        .expect("pem")
        .to_owned()
}

fn tampered_csr() -> String {
    use base64::Engine as _;
    let key = rcgen::KeyPair::generate().expect("key");
    let params = rcgen::CertificateParams::new(vec!["x".to_owned()]).expect("params");
    let mut der = params.serialize_request(&key).expect("csr").der().to_vec();
    // Flip a bit inside the signed part (the subject alternative name "x").
    if let Some(byte) = der.iter_mut().rev().find(|b| **b == b'x') {
        *byte = b'y';
    }
    base64::engine::general_purpose::STANDARD.encode(der)
}

/// Verifies a client certificate against a CA the way a TLS server does.
fn verify_against(ca_pem: &str, cert_pem: &str) -> anyhow::Result<()> {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, UnixTime};
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(ca_pem.as_bytes())?)?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
            .build()?;
    let cert = CertificateDer::from_pem_slice(cert_pem.as_bytes())?;
    verifier.verify_client_cert(&cert, &[], UnixTime::now())?;
    Ok(())
}

#[tokio::test]
async fn subscriptions_answer_like_lg() {
    let (sim, lg) = sim_and_client("subscriber").await;
    let push = format!("/push/{AIR_CONDITIONER_ID}/subscribe");
    lg.ok("POST", &push, None).await.expect("first subscribe");
    let (status, envelope) = lg.call("POST", &push, None).await.expect("call");
    assert_eq!((status, code(&envelope)), (400, "1207"));
    let list = lg.ok("GET", "/push", None).await.expect("list");
    assert_eq!(list, json!([{"deviceId": AIR_CONDITIONER_ID}]));
    lg.ok(
        "DELETE",
        &format!("/push/{AIR_CONDITIONER_ID}/unsubscribe"),
        None,
    )
    .await
    .expect("unsubscribe");
    let (_, envelope) = lg
        .call(
            "DELETE",
            &format!("/push/{AIR_CONDITIONER_ID}/unsubscribe"),
            None,
        )
        .await
        .expect("call");
    assert_eq!(code(&envelope), "1206");

    let event = format!("/event/{WASHER_ID}/subscribe");
    let expire = json!({"expire": {"unit": "HOUR", "timer": 4464}});
    lg.ok("POST", &event, Some(&expire))
        .await
        .expect("event subscribe");
    lg.ok("POST", &event, Some(&expire))
        .await
        .expect("renewal is fine");
    let (_, envelope) = lg.call("POST", &event, None).await.expect("call");
    assert_eq!(code(&envelope), "1101");
    assert_eq!(
        lg.ok("GET", "/event", None).await.expect("events"),
        json!([{"deviceId": WASHER_ID}])
    );
    assert_eq!(
        sim.event_subscribers(WASHER_ID),
        vec!["subscriber".to_owned()]
    );
    lg.ok("DELETE", &format!("/event/{WASHER_ID}/unsubscribe"), None)
        .await
        .expect("unsubscribe");
    let (_, envelope) = lg
        .call("DELETE", &format!("/event/{WASHER_ID}/unsubscribe"), None)
        .await
        .expect("call");
    assert_eq!(code(&envelope), "1204");

    lg.ok("POST", "/push/devices", None)
        .await
        .expect("device list subscribe");
    let (_, envelope) = lg.call("POST", "/push/devices", None).await.expect("call");
    assert_eq!(code(&envelope), "1207");
    assert_eq!(
        lg.ok("GET", "/push/devices", None).await.expect("list"),
        json!([{"clientId": "subscriber"}])
    );
    lg.ok("DELETE", "/push/devices", None)
        .await
        .expect("device list unsubscribe");
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_produce_lgs_codes() {
    let (sim, lg) = sim_and_client("faulty").await;

    sim.inject(Fault::RateLimit { times: 2 });
    for _ in 0..2 {
        let (status, envelope) = lg.call("GET", "/devices", None).await.expect("call");
        assert_eq!((status, code(&envelope)), (401, "1314"));
        assert_eq!(envelope["error"]["message"], "Exceeded User API calls");
    }
    lg.ok("GET", "/devices", None).await.expect("limit over");

    sim.inject(Fault::ApiRateLimit { times: 1 });
    let (status, envelope) = lg.call("GET", "/devices", None).await.expect("call");
    assert_eq!((status, code(&envelope)), (401, "1306"));

    sim.inject(Fault::ServerError { times: 1 });
    let (status, envelope) = lg.call("GET", "/route", None).await.expect("call");
    assert_eq!((status, code(&envelope)), (500, "2000"));

    lg.ok("POST", "/client", Some(&json!({"type": "MQTT", "service-code": "SVC202", "device-type": "607", "allowExist": true})))
        .await
        .expect("register");
    sim.inject(Fault::RejectCertificate { times: 1 });
    let (status, envelope) = lg
        .call(
            "POST",
            "/client/certificate",
            Some(&json!({"service-code": "SVC202", "csr": "AAAA"})),
        )
        .await
        .expect("call");
    assert_eq!((status, code(&envelope)), (400, "1102"));
    lg.certify().await.expect("the next certificate is issued");

    sim.inject(Fault::ControlFails {
        code: "2208".into(),
    });
    let path = format!("/devices/{AIR_CONDITIONER_ID}/control");
    let body = json!({"airFlow": {"windStrength": "LOW"}});
    let (status, envelope) = lg.call("POST", &path, Some(&body)).await.expect("call");
    assert_eq!((status, code(&envelope)), (400, "2208"));
    lg.ok("POST", &path, Some(&body))
        .await
        .expect("the next control works");

    sim.inject(Fault::Delay {
        path: "/route".into(),
        by: Duration::from_millis(300),
    });
    let started = std::time::Instant::now();
    lg.ok("GET", "/route", None).await.expect("delayed route");
    assert!(started.elapsed() >= Duration::from_millis(300));

    sim.inject(Fault::InvalidToken);
    for path in ["/devices", "/route"] {
        let (status, envelope) = lg.call("GET", path, None).await.expect("call");
        assert_eq!((status, code(&envelope)), (401, "1103"));
    }
    sim.clear_faults();
    lg.ok("GET", "/devices", None)
        .await
        .expect("token accepted again");

    let recorded = sim.requests();
    assert!(
        recorded
            .iter()
            .any(|r| r.status == 401 && r.code.as_deref() == Some("1314"))
    );
    assert!(
        recorded
            .iter()
            .all(|r| r.client_id.as_deref() == Some("faulty"))
    );
    sim.shutdown().await;
}
