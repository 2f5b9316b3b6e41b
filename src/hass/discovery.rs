//! Device-based discovery payloads (`<prefix>/device/<object id>/config`), and the schema rules
//! Home Assistant applies to them, checked here so that tests (and the bridge, if it wants) can
//! refuse a payload Home Assistant would drop.
//!
//! One payload per Home Assistant device: `dev` (the device registry entry, attached to the
//! bridge device via `via_device`), `o` (origin), the shared availability (bridge and device,
//! both must be online) and `cmps`, one component per entity.
//!
//! An appliance made of sub-devices (LG's pattern D: the WashTower's `washer` and `dryer`) is
//! one device per unit, each attached to the appliance with `via_device` (see
//! [`device_payloads`]): a user finds "WashTower Washer" and "WashTower Dryer", each with its
//! own state and controls, under the tower.

use super::DiscoveryContext;
use super::entities::Entity;
use super::entities::component::Component;
use super::topics::{BRIDGE_ID, Topics};
use crate::labels::Labels;
use crate::thinq::DeviceSummary;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

pub use super::removals::{components, removed_components, with_removals};

/// `dev.mf` of every appliance.
pub const MANUFACTURER: &str = "LG Electronics";
/// `o.name`: who published the payload (Home Assistant logs it).
pub const ORIGIN_NAME: &str = "thinq-addon";

/// The device identifier (`dev.ids[0]`) of a ThinQ appliance.
pub fn device_identifier(device_id: &str) -> String {
    format!("thinq_{}", Topics::object_id(device_id))
}

/// The id a sub-device (`washer` of a WashTower) is known by: the appliance's device id and
/// the unit's name, so it is stable for as long as LG's device id is. Topics and `dev.ids` are
/// made from it as from a device id.
pub fn sub_device_id(device_id: &str, sub_device: &str) -> String {
    format!("{device_id}_{}", super::entities::common::snake(sub_device))
}

/// The `dev` block. The name is the alias from the ThinQ app (what users call the appliance),
/// falling back to the device type, in `labels`' language, when the alias is empty.
pub fn device_block(device: &DeviceSummary, labels: &Labels) -> Value {
    let mut dev = Map::new();
    dev.insert("ids".into(), json!([device_identifier(&device.device_id)]));
    dev.insert("name".into(), json!(device_name(device, labels)));
    dev.insert("mf".into(), json!(MANUFACTURER));
    if !device.device_info.model_name.is_empty() {
        dev.insert("mdl".into(), json!(device.device_info.model_name));
    }
    dev.insert("via_device".into(), json!(BRIDGE_ID));
    Value::Object(dev)
}

/// What the appliance is called: its alias, else its device type made readable (in `labels`'
/// language).
fn device_name(device: &DeviceSummary, labels: &Labels) -> String {
    let info = &device.device_info;
    if info.alias.trim().is_empty() {
        labels.name(&super::entities::common::humanize(
            info.device_type.trim_start_matches("DEVICE_"),
        ))
    } else {
        info.alias.clone()
    }
}

/// The `dev` block of a sub-device: "<appliance name> <unit name>" (the unit name already in
/// the add-on's language), the appliance's model, attached to `parent` (the appliance's
/// identifier, or the bridge when the appliance has no device of its own in Home Assistant).
fn sub_device_block(
    device: &DeviceSummary,
    sub_device: &str,
    unit_name: &str,
    parent: &str,
    labels: &Labels,
) -> Value {
    let mut dev = Map::new();
    dev.insert(
        "ids".into(),
        json!([device_identifier(&sub_device_id(
            &device.device_id,
            sub_device
        ))]),
    );
    dev.insert(
        "name".into(),
        json!(format!("{} {unit_name}", device_name(device, labels))),
    );
    dev.insert("mf".into(), json!(MANUFACTURER));
    if !device.device_info.model_name.is_empty() {
        dev.insert("mdl".into(), json!(device.device_info.model_name));
    }
    dev.insert("via_device".into(), json!(parent));
    Value::Object(dev)
}

/// The `o` block.
pub fn origin_block(ctx: &DiscoveryContext) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), json!(ORIGIN_NAME));
    o.insert("sw".into(), json!(ctx.sw_version));
    let url = env!("CARGO_PKG_REPOSITORY");
    if !url.is_empty() {
        o.insert("url".into(), json!(url));
    }
    Value::Object(o)
}

