//! Discovery payloads of every fixture device (Home Assistant's 11 and LG's 59 examples):
//! compared with reviewed golden files, and
//! checked against Home Assistant's schema rules (`reference/ha-addon.md` §2) for every
//! fixture profile, including LG's 59 developer-site examples.
//!
//! `UPDATE_GOLDEN=1 cargo test --test discovery_golden` rewrites the golden files; review the
//! diff before committing it.

#[path = "support/fixtures.rs"]
mod fixtures;

use fixtures::{all_components, assert_none};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use thinq_addon::hass::discovery::{check_device_payload, is_removal_marker, state_topics};
use thinq_addon::hass::topics::Topics;
use thinq_addon::hass::{DeviceModel, DiscoveryContext};
use thinq_addon::thinq::DeviceSummary;

/// The discovery context the golden files were written with (version `0.0.0-test`).
fn ctx() -> DiscoveryContext {
    DiscoveryContext {
        topics: Topics::new("homeassistant", "thinq"),
        sw_version: "0.0.0-test".to_owned(),
    }
}

/// Every fixture device: (golden name, device, raw profile, status). LG's examples carry the
/// made-up model name and alias the golden files were written with, `<FOLDER>_EXAMPLE` and
/// `Example <folder>` (what `SimDevice::every_fixture` gives the examples it has no entry for).
fn all_devices() -> Vec<(String, DeviceSummary, Value, Value)> {
    let mut devices = fixtures::devices();
    for (name, device, ..) in &mut devices {
        if let Some(folder) = name.strip_prefix("lg-developer_") {
            device.device_info.model_name = format!("{}_EXAMPLE", folder.to_ascii_uppercase());
            device.device_info.alias = format!("Example {}", folder.replace('_', " "));
        }
    }
    devices
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
        let all = all_components(&model, &ctx());
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
    assert_none("schema violations", &failures);
}

#[test]
fn every_state_topic_has_its_plain_value_and_no_template() {
    let mut failures = Vec::new();
    for (name, device, profile, status) in all_devices() {
        let model = model(&device, &profile);
        let payload = all_components(&model, &ctx());
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
    assert_none("state topics read and published", &failures);
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

#[test]
fn diagnostics_noise_is_a_disabled_diagnostic_on_every_fixture_device() {
    let noise = ["remote_control_enabled", "monitoring_enabled"];
    let mut checked = 0;
    for (name, device, profile, _) in all_devices() {
        // Every Home Assistant device of the appliance (a WashTower's units), removal markers
        // left out: they stand for entities that moved to a unit's device.
        for payload in model(&device, &profile).discovery_payloads(&ctx()) {
            for (key, component) in payload.payload["cmps"].as_object().expect("cmps") {
                if !noise.iter().any(|n| key.ends_with(n)) || is_removal_marker(component) {
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
