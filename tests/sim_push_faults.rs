//! The simulated cloud's push-side faults for issue 7, over real HTTP and a real mutual-TLS
//! Mosquitto: event subscriptions that lapse, state changes without a push, pushes lost
//! while the cloud's broker link is down, the certificate answer's two topics, and
//! short-lived and untrusted certificates. (REST faults: `tests/sim_faults.rs`.)
//!
//! "Nothing arrived" is never shown by waiting: the cloud's record says no push was made,
//! and a marker published afterwards on the same connection must be the next message.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use support::{LgClient, PAT, PushCloud, Subscriber, WAIT, tls_client_config};
use thinq_addon::secret::Secret;
use thinq_addon::sim::devices::{AIR_CONDITIONER_ID, WASHER_ID};
use thinq_addon::sim::{Fault, SimDevice, SimHandle};
use thinq_addon::thinq::api::{ApiConfig, ThinqApi};

const HOUR: Duration = Duration::from_secs(3600);

fn code(envelope: &Value) -> &str {
    envelope["error"]["code"].as_str().unwrap_or("")
}

/// The add-on's own REST client, pointed at the simulator.
fn thinq_api(sim: &SimHandle, client_id: &str) -> ThinqApi {
    ThinqApi::new(ApiConfig {
        base_url: sim.api_url(),
        pat: Secret::new(PAT),
        country: "DE".to_owned(),
        client_id: client_id.to_owned(),
    })
    .expect("client")
}

/// Registers `client_id`, gets its certificate, and connects a subscriber on the first
/// topic of its certificate answer (as the SDK does).
async fn connected_client(cloud: &PushCloud, client_id: &str) -> (LgClient, Subscriber) {
    let lg = LgClient::new(&cloud.sim.api_url(), client_id);
    let (cert, key, topic) = lg.certify().await.expect("certificate");
    let tls = tls_client_config(&cloud.ca.ca_pem(), Some((&cert, &key))).expect("tls");
    let subscriber = Subscriber::connect(cloud.broker.port(), client_id, &topic, Some(tls), None)
        .await
        .unwrap_or_else(|err| panic!("subscriber: {err:#}\n{}", cloud.broker.log()));
    (lg, subscriber)
}

/// Publishes a marker to `client_id` and asserts it is the next message: whatever the
/// cloud sent before it on the same connection would have arrived first.
async fn next_is_marker(sim: &SimHandle, subscriber: &mut Subscriber, client_id: &str) {
    let marker = format!("marker-{}", uuid::Uuid::new_v4().simple());
    sim.publish_raw(client_id, marker.clone().into_bytes())
        .await;
    let (_, payload) = subscriber.next(WAIT).await.expect("the marker arrives");
    assert_eq!(String::from_utf8_lossy(&payload), marker);
}

