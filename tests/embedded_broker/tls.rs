//! Mutual TLS: who the broker admits, and what TLS material it refuses to start with.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rumqttc::{MqttOptions, QoS, TlsConfiguration, Transport};
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use thinq_addon::demo::broker::{BrokerConfig, BrokerTls, EmbeddedBroker};
use thinq_addon::sim::TestCa;
use tokio_util::sync::CancellationToken;

use crate::clients::*;

/// The broker's TLS material, issued by the one test CA the simulator also uses.
pub(crate) fn broker_tls(ca: &TestCa) -> BrokerTls {
    let (server_cert_pem, server_key_pem) = ca.server_cert(&["127.0.0.1", "localhost"]).unwrap();
    BrokerTls {
        ca_pem: ca.ca_pem(),
        server_cert_pem,
        server_key_pem,
    }
}

fn tls_options(
    id: &str,
    addr: SocketAddr,
    ca_pem: &str,
    client_auth: Option<&(String, String)>,
) -> MqttOptions {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let config = match client_auth {
        Some((cert_pem, key_pem)) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(cert_pem.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap(),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    let mut options = MqttOptions::new(id, "127.0.0.1", addr.port());
    options.set_keep_alive(Duration::from_secs(30));
    options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
        Arc::new(config),
    )));
    options
}

#[tokio::test]
async fn mutual_tls_admits_only_clients_with_a_certificate_from_the_ca() {
    let ca = TestCa::generate().unwrap();
    let broker = start(BrokerConfig {
        plain: None,
        tls: Some((loopback(), broker_tls(&ca))),
    })
    .await;
    let addr = broker.broker.tls_addr().expect("tls listener");
    assert!(broker.broker.plain_addr().is_none());

    let device_cert = ca.client_cert("device").unwrap();
    let mut good =
        TestClient::connect(tls_options("good", addr, &ca.ca_pem(), Some(&device_cert))).await;
    good.subscribe("app/clients/+/push", QoS::AtLeastOnce).await;
    good.publish_acked(
        "app/clients/me/push",
        b"{\"pushType\":\"DEVICE_STATUS\"}",
        false,
    )
    .await;
    assert_eq!(good.next_publish().await.topic, "app/clients/me/push");

    let without_cert = TestClient::try_connect(tls_options("anon", addr, &ca.ca_pem(), None)).await;
    assert!(
        without_cert.is_err(),
        "a client without a certificate must be refused"
    );

    let stranger = TestCa::generate().unwrap();
    let foreign_cert = stranger.client_cert("device").unwrap();
    let foreign = TestClient::try_connect(tls_options(
        "foreign",
        addr,
        &ca.ca_pem(),
        Some(&foreign_cert),
    ))
    .await;
    assert!(
        foreign.is_err(),
        "a certificate from another CA must be refused"
    );

    // The refusals did not disturb the admitted client.
    good.publish_acked("app/clients/me/push", b"still here", false)
        .await;
    assert_eq!(good.next_publish().await.payload, "still here");
}

#[tokio::test]
async fn start_rejects_unusable_tls_material() {
    let ca = TestCa::generate().unwrap();
    let mut tls = broker_tls(&ca);
    tls.ca_pem = "not a certificate".into();
    let result = EmbeddedBroker::start(
        BrokerConfig {
            plain: None,
            tls: Some((loopback(), tls)),
        },
        CancellationToken::new(),
    )
    .await;
    assert!(result.is_err());
}
