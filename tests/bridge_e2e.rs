//! End to end, with real parts: the `thinq-addon` binary against the simulated LG cloud,
//! a mutual-TLS Mosquitto standing in for AWS IoT Core, and a password-protected Mosquitto
//! standing in for Home Assistant's broker. Nothing is mocked inside the bridge.

mod support;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::mosquitto::Mosquitto;
use thinq_addon::hass::discovery::state_topics;
use thinq_addon::sim::{PushBroker, SimConfig, SimDevice, SimHandle, Simulator, TestCa};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

const PAT: &str = "thinqpat_e2e_0123456789abcdef0123456789abcdef";
const HA_USER: &str = "addons";
const HA_PASS: &str = "ha-broker-secret-7f3a";
const WAIT: Duration = Duration::from_secs(30);

/// Everything one scenario needs, torn down on drop.
struct World {
    _dir: tempfile::TempDir,
    data_dir: PathBuf,
    options_path: PathBuf,
    ca_path: PathBuf,
    sim: SimHandle,
    _push_broker: Mosquitto,
    ha_broker: Mosquitto,
    devices: Vec<SimDevice>,
}

impl World {
    async fn start() -> World {
        thinq_addon::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        let ca = Arc::new(TestCa::generate().unwrap());
        let (cert, key) = ca.server_cert(&["localhost", "127.0.0.1"]).unwrap();
        let push_broker = Mosquitto::mutual_tls(&ca.ca_pem(), &cert, &key).unwrap();
        let ha_broker = Mosquitto::plain_with_password(HA_USER, HA_PASS).unwrap();
        let devices = SimDevice::fixture_set();
        let sim = Simulator::start(
            SimConfig {
                pats: vec![PAT.to_owned()],
                devices: devices.clone(),
                push_broker: Some(PushBroker {
                    host: "127.0.0.1".into(),
                    port: push_broker.port(),
                }),
                control_delay: Duration::from_millis(200),
            },
            ca.clone(),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
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
            _push_broker: push_broker,
            ha_broker,
            devices,
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

    fn write_options(&self, options: Value) {
        std::fs::write(&self.options_path, options.to_string()).unwrap();
    }

    fn bridge(&self) -> Bridge {
        self.bridge_with_supervisor("http://127.0.0.1:9", None)
    }

    fn bridge_with_supervisor(&self, url: &str, token: Option<&str>) -> Bridge {
        Bridge::spawn(
            &self.options_path,
            &self.data_dir,
            &self.sim.api_url(),
            &self.ca_path,
            url,
            token,
        )
    }

    /// A Home Assistant stand-in on the HA broker, subscribed to everything we publish.
    async fn home_assistant(&self) -> Watcher {
        Watcher::connect(self.ha_broker.port(), &["homeassistant/#", "thinq/#"]).await
    }
}

/// The bridge binary, with its output collected.
struct Bridge {
    child: Child,
    output: mpsc::UnboundedReceiver<String>,
}

impl Bridge {
    fn spawn(
        options: &Path,
        data_dir: &Path,
        api_url: &str,
        ca: &Path,
        supervisor: &str,
        token: Option<&str>,
    ) -> Bridge {
        let mut command = Command::new(env!("CARGO_BIN_EXE_thinq-addon"));
        match token {
            Some(token) => command.env("SUPERVISOR_TOKEN", token),
            None => command.env_remove("SUPERVISOR_TOKEN"),
        };
        let mut child = command
            .arg("run")
            .arg("--options")
            .arg(options)
            .arg("--data-dir")
            .arg(data_dir)
            .env("THINQ_API_URL", api_url)
            .env("THINQ_ROOT_CA", ca)
            .env("SUPERVISOR_URL", supervisor)
            // LG's rate-limit pause (a minute, doubling) and the other intervals, shrunk so
            // a test sees them pass.
            .env("THINQ_TIME_SCALE", "0.01")
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

    /// SIGTERM, then the exit status and everything the process printed.
    async fn stop(mut self) -> (Option<i32>, Duration, String) {
        let pid = self.child.id().unwrap() as i32;
        let started = Instant::now();
        unsafe_free_kill(pid, "TERM");
        let status = tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .unwrap()
            .unwrap();
        (status.code(), started.elapsed(), self.collect().await)
    }

    async fn wait_exit(mut self) -> (Option<i32>, String) {
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .unwrap()
            .unwrap();
        (status.code(), self.collect().await)
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

/// Sends a signal with the `kill` command (the crate forbids unsafe code, tests included).
fn unsafe_free_kill(pid: i32, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// A subscriber on the Home Assistant broker that remembers the last message per topic.
struct Watcher {
    client: AsyncClient,
    rx: mpsc::UnboundedReceiver<(String, Vec<u8>, Instant)>,
    last: HashMap<String, Vec<u8>>,
    /// The topic of every message taken in, in order of arrival.
    received: Vec<String>,
}

impl Watcher {
    async fn connect(port: u16, filters: &[&str]) -> Watcher {
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
            received: Vec::new(),
        }
    }

    /// Waits for a message on `topic` that satisfies `check`; returns it and when it arrived.
    async fn wait_for(&mut self, topic: &str, check: impl Fn(&[u8]) -> bool) -> (Vec<u8>, Instant) {
        if let Some(payload) = self.last.get(topic)
            && check(payload)
        {
            return (payload.clone(), Instant::now());
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let next = tokio::time::timeout_at(deadline, self.rx.recv()).await;
            let Ok(Some((t, payload, at))) = next else {
                panic!(
                    "no matching message on {topic} within {WAIT:?}; last: {:?}",
                    self.last
                        .get(topic)
                        .map(|p| String::from_utf8_lossy(p).into_owned())
                )
            };
            self.last.insert(t.clone(), payload.clone());
            self.received.push(t.clone());
            if t == topic && check(&payload) {
                return (payload, at);
            }
        }
    }

    async fn wait_json(&mut self, topic: &str, check: impl Fn(&Value) -> bool) -> (Value, Instant) {
        let (payload, at) = self
            .wait_for(topic, |p| {
                serde_json::from_slice::<Value>(p)
                    .map(|v| check(&v))
                    .unwrap_or(false)
            })
            .await;
        (serde_json::from_slice(&payload).unwrap(), at)
    }

    async fn publish(&self, topic: &str, payload: &str) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .unwrap();
    }
}

fn object_id(device_id: &str) -> String {
    thinq_addon::hass::topics::Topics::object_id(device_id)
}

fn discovery_topic(device_id: &str) -> String {
    format!("homeassistant/device/thinq_{}/config", object_id(device_id))
}

/// The state topic option `option` of the `platform` component of a discovery payload.
fn component_topic(discovery: &Value, platform: &str, option: &str) -> String {
    let component = discovery["cmps"]
        .as_object()
        .and_then(|c| c.values().find(|c| c["p"] == platform))
        .unwrap_or_else(|| panic!("no {platform} in {discovery}"));
    component[option]
        .as_str()
        .unwrap_or_else(|| panic!("no {option} in {component}"))
        .to_owned()
}

fn device_of_type<'a>(world: &'a World, device_type: &str) -> &'a SimDevice {
    world
        .devices
        .iter()
        .find(|d| d.summary.device_info.device_type == device_type)
        .unwrap()
}

/// Discovery for every fixture device, a live state change, a command round trip, a clean
/// stop, and a restart that reuses the stored credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridges_every_fixture_device_live_with_control_and_restart() {
    let world = World::start().await;
    let mut ha = world.home_assistant().await;
    let bridge = world.bridge();

    // 1. Discovery: one retained device payload per fixture device, plus the bridge device.
    for device in &world.devices {
        let (discovery, _) = ha
            .wait_json(&discovery_topic(&device.summary.device_id), |v| {
                v.get("cmps").is_some()
            })
            .await;
        assert_eq!(discovery["dev"]["name"], device.summary.device_info.alias);
        assert!(discovery["o"]["name"].is_string());
        let components = discovery["cmps"].as_object().unwrap();
        assert!(
            !components.is_empty(),
            "{} has no entities",
            device.summary.device_info.alias
        );
        println!(
            "bridged {} ({}) with {} entities",
            device.summary.device_info.alias,
            device.summary.device_info.device_type,
            components.len()
        );
        ha.wait_for(
            &format!(
                "thinq/{}/availability",
                object_id(&device.summary.device_id)
            ),
            |p| p == b"online",
        )
        .await;
        // Every value the entities read is on its own topic, retained.
        for topic in state_topics(&discovery) {
            ha.wait_for(&topic, |_| true).await;
        }
    }
    ha.wait_for("homeassistant/device/thinq_bridge/config", |p| {
        !p.is_empty()
    })
    .await;
    ha.wait_for("thinq/bridge/availability", |p| p == b"online")
        .await;
    // The push session is up once the bridge says so.
    ha.wait_json("thinq/bridge/state", |v| v["lg_push"] == "ON")
        .await;

    // 2. A state change at LG arrives as a state message; measure push-to-state latency.
    let ac = device_of_type(&world, "DEVICE_AIR_CONDITIONER")
        .summary
        .device_id
        .clone();
    let (ac_discovery, _) = ha
        .wait_json(&discovery_topic(&ac), |v| v.get("cmps").is_some())
        .await;
    let ac_state = component_topic(&ac_discovery, "climate", "curr_temp_t");
    let ac_prefix = format!("thinq/{}/", object_id(&ac));
    let mut latencies = Vec::new();
    for (i, temp) in [26, 27, 28, 29, 24].into_iter().enumerate() {
        let mark = ha.received.len();
        let sent = Instant::now();
        world
            .sim
            .report(
                &ac,
                json!({"temperatureInUnits": [{"currentTemperature": temp, "unit": "C"}]}),
            )
            .await;
        let (_, at) = ha
            .wait_for(&ac_state, |p| p == temp.to_string().as_bytes())
            .await;
        // Only what changed is sent: one message for one changed value. The bridge sends a
        // report's messages together and in order, so everything the report before left in
        // flight arrived before this report's own message.
        if i > 0 {
            let for_ac: Vec<&String> = ha.received[mark..]
                .iter()
                .filter(|t| t.starts_with(&ac_prefix))
                .collect();
            assert_eq!(for_ac, [&ac_state], "report #{i} changed one value");
        }
        latencies.push(at.duration_since(sent));
        println!("push-to-state latency #{i}: {:?}", at.duration_since(sent));
    }
    latencies.sort();
    println!(
        "push-to-state latency median: {:?}",
        latencies[latencies.len() / 2]
    );

    // 3. A Home Assistant command reaches LG as a valid control body; the new state comes back.
    command_round_trip(&world, &mut ha, &ac).await;

    // 4. The private key is private.
    let key = std::fs::read_dir(&world.data_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("PRIVATE KEY")))
        .expect("a private key file in the data dir");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        key.metadata().unwrap().permissions().mode() & 0o777,
        0o600,
        "{:?}",
        key.path()
    );

    // 5. The container HEALTHCHECK command agrees: both sessions are up.
    let health = |dir: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_thinq-addon"))
            .arg("health")
            .arg("--data-dir")
            .arg(dir)
            .output()
            .unwrap()
    };
    let deadline = Instant::now() + WAIT;
    while !health(&world.data_dir).status.success() {
        assert!(
            Instant::now() < deadline,
            "never healthy: {}",
            String::from_utf8_lossy(&health(&world.data_dir).stdout)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // 6. SIGTERM: exit 0 within 10 s, bridge availability `offline` retained.
    let (code, took, output) = bridge.stop().await;
    assert_eq!(code, Some(0), "output:\n{output}");
    assert!(took < Duration::from_secs(10), "stop took {took:?}");
    ha.wait_for("thinq/bridge/availability", |p| p == b"offline")
        .await;
    assert!(!output.contains(PAT), "the PAT leaked into the log");
    assert!(
        !output.contains(HA_PASS),
        "the MQTT password leaked into the log"
    );
    assert!(
        !output.contains("PRIVATE KEY"),
        "the private key leaked into the log"
    );
    assert_eq!(world.sim.count("POST", "/client/certificate"), 1);
    let after = health(&world.data_dir);
    assert!(
        !after.status.success(),
        "healthy after stop: {}",
        String::from_utf8_lossy(&after.stdout)
    );

    // 7. Restart: stored client id, key and certificate are reused.
    let bridge = world.bridge();
    ha.wait_for("thinq/bridge/availability", |p| p == b"online")
        .await;
    ha.wait_json("thinq/bridge/state", |v| v["lg_push"] == "ON")
        .await;
    assert_eq!(
        world.sim.count("POST", "/client/certificate"),
        1,
        "a restart asked for a second certificate"
    );
    let (code, _, output) = bridge.stop().await;
    assert_eq!(code, Some(0), "output:\n{output}");
    assert!(
        output.contains("reusing the stored ThinQ MQTT certificate"),
        "output:\n{output}"
    );
    assert!(!output.contains(PAT));
}

/// Bad options: one clear line, non-zero exit, nothing published, no PAT in the output.
/// (A PAT that LG rejects is not bad options: the bridge stays up and shows it, see
/// tests/reliability.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_options_exit_non_zero_with_one_clear_line() {
    let world = World::start().await;
    let cases: Vec<(&str, Option<Value>, i32, &str)> = vec![
        ("missing file", None, 2, "options"),
        ("missing pat", Some(json!({"country": "US"})), 2, "pat"),
        (
            "empty pat",
            Some(json!({"pat": "  ", "country": "US"})),
            2,
            "pat",
        ),
        (
            "bad country",
            Some(json!({"pat": PAT, "country": "XX"})),
            2,
            "country",
        ),
        (
            "not json",
            Some(Value::String("{not json".into())),
            2,
            "options",
        ),
    ];
    for (name, options, expected, mention) in cases {
        match &options {
            None => {
                let _ = std::fs::remove_file(&world.options_path);
            }
            Some(Value::String(raw)) => std::fs::write(&world.options_path, raw).unwrap(),
            Some(v) => world.write_options(v.clone()),
        }
        let (code, output) = world.bridge().wait_exit().await;
        assert_eq!(code, Some(expected), "{name}: output:\n{output}");
        let errors: Vec<&str> = output.lines().filter(|l| l.contains("ERROR")).collect();
        assert_eq!(
            errors.len(),
            1,
            "{name}: expected one error line, got:\n{output}"
        );
        assert!(
            errors[0].to_lowercase().contains(mention),
            "{name}: {:?} does not mention {mention}",
            errors[0]
        );
        assert!(
            !output.contains(PAT) && !output.contains("thinqpat_wrong"),
            "{name}: PAT leaked:\n{output}"
        );
    }
}

