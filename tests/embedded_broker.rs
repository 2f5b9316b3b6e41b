//! The embedded demo broker, exercised over real loopback sockets by real clients: rumqttc
//! (what the add-on itself uses), raw bytes where a client library would hide the behaviour,
//! and Mosquitto's own `mosquitto_sub` (a test fails, never skips, when it is missing).
//!
//! Timeouts here are upper bounds that turn a hang into a failure; no test relies on
//! something happening *within* a short time, and absence is checked with a marker message
//! that must arrive first (deliveries to one client are ordered).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::BytesMut;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use rumqttc::mqttbytes::v4::{Connect, Packet as WirePacket, Publish as WirePublish, Subscribe};
use rumqttc::{
    AsyncClient, ConnectReturnCode, Event, LastWill, MqttOptions, Packet, Publish, QoS,
    SubscribeReasonCode, TlsConfiguration, Transport,
};
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use thinq_addon::demo::broker::{BrokerConfig, BrokerTls, EmbeddedBroker};
use thinq_addon::sim::TestCa;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

#[allow(dead_code)] // only `tool` is used here
#[path = "support/mosquitto.rs"]
mod mosquitto;
use mosquitto::tool;

/// Upper bound for anything the broker should do "now"; only reached when something hangs.
const WAIT: Duration = Duration::from_secs(10);

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// A broker stopped when the test ends (the guard cancels its shutdown token).
struct Running {
    broker: EmbeddedBroker,
    shutdown: CancellationToken,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Running {
    fn plain_port(&self) -> u16 {
        self.broker.plain_addr().expect("plain listener").port()
    }

    /// A client on the plain listener, its id `prefix` and a number of its own.
    async fn client(&self, prefix: &str) -> TestClient {
        TestClient::connect(plain_options(&unique_id(prefix), self.plain_port())).await
    }

    /// [`client`](Self::client), subscribed to `filter` at `qos`.
    async fn subscriber(&self, prefix: &str, filter: &str, qos: QoS) -> TestClient {
        let mut client = self.client(prefix).await;
        client.subscribe(filter, qos).await;
        client
    }

    /// A client `id` on the plain listener with a last will: (topic, payload, QoS, retain).
    async fn client_with_will(&self, id: &str, will: (&str, &str, QoS, bool)) -> TestClient {
        let (topic, payload, qos, retain) = will;
        let mut options = plain_options(id, self.plain_port());
        options.set_last_will(LastWill::new(topic, payload, qos, retain));
        TestClient::connect(options).await
    }
}

async fn start(cfg: BrokerConfig) -> Running {
    thinq_addon::install_crypto_provider();
    let shutdown = CancellationToken::new();
    let broker = EmbeddedBroker::start(cfg, shutdown.clone())
        .await
        .expect("broker starts");
    Running { broker, shutdown }
}

async fn start_plain() -> Running {
    start(BrokerConfig {
        plain: Some(loopback()),
        tls: None,
    })
    .await
}

/// [`start_plain`], and a client on it subscribed to `filter` at `qos`.
async fn start_plain_watching(filter: &str, qos: QoS) -> (Running, TestClient) {
    let broker = start_plain().await;
    let watcher = broker.subscriber("watch", filter, qos).await;
    (broker, watcher)
}

static CLIENT_COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique_id(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        CLIENT_COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn plain_options(id: &str, port: u16) -> MqttOptions {
    let mut options = MqttOptions::new(id, "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(30));
    options
}

/// A rumqttc client whose event loop runs in a task and forwards every incoming packet.
/// The loop stops at the first error, so a refused or kicked client does not reconnect.
#[derive(Debug)]
struct TestClient {
    client: AsyncClient,
    incoming: mpsc::UnboundedReceiver<Packet>,
    event_loop: JoinHandle<()>,
}

impl TestClient {
    async fn connect(options: MqttOptions) -> TestClient {
        match Self::try_connect(options).await {
            Ok(client) => client,
            Err(error) => panic!("client should connect: {error}"),
        }
    }

    /// Connects and waits for a successful CONNACK; `Err` describes the refusal.
    async fn try_connect(options: MqttOptions) -> Result<TestClient, String> {
        let (client, mut event_loop) = AsyncClient::new(options, 64);
        let first = timeout(WAIT, async {
            loop {
                match event_loop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(ack))) => return Ok(ack),
                    Ok(_) => {}
                    Err(error) => return Err(error.to_string()),
                }
            }
        })
        .await
        .map_err(|_| "no CONNACK and no error in time".to_string())??;
        if first.code != ConnectReturnCode::Success {
            return Err(format!("refused with {:?}", first.code));
        }
        assert!(!first.session_present, "the broker keeps no sessions");
        let (forward, incoming) = mpsc::unbounded_channel();
        let event_loop = tokio::spawn(async move {
            while let Ok(event) = event_loop.poll().await {
                if let Event::Incoming(packet) = event
                    && forward.send(packet).is_err()
                {
                    return;
                }
            }
        });
        Ok(TestClient {
            client,
            incoming,
            event_loop,
        })
    }

