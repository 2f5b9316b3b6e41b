//! The whole house for tests that treat the bridge as a user would: the simulated LG cloud
//! with its mutual-TLS push broker ([`PushCloud`]), Home Assistant's password broker, the
//! bridge's options file and data directory, and the ways in: start the real binary
//! ([`World::bridge`]), break things around it, look at what Home Assistant's broker holds
//! ([`World::home_assistant`], [`World::retained`]) and hold it against the simulator
//! ([`World::assert_ha_matches_sim`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use thinq_addon::hass::topics::Topics;
use thinq_addon::hass::{DeviceModel, DiscoveryContext};
use thinq_addon::sim::{SimDevice, SimHandle};

use super::bridge::{Bridge, Launch};
use super::{Mosquitto, PAT, PushCloud, WAIT, Watcher};

pub const HA_USER: &str = "addons";
pub const HA_PASS: &str = "ha-broker-secret-7f3a";
/// The bridge device's state as Home Assistant sees it.
pub const BRIDGE_STATE: &str = "thinq/bridge/state";
/// Where the bridge looks for a Supervisor when a test has none: nobody listens there.
const NO_SUPERVISOR: &str = "http://127.0.0.1:9";

/// What a [`World`] is made of, before it starts.
pub struct Setup {
    devices: Vec<SimDevice>,
    time_scale: Option<f64>,
    push_access_rules: bool,
}

impl Setup {
    /// Every interval the bridge keeps, times `scale` (`THINQ_TIME_SCALE`, the bridge's own
    /// mechanism), so that hours pass in seconds.
    pub fn scaled(mut self, scale: f64) -> Setup {
        self.time_scale = Some(scale);
        self
    }

    /// A push broker with access rules, as AWS IoT Core's certificate policies: tests can
    /// make it refuse a subscription ([`Mosquitto::deny_subscribe`] on
    /// [`World::push_broker`]).
    pub fn push_access_rules(mut self) -> Setup {
        self.push_access_rules = true;
        self
    }

    pub async fn start(self) -> World {
        let control_delay = Duration::from_millis(100);
        let cloud = if self.push_access_rules {
            PushCloud::start_with_access_rules(self.devices.clone(), control_delay).await
        } else {
            PushCloud::start(self.devices.clone(), control_delay).await
        }
        .unwrap();
        // The bridge reads energy for today's real dates, in its time zone; the simulator
        // answers by the same clock.
        let utc_offset_hours = energy_time_zone(time::OffsetDateTime::now_utc().hour());
        let offset = time::UtcOffset::from_hms(utc_offset_hours, 0, 0).unwrap();
        cloud.sim.use_wall_energy_clock(offset);
        let ha_broker = Mosquitto::plain_with_password(HA_USER, HA_PASS).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca_path = dir.path().join("root-ca.pem");
        std::fs::write(&ca_path, cloud.ca.ca_pem()).unwrap();
        let data_dir = dir.path().join("data");
        std::fs::create_dir_all(&data_dir).unwrap();
        let world = World {
            options_path: dir.path().join("options.json"),
            _dir: dir,
            data_dir,
            ca_path,
            sim: cloud.sim,
            push_broker: cloud.broker,
            ha_broker,
            devices: self.devices,
            time_scale: self.time_scale,
            utc_offset_hours,
        };
        world.write_options(json!({
            "pat": PAT,
            "country": "US",
            "mqtt_host": "127.0.0.1",
            "mqtt_port": world.ha_broker.port(),
            "mqtt_username": HA_USER,
            "mqtt_password": HA_PASS,
            "log_level": "debug",
        }));
        world
    }
}

/// Everything one scenario needs, torn down on drop.
pub struct World {
    _dir: tempfile::TempDir,
    pub data_dir: PathBuf,
    pub options_path: PathBuf,
    pub ca_path: PathBuf,
    pub sim: SimHandle,
    pub push_broker: Mosquitto,
    pub ha_broker: Mosquitto,
    pub devices: Vec<SimDevice>,
    /// `THINQ_TIME_SCALE` for the bridge: every interval it keeps, times this.
    pub time_scale: Option<f64>,
    /// The bridge's and the simulated energy endpoints' time zone, hours east of UTC.
    pub utc_offset_hours: i8,
}