fn status_pushes(sim: &SimHandle, device_id: &str) -> usize {
    sim.pushes()
        .iter()
        .filter_map(|p| p.json())
        .filter(|v| v["pushType"] == "DEVICE_STATUS" && v["deviceId"] == device_id)
        .count()
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

async fn poll_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn event_subscriptions_live_at_most_a_day_and_then_go_quiet() {
    let cloud = PushCloud::start(SimDevice::fixture_set(), Duration::from_millis(10))
        .await
        .expect("cloud");
    let (lg, mut subscriber) = connected_client(&cloud, "events-client").await;
    let api = thinq_api(&cloud.sim, "events-client");
    // The SDK's 4464 hours are granted as LG's maximum, 24.
    api.event_subscribe(AIR_CONDITIONER_ID, 4464)
        .await
        .expect("subscribe");
    api.event_subscribe(WASHER_ID, 2).await.expect("subscribe");
    let left = cloud
        .sim
        .event_subscription_remaining("events-client", AIR_CONDITIONER_ID)
        .expect("live");
    assert!(left <= 24 * HOUR && left > 23 * HOUR, "{left:?}");
    assert_eq!(
        sorted(api.event_list().await.expect("GET /event")),
        sorted(vec![AIR_CONDITIONER_ID.into(), WASHER_ID.into()])
    );

    let report = json!({"airFlow": {"windStrength": "LOW"}});
    cloud.sim.report(AIR_CONDITIONER_ID, report.clone()).await;
    let status = subscriber
        .next_json(|v| v["pushType"] == "DEVICE_STATUS")
        .await
        .expect("status while subscribed");
    assert_eq!(status["report"], report);

    // Two hours later the washer's subscription has lapsed, the air conditioner's has not.
    cloud.sim.advance_clock(2 * HOUR);
    assert_eq!(
        api.event_list().await.expect("GET /event"),
        vec![AIR_CONDITIONER_ID]
    );
    let (status_code, envelope) = lg
        .call("DELETE", &format!("/event/{WASHER_ID}/unsubscribe"), None)
        .await
        .expect("call");
    assert_eq!((status_code, code(&envelope)), (400, "1204"));

    // A day after subscribing, nothing is left and reports go nowhere.
    cloud.sim.advance_clock(22 * HOUR);
    assert!(api.event_list().await.expect("GET /event").is_empty());
    let before = status_pushes(&cloud.sim, AIR_CONDITIONER_ID);
    cloud
        .sim
        .report(
            AIR_CONDITIONER_ID,
            json!({"airFlow": {"windStrength": "HIGH"}}),
        )
        .await;
    assert_eq!(status_pushes(&cloud.sim, AIR_CONDITIONER_ID), before);
    next_is_marker(&cloud.sim, &mut subscriber, "events-client").await;
    assert_eq!(
        cloud.sim.device_state(AIR_CONDITIONER_ID).expect("state")["airFlow"]["windStrength"],
        "HIGH",
        "the change happened, only the push is missing"
    );

    // Subscribing again renews it; lapsing on demand ends it again.
    api.event_subscribe(AIR_CONDITIONER_ID, 24)
        .await
        .expect("renew");
    cloud
        .sim
        .report(
            AIR_CONDITIONER_ID,
            json!({"airFlow": {"windStrength": "MID"}}),
        )
        .await;
    let status = subscriber
        .next_json(|v| v["pushType"] == "DEVICE_STATUS")
        .await
        .expect("status after renewal");
    assert_eq!(status["report"]["airFlow"]["windStrength"], "MID");
    assert_eq!(cloud.sim.lapse_event_subscription(AIR_CONDITIONER_ID), 1);
    assert!(api.event_list().await.expect("GET /event").is_empty());
    api.event_subscribe(WASHER_ID, 1).await.expect("subscribe");
    api.event_subscribe(AIR_CONDITIONER_ID, 1)
        .await
        .expect("subscribe");
    assert_eq!(cloud.sim.lapse_event_subscriptions(), 2);
    let before = status_pushes(&cloud.sim, AIR_CONDITIONER_ID);
    cloud
        .sim
        .report(
            AIR_CONDITIONER_ID,
            json!({"airFlow": {"windStrength": "LOW"}}),
        )
        .await;
    assert_eq!(status_pushes(&cloud.sim, AIR_CONDITIONER_ID), before);
    next_is_marker(&cloud.sim, &mut subscriber, "events-client").await;
    cloud.sim.shutdown().await;
}

#[tokio::test]
async fn a_silent_change_shows_only_in_a_state_read() {
    let cloud = PushCloud::start(SimDevice::fixture_set(), Duration::from_millis(10))
        .await
        .expect("cloud");
    let (lg, mut subscriber) = connected_client(&cloud, "silent-client").await;
    lg.ok(
        "POST",
        &format!("/event/{AIR_CONDITIONER_ID}/subscribe"),
        Some(&json!({"expire": {"unit": "HOUR", "timer": 24}})),
    )
    .await
    .expect("subscribe");
    let pushes_before = cloud.sim.pushes().len();
    assert!(cloud.sim.set_state_silently(
        AIR_CONDITIONER_ID,
        json!({"airFlow": {"windStrength": "HIGH"}})
    ));
    assert!(!cloud.sim.set_state_silently("no-such-device", json!({})));
    assert_eq!(cloud.sim.pushes().len(), pushes_before);
    next_is_marker(&cloud.sim, &mut subscriber, "silent-client").await;
    let state = lg
        .ok("GET", &format!("/devices/{AIR_CONDITIONER_ID}/state"), None)
        .await
        .expect("state");
    assert_eq!(state["airFlow"]["windStrength"], "HIGH");
    cloud.sim.shutdown().await;
}

#[tokio::test]
async fn certificate_answers_list_two_topics_and_pushes_can_use_the_second() {
    let cloud = PushCloud::start(SimDevice::fixture_set(), Duration::from_millis(10))
        .await
        .expect("cloud");
    let api = thinq_api(&cloud.sim, "topics-client");
    api.register_client().await.expect("register");
    let csr = csr_base64();
    let issued = api.issue_certificate(&csr.0).await.expect("certificate");
    assert_eq!(
        issued.subscriptions,
        vec![
            "app/clients/topics-client/push",
            "app/clients/topics-client/inbox"
        ]
    );
    assert_eq!(
        issued.publications,
        vec!["app/clients/topics-client/outbox"]
    );

    // The bridge as the SDK does it (subscriptions[0] only), and a watcher of the second.
    let tls = tls_client_config(&cloud.ca.ca_pem(), Some((&issued.certificate_pem, &csr.1)))
        .expect("tls");
    let port = cloud.broker.port();
    let mut first_only = Subscriber::connect(
        port,
        "topics-client",
        &issued.subscriptions[0],
        Some(tls),
        None,
    )
    .await
    .expect("subscriber");
    let (_, mut watcher) = {
        let lg = LgClient::new(&cloud.sim.api_url(), "topics-watcher");
        let (cert, key, _) = lg.certify().await.expect("certificate");
        let tls = tls_client_config(&cloud.ca.ca_pem(), Some((&cert, &key))).expect("tls");
        let watcher = Subscriber::connect(
            port,
            "topics-watcher",
            &issued.subscriptions[1],
            Some(tls),
            None,
        )
        .await
        .expect("watcher");
        (lg, watcher)
    };
    api.event_subscribe(AIR_CONDITIONER_ID, 24)
        .await
        .expect("subscribe");

    cloud.sim.set_push_topic_index(1);
    cloud
        .sim
        .report(
            AIR_CONDITIONER_ID,
            json!({"airFlow": {"windStrength": "HIGH"}}),
        )
        .await;
    let (topic, payload) = watcher.next(WAIT).await.expect("push on the inbox topic");
    assert_eq!(topic, "app/clients/topics-client/inbox");
    let push: Value = serde_json::from_slice(&payload).expect("json");
    assert_eq!(push["pushType"], "DEVICE_STATUS");
    let recorded = cloud.sim.pushes();
    assert_eq!(
        recorded.last().map(|p| p.topic.as_str()),
        Some("app/clients/topics-client/inbox")
    );

    // Back on the first topic: the subscriber of subscriptions[0] gets the marker first,
    // so the status sent on the inbox never reached it.
    cloud.sim.set_push_topic_index(0);
    next_is_marker(&cloud.sim, &mut first_only, "topics-client").await;
    cloud.sim.shutdown().await;
}

/// A fresh P-256 key and its CSR as the SDK sends it: (base64 DER, key PEM).
fn csr_base64() -> (String, String) {
    use base64::Engine as _;
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, "lg_thinq");
    params.distinguished_name = dn;
    let csr = params.serialize_request(&key).expect("csr");
    (
        base64::engine::general_purpose::STANDARD.encode(csr.der()),
        key.serialize_pem(),
    )
}

