//! The mutual-TLS MQTT session with LG's AWS IoT Core broker.
//!
//! One task owns the rumqttc event loop: it connects with the certificate LG issued,
//! subscribes on every ConnAck to every topic LG named (live answers list more than one; AWS
//! may have dropped the session), turns each publish into a [`PushEvent`], and reconnects with
//! a jittered, doubling [`Backoff`] that is reset only after a session stayed up a while — a
//! broker that drops us right after accepting us (another client with our id) is reported as
//! [`PushEvent::Kicked`] and not fought once a second. A refused SUBACK is asked again with
//! back-off rather than leaving a connected but deaf session. A TLS refusal of our
//! certificate ends the task with [`PushEvent::CertificateRejected`]: retrying with the same
//! certificate cannot succeed, and the caller has to get a new one.
//!
//! rumqttc sits behind this module only, so swapping the MQTT client later stays local
//! (`reference/rust-stack.md` §5).

use std::sync::Arc;
use std::time::Duration;

use rumqttc::{
    AsyncClient, ConnectionError, Event, Incoming, MqttOptions, Outgoing, TlsConfiguration,
    Transport,
};
use rustls::AlertDescription;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, TrustAnchor};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::credentials::MqttIdentity;
use super::message::PushMessage;
use super::push_topics::TopicSubscriptions;
pub use super::push_topics::jittered;
use crate::mqtt::send_unless_stopped;

/// Environment variable naming a PEM file to trust instead of Amazon Root CA 1 (tests, sim).
pub const ROOT_CA_ENV: &str = "THINQ_ROOT_CA";

/// How long shutdown waits for the DISCONNECT packet to leave.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Largest MQTT packet accepted; LG's status reports are small but a full report of a big
/// appliance exceeds rumqttc's 10 KiB default.
const MAX_PACKET_SIZE: usize = 256 * 1024;

/// ALPN protocol AWS IoT wants for MQTT on port 443.
const AWS_IOT_ALPN: &[u8] = b"x-amzn-mqtt-ca";

/// Which certificate authority the broker's certificate must chain to.
#[derive(Debug, Clone, PartialEq)]
pub enum RootCa {
    /// Amazon Root CA 1, the root of AWS IoT's ATS endpoints (the SDK downloads exactly this
    /// one), taken from the bundled webpki-roots so nothing is downloaded at run time.
    AmazonRootCa1,
    /// One or more PEM certificates (the simulator's CA in tests).
    Pem(Vec<u8>),
}

/// Why the push session could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("reading the root CA {path}: {source}")]
    RootCaFile {
        path: String,
        source: std::io::Error,
    },
    #[error("the root CA PEM holds no usable certificate")]
    NoRootCertificate,
    #[error("Amazon Root CA 1 is missing from the bundled roots")]
    AmazonRootMissing,
    #[error("the client certificate PEM holds no certificate")]
    NoClientCertificate,
    #[error("the private key PEM does not parse: {0}")]
    PrivateKey(String),
    #[error("TLS setup: {0}")]
    Tls(#[from] rustls::Error),
    #[error("the MQTT client id is empty")]
    EmptyClientId,
}

impl RootCa {
    /// [`RootCa::Pem`] read from the file named by `THINQ_ROOT_CA` when set and non-empty,
    /// else [`RootCa::AmazonRootCa1`].
    pub fn from_env() -> Result<RootCa, PushError> {
        match std::env::var(ROOT_CA_ENV) {
            Ok(path) if !path.trim().is_empty() => {
                let path = path.trim().to_owned();
                std::fs::read(&path)
                    .map(RootCa::Pem)
                    .map_err(|source| PushError::RootCaFile { path, source })
            }
            _ => Ok(RootCa::AmazonRootCa1),
        }
    }

    /// The trust store for this choice.
    pub fn root_store(&self) -> Result<rustls::RootCertStore, PushError> {
        let mut store = rustls::RootCertStore::empty();
        match self {
            RootCa::AmazonRootCa1 => {
                store
                    .roots
                    .push(amazon_root_ca1().ok_or(PushError::AmazonRootMissing)?);
            }
            RootCa::Pem(pem) => {
                for cert in CertificateDer::pem_slice_iter(pem).flatten() {
                    // A certificate rustls cannot use as an anchor is skipped; none usable → error.
                    let _ = store.add(cert);
                }
                if store.is_empty() {
                    return Err(PushError::NoRootCertificate);
                }
            }
        }
        Ok(store)
    }
}

