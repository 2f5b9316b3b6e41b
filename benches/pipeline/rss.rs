//! Memory of the real `thinq-addon run` binary, as a child process, against the simulated
//! cloud and embedded brokers in this process. Read from `/proc/<pid>/status` after start-up
//! and after a thousand pushes; the child holds only the bridge, so nothing is subtracted.

use crate::measure::Summary;
use crate::world::{Cloud, HaBroker, PAT, Subscriber, room_temperatures, timed_reports};
use anyhow::{Context as _, anyhow, bail};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use thinq_addon::hass::topics::Topics;
use thinq_addon::sim::devices::AIR_CONDITIONER_ID;
use tokio::process::{Child, Command};

/// Readings are taken after this many pushes in total (the first figure is the one the
/// latency table is built from; the second shows whether memory keeps growing).
pub const CHECKPOINTS: [usize; 2] = [1_000, 10_000];
/// Set to a binary's path to measure that build (e.g. the static musl one the Docker image
/// ships) instead of the bench profile's `thinq-addon`.
pub const BINARY_ENV: &str = "THINQ_BENCH_BINARY";
/// Idle time after start-up before the first reading, so background start-up work settles.
const SETTLE: Duration = Duration::from_secs(1);

/// The memory lines of `/proc/<pid>/status`, in KiB, and the thread count.
#[derive(Debug, Clone, Default)]
pub struct ProcStatus {
    pub vm_rss: u64,
    pub vm_hwm: u64,
    pub rss_anon: u64,
    pub rss_file: u64,
    pub threads: u64,
}

impl ProcStatus {
    fn read(pid: u32) -> anyhow::Result<ProcStatus> {
        let path = format!("/proc/{pid}/status");
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        let field = |name: &str| -> anyhow::Result<u64> {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
                .ok_or_else(|| anyhow!("{path} has no readable {name}"))
        };
        Ok(ProcStatus {
            vm_rss: field("VmRSS")?,
            vm_hwm: field("VmHWM")?,
            rss_anon: field("RssAnon")?,
            rss_file: field("RssFile")?,
            threads: field("Threads")?,
        })
    }
}

/// User + system CPU time the process has used so far (all its threads, living or gone).
fn cpu_time(pid: u32, ticks_per_second: u64) -> anyhow::Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    // The command name may hold spaces and parentheses; the fields start after the last ')'.
    let after_name = text
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| anyhow!("{path} is not in the expected format"))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Field 3 (state) is fields[0]; utime is field 14, stime field 15.
    let tick = |index: usize| -> anyhow::Result<u64> {
        fields
            .get(index)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| anyhow!("{path} field {} is unreadable", index + 3))
    };
    let ticks = tick(11)? + tick(12)?;
    Ok(Duration::from_secs_f64(
        ticks as f64 / ticks_per_second.max(1) as f64,
    ))
}

/// `getconf CLK_TCK` (100 on practically every Linux).
fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100)
}

/// Memory and CPU time after some number of pushes.
pub struct Checkpoint {
    pub pushes: usize,
    pub status: ProcStatus,
    /// CPU time used since the start-up reading.
    pub cpu: Duration,
}

/// What the memory run found.
pub struct Figures {
    pub binary: PathBuf,
    pub binary_bytes: u64,
    pub after_start: ProcStatus,
    pub startup_to_discovery: Duration,
    pub startup_cpu: Duration,
    pub checkpoints: Vec<Checkpoint>,
    /// Push-to-state latency over the pushes up to the first checkpoint.
    pub latency: Summary,
    pub clock_ticks: u64,
}

/// The binary to measure: [`BINARY_ENV`] or the one Cargo built next to this bench.
fn binary() -> PathBuf {
    std::env::var_os(BINARY_ENV)
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_thinq-addon")))
}

/// Sends SIGTERM (the Supervisor's stop) with the `kill` command and waits for the exit.
async fn stop(mut child: Child) -> anyhow::Result<()> {
    let Some(pid) = child.id() else {
        bail!("the bridge process already exited");
    };
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()?;
    if !status.success() {
        bail!("kill -TERM {pid} failed");
    }
    let exit = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .context("the bridge did not stop within 15 s of SIGTERM")??;
    if !exit.success() {
        bail!("the bridge exited with {exit}");
    }
    Ok(())
}