    /// The next incoming packet, or `None` once the connection is gone.
    async fn next_packet(&mut self) -> Option<Packet> {
        timeout(WAIT, self.incoming.recv())
            .await
            .expect("an incoming packet or the end of the connection")
    }

    /// Takes in packets until one that `wanted` accepts; fails when the connection ends
    /// first.
    async fn until(&mut self, what: &str, wanted: impl Fn(&Packet) -> bool) {
        loop {
            match self.next_packet().await {
                Some(packet) if wanted(&packet) => return,
                Some(_) => {}
                None => panic!("connection ended while waiting for {what}"),
            }
        }
    }

    async fn next_publish(&mut self) -> Publish {
        loop {
            match self.next_packet().await {
                Some(Packet::Publish(publish)) => return publish,
                Some(_) => {}
                None => panic!("connection ended while waiting for a PUBLISH"),
            }
        }
    }

    /// Subscribes and waits for the SUBACK, returning the granted QoS.
    async fn subscribe(&mut self, filter: &str, qos: QoS) -> SubscribeReasonCode {
        self.client
            .subscribe(filter, qos)
            .await
            .expect("queue SUBSCRIBE");
        loop {
            match self.next_packet().await {
                Some(Packet::SubAck(ack)) => return ack.return_codes[0],
                Some(Packet::Publish(publish)) => {
                    panic!("unexpected PUBLISH before the SUBACK: {publish:?}")
                }
                Some(_) => {}
                None => panic!("connection ended while waiting for a SUBACK"),
            }
        }
    }

    /// Publishes at QoS 1 and waits for the PUBACK: from then on the broker has routed the
    /// message into every subscriber's queue.
    async fn publish_acked(&mut self, topic: &str, payload: &[u8], retain: bool) {
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload.to_vec())
            .await
            .expect("queue PUBLISH");
        self.until("a PUBACK", |p| matches!(p, Packet::PubAck(_)))
            .await;
    }

    /// Waits until the broker closes this client's connection.
    async fn expect_closed(&mut self) {
        loop {
            if self.next_packet().await.is_none() {
                return;
            }
        }
    }

    /// Drops the connection without DISCONNECT, like a crashed process or a pulled cable.
    fn drop_abruptly(self) {
        self.event_loop.abort();
    }
}

/// Collects publishes up to and including the one on `marker`.
async fn collect_until(client: &mut TestClient, marker: &str) -> Vec<Publish> {
    let mut publishes = Vec::new();
    loop {
        let publish = client.next_publish().await;
        let done = publish.topic == marker;
        publishes.push(publish);
        if done {
            return publishes;
        }
    }
}

fn topics_and_payloads(publishes: &[Publish]) -> Vec<(String, Vec<u8>)> {
    publishes
        .iter()
        .map(|p| (p.topic.clone(), p.payload.to_vec()))
        .collect()
}

#[tokio::test]
async fn wildcard_subscriptions_receive_only_matching_publishes() {
    let broker = start_plain().await;
    let mut subscriber = broker.client("sub").await;
    for filter in ["home/+/temperature", "device/#", "end"] {
        subscriber.subscribe(filter, QoS::AtMostOnce).await;
    }
    let mut publisher = broker.client("pub").await;
    for topic in [
        "home/kitchen/temperature",
        "home/kitchen/humidity",
        "home/kitchen/temperature/raw",
        "device/washer",
        "device/washer/state/remain",
        "devices/other",
        "$SYS/not-for-wildcards",
        "end",
    ] {
        publisher
            .client
            .publish(topic, QoS::AtMostOnce, false, topic.as_bytes().to_vec())
            .await
            .unwrap();
    }
    let received = collect_until(&mut subscriber, "end").await;
    let topics: Vec<&str> = received.iter().map(|p| p.topic.as_str()).collect();
    assert_eq!(
        topics,
        [
            "home/kitchen/temperature",
            "device/washer",
            "device/washer/state/remain",
            "end"
        ]
    );
    assert!(
        received
            .iter()
            .all(|p| !p.retain && p.payload == p.topic.as_bytes())
    );

    // After UNSUBSCRIBE nothing more arrives on that filter.
    subscriber.client.unsubscribe("device/#").await.unwrap();
    subscriber
        .until("the UNSUBACK", |p| matches!(p, Packet::UnsubAck(_)))
        .await;
    publisher.publish_acked("device/washer", b"x", false).await;
    publisher.publish_acked("end", b"end", false).await;
    let received = collect_until(&mut subscriber, "end").await;
    assert_eq!(
        topics_and_payloads(&received),
        [("end".into(), b"end".to_vec())]
    );
}

