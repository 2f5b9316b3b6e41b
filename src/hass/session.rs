//! The session with the Home Assistant broker (the Mosquitto add-on).
//!
//! One rumqttc connection, owned by a task that polls its event loop. The bridge publishes
//! through a cloneable [`HassPublisher`] whose methods never wait: a message goes into the
//! [`Outbox`] (latest payload per retained topic) and is handed to rumqttc with
//! `try_publish` as far as its request queue has room; the polling task hands over the rest
//! as the queue drains and after every reconnect. Nothing here awaits rumqttc's request
//! queue, so the poller and the bridge can never wait on each other — the freeze a full
//! queue once caused during a long broker outage cannot happen.
//!
//! After every CONNACK the command and birth subscriptions are renewed and every retained
//! topic is sent again, so nothing depends on the broker keeping our session.

use crate::hass::held_discovery::{DiscoveryRead, HeldDiscovery, Reading};
use crate::hass::outbox::{Outbox, Outgoing};
use crate::hass::topics::{CommandTopic, Topics};
use crate::mqtt::send_unless_stopped;
use rumqttc::{AsyncClient, ClientError, Event, LastWill, MqttOptions, Packet, QoS, Transport};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
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
/// rumqttc's request queue. The outbox holds whatever does not fit, so this only sets how
/// much is in flight towards the broker at once.
const REQUEST_QUEUE: usize = 256;
/// A command payload larger than this is not a Home Assistant command: refused unread.
pub const MAX_COMMAND_BYTES: usize = 4096;
/// How long the broker gets to hand over the retained discovery payloads before the bridge
/// goes on without the rest ([`super::held_discovery`]).
const DISCOVERY_READ_TIMEOUT: Duration = Duration::from_secs(10);

pub use super::broker_address::BrokerAddress;

/// What the session tells the bridge.
#[derive(Debug, Clone, PartialEq)]
pub enum HassEvent {
    /// Connected (again): subscriptions are renewed and retained topics are being resent.
    Connected,
    /// Home Assistant published `online` on its status topic: it forgot non-retained
    /// state and wants discovery again.
    HomeAssistantOnline,
    /// A command from Home Assistant.
    Command {
        topic: CommandTopic,
        payload: String,
    },
    /// A command payload over [`MAX_COMMAND_BYTES`], not read.
    OversizedCommand { topic: CommandTopic, bytes: usize },
    /// The connection dropped; the session reconnects by itself.
    Disconnected { reason: String },
    /// The retained discovery payloads of this bridge the broker held when the session first
    /// came up ([`super::held_discovery`]); sent once per run, before anything depends on it.
    DiscoveryHeld(HeldDiscovery),
}

/// Publishes to the Home Assistant broker without ever waiting. Cheap to clone.
#[derive(Clone)]
pub struct HassPublisher {
    shared: Arc<Shared>,
}

struct Shared {
    client: AsyncClient,
    topics: Topics,
    outbox: Mutex<Outbox>,
    /// The session is connected: handing messages to rumqttc makes sense.
    connected: AtomicBool,
    /// Home Assistant may still hold an older version's templates: discovery payloads are
    /// followed by a pass-through copy ([`super::stale_templates`]).
    template_carryover: AtomicBool,
}

impl Shared {
    fn outbox(&self) -> std::sync::MutexGuard<'_, Outbox> {
        // A panic while holding the lock cannot leave the outbox inconsistent in a way that
        // matters more than stopping publishing for good would.
        self.outbox.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands waiting messages to rumqttc until its request queue is full.
    fn flush(&self) {
        if !self.connected.load(Ordering::Acquire) {
            return;
        }
        let mut outbox = self.outbox();
        while let Some(message) = outbox.take_next() {
            let Outgoing {
                topic,
                payload,
                retain,
            } = message;
            match self
                .client
                .try_publish(topic.clone(), QoS::AtLeastOnce, retain, payload.clone())
            {
                Ok(()) => {}
                Err(_) => {
                    outbox.give_back(Outgoing {
                        topic,
                        payload,
                        retain,
                    });
                    break;
                }
            }
        }
    }
}

impl HassPublisher {
    pub fn topics(&self) -> &Topics {
        &self.shared.topics
    }

    /// Publishes a retained message at QoS 1 (discovery, values, availability), unless the
    /// broker already has exactly this payload. An empty payload clears the topic.
    pub fn retained(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        let changed = self.shared.outbox().put_retained(topic, payload.into());
        if changed {
            self.shared.flush();
        }
    }

