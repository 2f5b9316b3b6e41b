//! Publishing the cloud's pushes to the broker that stands in for AWS IoT Core.
//!
//! The simulator connects like any other party would: MQTT over mutual TLS with its own
//! client certificate (CN `thinq-sim`, signed by the test CA), publishing at QoS 1 on each
//! client's topic. A copy of every push is also kept, so tests without a broker can still
//! see what was sent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use rumqttc::{
    AsyncClient, Event, EventLoop, MqttOptions, Outgoing, QoS, TlsConfiguration, Transport,
};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::PushBroker;
use super::ca::TestCa;
use super::cloud::push_topic;

/// Pause between connection attempts when the broker cannot be reached.
const RECONNECT_PAUSE: Duration = Duration::from_millis(250);
/// How long a shutdown waits for the DISCONNECT to go out.
const DISCONNECT_GRACE: Duration = Duration::from_secs(2);
/// Pushes queued while the broker is away; more than this and new ones are dropped, as a
/// cloud would drop pushes for an unreachable client.
const QUEUE_CAPACITY: usize = 4096;
/// Largest packet either way: whole states of big appliances fit comfortably.
const MAX_PACKET: usize = 1024 * 1024;

/// One push the simulator sent.
#[derive(Debug, Clone, PartialEq)]
pub struct SentPush {
    pub client_id: String,
    pub topic: String,
    pub payload: Vec<u8>,
}

impl SentPush {
    /// The payload as JSON (`None` for malformed injections).
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.payload).ok()
    }
}

/// The simulator's MQTT publisher.
pub struct Publisher {
    client: Option<AsyncClient>,
    sent: Mutex<Vec<SentPush>>,
}

impl Publisher {
    /// Connects to `broker` (when given) in the background; publishing starts as soon as
    /// the connection is up and queued pushes follow in order.
    pub fn start(
        broker: Option<&PushBroker>,
        ca: &TestCa,
        cancel: CancellationToken,
        tracker: &TaskTracker,
    ) -> anyhow::Result<Publisher> {
        let Some(broker) = broker else {
            return Ok(Publisher {
                client: None,
                sent: Mutex::new(Vec::new()),
            });
        };
        let tls = tls_config(ca).context("building the simulator's TLS client config")?;
        let client_id = format!("thinq-sim-{}", uuid::Uuid::new_v4().simple());
        let mut options = MqttOptions::new(client_id, broker.host.clone(), broker.port);
        options
            .set_keep_alive(Duration::from_secs(30))
            .set_clean_session(true)
            .set_max_packet_size(MAX_PACKET, MAX_PACKET)
            .set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(tls)));
        let (client, eventloop) = AsyncClient::new(options, QUEUE_CAPACITY);
        tracker.spawn(drive(eventloop, client.clone(), cancel));
        Ok(Publisher {
            client: Some(client),
            sent: Mutex::new(Vec::new()),
        })
    }

    /// Publishes `payload` on the client's topic at QoS 1 (and records it).
    pub fn publish(&self, client_id: &str, payload: Vec<u8>) {
        let topic = push_topic(client_id);
        if let Some(client) = &self.client
            && let Err(err) =
                client.try_publish(topic.clone(), QoS::AtLeastOnce, false, payload.clone())
        {
            tracing::warn!(%err, client_id, "simulator dropped a push");
        }
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(SentPush {
                client_id: client_id.to_owned(),
                topic,
                payload,
            });
        }
    }

    pub fn sent(&self) -> Vec<SentPush> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Polls the event loop until cancelled, reconnecting after errors, then disconnects
/// cleanly.
async fn drive(mut eventloop: EventLoop, client: AsyncClient, cancel: CancellationToken) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            event = eventloop.poll() => {
                if let Err(err) = event {
                    tracing::debug!(%err, "simulator push connection");
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(RECONNECT_PAUSE) => {}
                    }
                }
            }
        }
    }
    if client.try_disconnect().is_ok() {
        let _ = tokio::time::timeout(DISCONNECT_GRACE, async {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Outgoing(Outgoing::Disconnect)) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        })
        .await;
    }
}

/// rustls client config: trust the test CA, present a `thinq-sim` certificate it signed.
fn tls_config(ca: &TestCa) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let (cert_pem, key_pem) = ca.client_cert("thinq-sim")?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca.ca_pem().as_bytes()) {
        roots.add(cert?)?;
    }
    let chain =
        CertificateDer::pem_slice_iter(cert_pem.as_bytes()).collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)?;
    Ok(Arc::new(config))
}