/// Amazon Root CA 1 from webpki-roots, found by its subject (`C=US, O=Amazon, CN=Amazon Root
/// CA 1`; the CN is the last attribute, so the DER subject ends with it).
fn amazon_root_ca1() -> Option<TrustAnchor<'static>> {
    webpki_roots::TLS_SERVER_ROOTS
        .iter()
        .find(|anchor| {
            let subject: &[u8] = anchor.subject.as_ref();
            subject.ends_with(b"Amazon Root CA 1") && subject.windows(6).any(|w| w == b"Amazon")
        })
        .cloned()
}

/// Where and as whom to connect.
#[derive(Debug, Clone)]
pub struct PushConfig {
    pub host: String,
    pub port: u16,
    pub root_ca: RootCa,
    pub identity: MqttIdentity,
    /// AWS IoT treats anything under 30 s as 30 s; the SDK asks for 6 s.
    pub keep_alive: Duration,
    pub backoff: Backoff,
}

/// Reconnect pacing. Doubling waits with jitter, reset only once a session has stayed up
/// for [`Backoff::stable_after`]: a broker that accepts us and drops us at once (another
/// client with our id, an overloaded broker) must not be hammered once a second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub first: Duration,
    pub longest: Duration,
    pub stable_after: Duration,
    /// A drop this soon after CONNACK counts as being kicked.
    pub kicked_within: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::from_secs(1),
            longest: Duration::from_secs(300),
            stable_after: Duration::from_secs(60),
            kicked_within: Duration::from_secs(10),
        }
    }
}

/// Drops right after CONNACK in a row before we say another client uses our id.
pub const KICKS_BEFORE_WARNING: u32 = 3;

/// What the push session reports to the bridge.
#[derive(Debug, Clone, PartialEq)]
pub enum PushEvent {
    /// Connected and subscribed to every topic: messages flow from now on. Sent again after
    /// every reconnect; messages sent while away may be lost, so refresh state via REST.
    Connected,
    /// The connection failed or dropped (also each failed reconnect attempt, and a refused
    /// subscription, which is retried); the task keeps retrying with backoff.
    Disconnected {
        reason: String,
    },
    /// The broker dropped us right after accepting us, `times` in a row: most likely another
    /// client (a second bridge, a restored backup) connects with our client id.
    Kicked {
        times: u32,
    },
    /// The broker accepted the connection but refused a subscription in its SUBACK (AWS IoT
    /// does when the certificate's policy does not allow the topic): connected but deaf. The
    /// task asks again with back-off; `Connected` follows once the broker accepts.
    SubscriptionRefused {
        reason: String,
    },
    Message(PushMessage),
    /// A payload on the topic that is not a push message we understand.
    Malformed {
        reason: String,
    },
    /// The broker refused our client certificate during the TLS handshake. The task has
    /// ended: forget the certificate, get a new identity and spawn again.
    CertificateRejected,
}

/// The rustls client configuration for LG's broker: ring, the chosen root, our certificate
/// and key, and ALPN `x-amzn-mqtt-ca` when connecting to port 443.
pub fn client_tls_config(
    root_ca: &RootCa,
    identity: &MqttIdentity,
    port: u16,
) -> Result<rustls::ClientConfig, PushError> {
    let roots = root_ca.root_store()?;
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(identity.certificate_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|_| PushError::NoClientCertificate)?;
    if chain.is_empty() {
        return Err(PushError::NoClientCertificate);
    }
    let key = PrivateKeyDer::from_pem_slice(identity.private_key_pem.expose().as_bytes())
        .map_err(|e| PushError::PrivateKey(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)?;
    if port == 443 {
        config.alpn_protocols = vec![AWS_IOT_ALPN.to_vec()];
    }
    Ok(config)
}

/// Starts the push session task. It ends on `shutdown` (after a clean DISCONNECT, at most
/// 2 s), when `events` is closed, after [`PushEvent::CertificateRejected`], or — after one
/// [`PushEvent::Disconnected`] naming the reason — when the configuration cannot work
/// (unreadable key or root CA, empty client id).
pub fn spawn(
    cfg: PushConfig,
    events: mpsc::Sender<PushEvent>,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        match mqtt_options(&cfg) {
            Ok(options) => {
                run(
                    options,
                    cfg.identity.topics.clone(),
                    cfg.backoff,
                    events,
                    shutdown,
                )
                .await
            }
            Err(e) => {
                tracing::error!("ThinQ push session cannot start: {e}");
                let _ = events
                    .send(PushEvent::Disconnected {
                        reason: e.to_string(),
                    })
                    .await;
            }
        }
    })
}

