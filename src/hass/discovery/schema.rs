//! The rules Home Assistant's MQTT discovery holds a device payload to (`reference/ha-addon.md`
//! §2), checked on our side: a payload that breaks one is dropped by Home Assistant with no
//! more than a log line, so tests refuse it first. Also the state topics a payload's
//! components read, which the state messages must provide.
//!
//! Apart from [`super`], which builds the payloads: this reads any payload, ours or not.

use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// A component reduced to its platform: Home Assistant removes the entity it stood for.
pub fn is_removal_marker(component: &Value) -> bool {
    component
        .as_object()
        .is_some_and(|c| c.len() == 1 && (c.contains_key("p") || c.contains_key("platform")))
}

/// Platforms Home Assistant 2025.4+ accepts in discovery.
const PLATFORMS: &[&str] = &[
    "alarm_control_panel",
    "binary_sensor",
    "button",
    "camera",
    "climate",
    "cover",
    "device_tracker",
    "event",
    "fan",
    "humidifier",
    "image",
    "lawn_mower",
    "light",
    "lock",
    "notify",
    "number",
    "scene",
    "siren",
    "select",
    "sensor",
    "switch",
    "tag",
    "text",
    "update",
    "vacuum",
    "valve",
    "water_heater",
];

/// Units Home Assistant accepts for the device classes we use (others are not checked).
fn allowed_units(device_class: &str) -> Option<&'static [&'static str]> {
    Some(match device_class {
        "temperature" => &["°C", "°F", "K"],
        "humidity" | "battery" | "moisture" => &["%"],
        "pm1" | "pm25" | "pm10" => &["µg/m³"],
        "duration" => &["d", "h", "min", "s", "ms", "µs"],
        "carbon_dioxide" => &["ppm"],
        "power" => &["W", "kW", "mW", "MW", "GW", "TW", "BTU/h"],
        "energy" => &[
            "Wh", "kWh", "MWh", "mWh", "GWh", "TWh", "MJ", "GJ", "cal", "kcal", "Mcal", "Gcal",
        ],
        "voltage" => &["V", "mV", "µV", "kV", "MV"],
        "current" => &["A", "mA"],
        _ => return None,
    })
}

/// Is `s` a valid discovery id (`[a-zA-Z0-9_-]+`)?
pub fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Reads a component option by its abbreviation or its full name.
fn opt<'a>(c: &'a Map<String, Value>, abbrev: &str, full: &str) -> Option<&'a Value> {
    c.get(abbrev).or_else(|| c.get(full))
}

