//! Everything around the bridge, in this process: the simulated LG cloud, an mTLS embedded
//! broker standing in for AWS IoT Core, an embedded broker for Home Assistant's side, and a
//! subscriber on it that stamps each message with its arrival time.

use anyhow::{Context as _, anyhow, bail};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;
use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use thinq_addon::demo::broker::{BrokerConfig, EmbeddedBroker};
use thinq_addon::demo::lg_side::LgSide;
use thinq_addon::hass::topics::Topics;
use thinq_addon::sim::{SimConfig, SimDevice, SimHandle};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The PAT the simulated account accepts.
pub const PAT: &str = "thinqpat_bench_0123456789abcdef0123456789abcdef";
/// Upper bound on any single wait; reached only when something is broken.
pub const WAIT: Duration = Duration::from_secs(30);

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// The LG side: simulator and push broker. Lives for the whole bench.
pub struct Cloud {
    /// The simulator, its push broker and CA (`thinq_addon::demo::lg_side`).
    pub lg: LgSide,
    pub device_ids: Vec<String>,
    shutdown: CancellationToken,
}

impl Cloud {
    pub async fn start() -> anyhow::Result<Cloud> {
        Cloud::start_with(SimDevice::fixture_set()).await
    }

    /// The same cloud with other appliances.
    pub async fn start_with(devices: Vec<SimDevice>) -> anyhow::Result<Cloud> {
        let shutdown = CancellationToken::new();
        let mut config = SimConfig::with_pat(PAT);
        config.devices = devices;
        let lg = LgSide::start(config, shutdown.clone()).await?;
        let device_ids = lg.sim.device_ids();
        Ok(Cloud {
            lg,
            device_ids,
            shutdown,
        })
    }

    /// Every retained discovery topic the bridge publishes: one per device, plus its own.
    pub fn discovery_topics(&self, topics: &Topics) -> HashSet<String> {
        self.device_ids
            .iter()
            .map(|id| topics.device_discovery(id))
            .chain([topics.bridge_discovery()])
            .collect()
    }

    pub async fn stop(self) {
        self.lg.sim.shutdown().await;
        self.shutdown.cancel();
    }
}

/// A Home Assistant broker (embedded, plain, no login), stopped on drop.
pub struct HaBroker {
    pub port: u16,
    shutdown: CancellationToken,
}

impl HaBroker {
    pub async fn start() -> anyhow::Result<HaBroker> {
        let shutdown = CancellationToken::new();
        let broker = EmbeddedBroker::start(
            BrokerConfig {
                plain: Some(loopback()),
                tls: None,
            },
            shutdown.clone(),
        )
        .await?;
        let port = broker
            .plain_addr()
            .ok_or_else(|| anyhow!("the HA broker has no plain listener"))?
            .port();
        Ok(HaBroker { port, shutdown })
    }
}