/// Seconds from now to the certificate's `notAfter`.
fn seconds_left(cert_pem: &str) -> i64 {
    use rustls_pki_types::pem::PemObject as _;
    let der = rustls_pki_types::CertificateDer::from_pem_slice(cert_pem.as_bytes()).expect("pem");
    let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("x509");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    cert.validity().not_after.timestamp() - now
}

#[tokio::test]
async fn short_lived_certificates_run_out_at_the_broker() {
    let cloud = PushCloud::start(Vec::new(), Duration::ZERO)
        .await
        .expect("cloud");
    let lg = LgClient::new(&cloud.sim.api_url(), "short-lived");
    let port = cloud.broker.port();

    cloud.sim.set_certificate_validity(Duration::from_secs(600));
    let (cert, key, topic) = lg.certify().await.expect("certificate");
    let left = seconds_left(&cert);
    assert!((595..=600).contains(&left), "{left}");
    let tls = tls_client_config(&cloud.ca.ca_pem(), Some((&cert, &key))).expect("tls");
    Subscriber::connect(port, "short-lived", &topic, Some(tls), None)
        .await
        .expect("a valid certificate connects");

    cloud.sim.set_certificate_validity(Duration::from_secs(1));
    let (cert, key, topic) = lg.certify().await.expect("certificate");
    let left = seconds_left(&cert);
    assert!((0..=1).contains(&left), "{left}");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        // A fresh TLS config each time: a resumed TLS session is not checked again, so a
        // reused one would carry the certificate past its end.
        let tls = tls_client_config(&cloud.ca.ca_pem(), Some((&cert, &key))).expect("tls");
        let attempt = Subscriber::connect(port, "short-lived", &topic, Some(tls), None).await;
        if attempt.is_err() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the broker still takes an expired certificate: {}",
            cloud.broker.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        broker_logs(&cloud, "certificate verify failed").await,
        "{}",
        cloud.broker.log()
    );
    cloud.sim.shutdown().await;
}

