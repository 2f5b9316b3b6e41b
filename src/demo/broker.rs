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

mod router;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use rumqttc::mqttbytes::v4::{
    ConnAck, ConnectReturnCode, LastWill, Packet, PubAck, PubComp, PubRec, Publish, SubAck,
    SubscribeReasonCode, UnsubAck,
};
use rumqttc::mqttbytes::{self, PacketType, QoS};
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use router::{ConnectionId, Outgoing, Router};

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

        let mut plain_addr = None;
        if let Some(addr) = cfg.plain {
            let listener = bind(addr).await?;
            let bound = listener
                .local_addr()
                .map_err(|source| BrokerError::Bind { addr, source })?;
            plain_addr = Some(bound);
            tracing::info!(%bound, "embedded MQTT broker listening (plain)");
            let access = Access::Plain;
            tokio::spawn(accept_loop(listener, access, Arc::clone(&shared)));
        }
        let mut tls_addr = None;
        if let Some((addr, acceptor)) = tls {
            let listener = bind(addr).await?;
            let bound = listener
                .local_addr()
                .map_err(|source| BrokerError::Bind { addr, source })?;
            tls_addr = Some(bound);
            tracing::info!(%bound, "embedded MQTT broker listening (mutual TLS)");
            tokio::spawn(accept_loop(listener, Access::Tls(acceptor), shared));
        }
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

/// How a listener admits clients.
#[derive(Clone)]
enum Access {
    Plain,
    Tls(TlsAcceptor),
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, BrokerError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| BrokerError::Bind { addr, source })
}

/// A rustls server config that requires a client certificate chaining to `tls.ca_pem`.
fn tls_acceptor(tls: &BrokerTls) -> Result<TlsAcceptor, BrokerError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(tls.ca_pem.as_bytes()) {
        let cert = cert.map_err(|source| BrokerError::Pem {
            what: "the client CA",
            source,
        })?;
        roots.add(cert)?;
    }
    if roots.is_empty() {
        return Err(BrokerError::NoCertificate("the client CA"));
    }
    // The builder requires authentication unless told otherwise: a client without a
    // certificate fails the handshake.
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
            .build()?;
    let chain = CertificateDer::pem_slice_iter(tls.server_cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| BrokerError::Pem {
            what: "the server certificate",
            source,
        })?;
    if chain.is_empty() {
        return Err(BrokerError::NoCertificate("the server certificate"));
    }
    let key = PrivateKeyDer::from_pem_slice(tls.server_key_pem.as_bytes()).map_err(|source| {
        BrokerError::Pem {
            what: "the server key",
            source,
        }
    })?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts connections until shutdown; each one is served by its own task.
async fn accept_loop(listener: TcpListener, access: Access, shared: Arc<Shared>) {
    loop {
        let accepted = tokio::select! {
            () = shared.shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(pair) => pair,
            Err(error) => {
                // Typically out of file descriptors: pause instead of spinning.
                tracing::warn!(%error, "accepting an MQTT connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&shared.connections).try_acquire_owned() else {
            tracing::warn!(%peer, "too many MQTT connections: refusing one");
            continue;
        };
        // Small control packets (PUBACK, PINGRESP) should not wait for Nagle.
        let _ = tcp.set_nodelay(true);
        let access = access.clone();
        let shared = Arc::clone(&shared);
        let listener_kind = match access {
            Access::Plain => "plain",
            Access::Tls(_) => "tls",
        };
        let span = tracing::debug_span!("mqtt", %peer, listener = listener_kind);
        tokio::spawn(
            async move {
                let _permit = permit;
                serve_tcp(tcp, access, &shared).await;
            }
            .instrument(span),
        );
    }
}

async fn serve_tcp(tcp: TcpStream, access: Access, shared: &Shared) {
    match access {
        Access::Plain => serve(tcp, shared).await,
        Access::Tls(acceptor) => {
            let handshake = tokio::select! {
                () = shared.shutdown.cancelled() => return,
                handshake = timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)) => handshake,
            };
            match handshake {
                Ok(Ok(tls)) => serve(tls, shared).await,
                Ok(Err(error)) => tracing::info!(%error, "TLS handshake refused"),
                Err(_) => tracing::info!("TLS handshake timed out"),
            }
        }
    }
}

