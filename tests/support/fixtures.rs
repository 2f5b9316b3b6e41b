//! The 70 real fixture devices (HA's 11 folders with device.json, LG's 59 developer examples
//! with a made-up device entry), for the test binaries that run over all of them.
#![allow(dead_code)] // each test binary uses a different part of this

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use thinq_addon::hass::discovery::is_removal_marker;
use thinq_addon::hass::topics::Topics;
use thinq_addon::hass::{DeviceModel, DiscoveryContext};
use thinq_addon::thinq::{DeviceInfo, DeviceSummary};

/// The discovery context of a default installation (`homeassistant/`, `thinq/`), as a
/// build of version `test`.
pub fn ctx() -> DiscoveryContext {
    DiscoveryContext {
        topics: Topics::new("homeassistant", "thinq"),
        sw_version: "test".to_owned(),
    }
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fixture folders in `dir` that hold a profile.json, sorted.
pub fn folders(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixture dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("profile.json").is_file())
        .collect();
    out.sort();
    out
}

/// Every fixture device: (name, device, raw profile, status).
pub fn devices() -> Vec<(String, DeviceSummary, Value, Value)> {
    let folder = |dir: &PathBuf| dir.file_name().unwrap().to_string_lossy().into_owned();
    let lg = folders(&fixtures().join("lg-developer"));
    folders(&fixtures())
        .iter()
        .map(folder)
        .chain(lg.iter().map(|dir| format!("lg-developer_{}", folder(dir))))
        .map(|name| {
            let (device, profile, status) = device(&name);
            (name, device, profile, status)
        })
        .collect()
}

/// One fixture device by the name [`devices`] gives it (a Home Assistant folder, or
/// `lg-developer_<folder>` for [`lg_example`]): (device, raw profile, status).
pub fn device(name: &str) -> (DeviceSummary, Value, Value) {
    if let Some(folder) = name.strip_prefix("lg-developer_") {
        return lg_example(folder);
    }
    let dir = fixtures().join(name);
    let device = serde_json::from_value(read_json(&dir.join("device.json")))
        .unwrap_or_else(|e| panic!("{name}: device.json: {e}"));
    (
        device,
        read_json(&dir.join("profile.json")),
        read_json(&dir.join("status.json")),
    )
}

/// One of LG's developer-site examples (`tests/fixtures/lg-developer/<folder>`): a made-up
/// device entry (id `LGDEV-<FOLDER>`, its device type), its profile and its status.
pub fn lg_example(folder: &str) -> (DeviceSummary, Value, Value) {
    let dir = fixtures().join("lg-developer").join(folder);
    let device_type = match folder {
        "main_washcombo" => "DEVICE_WASHCOMBO_MAIN".to_owned(),
        "mini_washcombo" => "DEVICE_WASHCOMBO_MINI".to_owned(),
        other => format!("DEVICE_{}", other.to_ascii_uppercase()),
    };
    let device = DeviceSummary {
        device_id: format!("LGDEV-{}", folder.replace('_', "-").to_ascii_uppercase()),
        device_info: DeviceInfo {
            device_type,
            model_name: "EXAMPLE".to_owned(),
            alias: folder.to_owned(),
            reportable: true,
            group_id: None,
        },
    };
    (
        device,
        read_json(&dir.join("profile.json")),
        read_json(&dir.join("status.json")),
    )
}

