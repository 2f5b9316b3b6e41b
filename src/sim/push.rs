//! Publishing the cloud's pushes to the broker that stands in for AWS IoT Core.
//!
//! The simulator connects like any other party would: MQTT over mutual TLS with its own
//! client certificate (CN `thinq-sim`, signed by the test CA), publishing at QoS 1 on each
//! client's topic. A copy of every push is also kept, so tests without a broker can still
//! see what was sent.
//!
//! What happens to a push nobody can take, as on LG's side:
//! * the simulator's own link to the broker is down (the broker stopped or restarted): the
//!   push is **lost**, not queued for later — LG's cloud does not replay what AWS IoT could
//!   not take, and a bridge must re-read states after it reconnects. Only pushes made before
//!   the link first comes up wait for it (the cloud's start, not an outage).
//! * the link is up but the bridge is not connected: the push goes to the broker, and the
//!   broker decides. Mosquitto, like AWS IoT Core, keeps QoS 1 messages for a client whose
//!   *persistent* session (clean session false, as the SDK connects) subscribed earlier and
//!   delivers them when it comes back; for anyone else, or after a broker restart without
//!   persistence (the test brokers), they are gone. The simulator adds no queue of its own.

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
    /// The simulator's link to the broker was down, so nobody received this push.
    pub lost: bool,
}

impl SentPush {
    /// The payload as JSON (`None` for malformed injections).
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.payload).ok()
    }
}

/// Where the simulator's link to the broker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkState {
    /// Not connected yet since the start: pushes wait for the first connection.
    Starting,
    Up,
    /// Lost after having been up: pushes are dropped until the next CONNACK.
    Down,
}

/// The current MQTT client (replaced after each lost connection, so nothing queued in a
/// dead one is sent later) and the state of its link.
struct Link {
    state: LinkState,
    client: AsyncClient,
}

/// The simulator's MQTT publisher.
pub struct Publisher {
    link: Option<Arc<Mutex<Link>>>,
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
                link: None,
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
        let (client, eventloop) = AsyncClient::new(options.clone(), QUEUE_CAPACITY);
        let link = Arc::new(Mutex::new(Link {
            state: LinkState::Starting,
            client,
        }));
        tracker.spawn(drive(eventloop, options, link.clone(), cancel));
        Ok(Publisher {
            link: Some(link),
            sent: Mutex::new(Vec::new()),
        })
    }

    /// Publishes `payload` on `topic` at QoS 1 (and records it); lost while the link is
    /// down (see the module documentation).
    pub fn publish(&self, client_id: &str, topic: String, payload: Vec<u8>) {
        let mut lost = false;
        if let Some(link) = &self.link {
            let link = lock(link);
            if link.state == LinkState::Down {
                lost = true;
            } else if let Err(err) =
                link.client
                    .try_publish(topic.clone(), QoS::AtLeastOnce, false, payload.clone())
            {
                lost = true;
                tracing::warn!(%err, client_id, "simulator dropped a push");
            }
        }
        if lost {
            tracing::debug!(client_id, %topic, "push lost: the simulator's broker link is down");
        }
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(SentPush {
                client_id: client_id.to_owned(),
                topic,
                payload,
                lost,
            });
        }
    }

    /// Whether the link to the broker is up (always false without a broker).
    pub fn is_connected(&self) -> bool {
        self.link
            .as_ref()
            .is_some_and(|link| lock(link).state == LinkState::Up)
    }

    pub fn sent(&self) -> Vec<SentPush> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

fn lock(link: &Mutex<Link>) -> std::sync::MutexGuard<'_, Link> {
    link.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Polls the event loop until cancelled, reconnecting after errors, then disconnects
/// cleanly. A connection lost after it was up gets a fresh client and event loop, so what
/// was queued in the old one is dropped rather than replayed after the reconnect.
async fn drive(
    mut eventloop: EventLoop,
    options: MqttOptions,
    link: Arc<Mutex<Link>>,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            event = eventloop.poll() => match event {
                Ok(Event::Incoming(rumqttc::Packet::ConnAck(_))) => {
                    lock(&link).state = LinkState::Up;
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::debug!(%err, "simulator push connection");
                    {
                        let mut link = lock(&link);
                        if link.state == LinkState::Up {
                            let (client, fresh) =
                                AsyncClient::new(options.clone(), QUEUE_CAPACITY);
                            link.client = client;
                            link.state = LinkState::Down;
                            eventloop = fresh;
                        }
                    }
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(RECONNECT_PAUSE) => {}
                    }
                }
            }
        }
    }
    let client = lock(&link).client.clone();
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
