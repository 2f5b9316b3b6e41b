//! The forms LG's IoT sensors, doorbell and robot cleaner take in Home Assistant (issue 10):
//! detectors are binary sensors with device classes, a motion and a doorbell ring come from
//! pushes (once per push, never from a republish), a robot cleaner is a `vacuum` whose
//! commands make bodies the simulated LG cloud accepts.

#[path = "support/fixtures.rs"]
mod fixtures;
mod support;

use serde_json::{Value, json};
use std::time::Duration;
use support::{BRIDGE_STATE, World};
use thinq_addon::hass::DeviceModel;
use thinq_addon::hass::topics::Topics;
use thinq_addon::sim::SimDevice;

struct Example {
    model: DeviceModel,
    status: Value,
    profile: Value,
    cmps: serde_json::Map<String, Value>,
}

fn lg_example(folder: &str) -> Example {
    let (device, profile, status) = fixtures::lg_example(folder);
    let model = DeviceModel::new(device, &profile).expect("profile parses");
    let payload = model.discovery_payload(&fixtures::ctx());
    let errors = thinq_addon::hass::discovery::check_device_payload(&payload);
    assert!(errors.is_empty(), "{folder}: {errors:?}");
    let cmps = payload["cmps"].as_object().expect("cmps").clone();
    Example {
        model,
        status,
        profile,
        cmps,
    }
}

/// The retained value published on `topic` for the example's fixture status.
fn published(ex: &Example, topic: &str) -> Option<String> {
    ex.model
        .state_messages(&fixtures::ctx().topics, &ex.status)
        .into_iter()
        .find(|(t, _)| t == topic)
        .map(|(_, payload)| payload)
}

#[test]
fn detectors_are_binary_sensors_with_their_device_class() {
    // (example, resource, attribute, device class, the LG value that means on)
    let cases = [
        ("door_sensor", "doorState", "currentState", "door", "OPEN"),
        ("fire_sensor", "detectState", "smokeState", "smoke", "ALARM"),
        ("fire_sensor", "detectState", "coverState", "tamper", "OPEN"),
        ("gas_sensor", "detectState", "gasState", "gas", "ALARM"),
        (
            "water_leak_sensor",
            "detectState",
            "leakState",
            "moisture",
            "ALARM",
        ),
    ];
    for (folder, resource, attribute, class, on_value) in cases {
        let ex = lg_example(folder);
        let c = ex
            .cmps
            .values()
            .find(|c| c["dev_cla"] == class)
            .unwrap_or_else(|| panic!("{folder}: no {class} entity in {:?}", ex.cmps));
        assert_eq!(c["p"], "binary_sensor", "{folder} {class}");
        let reported = ex.status[resource][attribute]
            .as_str()
            .expect("fixture reports it");
        let expected = if reported == on_value { "ON" } else { "OFF" };
        let topic = c["stat_t"].as_str().expect("state topic");
        assert_eq!(
            published(&ex, topic).as_deref(),
            Some(expected),
            "{folder} {class}: LG reports {reported}"
        );
        // No text sensor shows the same value any more.
        assert!(
            !ex.cmps.values().any(|c| c["p"] == "sensor"
                && c["stat_t"].as_str().is_some_and(|t| t.contains(&format!(
                    "{}_{}",
                    resource_snake(resource),
                    resource_snake(attribute)
                )))),
            "{folder}: {attribute} is still a sensor"
        );
    }
}