/// Every writable attribute of a raw profile, any type: `resource.attribute` and its spec,
/// from the profile's `property` (one object, or one per location) and from a WashTower's
/// `washer` and `dryer` profiles.
pub fn writable_attributes(profile: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for sub in ["washer", "dryer"] {
        if let Some(sub_profile) = profile.get(sub) {
            out.extend(writable_attributes(sub_profile));
        }
    }
    let properties: Vec<&Value> = match profile.get("property") {
        Some(Value::Array(locations)) => locations.iter().collect(),
        Some(property) => vec![property],
        None => Vec::new(),
    };
    for (resource, body) in properties
        .into_iter()
        .filter_map(Value::as_object)
        .flatten()
    {
        let entries: Vec<&Value> = match body {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for (attribute, spec) in entries.iter().filter_map(|e| e.as_object()).flatten() {
            let is_writable = spec["mode"]
                .as_array()
                .is_some_and(|m| m.contains(&"w".into()));
            if is_writable {
                out.push((format!("{resource}.{attribute}"), spec.clone()));
            }
        }
    }
    out
}

/// The `resource.attribute` writes of a control body with their values (location, unit and
/// sub-device wrappers looked through). LG's SDK writes a wind strength as
/// `windStrengthDetail` when the profile has it (thinq-api.md §4.5): that write stands for
/// both attributes, and is listed as both.
pub fn body_writes(body: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let Some(map) = body.as_object() else {
        return out;
    };
    for (key, value) in map {
        let entries: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for inner in entries.into_iter().filter_map(Value::as_object) {
            if inner.values().all(|v| !v.is_object()) {
                for (attribute, v) in inner {
                    if attribute == "windStrengthDetail" {
                        out.push((format!("{key}.windStrength"), v.clone()));
                    }
                    out.push((format!("{key}.{attribute}"), v.clone()));
                }
            } else {
                out.extend(body_writes(value));
            }
        }
    }
    out
}

/// `status` with every appliance switched off (`…OperationMode: POWER_ON` → `POWER_OFF`), so
/// the commands that switch on as they set a mode are tried too.
pub fn switched_off(status: &Value) -> Value {
    match status {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let off = k.ends_with("OperationMode") && v == "POWER_ON";
                    let v = if off {
                        "POWER_OFF".into()
                    } else {
                        switched_off(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(switched_off).collect()),
        other => other.clone(),
    }
}

/// `(entity, feature)` of a command topic `thinq/<device>/<entity>/<feature>/set`.
pub fn command_target<'a>(topic: &'a str, device_id: &str) -> Option<(&'a str, &'a str)> {
    topic
        .strip_prefix(&format!("thinq/{device_id}/"))
        .and_then(|r| r.strip_suffix("/set"))
        .and_then(|r| r.split_once('/'))
}

/// The components of every discovery payload of a device (a WashTower has three), as one
/// payload-shaped object; removal markers left out.
pub fn all_components(model: &DeviceModel, ctx: &DiscoveryContext) -> Value {
    let mut cmps = serde_json::Map::new();
    for part in model.discovery_payloads(ctx) {
        for (key, component) in part.payload["cmps"].as_object().expect("cmps") {
            if !is_removal_marker(component) {
                cmps.insert(key.clone(), component.clone());
            }
        }
    }
    json!({ "cmps": cmps })
}

/// The values a device's state shows, keyed `<entity>/<feature>` (the tail of their state
/// topics), as one object.
pub fn shown(model: &DeviceModel, status: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for (entity, feature, value) in model.state_values(status) {
        out.insert(format!("{entity}/{feature}"), value);
    }
    Value::Object(out)
}

/// Asserts that `actual` (a discovery component, or what [`shown`] gives) holds each key of
/// `expected` with its value; a key it lacks fails too. The message names the key.
#[track_caller]
pub fn assert_holds(actual: &Value, expected: &Value) {
    let expected = expected.as_object().expect("the expected keys: an object");
    for (key, value) in expected {
        assert_eq!(actual.get(key), Some(value), "{key}");
    }
}

/// Asserts what each Home Assistant command of `table` comes to: rows `[<entity>/<feature>,
/// payload, outcome]`, the outcome the control body `send` returns for it, or null where
/// `send` must refuse it. A failure names `what` and the row.
#[track_caller]
pub fn assert_commands<E: std::fmt::Display>(
    what: &str,
    table: &Value,
    mut send: impl FnMut(&str, &str, &str) -> Result<Value, E>,
) {
    for row in table.as_array().expect("a list of commands") {
        let row_parts = row.as_array().map(Vec::as_slice);
        let Some([command, payload, outcome]) = row_parts else {
            panic!("{what}: {row} is not [<entity>/<feature>, payload, outcome]");
        };
        let target = command.as_str().and_then(|c| c.split_once('/'));
        let (Some((entity, feature)), Some(payload)) = (target, payload.as_str()) else {
            panic!("{what}: {row} is not [<entity>/<feature>, payload, outcome]");
        };
        let case = format!("{what}: {entity}/{feature} {payload:?}");
        match (send(entity, feature, payload), outcome) {
            (Err(_), Value::Null) => {}
            (Err(e), _) => panic!("{case}: {e}"),
            (Ok(body), _) => assert_eq!(&body, outcome, "{case}"),
        }
    }
}

/// Fails unless `found` is empty, listing it one a line under `what`: for the tests that try
/// every fixture and report all that is wrong at once.
#[track_caller]
pub fn assert_none(what: &str, found: &[String]) {
    assert!(
        found.is_empty(),
        "{what} ({}):\n{}",
        found.len(),
        found.join("\n")
    );
}
