//! The push session over real mutual TLS with mosquitto, using an identity the credential
//! store obtained from the minimal LG server (whose CA the broker trusts).

use std::sync::Arc;
use std::time::Duration;

use thinq_addon::secret::Secret;
use thinq_addon::thinq::credentials::{CredentialStore, MqttIdentity};
use thinq_addon::thinq::message::PushMessage;
use thinq_addon::thinq::push::{self, Backoff, PushConfig, PushEvent, RootCa};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use thinq_addon::sim::TestCa;

use crate::credentials::signing_lg;
use crate::support::Mosquitto;

/// Upper bound for anything to arrive; generous so a loaded machine does not fail the test.
const WAIT: Duration = Duration::from_secs(60);

async fn next_event(rx: &mut mpsc::Receiver<PushEvent>) -> PushEvent {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("an event in time")
        .expect("the session is running")
}

/// Skips `Disconnected` events (one per failed attempt) until something else comes.
async fn next_non_disconnect(rx: &mut mpsc::Receiver<PushEvent>) -> PushEvent {
    loop {
        match next_event(rx).await {
            PushEvent::Disconnected { .. } => continue,
            other => return other,
        }
    }
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/mqtt")
            .join(name),
    )
    .unwrap()
}

fn config(broker: &Mosquitto, ca: &TestCa, identity: MqttIdentity) -> PushConfig {
    PushConfig {
        host: "127.0.0.1".into(),
        port: broker.port(),
        root_ca: RootCa::Pem(ca.ca_pem().into_bytes()),
        identity,
        keep_alive: Duration::from_secs(30),
        backoff: Backoff::default(),
    }
}

/// A mutual-TLS Mosquitto whose server certificate and trusted client CA are `ca`.
fn mutual_tls_broker(ca: &TestCa) -> Mosquitto {
    let (cert, key) = ca.server_cert(&["127.0.0.1", "localhost"]).unwrap();
    Mosquitto::mutual_tls(&ca.ca_pem(), &cert, &key).unwrap()
}

#[tokio::test]
async fn messages_flow_over_mutual_tls_survive_a_broker_restart_and_shutdown_is_clean() {
    let ca = Arc::new(TestCa::generate().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let mut broker = mutual_tls_broker(&ca);

    let (lg, _) = signing_lg(ca.clone(), time::Duration::days(365)).await;
    let store = CredentialStore::new(&dir.path().join("data"));
    let client_id = store.client_id(None).unwrap();
    let (identity, _) = store.identity(&lg.api(&client_id)).await.unwrap();
    let topic = identity.topics[0].clone();

    let (tx, mut rx) = mpsc::channel(16);
    let shutdown = CancellationToken::new();
    let task = push::spawn(config(&broker, &ca, identity), tx, shutdown.clone());

    assert_eq!(next_non_disconnect(&mut rx).await, PushEvent::Connected);
    let (publisher_cert, publisher_key) = ca.client_cert("lg-publisher").unwrap();
    let publisher = (publisher_cert.as_str(), publisher_key.as_str());
    broker
        .publish(publisher, &topic, &fixture("DEVICE_PUSH.json"))
        .unwrap();
    match next_event(&mut rx).await {
        PushEvent::Message(PushMessage::Push { push_code, .. }) => {
            assert_eq!(push_code, "WASHING_IS_COMPLETE")
        }
        other => panic!("expected the DEVICE_PUSH message, got {other:?}"),
    }
    broker
        .publish(publisher, &topic, b"not json at all")
        .unwrap();
    assert!(matches!(
        next_event(&mut rx).await,
        PushEvent::Malformed { .. }
    ));

    // The broker goes away and comes back without any session: we reconnect and subscribe again.
    broker.start_again().unwrap();
    match next_event(&mut rx).await {
        PushEvent::Disconnected { reason } => assert!(!reason.is_empty()),
        other => panic!("expected Disconnected, got {other:?}"),
    }
    assert_eq!(next_non_disconnect(&mut rx).await, PushEvent::Connected);
    let flat = br#"{"pushType":"DEVICE_STATUS","deviceId":"D1","deviceType":"DEVICE_WASHER","report":{"runState":{"currentState":"RINSING"}}}"#;
    broker.publish(publisher, &topic, flat).unwrap();
    match next_event(&mut rx).await {
        PushEvent::Message(PushMessage::Status {
            device_id, report, ..
        }) => {
            assert_eq!(device_id, "D1");
            assert_eq!(report["runState"]["currentState"], "RINSING");
        }
        other => panic!("expected the DEVICE_STATUS message, got {other:?}"),
    }

    shutdown.cancel();
    tokio::time::timeout(WAIT, task)
        .await
        .expect("the task ends")
        .unwrap();
    // The broker handles the DISCONNECT in its own time: poll its log, within a bound.
    let clean = format!("Client {client_id} disconnected.");
    let deadline = tokio::time::Instant::now() + WAIT;
    while !broker.log().contains(&clean) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = broker.log();
    assert!(
        log.contains(&clean),
        "the broker should log a clean DISCONNECT from {client_id}:\n{log}"
    );
}

#[tokio::test]
async fn a_certificate_the_broker_does_not_trust_is_reported_as_rejected() {
    let broker_ca = TestCa::generate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let broker = mutual_tls_broker(&broker_ca);

    // LG's CA here is not the one the broker trusts for clients.
    let (lg, _) = signing_lg(
        Arc::new(TestCa::generate().unwrap()),
        time::Duration::days(365),
    )
    .await;
    let store = CredentialStore::new(&dir.path().join("data"));
    let (identity, _) = store
        .identity(&lg.api("thinq-addon-rejected"))
        .await
        .unwrap();

    let (tx, mut rx) = mpsc::channel(16);
    let task = push::spawn(
        config(&broker, &broker_ca, identity),
        tx,
        CancellationToken::new(),
    );
    assert_eq!(
        next_non_disconnect(&mut rx).await,
        PushEvent::CertificateRejected
    );
    tokio::time::timeout(WAIT, task)
        .await
        .expect("the task ends after a rejection")
        .unwrap();
}

#[tokio::test]
async fn an_unusable_identity_ends_the_task_with_a_reason() {
    let (tx, mut rx) = mpsc::channel(4);
    let cfg = PushConfig {
        host: "127.0.0.1".into(),
        port: 1,
        root_ca: RootCa::AmazonRootCa1,
        identity: MqttIdentity {
            client_id: "c".into(),
            private_key_pem: Secret::new("not a key"),
            certificate_pem: "not a certificate".into(),
            topics: vec!["t".into()],
            not_after: std::time::SystemTime::now(),
        },
        keep_alive: Duration::from_secs(30),
        backoff: Backoff::default(),
    };
    let task = push::spawn(cfg, tx, CancellationToken::new());
    match next_event(&mut rx).await {
        PushEvent::Disconnected { reason } => assert!(
            reason.contains("certificate") || reason.contains("key"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    tokio::time::timeout(WAIT, task).await.unwrap().unwrap();
}