fn mqtt_options(cfg: &PushConfig) -> Result<MqttOptions, PushError> {
    if cfg.identity.client_id.trim().is_empty() {
        // rumqttc panics on an empty id with a persistent session.
        return Err(PushError::EmptyClientId);
    }
    let tls = client_tls_config(&cfg.root_ca, &cfg.identity, cfg.port)?;
    let mut options = MqttOptions::new(cfg.identity.client_id.clone(), cfg.host.clone(), cfg.port);
    options
        .set_keep_alive(cfg.keep_alive.max(Duration::from_secs(1)))
        .set_clean_session(false)
        .set_max_packet_size(MAX_PACKET_SIZE, MAX_PACKET_SIZE)
        .set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            Arc::new(tls),
        )));
    Ok(options)
}

async fn run(
    options: MqttOptions,
    topics: Vec<String>,
    pacing: Backoff,
    events: mpsc::Sender<PushEvent>,
    shutdown: CancellationToken,
) {
    let host = format!(
        "{}:{}",
        options.broker_address().0,
        options.broker_address().1
    );
    let (client, mut eventloop) = AsyncClient::new(options, 10);
    crate::mqtt::no_delay(&mut eventloop);
    let mut subscriptions = TopicSubscriptions::new(topics, pacing.first);
    let mut backoff = pacing.first;
    // `link_up`: the broker accepted the connection (a DISCONNECT is owed on shutdown).
    // `connected`: also subscribed, i.e. `PushEvent::Connected` was sent.
    let mut link_up = false;
    let mut connected = false;
    let mut connack_at: Option<tokio::time::Instant> = None;
    let mut kicks: u32 = 0;

    loop {
        let polled = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            polled = eventloop.poll() => polled,
        };
        let keep_going = match polled {
            Ok(Event::Incoming(Incoming::ConnAck(ack))) => {
                tracing::debug!(
                    session_present = ack.session_present,
                    "ThinQ push broker accepted the connection"
                );
                link_up = true;
                connack_at = Some(tokio::time::Instant::now());
                subscriptions.subscribe_all(&client);
                true
            }
            Ok(Event::Incoming(Incoming::SubAck(ack))) => {
                let refused = subscriptions.refused(&ack);
                if refused.is_empty() {
                    subscriptions.accepted();
                    if connected {
                        true
                    } else {
                        connected = true;
                        tracing::info!("ThinQ push session connected to {host}");
                        send_unless_stopped(&events, &shutdown, PushEvent::Connected).await
                    }
                } else {
                    let wait = subscriptions.retry_later(&client, &shutdown);
                    connected = false;
                    let reason = format!(
                        "LG's push broker refused the subscription to {}; asking again in {wait:?}",
                        refused.join(", ")
                    );
                    tracing::warn!("{reason}");
                    send_unless_stopped(
                        &events,
                        &shutdown,
                        PushEvent::SubscriptionRefused { reason },
                    )
                    .await
                }
            }
            Ok(Event::Incoming(Incoming::Publish(publish))) => {
                let event = match PushMessage::parse(&publish.payload) {
                    Ok(message) => PushEvent::Message(message),
                    Err(e) => {
                        tracing::debug!(topic = %publish.topic, "not a push message: {e}");
                        PushEvent::Malformed {
                            reason: e.to_string(),
                        }
                    }
                };
                send_unless_stopped(&events, &shutdown, event).await
            }
            Ok(_) => true,
            Err(error) => {
                if certificate_rejected(&error) {
                    tracing::error!(
                        "the ThinQ push broker rejected our client certificate: {error}"
                    );
                    let _ = send_unless_stopped(&events, &shutdown, PushEvent::CertificateRejected)
                        .await;
                    return;
                }
                let reason = error.to_string();
                // How long the session lasted decides the next wait.
                if let Some(at) = connack_at.take() {
                    let lasted = at.elapsed();
                    if lasted >= pacing.stable_after {
                        backoff = pacing.first;
                        kicks = 0;
                    } else if lasted <= pacing.kicked_within {
                        kicks += 1;
                        if kicks == KICKS_BEFORE_WARNING
                            && !send_unless_stopped(
                                &events,
                                &shutdown,
                                PushEvent::Kicked { times: kicks },
                            )
                            .await
                        {
                            return;
                        }
                    }
                }
                if connected {
                    tracing::warn!("ThinQ push session lost: {reason}; reconnecting");
                } else {
                    tracing::debug!(
                        "ThinQ push connection attempt failed: {reason}; next in about {backoff:?}"
                    );
                }
                connected = false;
                link_up = false;
                if !send_unless_stopped(&events, &shutdown, PushEvent::Disconnected { reason })
                    .await
                {
                    return;
                }
                tokio::select! {
                    biased;
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(jittered(backoff)) => {}
                }
                backoff = (backoff * 2).min(pacing.longest);
                true
            }
        };
        if !keep_going {
            break;
        }
    }

    disconnect(&client, &mut eventloop, link_up).await;
}