/// Whether the broker's log shows `line` within [`WAIT`]: Mosquitto writes its log a moment
/// after the client has seen the connection fail.
async fn broker_logs(cloud: &PushCloud, line: &str) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if cloud.broker.log().contains(line) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn untrusted_certificates_are_refused_by_the_broker() {
    let cloud = PushCloud::start(Vec::new(), Duration::ZERO)
        .await
        .expect("cloud");
    let lg = LgClient::new(&cloud.sim.api_url(), "untrusted");
    let port = cloud.broker.port();
    cloud.sim.inject(Fault::UntrustedCertificate { times: 2 });
    for _ in 0..2 {
        let (cert, key, topic) = lg.certify().await.expect("issued like any other");
        assert!(verifies(&cloud.sim.untrusted_ca_pem(), &cert));
        assert!(!verifies(&cloud.ca.ca_pem(), &cert));
        let tls = tls_client_config(&cloud.ca.ca_pem(), Some((&cert, &key))).expect("tls");
        let refused = Subscriber::connect(port, "untrusted", &topic, Some(tls), None).await;
        assert!(
            refused.is_err(),
            "the broker must refuse a certificate of another CA"
        );
    }
    assert!(
        broker_logs(&cloud, "certificate verify failed").await,
        "refused at the TLS handshake: {}",
        cloud.broker.log()
    );
    let (cert, key, topic) = lg.certify().await.expect("the third is good");
    assert!(verifies(&cloud.ca.ca_pem(), &cert));
    let tls = tls_client_config(&cloud.ca.ca_pem(), Some((&cert, &key))).expect("tls");
    Subscriber::connect(port, "untrusted", &topic, Some(tls), None)
        .await
        .expect("a trusted certificate connects");
    assert_eq!(cloud.sim.count("POST", "/client/certificate"), 3);
    cloud.sim.shutdown().await;
}

fn verifies(ca_pem: &str, cert_pem: &str) -> bool {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, UnixTime};
    let mut roots = rustls::RootCertStore::empty();
    let Ok(ca) = CertificateDer::from_pem_slice(ca_pem.as_bytes()) else {
        return false;
    };
    if roots.add(ca).is_err() {
        return false;
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let Ok(verifier) =
        rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider).build()
    else {
        return false;
    };
    let Ok(cert) = CertificateDer::from_pem_slice(cert_pem.as_bytes()) else {
        return false;
    };
    verifier
        .verify_client_cert(&cert, &[], UnixTime::now())
        .is_ok()
}