#[tokio::test]
async fn retained_messages_are_delivered_on_subscribe_and_deleted_by_an_empty_payload() {
    let broker = start_plain().await;
    let mut publisher = broker.client("pub").await;
    publisher
        .publish_acked("thinq/washer/state", b"RUNNING", true)
        .await;
    publisher
        .publish_acked("thinq/dryer/state", b"OFF", true)
        .await;
    // Replaced, not appended.
    publisher
        .publish_acked("thinq/washer/state", b"END", true)
        .await;

    let mut late = broker
        .subscriber("late", "thinq/+/state", QoS::AtLeastOnce)
        .await;
    let first = late.next_publish().await;
    let second = late.next_publish().await;
    assert!(
        first.retain && second.retain,
        "retained deliveries carry the flag"
    );
    assert_eq!(
        topics_and_payloads(&[first, second]),
        [
            ("thinq/dryer/state".into(), b"OFF".to_vec()),
            ("thinq/washer/state".into(), b"END".to_vec()),
        ]
    );

    // An empty retained payload deletes the stored message; current subscribers still get it.
    publisher
        .publish_acked("thinq/washer/state", b"", true)
        .await;
    let deletion = late.next_publish().await;
    assert_eq!(deletion.topic, "thinq/washer/state");
    assert!(deletion.payload.is_empty() && !deletion.retain);

    let mut later = broker
        .subscriber("later", "thinq/washer/#", QoS::AtMostOnce)
        .await;
    later.subscribe("marker", QoS::AtMostOnce).await;
    publisher.publish_acked("marker", b"m", false).await;
    let received = collect_until(&mut later, "marker").await;
    assert_eq!(
        topics_and_payloads(&received),
        [("marker".into(), b"m".to_vec())],
        "the deleted retained message must not be delivered"
    );
}

#[tokio::test]
async fn last_will_is_published_on_abrupt_drop_and_retained_when_asked() {
    let (broker, mut watcher) = start_plain_watching("status/#", QoS::AtLeastOnce).await;

    let will = ("status/bridge", "offline", QoS::AtLeastOnce, true);
    let mut bridge = broker.client_with_will("bridge", will).await;
    bridge.publish_acked("status/bridge", b"online", true).await;
    let online = watcher.next_publish().await;
    assert_eq!(online.payload, "online");

    bridge.drop_abruptly();
    let will = watcher.next_publish().await;
    assert_eq!(
        (will.topic.as_str(), &will.payload[..], will.qos),
        ("status/bridge", &b"offline"[..], QoS::AtLeastOnce)
    );

    // The will was retained: it replaced "online" for anyone who subscribes later.
    let mut late = broker
        .subscriber("late", "status/bridge", QoS::AtMostOnce)
        .await;
    let retained = late.next_publish().await;
    assert!(retained.retain);
    assert_eq!(retained.payload, "offline");
    assert_eq!(
        retained.qos,
        QoS::AtMostOnce,
        "delivered at the subscription's QoS"
    );

    // A clean DISCONNECT discards the will.
    let will = ("status/polite", "offline", QoS::AtMostOnce, false);
    let mut polite = broker.client_with_will("polite", will).await;
    polite.client.disconnect().await.unwrap();
    polite.expect_closed().await;
    let mut publisher = broker.client("pub").await;
    publisher.publish_acked("status/marker", b"m", false).await;
    let next = watcher.next_publish().await;
    assert_eq!(
        next.topic, "status/marker",
        "no will after a clean DISCONNECT"
    );
}

