//! First start and restart of a large home: `bridge::run` in this process against the
//! simulated cloud answering every call after an LG-like delay, for 10, 59 and 200 appliances
//! cloned from the fixtures. Time from `bridge::run` to "every appliance ready" on the bridge
//! device, and the REST calls until then; the same for a restart on the stored data.
//!
//! The restart is measured as if it came an hour after the first start (the first start's
//! calls taken out of the bridge's stored window): within that hour a large home's restart
//! waits for what the first start spent, as LG counts it.
//!
//! 200 appliances need about 600 calls before they are ready, more than the bridge's first
//! hourly limit: that size runs with every interval scaled by [`SCALED`] (the budget's hour
//! included), and its time is given in real hours as well.

use crate::world::{Cloud, HaBroker, PAT, Subscriber};
use anyhow::{Context as _, anyhow};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use thinq_addon::bridge::timings::Timings;
use thinq_addon::bridge::{self, BridgeConfig};
use thinq_addon::options::Options;
use thinq_addon::sim::SimDevice;
use tokio_util::sync::CancellationToken;

/// How long the simulated LG takes to answer each call (LG's answer 100–300 ms away).
pub const LG_LATENCY: Duration = Duration::from_millis(100);
/// The time scale of the 200-appliance run.
pub const SCALED: f64 = 0.01;
/// Homes measured, and whether their intervals are scaled.
const HOMES: [(usize, Option<f64>); 3] = [(10, None), (59, None), (200, Some(SCALED))];
/// The longest a start may take here before the bench gives up.
const START_LIMIT: Duration = Duration::from_secs(900);

/// One home's figures.
pub struct Row {
    pub devices: usize,
    pub scale: Option<f64>,
    pub first_ready: Duration,
    pub first_calls: usize,
    pub first_refusals: usize,
    pub restart_ready: Duration,
    /// The restart's own calls until ready, and until two seconds later (the subscription
    /// lists come last); without the first start's unfinished notification subscriptions and
    /// energy reads, which a start stopped right at "ready" leaves to the next one.
    pub restart_calls: (usize, usize),
}

pub async fn run() -> anyhow::Result<Vec<Row>> {
    // `THINQ_BENCH_LOG=info` shows the bridge's log (on stdout, between the tables).
    if let Ok(level) = std::env::var("THINQ_BENCH_LOG") {
        thinq_addon::logging::init(&level);
    }
    let mut rows = Vec::new();
    for (devices, scale) in HOMES {
        rows.push(home(devices, scale).await?);
    }
    Ok(rows)
}

async fn home(devices: usize, scale: Option<f64>) -> anyhow::Result<Row> {
    let cloud = Cloud::start_with(SimDevice::clones(devices)).await?;
    cloud.lg.sim.set_latency(LG_LATENCY);
    let dir = tempfile::tempdir()?;
    let timings = scale.map_or_else(Timings::production, Timings::scaled);
    let mark = cloud.lg.sim.call_mark();
    let (first_ready, stop) = start(&cloud, dir.path(), timings, devices).await?;
    let first_calls = cloud.lg.sim.calls_since(mark).len();
    let first_refusals = cloud.lg.sim.quota_refusals();
    stop.await?;
    // The restart comes an hour later: the first start's calls no longer count (a restart
    // within that hour waits for them, as LG counts them too). The learned limit stays.
    forget_the_hours_calls(dir.path())?;
    let mark = cloud.lg.sim.call_mark();
    let (restart_ready, stop) = start(&cloud, dir.path(), timings, devices).await?;
    // The first start was stopped as soon as its appliances were ready: its notification
    // subscriptions and energy profiles come now, apart from what the restart itself asks.
    let leftover = |c: &thinq_addon::sim::RecordedRequest| {
        c.path.starts_with("/devices/energy/")
            || (c.path.starts_with("/push/") && c.path.ends_with("/subscribe"))
    };
    let own_calls = || {
        let calls = cloud.lg.sim.calls_since(mark);
        calls.iter().filter(|c| !leftover(c)).count()
    };
    let at_ready = own_calls();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let settled = own_calls();
    stop.await?;
    cloud.stop().await;
    Ok(Row {
        devices,
        scale,
        first_ready,
        first_calls,
        first_refusals,
        restart_ready,
        restart_calls: (at_ready, settled),
    })
}

/// Drops the calls of the last hour from the bridge's `call-budget.json`, keeping its limit.
fn forget_the_hours_calls(data_dir: &Path) -> anyhow::Result<()> {
    let path = data_dir.join("call-budget.json");
    let mut stored: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    stored["recent_calls"] = json!([]);
    std::fs::write(&path, stored.to_string())?;
    Ok(())
}

/// Starts a bridge on `data_dir` and waits until the bridge device says `devices` appliances
/// are ready. Returns how long that took and the bridge's stop.
async fn start(
    cloud: &Cloud,
    data_dir: &Path,
    timings: Timings,
    devices: usize,
) -> anyhow::Result<(
    Duration,
    impl std::future::Future<Output = anyhow::Result<()>>,
)> {
    let ha = HaBroker::start().await?;
    let options = Options::from_json(
        &json!({"pat": PAT, "country": "US", "mqtt_host": "127.0.0.1", "mqtt_port": ha.port})
            .to_string(),
    )?;
    let ready_topic = format!("{}/bridge/devices_ready/state", options.base_topic);
    // Every bridge topic: the bridge device refreshes them often enough that the subscriber
    // never waits long for a message.
    let mut subscriber =
        Subscriber::connect(ha.port, &[&format!("{}/bridge/#", options.base_topic)]).await?;
    let config = BridgeConfig {
        timings,
        ..cloud.lg.bridge_config(options, data_dir.to_path_buf())
    };
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let task = tokio::spawn(bridge::run(config, shutdown.clone()));
    let ready = tokio::time::timeout(START_LIMIT, async {
        loop {
            match subscriber
                .wait_json(&ready_topic, |v| v.as_u64() == Some(devices as u64))
                .await
            {
                Ok(message) => return message.at,
                // A quiet stretch (the hourly limit reached): keep waiting.
                Err(_) => continue,
            }
        }
    })
    .await
    .with_context(|| format!("{devices} appliances were not ready within {START_LIMIT:?}"))?;
    let stop = async move {
        shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(15), task)
            .await
            .context("the bridge did not stop within 15 s")?
            .context("the bridge task panicked")?
            .map_err(|fatal| anyhow!("the bridge stopped with an error: {fatal}"))?;
        drop(ha);
        Ok(())
    };
    Ok((ready.duration_since(started), stop))
}