/// Drives the air conditioner's climate entity through the Home Assistant broker: a mode
/// change and a temperature change must reach the simulated LG cloud as valid control bodies
/// (the simulator checks them against the profile on its own), and the appliance's
/// confirmation must come back as new state.
async fn command_round_trip(world: &World, ha: &mut Watcher, ac: &str) {
    let (discovery, _) = ha
        .wait_json(&discovery_topic(ac), |v| v.get("cmps").is_some())
        .await;
    let (key, climate) = discovery["cmps"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, c)| c["p"] == "climate")
        .map(|(k, c)| (k.clone(), c.clone()))
        .expect("the air conditioner has a climate entity");
    let modes: Vec<String> = serde_json::from_value(climate["modes"].clone()).unwrap();
    assert!(
        modes.contains(&"off".to_owned()),
        "climate modes {modes:?} lack off"
    );
    let mode_topic = climate["mode_stat_t"].as_str().unwrap().to_owned();
    let (now, _) = ha.wait_for(&mode_topic, |p| !p.is_empty()).await;
    let current = String::from_utf8(now).unwrap();
    let target = modes
        .iter()
        .find(|m| *m != "off" && **m != current)
        .expect("a second mode")
        .clone();
    println!("climate {key}: {current} → {target}");

    let controls_before = world.sim.controls().len();
    let sent = Instant::now();
    ha.publish(climate["mode_cmd_t"].as_str().unwrap(), &target)
        .await;
    let (_, at) = ha.wait_for(&mode_topic, |p| p == target.as_bytes()).await;
    println!("command-to-state round trip: {:?}", at.duration_since(sent));
    let controls = world.sim.controls();
    assert!(
        controls.len() > controls_before,
        "no control reached the cloud"
    );
    let (device, body) = controls.last().unwrap();
    assert_eq!(device, ac);
    println!("control body: {body}");
    let refused: Vec<_> = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/control") && r.status != 200)
        .collect();
    assert!(
        refused.is_empty(),
        "the cloud refused controls: {refused:?}"
    );

    // Temperature: the profile's writable target, with its unit, inside the allowed range.
    let min = climate["min_temp"].as_f64().unwrap();
    let max = climate["max_temp"].as_f64().unwrap();
    let wanted = ((min + max) / 2.0).round();
    tokio::time::sleep(Duration::from_millis(3100)).await; // LG's 3 s gap per device
    let before = world.sim.controls().len();
    ha.publish(climate["temp_cmd_t"].as_str().unwrap(), &wanted.to_string())
        .await;
    let temp_topic = climate["temp_stat_t"].as_str().unwrap();
    ha.wait_for(temp_topic, |p| {
        std::str::from_utf8(p)
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            == Some(wanted)
    })
    .await;
    let controls = world.sim.controls();
    assert_eq!(controls.len(), before + 1);
    println!("temperature control body: {}", controls.last().unwrap().1);

    // Out of range: refused before LG is asked, reported on the error topic.
    ha.publish(
        climate["temp_cmd_t"].as_str().unwrap(),
        &(max + 10.0).to_string(),
    )
    .await;
    let (error, _) = ha
        .wait_json(&format!("thinq/{}/error", object_id(ac)), |v| {
            v.get("error").is_some()
        })
        .await;
    println!("refused: {error}");
    assert_eq!(
        world.sim.controls().len(),
        before + 1,
        "an out-of-range command reached LG"
    );
}

