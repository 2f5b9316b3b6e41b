//! Multi-unit appliances and timers as a Home Assistant user meets them (issue 10 items 2, 3):
//!
//! * a WashTower is three devices: the tower, and its washer and dryer attached to it with
//!   `via_device`; unique ids and topics stay those of the one-device layout;
//! * removing it from the account clears every one of its discovery payloads, also after an
//!   upgrade from a version that remembered only one;
//! * a timer is one number in minutes whose command writes hour and minute in one body the
//!   simulated LG cloud accepts; a cycle has a "finishes at" moment; an event fires only for
//!   LG's push, not when Home Assistant asks for everything again.

#[path = "support/fixtures.rs"]
mod fixtures;
mod support;

use fixtures::assert_holds;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;
use support::world::wait_until_lg_idle;
use support::{Watcher, World};
use thinq_addon::hass::DeviceModel;
use thinq_addon::hass::discovery::{check_device_payload, is_removal_marker};
use thinq_addon::hass::entities::common::unique_id;
use thinq_addon::hass::entities::timer::rfc3339;
use thinq_addon::hass::topics::Topics;
use thinq_addon::sim::{SimDevice, check_control};

fn sim_device(device_type: &str) -> SimDevice {
    SimDevice::fixture_set()
        .into_iter()
        .find(|d| d.summary.device_info.device_type == device_type)
        .unwrap_or_else(|| panic!("no {device_type} in the fixture set"))
}

fn model(device: &SimDevice) -> DeviceModel {
    DeviceModel::new(device.summary.clone(), &device.profile).expect("profile")
}

/// The fixture-set device of `device_type`, its model and the components of its discovery
/// payload.
fn discovered(device_type: &str) -> (SimDevice, DeviceModel, Value) {
    let device = sim_device(device_type);
    let model = model(&device);
    let cmps = model.discovery_payload(&fixtures::ctx())["cmps"].take();
    (device, model, cmps)
}

/// The body that `value` written to the number or text `entity` makes for `device`, which the
/// simulated LG cloud's own profile check must accept.
fn accepted_body(model: &DeviceModel, device: &SimDevice, entity: &str, value: &str) -> Value {
    let body = model
        .command(entity, "value", value, &device.state)
        .unwrap_or_else(|e| panic!("{entity} = {value}: {e}"));
    check_control(&device.profile, &body).expect("the simulator accepts it");
    body
}

/// The components of a payload that stand for entities (removal markers left out).
fn entities(payload: &Value) -> Vec<(String, Value)> {
    payload["cmps"]
        .as_object()
        .expect("cmps")
        .iter()
        .filter(|(_, c)| !is_removal_marker(c))
        .map(|(k, c)| (k.clone(), c.clone()))
        .collect()
}

#[test]
fn a_washtower_is_a_washer_and_a_dryer_under_the_tower() {
    let tower = sim_device("DEVICE_WASHTOWER");
    let model = model(&tower);
    let id = &tower.summary.device_id;
    let payloads = model.discovery_payloads(&fixtures::ctx());
    let ids: Vec<&str> = payloads.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [id.clone(), format!("{id}_washer"), format!("{id}_dryer")]
    );

    let tower_identifier = format!("thinq_{}", Topics::object_id(id));
    let (own, units) = payloads.split_first().expect("the tower's payload");
    assert_eq!(own.payload["dev"]["ids"], json!([tower_identifier]));
    assert_eq!(own.payload["dev"]["via_device"], "thinq_bridge");
    assert_eq!(own.payload["dev"]["name"], "Laundry tower");
    for (unit, word) in units.iter().zip(["Washer", "Dryer"]) {
        let dev = &unit.payload["dev"];
        assert_eq!(dev["via_device"], json!(tower_identifier), "{}", unit.id);
        assert_eq!(dev["name"], format!("Laundry tower {word}"));
        assert_eq!(
            dev["ids"],
            json!([format!("thinq_{}", Topics::object_id(&unit.id))])
        );
        assert!(
            check_device_payload(&unit.payload).is_empty(),
            "{}",
            unit.id
        );
        // Same availability as the tower: the bridge and the appliance.
        assert_eq!(unit.payload["avty"], own.payload["avty"]);
        for (key, component) in entities(&unit.payload) {
            let name = component["name"].as_str().unwrap_or_default().to_owned();
            assert!(
                !name.starts_with("Washer") && !name.starts_with("Dryer"),
                "{key}: {name:?} repeats the unit the device name says"
            );
        }
    }
    assert!(check_device_payload(&own.payload).is_empty());

    // Every entity is on exactly one device, with the unique id and topics it had when the
    // tower was one device: made from the appliance's id and the entity key.
    let mut keys = BTreeSet::new();
    for part in &payloads {
        for (key, component) in entities(&part.payload) {
            assert!(keys.insert(key.clone()), "{key} on two devices");
            assert_eq!(component["uniq_id"], json!(unique_id(id, &key)));
            if let Some(topic) = component["stat_t"].as_str() {
                assert!(
                    topic.starts_with(&format!("thinq/{}/{key}/", Topics::object_id(id))),
                    "{topic}"
                );
            }
        }
    }
    let built: BTreeSet<String> = model.entities.iter().map(|e| e.key().to_owned()).collect();
    assert_eq!(keys, built);
    for key in [
        "washer_run_state_current_state",
        "dryer_run_state_current_state",
    ] {
        assert!(keys.contains(key), "{key}");
    }
    // The tower keeps what belongs to the whole appliance (LG's notifications) and nothing
    // else: no removal marker for what moved. An install upgraded from the one-device tower
    // has the old copies removed once, when the bridge finds them (discovery_removals.rs).
    let own_keys: Vec<String> = entities(&own.payload).into_iter().map(|(k, _)| k).collect();
    assert_eq!(own_keys, ["notification"]);
    assert_eq!(own.payload["cmps"].as_object().expect("cmps").len(), 1);
}

