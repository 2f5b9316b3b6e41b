//! Discovery payloads of every fixture device (Home Assistant's 11 and LG's 59 examples):
//! compared with reviewed golden files, and
//! checked against Home Assistant's schema rules (`reference/ha-addon.md` §2) for every
//! fixture profile, including LG's 59 developer-site examples.
//!
//! `UPDATE_GOLDEN=1 cargo test --test discovery_golden` rewrites the golden files; review the
//! diff before committing it.

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use thinq_addon::hass::discovery::{check_device_payload, is_removal_marker, state_topics};
use thinq_addon::hass::topics::Topics;
use thinq_addon::hass::{DeviceModel, DiscoveryContext};
use thinq_addon::thinq::{DeviceInfo, DeviceSummary};

/// The Home Assistant fixture folders (each has device.json, profile.json, status.json).
const HA_FIXTURES: &[&str] = &[
    "air_conditioner",
    "air_conditioner1",
    "air_conditioner2",
    "air_conditioner_step",
    "air_purifier",
    "dehumidifier",
    "hood",
    "kimchi_refrigerator",
    "oven",
    "washer",
    "washtower_dryer",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn ctx() -> DiscoveryContext {
    DiscoveryContext {
        topics: Topics::new("homeassistant", "thinq"),
        sw_version: "0.0.0-test".to_owned(),
    }
}

/// The device type LG uses for an lg-developer example folder.
fn lg_developer_type(folder: &str) -> String {
    match folder {
        "main_washcombo" => "DEVICE_WASHCOMBO_MAIN".to_owned(),
        "mini_washcombo" => "DEVICE_WASHCOMBO_MINI".to_owned(),
        other => format!("DEVICE_{}", other.to_ascii_uppercase()),
    }
}

/// A made-up device list entry for an lg-developer example (LG publishes no device.json).
fn lg_developer_device(folder: &str) -> DeviceSummary {
    DeviceSummary {
        device_id: format!("LGDEV-{}", folder.replace('_', "-").to_ascii_uppercase()),
        device_info: DeviceInfo {
            device_type: lg_developer_type(folder),
            model_name: format!("{}_EXAMPLE", folder.to_ascii_uppercase()),
            alias: format!("Example {}", folder.replace('_', " ")),
            reportable: true,
            group_id: None,
        },
    }
}

/// Every fixture device: (golden name, device, raw profile, status).
fn all_devices() -> Vec<(String, DeviceSummary, Value, Value)> {
    let mut out = Vec::new();
    for folder in HA_FIXTURES {
        let dir = fixtures().join(folder);
        let device: DeviceSummary =
            serde_json::from_value(read_json(&dir.join("device.json"))).expect("device.json");
        out.push((
            folder.to_string(),
            device,
            read_json(&dir.join("profile.json")),
            read_json(&dir.join("status.json")),
        ));
    }
    let lg = fixtures().join("lg-developer");
    let mut folders: Vec<String> = std::fs::read_dir(&lg)
        .expect("lg-developer fixtures")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    for folder in folders {
        let dir = lg.join(&folder);
        out.push((
            format!("lg-developer_{folder}"),
            lg_developer_device(&folder),
            read_json(&dir.join("profile.json")),
            read_json(&dir.join("status.json")),
        ));
    }
    out
}

/// The devices with golden files: every fixture device, both sets (Home Assistant's 11 and
/// LG's 59 developer-site examples).
fn golden_devices() -> Vec<(String, DeviceSummary, Value, Value)> {
    all_devices()
}

fn model(device: &DeviceSummary, profile: &Value) -> DeviceModel {
    DeviceModel::new(device.clone(), profile)
        .unwrap_or_else(|e| panic!("{}: {e}", device.device_id))
}

#[test]
fn discovery_payloads_match_the_golden_files() {
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut mismatches = Vec::new();
    let mut written = BTreeSet::new();
    for (name, device, profile, _) in golden_devices() {
        // The appliance's payload in `<name>.json`; a unit that is a device of its own (a
        // WashTower's washer and dryer) in `<name>.<unit>.json`.
        for part in model(&device, &profile).discovery_payloads(&ctx()) {
            let file = match part.id.strip_prefix(&format!("{}_", device.device_id)) {
                Some(unit) => format!("{name}.{unit}.json"),
                None => format!("{name}.json"),
            };
            let path = dir.join(&file);
            let pretty = serde_json::to_string_pretty(&part.payload).expect("serialises") + "\n";
            written.insert(file.clone());
            if update {
                std::fs::create_dir_all(&dir).expect("golden dir");
                std::fs::write(&path, &pretty).expect("write golden");
                continue;
            }
            let expected = std::fs::read_to_string(&path).unwrap_or_default();
            if expected != pretty {
                mismatches.push(file);
            }
        }
    }
    // A golden file no device produces any more is a payload nobody reviews.
    for entry in std::fs::read_dir(&dir).expect("golden dir").flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if !written.contains(&file) {
            if update {
                std::fs::remove_file(entry.path()).expect("remove stale golden");
            } else {
                mismatches.push(format!("{file} (no device makes it)"));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "payloads differ from tests/golden for {mismatches:?} (UPDATE_GOLDEN=1 to rewrite)"
    );
}

#[test]
fn every_fixture_payload_follows_the_discovery_schema() {
    let mut failures = Vec::new();
    for (name, device, profile, _) in all_devices() {
        let model = model(&device, &profile);
        for part in model.discovery_payloads(&ctx()) {
            for error in check_device_payload(&part.payload) {
                failures.push(format!("{name} ({}): {error}", part.id));
            }
            assert_eq!(part.payload["avty_mode"], json!("all"));
            assert_eq!(part.payload["avty"].as_array().map(Vec::len), Some(2));
        }
        let payload = model.discovery_payload(&ctx());
        let all = all_components(&model);
        let cmps = all["cmps"].as_object().expect("cmps");
        assert!(!cmps.is_empty(), "{name}: no entities at all");
        for (key, component) in cmps {
            assert_eq!(
                component["uniq_id"],
                json!(format!(
                    "thinq_{}_{key}",
                    Topics::object_id(&device.device_id)
                )),
                "{name}: unique id shape"
            );
        }
        assert_eq!(payload["dev"]["via_device"], json!("thinq_bridge"));
    }
    assert!(
        failures.is_empty(),
        "schema violations:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_state_topic_has_its_plain_value_and_no_template() {
    let mut failures = Vec::new();
    for (name, device, profile, status) in all_devices() {
        let model = model(&device, &profile);
        let payload = all_components(&model);
        let messages = model.state_messages(&ctx().topics, &status);
        let published: BTreeSet<String> = messages.iter().map(|(t, _)| t.clone()).collect();
        if published.len() != messages.len() {
            failures.push(format!("{name}: a state topic is published twice"));
        }
        let mut read = state_topics(&payload);
        // Attributes objects (`<entity>/attributes`) are read by the entity they belong to.
        for component in payload["cmps"].as_object().expect("cmps").values() {
            if let Some(topic) = component["json_attr_t"].as_str() {
                read.insert(topic.to_owned());
            }
        }
        for missing in read.difference(&published) {
            failures.push(format!("{name}: {missing} is read but never published"));
        }
        for unused in published.difference(&read) {
            failures.push(format!(
                "{name}: {unused} is published but no entity reads it"
            ));
        }
        for (key, component) in payload["cmps"].as_object().expect("cmps") {
            let templates: Vec<&String> = component
                .as_object()
                .expect("component")
                .keys()
                .filter(|k| k.ends_with("_tpl") || k.ends_with("_template"))
                .collect();
            if !templates.is_empty() {
                failures.push(format!("{name}: {key} has templates {templates:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The values a state shows, keyed `<entity>/<feature>` (the tail of their state topics).
fn values(model: &DeviceModel, status: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for (entity, feature, value) in model.state_values(status) {
        out.insert(format!("{entity}/{feature}"), value);
    }
    Value::Object(out)
}

/// Entity counts per fixture device, printed for the record (`--nocapture`) and bounded below
/// so that a regression that drops entities is caught.
#[test]
fn every_readable_property_becomes_an_entity() {
    for (name, device, profile, status) in golden_devices() {
        let model = model(&device, &profile);
        let rows = model.describe(&status);
        let platforms: BTreeSet<&str> = model.entities.iter().map(|e| e.platform()).collect();
        println!("{name}: {} entities {platforms:?}", rows.len());
        let readable = model
            .profile
            .properties
            .iter()
            .filter(|p| p.readable)
            .count();
        assert!(
            readable == 0 || !rows.is_empty(),
            "{name}: readable properties but no entities"
        );
    }
}

fn fixture(folder: &str) -> (DeviceModel, Value) {
    let (_, device, profile, status) = all_devices()
        .into_iter()
        .find(|(name, ..)| name == folder)
        .unwrap_or_else(|| panic!("no fixture {folder}"));
    (model(&device, &profile), status)
}

/// The components of every discovery payload of a device (a WashTower has three), as one
/// payload-shaped object; removal markers left out.
fn all_components(model: &DeviceModel) -> Value {
    let mut cmps = serde_json::Map::new();
    for part in model.discovery_payloads(&ctx()) {
        for (key, component) in part.payload["cmps"].as_object().expect("cmps") {
            if !is_removal_marker(component) {
                cmps.insert(key.clone(), component.clone());
            }
        }
    }
    json!({ "cmps": cmps })
}

fn component<'a>(payload: &'a Value, key: &str) -> &'a Value {
    payload["cmps"]
        .get(key)
        .unwrap_or_else(|| panic!("no component {key} in {}", payload["cmps"]))
}

#[test]
fn air_conditioner_is_a_climate_entity() {
    let (model, status) = fixture("air_conditioner");
    let payload = model.discovery_payload(&ctx());
    let climate = component(&payload, "climate");
    assert_eq!(climate["p"], "climate");
    assert_eq!(climate["name"], Value::Null);
    assert_eq!(climate["modes"], json!(["off", "cool", "dry", "fan_only"]));
    assert_eq!(climate["pr_modes"], json!(["Air clean"]));
    assert_eq!(climate["fan_modes"], json!(["low", "high", "medium"]));
    assert_eq!(climate["swing_modes"], json!(["on", "off"]));
    assert_eq!(climate["temp_unit"], "C");
    assert_eq!(
        (climate["min_temp"].clone(), climate["max_temp"].clone()),
        (json!(18), json!(30))
    );
    let state = values(&model, &status);
    assert_eq!(state["climate/mode"], "cool");
    assert_eq!(state["climate/target_temperature"], 19);
    assert_eq!(state["climate/current_temperature"], 25);
    assert_eq!(state["climate/fan_mode"], "medium");
    assert_eq!(state["climate/swing_mode"], "off");
    assert_eq!(state["climate/preset_mode"], "none");
    // What goes on the wire: the plain value on the topic the component names.
    let messages = model.state_messages(&ctx().topics, &status);
    let target = climate["temp_stat_t"].as_str().expect("topic");
    assert_eq!(
        target,
        format!(
            "thinq/{}/climate/target_temperature",
            model.device.device_id
        )
    );
    assert!(messages.contains(&(target.to_owned(), "19".to_owned())));
    assert!(climate.get("temp_stat_tpl").is_none());

    let off = model
        .command("climate", "mode", "off", &status)
        .expect("off");
    assert_eq!(
        off,
        json!({"operation": {"airConOperationMode": "POWER_OFF"}})
    );
    let cool = model
        .command("climate", "temperature", "22", &status)
        .expect("temperature");
    assert_eq!(
        cool,
        json!({"temperatureInUnits": {"coolTargetTemperature": 22, "unit": "C"}})
    );
    let fan = model
        .command("climate", "fan_mode", "medium", &status)
        .expect("fan");
    assert_eq!(fan, json!({"airFlow": {"windStrength": "MID"}}));
    let preset = model
        .command("climate", "preset_mode", "Air clean", &status)
        .expect("preset");
    assert_eq!(
        preset,
        json!({"airConJobMode": {"currentJobMode": "AIR_CLEAN"}})
    );
    assert!(
        model
            .command("climate", "temperature", "45", &status)
            .is_err()
    );
    assert!(matches!(
        model.command("climate", "nonsense", "1", &status),
        Err(thinq_addon::thinq::profile::CommandError::UnknownCommand(_))
    ));
    assert!(matches!(
        model.command("no_such_entity", "mode", "cool", &status),
        Err(thinq_addon::thinq::profile::CommandError::UnknownCommand(_))
    ));
}

#[test]
fn switching_an_air_conditioner_on_to_a_mode_sends_power_and_mode_together() {
    let (model, mut status) = fixture("air_conditioner");
    status["operation"]["airConOperationMode"] = json!("POWER_OFF");
    assert_eq!(values(&model, &status)["climate/mode"], "off");
    let body = model
        .command("climate", "mode", "dry", &status)
        .expect("dry");
    assert_eq!(
        body,
        json!({"operation": {"airConOperationMode": "POWER_ON"}, "airConJobMode": {"currentJobMode": "AIR_DRY"}})
    );
}

#[test]
fn washer_has_run_state_remaining_time_buttons_and_notifications() {
    let (model, status) = fixture("washer");
    let payload = model.discovery_payload(&ctx());
    let run_state = component(&payload, "run_state_current_state");
    assert_eq!(run_state["dev_cla"], "enum");
    assert!(
        run_state["ops"]
            .as_array()
            .is_some_and(|o| o.contains(&json!("Rinsing")))
    );
    let remaining = component(&payload, "remaining_time");
    assert_eq!(
        (
            remaining["dev_cla"].clone(),
            remaining["unit_of_meas"].clone()
        ),
        (json!("duration"), json!("min"))
    );
    let event = component(&payload, "notification");
    assert_eq!(
        event["event_types"],
        json!(["washing_is_complete", "error_during_washing"])
    );
    assert_eq!(
        event["stat_t"],
        json!(ctx().topics.event(&model.device.device_id, "notification"))
    );
    let state = values(&model, &status);
    assert_eq!(state["run_state_current_state/state"], "Power off");
    assert_eq!(state["remaining_time/state"], 45);
    assert_eq!(state["total_time/state"], 50);
    let start = model
        .command(
            "operation_washer_operation_mode_start",
            "press",
            "PRESS",
            &status,
        )
        .expect("start");
    assert_eq!(
        start,
        json!({"location": {"locationName": "MAIN"}, "operation": {"washerOperationMode": "START"}})
    );
    assert_eq!(
        model.notification("WASHING_IS_COMPLETE"),
        Some((
            "notification".to_owned(),
            json!({"event_type": "washing_is_complete"})
        ))
    );
    assert_eq!(model.notification("SOMETHING_ELSE"), None);
}

#[test]
fn air_purifier_is_a_fan() {
    let (model, status) = fixture("lg-developer_air_purifier");
    let payload = model.discovery_payload(&ctx());
    let fan = component(&payload, "fan");
    assert_eq!(fan["p"], "fan");
    assert_eq!(
        fan["pr_modes"],
        json!(["Clean", "Auto", "Circulator", "Dual clean"])
    );
    assert_eq!(
        (fan["spd_rng_min"].clone(), fan["spd_rng_max"].clone()),
        (json!(1), json!(4))
    );
    let state = values(&model, &status);
    assert_eq!(state["fan/state"], "OFF");
    assert_eq!(state["fan/percentage"], 3);
    assert_eq!(state["fan/preset_mode"], "Clean");
    let on = model.command("fan", "state", "ON", &status).expect("on");
    assert_eq!(
        on,
        json!({"operation": {"airPurifierOperationMode": "POWER_ON"}})
    );
    let preset = model
        .command("fan", "preset_mode", "auto", &status)
        .expect("preset");
    assert_eq!(
        preset,
        json!({"airPurifierJobMode": {"currentJobMode": "AUTO"}})
    );
}

#[test]
fn refrigerator_has_a_celsius_target_per_compartment() {
    let (model, status) = fixture("lg-developer_refrigerator");
    let payload = model.discovery_payload(&ctx());
    let fridge = component(&payload, "fridge_temperature_in_units_target_temperature_c");
    let freezer = component(
        &payload,
        "freezer_temperature_in_units_target_temperature_c",
    );
    for (c, min, max) in [(fridge, 1, 8), (freezer, -21, -13)] {
        assert_eq!(c["p"], "number");
        assert_eq!(c["dev_cla"], "temperature");
        assert_eq!(c["unit_of_meas"], "°C");
        assert_eq!(
            (c["min"].clone(), c["max"].clone()),
            (json!(min), json!(max))
        );
    }
    assert_eq!(fridge["name"], "Fridge target temperature");
    let state = values(&model, &status);
    assert_eq!(
        state["fridge_temperature_in_units_target_temperature_c/state"],
        7
    );
    assert_eq!(
        state["freezer_temperature_in_units_target_temperature_c/state"],
        -16
    );
    let body = model
        .command(
            "freezer_temperature_in_units_target_temperature_c",
            "value",
            "-18",
            &status,
        )
        .expect("set");
    assert_eq!(
        body,
        json!({"temperatureInUnits": {"locationName": "FREEZER", "targetTemperatureC": -18}})
    );
}

#[test]
fn dehumidifier_is_a_humidifier_entity() {
    let (model, status) = fixture("dehumidifier");
    let payload = model.discovery_payload(&ctx());
    let humidifier = component(&payload, "humidifier");
    assert_eq!(humidifier["dev_cla"], "dehumidifier");
    assert_eq!(
        (humidifier["min_hum"].clone(), humidifier["max_hum"].clone()),
        (json!(30), json!(70))
    );
    let state = values(&model, &status);
    assert_eq!(state["humidifier/state"], "ON");
    assert_eq!(state["humidifier/target_humidity"], 55);
    // The current humidity is its sensor's value; the humidifier reads that topic.
    assert_eq!(state["humidity_current_humidity/state"], 80);
    assert_eq!(state.get("humidifier/current_humidity"), None);
    assert!(
        humidifier["current_humidity_topic"]
            .as_str()
            .is_some_and(|t| t.ends_with("/humidity_current_humidity/state")),
        "{humidifier}"
    );
    assert_eq!(state["humidifier/mode"], "Smart humidity");
    let target = model
        .command("humidifier", "target_humidity", "45", &status)
        .expect("target");
    assert_eq!(target, json!({"humidity": {"targetHumidity": 45}}));
    assert!(
        model
            .command("humidifier", "target_humidity", "47", &status)
            .is_err(),
        "off the 5 % step"
    );
    let mode = model
        .command("humidifier", "mode", "Clothes dry", &status)
        .expect("mode");
    assert_eq!(
        mode,
        json!({"dehumidifierJobMode": {"currentJobMode": "CLOTHES_DRY"}})
    );
}

#[test]
fn hood_fan_speed_travels_as_its_own_number() {
    let (model, status) = fixture("hood");
    let state = values(&model, &status);
    assert_eq!(
        (state["fan/state"].clone(), state["fan/percentage"].clone()),
        (json!("ON"), json!(1))
    );
    let faster = model
        .command("fan", "percentage", "3", &status)
        .expect("speed");
    assert_eq!(faster["ventilation"], json!({"fanSpeed": 3}));
    let off = model.command("fan", "state", "OFF", &status).expect("off");
    assert_eq!(off["ventilation"], json!({"fanSpeed": 0}));
}

#[test]
fn washtower_halves_are_addressed_by_sub_device() {
    let (model, status) = fixture("lg-developer_washtower");
    let payload = all_components(&model);
    assert_eq!(
        component(&payload, "dryer_run_state_current_state")["name"],
        "Current status"
    );
    assert_eq!(
        component(&payload, "washer_remaining_time")["name"],
        "Remaining time"
    );
    let start = model
        .command(
            "dryer_operation_dryer_operation_mode_start",
            "press",
            "PRESS",
            &status,
        )
        .expect("start");
    assert_eq!(
        start,
        json!({"dryer": {"operation": {"dryerOperationMode": "START"}}})
    );
    let state = values(&model, &status);
    assert_eq!(state["washer_error/state"], "No error");
}

#[test]
fn switches_selects_and_numbers_map_values_both_ways() {
    let (model, status) = fixture("air_conditioner");
    let state = values(&model, &status);
    assert_eq!(state["power_save_power_save_enabled/state"], "OFF");
    assert_eq!(
        state["air_quality_sensor_monitoring_enabled/state"],
        "On working"
    );
    let on = model
        .command("power_save_power_save_enabled", "state", "ON", &status)
        .expect("switch");
    assert_eq!(on, json!({"powerSave": {"powerSaveEnabled": true}}));
    let always = model
        .command(
            "air_quality_sensor_monitoring_enabled",
            "option",
            "Always",
            &status,
        )
        .expect("select");
    assert_eq!(
        always,
        json!({"airQualitySensor": {"monitoringEnabled": "ALWAYS"}})
    );
    // The option as earlier versions offered it (LG's value, lower case) is still understood,
    // so automations written before labels keep working.
    let old_style = model
        .command(
            "air_quality_sensor_monitoring_enabled",
            "option",
            "always",
            &status,
        )
        .expect("old-style option");
    assert_eq!(old_style, always);
    assert!(matches!(
        model.command(
            "air_quality_sensor_monitoring_enabled",
            "option",
            "sometimes",
            &status
        ),
        Err(thinq_addon::thinq::profile::CommandError::NotInEnum { .. })
    ));
    assert!(
        model
            .command("power_save_power_save_enabled", "state", "maybe", &status)
            .is_err()
    );

    // The delayed start is one timer in minutes; this washer lets us write whole hours only.
    let (washer, washer_status) = fixture("washer");
    let delay = washer
        .command(
            "timer_relative_hour_to_start",
            "value",
            "180",
            &washer_status,
        )
        .expect("number");
    assert_eq!(
        delay,
        json!({"location": {"locationName": "MAIN"}, "timer": {"relativeHourToStart": 3}})
    );
    for refused in ["1500", "90"] {
        assert!(
            washer
                .command(
                    "timer_relative_hour_to_start",
                    "value",
                    refused,
                    &washer_status
                )
                .is_err(),
            "{refused} minutes"
        );
    }
    assert!(
        washer
            .command("run_state_current_state", "value", "1", &washer_status)
            .is_err(),
        "sensors take no commands"
    );
}

#[test]
fn kimchi_compartments_show_numbers_and_names() {
    let (model, status) = fixture("kimchi_refrigerator");
    let state = values(&model, &status);
    assert_eq!(state["top_temperature_target_temperature/state"], 6);
    assert_eq!(
        state["middle_temperature_target_temperature/state"], "Kimchi",
        "a listed word shows as its label, not lower-cased raw"
    );
}

#[test]
fn the_entity_table_has_a_row_per_entity() {
    let (model, status) = fixture("air_conditioner");
    let rows = model.describe(&status);
    assert_eq!(rows.len(), model.entities.len());
    let climate = rows
        .iter()
        .find(|r| r.platform == "climate")
        .expect("climate row");
    assert_eq!(climate.state, "cool, target 19°C, current 25°C, fan medium");
    let pm = rows.iter().find(|r| r.name == "PM2.5").expect("PM2.5 row");
    assert_eq!(pm.state, "24 µg/m³");
}

#[test]
fn values_no_entity_shows_by_itself_are_attributes_of_the_one_they_qualify() {
    let attributes = |folder: &str, key: &str| {
        let (model, status) = fixture(folder);
        let payload = model.discovery_payload(&ctx());
        assert!(
            component(&payload, key)["json_attr_t"]
                .as_str()
                .is_some_and(|t| t.ends_with(&format!("/{key}/attributes"))),
            "{folder}: {key} names no attributes topic"
        );
        values(&model, &status)[format!("{key}/attributes")].clone()
    };
    // A plug's unit strings qualify the numbers they are the unit of.
    let plug = attributes("lg-developer_plug", "electricity_power");
    assert_eq!(plug["power_unit"], "W");
    // The °F twin of the compartment's setting is not repeated (the number shows the value,
    // Home Assistant converts it); the older `temperature` resource the profile does not
    // list, with a value of its own, is shown by place.
    let fridge = attributes(
        "lg-developer_refrigerator",
        "fridge_temperature_in_units_target_temperature_c",
    );
    assert_eq!(fridge.get("target_temperature_f"), None, "{fridge}");
    assert_eq!(fridge["temperature_target_temperature_fridge"], 8);
    // The example oven reports a LOWER cavity its profile lacks: shown, labelled, by place.
    let oven = attributes("lg-developer_oven", "run_state_current_state");
    assert_eq!(oven["run_state_current_state_lower"], "Preheating");
    assert_eq!(oven["timer_remain_minute_lower"], 2);
    // A job mode off the profile's list cannot be a climate mode; it is still readable.
    let ac = attributes("lg-developer_air_conditioner", "climate");
    assert_eq!(ac["air_con_job_mode_current_job_mode"], "Auto");
    assert_eq!(ac["timer_absolute_start_timer"], "Unset");
}

#[test]
fn diagnostics_noise_is_a_disabled_diagnostic_on_every_fixture_device() {
    let noise = ["remote_control_enabled", "monitoring_enabled"];
    let mut checked = 0;
    for (name, device, profile, _) in all_devices() {
        // Every Home Assistant device of the appliance (a WashTower's units), removal markers
        // left out: they stand for entities that moved to a unit's device.
        for payload in model(&device, &profile).discovery_payloads(&ctx()) {
            for (key, component) in payload.payload["cmps"].as_object().expect("cmps") {
                if !noise.iter().any(|n| key.ends_with(n))
                    || thinq_addon::hass::discovery::is_removal_marker(component)
                {
                    continue;
                }
                checked += 1;
                assert!(
                    component["ent_cat"].is_string(),
                    "{name}: {key} has no entity category"
                );
                assert_eq!(component["en"], false, "{name}: {key} enabled by default");
            }
        }
    }
    assert!(checked >= 15, "only {checked} noise entities found");
}