/// Why a connection ended; decides whether the client's will is published.
#[derive(Debug)]
enum Exit {
    /// The client sent DISCONNECT: the will is discarded (MQTT-3.14.4-3).
    Disconnected,
    /// The broker is shutting down: nobody is left to read a will.
    Shutdown,
    /// Everything else (EOF, I/O error, protocol error, keep-alive expiry, kicked).
    Unclean(&'static str),
}

impl Exit {
    fn reason(&self) -> &'static str {
        match self {
            Exit::Disconnected => "sent DISCONNECT",
            Exit::Shutdown => "broker shutting down",
            Exit::Unclean(reason) => reason,
        }
    }
}

/// Serves one MQTT connection over any byte stream (TCP or TLS).
async fn serve<S>(mut stream: S, shared: &Shared)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut inbuf = BytesMut::with_capacity(4096);
    let Some(request) = admit(&mut stream, &mut inbuf, shared).await else {
        return;
    };
    let client_id = request.client_id;
    let (queue, mut queued) = mpsc::channel(OUTGOING_QUEUE_LEN);
    let kick = shared.shutdown.child_token();
    let connection = shared
        .router()
        .connect(&client_id, queue, kick.clone(), request.will);
    tracing::info!(
        client_id = client_id.as_str(),
        keep_alive = request.keep_alive,
        "MQTT client connected"
    );

    let mut session = ClientSession {
        client_id: &client_id,
        connection,
        shared,
        next_packet_id: 0,
        awaiting_release: HashSet::new(),
        out: Vec::new(),
    };
    session.out.push(Packet::ConnAck(ConnAck::new(
        ConnectReturnCode::Success,
        false,
    )));

    // Keep-alive: the client must send something within 1.5 × its interval (MQTT-3.1.2-24).
    let keep_alive = (request.keep_alive > 0)
        .then(|| Duration::from_millis(u64::from(request.keep_alive) * 1500));
    let mut deadline = keep_alive.map(|interval| Instant::now() + interval);

    // Bytes behind the CONNECT may already hold more packets: a client may pipeline them
    // without waiting for the CONNACK, and no further read would wake us for them.
    let mut unparsed_input = true;
    let exit = loop {
        if unparsed_input {
            unparsed_input = false;
            match session.handle_buffered(&mut inbuf) {
                Ok(Flow::Continue) => {}
                Ok(Flow::Disconnect) => break Exit::Disconnected,
                Err(error) => {
                    tracing::info!(client_id = client_id.as_str(), %error, "protocol error: closing");
                    break Exit::Unclean("protocol error");
                }
            }
        }
        if !session.out.is_empty() {
            let packets = std::mem::take(&mut session.out);
            let written = tokio::select! {
                () = kick.cancelled() => break session.kicked(),
                written = write_packets(&mut stream, &packets) => written,
            };
            if let Err(error) = written {
                tracing::debug!(%error, "write failed");
                break Exit::Unclean("write failed");
            }
        }
        inbuf.reserve(4096);
        tokio::select! {
            () = kick.cancelled() => break session.kicked(),
            () = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                tracing::info!(client_id = client_id.as_str(), "keep-alive expired: closing");
                break Exit::Unclean("keep-alive expired");
            }
            read = stream.read_buf(&mut inbuf) => {
                match read {
                    Ok(0) => break Exit::Unclean("connection closed without DISCONNECT"),
                    Ok(_) => {}
                    Err(error) => {
                        tracing::debug!(%error, "read failed");
                        break Exit::Unclean("read failed");
                    }
                }
                deadline = keep_alive.map(|interval| Instant::now() + interval);
                unparsed_input = true;
            }
            message = queued.recv() => {
                // `None`: the router dropped our queue, i.e. another connection took over.
                let Some(message) = message else { break session.kicked() };
                session.push_outgoing(message);
                while session.out.len() < WRITE_BATCH {
                    let Ok(message) = queued.try_recv() else { break };
                    session.push_outgoing(message);
                }
            }
        }
    };

    let publish_will = matches!(exit, Exit::Unclean(_));
    shared
        .router()
        .disconnect(&client_id, connection, publish_will);
    tracing::info!(
        client_id = client_id.as_str(),
        reason = exit.reason(),
        will = publish_will,
        "MQTT client gone"
    );
}

