//! Every writable property of every fixture device (Home Assistant's 11, LG's 59) can be written
//! from Home Assistant, and LG would accept what we send.
//!
//! For each device, the discovery payload is read as Home Assistant reads it: every command
//! topic of every component, with the payloads Home Assistant can send on it (the options it
//! offers, the on/off payloads, the ends and middle of a number's range, a climate's
//! temperatures, a light's brightness and colour, a cover's position, …). Each becomes a control
//! body through the bridge's own command path, and the simulated LG cloud's independent profile
//! check (`sim::check_control`) must accept it. Then every `resource.attribute` the profile
//! marks writable must have been written by at least one accepted body.

use serde_json::{Value, json};
use std::collections::BTreeSet;
use thinq_addon::hass::DeviceModel;
use thinq_addon::labels::Language;

#[path = "support/fixtures.rs"]
mod fixtures;
use fixtures::{assert_none, body_writes, command_target, devices, switched_off};

/// Attributes of LG's older resources whose newer twin has another name: the system boiler's
/// single-unit `temperature` targets are its room air targets in `roomTemperatureInUnits`.
const TWINS: &[(&str, &str)] = &[
    (
        "temperature.coolTargetTemperature@DEVICE_SYSTEM_BOILER",
        "roomTemperatureInUnits.airCoolTargetTemperature",
    ),
    (
        "temperature.heatTargetTemperature@DEVICE_SYSTEM_BOILER",
        "roomTemperatureInUnits.airHeatTargetTemperature",
    ),
];

/// Writable attributes no command can reach, and why. LG's air conditioner example lists a
/// heating target, but no job mode that heats (`COOL`, `AIR_DRY`, `AIR_CLEAN`): the bridge
/// writes it in `HEAT`, which this appliance can never be in.
const UNREACHABLE: &[(&str, &str)] = &[(
    "lg-developer_air_conditioner",
    "temperature.heatTargetTemperature",
)];

/// The value a `resource.attribute` stands for. LG offers some values twice: an older
/// resource beside its `…InUnits` form (`temperature`, `twoSetTemperature`), and `…TemperatureC` beside
/// `…TemperatureF`. Writing either spelling sets the value (it is one setting on the
/// appliance), so both count as one.
fn setting(path: &str, device_type: &str) -> String {
    let typed = format!("{path}@{device_type}");
    if let Some((_, same)) = TWINS.iter().find(|(twin, _)| *twin == typed) {
        return setting(same, device_type);
    }
    let (resource, attribute) = path.split_once('.').unwrap_or((path, ""));
    let resource = resource.strip_suffix("InUnits").unwrap_or(resource);
    let attribute = attribute
        .strip_suffix('C')
        .or_else(|| attribute.strip_suffix('F'))
        .filter(|a| a.ends_with("Temperature"))
        .unwrap_or(attribute);
    format!("{resource}.{attribute}")
}

/// Numbers Home Assistant may send for a range: both ends and a step-aligned middle.
fn range_values(min: f64, max: f64, step: f64) -> Vec<String> {
    let step = if step > 0.0 { step } else { 1.0 };
    let middle = min + ((max - min) / 2.0 / step).floor() * step;
    let show = |v: f64| {
        if v.fract() == 0.0 {
            format!("{}", v as i64)
        } else {
            format!("{v}")
        }
    };
    let mut out = vec![show(min), show(middle), show(max)];
    out.dedup();
    out
}

fn number(component: &Value, key: &str, default: f64) -> f64 {
    component[key].as_f64().unwrap_or(default)
}

