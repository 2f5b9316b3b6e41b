//! The demo's Home Assistant: an MQTT client on the Home Assistant side that sees exactly what
//! Home Assistant would (discovery and the `thinq/#` topics), prints the device table once
//! every appliance is in, then a live log of what changes, and — like a person tapping the
//! thermostat card — sends one command through the broker so the round trip shows.

use super::clock::Clock;
use super::ha::Shown;
use super::table;
use super::view::HaView;
use crate::hass::topics::Topics;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Discovery payloads of big appliances are tens of KiB; rumqttc's default is 10 KiB.
const MAX_PACKET_SIZE: usize = 1024 * 1024;
/// How long the watcher keeps trying to reach the broker before the demo gives up.
const FIRST_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How many temperature steps the demo's command moves the set point.
const COMMAND_STEPS: f64 = 5.0;
/// Pause between reconnect attempts.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);

/// The one command the demo sends: a climate entity's target temperature, a little later.
#[derive(Debug, Clone)]
pub struct DemoCommand {
    /// The ThinQ device id of the air conditioner to command.
    pub device_id: String,
    /// How long after the table is printed.
    pub delay: Duration,
}

/// What the watcher connects to and what it waits for.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub host: String,
    pub port: u16,
    pub topics: Topics,
    /// Appliances to wait for before the table is printed.
    pub expected_devices: usize,
    /// The table is printed after this even when some appliance is missing.
    pub ready_timeout: Duration,
    pub command: Option<DemoCommand>,
    pub clock: Clock,
    /// Output width in characters.
    pub width: usize,
}

/// A running watcher.
pub struct Watcher {
    /// Resolves once the subscriptions are acknowledged, or with why the broker is unreachable.
    pub subscribed: oneshot::Receiver<Result<(), String>>,
    pub task: tokio::task::JoinHandle<()>,
}

/// Connects and watches until `stop` is cancelled.
pub fn spawn(cfg: WatchConfig, stop: CancellationToken) -> Watcher {
    let (subscribed_tx, subscribed) = oneshot::channel();
    let task = tokio::spawn(run(cfg, subscribed_tx, stop));
    Watcher { subscribed, task }
}

async fn run(
    cfg: WatchConfig,
    subscribed: oneshot::Sender<Result<(), String>>,
    stop: CancellationToken,
) {
    let client_id = format!(
        "thinq-demo-watch-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let mut options = MqttOptions::new(client_id, cfg.host.clone(), cfg.port);
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_clean_session(true)
        .set_max_packet_size(MAX_PACKET_SIZE, MAX_PACKET_SIZE);
    let (client, mut eventloop) = AsyncClient::new(options, 64);
    let mut watch = Watch::new(cfg, client.clone());
    let mut subscribed = Some(subscribed);
    let give_up_at = Instant::now() + FIRST_CONNECT_TIMEOUT;
    let mut pending_subacks = 0usize;

    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = sleep_until_opt(watch.table_due()) => watch.print_table(),
            _ = sleep_until_opt(watch.command_due()) => watch.send_command(),
            event = eventloop.poll() => match event {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    // Clean session: subscriptions are renewed after every (re)connect.
                    pending_subacks = 0;
                    for filter in watch.filters() {
                        if client.try_subscribe(filter, QoS::AtLeastOnce).is_ok() {
                            pending_subacks += 1;
                        }
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    pending_subacks = pending_subacks.saturating_sub(1);
                    if pending_subacks == 0
                        && let Some(tx) = subscribed.take()
                    {
                        let _ = tx.send(Ok(()));
                    }
                }
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    watch.on_message(&publish.topic, &publish.payload);
                }
                Ok(_) => {}
                Err(err) => {
                    if subscribed.is_some() && Instant::now() >= give_up_at {
                        if let Some(tx) = subscribed.take() {
                            let _ = tx.send(Err(format!(
                                "cannot reach the MQTT broker at {}:{}: {err}",
                                watch.cfg.host, watch.cfg.port
                            )));
                        }
                        return;
                    }
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = tokio::time::sleep(RECONNECT_PAUSE) => {}
                    }
                }
            }
        }
    }
    // A stop before every appliance arrived still shows what did.
    if !watch.table_printed {
        watch.print_table();
    }
    let _ = client.try_disconnect();
    // Let the DISCONNECT go out; the broker is stopped right after.
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        while let Ok(event) = eventloop.poll().await {
            if matches!(event, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                break;
            }
        }
    })
    .await;
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The watcher's state between messages.
struct Watch {
    cfg: WatchConfig,
    client: AsyncClient,
    view: HaView,
    table_printed: bool,
    ready_deadline: Instant,
    command_at: Option<Instant>,
}

