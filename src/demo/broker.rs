//! A small MQTT 3.1.1 broker inside the binary, so `thinq-addon demo` runs on a machine that
//! has nothing but this program — no Mosquitto.
//!
//! It serves two listeners: a plain TCP one for the Home Assistant side (any client; it is
//! the demo's own loopback broker), and a TLS one that *requires* a client certificate issued
//! by a given CA, standing in for LG's AWS IoT Core endpoint. The demo and the pipeline bench
//! are its only users, and it carries only what they and the clients a user may point at the
//! demo (Home Assistant, `mosquitto_sub`) need.
//!
//! Why ours and not `rumqttd` 0.20: it would add a second rustls (0.22, through
//! tokio-rustls 0.25) next to ours, axum, a metrics exporter and the `config` crate, and it
//! reads its TLS material only from files, while the demo makes its CA in memory. Its use of
//! `rustls-pemfile` is no argument either way: rumqttc, which the add-on needs anyway, already
//! pulls that crate in. Parsing is rumqttc's wire codec; TLS is the tokio-rustls rumqttc uses.
//! It exists only with the `demo` cargo feature, so the add-on image does not carry it.
//!
//! What it does: CONNECT (protocol level 4, and 3 "MQIsdp"; level 5 gets "unacceptable
//! protocol version"), SUBSCRIBE/UNSUBSCRIBE with `+`/`#`, PUBLISH at QoS 0/1/2 inbound
//! (QoS 2 is answered with PUBREC/PUBCOMP; subscriptions are granted at most QoS 1), retained
//! messages, last wills, keep-alive (1.5×), takeover of a duplicate client id. It keeps no
//! state across connections: CONNACK always says "no session present".
//!
//! Bounds, so a misbehaving peer cannot take the demo down: incoming packets up to
//! [`MAX_PACKET_SIZE`], a bounded queue per client (a client that does not keep up is
//! disconnected), a connection cap, timeouts for the TLS handshake and the first CONNECT, and
//! no panics on malformed bytes (every read of network data is checked).
//!
//! The parts, each in its own file below `broker/`: `listener.rs` accepts TCP and mutual-TLS
//! connections under the connection cap; `connection.rs` runs one connection's packet loop
//! (keep-alive, writes, takeover, the will on an unclean end); `session.rs` is what a
//! connected client's packets do (publish, subscribe, acknowledgements); `connect.rs` reads
//! and judges the first packet; `router.rs` is the state all connections share.

mod connect;
mod connection;
mod listener;
mod router;
mod session;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use listener::{Access, listen, tls_acceptor};
use router::Router;

/// Largest incoming packet (remaining length) accepted; a larger one closes the connection.
pub const MAX_PACKET_SIZE: usize = 1024 * 1024;
/// Messages that may wait for one slow subscriber before it is disconnected.
pub const OUTGOING_QUEUE_LEN: usize = 1024;
/// Simultaneous connections over both listeners; more are closed right after accept.
pub const MAX_CONNECTIONS: usize = 256;
/// Time a peer gets to finish the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a peer gets, after connecting, to send its CONNECT.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Queued messages written in one go before the socket is flushed.
const WRITE_BATCH: usize = 64;

/// PEM material for the mutual-TLS listener.
#[derive(Clone)]
pub struct BrokerTls {
    /// The CA that must have issued every client certificate.
    pub ca_pem: String,
    /// The broker's certificate chain, leaf first.
    pub server_cert_pem: String,
    /// The broker's private key (PKCS#8, SEC1 or PKCS#1).
    pub server_key_pem: String,
}

impl std::fmt::Debug for BrokerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerTls")
            .field("ca_pem", &format_args!("{} bytes", self.ca_pem.len()))
            .field(
                "server_cert_pem",
                &format_args!("{} bytes", self.server_cert_pem.len()),
            )
            .field("server_key_pem", &"***")
            .finish()
    }
}

/// Which listeners to open. Port 0 picks a free port; see [`EmbeddedBroker::plain_addr`].
#[derive(Debug, Clone, Default)]
pub struct BrokerConfig {
    /// Plain MQTT over TCP (the Home Assistant side).
    pub plain: Option<SocketAddr>,
    /// MQTT over TLS with required client certificates (the "AWS IoT" side).
    pub tls: Option<(SocketAddr, BrokerTls)>,
}

/// Why the broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("unreadable PEM for {what}: {source}")]
    Pem {
        what: &'static str,
        source: rustls_pki_types::pem::Error,
    },
    #[error("no certificate found in the PEM for {0}")]
    NoCertificate(&'static str),
    #[error("client certificate verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
}

/// A running embedded broker. It runs until the shutdown token given to
/// [`EmbeddedBroker::start`] is cancelled; dropping this handle does not stop it.
///
/// Both listeners of one broker share one topic space (like one Mosquitto with two
/// listeners). To keep the Home Assistant side and the "AWS IoT" side apart, start two
/// brokers, one with only `plain` and one with only `tls`.
#[derive(Debug)]
pub struct EmbeddedBroker {
    plain_addr: Option<SocketAddr>,
    tls_addr: Option<SocketAddr>,
}

impl EmbeddedBroker {
    /// Binds the configured listeners and serves them in background tasks. The plain listener
    /// accepts any client (user name and password are read and ignored): it listens on
    /// loopback for the demo's own bridge and whoever the user points at it; the TLS listener
    /// authenticates by client certificate.
    pub async fn start(
        cfg: BrokerConfig,
        shutdown: CancellationToken,
    ) -> anyhow::Result<EmbeddedBroker> {
        // Build the TLS config before binding anything, so bad PEM leaves no listener behind.
        let tls = match cfg.tls {
            Some((addr, material)) => Some((addr, tls_acceptor(&material)?)),
            None => None,
        };
        let shared = Arc::new(Shared {
            router: Mutex::new(Router::default()),
            connections: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
            shutdown,
        });

        let plain_addr = match cfg.plain {
            Some(addr) => Some(listen(addr, Access::Plain, Arc::clone(&shared)).await?),
            None => None,
        };
        let tls_addr = match tls {
            Some((addr, acceptor)) => Some(listen(addr, Access::Tls(acceptor), shared).await?),
            None => None,
        };
        Ok(EmbeddedBroker {
            plain_addr,
            tls_addr,
        })
    }

    /// The address the plain listener is bound to (the real port when 0 was asked for).
    pub fn plain_addr(&self) -> Option<SocketAddr> {
        self.plain_addr
    }

    /// The address the mutual-TLS listener is bound to.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }
}

/// State every connection task shares.
struct Shared {
    router: Mutex<Router>,
    connections: Arc<Semaphore>,
    shutdown: CancellationToken,
}

impl Shared {
    /// The router lock. A panic elsewhere must not wedge the broker, so poisoning is ignored:
    /// router methods leave the maps consistent at every step.
    fn router(&self) -> MutexGuard<'_, Router> {
        self.router.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