/// The `(command topic, payload)` pairs Home Assistant can send for one discovery component.
fn commands(component: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |topic: &Value, payloads: Vec<String>| {
        if let Some(topic) = topic.as_str() {
            out.extend(payloads.into_iter().map(|p| (topic.to_owned(), p)));
        }
    };
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o.as_str().map(str::to_owned))
            .collect()
    };
    let payload = |key: &str, default: &str| -> String {
        component[key].as_str().unwrap_or(default).to_owned()
    };
    let c = component;
    match c["p"].as_str().unwrap_or_default() {
        "select" => add(&c["cmd_t"], strings(&c["ops"])),
        // Clock times (`HH:MM`, scheduled start / stop) and any other text.
        "text" => add(
            &c["cmd_t"],
            vec!["07:30".into(), "23:05".into(), "00:00".into()],
        ),
        "button" => add(&c["cmd_t"], vec![payload("pl_prs", "PRESS")]),
        "switch" | "fan" | "humidifier" => add(
            &c["cmd_t"],
            vec![payload("pl_on", "ON"), payload("pl_off", "OFF")],
        ),
        "number" => add(
            &c["cmd_t"],
            range_values(
                number(c, "min", 1.0),
                number(c, "max", 100.0),
                number(c, "step", 1.0),
            ),
        ),
        "lock" => add(
            &c["cmd_t"],
            vec![payload("pl_lock", "LOCK"), payload("pl_unlk", "UNLOCK")]
                .into_iter()
                .chain(c.get("pl_open").and_then(Value::as_str).map(str::to_owned))
                .collect(),
        ),
        "cover" => {
            let mut p = Vec::new();
            for (key, default) in [
                ("pl_open", "OPEN"),
                ("pl_cls", "CLOSE"),
                ("pl_stop", "STOP"),
            ] {
                if c.get(key) != Some(&Value::Null) {
                    p.push(payload(key, default));
                }
            }
            add(&c["cmd_t"], p);
        }
        // Lights use the JSON schema: one message with everything a turn-on sets.
        "light" => {
            let mut payloads = vec![json!({"state": "OFF"}), json!({"state": "ON"})];
            let scale = number(c, "bri_scl", 255.0);
            for b in range_values(1.0, scale, 1.0) {
                payloads
                    .push(json!({"state": "ON", "brightness": b.parse::<f64>().unwrap_or(1.0)}));
            }
            let modes = strings(&c["sup_clrm"]);
            if modes.iter().any(|m| m == "hs") {
                payloads.push(
                    json!({"state": "ON", "color": {"h": 240.0, "s": 50.0}, "brightness": 30}),
                );
                payloads.push(json!({"state": "ON", "color": {"h": 0.0, "s": 100.0}}));
            }
            if modes.iter().any(|m| m == "white") {
                payloads.push(json!({"state": "ON", "white": 50}));
            }
            if modes.iter().any(|m| m == "color_temp") {
                for k in range_values(number(c, "min_k", 2000.0), number(c, "max_k", 6535.0), 1.0) {
                    payloads.push(
                        json!({"state": "ON", "color_temp": k.parse::<f64>().unwrap_or(4000.0)}),
                    );
                }
            }
            for effect in strings(&c["fx_list"]) {
                payloads.push(json!({"state": "ON", "effect": effect}));
            }
            add(&c["cmd_t"], payloads.iter().map(Value::to_string).collect());
        }
        "siren" => add(
            &c["cmd_t"],
            vec![
                json!({"state": "ON"}).to_string(),
                json!({"state": "OFF"}).to_string(),
                json!({"state": "ON", "volume_level": 0.5, "duration": 30}).to_string(),
                json!({"state": "ON", "volume_level": 1.0}).to_string(),
            ],
        ),
        "vacuum" => {
            let offered = strings(&c["sup_feat"]);
            for (feature, key, default) in [
                ("start", "pl_strt", "start"),
                ("pause", "pl_paus", "pause"),
                ("stop", "pl_stop", "stop"),
                ("return_home", "pl_ret", "return_to_base"),
                ("clean_spot", "pl_cln_sp", "clean_spot"),
                ("locate", "pl_loc", "locate"),
            ] {
                if offered.iter().any(|f| f == feature) {
                    add(&c["cmd_t"], vec![payload(key, default)]);
                }
            }
            add(&c["set_fan_spd_t"], strings(&c["fanspd_lst"]));
        }
        _ => {}
    }
    // Composites (climate, water heater, fan, humidifier): every command topic they offer.
    add(&c["mode_cmd_t"], strings(&c["modes"]));
    add(&c["pr_mode_cmd_t"], strings(&c["pr_modes"]));
    add(&c["fan_mode_cmd_t"], strings(&c["fan_modes"]));
    add(&c["swing_mode_cmd_t"], strings(&c["swing_modes"]));
    add(&c["swing_h_mode_cmd_t"], strings(&c["swing_h_modes"]));
    add(&c["pow_cmd_t"], vec!["ON".into(), "OFF".into()]);
    let (min_temp, max_temp) = (number(c, "min_temp", 7.0), number(c, "max_temp", 35.0));
    let temp_step = number(c, "temp_step", number(c, "precision", 1.0));
    // A climate's limits are the widest over its modes; each mode's own target has narrower
    // ones. Every whole degree in between is tried, so each target gets values it takes.
    let degrees: Vec<String> = (min_temp.ceil() as i64..=max_temp.floor() as i64)
        .map(|d| d.to_string())
        .chain(range_values(min_temp, max_temp, temp_step))
        .collect();
    for key in ["temp_cmd_t", "temp_lo_cmd_t", "temp_hi_cmd_t"] {
        add(&c[key], degrees.clone());
    }
    // Sliders, whole steps: a cover's position and tilt, a fan's speed, a humidity target
    // (the topic, the option with its range's low end and with its high end, as defaults).
    for (topic, (low, low_default), (high, high_default)) in [
        ("set_pos_t", ("pos_clsd", 0.0), ("pos_open", 100.0)),
        ("tilt_cmd_t", ("tilt_min", 0.0), ("tilt_max", 100.0)),
        ("pct_cmd_t", ("spd_rng_min", 1.0), ("spd_rng_max", 100.0)),
        ("hum_cmd_t", ("min_hum", 0.0), ("max_hum", 100.0)),
    ] {
        let (low, high) = (number(c, low, low_default), number(c, high, high_default));
        add(&c[topic], range_values(low, high, 1.0));
    }
    if c["p"] == "humidifier" || c["p"] == "fan" {
        // `modes` above already covers a humidifier's modes; nothing more.
    }
    out
}

