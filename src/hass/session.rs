//! The session with the Home Assistant broker (the Mosquitto add-on).
//!
//! One rumqttc connection, owned by a task that polls its event loop. The bridge talks to it
//! through a cloneable [`HassPublisher`] (to publish) and receives [`HassEvent`]s (connected,
//! Home Assistant came online, a command arrived). Reconnects are handled here: after every
//! CONNACK the command and birth subscriptions are renewed and the bridge is told to publish
//! discovery, states and availability again, so nothing depends on a persistent session.

use crate::hass::topics::{CommandTopic, Topics};
use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Packet, QoS, Transport};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// Discovery payloads of big appliances exceed rumqttc's 10 KiB default packet size.
const MAX_PACKET_SIZE: usize = 1024 * 1024;
/// How long a clean disconnect may take at shutdown before we give up on it.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// First and longest wait between reconnect attempts.
const RECONNECT_MIN: Duration = Duration::from_secs(1);
const RECONNECT_MAX: Duration = Duration::from_secs(30);

pub use super::broker_address::BrokerAddress;

/// What the session tells the bridge.
#[derive(Debug, Clone, PartialEq)]
pub enum HassEvent {
    /// Connected (again): subscriptions are renewed; publish discovery, state, availability.
    Connected,
    /// Home Assistant published `online` on its status topic: it forgot non-retained
    /// state and wants discovery again.
    HomeAssistantOnline,
    /// A command from Home Assistant.
    Command {
        topic: CommandTopic,
        payload: String,
    },
    /// The connection dropped; the session reconnects by itself.
    Disconnected { reason: String },
}

/// Publishes to the Home Assistant broker. Cheap to clone.
#[derive(Clone)]
pub struct HassPublisher {
    client: AsyncClient,
    topics: Arc<Topics>,
}

impl HassPublisher {
    pub fn topics(&self) -> &Topics {
        &self.topics
    }

    /// Publishes a retained message at QoS 1 (discovery, state, availability).
    pub async fn retained(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.send(topic, payload.into(), true).await;
    }

    /// Publishes a non-retained message at QoS 1 (events, errors).
    pub async fn transient(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.send(topic, payload.into(), false).await;
    }

    async fn send(&self, topic: &str, payload: Vec<u8>, retain: bool) {
        // The request channel only fails when the event loop is gone (shutdown); nothing to do.
        if let Err(err) = self
            .client
            .publish(topic, QoS::AtLeastOnce, retain, payload)
            .await
        {
            debug!(%topic, %err, "publish dropped: session closed");
        }
    }
}

/// Connects to the Home Assistant broker and runs the session until `shutdown`.
///
/// Returns the publisher at once; the connection is made in the background, and
/// [`HassEvent::Connected`] arrives when it is up. On shutdown the bridge's availability is
/// published `offline` (the last will only fires on an unclean drop) and the connection is
/// closed cleanly.
pub fn connect(
    broker: &BrokerAddress,
    client_id: &str,
    topics: Topics,
    events: mpsc::Sender<HassEvent>,
    shutdown: CancellationToken,
) -> (HassPublisher, tokio::task::JoinHandle<()>) {
    let availability = topics.bridge_availability();
    let mut options = MqttOptions::new(client_id, broker.host.clone(), broker.port);
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_clean_session(true)
        .set_max_packet_size(MAX_PACKET_SIZE, MAX_PACKET_SIZE)
        .set_last_will(LastWill::new(
            &availability,
            "offline",
            QoS::AtLeastOnce,
            true,
        ));
    if let Some(user) = &broker.username {
        let password = broker
            .password
            .as_ref()
            .map(|p| p.expose().to_owned())
            .unwrap_or_default();
        options.set_credentials(user.clone(), password);
    }
    if broker.tls {
        options.set_transport(Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(Arc::new(
                crate::tls::public_client_config().expect("ring supports the default TLS versions"),
            )),
        ));
    }
    let (client, eventloop) = AsyncClient::new(options, 256);
    let publisher = HassPublisher {
        client: client.clone(),
        topics: Arc::new(topics),
    };
    let runner = publisher.clone();
    let task = tokio::spawn(async move {
        run(runner, eventloop, events, shutdown).await;
    });
    (publisher, task)
}