/// Checks a device payload against the rules of `reference/ha-addon.md` §2: required root
/// keys, ids, per-platform required keys, enum options, units for device classes, topics
/// without wildcards. Returns one line per violation (empty when the payload is fine).
pub fn check_device_payload(payload: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let root = match payload.as_object() {
        Some(root) => root,
        None => return vec!["payload is not an object".to_owned()],
    };
    let dev = opt(root, "dev", "device").and_then(Value::as_object);
    match dev {
        None => errors.push("missing dev".to_owned()),
        Some(dev) => {
            let ids = opt(dev, "ids", "identifiers").and_then(Value::as_array);
            if ids.is_none_or(|ids| {
                ids.is_empty() || ids.iter().any(|i| !i.as_str().is_some_and(is_valid_id))
            }) {
                errors.push("dev.ids must be a non-empty list of [a-zA-Z0-9_-] ids".to_owned());
            }
            if dev
                .get("name")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                errors.push("dev.name missing".to_owned());
            }
        }
    }
    let device_name = dev
        .and_then(|d| d.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_lowercase();
    if opt(root, "o", "origin")
        .and_then(|o| o.get("name"))
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        errors.push("o.name missing".to_owned());
    }
    check_topics(&Value::Object(root.clone()), "", &mut errors);
    let Some(cmps) = opt(root, "cmps", "components").and_then(Value::as_object) else {
        errors.push("missing cmps".to_owned());
        return errors;
    };
    if cmps.values().all(is_removal_marker) {
        errors.push("cmps is empty".to_owned());
    }
    let mut unique_ids = BTreeSet::new();
    for (key, component) in cmps {
        if is_removal_marker(component) {
            continue;
        }
        let mut err = |msg: String| errors.push(format!("{key}: {msg}"));
        if !is_valid_id(key) {
            err("component key is not [a-zA-Z0-9_-]".to_owned());
        }
        let Some(c) = component.as_object() else {
            err("not an object".to_owned());
            continue;
        };
        let platform = opt(c, "p", "platform")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !PLATFORMS.contains(&platform) {
            err(format!("unknown platform {platform:?}"));
        }
        match opt(c, "uniq_id", "unique_id").and_then(Value::as_str) {
            Some(id) if is_valid_id(id) => {
                if !unique_ids.insert(id.to_owned()) {
                    err(format!("duplicate unique_id {id}"));
                }
            }
            _ => err("missing or invalid uniq_id".to_owned()),
        }
        if let Some(name) = c.get("name").and_then(Value::as_str)
            && !device_name.is_empty()
            && name.to_lowercase().contains(&device_name)
        {
            err(format!("name {name:?} repeats the device name"));
        }
        let has = |abbrev: &str, full: &str| opt(c, abbrev, full).is_some();
        let required: &[(&str, &str)] = match platform {
            "sensor" | "binary_sensor" => &[("stat_t", "state_topic")],
            "switch" | "button" | "number" | "fan" | "text" => &[("cmd_t", "command_topic")],
            "select" => &[("cmd_t", "command_topic"), ("ops", "options")],
            "event" => &[("stat_t", "state_topic"), ("evt_typ", "event_types")],
            "humidifier" => &[
                ("cmd_t", "command_topic"),
                ("hum_cmd_t", "target_humidity_command_topic"),
            ],
            _ => &[],
        };
        for (abbrev, full) in required {
            if !has(abbrev, full) {
                err(format!("{platform} requires {full}"));
            }
        }
        for (cmd, list) in [(
            ("pr_mode_cmd_t", "preset_mode_command_topic"),
            ("pr_modes", "preset_modes"),
        )] {
            if has(cmd.0, cmd.1) != has(list.0, list.1) {
                err(format!("{} and {} go together", cmd.1, list.1));
            }
        }
        if let Some(presets) = opt(c, "pr_modes", "preset_modes").and_then(Value::as_array)
            && presets.iter().any(|p| p == "none")
        {
            err("preset_modes must not contain none".to_owned());
        }
        if platform == "humidifier"
            && has("mode_cmd_t", "mode_command_topic") != has("modes", "modes")
        {
            err("humidifier mode_command_topic and modes go together".to_owned());
        }
        let device_class = opt(c, "dev_cla", "device_class").and_then(Value::as_str);
        let unit = opt(c, "unit_of_meas", "unit_of_measurement").and_then(Value::as_str);
        if platform == "sensor" {
            if has("ops", "options") && device_class != Some("enum") {
                err("options only with device_class enum".to_owned());
            }
            if device_class == Some("enum") {
                if !has("ops", "options") {
                    err("enum sensor needs options".to_owned());
                }
                if has("stat_cla", "state_class") || unit.is_some() {
                    err("enum sensor must have neither state_class nor unit".to_owned());
                }
            }
            if let Some(sc) = opt(c, "stat_cla", "state_class").and_then(Value::as_str)
                && ![
                    "measurement",
                    "measurement_angle",
                    "total",
                    "total_increasing",
                ]
                .contains(&sc)
            {
                err(format!("invalid state_class {sc}"));
            }
        }
        if let (Some(class), Some(unit)) = (device_class, unit)
            && let Some(allowed) = allowed_units(class)
            && !allowed.contains(&unit)
        {
            err(format!("unit {unit} is not valid for device_class {class}"));
        }
        if matches!(platform, "sensor" | "number")
            && device_class.and_then(allowed_units).is_some()
            && unit.is_none()
        {
            err(format!(
                "device_class {} needs a unit",
                device_class.unwrap_or("")
            ));
        }
        for list_key in [
            ("ops", "options"),
            ("modes", "modes"),
            ("fan_modes", "fan_modes"),
            ("evt_typ", "event_types"),
        ] {
            if let Some(list) = opt(c, list_key.0, list_key.1) {
                let ok = list
                    .as_array()
                    .is_some_and(|l| !l.is_empty() && l.iter().all(|v| v.is_string()));
                if !ok {
                    err(format!(
                        "{} must be a non-empty list of strings",
                        list_key.1
                    ));
                }
            }
        }
    }
    errors
}