#[test]
fn one_unit_appliances_stay_one_device() {
    for device in SimDevice::fixture_set() {
        if device.summary.device_info.device_type == "DEVICE_WASHTOWER" {
            continue;
        }
        let payloads = model(&device).discovery_payloads(&fixtures::ctx());
        assert_eq!(payloads.len(), 1, "{}", device.summary.device_id);
        assert!(
            !payloads[0].payload["cmps"]
                .as_object()
                .expect("cmps")
                .values()
                .any(is_removal_marker)
        );
    }
}

#[test]
fn a_timer_is_one_number_of_minutes_written_in_one_body() {
    let (dryer, dryer_model, cmps) = discovered("DEVICE_WASHTOWER_DRYER");
    assert_holds(
        &cmps["timer_relative_hour_to_start"],
        &json!({
            "p": "number",
            "unit_of_meas": "min",
            "dev_cla": "duration",
            // LG lets this dryer write whole hours (1..=19): the number moves by an hour.
            "step": 60
        }),
    );
    for gone in ["delayed_start", "timer_relative_minute_to_start"] {
        assert!(cmps.get(gone).is_none(), "{gone} still shown");
    }
    let body = dryer_model
        .command("timer_relative_hour_to_start", "value", "150", &dryer.state)
        .expect_err("half an hour this dryer cannot be set to");
    assert!(body.to_string().contains("relativeMinuteToStart"), "{body}");
    let body = accepted_body(&dryer_model, &dryer, "timer_relative_hour_to_start", "120");
    assert_eq!(body, json!({"timer": {"relativeHourToStart": 2}}));

    // The air conditioner writes both: one body with hour and minute together.
    let (ac, ac_model, cmps) = discovered("DEVICE_AIR_CONDITIONER");
    assert_holds(
        &cmps["timer_relative_hour_to_start"],
        &json!({"step": 1, "max": 24 * 60 + 59}),
    );
    assert!(cmps.get("timer_relative_minute_to_start").is_none());
    let body = accepted_body(&ac_model, &ac, "timer_relative_hour_to_start", "95");
    assert_eq!(
        body,
        json!({"timer": {"relativeHourToStart": 1, "relativeMinuteToStart": 35}})
    );
    // LG's SDK leaves a stop timer's minute out when it is 0.
    let body = accepted_body(&ac_model, &ac, "timer_relative_hour_to_stop", "120");
    assert_eq!(body, json!({"timer": {"relativeHourToStop": 2}}));
}

#[test]
fn a_cooktop_burner_timer_is_one_number_sent_with_its_power_level() {
    let (summary, profile, status) = fixtures::lg_example("cooktop");
    let model = DeviceModel::new(summary, &profile).expect("profile");
    let cmps = &model.discovery_payload(&fixtures::ctx())["cmps"];
    assert_holds(
        &cmps["left_front_timer_remain_hour"],
        &json!({"name": "Left front timer", "unit_of_meas": "min"}),
    );
    assert!(cmps.get("left_front_timer_remain_minute").is_none());
    let body = model
        .command("left_front_timer_remain_hour", "value", "75", &status)
        .expect("1 h 15 min");
    assert_eq!(body["location"], json!({"locationName": "LEFT_FRONT"}));
    assert_eq!(body["timer"], json!({"remainHour": 1, "remainMinute": 15}));
    assert!(body["power"]["powerLevel"].is_number(), "{body}");
    check_control(&profile, &body).expect("the simulator accepts it");
}