/// Reads the CONNECT and decides on it. Refusals get their CONNACK here; `None` means the
/// connection is over.
async fn admit<S>(stream: &mut S, inbuf: &mut BytesMut, shared: &Shared) -> Option<ConnectRequest>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let first = tokio::select! {
        () = shared.shutdown.cancelled() => return None,
        first = timeout(CONNECT_TIMEOUT, read_connect(stream, inbuf)) => first,
    };
    let outcome = match first {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(error)) => {
            tracing::debug!(%error, "connection closed before a valid CONNECT");
            return None;
        }
        Err(_) => {
            tracing::debug!("no CONNECT in time: closing");
            return None;
        }
    };
    let mut request = match outcome {
        ConnectOutcome::Accept(request) => request,
        ConnectOutcome::Refuse(code) => return refuse(stream, code).await,
    };
    if request.client_id.is_empty() {
        // Allowed for clean sessions (MQTT-3.1.3-6); the broker names the client.
        request.client_id = format!("auto-{}", uuid::Uuid::new_v4());
    }
    Some(request)
}

/// Answers a CONNECT with a refusal; the connection is over after that.
async fn refuse<S>(stream: &mut S, code: ConnectReturnCode) -> Option<ConnectRequest>
where
    S: AsyncWrite + Unpin,
{
    tracing::info!(?code, "refusing MQTT connection");
    let _ = write_packets(stream, &[Packet::ConnAck(ConnAck::new(code, false))]).await;
    None
}

/// Whether the connection loop keeps going after a batch of packets.
enum Flow {
    Continue,
    Disconnect,
}

/// A protocol violation that closes the connection.
#[derive(Debug, thiserror::Error)]
enum ProtocolError {
    #[error("malformed packet: {0}")]
    Codec(#[from] mqttbytes::Error),
    #[error("a second CONNECT on the same connection")]
    SecondConnect,
    #[error("a packet only a server may send: {0:?}")]
    ServerOnlyPacket(PacketType),
    #[error("invalid topic name {0:?}")]
    InvalidTopic(String),
    #[error("the connection closed")]
    Closed,
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// One connected client, as seen by its connection task.
struct ClientSession<'a> {
    client_id: &'a str,
    connection: ConnectionId,
    shared: &'a Shared,
    /// Last packet id used for a QoS 1 delivery to this client.
    next_packet_id: u16,
    /// QoS 2 packet ids received but not yet released: a re-sent PUBLISH with one of these
    /// ids is not routed twice.
    awaiting_release: HashSet<u16>,
    /// Packets waiting to be written, in order.
    out: Vec<Packet>,
}

impl ClientSession<'_> {
    fn kicked(&self) -> Exit {
        if self.shared.shutdown.is_cancelled() {
            Exit::Shutdown
        } else {
            Exit::Unclean("closed by the broker (taken over or too slow)")
        }
    }

    /// Handles every complete packet in `inbuf`, leaving a trailing partial one there.
    fn handle_buffered(&mut self, inbuf: &mut BytesMut) -> Result<Flow, ProtocolError> {
        loop {
            let packet = match Packet::read(inbuf, MAX_PACKET_SIZE) {
                Ok(packet) => packet,
                Err(mqttbytes::Error::InsufficientBytes(_)) => return Ok(Flow::Continue),
                Err(error) => return Err(error.into()),
            };
            if let Flow::Disconnect = self.handle(packet)? {
                return Ok(Flow::Disconnect);
            }
        }
    }