fn resource_snake(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[test]
fn climate_sensors_show_temperature_humidity_and_battery() {
    for folder in ["temperature_humidity_sensor", "thermo_hygrometer"] {
        let ex = lg_example(folder);
        for (class, unit, resource, attribute) in [
            ("temperature", "°C", "temperature", "currentTemperature"),
            ("humidity", "%", "humidity", "currentHumidity"),
            ("battery", "%", "battery", "percent"),
        ] {
            let c = ex
                .cmps
                .values()
                .find(|c| c["dev_cla"] == class)
                .unwrap_or_else(|| panic!("{folder}: no {class} sensor"));
            assert_eq!(c["p"], "sensor");
            assert_eq!(c["unit_of_meas"], unit, "{folder} {class}");
            assert_eq!(c["stat_cla"], "measurement");
            // LG sends some numbers as text ("19"); Home Assistant gets the number.
            let reported = &ex.status[resource][attribute];
            let number = reported
                .as_f64()
                .or_else(|| reported.as_str().and_then(|s| s.parse().ok()))
                .expect("a number");
            let shown = published(&ex, c["stat_t"].as_str().expect("topic")).expect("published");
            assert_eq!(shown.parse::<f64>().ok(), Some(number), "{folder} {class}");
        }
    }
}

#[test]
fn a_motion_push_switches_motion_on_once_and_a_republish_never_does() {
    for folder in ["motion_sensor", "doorbell"] {
        let ex = lg_example(folder);
        let (key, c) = ex
            .cmps
            .iter()
            .find(|(_, c)| c["dev_cla"] == "motion")
            .unwrap_or_else(|| panic!("{folder}: no motion sensor"));
        assert_eq!(c["p"], "binary_sensor");
        assert!(c["off_dly"].as_u64().is_some_and(|d| d > 0), "{c}");
        let topic = c["stat_t"].as_str().expect("topic").to_owned();
        // Retained state: no motion, also for a republish after Home Assistant's birth.
        for _ in 0..2 {
            assert_eq!(published(&ex, &topic).as_deref(), Some("OFF"), "{folder}");
        }
        let messages = ex
            .model
            .push_messages(&fixtures::ctx().topics, "MOTION_IS_DETECTED");
        let on: Vec<_> = messages.iter().filter(|(t, _)| *t == topic).collect();
        assert_eq!(on.len(), 1, "{folder} {key}: {messages:?}");
        assert_eq!(on[0].1, "ON");
        let other = ex
            .model
            .push_messages(&fixtures::ctx().topics, "BATTERY_IS_LOW");
        assert!(!other.iter().any(|(t, _)| *t == topic), "{other:?}");
    }
}

#[test]
fn a_doorbell_ring_is_one_doorbell_event_per_push() {
    let ex = lg_example("doorbell");
    let (_, c) = ex
        .cmps
        .iter()
        .find(|(_, c)| c["p"] == "event" && c["dev_cla"] == "doorbell")
        .expect("doorbell event");
    assert_eq!(c["event_types"], json!(["ring"]));
    let topic = c["stat_t"].as_str().expect("topic").to_owned();
    // The profile's push list is where the ring comes from.
    assert!(
        ex.profile["notification"]["push"]
            .as_array()
            .expect("pushes")
            .contains(&json!("DOORBELL_RING"))
    );
    let mut events = 0;
    for _press in 0..3 {
        // Between presses the state is republished (reports, reconnects, births): no event.
        let republished = ex.model.state_messages(&fixtures::ctx().topics, &ex.status);
        assert!(!republished.iter().any(|(t, _)| *t == topic));
        for (t, payload) in ex
            .model
            .push_messages(&fixtures::ctx().topics, "DOORBELL_RING")
        {
            if t == topic {
                let payload: Value = serde_json::from_str(&payload).expect("JSON event");
                assert_eq!(payload, json!({"event_type": "ring"}));
                events += 1;
            }
        }
    }
    assert_eq!(events, 3, "one event per ring");
    // The notification event keeps every push code, as before.
    let notification = ex
        .model
        .push_messages(&fixtures::ctx().topics, "DOORBELL_RING");
    assert!(
        notification
            .iter()
            .any(|(t, p)| t.ends_with("/notification/event") && p.contains("doorbell_ring"))
    );
    // A push the profile does not list makes nothing.
    assert!(
        ex.model
            .push_messages(&fixtures::ctx().topics, "SOMETHING_ELSE")
            .is_empty()
    );
}

#[test]
fn a_button_without_a_press_push_keeps_only_its_notification_event() {
    let ex = lg_example("button");
    let events: Vec<&Value> = ex.cmps.values().filter(|c| c["p"] == "event").collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["event_types"], json!(["battery_is_low"]));
}

#[test]
fn robot_cleaner_is_a_vacuum_whose_commands_lg_accepts() {
    let ex = lg_example("robot_cleaner");
    let c = ex.cmps.get("vacuum").expect("vacuum entity");
    assert_eq!(c["p"], "vacuum");
    assert_eq!(c["name"], Value::Null, "the device's main entity");
    assert_eq!(
        c["sup_feat"],
        json!(["start", "pause", "return_home"]),
        "only what LG's operation enum offers; battery is a sensor"
    );
    // Fixture: CHARGING → docked, as a JSON object (no template on Home Assistant's side).
    let state = published(&ex, c["stat_t"].as_str().expect("topic")).expect("state");
    assert_eq!(
        serde_json::from_str::<Value>(&state).expect("JSON"),
        json!({"state": "docked"})
    );
    let topic = c["cmd_t"].as_str().expect("command topic");
    let feature = topic
        .trim_end_matches("/set")
        .rsplit('/')
        .next()
        .expect("feature");
    for (payload, lg) in [
        ("start", "START"),
        ("pause", "PAUSE"),
        ("return_to_base", "HOMING"),
    ] {
        let body = ex
            .model
            .command("vacuum", feature, payload, &ex.status)
            .unwrap_or_else(|e| panic!("{payload}: {e}"));
        assert_eq!(body, json!({"operation": {"cleanOperationMode": lg}}));
        thinq_addon::sim::check_control(&ex.profile, &body)
            .unwrap_or_else(|e| panic!("{payload}: {body} refused: {e:?}"));
    }
    assert!(
        ex.model
            .command("vacuum", feature, "locate", &ex.status)
            .is_err()
    );
    // WAKE_UP, which no vacuum command stands for, keeps its button and key.
    let wake = ex
        .cmps
        .get("operation_clean_operation_mode_wake_up")
        .expect("wake-up button");
    assert_eq!(wake["p"], "button");
    // The run state keeps its sensor (LG's own words) and the battery its sensors.
    assert_eq!(ex.cmps["run_state_current_state"]["p"], "sensor");
    assert_eq!(ex.cmps["battery_percent"]["dev_cla"], "battery");
}