/// A time zone, for a world started at `utc_hour`, in which no test meets a local midnight or
/// the hour after it: LG has no hour of today's usage before 01:00 (the simulator neither),
/// so a test that waits for an energy total would otherwise fail when run just after
/// midnight UTC. UTC, unless that is near midnight; then six hours east.
fn energy_time_zone(utc_hour: u8) -> i8 {
    if (2..=21).contains(&utc_hour) { 0 } else { 6 }
}

impl World {
    /// A world of `devices`, to be started ([`Setup::start`]) once it is described.
    pub fn with(devices: Vec<SimDevice>) -> Setup {
        Setup {
            devices,
            time_scale: None,
            push_access_rules: false,
        }
    }

    /// A world of `devices` with production intervals.
    pub async fn start(devices: Vec<SimDevice>) -> World {
        World::with(devices).start().await
    }

    /// Replaces the bridge's options file with `options`.
    pub fn write_options(&self, options: Value) {
        std::fs::write(&self.options_path, options.to_string()).unwrap();
    }

    /// Sets one option in the bridge's options file.
    pub fn set_option(&self, key: &str, value: Value) {
        let mut options: Value =
            serde_json::from_slice(&std::fs::read(&self.options_path).unwrap()).unwrap();
        options[key] = value;
        self.write_options(options);
    }

    /// Starts the bridge binary (outside Home Assistant OS: no Supervisor).
    pub fn bridge(&self) -> Bridge {
        self.bridge_with_supervisor(NO_SUPERVISOR, None)
    }

    /// Starts the bridge binary with a Supervisor at `url`, and its token.
    pub fn bridge_with_supervisor(&self, url: &str, token: Option<&str>) -> Bridge {
        Bridge::spawn(Launch {
            options: &self.options_path,
            data_dir: &self.data_dir,
            api_url: &self.sim.api_url(),
            root_ca: &self.ca_path,
            time_scale: self.time_scale,
            utc_offset_hours: self.utc_offset_hours,
            supervisor: url,
            supervisor_token: token,
        })
    }

    /// A Home Assistant stand-in on the HA broker, subscribed to everything we publish.
    pub async fn home_assistant(&self) -> Watcher {
        Watcher::connect(self.ha_broker.port(), &["homeassistant/#", "thinq/#"]).await
    }

    /// The retained messages Home Assistant's broker holds now under `thinq/`, as a client
    /// that connects fresh sees them.
    pub async fn retained(&self) -> HashMap<String, Vec<u8>> {
        self.retained_under("thinq/#").await
    }

    /// The retained messages Home Assistant's broker holds now under `filter`, as a client
    /// that connects fresh sees them. A topic the bridge clears while this client listens
    /// arrives as an empty message: it is no longer held, so it is not listed.
    pub async fn retained_under(&self, filter: &str) -> HashMap<String, Vec<u8>> {
        let mut watcher = Watcher::connect(self.ha_broker.port(), &[filter]).await;
        watcher.drain(Duration::from_millis(500)).await;
        watcher.last.retain(|_, payload| !payload.is_empty());
        watcher.last
    }

    /// The topics Home Assistant's broker still holds under `thinq/` for `device_id`.
    pub async fn topics_left(&self, device_id: &str) -> Vec<String> {
        let object_id = Topics::object_id(device_id);
        let mut left: Vec<String> = self
            .retained()
            .await
            .into_keys()
            .filter(|t| t.contains(&object_id))
            .collect();
        left.sort();
        left
    }

    /// Waits until the bridge device, read by a Home Assistant that connects now, says the
    /// push session with LG's broker is up.
    pub async fn wait_lg_push(&self) {
        self.home_assistant()
            .await
            .wait_json(BRIDGE_STATE, |v| v["lg_push"] == "ON")
            .await;
    }

    /// The first device of `device_type` (`DEVICE_AIR_CONDITIONER`, …) in the world.
    pub fn device(&self, device_type: &str) -> &SimDevice {
        self.devices
            .iter()
            .find(|d| d.device_type() == device_type)
            .unwrap_or_else(|| panic!("the scenario has no {device_type}"))
    }

    /// The id of the first device of `device_type`.
    pub fn device_id(&self, device_type: &str) -> String {
        self.device(device_type).id().to_owned()
    }