async fn run(
    publisher: HassPublisher,
    mut eventloop: rumqttc::EventLoop,
    events: mpsc::Sender<HassEvent>,
    shutdown: CancellationToken,
) {
    let topics = publisher.topics.clone();
    let mut backoff = RECONNECT_MIN;
    let mut connected = false;
    loop {
        let polled = tokio::select! {
            _ = shutdown.cancelled() => break,
            polled = eventloop.poll() => polled,
        };
        match polled {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                info!(
                    broker = "home-assistant",
                    "connected to the Home Assistant MQTT broker"
                );
                connected = true;
                backoff = RECONNECT_MIN;
                // Requests are queued, so they go out in order on this connection.
                let client = &publisher.client;
                let _ = client
                    .subscribe(topics.command_filter(), QoS::AtLeastOnce)
                    .await;
                let _ = client.subscribe(topics.ha_status(), QoS::AtLeastOnce).await;
                publisher
                    .retained(&topics.bridge_availability(), "online")
                    .await;
                let _ = events.send(HassEvent::Connected).await;
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let payload = String::from_utf8_lossy(&publish.payload).into_owned();
                if publish.topic == topics.ha_status() {
                    if payload.trim() == "online" {
                        info!("Home Assistant came online: republishing discovery and states");
                        let _ = events.send(HassEvent::HomeAssistantOnline).await;
                    }
                } else if let Some(topic) = topics.parse_command(&publish.topic) {
                    let _ = events.send(HassEvent::Command { topic, payload }).await;
                } else {
                    debug!(topic = %publish.topic, "ignoring message on an unexpected topic");
                }
            }
            Ok(_) => {}
            Err(err) => {
                let reason = err.to_string();
                if connected {
                    warn!(%reason, "lost the Home Assistant MQTT broker; reconnecting");
                    let _ = events.send(HassEvent::Disconnected { reason }).await;
                } else {
                    warn!(%reason, retry_in = ?backoff, "cannot reach the Home Assistant MQTT broker");
                }
                connected = false;
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(RECONNECT_MAX);
            }
        }
    }
    if connected {
        close(&publisher, &mut eventloop).await;
    }
}

/// Publishes `offline` for the bridge and disconnects cleanly, within [`DISCONNECT_TIMEOUT`].
async fn close(publisher: &HassPublisher, eventloop: &mut rumqttc::EventLoop) {
    let topic = publisher.topics.bridge_availability();
    let _ = publisher
        .client
        .publish(&topic, QoS::AtLeastOnce, true, "offline")
        .await;
    // Wait until the broker has acknowledged everything in flight, `offline` included:
    // disconnecting before the PUBACK makes Mosquitto treat the session as broken.
    let flushed = async {
        let mut sent_offline = false;
        loop {
            match eventloop.poll().await {
                Ok(Event::Outgoing(rumqttc::Outgoing::Publish(_))) => sent_offline = true,
                Ok(Event::Incoming(Packet::PubAck(_)))
                    if sent_offline && eventloop.state.inflight() == 0 =>
                {
                    break;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    };
    let _ = tokio::time::timeout(DISCONNECT_TIMEOUT, flushed).await;
    let _ = publisher.client.disconnect().await;
    let drain = async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) | Err(_) => break,
                Ok(_) => {}
            }
        }
    };
    if tokio::time::timeout(DISCONNECT_TIMEOUT, drain)
        .await
        .is_err()
    {
        warn!("the Home Assistant broker did not take our disconnect in time");
    } else {
        info!("disconnected from the Home Assistant MQTT broker");
    }
}
