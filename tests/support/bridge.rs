//! The real `thinq-addon` binary between the simulated LG cloud and a Home Assistant broker,
//! for tests that treat it as a user would: start it, break things around it, look at what
//! Home Assistant's broker holds, stop it with SIGTERM.

use super::mosquitto::Mosquitto;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use thinq_addon::hass::topics::Topics;
use thinq_addon::hass::{DeviceModel, DiscoveryContext};
use thinq_addon::sim::{PushBroker, SimConfig, SimDevice, SimHandle, Simulator, TestCa};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

pub const PAT: &str = "thinqpat_faults_0123456789abcdef0123456789abcdef";
pub const HA_USER: &str = "addons";
pub const HA_PASS: &str = "ha-broker-secret-7f3a";
/// A bound for anything that should happen; a test fails only when it is exceeded.
pub const WAIT: Duration = Duration::from_secs(60);

/// Waits until `check` holds, looking every 100 ms; fails after [`WAIT`] naming `what`.
pub async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
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
}

impl World {
    pub async fn start(devices: Vec<SimDevice>) -> World {
        World::start_on(devices, false).await
    }

    /// [`World::start`] with a push broker that has access rules, as AWS IoT Core's
    /// certificate policies: tests can make it refuse a subscription
    /// ([`Mosquitto::deny_subscribe`] on [`World::push_broker`]).
    pub async fn start_with_push_access_rules(devices: Vec<SimDevice>) -> World {
        World::start_on(devices, true).await
    }