    /// What Home Assistant's broker must hold for a device whose state the simulator holds:
    /// every value message, computed by the same model the bridge uses, from the simulator.
    pub fn expected(&self, device: &SimDevice) -> Vec<(String, String)> {
        let model = DeviceModel::new(device.summary.clone(), &device.profile).unwrap();
        let state = self.sim.device_state(device.id()).unwrap();
        model.state_messages(&topics(), &state)
    }

    /// Waits until Home Assistant's broker holds, for every device, exactly what the simulator
    /// holds (and the device is available). Panics with the differences after [`WAIT`].
    pub async fn assert_ha_matches_sim(&self) {
        let deadline = Instant::now() + WAIT;
        loop {
            let held = self.retained().await;
            let mut differences = Vec::new();
            for device in &self.devices {
                let id = device.id();
                if self.sim.device_state(id).is_none() {
                    continue;
                }
                let availability = availability_topic(id);
                if held.get(&availability).map(Vec::as_slice) != Some(b"online".as_slice()) {
                    differences.push(format!("{availability} is not online"));
                }
                for (topic, payload) in self.expected(device) {
                    let got = held
                        .get(&topic)
                        .map(|p| String::from_utf8_lossy(p).into_owned());
                    // An empty retained payload deletes the topic's retained message: what
                    // Home Assistant reads as "no value" is then nothing held at all.
                    let expected = (!payload.is_empty()).then_some(payload.as_str());
                    let same = match (got.as_deref(), expected) {
                        (Some(got), Some(expected)) => shows(got, expected),
                        (got, expected) => got == expected,
                    };
                    if !same {
                        differences.push(format!("{topic}: held {got:?}, simulator {payload}"));
                    }
                }
            }
            if differences.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "Home Assistant's broker does not hold what the simulator holds:\n{}",
                differences.join("\n")
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Waits until the bridge has made no call to the simulator for a second.
    pub async fn wait_until_lg_idle(&self) {
        wait_until_lg_idle(&self.sim).await;
    }

    /// A command from Home Assistant reaches the simulated appliance.
    pub async fn assert_command_round_trip(&self, ha: &Watcher) {
        let id = self.device_id("DEVICE_AIR_CONDITIONER");
        let before = self.sim.controls().len();
        let topic = format!("thinq/{}/climate/temperature/set", Topics::object_id(&id));
        let deadline = Instant::now() + WAIT;
        // The first command after a fault may find the device paced or LG paused: ask again
        // now and then until one goes through, as a user pressing the button would.
        let mut target = 22;
        while self.sim.controls().len() == before {
            assert!(
                Instant::now() < deadline,
                "no command reached the simulator"
            );
            ha.publish(&topic, &target.to_string()).await;
            target = if target == 22 { 23 } else { 22 };
            let wait_until = Instant::now() + Duration::from_secs(5);
            while self.sim.controls().len() == before && Instant::now() < wait_until {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Whether a held value shows what the simulator's state makes: the same text, or for a
/// moment ("finishes at"), one within the 90 s the bridge lets a moment drift before it
/// publishes it again (`hass::entities::timer`), since the world reckons it later than the
/// bridge did and may be a minute on.
fn shows(held: &str, expected: &str) -> bool {
    const STEADY: i64 = 90;
    held == expected
        || matches!((moment(held), moment(expected)), (Some(a), Some(b)) if (a - b).abs() <= STEADY)
}

/// `2026-12-03T13:05:00Z` in Unix seconds; `None` for anything else.
fn moment(text: &str) -> Option<i64> {
    let (date, clock) = text.strip_suffix('Z')?.split_once('T')?;
    let fields = |part: &str, separator: char| -> Option<[u16; 3]> {
        let mut parts = part.split(separator).map(|p| p.parse::<u16>().ok());
        let fields = [parts.next()??, parts.next()??, parts.next()??];
        parts.next().is_none().then_some(fields)
    };
    let small = |n: u16| u8::try_from(n).ok();
    let [year, month, day] = fields(date, '-')?;
    let [hour, minute, second] = fields(clock, ':')?;
    let month = time::Month::try_from(small(month)?).ok()?;
    let date = time::Date::from_calendar_date(year.into(), month, small(day)?).ok()?;
    let clock = time::Time::from_hms(small(hour)?, small(minute)?, small(second)?).ok()?;
    Some(
        time::PrimitiveDateTime::new(date, clock)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// Waits until the bridge has made no call to `sim` for a second (its start-up or re-sync
/// reads are done).
pub async fn wait_until_lg_idle(sim: &SimHandle) {
    let deadline = Instant::now() + WAIT;
    let mut seen = sim.requests().len();
    let mut since = Instant::now();
    while since.elapsed() < Duration::from_secs(1) {
        assert!(Instant::now() < deadline, "the bridge keeps calling LG");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = sim.requests().len();
        if now != seen {
            seen = now;
            since = Instant::now();
        }
    }
}

/// The bridge's topics in a default installation.
pub fn topics() -> Topics {
    Topics::new("homeassistant", "thinq")
}

// Topics spelled out as Home Assistant reads them, not asked of the bridge's `Topics`: a test
// that a layout changed under it must fail.

/// A device's discovery topic.
pub fn discovery_topic(device_id: &str) -> String {
    format!(
        "homeassistant/device/thinq_{}/config",
        Topics::object_id(device_id)
    )
}

/// A device's availability topic (`online` / `offline`).
pub fn availability_topic(device_id: &str) -> String {
    format!("thinq/{}/availability", Topics::object_id(device_id))
}

/// The topic a device's refused or failed commands are reported on.
pub fn error_topic(device_id: &str) -> String {
    format!("thinq/{}/error", Topics::object_id(device_id))
}

/// The components of a discovery payload as it came off the broker, by component id (none
/// when it is empty or not JSON).
pub fn components_of(payload: &[u8]) -> Vec<(String, Value)> {
    let Ok(value) = serde_json::from_slice::<Value>(payload) else {
        return Vec::new();
    };
    value["cmps"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, c)| (k.clone(), c.clone()))
        .collect()
}

/// The first component of `platform` in a discovery payload.
pub fn component<'a>(discovery: &'a Value, platform: &str) -> &'a Value {
    discovery["cmps"]
        .as_object()
        .and_then(|c| c.values().find(|c| c["p"] == platform))
        .unwrap_or_else(|| panic!("no {platform} in {discovery}"))
}

/// The topic option `option` of the first `platform` component of a discovery payload.
pub fn component_topic(discovery: &Value, platform: &str, option: &str) -> String {
    let component = component(discovery, platform);
    component[option]
        .as_str()
        .unwrap_or_else(|| panic!("no {option} in {component}"))
        .to_owned()
}

/// A room temperature report as LG's air conditioner sends it.
pub fn room_temperature(celsius: i64) -> Value {
    json!({"temperatureInUnits": [{"currentTemperature": celsius, "unit": "C"}]})
}

/// A few fixture devices (air conditioner, washer, refrigerator…) or all of them.
pub fn fixture_devices(count: usize) -> Vec<SimDevice> {
    let mut devices = SimDevice::fixture_set();
    devices.truncate(count);
    devices
}

/// A device's discovery topics and payloads as this build makes them (a WashTower: the
/// tower, then its washer and dryer).
pub fn discovery_payloads(device: &SimDevice) -> Vec<(String, Value)> {
    let topics = topics();
    let model = DeviceModel::new(device.summary.clone(), &device.profile).unwrap();
    let ctx = DiscoveryContext {
        topics: topics.clone(),
        sw_version: thinq_addon::VERSION.to_owned(),
    };
    model
        .discovery_payloads(&ctx)
        .into_iter()
        .map(|p| (topics.device_discovery(&p.id), p.payload))
        .collect()
}

/// What a build with the one-device WashTower left on the broker: every entity on the
/// tower's own payload (topic, payload).
pub fn one_device_washtower(tower: &SimDevice) -> (String, Value) {
    let payloads = discovery_payloads(tower);
    let (topic, mut all) = payloads[0].clone();
    let cmps = all["cmps"].as_object_mut().unwrap();
    for (_, unit) in &payloads[1..] {
        for (key, component) in unit["cmps"].as_object().unwrap() {
            cmps.insert(key.clone(), component.clone());
        }
    }
    (topic, all)
}