/// Sends DISCONNECT and polls until it has left, so the broker sees a clean goodbye instead
/// of an "unexpected EOF". Bounded, since the broker may be gone already.
async fn disconnect(client: &AsyncClient, eventloop: &mut rumqttc::EventLoop, link_up: bool) {
    if !link_up || client.try_disconnect().is_err() {
        return;
    }
    let sent = tokio::time::timeout(DISCONNECT_TIMEOUT, async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Outgoing(Outgoing::Disconnect)) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    })
    .await;
    match sent {
        Ok(true) => tracing::info!("ThinQ push session disconnected"),
        _ => tracing::debug!("ThinQ push session closed without a clean DISCONNECT"),
    }
}

/// Whether the error is the broker refusing our certificate in the TLS handshake.
///
/// Under TLS 1.3 the server checks the client certificate after the client has finished its
/// side of the handshake, so the alert can surface on the first read (waiting for CONNACK)
/// rather than in the connect call; both places are searched. The alert is wrapped in an
/// `io::Error`, whose `source()` skips the inner error, so `get_ref()` is used as well.
fn certificate_rejected(error: &ConnectionError) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return is_certificate_alert(tls);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(tls) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return is_certificate_alert(tls);
        }
        current = e.source();
    }
    false
}

fn is_certificate_alert(error: &rustls::Error) -> bool {
    matches!(
        error,
        rustls::Error::AlertReceived(
            AlertDescription::BadCertificate
                | AlertDescription::UnsupportedCertificate
                | AlertDescription::CertificateRevoked
                | AlertDescription::CertificateExpired
                | AlertDescription::CertificateUnknown
                | AlertDescription::UnknownCA
                | AlertDescription::CertificateRequired
                | AlertDescription::AccessDenied
                | AlertDescription::DecryptError
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amazon_root_ca1_is_bundled_exactly_once() {
        let matches = webpki_roots::TLS_SERVER_ROOTS
            .iter()
            .filter(|a| AsRef::<[u8]>::as_ref(&a.subject).ends_with(b"Amazon Root CA 1"))
            .count();
        assert_eq!(matches, 1);
        assert_eq!(RootCa::AmazonRootCa1.root_store().unwrap().len(), 1);
    }

    #[test]
    fn pem_root_without_certificates_is_an_error() {
        assert!(matches!(
            RootCa::Pem(b"not a pem".to_vec()).root_store(),
            Err(PushError::NoRootCertificate)
        ));
    }

    #[test]
    fn certificate_alerts_are_recognised_and_others_are_not() {
        let wrap = |e: rustls::Error| {
            ConnectionError::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        };
        assert!(certificate_rejected(&wrap(rustls::Error::AlertReceived(
            AlertDescription::UnknownCA
        ))));
        assert!(certificate_rejected(&ConnectionError::Tls(
            rumqttc::TlsError::TLS(rustls::Error::AlertReceived(
                AlertDescription::BadCertificate
            ))
        )));
        // Our own refusal of the *server's* certificate is not a rejection of ours.
        assert!(!certificate_rejected(&wrap(
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
        )));
        assert!(!certificate_rejected(&ConnectionError::NetworkTimeout));
        assert!(!certificate_rejected(&ConnectionError::Io(
            std::io::Error::from(std::io::ErrorKind::ConnectionRefused)
        )));
    }
}