/// Availability shared by every component: the bridge must be online (we are connected to
/// LG) and the device must be reachable in the ThinQ cloud.
pub fn availability(device_id: &str, ctx: &DiscoveryContext) -> Value {
    json!([
        { "t": ctx.topics.bridge_availability() },
        { "t": ctx.topics.device_availability(device_id) },
    ])
}

/// The whole device payload.
pub fn device_payload(
    device: &DeviceSummary,
    entities: &[Box<dyn Entity>],
    ctx: &DiscoveryContext,
    labels: &Labels,
) -> Value {
    let all: Vec<&dyn Entity> = entities.iter().map(|e| e.as_ref()).collect();
    payload(device_block(device, labels), &device.device_id, &all, ctx)
}

/// One Home Assistant device's discovery message: the device id its topic is made from
/// ([`Topics::device_discovery`]) and the payload.
#[derive(Debug, Clone, PartialEq)]
pub struct DevicePayload {
    pub id: String,
    pub payload: Value,
}

/// A unit of an appliance that is a device of its own in Home Assistant.
#[derive(Debug, Clone, PartialEq)]
pub struct SubDevice {
    /// LG's name (`washer`): the prefix of its entities' keys, part of its device id.
    pub name: String,
    /// What the user reads after the appliance name ("Washer"), in the add-on's language.
    pub label: String,
}

/// The sub-device an entity key belongs to. Keys are made from the profile as
/// `[sub-device_][location_]resource_attribute` (see `entities::build`), so the prefix is
/// exactly the unit whose properties the entity shows.
pub fn sub_device_of<'a>(key: &str, sub_devices: &'a [SubDevice]) -> Option<&'a SubDevice> {
    let snake = |s: &SubDevice| super::entities::common::snake(&s.name);
    sub_devices.iter().find(|s| {
        key.strip_prefix(&snake(s))
            .is_some_and(|rest| rest.starts_with('_'))
    })
}

/// Every discovery message of an appliance: the appliance first, then one per sub-device.
///
/// Entity keys, unique ids and state / command topics stay those of the appliance (users'
/// history and automations keep working); only the device an entity belongs to changes.
/// The payloads hold only what the bridge shows now, never a removal marker: what an older
/// payload on the same topic had and this one lacks is removed by [`with_removals`], sent
/// once by the registry when it knows of such a component (`bridge::registry`).
pub fn device_payloads(
    device: &DeviceSummary,
    entities: &[Box<dyn Entity>],
    sub_devices: &[SubDevice],
    ctx: &DiscoveryContext,
    labels: &Labels,
) -> Vec<DevicePayload> {
    let device_id = device.device_id.as_str();
    let own: Vec<&dyn Entity> = entities
        .iter()
        .filter(|e| sub_device_of(e.key(), sub_devices).is_none())
        .map(|e| e.as_ref())
        .collect();
    let moved: Vec<&dyn Entity> = entities
        .iter()
        .filter(|e| sub_device_of(e.key(), sub_devices).is_some())
        .map(|e| e.as_ref())
        .collect();
    // A sub-device hangs under the appliance only when the appliance is a device in Home
    // Assistant (it has an entity); otherwise HA would make a nameless stub for it.
    let parent = if own.is_empty() {
        BRIDGE_ID.to_owned()
    } else {
        device_identifier(device_id)
    };
    let mut out = vec![DevicePayload {
        id: device_id.to_owned(),
        payload: payload(device_block(device, labels), device_id, &own, ctx),
    }];
    for sub in sub_devices {
        let members: Vec<&dyn Entity> = moved
            .iter()
            .copied()
            .filter(|e| sub_device_of(e.key(), sub_devices) == Some(sub))
            .collect();
        if members.is_empty() {
            continue;
        }
        out.push(DevicePayload {
            id: sub_device_id(device_id, &sub.name),
            payload: payload(
                sub_device_block(device, &sub.name, &sub.label, &parent, labels),
                device_id,
                &members,
                ctx,
            ),
        });
    }
    out
}

/// A payload with `entities` as components (topics of the appliance `device_id`).
fn payload(dev: Value, device_id: &str, entities: &[&dyn Entity], ctx: &DiscoveryContext) -> Value {
    let mut cmps = Map::new();
    for entity in entities {
        let mut component = Component::new(entity.base(), entity.platform(), device_id, ctx);
        entity.component(&mut component);
        cmps.insert(entity.key().to_owned(), component.into_value());
    }
    json!({
        "dev": dev,
        "o": origin_block(ctx),
        "avty": availability(device_id, ctx),
        "avty_mode": "all",
        "cmps": cmps,
    })
}

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