#[test]
fn a_scheduled_start_is_one_clock_time_written_in_one_body() {
    let (ac, model, cmps) = discovered("DEVICE_AIR_CONDITIONER");
    let start = &cmps["timer_absolute_hour_to_start"];
    assert_eq!(start["p"], "text");
    assert!(cmps.get("timer_absolute_minute_to_start").is_none());
    // The fixture is set to start at 13:14.
    let values = model.state_values(&ac.state);
    let shown = values
        .iter()
        .find(|(k, _, _)| *k == "timer_absolute_hour_to_start")
        .map(|(_, _, v)| v.clone());
    assert_eq!(shown, Some(json!("13:14")));
    let body = accepted_body(&model, &ac, "timer_absolute_hour_to_start", "7:30");
    assert_eq!(
        body,
        json!({"timer": {"absoluteHourToStart": 7, "absoluteMinuteToStart": 30}})
    );
    for wrong in ["24:00", "7.30", "", "07:60"] {
        assert!(
            model
                .command("timer_absolute_hour_to_start", "value", wrong, &ac.state)
                .is_err(),
            "{wrong:?}"
        );
    }
    // Not set: an empty text, which the pattern Home Assistant checks allows.
    let unset = json!({"timer": {"absoluteStartTimer": "UNSET"}});
    let shown = model
        .state_values(&unset)
        .into_iter()
        .find(|(k, _, _)| *k == "timer_absolute_hour_to_start")
        .map(|(_, _, v)| v);
    assert_eq!(shown, Some(json!("")));
    let pattern = start["pattern"].as_str().expect("pattern");
    assert!(
        pattern.starts_with("^((") && pattern.ends_with(")?$"),
        "{pattern}"
    );
}

#[test]
fn finishes_at_follows_the_remaining_time_and_clears_when_idle() {
    use thinq_addon::hass::entities::timer::{DurationParts, FinishesAtSensor};
    let oven = sim_device("DEVICE_OVEN");
    let model = model(&oven);
    let upper = model
        .entities
        .iter()
        .find(|e| e.key() == "upper_finishes_at")
        .expect("the upper cavity's finishes at");
    // The fixture oven cooks with 10 minutes left in both cavities.
    let mut values = Vec::new();
    upper.state(&oven.state, &mut values);
    let shown = values[0].1.as_str().expect("a moment").to_owned();
    let moment =
        time::OffsetDateTime::parse(&shown, &time::format_description::well_known::Rfc3339)
            .expect("RFC 3339");
    let in_ten = time::OffsetDateTime::now_utc() + time::Duration::minutes(10);
    assert!(
        (moment - in_ten).whole_seconds().abs() <= 120,
        "{shown} is not about ten minutes from now"
    );

    // Deterministic: the sensor at a given clock.
    let remaining = |minute: i64, state: &str| {
        json!({"runState": {"currentState": state},
               "timer": {"remainHour": 1, "remainMinute": minute}})
    };
    let dryer = sim_device("DEVICE_WASHTOWER_DRYER");
    let profile = thinq_addon::thinq::profile::Profile::parse(&dryer.profile).unwrap();
    let timer = |attribute: &str| profile.get(&format!("timer.{attribute}")).cloned();
    let run = profile.get("runState.currentState").cloned();
    let sensor = FinishesAtSensor::new(
        thinq_addon::hass::entities::common::EntityBase::new("finishes_at", None),
        DurationParts {
            hour: timer("remainHour"),
            minute: timer("remainMinute"),
            second: None,
        },
        run,
        vec!["POWER_OFF".to_owned(), "END".to_owned()],
    );
    let noon: i64 = 1_796_400_000; // 2026-12-04 16:00 UTC, a round hour
    let first = sensor
        .finishes_at(&remaining(30, "RUNNING"), noon)
        .expect("running");
    assert_eq!(first, noon + 90 * 60);
    assert_eq!(rfc3339(first).as_deref().map(|s| s.len()), Some(20));
    // A minute later with a minute less: the same moment, nothing to publish.
    assert_eq!(
        sensor.finishes_at(&remaining(29, "RUNNING"), noon + 60),
        Some(first)
    );
    // LG's minute flips early: still the same moment.
    assert_eq!(
        sensor.finishes_at(&remaining(28, "RUNNING"), noon + 70),
        Some(first)
    );
    // The cycle got longer by ten minutes: a new moment.
    assert_eq!(
        sensor.finishes_at(&remaining(38, "RUNNING"), noon + 120),
        Some(noon + 120 + 98 * 60)
    );
    // Finished, off with the last cycle's time still reported: cleared.
    assert_eq!(sensor.finishes_at(&remaining(38, "END"), noon + 180), None);
    assert_eq!(
        sensor.finishes_at(
            &json!({"runState": {"currentState": "RUNNING"},
                    "timer": {"remainHour": 0, "remainMinute": 0}}),
            noon + 240
        ),
        None
    );
    // The HA washer fixture: off, with 45 minutes left from its last cycle.
    let washer = sim_device("DEVICE_WASHER");
    let washer_model = DeviceModel::new(washer.summary.clone(), &washer.profile).unwrap();
    let values = washer_model.state_values(&washer.state);
    let finish = values
        .iter()
        .find(|(k, _, _)| *k == "finishes_at")
        .expect("a washer has finishes at");
    assert_eq!(finish.2, Value::Null);
}

