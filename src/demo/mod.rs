//! Demo: the whole product on one machine, without an LG account or external services.
//!
//! `thinq-addon demo` starts, in this process:
//!
//! * a test CA, standing in for LG's and Amazon's certificate authorities;
//! * an embedded MQTT broker with mutual TLS (server certificate from the CA), standing in
//!   for LG's AWS IoT Core endpoint;
//! * the simulated ThinQ cloud ([`crate::sim`]) with every fixture appliance, publishing its
//!   pushes to that broker, and making a few appliances live;
//! * an embedded plain MQTT broker for the Home Assistant side (unless `--mqtt HOST:PORT`
//!   names a real one, where a real Home Assistant then sees the demo appliances);
//! * the real bridge ([`crate::bridge::run`]) against all of that: HTTP calls with LG's
//!   headers, key + CSR + certificate, the mutual-TLS push session, discovery, commands;
//! * a watcher ([`watch`]) that sees what Home Assistant would see and tells a person.
//!
//! Two brokers rather than one with two listeners: the embedded broker shares one topic space
//! across its listeners, and LG's push topics have no business on Home Assistant's broker.

pub mod broker;
pub mod clock;
pub mod discovered;
pub mod ha;
pub mod lg_side;
pub mod table;
pub mod view;
pub mod watch;

use crate::bridge::{self, BridgeConfig};
use crate::hass::broker_address::BrokerAddress;
use crate::hass::topics::Topics;
use crate::options::Options;
use crate::secret::Secret;
use crate::sim::devices::AIR_CONDITIONER_ID;
use crate::sim::{Quota, SimConfig, SimDevice};
use anyhow::Context as _;
use broker::{BrokerConfig, BrokerError, EmbeddedBroker};
use clock::Clock;
use lg_side::LgSide;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use watch::{DemoCommand, WatchConfig};

/// The personal access token the simulated account accepts. Not a secret: it opens nothing
/// but the simulator in this process.
pub const DEMO_PAT: &str = "thinqpat_demo0000000000000000000000000000000000000000";
/// The log level for the bridge and everything else in the demo: quiet, so the demo's own
/// output reads cleanly. `RUST_LOG` overrides it.
pub const LOG_LEVEL: &str = "warn";
/// The Home Assistant side listens here when the port is free, so a person can point Home
/// Assistant at a stable address; otherwise on any free port.
pub const PREFERRED_HA_PORT: u16 = 1883;
/// How often the simulated appliances change by themselves.
const LIFE_TICK: Duration = Duration::from_secs(2);
/// How long a simulated appliance takes to carry out a control: long enough that the round
/// trip is visible in the log, short enough to keep the demo lively.
const CONTROL_DELAY: Duration = Duration::from_millis(800);
/// When the demo itself sends a command, after the table.
const COMMAND_DELAY: Duration = Duration::from_secs(6);
/// The table is printed after this even when an appliance is missing.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the bridge gets to publish `offline` and disconnect.
const BRIDGE_STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Time for the watcher to see the bridge's last messages before it stops.
const WATCH_TAIL: Duration = Duration::from_millis(500);

/// A broker given with `--mqtt HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttAddress {
    pub host: String,
    pub port: u16,
}

impl MqttAddress {
    /// Parses `HOST:PORT` (`[::1]:1883` for IPv6).
    pub fn parse(text: &str) -> Result<MqttAddress, String> {
        let bad = || format!("--mqtt {text:?} must be HOST:PORT, e.g. 127.0.0.1:1883");
        let (host, port) = text.trim().rsplit_once(':').ok_or_else(bad)?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port: u16 = port.parse().map_err(|_| bad())?;
        if host.is_empty() || port == 0 {
            return Err(bad());
        }
        Ok(MqttAddress {
            host: host.to_owned(),
            port,
        })
    }
}

/// How the demo runs.
#[derive(Debug, Clone)]
pub struct DemoArgs {
    /// Stop after this long; `None` runs until Ctrl-C.
    pub duration: Option<Duration>,
    /// A real Home Assistant broker instead of the embedded one.
    pub mqtt: Option<MqttAddress>,
    pub clock: Clock,
    /// Every fixture device (LG's 59 examples and Home Assistant's 11), not just the demo's
    /// 16: for checking that every known device type loads in a real Home Assistant.
    pub all_fixtures: bool,
    /// The simulated account's hourly call quota (`--quota N`): calls beyond it answer 1314,
    /// as LG answers an account over its limit. `None`: no quota.
    pub quota: Option<usize>,
}