    fn handle(&mut self, packet: Packet) -> Result<Flow, ProtocolError> {
        match packet {
            Packet::Publish(publish) => self.handle_publish(publish)?,
            Packet::PubRel(release) => {
                self.awaiting_release.remove(&release.pkid);
                self.out.push(Packet::PubComp(PubComp::new(release.pkid)));
            }
            // Acknowledgements of our QoS 1 deliveries: nothing is kept for redelivery.
            Packet::PubAck(_) | Packet::PubComp(_) | Packet::PubRec(_) => {}
            Packet::Subscribe(subscribe) => {
                let mut codes = Vec::with_capacity(subscribe.filters.len());
                let mut retained = Vec::new();
                for filter in subscribe.filters {
                    if !router::valid_filter(&filter.path) {
                        tracing::info!(filter = filter.path.as_str(), "invalid topic filter");
                        codes.push(SubscribeReasonCode::Failure);
                        continue;
                    }
                    // QoS 2 is granted as 1: outbound exactly-once is not implemented.
                    let granted = router::lower_qos(filter.qos, QoS::AtLeastOnce);
                    let accepted = self.shared.router().subscribe(
                        self.client_id,
                        self.connection,
                        &filter.path,
                        granted,
                    );
                    match accepted {
                        Some(matching) => {
                            retained.extend(matching);
                            codes.push(SubscribeReasonCode::Success(granted));
                        }
                        None => codes.push(SubscribeReasonCode::Failure),
                    }
                }
                self.out
                    .push(Packet::SubAck(SubAck::new(subscribe.pkid, codes)));
                for message in retained {
                    self.push_outgoing(message);
                }
            }
            Packet::Unsubscribe(unsubscribe) => {
                let mut router = self.shared.router();
                for filter in &unsubscribe.topics {
                    router.unsubscribe(self.client_id, self.connection, filter);
                }
                drop(router);
                self.out
                    .push(Packet::UnsubAck(UnsubAck::new(unsubscribe.pkid)));
            }
            Packet::PingReq => self.out.push(Packet::PingResp),
            Packet::Disconnect => return Ok(Flow::Disconnect),
            Packet::Connect(_) => return Err(ProtocolError::SecondConnect),
            Packet::ConnAck(_) => return Err(ProtocolError::ServerOnlyPacket(PacketType::ConnAck)),
            Packet::SubAck(_) => return Err(ProtocolError::ServerOnlyPacket(PacketType::SubAck)),
            Packet::UnsubAck(_) => {
                return Err(ProtocolError::ServerOnlyPacket(PacketType::UnsubAck));
            }
            Packet::PingResp => {
                return Err(ProtocolError::ServerOnlyPacket(PacketType::PingResp));
            }
        }
        Ok(Flow::Continue)
    }

    fn handle_publish(&mut self, publish: Publish) -> Result<(), ProtocolError> {
        if !router::valid_topic_name(&publish.topic) {
            return Err(ProtocolError::InvalidTopic(publish.topic));
        }
        let route = match publish.qos {
            QoS::AtMostOnce => true,
            QoS::AtLeastOnce => {
                self.out.push(Packet::PubAck(PubAck::new(publish.pkid)));
                true
            }
            QoS::ExactlyOnce => {
                self.out.push(Packet::PubRec(PubRec::new(publish.pkid)));
                self.awaiting_release.insert(publish.pkid)
            }
        };
        if route {
            self.shared.router().publish(
                &publish.topic,
                publish.payload,
                publish.qos,
                publish.retain,
            );
        }
        Ok(())
    }

    /// Queues a delivery, giving QoS 1 messages the next packet id (never 0).
    fn push_outgoing(&mut self, message: Outgoing) {
        let mut publish = Publish::from_bytes(message.topic, message.qos, message.payload);
        publish.retain = message.retain;
        if message.qos != QoS::AtMostOnce {
            self.next_packet_id = self.next_packet_id.checked_add(1).unwrap_or(1);
            publish.pkid = self.next_packet_id;
        }
        self.out.push(Packet::Publish(publish));
    }
}

/// Encodes `packets` and writes them in one go.
async fn write_packets<S>(stream: &mut S, packets: &[Packet]) -> Result<(), ProtocolError>
where
    S: AsyncWrite + Unpin,
{
    let mut buffer = BytesMut::new();
    for packet in packets {
        // Only fails for packets we built wrongly (e.g. a QoS 1 publish with id 0): skip it
        // rather than corrupt the stream.
        if let Err(error) = packet.write(&mut buffer, usize::MAX) {
            tracing::warn!(%error, "could not encode an outgoing packet");
        }
    }
    stream.write_all(&buffer).await?;
    stream.flush().await?;
    Ok(())
}

/// What a CONNECT asks for. User name and password are checked for form and then dropped.
struct ConnectRequest {
    client_id: String,
    keep_alive: u16,
    will: Option<LastWill>,
}