/// Without `mqtt_host` in the options the broker comes from the Supervisor's MQTT service,
/// as inside Home Assistant OS: a stand-in Supervisor answers `GET /services/mqtt` (port as a
/// string, as the Supervisor's docs show it) only with the right Bearer token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_from_the_supervisor_mqtt_service() {
    use tokio::io::AsyncWriteExt;
    let world = World::start().await;
    world.write_options(json!({"pat": PAT, "country": "DE"}));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let supervisor = format!("http://{}", listener.local_addr().unwrap());
    let port = world.ha_broker.port();
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                break;
            };
            let mut buf = vec![0u8; 4096];
            let n = socket.read(&mut buf).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            let authorized = request
                .lines()
                .any(|l| l.eq_ignore_ascii_case("authorization: Bearer supervisor-token-123"));
            let (status, body) = if !request.starts_with("GET /services/mqtt ") {
                (
                    "404 Not Found",
                    json!({"result": "error", "message": "not found"}),
                )
            } else if !authorized {
                (
                    "401 Unauthorized",
                    json!({"result": "error", "message": "unauthorized"}),
                )
            } else {
                (
                    "200 OK",
                    json!({"result": "ok", "data": {"host": "127.0.0.1", "port": port.to_string(), "ssl": false,
                    "protocol": "3.1.1", "username": HA_USER, "password": HA_PASS, "addon": "core_mosquitto"}}),
                )
            };
            let _ = seen_tx.send(request.lines().next().unwrap_or_default().to_owned());
            let body = body.to_string();
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    let mut ha = world.home_assistant().await;
    let bridge = world.bridge_with_supervisor(&supervisor, Some("supervisor-token-123"));
    ha.wait_for("thinq/bridge/availability", |p| p == b"online")
        .await;
    let ac = device_of_type(&world, "DEVICE_AIR_CONDITIONER")
        .summary
        .device_id
        .clone();
    ha.wait_json(&discovery_topic(&ac), |v| v.get("cmps").is_some())
        .await;
    assert_eq!(
        seen_rx.recv().await.as_deref(),
        Some("GET /services/mqtt HTTP/1.1")
    );
    let (code, _, output) = bridge.stop().await;
    assert_eq!(code, Some(0), "output:\n{output}");
    assert!(
        !output.contains(HA_PASS)
            && !output.contains("supervisor-token-123")
            && !output.contains(PAT)
    );
}

