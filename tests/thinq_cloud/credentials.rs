//! The credential store against the minimal LG server, whose certificate endpoint really
//! signs our CSR with a test CA.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use thinq_addon::thinq::credentials::{CredentialError, CredentialStore};

use crate::fake_lg::{FakeLg, Reply};
use thinq_addon::sim::TestCa;

pub fn topic_for(client_id: &str) -> String {
    format!("app/clients/{client_id}/push")
}

/// An LG server that registers clients and signs CSRs with `ca`, each certificate valid for
/// `validity` from now; counts the certificates it issued.
pub async fn signing_lg(ca: Arc<TestCa>, validity: time::Duration) -> (FakeLg, Arc<AtomicUsize>) {
    let issued = Arc::new(AtomicUsize::new(0));
    let count = issued.clone();
    let lg = FakeLg::start(move |req| match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/client") => Reply::ok(json!({})),
        ("POST", "/client/certificate") => {
            let body = req.json();
            let csr = body["csr"].as_str().unwrap_or_default();
            let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, csr)
                .expect("the CSR is base64");
            let pem = ca
                .sign_csr_der_until(&der, time::OffsetDateTime::now_utc() + validity)
                .expect("the CSR verifies");
            count.fetch_add(1, Ordering::SeqCst);
            let client_id = req.header("x-client-id").unwrap_or_default();
            Reply::ok(json!({"resultCode": "0000", "result": {
                "certificatePem": pem,
                "subscriptions": [topic_for(client_id)],
                "publications": []
            }}))
        }
        _ => Reply::error(404, "1000", "unexpected"),
    })
    .await;
    (lg, issued)
}

/// A signing LG server with a fresh CA (certificates valid for `validity`), the count of
/// certificates it issued, and a credential store in a fresh data directory.
async fn scene(
    validity: time::Duration,
) -> (FakeLg, Arc<AtomicUsize>, tempfile::TempDir, CredentialStore) {
    let (lg, issued) = signing_lg(Arc::new(TestCa::generate().unwrap()), validity).await;
    let dir = tempfile::tempdir().unwrap();
    let store = CredentialStore::new(dir.path());
    (lg, issued, dir, store)
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn identity_is_issued_once_stored_and_reused() {
    let (lg, issued, dir, store) = scene(time::Duration::days(365)).await;
    let client_id = store.client_id(None).unwrap();
    let api = lg.api(&client_id);

    let (first, new) = store.identity(&api).await.unwrap();
    assert!(new);
    assert_eq!(first.client_id, client_id);
    assert_eq!(first.topics, vec![topic_for(&client_id)]);
    assert!(first.private_key_pem.expose().contains("BEGIN PRIVATE KEY"));
    assert!(
        !format!("{first:?}").contains("BEGIN PRIVATE KEY"),
        "the key must not reach Debug output"
    );
    let paths: Vec<_> = lg
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(paths, ["POST /client", "POST /client/certificate"]);
    assert_eq!(mode(&dir.path().join("thinq-mqtt-key.pem")), 0o600);
    assert_eq!(mode(&dir.path().join("thinq-mqtt-identity.json")), 0o600);

    // A new process (new store) with the same data dir reuses everything, without any call.
    let again = CredentialStore::new(dir.path());
    assert_eq!(again.client_id(None).unwrap(), client_id);
    let (second, new) = again.identity(&api).await.unwrap();
    assert!(!new);
    assert_eq!(second, first);
    assert_eq!(lg.requests().len(), 2);
    assert_eq!(issued.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn corrupt_or_foreign_files_lead_to_a_new_certificate() {
    let (lg, issued, dir, store) = scene(time::Duration::days(365)).await;
    let api = lg.api("thinq-addon-a");
    let key = dir.path().join("thinq-mqtt-key.pem");
    let identity = dir.path().join("thinq-mqtt-identity.json");

    store.identity(&api).await.unwrap();
    std::fs::write(&identity, b"{ truncated").unwrap();
    assert!(
        store.identity(&api).await.unwrap().1,
        "corrupt identity file"
    );

    std::fs::write(
        &key,
        b"-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    assert!(store.identity(&api).await.unwrap().1, "corrupt key file");

    std::fs::remove_file(&key).unwrap();
    assert!(store.identity(&api).await.unwrap().1, "missing key file");

    // A key from another identity: the certificate no longer fits it.
    let other_dir = tempfile::tempdir().unwrap();
    CredentialStore::new(other_dir.path())
        .identity(&api)
        .await
        .unwrap();
    std::fs::copy(other_dir.path().join("thinq-mqtt-key.pem"), &key).unwrap();
    assert!(
        store.identity(&api).await.unwrap().1,
        "key and certificate do not match"
    );

    let (_, new) = store.identity(&lg.api("thinq-addon-b")).await.unwrap();
    assert!(
        new,
        "a certificate issued for another client id is not reused"
    );

    assert!(!store.identity(&lg.api("thinq-addon-b")).await.unwrap().1);
    assert_eq!(issued.load(Ordering::SeqCst), 7);
    assert_eq!(mode(&key), 0o600);
}

#[tokio::test]
async fn a_certificate_near_its_end_is_replaced() {
    let (lg, issued, _dir, store) = scene(time::Duration::hours(1)).await;
    let api = lg.api("thinq-addon-x");
    assert!(store.identity(&api).await.unwrap().1);
    assert!(
        store.identity(&api).await.unwrap().1,
        "expires within a day → reissued"
    );
    assert_eq!(issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn forget_certificate_forces_a_new_one_and_keeps_the_client_id() {
    let (lg, issued, _dir, store) = scene(time::Duration::days(365)).await;
    let client_id = store.client_id(None).unwrap();
    let api = lg.api(&client_id);
    let (first, _) = store.identity(&api).await.unwrap();
    store.forget_certificate().unwrap();
    store.forget_certificate().unwrap(); // nothing left to forget: still fine
    let (second, new) = store.identity(&api).await.unwrap();
    assert!(new);
    assert_ne!(second.certificate_pem, first.certificate_pem);
    assert_ne!(second.private_key_pem, first.private_key_pem);
    assert_eq!(store.client_id(None).unwrap(), client_id);
    assert_eq!(issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn lg_errors_and_missing_topics_are_reported() {
    let lg = FakeLg::start(|req| match req.path.as_str() {
        "/client" => Reply::ok(json!({})),
        _ => Reply::ok(json!({"resultCode": "0000", "result": {
            "certificatePem": "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
            "subscriptions": []
        }})),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let store = CredentialStore::new(dir.path());
    let err = store.identity(&lg.api("c")).await.unwrap_err();
    assert!(matches!(err, CredentialError::NoSubscription), "{err:?}");

    let refusing = FakeLg::start(|_| Reply::error(401, "1103", "Invalid token")).await;
    let err = store.identity(&refusing.api("c")).await.unwrap_err();
    assert!(
        matches!(&err, CredentialError::Api(e) if e.is_auth_failure()),
        "{err:?}"
    );
    // Nothing half-written is left behind.
    assert!(!dir.path().join("thinq-mqtt-identity.json").exists());
}
