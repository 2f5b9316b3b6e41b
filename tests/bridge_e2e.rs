//! End to end, with real parts: the `thinq-addon` binary against the simulated LG cloud,
//! a mutual-TLS Mosquitto standing in for AWS IoT Core, and a password-protected Mosquitto
//! standing in for Home Assistant's broker. Nothing is mocked inside the bridge.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use support::world::{
    HA_PASS, HA_USER, availability_topic, component, component_topic, discovery_topic, error_topic,
    room_temperature,
};
use support::{PAT, WAIT, Watcher, World};
use thinq_addon::hass::discovery::state_topics;
use thinq_addon::hass::topics::Topics;
use thinq_addon::sim::SimDevice;
use tokio::sync::mpsc;

/// The fixture devices, with every interval of the bridge at 1/100 (LG's rate-limit pause, a
/// minute and doubling, among them) so that a test sees them pass.
async fn world() -> World {
    World::with(SimDevice::fixture_set())
        .scaled(0.01)
        .start()
        .await
}

/// Discovery for every fixture device, a live state change, a command round trip, a clean
/// stop, and a restart that reuses the stored credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridges_every_fixture_device_live_with_control_and_restart() {
    let world = world().await;
    let mut ha = world.home_assistant().await;
    let bridge = world.bridge();

    // 1. Discovery: one retained device payload per fixture device, plus the bridge device.
    for device in &world.devices {
        let discovery = ha
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
        ha.wait_for(&availability_topic(&device.summary.device_id), |p| {
            p == b"online"
        })
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
    let ac = world.device_id("DEVICE_AIR_CONDITIONER");
    let ac_discovery = ha
        .wait_json(&discovery_topic(&ac), |v| v.get("cmps").is_some())
        .await;
    let ac_state = component_topic(&ac_discovery, "climate", "curr_temp_t");
    let ac_prefix = format!("thinq/{}/", Topics::object_id(&ac));
    let mut latencies = Vec::new();
    for (i, temp) in [26, 27, 28, 29, 24].into_iter().enumerate() {
        let mark = ha.received.len();
        let sent = Instant::now();
        world.sim.report(&ac, room_temperature(temp)).await;
        let (_, at) = ha
            .wait_for_arrival(&ac_state, |p| p == temp.to_string().as_bytes())
            .await;
        // Only what changed is sent: one message for one changed value. The bridge sends a
        // report's messages together and in order, so everything the report before left in
        // flight arrived before this report's own message. (The energy figures are LG's
        // energy reads, on their own schedule, which may fall between two reports.)
        if i > 0 {
            let for_ac: Vec<&String> = ha.received[mark..]
                .iter()
                .filter(|t| t.starts_with(&ac_prefix) && !t.contains("/energy_"))
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
    let output = bridge.stop_ok().await;
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
    let output = bridge.stop_ok().await;
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
    let world = world().await;
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
    let discovery = ha
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
    let now = ha.wait_for(&mode_topic, |p| !p.is_empty()).await;
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
    let (_, at) = ha
        .wait_for_arrival(&mode_topic, |p| p == target.as_bytes())
        .await;
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
    let error = ha
        .wait_json(&error_topic(ac), |v| v.get("error").is_some())
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
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let world = world().await;
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
    let ac = world.device_id("DEVICE_AIR_CONDITIONER");
    ha.wait_json(&discovery_topic(&ac), |v| v.get("cmps").is_some())
        .await;
    assert_eq!(
        seen_rx.recv().await.as_deref(),
        Some("GET /services/mqtt HTTP/1.1")
    );
    let output = bridge.stop_ok().await;
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
    let world = world().await;
    let mut ha = world.home_assistant().await;
    let bridge = world.bridge();
    ha.wait_json("thinq/bridge/state", |v| v["lg_push"] == "ON")
        .await;
    let ac = world.device_id("DEVICE_AIR_CONDITIONER");
    let washer = world.device_id("DEVICE_WASHER");
    let ac_discovery = ha
        .wait_json(&discovery_topic(&ac), |v| v.get("cmps").is_some())
        .await;
    let climate = component(&ac_discovery, "climate").clone();
    let mode_cmd = climate["mode_cmd_t"].as_str().unwrap().to_owned();
    let ac_errors = error_topic(&ac);

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
    world.sim.report(&ac, room_temperature(21)).await;
    ha.wait_for(climate["curr_temp_t"].as_str().unwrap(), |p| p == b"21")
        .await;

    // Rate limit on a control (HTTP 401 + 1314): reported with its code, not taken for a bad PAT.
    // The fault hits the next call, so first let the start-up reads finish.
    world.wait_until_lg_idle().await;
    world
        .sim
        .inject(thinq_addon::sim::Fault::RateLimit { times: 1 });
    ha.publish(&mode_cmd, "dry").await;
    let error = ha.wait_json(&ac_errors, |v| v["code"] == "1314").await;
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
    let error = ha.wait_json(&ac_errors, |v| v["code"] == "2301").await;
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
    let washer_discovery = ha
        .wait_json(&discovery_topic(&washer), |v| v.get("cmps").is_some())
        .await;
    let button = component(&washer_discovery, "button").clone();
    ha.publish(button["cmd_t"].as_str().unwrap(), "PRESS").await;
    let error = ha
        .wait_json(&error_topic(&washer), |v| v["code"] == "1222")
        .await;
    println!("offline: {error}");
    let washer_availability = availability_topic(&washer);
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
    let discovery = ha
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
    let washer_discovery = ha
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

    let output = bridge.stop_ok().await;
    assert!(output.contains("malformed push"), "output:\n{output}");
}