/// A well-formed CONNECT is either accepted or answered with a refusal code.
enum ConnectOutcome {
    Accept(ConnectRequest),
    Refuse(ConnectReturnCode),
}

/// Reads until one whole packet is buffered and parses it as CONNECT.
async fn read_connect<S>(
    stream: &mut S,
    inbuf: &mut BytesMut,
) -> Result<ConnectOutcome, ProtocolError>
where
    S: AsyncRead + Unpin,
{
    loop {
        match mqttbytes::check(inbuf.iter(), MAX_PACKET_SIZE) {
            Ok(header) => {
                let packet_type = header.packet_type()?;
                if packet_type != PacketType::Connect {
                    return Err(mqttbytes::Error::NotConnect(packet_type).into());
                }
                let frame = inbuf.split_to(header.frame_length()).freeze();
                return parse_connect(frame);
            }
            Err(mqttbytes::Error::InsufficientBytes(_)) => {}
            Err(error) => return Err(error.into()),
        }
        inbuf.reserve(1024);
        if stream.read_buf(inbuf).await? == 0 {
            return Err(ProtocolError::Closed);
        }
    }
}

/// Parses a whole CONNECT frame (fixed header included).
///
/// Parsed here instead of with `rumqttc`'s `Connect::read`, which knows only the "MQTT" name
/// and would misread an MQTT 5 CONNECT (it has properties) as 3.1.1.
fn parse_connect(mut frame: Bytes) -> Result<ConnectOutcome, ProtocolError> {
    use mqttbytes::Error::{IncorrectPacketFormat, InvalidProtocol, MalformedPacket};
    // Fixed header: one type byte, then a remaining length whose bytes have the high bit set
    // except the last one (`check` has validated it).
    let _type = take_u8(&mut frame)?;
    while take_u8(&mut frame)? & 0x80 != 0 {}

    let protocol_name = take_string(&mut frame)?;
    let level = take_u8(&mut frame)?;
    match (protocol_name.as_str(), level) {
        ("MQTT", 4) | ("MQIsdp", 3) => {}
        // MQTT 5 (or anything newer): the 3.1.1 answer is "unacceptable protocol version",
        // which MQTT 5 clients understand and fall back on.
        ("MQTT" | "MQIsdp", _) => {
            return Ok(ConnectOutcome::Refuse(
                ConnectReturnCode::RefusedProtocolVersion,
            ));
        }
        _ => return Err(InvalidProtocol.into()),
    }
    let flags = take_u8(&mut frame)?;
    if flags & 0b0000_0001 != 0 {
        return Err(IncorrectPacketFormat.into()); // reserved bit (MQTT-3.1.2-3)
    }
    let clean_session = flags & 0b0000_0010 != 0;
    let keep_alive = take_u16(&mut frame)?;
    let client_id = take_string(&mut frame)?;

    let will = if flags & 0b0000_0100 != 0 {
        let topic = take_string(&mut frame)?;
        let message = take_bytes(&mut frame)?;
        let qos = mqttbytes::qos((flags >> 3) & 0b11)?;
        if !router::valid_topic_name(&topic) {
            return Err(ProtocolError::InvalidTopic(topic));
        }
        Some(LastWill {
            topic,
            message,
            qos,
            retain: flags & 0b0010_0000 != 0,
        })
    } else if flags & 0b0011_1000 != 0 {
        return Err(IncorrectPacketFormat.into()); // will QoS/retain without a will
    } else {
        None
    };
    if flags & 0b1000_0000 != 0 {
        take_string(&mut frame)?; // user name
    }
    if flags & 0b0100_0000 != 0 {
        take_bytes(&mut frame)?; // password
    }
    if frame.has_remaining() {
        return Err(MalformedPacket.into());
    }
    if client_id.is_empty() && !clean_session {
        // A persistent session needs a name (MQTT-3.1.3-8).
        return Ok(ConnectOutcome::Refuse(ConnectReturnCode::BadClientId));
    }
    Ok(ConnectOutcome::Accept(ConnectRequest {
        client_id,
        keep_alive,
        will,
    }))
}

fn take_u8(bytes: &mut Bytes) -> Result<u8, mqttbytes::Error> {
    if bytes.remaining() < 1 {
        return Err(mqttbytes::Error::MalformedPacket);
    }
    Ok(bytes.get_u8())
}

