//! The LG side of `tools/ha_perf.py`: the simulated ThinQ cloud (all fixture appliances, pushes
//! over mutual TLS) and the real bridge, publishing to the Home Assistant broker given as
//! `HOST:PORT`. Unlike `thinq-addon demo`, no appliance changes on its own: the script says
//! when, so every report is one it times.
//!
//! Protocol on stdin / stdout, one line each:
//!
//! ```text
//! -> ready <air conditioner device id>       once the simulator and the bridge are started
//! <- report <celsius>                         the air conditioner reports a room temperature
//! -> sent <celsius> <unix time in ns>         taken just before the push leaves the simulator
//! <- quit                                     (or end of input) stops everything
//! ```
//!
//! `cargo run --release --example ha_perf_feed -- 127.0.0.1:1883`. It uses only the library's
//! simulator and `bridge::run`, so the same file builds against older versions of the bridge
//! for before/after comparisons.

use anyhow::anyhow;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use thinq_addon::bridge::{self, BridgeConfig};
use thinq_addon::demo::broker::{BrokerConfig, BrokerTls, EmbeddedBroker};
use thinq_addon::options::Options;
use thinq_addon::sim::devices::AIR_CONDITIONER_ID;
use thinq_addon::sim::{PushBroker, SimConfig, Simulator, TestCa};
use thinq_addon::supervisor::Supervisor;
use tokio_util::sync::CancellationToken;

const PAT: &str = "thinqpat_perf_0123456789abcdef0123456789abcdef";

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

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
    let ca = Arc::new(TestCa::generate()?);
    let (cert, key) = ca.server_cert(&["localhost", "127.0.0.1"])?;
    let push_broker = EmbeddedBroker::start(
        BrokerConfig {
            plain: None,
            tls: Some((
                loopback(),
                BrokerTls {
                    ca_pem: ca.ca_pem(),
                    server_cert_pem: cert,
                    server_key_pem: key,
                },
            )),
        },
        stop.clone(),
    )
    .await?;
    let push_addr = push_broker
        .tls_addr()
        .ok_or_else(|| anyhow!("the push broker has no TLS listener"))?;
    let mut config = SimConfig::with_pat(PAT);
    config.push_broker = Some(PushBroker {
        host: "127.0.0.1".into(),
        port: push_addr.port(),
    });
    let sim = Simulator::start(config, ca.clone(), loopback()).await?;

    let data_dir = tempfile::tempdir()?;
    let options = Options::from_json(
        &json!({"pat": PAT, "country": "US", "mqtt_host": host, "mqtt_port": port}).to_string(),
    )?;
    let bridge_config = BridgeConfig {
        options,
        data_dir: data_dir.path().to_path_buf(),
        supervisor: Supervisor {
            url: "http://127.0.0.1:9".into(),
            token: None,
        },
        api_base_url: Some(sim.api_url()),
        push_root_ca_pem: Some(ca.ca_pem().into_bytes()),
        timings: Default::default(),
        utc_offset: time::UtcOffset::UTC,
    };
    let bridge_stop = CancellationToken::new();
    let bridge_task = tokio::spawn(bridge::run(bridge_config, bridge_stop.clone()));

    // Reports count once the bridge's push session is up: the script waits for the bridge
    // device's `lg_push: ON` on the Home Assistant broker before its first one.
    println!("ready {AIR_CONDITIONER_ID}");

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
        match (words.next(), words.next().map(str::parse::<i64>)) {
            (Some("report"), Some(Ok(celsius))) => {
                let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
                println!("sent {celsius} {now}");
                let report =
                    json!({"temperatureInUnits": [{"currentTemperature": celsius, "unit": "C"}]});
                sim.report(AIR_CONDITIONER_ID, report).await;
            }
            (Some("quit"), _) => break,
            _ => eprintln!("ignored: {line:?}"),
        }
    }
    bridge_stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(10), bridge_task).await;
    sim.shutdown().await;
    stop.cancel();
    Ok(())
}