    /// Publishes a discovery payload (retained). While Home Assistant may still hold an older
    /// version's templates, a non-retained copy with pass-through templates goes with it
    /// ([`super::stale_templates`]); it is sent first, and the plain payload after it keeps
    /// the template it set, as Home Assistant keeps templates a discovery update drops.
    pub fn discovery(&self, topic: &str, payload: &serde_json::Value) {
        if self.template_carryover() {
            let patched = super::stale_templates::with_pass_through(payload);
            if patched != *payload {
                self.transient(topic, patched.to_string());
            }
        }
        self.retained(topic, payload.to_string());
    }

    /// Turns the pass-through copies of [`Self::discovery`] on or off.
    pub fn set_template_carryover(&self, on: bool) {
        self.shared.template_carryover.store(on, Ordering::Release);
    }

    /// Whether [`Self::discovery`] sends the pass-through copies.
    pub fn template_carryover(&self) -> bool {
        self.shared.template_carryover.load(Ordering::Acquire)
    }

    /// Publishes a non-retained message at QoS 1 (events, errors).
    pub fn transient(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.shared.outbox().put_transient(topic, payload.into());
        self.shared.flush();
    }

    /// Sends every retained topic again (Home Assistant's birth message).
    pub fn republish_all(&self) {
        self.shared.outbox().resend_all();
        self.shared.flush();
    }

    /// Messages waiting for the broker, and retained topics known.
    pub fn backlog(&self) -> (usize, usize) {
        let outbox = self.shared.outbox();
        (outbox.waiting(), outbox.topics())
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
    let (client, mut eventloop) = AsyncClient::new(options, REQUEST_QUEUE);
    crate::mqtt::no_delay(&mut eventloop);
    let publisher = HassPublisher {
        shared: Arc::new(Shared {
            client,
            topics,
            outbox: Mutex::new(Outbox::default()),
            connected: AtomicBool::new(false),
            template_carryover: AtomicBool::new(false),
        }),
    };
    let runner = publisher.clone();
    let task = tokio::spawn(async move {
        run(runner, eventloop, events, shutdown).await;
    });
    (publisher, task)
}

/// The subscriptions renewed after every CONNACK; queued again until rumqttc takes them.
struct Subscriptions {
    wanted: Vec<String>,
    queued: usize,
}

impl Subscriptions {
    fn queue(&mut self, client: &AsyncClient) {
        while self.queued < self.wanted.len() {
            let filter = self.wanted[self.queued].clone();
            match client.try_subscribe(filter, QoS::AtLeastOnce) {
                Ok(()) => self.queued += 1,
                Err(ClientError::TryRequest(_)) | Err(_) => break,
            }
        }
    }
}

async fn run(
    publisher: HassPublisher,
    mut eventloop: rumqttc::EventLoop,
    events: mpsc::Sender<HassEvent>,
    shutdown: CancellationToken,
) {
    let shared = publisher.shared.clone();
    let topics = shared.topics.clone();
    let mut backoff = RECONNECT_MIN;
    let mut connected = false;
    let mut subscriptions = Subscriptions {
        wanted: vec![topics.command_filter(), topics.ha_status()],
        queued: 0,
    };
    let mut read = DiscoveryRead::new(&topics);
    let mut read_deadline: Option<tokio::time::Instant> = None;
    loop {
        let polled = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            _ = until(read_deadline) => {
                read_deadline = None;
                warn!("the Home Assistant broker did not hand over the retained discovery in time; going on without it (entities an older version left may stay)");
                if !finish_read(&shared, &mut read, &events, &shutdown).await {
                    break;
                }
                continue;
            }
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
                subscriptions.queued = 0;
                subscriptions.queue(&shared.client);
                if read.pending() {
                    // Before the outbox hands anything over: the broker must show what it
                    // held, not what we are about to publish.
                    if start_read(&shared.client, &mut read) {
                        read_deadline = Some(tokio::time::Instant::now() + DISCOVERY_READ_TIMEOUT);
                    } else if !finish_read(&shared, &mut read, &events, &shutdown).await {
                        break;
                    }
                }
                {
                    let mut outbox = shared.outbox();
                    outbox.put_retained(&topics.bridge_availability(), b"online".to_vec());
                    outbox.resend_all();
                }
                shared.connected.store(true, Ordering::Release);
                if !send_unless_stopped(&events, &shutdown, HassEvent::Connected).await {
                    break;
                }
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                if ack
                    .return_codes
                    .iter()
                    .any(|c| matches!(c, rumqttc::SubscribeReasonCode::Failure))
                {
                    warn!(
                        "the Home Assistant broker refused a subscription (commands or birth); check the broker's ACL for this user"
                    );
                }
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                match read.on_publish(&publish.topic, &publish.payload, publish.retain) {
                    Reading::NotOurs => {
                        if let Some(event) = incoming(&topics, &publish.topic, &publish.payload)
                            && !send_unless_stopped(&events, &shutdown, event).await
                        {
                            break;
                        }
                    }
                    Reading::Taken => {}
                    Reading::Complete => {
                        read_deadline = None;
                        if !finish_read(&shared, &mut read, &events, &shutdown).await {
                            break;
                        }
                    }
                }
            }
            Ok(_) => {}
            Err(err) => {
                shared.connected.store(false, Ordering::Release);
                // A reading cut short is not tried again: a payload too large for the client
                // would cut every attempt, and the bridge must not wait for it. What it found
                // so far is held all the same.
                if read_deadline.take().is_some() {
                    warn!(
                        "the connection dropped while reading the retained discovery; going on with what was read"
                    );
                    if !finish_read(&shared, &mut read, &events, &shutdown).await {
                        break;
                    }
                }
                let reason = err.to_string();
                if connected {
                    let (waiting, _) = publisher.backlog();
                    warn!(%reason, waiting, "lost the Home Assistant MQTT broker; reconnecting (the latest value of every topic is kept meanwhile)");
                    if !send_unless_stopped(&events, &shutdown, HassEvent::Disconnected { reason })
                        .await
                    {
                        break;
                    }
                } else {
                    warn!(%reason, retry_in = ?backoff, "cannot reach the Home Assistant MQTT broker");
                }
                connected = false;
                tokio::select! {
                    biased;
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(RECONNECT_MAX);
                continue;
            }
        }
        if connected {
            subscriptions.queue(&shared.client);
            shared.flush();
        }
    }
    shared.connected.store(false, Ordering::Release);
    if connected {
        close(&shared, &mut eventloop).await;
    }
}

