//! Interoperability with Mosquitto's own client (`mosquitto_sub`).

use thinq_addon::demo::broker::BrokerConfig;
use thinq_addon::sim::TestCa;

use crate::clients::*;
use crate::mosquitto::tool;
use crate::tls::broker_tls;

/// Runs `mosquitto_sub` with `args`, waiting for one message (`-C 1`, at most 10 s).
async fn mosquitto_sub(args: Vec<String>) -> String {
    tokio::task::spawn_blocking(move || {
        let output = std::process::Command::new(tool("mosquitto_sub"))
            .args(["-C", "1", "-W", "10", "-v"])
            .args(&args)
            .output()
            .expect("run mosquitto_sub");
        assert!(
            output.status.success(),
            "mosquitto_sub failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn mosquitto_sub_receives_retained_messages_over_plain_and_mutual_tls() {
    let ca = TestCa::generate().unwrap();
    let broker = start(BrokerConfig {
        plain: Some(loopback()),
        tls: Some((loopback(), broker_tls(&ca))),
    })
    .await;
    let port = broker.plain_port();
    let tls_port = broker.broker.tls_addr().unwrap().port();
    let mut publisher = TestClient::connect(plain_options("retainer", port)).await;
    publisher
        .publish_acked(
            "homeassistant/sensor/washer/config",
            b"{\"name\":\"Washer\"}",
            true,
        )
        .await;

    for version in ["mqttv311", "mqttv31"] {
        let out = mosquitto_sub(
            [
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-V",
                version,
                "-t",
                "homeassistant/#",
            ]
            .map(String::from)
            .to_vec(),
        )
        .await;
        assert_eq!(
            out.trim_end(),
            "homeassistant/sensor/washer/config {\"name\":\"Washer\"}",
            "protocol {version}"
        );
    }

    // MQTT 5 is refused with a clear reason rather than misparsed.
    let refused = tokio::task::spawn_blocking(move || {
        std::process::Command::new(tool("mosquitto_sub"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-V",
                "mqttv5",
                "-t",
                "x",
            ])
            .args(["-C", "1", "-W", "10"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!refused.status.success());

    // Over mutual TLS with a device certificate from the CA.
    let dir = tempfile::tempdir().unwrap();
    let (cert_pem, key_pem) = ca.client_cert("device").unwrap();
    let ca_path = dir.path().join("ca.pem");
    let cert_path = dir.path().join("device.pem");
    let key_path = dir.path().join("device.key");
    std::fs::write(&ca_path, ca.ca_pem()).unwrap();
    std::fs::write(&cert_path, cert_pem).unwrap();
    std::fs::write(&key_path, key_pem).unwrap();
    let out = mosquitto_sub(vec![
        "-h".into(),
        "127.0.0.1".into(),
        "-p".into(),
        tls_port.to_string(),
        "--cafile".into(),
        ca_path.display().to_string(),
        "--cert".into(),
        cert_path.display().to_string(),
        "--key".into(),
        key_path.display().to_string(),
        "-t".into(),
        "homeassistant/#".into(),
    ])
    .await;
    assert!(out.starts_with("homeassistant/sensor/washer/config "));
}
