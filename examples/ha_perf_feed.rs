//! The LG side of `tools/ha_perf.py`: the simulated ThinQ cloud (all fixture appliances, pushes
//! over mutual TLS) and the real bridge, publishing to the Home Assistant broker given as
//! `HOST:PORT`. Unlike `thinq-addon demo`, no appliance changes on its own: the script says
//! when, so every report is one it times.
//!
//! Protocol on stdin / stdout, one line each:
//!
//! ```text
//! -> ready <AC device id> <API URL> <CA file> <push port> <PAT>
//!                                             once the simulator and the bridge are started
//! <- report <celsius>                         the air conditioner reports a room temperature
//! -> sent <celsius> <unix time in ns>         taken just before the push leaves the simulator
//! <- bridge off                               the bridge stops (its pushes go to nobody)
//! -> bridge off                               once it has
//! <- quit                                     (or end of input) stops everything
//! ```
//!
//! The report is the one a real air conditioner sends when its room temperature changes, and
//! the simulator's own appliances too (`sim::life`): the value in each unit of
//! `temperatureInUnits` (°C and °F) and in the older `temperature` resource. One value changed,
//! three places in LG's report: how many messages that makes for Home Assistant is what the
//! script counts.
//!
//! The rest of the ready line is for `ha_perf.py --peer lg_thinq`: Home Assistant's own
//! integration, pointed at the same simulated cloud (API, the CA its push broker's
//! certificate chains to, the broker's port) with the same token, gets the same pushes once
//! the bridge is off.
//!
//! `cargo run --release --example ha_perf_feed -- 127.0.0.1:1883`. It starts from the same
//! LG side as the demo and the bench (`demo::lg_side`); for a before/after comparison with a
//! version older than that, build that version's own copy of this file.

use anyhow::anyhow;
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use thinq_addon::bridge;
use thinq_addon::demo::lg_side::LgSide;
use thinq_addon::options::Options;
use thinq_addon::sim::devices::AIR_CONDITIONER_ID;
use thinq_addon::sim::{SimConfig, room_temperature_report};
use tokio_util::sync::CancellationToken;

const PAT: &str = "thinqpat_perf_0123456789abcdef0123456789abcdef";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    thinq_addon::install_crypto_provider();
    let address = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow!("usage: ha_perf_feed HOST:PORT"))?;
    let (host, port) = address
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
        .ok_or_else(|| anyhow!("{address:?} is not HOST:PORT"))?;

    let stop = CancellationToken::new();
    let lg = LgSide::start(SimConfig::with_pat(PAT), stop.clone()).await?;
    let (sim, ca, push_addr) = (&lg.sim, &lg.ca, lg.push_addr);

    let data_dir = tempfile::tempdir()?;
    let options = Options::from_json(
        &json!({"pat": PAT, "country": "US", "mqtt_host": host, "mqtt_port": port}).to_string(),
    )?;
    let bridge_config = lg.bridge_config(options, data_dir.path().to_path_buf());
    let bridge_stop = CancellationToken::new();
    let mut bridge_task = Some(tokio::spawn(bridge::run(
        bridge_config,
        bridge_stop.clone(),
    )));

    // Reports count once the bridge's push session is up: the script waits for the bridge
    // device's `lg_push: ON` on the Home Assistant broker before its first one.
    let ca_file = data_dir.path().join("push-ca.pem");
    std::fs::write(&ca_file, ca.ca_pem())?;
    println!(
        "ready {AIR_CONDITIONER_ID} {} {} {} {PAT}",
        sim.api_url(),
        ca_file.display(),
        push_addr.port()
    );

    // Stdin is read on a thread of its own (the crate's tokio has no `io-std`).
    let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = lines.recv().await {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("report"), Some(value)) if value.parse::<i64>().is_ok() => {
                let celsius: i64 = value.parse()?;
                let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
                println!("sent {celsius} {now}");
                sim.report(AIR_CONDITIONER_ID, room_temperature_report(celsius))
                    .await;
            }
            (Some("bridge"), Some("off")) => {
                bridge_stop.cancel();
                if let Some(task) = bridge_task.take() {
                    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
                }
                println!("bridge off");
            }
            (Some("quit"), _) => break,
            _ => eprintln!("ignored: {line:?}"),
        }
    }
    bridge_stop.cancel();
    if let Some(task) = bridge_task {
        let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    }
    sim.shutdown().await;
    stop.cancel();
    Ok(())
}