/// `status` with every attribute named `attribute` set to `value`.
fn with_value(status: &Value, attribute: &str, value: &str) -> Value {
    match status {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if k == attribute {
                        json!(value)
                    } else {
                        with_value(v, attribute, value)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| with_value(i, attribute, value))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Every `(attribute, value)` of the profile's `…Mode` enums. Which attribute a command
/// writes can depend on the mode the appliance is in (LG's cool/heat/auto targets, a boiler
/// kept at an air or a water temperature), so commands are tried in each of these modes.
fn modes(value: &Value, out: &mut BTreeSet<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key.ends_with("Mode") && v["type"] == "enum" {
                    for list in ["r", "w"] {
                        for mode in v["value"][list].as_array().into_iter().flatten() {
                            if let Some(mode) = mode.as_str() {
                                out.insert((key.clone(), mode.to_owned()));
                            }
                        }
                    }
                }
                modes(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| modes(i, out)),
        _ => {}
    }
}

#[test]
fn every_writable_property_of_every_fixture_is_written_by_a_body_lg_accepts() {
    let ctx = fixtures::ctx();
    let mut refused = Vec::new();
    let mut unwritten = Vec::new();
    let (mut tried, mut accepted) = (0, 0);
    for (name, device, profile, status) in devices() {
        let mut reached = BTreeSet::new();
        for language in Language::ALL {
            let model = DeviceModel::with_language(device.clone(), &profile, language)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            // A WashTower is several Home Assistant devices: every payload counts.
            let components: Vec<(String, Value)> = model
                .discovery_payloads(&ctx)
                .into_iter()
                .flat_map(|p| {
                    p.payload["cmps"]
                        .as_object()
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|(_, c)| {
                            c.get("p").is_some_and(|p| p != &json!(null))
                                && c.as_object().is_some_and(|o| o.len() > 1)
                        })
                })
                .collect();
            let mut states = vec![status.clone(), switched_off(&status)];
            let mut variants = BTreeSet::new();
            modes(&profile, &mut variants);
            for (a, v) in &variants {
                let one = with_value(&status, a, v);
                // And in pairs: a boiler's water target needs both its job mode and its
                // room-temperature mode.
                for (b, w) in variants.iter().filter(|(b, _)| b > a) {
                    states.push(with_value(&one, b, w));
                }
                states.push(one);
            }
            for (key, component) in &components {
                for (topic, command) in commands(component) {
                    let Some((entity, feature)) = command_target(&topic, &device.device_id) else {
                        refused.push(format!("{name} {key}: command topic {topic} is not ours"));
                        continue;
                    };
                    for state in &states {
                        tried += 1;
                        // A command that the current state rules out (a range the mode
                        // forbids) is refused by us with a reason; it counts when another
                        // state allows it. Only bodies LG refuses are failures.
                        let Ok(body) = model.command(entity, feature, &command, state) else {
                            continue;
                        };
                        match thinq_addon::sim::check_control(&profile, &body) {
                            Ok(()) => {
                                accepted += 1;
                                reached.extend(body_writes(&body).into_iter().map(|(a, _)| a));
                            }
                            Err(e) => refused.push(format!(
                                "{name} [{}] {key}/{feature} {command:?}: {body} refused: {e:?}",
                                language.code()
                            )),
                        }
                    }
                }
            }
        }
        let mut expected = BTreeSet::new();
        expected.extend(
            fixtures::writable_attributes(&profile)
                .into_iter()
                .map(|(a, _)| a),
        );
        let kind = device.device_info.device_type.as_str();
        let reached: BTreeSet<String> = reached.iter().map(|p| setting(p, kind)).collect();
        let expected: BTreeSet<String> = expected.iter().map(|p| setting(p, kind)).collect();
        for path in expected.difference(&reached) {
            if !UNREACHABLE.contains(&(name.as_str(), path.as_str())) {
                unwritten.push(format!("{name}: {path}"));
            }
        }
    }
    println!("{tried} commands tried, {accepted} bodies accepted by the simulated LG cloud");
    assert!(accepted > 1000, "only {accepted} accepted bodies");
    assert_none("bodies LG refuses", &refused);
    assert_none(
        "writable properties no Home Assistant command writes",
        &unwritten,
    );
}