#[test]
fn vacuum_activity_follows_the_run_state() {
    let ex = lg_example("robot_cleaner");
    let topic = ex.cmps["vacuum"]["stat_t"]
        .as_str()
        .expect("topic")
        .to_owned();
    for (lg, activity) in [
        ("WORKING", json!("cleaning")),
        ("HOMING", json!("returning")),
        ("PAUSE", json!("paused")),
        ("STANDBY", json!("idle")),
        ("ERROR", json!("error")),
        ("NOT_IN_THE_PROFILE", Value::Null),
    ] {
        let mut status = ex.status.clone();
        status["runState"]["currentState"] = json!(lg);
        let payload = ex
            .model
            .state_messages(&fixtures::ctx().topics, &status)
            .into_iter()
            .find(|(t, _)| *t == topic)
            .expect("vacuum state")
            .1;
        assert_eq!(
            serde_json::from_str::<Value>(&payload).expect("JSON"),
            json!({ "state": activity }),
            "{lg}"
        );
    }
}

#[test]
fn stick_cleaner_takes_no_command_so_it_stays_sensors() {
    let ex = lg_example("stick_cleaner");
    assert!(!ex.cmps.values().any(|c| c["p"] == "vacuum"));
    assert_eq!(ex.cmps["run_state_current_state"]["p"], "sensor");
}

fn sim_device(folder: &str, id: &str) -> SimDevice {
    let ex = lg_example(folder);
    let mut summary = ex.model.device.clone();
    summary.device_id = id.to_owned();
    SimDevice {
        summary,
        profile: ex.profile,
        state: ex.status,
    }
}

/// Through the real bridge and brokers: a ring from LG's push channel is one event in Home
/// Assistant, a motion one ON; Home Assistant's birth (which makes the bridge republish every
/// retained value) repeats neither.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_become_one_event_each_and_a_birth_repeats_none() {
    let doorbell = "DOORBELL-1";
    let world = World::start(vec![sim_device("doorbell", doorbell)]).await;
    let bridge = world.bridge();
    let mut ha = world.home_assistant().await;
    ha.wait_json(BRIDGE_STATE, |v| v["lg_push"] == "ON").await;
    let object = Topics::object_id(doorbell);
    let ring = format!("thinq/{object}/doorbell/event");
    let motion = format!("thinq/{object}/motion/state");
    ha.wait_for(&motion, |p| p == b"OFF").await;

    world.sim.notify(doorbell, "DOORBELL_RING").await;
    let event = ha.wait_json(&ring, |_| true).await;
    assert_eq!(event, json!({"event_type": "ring"}));
    world.sim.notify(doorbell, "MOTION_IS_DETECTED").await;
    ha.wait_for(&motion, |p| p == b"ON").await;

    ha.publish("homeassistant/status", "online").await;
    let after = ha.collect_for(Duration::from_secs(3)).await;
    let republished = after
        .iter()
        .filter(|(t, _)| t.starts_with(&format!("thinq/{object}/")))
        .count();
    let rings = after.iter().filter(|(t, _)| *t == ring).count();
    let motions_on = after
        .iter()
        .filter(|(t, p)| *t == motion && p == b"ON")
        .count();
    println!("after the birth: {republished} messages for the doorbell, {rings} rings");
    assert!(republished > 0, "the birth republished nothing: {after:?}");
    assert_eq!(rings, 0, "a republish repeated the ring");
    assert_eq!(motions_on, 0, "a republish repeated the motion");

    world.sim.notify(doorbell, "DOORBELL_RING").await;
    let second = ha.collect_for(Duration::from_secs(3)).await;
    assert_eq!(
        second.iter().filter(|(t, _)| *t == ring).count(),
        1,
        "one ring, one event"
    );
    bridge.stop_ok().await;
}