/// No topic (any key ending in `_t` / `topic`, and availability `t`) may hold a wildcard.
fn check_topics(value: &Value, key: &str, errors: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                check_topics(v, k, errors);
            }
        }
        Value::Array(items) => {
            for item in items {
                check_topics(item, key, errors);
            }
        }
        Value::String(s)
            if (key == "t" || key.ends_with("_t") || key.ends_with("topic"))
                && (s.contains('+') || s.contains('#') || s.is_empty()) =>
        {
            errors.push(format!("topic {key} = {s:?} is empty or has a wildcard"));
        }
        _ => {}
    }
}

/// The state topics the payload's components read (every `…_t` / `…_topic` option that is not
/// a command, availability or event topic), to check that the state messages provide every one.
/// Attribute topics count (a light's `json_attr_t` is read like its state); `set_…` topics
/// (a cover's `set_pos_t`) are commands.
pub fn state_topics(payload: &Value) -> BTreeSet<String> {
    let mut topics = BTreeSet::new();
    let components = payload.get("cmps").and_then(Value::as_object);
    for component in components.into_iter().flat_map(|c| c.values()) {
        let Some(c) = component.as_object() else {
            continue;
        };
        if opt(c, "p", "platform").and_then(Value::as_str) == Some("event") {
            continue;
        }
        for (key, value) in c {
            let state = (key.ends_with("_t") || key.ends_with("_topic"))
                && !key.contains("cmd")
                && !key.contains("command")
                && !key.starts_with("avty")
                && !key.starts_with("availability")
                && !key.starts_with("set_");
            if let Some(topic) = value.as_str().filter(|_| state) {
                topics.insert(topic.to_owned());
            }
        }
    }
    topics
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn state_topics_are_found() {
        let payload = json!({"cmps": {
            "a": {"p": "climate", "mode_stat_t": "t/a/mode", "mode_cmd_t": "t/a/mode/set",
                  "current_humidity_topic": "t/a/current_humidity"},
            "e": {"p": "event", "stat_t": "t/e/event"},
            "s": {"p": "sensor", "stat_t": "t/s/state", "json_attr_t": "t/s/attributes"}
        }});
        let topics: Vec<String> = state_topics(&payload).into_iter().collect();
        assert_eq!(
            topics,
            [
                "t/a/current_humidity",
                "t/a/mode",
                "t/s/attributes",
                "t/s/state"
            ]
        );
        let cover = json!({"cmps": {"c": {"p": "cover", "pos_t": "t/c/position",
                                          "set_pos_t": "t/c/position/set"}}});
        let topics: Vec<String> = state_topics(&cover).into_iter().collect();
        assert_eq!(topics, ["t/c/position"]);
    }

    #[test]
    fn schema_check_catches_the_usual_mistakes() {
        let bad = json!({
            "dev": {"ids": ["thinq_x"], "name": "Washer"},
            "o": {"name": "thinq-addon"},
            "cmps": {
                "bad key": {"p": "sensor", "uniq_id": "u1", "stat_t": "a/+/b"},
                "sel": {"p": "select", "uniq_id": "u2", "cmd_t": "a/b"},
                "enum": {"p": "sensor", "uniq_id": "u3", "stat_t": "a", "dev_cla": "enum", "ops": ["a"], "stat_cla": "measurement"},
                "temp": {"p": "sensor", "uniq_id": "u4", "stat_t": "a", "dev_cla": "temperature", "unit_of_meas": "C"},
                "named": {"p": "sensor", "uniq_id": "u5", "stat_t": "a", "name": "Washer state"},
            }
        });
        let errors = check_device_payload(&bad).join("\n");
        for expected in [
            "bad key: component key",
            "wildcard",
            "sel: select requires options",
            "enum: enum sensor must have neither",
            "temp: unit C is not valid",
            "named: name \"Washer state\" repeats",
        ] {
            assert!(
                errors.contains(expected),
                "missing {expected:?} in\n{errors}"
            );
        }
        let good = json!({
            "dev": {"ids": ["thinq_x"], "name": "Washer"},
            "o": {"name": "thinq-addon"},
            "cmps": {"s": {"p": "sensor", "uniq_id": "thinq_x_s", "stat_t": "thinq/x/state"}}
        });
        assert!(check_device_payload(&good).is_empty());
    }
}