/// A mutual-TLS Mosquitto on a port of our choosing, so it can be stopped and started
/// again where the simulator's publisher expects it.
struct FixedPortBroker {
    child: Option<Child>,
    config: std::path::PathBuf,
    port: u16,
}

impl FixedPortBroker {
    fn new(dir: &Path, ca: &thinq_addon::sim::TestCa) -> FixedPortBroker {
        let (cert, key) = ca.server_cert(&["127.0.0.1"]).expect("server cert");
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).expect("write");
            path
        };
        let port = support::mosquitto::free_port().expect("port");
        let settings = format!(
            "listener {port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate true\nuse_identity_as_username true\npersistence false\nuser root\n",
            write("ca.pem", &ca.ca_pem()).display(),
            write("server.pem", &cert).display(),
            write("server.key", &key).display(),
        );
        let config = write("mosquitto.conf", &settings);
        FixedPortBroker {
            child: None,
            config,
            port,
        }
    }

    async fn start(&mut self) {
        let child = Command::new("/usr/sbin/mosquitto")
            .arg("-c")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto");
        self.child = Some(child);
        let port = self.port;
        poll_until("the broker listens", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        })
        .await;
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for FixedPortBroker {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn pushes_made_while_the_broker_is_away_are_lost_not_replayed() {
    use std::sync::Arc;
    use thinq_addon::sim::{PushBroker, SimConfig, Simulator, TestCa};
    thinq_addon::install_crypto_provider();
    let dir = tempfile::tempdir().expect("dir");
    let ca = Arc::new(TestCa::generate().expect("ca"));
    let mut broker = FixedPortBroker::new(dir.path(), &ca);
    broker.start().await;
    let mut config = SimConfig::with_pat(PAT);
    config.push_broker = Some(PushBroker {
        host: "127.0.0.1".to_owned(),
        port: broker.port,
    });
    let sim = Simulator::start(config, ca.clone(), support::loopback())
        .await
        .expect("sim");
    let lg = LgClient::new(&sim.api_url(), "outage-client");
    let (cert, key, topic) = lg.certify().await.expect("certificate");
    lg.ok(
        "POST",
        &format!("/event/{AIR_CONDITIONER_ID}/subscribe"),
        Some(&json!({"expire": {"unit": "HOUR", "timer": 24}})),
    )
    .await
    .expect("subscribe");
    poll_until("the simulator's link is up", || sim.push_link_up()).await;

    broker.stop();
    poll_until("the simulator notices the broker is gone", || {
        !sim.push_link_up()
    })
    .await;
    sim.report(
        AIR_CONDITIONER_ID,
        json!({"airFlow": {"windStrength": "HIGH"}}),
    )
    .await;
    let last = sim.pushes().pop().expect("recorded");
    assert!(last.lost, "a push while the link is down is lost");

    broker.start().await;
    poll_until("the simulator reconnects", || sim.push_link_up()).await;
    let tls = tls_client_config(&ca.ca_pem(), Some((&cert, &key))).expect("tls");
    let mut subscriber = Subscriber::connect(broker.port, "outage-client", &topic, Some(tls), None)
        .await
        .expect("subscriber");
    next_is_marker(&sim, &mut subscriber, "outage-client").await;
    sim.report(
        AIR_CONDITIONER_ID,
        json!({"airFlow": {"windStrength": "LOW"}}),
    )
    .await;
    let status = subscriber
        .next_json(|v| v["pushType"] == "DEVICE_STATUS")
        .await
        .expect("pushes flow again");
    assert_eq!(status["report"]["airFlow"]["windStrength"], "LOW");
    assert!(!sim.pushes().pop().expect("recorded").lost);
    sim.shutdown().await;
}