impl Watch {
    fn new(cfg: WatchConfig, client: AsyncClient) -> Watch {
        Watch {
            view: HaView::new(&cfg.topics.discovery_prefix, &cfg.topics.base),
            ready_deadline: Instant::now() + cfg.ready_timeout,
            cfg,
            client,
            table_printed: false,
            command_at: None,
        }
    }

    /// Exactly what Home Assistant subscribes to, plus our whole base topic.
    fn filters(&self) -> [String; 2] {
        [
            format!("{}/device/+/config", self.cfg.topics.discovery_prefix),
            format!("{}/#", self.cfg.topics.base),
        ]
    }

    fn table_due(&self) -> Option<Instant> {
        (!self.table_printed).then_some(self.ready_deadline)
    }

    fn command_due(&self) -> Option<Instant> {
        self.command_at
    }

    fn on_message(&mut self, topic: &str, payload: &[u8]) {
        let observations = self.view.on_message(topic, payload);
        if self.table_printed {
            let time = self.cfg.clock.now();
            for observation in &observations {
                for line in table::observation_lines(&time, observation) {
                    println!("{line}");
                }
            }
        } else if self.everything_shown() {
            self.print_table();
        }
    }

    /// Every appliance is in (a WashTower counts its washer and dryer too), and Home
    /// Assistant shows each, the bridge's own device included, with its values and online.
    fn everything_shown(&self) -> bool {
        let bridge = self.cfg.topics.bridge_discovery();
        let (complete, known) = self.view.complete_devices(&bridge);
        complete == known
            && known >= self.cfg.expected_devices
            && self
                .view
                .device(&bridge)
                .is_some_and(|d| self.view.has_state(d))
    }

    fn print_table(&mut self) {
        self.table_printed = true;
        let bridge = self.cfg.topics.bridge_discovery();
        let devices = self.view.merged_devices();
        let appliances = devices
            .iter()
            .filter(|d| d.discovery_topic != bridge)
            .count();
        let entities: usize = devices.iter().map(|d| d.entities.len()).sum();
        println!();
        println!("What Home Assistant sees (from the discovery payloads and state topics):");
        println!();
        print!(
            "{}",
            table::render_table(&self.view, &bridge, self.cfg.width)
        );
        if appliances < self.cfg.expected_devices {
            println!(
                "Only {appliances} of {} appliances arrived in time; the others may still come.",
                self.cfg.expected_devices
            );
        }
        println!(
            "{appliances} appliances, {entities} entities. Live changes follow (Ctrl-C stops the demo):"
        );
        println!();
        self.command_at = self.cfg.command.as_ref().map(|c| Instant::now() + c.delay);
    }

    /// Does what a person would in Home Assistant: nudge the air conditioner's set point.
    fn send_command(&mut self) {
        self.command_at = None;
        let Some(command) = &self.cfg.command else {
            return;
        };
        let time = self.cfg.clock.now();
        let discovery = self.cfg.topics.device_discovery(&command.device_id);
        match target_temperature_command(&self.view, &discovery) {
            Some(plan) => {
                println!(
                    "{time}  Home Assistant → {} · target temperature: {} (as a user would set it)",
                    plan.device, plan.shown
                );
                println!("          publishes {:?} on {}", plan.payload, plan.topic);
                if let Err(err) = self.client.try_publish(
                    plan.topic,
                    QoS::AtLeastOnce,
                    false,
                    plan.payload.into_bytes(),
                ) {
                    println!("          (could not publish: {err})");
                }
            }
            None => println!(
                "{time}  (no air conditioner with a target temperature to send a command to)"
            ),
        }
    }
}