/// Waits until every one of `topics` holds a payload for which `check` holds.
async fn wait_all(ha: &mut Watcher, topics: &[String], check: impl Fn(&[u8]) -> bool + Copy) {
    for topic in topics {
        ha.wait_for(topic, check).await;
    }
}

/// A world of a WashTower and an air conditioner; the tower's id and its three discovery
/// topics (the tower, its washer, its dryer).
async fn washtower_beside_an_air_conditioner() -> (World, String, Vec<String>) {
    let tower = sim_device("DEVICE_WASHTOWER");
    let topics = model(&tower).discovery_topics(&fixtures::ctx().topics);
    let id = tower.id().to_owned();
    let world = World::start(vec![tower, sim_device("DEVICE_AIR_CONDITIONER")]).await;
    (world, id, topics)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_washtower_clears_all_three_devices_and_birth_fires_no_event() {
    let (world, id, topics) = washtower_beside_an_air_conditioner().await;
    let bridge = world.bridge();
    let mut ha = world.home_assistant().await;
    assert_eq!(topics.len(), 3);
    wait_all(&mut ha, &topics, |p| !p.is_empty()).await;
    world.assert_ha_matches_sim().await;
    wait_until_lg_idle(&world.sim).await;

    // Home Assistant restarts and asks for everything again: discovery and values come back,
    // no "cycle finished" event does.
    let event_topic = format!("thinq/{}/notification/event", Topics::object_id(&id));
    ha.last.clear();
    ha.publish("homeassistant/status", "online").await;
    wait_all(&mut ha, &topics, |p| !p.is_empty()).await;
    ha.drain(Duration::from_millis(500)).await;
    assert!(
        !ha.last.contains_key(&event_topic),
        "an event on Home Assistant's birth"
    );
    // LG's own push is an event, once.
    world.sim.notify(&id, "WASHING_IS_COMPLETE").await;
    let event = ha
        .wait_json(&event_topic, |v| v["event_type"].is_string())
        .await;
    assert_eq!(event["event_type"], "washing_is_complete");

    world.sim.remove_device(&id).await;
    wait_all(&mut ha, &topics, <[u8]>::is_empty).await;
    bridge.stop_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_washtower_removed_while_stopped_after_an_upgrade_leaves_no_device() {
    let (world, id, topics) = washtower_beside_an_air_conditioner().await;
    let bridge = world.bridge();
    let mut ha = world.home_assistant().await;
    wait_all(&mut ha, &topics, |p| !p.is_empty()).await;
    world.assert_ha_matches_sim().await;
    bridge.stop_ok().await;

    // The file as a version without sub-devices wrote it: no discovery topics remembered.
    let path = world.data_dir.join("known-devices.json");
    let mut known: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let remembered = known["devices"][&id]["discovery_topics"].clone();
    assert_eq!(remembered, json!(topics), "what this version remembers");
    known["devices"][&id]
        .as_object_mut()
        .unwrap()
        .remove("discovery_topics");
    std::fs::write(&path, known.to_string()).unwrap();

    world.sim.remove_device_silently(&id);
    let bridge = world.bridge();
    wait_all(&mut ha, &topics, <[u8]>::is_empty).await;
    // Its energy entities (on the tower) go too, though not shown in this run yet.
    let energy = format!(
        "homeassistant/device/thinq_{}_energy/config",
        Topics::object_id(&id)
    );
    ha.wait_for(&energy, <[u8]>::is_empty).await;
    let left = world.topics_left(&id).await;
    assert!(left.is_empty(), "left behind: {left:?}");
    bridge.stop_ok().await;
}
