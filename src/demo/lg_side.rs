//! LG's side, in this process: a test CA standing in for LG's and Amazon's authorities, an
//! embedded mutual-TLS broker standing in for AWS IoT Core (server certificate from that CA),
//! and the simulated ThinQ cloud publishing its pushes there.
//!
//! The demo, the pipeline bench (`benches/pipeline/world.rs`) and the Home Assistant perf feed
//! (`examples/ha_perf_feed.rs`) all start from this one setup; the integration tests use the
//! same simulator behind a real Mosquitto instead (`tests/support/cloud.rs`).

use super::broker::{BrokerConfig, BrokerTls, EmbeddedBroker};
use super::loopback;
use crate::bridge::BridgeConfig;
use crate::bridge::timings::Timings;
use crate::options::Options;
use crate::sim::{PushBroker, SimConfig, SimHandle, Simulator, TestCa};
use crate::supervisor::Supervisor;
use anyhow::Context as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// The simulated cloud and its push broker, as started by [`LgSide::start`].
pub struct LgSide {
    pub sim: SimHandle,
    /// The CA the push broker's certificate chains to, and that signs the bridge's.
    pub ca: Arc<TestCa>,
    /// Where the push broker listens (mutual TLS, 127.0.0.1).
    pub push_addr: SocketAddr,
}

impl LgSide {
    /// Starts the push broker (stopped when `shutdown` is cancelled) and the simulator with
    /// `config`, its `push_broker` pointed at that broker, its energy on today's UTC dates.
    /// Stop the simulator with [`SimHandle::shutdown`].
    pub async fn start(mut config: SimConfig, shutdown: CancellationToken) -> anyhow::Result<Self> {
        let ca = Arc::new(TestCa::generate().context("creating the test CA")?);
        let (server_cert_pem, server_key_pem) = ca
            .server_cert(&["127.0.0.1", "localhost"])
            .context("issuing the push broker's certificate")?;
        let tls = BrokerTls {
            ca_pem: ca.ca_pem(),
            server_cert_pem,
            server_key_pem,
        };
        let push_broker = EmbeddedBroker::start(
            BrokerConfig {
                plain: None,
                tls: Some((loopback(0), tls)),
            },
            shutdown,
        )
        .await
        .context("starting the push broker")?;
        let push_addr = push_broker
            .tls_addr()
            .context("the push broker has no TLS listener")?;
        config.push_broker = Some(PushBroker {
            host: push_addr.ip().to_string(),
            port: push_addr.port(),
        });
        let sim = Simulator::start(config, ca.clone(), loopback(0))
            .await
            .context("starting the simulated ThinQ cloud")?;
        // The bridge of `bridge_config` reads energy for today's real dates in UTC (and so
        // does Home Assistant's lg_thinq beside it in the perf feed): on the simulator's own
        // 2024 clock those dates would be "in the future" (1102).
        sim.use_wall_energy_clock(time::UtcOffset::UTC);
        Ok(LgSide { sim, ca, push_addr })
    }

    /// The bridge's configuration against this LG side: its API and the CA its push broker's
    /// certificate chains to, `options` for the Home Assistant side, no Supervisor (nobody
    /// listens at the URL), production intervals, UTC.
    pub fn bridge_config(&self, options: Options, data_dir: PathBuf) -> BridgeConfig {
        BridgeConfig {
            options,
            data_dir,
            supervisor: Supervisor {
                url: "http://127.0.0.1:9".to_owned(),
                token: None,
            },
            api_base_url: Some(self.sim.api_url()),
            push_root_ca_pem: Some(self.ca.ca_pem().into_bytes()),
            timings: Timings::default(),
            utc_offset: time::UtcOffset::UTC,
        }
    }
}