/// A planned target-temperature command.
#[derive(Debug, Clone, PartialEq)]
pub struct TemperatureCommand {
    pub device: String,
    pub topic: String,
    /// What Home Assistant's climate card publishes: the number as a float.
    pub payload: String,
    /// The new value as shown to the person (`22 °C`).
    pub shown: String,
}

/// Picks a new target [`COMMAND_STEPS`] steps above the current one (below when that is
/// past the maximum), and the command topic from the discovery payload. Far enough that the
/// simulated room temperature visibly turns toward it.
pub fn target_temperature_command(
    view: &HaView,
    discovery_topic: &str,
) -> Option<TemperatureCommand> {
    let device = view.device(discovery_topic)?;
    let climate = device
        .entities
        .iter()
        .find(|e| e.platform == "climate" && e.config.contains_key("temperature_command_topic"))?;
    let topic = climate
        .config
        .get("temperature_command_topic")?
        .as_str()?
        .to_owned();
    let reading = climate.reading("temperature")?;
    let current = match climate.value("temperature")? {
        Shown::Number(n) => *n,
        _ => return None,
    };
    let number = |key: &str| climate.config.get(key).and_then(Value::as_f64);
    let step = number("temp_step")
        .or_else(|| number("precision"))
        .filter(|s| *s > 0.0)
        .unwrap_or(1.0);
    let (min, max) = (
        number("min_temp").unwrap_or(7.0),
        number("max_temp").unwrap_or(35.0),
    );
    let change = COMMAND_STEPS * step;
    let target = if current + change <= max {
        current + change
    } else {
        (current - change).max(min)
    };
    let unit = reading.unit.as_deref().unwrap_or("");
    Some(TemperatureCommand {
        device: device.name.clone(),
        topic,
        payload: format!("{target:.1}"),
        shown: format!("{} {unit}", plain_number(target))
            .trim_end()
            .to_owned(),
    })
}

/// `22.0` → `22`, `22.5` → `22.5`.
fn plain_number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn view(target: f64, max: f64) -> HaView {
        let mut view = HaView::new("homeassistant", "thinq");
        let payload = json!({
            "dev": {"name": "Living room AC"},
            "o": {"name": "thinq-addon"},
            "cmps": {"climate": {"p": "climate", "name": null,
                "temp_cmd_t": "thinq/AC/climate/temperature/set",
                "temp_stat_t": "thinq/AC/climate/target_temperature",
                "min_temp": 18, "max_temp": max, "temp_unit": "C", "precision": 1.0}}
        });
        view.on_json("homeassistant/device/thinq_AC/config", &payload);
        view.on_message(
            "thinq/AC/climate/target_temperature",
            target.to_string().as_bytes(),
        );
        view
    }

    #[test]
    fn the_command_moves_the_set_point_within_the_limits() {
        let up =
            target_temperature_command(&view(19.0, 30.0), "homeassistant/device/thinq_AC/config");
        assert_eq!(
            up,
            Some(TemperatureCommand {
                device: "Living room AC".into(),
                topic: "thinq/AC/climate/temperature/set".into(),
                payload: "24.0".into(),
                shown: "24 °C".into(),
            })
        );
        let down =
            target_temperature_command(&view(29.0, 30.0), "homeassistant/device/thinq_AC/config")
                .map(|c| c.payload);
        assert_eq!(down.as_deref(), Some("24.0"));
        assert_eq!(
            target_temperature_command(&view(19.0, 30.0), "homeassistant/device/other/config"),
            None
        );
    }
}