impl DemoArgs {
    /// From the command line's `--duration SECONDS` and `--mqtt HOST:PORT`. Reads the local
    /// time zone, so call it before the async runtime starts (see [`Clock::local`]).
    pub fn from_flags(duration_secs: Option<u64>, mqtt: Option<&str>) -> Result<DemoArgs, String> {
        Ok(DemoArgs {
            duration: duration_secs.map(Duration::from_secs),
            mqtt: mqtt.map(MqttAddress::parse).transpose()?,
            clock: Clock::local(),
            all_fixtures: false,
            quota: None,
        })
    }
}

/// Runs the demo until `shutdown` is cancelled (Ctrl-C) or the duration is over. `Ok` is a
/// clean stop: the bridge published `offline` and disconnected.
pub async fn run(args: DemoArgs, shutdown: CancellationToken) -> anyhow::Result<()> {
    let topics = Topics::new("homeassistant", "thinq");
    let devices = if args.all_fixtures {
        SimDevice::every_fixture()
    } else {
        SimDevice::fixture_set()
    };
    let expected_devices = devices.len();
    println!("thinq-addon demo: a simulated LG ThinQ account with {expected_devices} appliances,");
    println!("bridged to Home Assistant over MQTT by the real bridge. No LG account needed.");

    // Everything but the bridge stops on this token, after the bridge has said goodbye.
    let infrastructure = CancellationToken::new();
    let _stop_on_exit = infrastructure.clone().drop_guard();
    let (ha_host, ha_port, embedded) = match &args.mqtt {
        Some(address) => (address.host.clone(), address.port, false),
        None => {
            let broker = start_ha_broker(infrastructure.clone()).await?;
            let addr = broker
                .plain_addr()
                .context("the Home Assistant broker has no listener")?;
            (addr.ip().to_string(), addr.port(), true)
        }
    };

    let lg = LgSide::start(
        SimConfig {
            pats: vec![DEMO_PAT.to_owned()],
            devices,
            push_broker: None,
            control_delay: CONTROL_DELAY,
        },
        infrastructure.clone(),
    )
    .await?;
    let (sim, push_addr) = (&lg.sim, lg.push_addr);
    let (timings, time_scale) = crate::bridge::timings::Timings::from_env();
    if let Some(calls) = args.quota {
        // An hour as long as the bridge's (shorter under `THINQ_TIME_SCALE`).
        sim.set_quota(Some(
            Quota::per_hour(calls).scaled(time_scale.unwrap_or(1.0)),
        ));
        println!(
            "The simulated account allows {calls} LG calls an hour (--quota); beyond that LG answers 1314."
        );
    }

    print_addresses(&ha_host, ha_port, embedded, &sim.api_url(), push_addr);

    let watch_stop = CancellationToken::new();
    let mut watcher = watch::spawn(
        WatchConfig {
            host: ha_host.clone(),
            port: ha_port,
            topics: topics.clone(),
            expected_devices,
            ready_timeout: READY_TIMEOUT,
            command: Some(DemoCommand {
                device_id: AIR_CONDITIONER_ID.to_owned(),
                delay: COMMAND_DELAY,
            }),
            clock: args.clock,
            width: table::terminal_width(),
        },
        watch_stop.clone(),
    );
    // Subscribed before the bridge starts, so not one message is missed.
    tokio::select! {
        _ = shutdown.cancelled() => {
            watch_stop.cancel();
            sim.shutdown().await;
            return Ok(());
        }
        subscribed = &mut watcher.subscribed => match subscribed {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => anyhow::bail!(reason),
            Err(_) => anyhow::bail!("the watcher stopped before it subscribed"),
        },
    }

    let data_dir = DataDir::create()?;
    let bridge_stop = CancellationToken::new();
    let config = BridgeConfig {
        // Production intervals, unless `THINQ_TIME_SCALE` shortens them as for the add-on.
        timings,
        ..lg.bridge_config(options(&ha_host, ha_port, &topics), data_dir.path.clone())
    };
    let mut bridge_task = tokio::spawn(bridge::run(config, bridge_stop.clone()));
    let _life = sim.start_life(LIFE_TICK);

    let duration = async {
        match args.duration {
            Some(duration) => tokio::time::sleep(duration).await,
            None => std::future::pending().await,
        }
    };
    let early_end = tokio::select! {
        _ = shutdown.cancelled() => None,
        _ = duration => None,
        ended = &mut bridge_task => Some(ended),
    };

    // Stop in the order a real shutdown happens: the bridge first (it publishes `offline`
    // and disconnects while its broker is still there), then what it talked to.
    bridge_stop.cancel();
    let outcome = match early_end {
        Some(ended) => ended,
        None => tokio::time::timeout(BRIDGE_STOP_TIMEOUT, bridge_task)
            .await
            .context("the bridge did not stop in time")?,
    };
    tokio::time::sleep(WATCH_TAIL).await;
    watch_stop.cancel();
    let _ = watcher.task.await;
    sim.shutdown().await;
    infrastructure.cancel();

    match outcome {
        Ok(Ok(())) => {
            println!("\nStopped cleanly: the bridge published offline and disconnected.");
            if !embedded {
                println!(
                    "The demo appliances stay on {ha_host}:{ha_port} (retained) and show as \
                     unavailable in Home Assistant until the demo runs again or you delete them."
                );
            }
            Ok(())
        }
        Ok(Err(fatal)) => Err(anyhow::anyhow!("the bridge stopped: {fatal}")),
        Err(join) => Err(anyhow::anyhow!("the bridge task failed: {join}")),
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// The Home Assistant side: port 1883 when free, any free port otherwise.
async fn start_ha_broker(shutdown: CancellationToken) -> anyhow::Result<EmbeddedBroker> {
    let on = |port| BrokerConfig {
        plain: Some(loopback(port)),
        tls: None,
    };
    match EmbeddedBroker::start(on(PREFERRED_HA_PORT), shutdown.clone()).await {
        Ok(broker) => Ok(broker),
        Err(err)
            if matches!(
                err.downcast_ref::<BrokerError>(),
                Some(BrokerError::Bind { .. })
            ) =>
        {
            EmbeddedBroker::start(on(0), shutdown)
                .await
                .context("starting the Home Assistant broker")
        }
        Err(err) => Err(err.context("starting the Home Assistant broker")),
    }
}

fn print_addresses(ha_host: &str, ha_port: u16, embedded: bool, api_url: &str, push: SocketAddr) {
    println!();
    if embedded {
        println!("  Home Assistant side   mqtt://{ha_host}:{ha_port}  (embedded broker, no login)");
    } else {
        println!(
            "  Home Assistant side   mqtt://{ha_host}:{ha_port}  (your broker: Home Assistant sees the demo appliances)"
        );
    }
    println!("  Simulated LG cloud    {api_url}");
    println!("  LG push (AWS IoT)     mqtts://{push}  (mutual TLS, embedded)");
    println!();
    println!("  Watch the raw messages:  mosquitto_sub -h {ha_host} -p {ha_port} -t 'thinq/#' -v");
    if embedded {
        println!("  Or point Home Assistant's MQTT integration at {ha_host}:{ha_port}.");
    }
    println!();
}

/// The add-on options the demo's bridge runs with, as a user would set them.
fn options(mqtt_host: &str, mqtt_port: u16, topics: &Topics) -> Options {
    Options {
        pat: Secret::new(DEMO_PAT),
        country: "US".to_owned(),
        client_id: None,
        mqtt: Some(BrokerAddress {
            host: mqtt_host.to_owned(),
            port: mqtt_port,
            username: None,
            password: None,
            tls: false,
        }),
        discovery_prefix: topics.discovery_prefix.clone(),
        base_topic: topics.base.clone(),
        log_level: "warning".to_owned(),
        language: crate::labels::Language::current(),
    }
}

/// The bridge's data directory for this run (client id, key, certificate), removed at the end
/// so every run goes through the whole key + CSR + certificate path again.
struct DataDir {
    path: PathBuf,
}

impl DataDir {
    fn create() -> anyhow::Result<DataDir> {
        let path = std::env::temp_dir().join(format!(
            "thinq-addon-demo-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&path)
            .with_context(|| format!("creating the demo data directory {}", path.display()))?;
        Ok(DataDir { path })
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mqtt_addresses_parse_or_explain() {
        assert_eq!(
            MqttAddress::parse("192.168.1.5:1883"),
            Ok(MqttAddress {
                host: "192.168.1.5".into(),
                port: 1883
            })
        );
        assert_eq!(
            MqttAddress::parse("[::1]:1884").map(|a| a.host),
            Ok("::1".into())
        );
        for bad in [
            "",
            "host",
            "host:",
            ":1883",
            "host:0",
            "host:99999",
            "host:x",
        ] {
            assert!(MqttAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_demo_options_pass_the_add_on_checks() {
        let options = options("127.0.0.1", 1883, &Topics::new("homeassistant", "thinq"));
        let broker = options.mqtt.as_ref().expect("the demo names its broker");
        let json = serde_json::json!({
            "pat": options.pat.expose(),
            "country": options.country,
            "mqtt_host": broker.host,
            "mqtt_port": broker.port,
            "discovery_prefix": options.discovery_prefix,
            "base_topic": options.base_topic,
            "log_level": options.log_level,
        });
        let parsed = Options::from_json(&json.to_string()).expect("valid options");
        assert_eq!(parsed, options);
    }
}