fn sim_device_from_lg_example(kind: &str, device_type: &str, id: &str, alias: &str) -> SimDevice {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lg-developer")
        .join(kind);
    let read = |f: &str| {
        serde_json::from_str::<Value>(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap()
    };
    SimDevice {
        summary: serde_json::from_value(json!({
            "deviceId": id,
            "deviceInfo": {"deviceType": device_type, "modelName": "TEST_MODEL", "alias": alias, "reportable": true}
        }))
        .unwrap(),
        profile: read("profile.json"),
        state: read("status.json"),
    }
}

/// Faults from LG's side and account changes: malformed pushes, an offline appliance, rate
/// limits and refusals on control, a device registered with a type no catalog file knows,
/// a rename and a removal. The bridge keeps running and says what happened where a user sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_account_changes_keep_the_bridge_running() {
    let world = World::start().await;
    let mut ha = world.home_assistant().await;
    let bridge = world.bridge();
    ha.wait_json("thinq/bridge/state", |v| v["lg_push"] == "ON")
        .await;
    let ac = device_of_type(&world, "DEVICE_AIR_CONDITIONER")
        .summary
        .device_id
        .clone();
    let washer = device_of_type(&world, "DEVICE_WASHER")
        .summary
        .device_id
        .clone();
    let (ac_discovery, _) = ha
        .wait_json(&discovery_topic(&ac), |v| v.get("cmps").is_some())
        .await;
    let climate = ac_discovery["cmps"]
        .as_object()
        .unwrap()
        .values()
        .find(|c| c["p"] == "climate")
        .unwrap()
        .clone();
    let mode_cmd = climate["mode_cmd_t"].as_str().unwrap().to_owned();
    let ac_errors = format!("thinq/{}/error", object_id(&ac));

    // Malformed pushes are dropped; the next good one still arrives.
    let client_id = std::fs::read_to_string(world.data_dir.join("thinq-client-id")).unwrap();
    for junk in [
        &b"{not json"[..],
        b"\xff\xfe\x00",
        b"{\"pushType\":\"DEVICE_STATUS\"}",
        b"[]",
        b"{\"pushType\":\"DEVICE_FROM_THE_FUTURE\",\"deviceId\":\"x\"}",
    ] {
        world.sim.publish_raw(client_id.trim(), junk.to_vec()).await;
    }
    world
        .sim
        .report(
            &ac,
            json!({"temperatureInUnits": [{"currentTemperature": 21, "unit": "C"}]}),
        )
        .await;
    ha.wait_for(climate["curr_temp_t"].as_str().unwrap(), |p| p == b"21")
        .await;

    // Rate limit on a control (HTTP 401 + 1314): reported with its code, not taken for a bad PAT.
    // The fault hits the next call, so first let the start-up reads finish.
    support::bridge::wait_until_lg_idle(&world.sim).await;
    world
        .sim
        .inject(thinq_addon::sim::Fault::RateLimit { times: 1 });
    ha.publish(&mode_cmd, "dry").await;
    let (error, _) = ha.wait_json(&ac_errors, |v| v["code"] == "1314").await;
    println!("rate limited: {error}");
    ha.wait_for("thinq/bridge/availability", |p| p == b"online")
        .await;

    // The appliance refuses (remote control off → 2301): reported, nothing retried.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    world.sim.inject(thinq_addon::sim::Fault::ControlFails {
        code: "2301".into(),
    });
    let before = world.sim.controls().len();
    ha.publish(&mode_cmd, "dry").await;
    let (error, _) = ha.wait_json(&ac_errors, |v| v["code"] == "2301").await;
    println!("refused by the appliance: {error}");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(
        world.sim.controls().len(),
        before + 1,
        "a refused control was retried"
    );

    // An offline appliance (1222): the command fails, the device turns unavailable, and
    // comes back with its next report.
    world.sim.set_online(&washer, false).await;
    let (washer_discovery, _) = ha
        .wait_json(&discovery_topic(&washer), |v| v.get("cmps").is_some())
        .await;
    let button = washer_discovery["cmps"]
        .as_object()
        .unwrap()
        .values()
        .find(|c| c["p"] == "button")
        .expect("a washer button")
        .clone();
    ha.publish(button["cmd_t"].as_str().unwrap(), "PRESS").await;
    let (error, _) = ha
        .wait_json(&format!("thinq/{}/error", object_id(&washer)), |v| {
            v["code"] == "1222"
        })
        .await;
    println!("offline: {error}");
    let washer_availability = format!("thinq/{}/availability", object_id(&washer));
    ha.wait_for(&washer_availability, |p| p == b"offline").await;
    world.sim.set_online(&washer, true).await;
    world
        .sim
        .report(&washer, json!({"runState": {"currentState": "RINSING"}}))
        .await;
    ha.wait_for(&washer_availability, |p| p == b"online").await;

    // A new appliance of a type no catalog file describes: bridged through the generic rule.
    let boiler = sim_device_from_lg_example(
        "system_boiler",
        "DEVICE_SYSTEM_BOILER",
        "SB-0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0",
        "Basement boiler",
    );
    world.sim.add_device(boiler).await;
    let (discovery, _) = ha
        .wait_json(
            &discovery_topic("SB-0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"),
            |v| v.get("cmps").is_some(),
        )
        .await;
    assert_eq!(discovery["dev"]["name"], "Basement boiler");
    println!(
        "registered boiler with {} entities",
        discovery["cmps"].as_object().unwrap().len()
    );
    ha.wait_json("thinq/bridge/state", |v| {
        v["devices"] == json!(world.devices.len() + 1)
    })
    .await;

    // Renamed in the ThinQ app: the device name follows.
    world.sim.rename_device(&ac, "Living room AC").await;
    ha.wait_json(&discovery_topic(&ac), |v| {
        v["dev"]["name"] == "Living room AC"
    })
    .await;

    // Removed from the account: its discovery is cleared, so Home Assistant removes it, and
    // so are its retained values.
    let (washer_discovery, _) = ha
        .wait_json(&discovery_topic(&washer), |v| v.get("cmps").is_some())
        .await;
    let washer_states = state_topics(&washer_discovery);
    assert!(!washer_states.is_empty());
    world.sim.remove_device(&washer).await;
    ha.wait_for(&discovery_topic(&washer), |p| p.is_empty())
        .await;
    for topic in &washer_states {
        ha.wait_for(topic, |p| p.is_empty()).await;
    }
    ha.wait_json("thinq/bridge/state", |v| {
        v["devices"] == json!(world.devices.len())
    })
    .await;

    let (code, _, output) = bridge.stop().await;
    assert_eq!(code, Some(0), "output:\n{output}");
    assert!(output.contains("malformed push"), "output:\n{output}");
}
