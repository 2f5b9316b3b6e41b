//! What every test here starts from: a broker on loopback that stops when the test ends, and a
//! rumqttc client that hands each incoming packet to the test.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rumqttc::{
    AsyncClient, ConnectReturnCode, Event, LastWill, MqttOptions, Packet, Publish, QoS,
    SubscribeReasonCode,
};
use thinq_addon::demo::broker::{BrokerConfig, EmbeddedBroker};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

/// Upper bound for anything the broker should do "now"; only reached when something hangs.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

pub(crate) fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// A broker stopped when the test ends (the guard cancels its shutdown token).
pub(crate) struct Running {
    pub(crate) broker: EmbeddedBroker,
    pub(crate) shutdown: CancellationToken,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Running {
    pub(crate) fn plain_port(&self) -> u16 {
        self.broker.plain_addr().expect("plain listener").port()
    }

    /// A client on the plain listener, its id `prefix` and a number of its own.
    pub(crate) async fn client(&self, prefix: &str) -> TestClient {
        TestClient::connect(plain_options(&unique_id(prefix), self.plain_port())).await
    }

    /// [`client`](Self::client), subscribed to `filter` at `qos`.
    pub(crate) async fn subscriber(&self, prefix: &str, filter: &str, qos: QoS) -> TestClient {
        let mut client = self.client(prefix).await;
        client.subscribe(filter, qos).await;
        client
    }

    /// A client `id` on the plain listener with a last will: (topic, payload, QoS, retain).
    pub(crate) async fn client_with_will(
        &self,
        id: &str,
        will: (&str, &str, QoS, bool),
    ) -> TestClient {
        let (topic, payload, qos, retain) = will;
        let mut options = plain_options(id, self.plain_port());
        options.set_last_will(LastWill::new(topic, payload, qos, retain));
        TestClient::connect(options).await
    }
}

pub(crate) async fn start(cfg: BrokerConfig) -> Running {
    thinq_addon::install_crypto_provider();
    let shutdown = CancellationToken::new();
    let broker = EmbeddedBroker::start(cfg, shutdown.clone())
        .await
        .expect("broker starts");
    Running { broker, shutdown }
}

pub(crate) async fn start_plain() -> Running {
    start(BrokerConfig {
        plain: Some(loopback()),
        tls: None,
    })
    .await
}

/// [`start_plain`], and a client on it subscribed to `filter` at `qos`.
pub(crate) async fn start_plain_watching(filter: &str, qos: QoS) -> (Running, TestClient) {
    let broker = start_plain().await;
    let watcher = broker.subscriber("watch", filter, qos).await;
    (broker, watcher)
}

pub(crate) static CLIENT_COUNTER: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn unique_id(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        CLIENT_COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub(crate) fn plain_options(id: &str, port: u16) -> MqttOptions {
    let mut options = MqttOptions::new(id, "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(30));
    options
}

/// A rumqttc client whose event loop runs in a task and forwards every incoming packet.
/// The loop stops at the first error, so a refused or kicked client does not reconnect.
#[derive(Debug)]
pub(crate) struct TestClient {
    pub(crate) client: AsyncClient,
    pub(crate) incoming: mpsc::UnboundedReceiver<Packet>,
    pub(crate) event_loop: JoinHandle<()>,
}

impl TestClient {
    pub(crate) async fn connect(options: MqttOptions) -> TestClient {
        match Self::try_connect(options).await {
            Ok(client) => client,
            Err(error) => panic!("client should connect: {error}"),
        }
    }

    /// Connects and waits for a successful CONNACK; `Err` describes the refusal.
    pub(crate) async fn try_connect(options: MqttOptions) -> Result<TestClient, String> {
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
    pub(crate) async fn next_packet(&mut self) -> Option<Packet> {
        timeout(WAIT, self.incoming.recv())
            .await
            .expect("an incoming packet or the end of the connection")
    }

    /// Takes in packets until one that `wanted` accepts; fails when the connection ends
    /// first.
    pub(crate) async fn until(&mut self, what: &str, wanted: impl Fn(&Packet) -> bool) {
        loop {
            match self.next_packet().await {
                Some(packet) if wanted(&packet) => return,
                Some(_) => {}
                None => panic!("connection ended while waiting for {what}"),
            }
        }
    }

    pub(crate) async fn next_publish(&mut self) -> Publish {
        loop {
            match self.next_packet().await {
                Some(Packet::Publish(publish)) => return publish,
                Some(_) => {}
                None => panic!("connection ended while waiting for a PUBLISH"),
            }
        }
    }

    /// Subscribes and waits for the SUBACK, returning the granted QoS.
    pub(crate) async fn subscribe(&mut self, filter: &str, qos: QoS) -> SubscribeReasonCode {
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
    pub(crate) async fn publish_acked(&mut self, topic: &str, payload: &[u8], retain: bool) {
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload.to_vec())
            .await
            .expect("queue PUBLISH");
        self.until("a PUBACK", |p| matches!(p, Packet::PubAck(_)))
            .await;
    }

    /// Waits until the broker closes this client's connection.
    pub(crate) async fn expect_closed(&mut self) {
        loop {
            if self.next_packet().await.is_none() {
                return;
            }
        }
    }

    /// Drops the connection without DISCONNECT, like a crashed process or a pulled cable.
    pub(crate) fn drop_abruptly(self) {
        self.event_loop.abort();
    }
}

/// Collects publishes up to and including the one on `marker`.
pub(crate) async fn collect_until(client: &mut TestClient, marker: &str) -> Vec<Publish> {
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

pub(crate) fn topics_and_payloads(publishes: &[Publish]) -> Vec<(String, Vec<u8>)> {
    publishes
        .iter()
        .map(|p| (p.topic.clone(), p.payload.to_vec()))
        .collect()
}