fn spawn_bridge(binary: &Path, dir: &Path, ha_port: u16, cloud: &Cloud) -> anyhow::Result<Child> {
    let options = dir.join("options.json");
    std::fs::write(
        &options,
        json!({
            "pat": PAT,
            "country": "US",
            "mqtt_host": "127.0.0.1",
            "mqtt_port": ha_port,
            "log_level": "info",
        })
        .to_string(),
    )?;
    let ca = dir.join("root-ca.pem");
    std::fs::write(&ca, cloud.lg.ca.ca_pem())?;
    let log = std::fs::File::create(dir.join("bridge.log"))?;
    let child = Command::new(binary)
        .arg("run")
        .arg("--options")
        .arg(&options)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .env("THINQ_API_URL", cloud.lg.sim.api_url())
        .env("THINQ_ROOT_CA", &ca)
        .env("SUPERVISOR_URL", "http://127.0.0.1:9")
        .env_remove("SUPERVISOR_TOKEN")
        .env_remove("RUST_LOG")
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    Ok(child)
}

pub async fn run() -> anyhow::Result<Figures> {
    let binary = binary();
    let binary_bytes = std::fs::metadata(&binary)
        .with_context(|| format!("no binary at {}", binary.display()))?
        .len();
    let cloud = Cloud::start().await?;
    let ha = HaBroker::start().await?;
    let dir = tempfile::tempdir()?;
    let topics = Topics::new("homeassistant", "thinq");
    let state_topic = crate::e2e::room_temperature_topic(&topics);
    let mut subscriber = Subscriber::connect(
        ha.port,
        &[
            "homeassistant/device/+/config",
            "thinq/bridge/state",
            &state_topic,
        ],
    )
    .await?;
    let ticks = clock_ticks();

    let started = Instant::now();
    let child = spawn_bridge(&binary, dir.path(), ha.port, &cloud)?;
    let pid = child
        .id()
        .ok_or_else(|| anyhow!("the bridge exited at once"))?;
    let outcome = async {
        let discovered = subscriber
            .wait_all(&cloud.discovery_topics(&topics))
            .await?;
        subscriber
            .wait_json("thinq/bridge/state", |v| v["lg_push"] == "ON")
            .await?;
        subscriber.wait_json(&state_topic, |_| true).await?;
        tokio::time::sleep(SETTLE).await;
        let after_start = ProcStatus::read(pid)?;
        let startup_cpu = cpu_time(pid, ticks)?;

        let mut values = room_temperatures();
        let mut sent = 0;
        let mut latency = None;
        let mut checkpoints = Vec::new();
        for target in CHECKPOINTS {
            let timed = timed_reports(
                &cloud.lg.sim,
                &mut subscriber,
                AIR_CONDITIONER_ID,
                &state_topic,
                values.by_ref().take(target.saturating_sub(sent)),
            )
            .await?;
            sent = target;
            if latency.is_none() {
                latency = Summary::from_samples(
                    "push → state, real binary (child process)",
                    timed.latencies,
                );
            }
            checkpoints.push(Checkpoint {
                pushes: target,
                status: ProcStatus::read(pid)?,
                cpu: cpu_time(pid, ticks)?.saturating_sub(startup_cpu),
            });
        }
        anyhow::Ok((
            discovered.duration_since(started),
            after_start,
            startup_cpu,
            checkpoints,
            latency.ok_or_else(|| anyhow!("no latency samples"))?,
        ))
    }
    .await;
    let stopped = stop(child).await;
    let (startup_to_discovery, after_start, startup_cpu, checkpoints, latency) = match outcome {
        Ok(figures) => figures,
        Err(err) => {
            let log = std::fs::read_to_string(dir.path().join("bridge.log")).unwrap_or_default();
            bail!("{err:#}\n--- bridge output ---\n{log}");
        }
    };
    stopped?;
    drop(ha);
    cloud.stop().await;
    Ok(Figures {
        binary,
        binary_bytes,
        after_start,
        startup_to_discovery,
        startup_cpu,
        checkpoints,
        latency,
        clock_ticks: ticks,
    })
}