impl Drop for HaBroker {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// One message as the subscriber received it.
pub struct Received {
    pub topic: String,
    pub payload: Vec<u8>,
    pub at: Instant,
}

/// A subscriber on the Home Assistant broker; the arrival instant is taken in its event
/// loop task as soon as rumqttc hands the PUBLISH over.
pub struct Subscriber {
    rx: mpsc::UnboundedReceiver<Received>,
    /// Messages a wait passed over because they were for another topic, oldest first; the
    /// next wait looks at them before new ones.
    backlog: VecDeque<Received>,
    _client: AsyncClient,
    stop: CancellationToken,
    /// Every message received so far, and their topic + payload bytes.
    counted: Arc<(AtomicU64, AtomicU64)>,
}

impl Subscriber {
    /// Connects and returns once every subscription is acknowledged, so nothing published
    /// afterwards can be missed.
    pub async fn connect(port: u16, filters: &[&str]) -> anyhow::Result<Subscriber> {
        let id = format!("bench-{}", uuid::Uuid::new_v4().simple());
        let mut options = MqttOptions::new(id, "127.0.0.1", port);
        options
            .set_keep_alive(Duration::from_secs(30))
            .set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        for filter in filters {
            client.subscribe(*filter, QoS::AtMostOnce).await?;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let (acked_tx, mut acked_rx) = mpsc::unbounded_channel();
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let counted: Arc<(AtomicU64, AtomicU64)> = Arc::default();
        let counter = counted.clone();
        tokio::spawn(async move {
            loop {
                let event = tokio::select! {
                    _ = stopped.cancelled() => break,
                    event = eventloop.poll() => event,
                };
                match event {
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let at = Instant::now();
                        counter.0.fetch_add(1, Ordering::Relaxed);
                        let size = p.topic.len() + p.payload.len();
                        counter.1.fetch_add(size as u64, Ordering::Relaxed);
                        let message = Received {
                            topic: p.topic.clone(),
                            payload: p.payload.to_vec(),
                            at,
                        };
                        if tx.send(message).is_err() {
                            break;
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        let _ = acked_tx.send(());
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        for _ in filters {
            tokio::time::timeout(WAIT, acked_rx.recv())
                .await
                .context("no SUBACK from the HA broker")?
                .ok_or_else(|| anyhow!("subscriber stopped before its SUBACK"))?;
        }
        Ok(Subscriber {
            rx,
            backlog: VecDeque::new(),
            _client: client,
            stop,
            counted,
        })
    }

    /// Messages received so far, and their topic + payload bytes.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.counted.0.load(Ordering::Relaxed),
            self.counted.1.load(Ordering::Relaxed),
        )
    }

    /// Keeps taking messages in (for the next wait) until none came for `period`: what was
    /// in flight is then counted.
    pub async fn settle(&mut self, period: Duration) {
        while let Ok(Some(message)) = tokio::time::timeout(period, self.rx.recv()).await {
            self.backlog.push_back(message);
        }
    }

    /// The next message not yet looked at, or an error after [`WAIT`].
    async fn next_new(&mut self) -> anyhow::Result<Received> {
        tokio::time::timeout(WAIT, self.rx.recv())
            .await
            .with_context(|| format!("no message within {WAIT:?}"))?
            .ok_or_else(|| anyhow!("the subscriber stopped"))
    }

    /// Waits for the first message on `topic` whose JSON payload satisfies `check`.
    /// Earlier messages on `topic` are dropped (a later state supersedes them); messages on
    /// other topics are kept for the next wait.
    pub async fn wait_json(
        &mut self,
        topic: &str,
        check: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<Received> {
        let matches = |message: &Received| {
            serde_json::from_slice::<Value>(&message.payload).is_ok_and(|v| check(&v))
        };
        let mut kept = VecDeque::with_capacity(self.backlog.len());
        let mut found = None;
        while let Some(message) = self.backlog.pop_front() {
            if found.is_some() || message.topic != topic {
                kept.push_back(message);
            } else if matches(&message) {
                found = Some(message);
            }
        }
        self.backlog = kept;
        if let Some(message) = found {
            return Ok(message);
        }
        loop {
            let message = self.next_new().await?;
            if message.topic != topic {
                self.backlog.push_back(message);
            } else if matches(&message) {
                return Ok(message);
            }
        }
    }

    /// Waits until every topic in `topics` carried a non-empty message; returns when the
    /// last one arrived. Messages on other topics are kept for the next wait.
    pub async fn wait_all(&mut self, topics: &HashSet<String>) -> anyhow::Result<Instant> {
        let mut missing = topics.clone();
        let mut last = None;
        let mut kept = VecDeque::with_capacity(self.backlog.len());
        while let Some(message) = self.backlog.pop_front() {
            if !message.payload.is_empty() && missing.remove(&message.topic) {
                last = Some(message.at);
            } else if !topics.contains(&message.topic) {
                kept.push_back(message);
            }
        }
        self.backlog = kept;
        while !missing.is_empty() {
            let message = self.next_new().await.with_context(|| {
                format!("still waiting for {} topic(s): {missing:?}", missing.len())
            })?;
            if !message.payload.is_empty() && missing.remove(&message.topic) {
                last = Some(message.at);
            } else if !topics.contains(&message.topic) {
                self.backlog.push_back(message);
            }
        }
        last.ok_or_else(|| anyhow!("no topics to wait for"))
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// The report that sets the air conditioner's room temperature, as the appliance sends it.
pub fn temperature_report(celsius: i64) -> Value {
    serde_json::json!({"temperatureInUnits": [{"currentTemperature": celsius, "unit": "C"}]})
}

/// Room temperatures for successive reports, 18..=27 °C in turn: each differs from the one
/// before, and the first from the fixture's 25 °C, so every report changes the state.
pub fn room_temperatures() -> impl Iterator<Item = i64> {
    (0..).map(|i: i64| 18 + i % 10)
}

/// What a run of reports cost on the Home Assistant broker, and how long each took.
pub struct Timed {
    pub latencies: Vec<Duration>,
    /// Messages and topic + payload bytes the subscriber received per report.
    pub messages_per_report: f64,
    pub bytes_per_report: f64,
}

/// How long the subscriber must stay quiet after the last report before the messages are
/// counted (all of a report's messages leave the bridge together, so this is generous).
const SETTLE: Duration = Duration::from_millis(200);

/// Sends reports to the air conditioner one after another and times each from
/// `SimHandle::report` to the message on `state_topic` (the room temperature's own topic)
/// that carries the new temperature. `values` must differ from one to the next (and from the
/// current one), so each report changes what is published. Every message the subscriber gets
/// meanwhile (subscribe it to the device's whole subtree) is counted per report.
pub async fn timed_reports(
    sim: &SimHandle,
    subscriber: &mut Subscriber,
    device_id: &str,
    state_topic: &str,
    values: impl Iterator<Item = i64>,
) -> anyhow::Result<Timed> {
    let mut latencies = Vec::new();
    subscriber.settle(SETTLE).await;
    let (messages_before, bytes_before) = subscriber.counts();
    for celsius in values {
        let sent = Instant::now();
        sim.report(device_id, temperature_report(celsius)).await;
        let message = subscriber
            .wait_json(state_topic, |v| *v == celsius)
            .await
            .with_context(|| format!("no {celsius} on {state_topic}"))?;
        latencies.push(message.at.saturating_duration_since(sent));
    }
    if latencies.is_empty() {
        bail!("no reports were sent");
    }
    subscriber.settle(SETTLE).await;
    let (messages, bytes) = subscriber.counts();
    let reports = latencies.len() as f64;
    Ok(Timed {
        messages_per_report: (messages - messages_before) as f64 / reports,
        bytes_per_report: (bytes - bytes_before) as f64 / reports,
        latencies,
    })
}
