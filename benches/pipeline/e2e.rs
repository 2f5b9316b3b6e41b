//! End to end on loopback, in this process: `bridge::run` against the simulated cloud and
//! the embedded brokers. Push-to-state latency, and cold start to all discovery published.

use crate::measure::Summary;
use crate::world::{Cloud, HaBroker, PAT, Subscriber, room_temperatures, timed_reports};
use anyhow::{Context as _, anyhow};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use thinq_addon::bridge;
use thinq_addon::hass::entities::climate::CURRENT_TEMPERATURE;
use thinq_addon::hass::topics::Topics;
use thinq_addon::options::Options;
use thinq_addon::sim::devices::AIR_CONDITIONER_ID;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Reports timed for the latency figures, after [`LATENCY_WARMUP`] untimed ones.
pub const LATENCY_REPORTS: usize = 1000;
/// Untimed reports first, so connections and caches are warm.
pub const LATENCY_WARMUP: usize = 20;
/// Start-ups with a fresh data directory (new client id, RSA key, certificate from LG).
pub const FRESH_STARTS: usize = 5;
/// Start-ups that reuse the stored client id, key and certificate (an add-on restart).
pub const RESTARTS: usize = 10;

/// A bridge running in this process, with its Home Assistant broker.
struct RunningBridge {
    task: JoinHandle<Result<(), bridge::Fatal>>,
    shutdown: CancellationToken,
    ha: HaBroker,
}

impl RunningBridge {
    async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .context("the bridge did not stop within 15 s")?
            .context("the bridge task panicked")?
            .map_err(|fatal| anyhow!("the bridge stopped with an error: {fatal}"))
    }
}

/// What one start-up took.
struct Startup {
    discovery: Duration,
    push_on: Duration,
}

/// Starts a bridge against `cloud` with data in `data_dir` and measures, from the call to
/// `bridge::run`, until every discovery payload is on the HA broker and until the bridge
/// reports its LG push session up. Returns the bridge still running.
async fn start_bridge(cloud: &Cloud, data_dir: &Path) -> anyhow::Result<(RunningBridge, Startup)> {
    let ha = HaBroker::start().await?;
    let options = Options::from_json(
        &json!({
            "pat": PAT,
            "country": "US",
            "mqtt_host": "127.0.0.1",
            "mqtt_port": ha.port,
        })
        .to_string(),
    )?;
    let topics = Topics::new(&options.discovery_prefix, &options.base_topic);
    let wanted = cloud.discovery_topics(&topics);
    let bridge_state = format!("{}/bridge/state", options.base_topic);
    let mut subscriber = Subscriber::connect(
        ha.port,
        &[
            &format!("{}/device/+/config", options.discovery_prefix),
            &bridge_state,
        ],
    )
    .await?;
    let config = cloud.lg.bridge_config(options, data_dir.to_path_buf());
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let task = tokio::spawn(bridge::run(config, shutdown.clone()));
    let running = RunningBridge { task, shutdown, ha };
    let discovered = subscriber
        .wait_all(&wanted)
        .await
        .context("waiting for every discovery payload")?;
    // The bridge device's state says `lg_push: ON` once the push session is up; a retained
    // copy from before would not exist, the broker is new.
    let push_on = subscriber
        .wait_json(&bridge_state, |v| v["lg_push"] == "ON")
        .await
        .context("waiting for the bridge to report its LG push session up")?
        .at;
    Ok((
        running,
        Startup {
            discovery: discovered.duration_since(started),
            push_on: push_on.duration_since(started),
        },
    ))
}

/// The figures this part produces.
pub struct Figures {
    pub latency: Summary,
    pub fresh_discovery: Summary,
    pub fresh_push_on: Summary,
    pub restart_discovery: Summary,
    pub restart_push_on: Summary,
    pub devices: usize,
    /// MQTT messages, and their topic + payload bytes, per single-value report.
    pub messages_per_report: f64,
    pub bytes_per_report: f64,
}

/// Where the air conditioner's room temperature is published, alone and plain.
pub fn room_temperature_topic(topics: &Topics) -> String {
    topics.entity_state(AIR_CONDITIONER_ID, "climate", CURRENT_TEMPERATURE)
}

fn summary(name: &str, samples: Vec<Duration>) -> anyhow::Result<Summary> {
    Summary::from_samples(name, samples).ok_or_else(|| anyhow!("no samples for {name}"))
}

pub async fn run() -> anyhow::Result<Figures> {
    let cloud = Cloud::start().await?;
    let dirs = tempfile::tempdir()?;
    let mut fresh_discovery = Vec::new();
    let mut fresh_push_on = Vec::new();

    // First fresh start; this bridge then serves the latency run.
    let kept_dir = dirs.path().join("fresh-0");
    let (bridge, startup) = start_bridge(&cloud, &kept_dir).await?;
    fresh_discovery.push(startup.discovery);
    fresh_push_on.push(startup.push_on);

    let topics = Topics::new("homeassistant", "thinq");
    let state_topic = room_temperature_topic(&topics);
    let device_topics = format!("thinq/{}/#", Topics::object_id(AIR_CONDITIONER_ID));
    let mut subscriber = Subscriber::connect(bridge.ha.port, &[&device_topics]).await?;
    // The retained state comes first; after it, every message is a reaction to a report.
    subscriber
        .wait_json(&state_topic, |_| true)
        .await
        .context("waiting for the air conditioner's retained state")?;
    let timed = timed_reports(
        &cloud.lg.sim,
        &mut subscriber,
        AIR_CONDITIONER_ID,
        &state_topic,
        room_temperatures().take(LATENCY_WARMUP + LATENCY_REPORTS),
    )
    .await?;
    let mut all = timed.latencies;
    let latencies = all.split_off(LATENCY_WARMUP);
    drop(subscriber);
    bridge.stop().await?;

    let mut restart_discovery = Vec::new();
    let mut restart_push_on = Vec::new();
    for _ in 0..RESTARTS {
        let (bridge, startup) = start_bridge(&cloud, &kept_dir).await?;
        restart_discovery.push(startup.discovery);
        restart_push_on.push(startup.push_on);
        bridge.stop().await?;
    }
    for n in 1..FRESH_STARTS {
        let (bridge, startup) =
            start_bridge(&cloud, &dirs.path().join(format!("fresh-{n}"))).await?;
        fresh_discovery.push(startup.discovery);
        fresh_push_on.push(startup.push_on);
        bridge.stop().await?;
    }
    let devices = cloud.device_ids.len();
    cloud.stop().await;
    Ok(Figures {
        latency: summary("push → state on the HA broker", latencies)?,
        fresh_discovery: summary("fresh start → all discovery", fresh_discovery)?,
        fresh_push_on: summary("fresh start → LG push up", fresh_push_on)?,
        restart_discovery: summary("restart → all discovery", restart_discovery)?,
        restart_push_on: summary("restart → LG push up", restart_push_on)?,
        devices,
        messages_per_report: timed.messages_per_report,
        bytes_per_report: timed.bytes_per_report,
    })
}