/// Waits until `at`, or forever when there is none.
async fn until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Subscribes to the discovery payloads and sends the probe behind them; `false` when the
/// client would not take them (the reading is given up).
fn start_read(client: &AsyncClient, read: &mut DiscoveryRead) -> bool {
    let (filters, (probe_topic, token)) = read.start();
    filters
        .into_iter()
        .all(|filter| client.try_subscribe(filter, QoS::AtLeastOnce).is_ok())
        && client
            .try_publish(probe_topic, QoS::AtLeastOnce, false, token)
            .is_ok()
}

/// Ends the reading: the discovery subscription is dropped and the bridge told what was
/// found. `false` when the session ends.
async fn finish_read(
    shared: &Shared,
    read: &mut DiscoveryRead,
    events: &mpsc::Sender<HassEvent>,
    shutdown: &CancellationToken,
) -> bool {
    let (found, filters) = read.finish();
    for filter in filters {
        // Left subscribed (the client is full), the filter only brings messages the reading
        // ignores from now on.
        let _ = shared.client.try_unsubscribe(filter);
    }
    info!(
        topics = found.len(),
        "read the discovery payloads the broker held for this bridge"
    );
    send_unless_stopped(events, shutdown, HassEvent::DiscoveryHeld(found)).await
}

/// What an incoming publish means for the bridge, if anything.
fn incoming(topics: &Topics, topic: &str, payload: &[u8]) -> Option<HassEvent> {
    if topic == topics.ha_status() {
        if String::from_utf8_lossy(payload).trim() == "online" {
            info!("Home Assistant came online: republishing discovery and states");
            return Some(HassEvent::HomeAssistantOnline);
        }
        return None;
    }
    let Some(command) = topics.parse_command(topic) else {
        debug!(%topic, "ignoring message on an unexpected topic");
        return None;
    };
    if payload.len() > MAX_COMMAND_BYTES {
        return Some(HassEvent::OversizedCommand {
            topic: command,
            bytes: payload.len(),
        });
    }
    Some(HassEvent::Command {
        topic: command,
        payload: String::from_utf8_lossy(payload).into_owned(),
    })
}

/// Publishes `offline` for the bridge and disconnects cleanly, within [`DISCONNECT_TIMEOUT`].
async fn close(shared: &Shared, eventloop: &mut rumqttc::EventLoop) {
    let topic = shared.topics.bridge_availability();
    // Wait until the broker has acknowledged everything in flight, `offline` included:
    // disconnecting before the PUBACK makes Mosquitto treat the session as broken.
    let flushed = async {
        let mut offline_queued = false;
        let mut sent_offline = false;
        loop {
            if !offline_queued {
                offline_queued = shared
                    .client
                    .try_publish(topic.clone(), QoS::AtLeastOnce, true, "offline")
                    .is_ok();
            }
            match eventloop.poll().await {
                Ok(Event::Outgoing(rumqttc::Outgoing::Publish(_))) if offline_queued => {
                    sent_offline = true
                }
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
    let _ = shared.client.try_disconnect();
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