#[tokio::test]
async fn qos1_round_trip_is_acknowledged_and_delivered_at_the_lower_qos() {
    let broker = start_plain().await;
    let mut at_least_once = broker.client("q1").await;
    assert_eq!(
        at_least_once.subscribe("cmd/#", QoS::AtLeastOnce).await,
        SubscribeReasonCode::Success(QoS::AtLeastOnce)
    );
    let mut at_most_once = broker.subscriber("q0", "cmd/#", QoS::AtMostOnce).await;
    let mut exactly_once = broker.client("q2").await;
    assert_eq!(
        exactly_once.subscribe("cmd/#", QoS::ExactlyOnce).await,
        SubscribeReasonCode::Success(QoS::AtLeastOnce),
        "QoS 2 subscriptions are granted QoS 1"
    );

    let mut publisher = broker.client("pub").await;
    publisher.publish_acked("cmd/power", b"ON", false).await;

    let delivered = at_least_once.next_publish().await;
    assert_eq!(
        (delivered.qos, &delivered.payload[..]),
        (QoS::AtLeastOnce, &b"ON"[..])
    );
    assert_ne!(delivered.pkid, 0);
    assert_eq!(at_most_once.next_publish().await.qos, QoS::AtMostOnce);
    assert_eq!(exactly_once.next_publish().await.qos, QoS::AtLeastOnce);

    // A QoS 2 publish completes its PUBREC/PUBREL/PUBCOMP handshake and is delivered once.
    publisher
        .client
        .publish("cmd/mode", QoS::ExactlyOnce, false, b"COOL".to_vec())
        .await
        .unwrap();
    publisher
        .until("the PUBCOMP", |p| matches!(p, Packet::PubComp(_)))
        .await;
    publisher.publish_acked("cmd/marker", b"m", false).await;
    let received = collect_until(&mut at_least_once, "cmd/marker").await;
    assert_eq!(
        topics_and_payloads(&received),
        [
            ("cmd/mode".into(), b"COOL".to_vec()),
            ("cmd/marker".into(), b"m".to_vec())
        ]
    );
    assert_eq!(received[0].qos, QoS::AtLeastOnce);
}

#[tokio::test]
async fn a_second_connection_with_the_same_client_id_takes_over() {
    let (broker, mut watcher) = start_plain_watching("dup/#", QoS::AtMostOnce).await;
    let port = broker.plain_port();

    let will = ("dup/will", "first gone", QoS::AtMostOnce, false);
    let mut first = broker.client_with_will("same-id", will).await;
    first.subscribe("dup/#", QoS::AtMostOnce).await;

    let mut second = TestClient::connect(plain_options("same-id", port)).await;
    first.expect_closed().await;
    // The replaced connection did not say goodbye: its will goes out (as Mosquitto does).
    let will = watcher.next_publish().await;
    assert_eq!(
        (will.topic.as_str(), &will.payload[..]),
        ("dup/will", &b"first gone"[..])
    );

    // The new connection has a fresh session and works.
    second.subscribe("dup/#", QoS::AtMostOnce).await;
    second.publish_acked("dup/hello", b"hi", false).await;
    assert_eq!(second.next_publish().await.payload, "hi");
}

// ---------------------------------------------------------------------------------------
// Mutual TLS