fn take_u16(bytes: &mut Bytes) -> Result<u16, mqttbytes::Error> {
    if bytes.remaining() < 2 {
        return Err(mqttbytes::Error::MalformedPacket);
    }
    Ok(bytes.get_u16())
}

/// A two-byte length followed by that many bytes.
fn take_bytes(bytes: &mut Bytes) -> Result<Bytes, mqttbytes::Error> {
    let len = usize::from(take_u16(bytes)?);
    if bytes.remaining() < len {
        return Err(mqttbytes::Error::BoundaryCrossed(len));
    }
    Ok(bytes.split_to(len))
}

fn take_string(bytes: &mut Bytes) -> Result<String, mqttbytes::Error> {
    let raw = take_bytes(bytes)?;
    String::from_utf8(raw.to_vec()).map_err(|_| mqttbytes::Error::TopicNotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a CONNECT frame by hand, so the parser is tested against the wire format and
    /// not against another parser.
    fn connect_frame(name: &str, level: u8, flags: u8, client_id: &str, tail: &[u8]) -> Bytes {
        let mut body = Vec::new();
        body.extend_from_slice(&(name.len() as u16).to_be_bytes());
        body.extend_from_slice(name.as_bytes());
        body.push(level);
        body.push(flags);
        body.extend_from_slice(&30u16.to_be_bytes());
        body.extend_from_slice(&(client_id.len() as u16).to_be_bytes());
        body.extend_from_slice(client_id.as_bytes());
        body.extend_from_slice(tail);
        let mut frame = vec![0x10, body.len() as u8];
        frame.extend_from_slice(&body);
        Bytes::from(frame)
    }

    #[test]
    fn accepts_mqtt_311_and_31_with_will_and_credentials() {
        let ConnectOutcome::Accept(request) =
            parse_connect(connect_frame("MQTT", 4, 0x02, "c1", &[])).unwrap()
        else {
            panic!("3.1.1 refused")
        };
        assert_eq!(request.client_id, "c1");
        assert_eq!(request.keep_alive, 30);

        // Will (QoS 1, retained) + username + password, protocol 3.1.
        let mut tail = Vec::new();
        for field in [&b"w/t"[..], b"gone", b"user", b"pw"] {
            tail.extend_from_slice(&(field.len() as u16).to_be_bytes());
            tail.extend_from_slice(field);
        }
        let flags = 0x80 | 0x40 | 0x20 | 0x08 | 0x04 | 0x02;
        let ConnectOutcome::Accept(request) =
            parse_connect(connect_frame("MQIsdp", 3, flags, "c2", &tail)).unwrap()
        else {
            panic!("3.1 refused")
        };
        let will = request.will.unwrap();
        assert_eq!(
            (
                will.topic.as_str(),
                &will.message[..],
                will.qos,
                will.retain
            ),
            ("w/t", &b"gone"[..], QoS::AtLeastOnce, true)
        );
    }

    #[test]
    fn refuses_mqtt5_and_nameless_persistent_sessions_and_rejects_garbage() {
        assert!(matches!(
            parse_connect(connect_frame("MQTT", 5, 0x02, "c", &[0])).unwrap(),
            ConnectOutcome::Refuse(ConnectReturnCode::RefusedProtocolVersion)
        ));
        assert!(matches!(
            parse_connect(connect_frame("MQTT", 4, 0x00, "", &[])).unwrap(),
            ConnectOutcome::Refuse(ConnectReturnCode::BadClientId)
        ));
        assert!(parse_connect(connect_frame("HTTP", 4, 0x02, "c", &[])).is_err());
        assert!(parse_connect(connect_frame("MQTT", 4, 0x03, "c", &[])).is_err());
        // Will QoS bits without the will flag.
        assert!(parse_connect(connect_frame("MQTT", 4, 0x0A, "c", &[])).is_err());
        // A will announced but missing.
        assert!(parse_connect(connect_frame("MQTT", 4, 0x06, "c", &[])).is_err());
        // Trailing bytes after the last field.
        assert!(parse_connect(connect_frame("MQTT", 4, 0x02, "c", &[1, 2])).is_err());
    }
}
