//! The simulated cloud's push-side faults for issue 7, over real HTTP and a real mutual-TLS
//! Mosquitto: event subscriptions that lapse, state changes without a push, pushes lost
//! while the cloud's broker link is down, the certificate answer's two topics, and
//! short-lived and untrusted certificates. (REST faults: `tests/sim_faults.rs`.)
//!
//! "Nothing arrived" is never shown by waiting: the cloud's record says no push was made,
//! and a marker published afterwards on the same connection must be the next message.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::lg::csr;
use support::{LgClient, PushCloud, Subscriber, WAIT, code, sorted, thinq_api, wait_until};
use thinq_addon::sim::devices::{AIR_CONDITIONER_ID, WASHER_ID};
use thinq_addon::sim::{Fault, SimHandle};

const HOUR: Duration = Duration::from_secs(3600);

fn status_pushes(sim: &SimHandle, device_id: &str) -> usize {
    sim.pushes()
        .iter()
        .filter_map(|p| p.json())
        .filter(|v| v["pushType"] == "DEVICE_STATUS" && v["deviceId"] == device_id)
        .count()
}

/// The air conditioner's fan speed set to `wind`, as a report.
fn wind(wind: &str) -> Value {
    json!({"airFlow": {"windStrength": wind}})
}

/// Reports [`wind`] from the air conditioner and returns the `DEVICE_STATUS` push the
/// subscriber receives next (`what` names it when none comes).
async fn pushed(sim: &SimHandle, subscriber: &mut Subscriber, speed: &str, what: &str) -> Value {
    sim.report(AIR_CONDITIONER_ID, wind(speed)).await;
    subscriber
        .next_json(|v| v["pushType"] == "DEVICE_STATUS")
        .await
        .expect(what)
}

/// Reports `report` from the air conditioner and shows that no push went out for it: the
/// cloud's record has no new status, and a marker is the next message `client_id` receives.
async fn goes_unpushed(
    cloud: &PushCloud,
    subscriber: &mut Subscriber,
    client_id: &str,
    report: Value,
) {
    let before = status_pushes(&cloud.sim, AIR_CONDITIONER_ID);
    cloud.sim.report(AIR_CONDITIONER_ID, report).await;
    assert_eq!(status_pushes(&cloud.sim, AIR_CONDITIONER_ID), before);
    cloud.next_is_marker(subscriber, client_id).await;
}

#[tokio::test]
async fn event_subscriptions_live_at_most_a_day_and_then_go_quiet() {
    let cloud = PushCloud::with_fixtures().await;
    let (lg, mut subscriber) = cloud.client("events-client").await;
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

    let status = pushed(
        &cloud.sim,
        &mut subscriber,
        "LOW",
        "status while subscribed",
    )
    .await;
    assert_eq!(status["report"], wind("LOW"));

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
    goes_unpushed(&cloud, &mut subscriber, "events-client", wind("HIGH")).await;
    assert_eq!(
        cloud.sim.device_state(AIR_CONDITIONER_ID).expect("state")["airFlow"]["windStrength"],
        "HIGH",
        "the change happened, only the push is missing"
    );

    // Subscribing again renews it; lapsing on demand ends it again.
    api.event_subscribe(AIR_CONDITIONER_ID, 24)
        .await
        .expect("renew");
    let status = pushed(&cloud.sim, &mut subscriber, "MID", "status after renewal").await;
    assert_eq!(status["report"]["airFlow"]["windStrength"], "MID");
    assert_eq!(cloud.sim.lapse_event_subscription(AIR_CONDITIONER_ID), 1);
    assert!(api.event_list().await.expect("GET /event").is_empty());
    api.event_subscribe(WASHER_ID, 1).await.expect("subscribe");
    api.event_subscribe(AIR_CONDITIONER_ID, 1)
        .await
        .expect("subscribe");
    assert_eq!(cloud.sim.lapse_event_subscriptions(), 2);
    goes_unpushed(&cloud, &mut subscriber, "events-client", wind("LOW")).await;
    cloud.sim.shutdown().await;
}

#[tokio::test]
async fn a_silent_change_shows_only_in_a_state_read() {
    let (cloud, lg, mut subscriber) = PushCloud::watching_ac("silent-client").await;
    let pushes_before = cloud.sim.pushes().len();
    assert!(
        cloud
            .sim
            .set_state_silently(AIR_CONDITIONER_ID, wind("HIGH"))
    );
    assert!(!cloud.sim.set_state_silently("no-such-device", json!({})));
    assert_eq!(cloud.sim.pushes().len(), pushes_before);
    cloud.next_is_marker(&mut subscriber, "silent-client").await;
    let state = lg
        .ok("GET", &format!("/devices/{AIR_CONDITIONER_ID}/state"), None)
        .await
        .expect("state");
    assert_eq!(state["airFlow"]["windStrength"], "HIGH");
    cloud.sim.shutdown().await;
}