/// The broker's TLS material, issued by the one test CA the simulator also uses.
fn broker_tls(ca: &TestCa) -> BrokerTls {
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

// ---------------------------------------------------------------------------------------
// Protocol details seen on the wire

fn encode(packet: WirePacket) -> Vec<u8> {
    let mut buffer = BytesMut::new();
    packet.write(&mut buffer, usize::MAX).unwrap();
    buffer.to_vec()
}

fn connect_bytes(client_id: &str, keep_alive: u16, will: Option<LastWill>) -> Vec<u8> {
    let mut connect = Connect::new(client_id);
    connect.keep_alive = keep_alive;
    connect.last_will = will;
    encode(WirePacket::Connect(connect))
}

/// Reads exactly `n` bytes.
async fn read_exact(tcp: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buffer = vec![0; n];
    timeout(WAIT, tcp.read_exact(&mut buffer))
        .await
        .expect("bytes in time")
        .expect("bytes");
    buffer
}

/// Reads until the broker closes the connection; the bytes it sent before.
async fn read_until_closed(tcp: &mut TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    // A reset instead of a FIN also counts as closed.
    let _ = timeout(WAIT, tcp.read_to_end(&mut rest))
        .await
        .expect("the broker closes the connection");
    rest
}

#[tokio::test]
async fn mqtt5_is_refused_cleanly_and_mqtt31_is_accepted() {
    let broker = start_plain().await;
    let addr = broker.broker.plain_addr().unwrap();

    // An MQTT 5 CONNECT: name "MQTT", level 5, clean start, keep-alive 30, empty
    // properties, client id "v5".
    let v5 = [
        0x10, 15, 0, 4, b'M', b'Q', b'T', b'T', 5, 0x02, 0, 30, 0, 0, 2, b'v', b'5',
    ];
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(&v5).await.unwrap();
    let answer = read_until_closed(&mut tcp).await;
    assert_eq!(
        answer,
        [0x20, 0x02, 0x00, 0x01],
        "CONNACK: unacceptable protocol version"
    );

    // An MQTT 3.1 CONNECT ("MQIsdp", level 3) gets a successful CONNACK.
    let mut body = vec![0, 6];
    body.extend_from_slice(b"MQIsdp");
    body.extend_from_slice(&[3, 0x02, 0, 30, 0, 3]);
    body.extend_from_slice(b"v31");
    let mut v31 = vec![0x10, body.len() as u8];
    v31.extend_from_slice(&body);
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(&v31).await.unwrap();
    assert_eq!(read_exact(&mut tcp, 4).await, [0x20, 0x02, 0x00, 0x00]);
    // PINGREQ → PINGRESP, DISCONNECT → closed.
    tcp.write_all(&[0xC0, 0x00]).await.unwrap();
    assert_eq!(read_exact(&mut tcp, 2).await, [0xD0, 0x00]);
    tcp.write_all(&[0xE0, 0x00]).await.unwrap();
    assert!(read_until_closed(&mut tcp).await.is_empty());
}

#[tokio::test]
async fn keep_alive_expiry_closes_the_connection_and_publishes_the_will() {
    let (broker, mut watcher) = start_plain_watching("silent/status", QoS::AtMostOnce).await;

    // Keep-alive 1 s, then silence: the broker gives up after 1.5 s.
    let mut tcp = TcpStream::connect(broker.broker.plain_addr().unwrap())
        .await
        .unwrap();
    let will = LastWill::new("silent/status", "lost", QoS::AtMostOnce, false);
    // Taken before the CONNECT is sent, so the broker's 1.5 s can only end after it.
    let started = std::time::Instant::now();
    tcp.write_all(&connect_bytes("silent", 1, Some(will)))
        .await
        .unwrap();
    assert_eq!(read_exact(&mut tcp, 4).await, [0x20, 0x02, 0x00, 0x00]);
    assert!(read_until_closed(&mut tcp).await.is_empty());
    assert!(
        started.elapsed() >= Duration::from_millis(1450),
        "closed before 1.5 × keep-alive"
    );
    assert_eq!(watcher.next_publish().await.payload, "lost");
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_is_disconnected_instead_of_buffered_forever() {
    let (broker, mut watcher) = start_plain_watching("slow/status", QoS::AtMostOnce).await;
    let addr = broker.broker.plain_addr().unwrap();

    // A subscriber with a tiny receive buffer that never reads after its SUBACK.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut slow = socket.connect(addr).await.unwrap();
    let will = LastWill::new("slow/status", "dropped", QoS::AtMostOnce, false);
    slow.write_all(&connect_bytes("slow", 0, Some(will)))
        .await
        .unwrap();
    let mut subscribe = Subscribe::new("flood", QoS::AtMostOnce);
    subscribe.pkid = 1;
    slow.write_all(&encode(WirePacket::Subscribe(subscribe)))
        .await
        .unwrap();
    assert_eq!(read_exact(&mut slow, 4).await, [0x20, 0x02, 0x00, 0x00]);
    assert_eq!(
        read_exact(&mut slow, 5).await,
        [0x90, 0x03, 0x00, 0x01, 0x00]
    );

    // Flood until the broker gives up on the slow subscriber (its will tells us so). The
    // bound only turns a missing limit into a failure: socket buffers plus the queue fill up
    // long before it.
    let mut publisher = TcpStream::connect(addr).await.unwrap();
    publisher
        .write_all(&connect_bytes("flooder", 0, None))
        .await
        .unwrap();
    assert_eq!(
        read_exact(&mut publisher, 4).await,
        [0x20, 0x02, 0x00, 0x00]
    );
    let frame = encode(WirePacket::Publish(WirePublish::new(
        "flood",
        QoS::AtMostOnce,
        vec![0u8; 64 * 1024],
    )));
    let mut will_seen = false;
    for _ in 0..20_000 {
        publisher.write_all(&frame).await.unwrap();
        if let Ok(Packet::Publish(will)) = watcher.incoming.try_recv() {
            assert_eq!(will.payload, "dropped");
            will_seen = true;
            break;
        }
    }
    if !will_seen {
        assert_eq!(watcher.next_publish().await.payload, "dropped");
    }
}

// ---------------------------------------------------------------------------------------
// Robustness: arbitrary bytes

/// Name of the worker threads of the runtime the fuzzed broker runs on, so the panic hook
/// can tell a broker panic from anything else in this test binary.
const FUZZED_BROKER_THREAD: &str = "fuzzed-broker";
static FUZZED_BROKER_PANICKED: AtomicBool = AtomicBool::new(false);

fn record_broker_panics() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() == Some(FUZZED_BROKER_THREAD) {
                FUZZED_BROKER_PANICKED.store(true, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

/// A valid session opening (CONNECT, SUBSCRIBE, PUBLISH) to mutate: random flips inside
/// well-formed packets reach much deeper into the decoder than pure noise.
fn valid_session_bytes() -> Vec<u8> {
    let mut bytes = connect_bytes(
        "fuzz",
        30,
        Some(LastWill::new("fuzz/will", "w", QoS::AtLeastOnce, true)),
    );
    let mut subscribe = Subscribe::new("fuzz/#", QoS::AtLeastOnce);
    subscribe.pkid = 7;
    bytes.extend(encode(WirePacket::Subscribe(subscribe)));
    let mut publish = WirePublish::new("fuzz/a", QoS::AtLeastOnce, b"payload".to_vec());
    publish.pkid = 9;
    publish.retain = true;
    bytes.extend(encode(WirePacket::Publish(publish)));
    bytes.extend([0xC0, 0x00]);
    bytes
}

fn fuzz_input() -> impl Strategy<Value = Vec<u8>> {
    let session = valid_session_bytes();
    let connect = connect_bytes("fuzz", 30, None);
    let session_len = session.len();
    prop_oneof![
        // Pure noise.
        proptest::collection::vec(any::<u8>(), 0..512),
        // A good CONNECT, then noise.
        proptest::collection::vec(any::<u8>(), 0..512).prop_map(move |noise| {
            let mut bytes = connect.clone();
            bytes.extend(noise);
            bytes
        }),
        // A good session with some bytes overwritten.
        proptest::collection::vec((0..session_len, any::<u8>()), 1..6).prop_map(move |flips| {
            let mut bytes = session.clone();
            for (index, value) in flips {
                if let Some(byte) = bytes.get_mut(index) {
                    *byte = value;
                }
            }
            bytes
        }),
    ]
}

#[test]
fn arbitrary_bytes_never_panic_or_hang_the_broker() {
    record_broker_panics();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(FUZZED_BROKER_THREAD)
        .enable_all()
        .build()
        .unwrap();
    let broker = runtime.block_on(start_plain());
    let addr = broker.broker.plain_addr().unwrap();

    let mut runner = TestRunner::new(ProptestConfig {
        cases: 192,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&fuzz_input(), |bytes| {
            let closed = runtime.block_on(async {
                let mut tcp = TcpStream::connect(addr).await.unwrap();
                // The broker may close early and make these fail: that is fine.
                let _ = tcp.write_all(&bytes).await;
                let _ = tcp.shutdown().await;
                let mut sink = Vec::new();
                timeout(WAIT, tcp.read_to_end(&mut sink)).await.is_ok()
            });
            prop_assert!(
                closed,
                "the broker must close a connection whose peer hung up"
            );
            prop_assert!(
                !FUZZED_BROKER_PANICKED.load(Ordering::SeqCst),
                "broker task panicked"
            );
            Ok(())
        })
        .unwrap();

    // Still a working broker afterwards.
    runtime.block_on(async {
        let mut client = TestClient::connect(plain_options("after-fuzz", addr.port())).await;
        client.subscribe("after/#", QoS::AtLeastOnce).await;
        client.publish_acked("after/fuzz", b"alive", false).await;
        assert_eq!(client.next_publish().await.payload, "alive");
    });
    assert!(!FUZZED_BROKER_PANICKED.load(Ordering::SeqCst));
    drop(broker);
}

// ---------------------------------------------------------------------------------------
// Interoperability with Mosquitto's own client

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