    async fn start_on(devices: Vec<SimDevice>, access_rules: bool) -> World {
        thinq_addon::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        let ca = Arc::new(TestCa::generate().unwrap());
        let (cert, key) = ca.server_cert(&["localhost", "127.0.0.1"]).unwrap();
        // The bridge's certificate names it `lg_thinq` (its CSR's CN, as LG's SDK makes it),
        // the simulator's `thinq-sim`.
        let push_broker = if access_rules {
            Mosquitto::mutual_tls_with_access_rules(
                &ca.ca_pem(),
                &cert,
                &key,
                &["lg_thinq", "thinq-sim"],
            )
        } else {
            Mosquitto::mutual_tls(&ca.ca_pem(), &cert, &key)
        }
        .unwrap();
        let ha_broker = Mosquitto::plain_with_password(HA_USER, HA_PASS).unwrap();
        let sim = Simulator::start(
            SimConfig {
                pats: vec![PAT.to_owned()],
                devices: devices.clone(),
                push_broker: Some(PushBroker {
                    host: "127.0.0.1".into(),
                    port: push_broker.port(),
                }),
                control_delay: Duration::from_millis(100),
            },
            ca.clone(),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        // The bridge reads energy for today's real dates (UTC here).
        sim.use_wall_energy_clock(time::UtcOffset::UTC);
        let ca_path = dir.path().join("root-ca.pem");
        std::fs::write(&ca_path, ca.ca_pem()).unwrap();
        let data_dir = dir.path().join("data");
        std::fs::create_dir_all(&data_dir).unwrap();
        let options_path = dir.path().join("options.json");
        let world = World {
            _dir: dir,
            data_dir,
            options_path,
            ca_path,
            sim,
            push_broker,
            ha_broker,
            devices,
            time_scale: None,
        };
        std::fs::write(
            &world.options_path,
            json!({
                "pat": PAT,
                "country": "US",
                "mqtt_host": "127.0.0.1",
                "mqtt_port": world.ha_broker.port(),
                "mqtt_username": HA_USER,
                "mqtt_password": HA_PASS,
                "log_level": "debug",
            })
            .to_string(),
        )
        .unwrap();
        world
    }

    pub fn bridge(&self) -> Bridge {
        let mut command = Command::new(env!("CARGO_BIN_EXE_thinq-addon"));
        if let Some(scale) = self.time_scale {
            command.env("THINQ_TIME_SCALE", scale.to_string());
        }
        Bridge::spawn(
            command,
            &self.options_path,
            &self.data_dir,
            &self.sim.api_url(),
            &self.ca_path,
        )
    }

    /// A Home Assistant stand-in on the HA broker.
    pub async fn home_assistant(&self) -> Watcher {
        Watcher::connect(self.ha_broker.port(), &["homeassistant/#", "thinq/#"]).await
    }

    /// The retained messages Home Assistant's broker holds now under `thinq/`, as a client
    /// that connects fresh sees them.
    pub async fn retained(&self) -> HashMap<String, Vec<u8>> {
        self.retained_under("thinq/#").await
    }

    /// The retained messages Home Assistant's broker holds now under `filter`, as a client
    /// that connects fresh sees them.
    pub async fn retained_under(&self, filter: &str) -> HashMap<String, Vec<u8>> {
        let mut watcher = Watcher::connect(self.ha_broker.port(), &[filter]).await;
        let mut quiet_since = Instant::now();
        while quiet_since.elapsed() < Duration::from_millis(500) {
            if let Ok(Some((topic, payload, _))) =
                tokio::time::timeout(Duration::from_millis(100), watcher.rx.recv()).await
            {
                watcher.last.insert(topic, payload);
                quiet_since = Instant::now();
            }
        }
        watcher.last
    }

    /// What Home Assistant's broker must hold for a device whose state the simulator holds:
    /// every value message, computed by the same model the bridge uses, from the simulator.
    pub fn expected(&self, device: &SimDevice) -> Vec<(String, String)> {
        let topics = Topics::new("homeassistant", "thinq");
        let model = DeviceModel::new(device.summary.clone(), &device.profile).unwrap();
        let state = self.sim.device_state(&device.summary.device_id).unwrap();
        model.state_messages(&topics, &state)
    }

    /// Waits until Home Assistant's broker holds, for every device, exactly what the simulator
    /// holds (and the device is available). Panics with the differences after [`WAIT`].
    pub async fn assert_ha_matches_sim(&self) {
        let deadline = Instant::now() + WAIT;
        loop {
            let held = self.retained().await;
            let mut differences = Vec::new();
            for device in &self.devices {
                let id = &device.summary.device_id;
                if self.sim.device_state(id).is_none() {
                    continue;
                }
                let availability = format!("thinq/{}/availability", Topics::object_id(id));
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
                    if got.as_deref() != expected {
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
        let ac = self
            .devices
            .iter()
            .find(|d| d.summary.device_info.device_type == "DEVICE_AIR_CONDITIONER")
            .expect("the scenario has an air conditioner");
        let id = &ac.summary.device_id;
        let before = self.sim.controls().len();
        let topic = format!("thinq/{}/climate/temperature/set", Topics::object_id(id));
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

/// The bridge binary, with its output collected.
pub struct Bridge {
    child: Child,
    output: mpsc::UnboundedReceiver<String>,
}

impl Bridge {
    fn spawn(
        mut command: Command,
        options: &Path,
        data_dir: &Path,
        api_url: &str,
        ca: &Path,
    ) -> Bridge {
        let mut child = command
            .arg("run")
            .arg("--options")
            .arg(options)
            .arg("--data-dir")
            .arg(data_dir)
            .env("THINQ_API_URL", api_url)
            .env("THINQ_ROOT_CA", ca)
            .env("SUPERVISOR_URL", "http://127.0.0.1:9")
            .env_remove("SUPERVISOR_TOKEN")
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let (tx, output) = mpsc::unbounded_channel();
        for mut stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let _ = stream.read_to_end(&mut buf).await;
                let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
            });
        }
        Bridge { child, output }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap()
    }

    /// Resident memory in KiB, from `/proc`.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// SIGTERM; asserts exit 0 within 10 s; returns everything the process printed.
    pub async fn stop_ok(mut self) -> String {
        let pid = self.pid();
        let started = Instant::now();
        let status = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .unwrap();
        assert!(status.success());
        let status = tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("the bridge did not exit within 15 s of SIGTERM")
            .unwrap();
        let took = started.elapsed();
        let output = self.collect().await;
        assert_eq!(
            status.code(),
            Some(0),
            "exit after SIGTERM; output:\n{output}"
        );
        assert!(took < Duration::from_secs(10), "SIGTERM took {took:?}");
        output
    }

    async fn collect(&mut self) -> String {
        let mut all = String::new();
        for _ in 0..2 {
            if let Ok(Some(part)) =
                tokio::time::timeout(Duration::from_secs(5), self.output.recv()).await
            {
                all.push_str(&part);
            }
        }
        all
    }
}

/// A subscriber on the Home Assistant broker that remembers the last message per topic.
pub struct Watcher {
    client: AsyncClient,
    rx: mpsc::UnboundedReceiver<(String, Vec<u8>, Instant)>,
    pub last: HashMap<String, Vec<u8>>,
}

impl Watcher {
    pub async fn connect(port: u16, filters: &[&str]) -> Watcher {
        let id = format!("watcher-{}", uuid::Uuid::new_v4().simple());
        let mut options = MqttOptions::new(id, "127.0.0.1", port);
        options
            .set_credentials(HA_USER, HA_PASS)
            .set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        for filter in filters {
            client.subscribe(*filter, QoS::AtLeastOnce).await.unwrap();
        }
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        if tx
                            .send((p.topic.clone(), p.payload.to_vec(), Instant::now()))
                            .is_err()
                        {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        Watcher {
            client,
            rx,
            last: HashMap::new(),
        }
    }

    /// Waits for a message on `topic` that satisfies `check`.
    pub async fn wait_for(&mut self, topic: &str, check: impl Fn(&[u8]) -> bool) -> Vec<u8> {
        if let Some(payload) = self.last.get(topic)
            && check(payload)
        {
            return payload.clone();
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let next = tokio::time::timeout_at(deadline, self.rx.recv()).await;
            let Ok(Some((t, payload, _))) = next else {
                panic!(
                    "no matching message on {topic} within {WAIT:?}; last: {:?}",
                    self.last
                        .get(topic)
                        .map(|p| String::from_utf8_lossy(p).into_owned())
                )
            };
            self.last.insert(t.clone(), payload.clone());
            if t == topic && check(&payload) {
                return payload;
            }
        }
    }

    /// Waits up to `within` for a JSON message on `topic` that satisfies `check`; `None`
    /// when none came (for bounds other than [`WAIT`], such as "within the first hour").
    pub async fn wait_json_within(
        &mut self,
        topic: &str,
        within: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let matches = |p: &[u8]| serde_json::from_slice::<Value>(p).ok().filter(|v| check(v));
        if let Some(value) = self.last.get(topic).and_then(|p| matches(p)) {
            return Some(value);
        }
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let Ok(Some((t, payload, _))) = tokio::time::timeout_at(deadline, self.rx.recv()).await
            else {
                return None;
            };
            self.last.insert(t.clone(), payload.clone());
            if t == topic
                && let Some(value) = matches(&payload)
            {
                return Some(value);
            }
        }
    }

    /// Takes in what arrives until nothing has for `quiet` (bounded by [`WAIT`]).
    pub async fn drain(&mut self, quiet: Duration) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            match tokio::time::timeout(quiet, self.rx.recv()).await {
                Ok(Some((topic, payload, _))) => {
                    self.last.insert(topic, payload);
                }
                _ => return,
            }
        }
    }

    pub async fn wait_json(&mut self, topic: &str, check: impl Fn(&Value) -> bool) -> Value {
        let payload = self
            .wait_for(topic, |p| {
                serde_json::from_slice::<Value>(p)
                    .map(|v| check(&v))
                    .unwrap_or(false)
            })
            .await;
        serde_json::from_slice(&payload).unwrap()
    }

    /// Every message that arrives within `window`, in order (also remembered as `last`).
    pub async fn collect_for(&mut self, window: Duration) -> Vec<(String, Vec<u8>)> {
        let deadline = tokio::time::Instant::now() + window;
        let mut out = Vec::new();
        while let Ok(Some((topic, payload, _))) =
            tokio::time::timeout_at(deadline, self.rx.recv()).await
        {
            self.last.insert(topic.clone(), payload.clone());
            out.push((topic, payload));
        }
        out
    }

    /// Every message until one on `topic` satisfies `check` (bounded by [`WAIT`]), in the
    /// order they arrived, that one last.
    pub async fn collect_until(
        &mut self,
        topic: &str,
        check: impl Fn(&[u8]) -> bool,
    ) -> Vec<(String, Vec<u8>)> {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut out = Vec::new();
        loop {
            let Ok(Some((t, payload, _))) = tokio::time::timeout_at(deadline, self.rx.recv()).await
            else {
                panic!("no matching message on {topic} within {WAIT:?}");
            };
            self.last.insert(t.clone(), payload.clone());
            let done = t == topic && check(&payload);
            out.push((t, payload));
            if done {
                return out;
            }
        }
    }

    pub async fn publish(&self, topic: &str, payload: &str) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .unwrap();
    }

    /// Publishes a retained message (what an older build, or a user, left on the broker).
    pub async fn publish_retained(&self, topic: &str, payload: &str) {
        self.client
            .publish(topic, QoS::AtLeastOnce, true, payload)
            .await
            .unwrap();
    }
}

/// The bridge device's state as Home Assistant sees it.
pub const BRIDGE_STATE: &str = "thinq/bridge/state";

/// A few fixture devices (air conditioner, washer, refrigerator…) or all of them.
pub fn fixture_devices(count: usize) -> Vec<SimDevice> {
    let mut devices = SimDevice::fixture_set();
    devices.truncate(count);
    devices
}

/// A device's discovery topics and payloads as this build makes them (a WashTower: the
/// tower, then its washer and dryer).
pub fn discovery_payloads(device: &SimDevice) -> Vec<(String, Value)> {
    let topics = Topics::new("homeassistant", "thinq");
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