#[tokio::test]
async fn certificate_answers_list_two_topics_and_pushes_can_use_the_second() {
    let cloud = PushCloud::with_fixtures().await;
    let api = thinq_api(&cloud.sim, "topics-client");
    api.register_client().await.expect("register");
    let (csr, key) = csr();
    let issued = api.issue_certificate(&csr).await.expect("certificate");
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
    let identity = (issued.certificate_pem.as_str(), key.as_str());
    let mut first_only = cloud
        .subscribe("topics-client", &issued.subscriptions[0], identity)
        .await;
    let mut watcher = {
        let lg = LgClient::new(&cloud.sim.api_url(), "topics-watcher");
        let (cert, key, _) = lg.certify().await.expect("certificate");
        cloud
            .subscribe("topics-watcher", &issued.subscriptions[1], (&cert, &key))
            .await
    };
    api.event_subscribe(AIR_CONDITIONER_ID, 24)
        .await
        .expect("subscribe");

    cloud.sim.set_push_topic_index(1);
    cloud.sim.report(AIR_CONDITIONER_ID, wind("HIGH")).await;
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
    cloud.next_is_marker(&mut first_only, "topics-client").await;
    cloud.sim.shutdown().await;
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
    let cloud = PushCloud::empty().await;
    let lg = LgClient::new(&cloud.sim.api_url(), "short-lived");

    cloud.sim.set_certificate_validity(Duration::from_secs(600));
    let (cert, key, topic) = lg.certify().await.expect("certificate");
    let left = seconds_left(&cert);
    assert!((595..=600).contains(&left), "{left}");
    cloud
        .try_subscribe("short-lived", &topic, (&cert, &key))
        .await
        .expect("a valid certificate connects");

    cloud.sim.set_certificate_validity(Duration::from_secs(1));
    let (cert, key, topic) = lg.certify().await.expect("certificate");
    let left = seconds_left(&cert);
    assert!((0..=1).contains(&left), "{left}");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        // A fresh TLS config each time (try_subscribe makes one).
        let attempt = cloud
            .try_subscribe("short-lived", &topic, (&cert, &key))
            .await;
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
    let cloud = PushCloud::empty().await;
    let lg = LgClient::new(&cloud.sim.api_url(), "untrusted");
    cloud.sim.inject(Fault::UntrustedCertificate { times: 2 });
    for _ in 0..2 {
        let (cert, key, topic) = lg.certify().await.expect("issued like any other");
        assert!(verifies(&cloud.sim.untrusted_ca_pem(), &cert));
        assert!(!verifies(&cloud.ca.ca_pem(), &cert));
        let refused = cloud
            .try_subscribe("untrusted", &topic, (&cert, &key))
            .await;
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
    cloud
        .try_subscribe("untrusted", &topic, (&cert, &key))
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

#[tokio::test]
async fn pushes_made_while_the_broker_is_away_are_lost_not_replayed() {
    let mut cloud = PushCloud::with_fixtures().await;
    let sim = cloud.sim.clone();
    let lg = LgClient::new(&sim.api_url(), "outage-client");
    let (cert, key, topic) = lg.certify().await.expect("certificate");
    lg.event_subscribe(AIR_CONDITIONER_ID, 24)
        .await
        .expect("subscribe");
    wait_until("the simulator's link is up", || sim.push_link_up()).await;

    cloud.broker.stop();
    wait_until("the simulator notices the broker is gone", || {
        !sim.push_link_up()
    })
    .await;
    sim.report(AIR_CONDITIONER_ID, wind("HIGH")).await;
    let last = sim.pushes().pop().expect("recorded");
    assert!(last.lost, "a push while the link is down is lost");

    // Back on the same port, where the simulator's publisher expects it.
    cloud.broker.start_again().expect("the broker starts again");
    wait_until("the simulator reconnects", || sim.push_link_up()).await;
    let mut subscriber = cloud
        .subscribe("outage-client", &topic, (&cert, &key))
        .await;
    cloud.next_is_marker(&mut subscriber, "outage-client").await;
    let status = pushed(&sim, &mut subscriber, "LOW", "pushes flow again").await;
    assert_eq!(status["report"]["airFlow"]["windStrength"], "LOW");
    assert!(!sim.pushes().pop().expect("recorded").lost);
    sim.shutdown().await;
}
