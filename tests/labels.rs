//! Value labels in both languages against every real fixture (HA's 11, LG's 59): every enum value
//! a profile lists has an `en` and a `ko` label in `thinq_addon/labels/`, and every option Home
//! Assistant offers, sent back as a command in either language, becomes a control body that the
//! simulated LG cloud's independent profile check (`sim::control::check`) accepts. Unique ids
//! and topics do not change with the language.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use thinq_addon::hass::DeviceModel;
use thinq_addon::labels::{Labels, Language};

#[path = "support/fixtures.rs"]
mod fixtures;
use fixtures::{body_writes, command_target, devices, switched_off};

/// The enum values and error codes a raw profile lists, read straight from the JSON.
fn profile_values(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if matches!(
                map.get("type").and_then(Value::as_str),
                Some("enum" | "list")
            ) && let Some(lists) = map.get("value").and_then(Value::as_object)
            {
                for list in ["r", "w"].iter().filter_map(|k| lists.get(*k)) {
                    out.extend(
                        list.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|v| v.as_str().map(str::to_owned)),
                    );
                }
            }
            if let Some(errors) = map.get("error").and_then(Value::as_array) {
                out.extend(errors.iter().filter_map(|v| v.as_str().map(str::to_owned)));
            }
            map.values().for_each(|v| profile_values(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| profile_values(v, out)),
        _ => {}
    }
}

#[test]
fn every_fixture_enum_value_has_an_english_and_a_korean_label() {
    let mut values = BTreeSet::new();
    for (_, _, profile, _) in devices() {
        profile_values(&profile, &mut values);
    }
    println!("{} distinct enum values and error codes", values.len());
    assert!(values.len() > 300, "fixtures read: {}", values.len());
    let mut missing = Vec::new();
    for language in Language::ALL {
        let labels = Labels::embedded(language);
        for value in &values {
            match labels.named(value) {
                Some(label) if !label.trim().is_empty() => {}
                _ => missing.push(format!("{}: {value}", language.code())),
            }
        }
    }
    assert!(
        missing.is_empty(),
        "values without a label:\n{}",
        missing.join("\n")
    );
}

/// `(option list key, command topic key)` of every discovery field that offers labels.
const OPTION_FIELDS: &[(&str, &str)] = &[
    ("ops", "cmd_t"),
    ("modes", "mode_cmd_t"),
    ("pr_modes", "pr_mode_cmd_t"),
    ("fan_modes", "fan_mode_cmd_t"),
    ("swing_modes", "swing_mode_cmd_t"),
];

/// The `resource.attribute = value` writes of a control body whose value is text.
fn text_writes(body: &Value) -> impl Iterator<Item = (String, String)> {
    body_writes(body)
        .into_iter()
        .filter_map(|(a, v)| Some((a, v.as_str()?.to_owned())))
}

/// Every `resource.attribute` → writable enum values of a raw profile.
fn writable_enums(profile: &Value, out: &mut BTreeMap<String, BTreeSet<String>>) {
    for (attribute, spec) in fixtures::writable_attributes(profile) {
        if spec["type"] == "enum" {
            let values = spec["value"]["w"].as_array().into_iter().flatten();
            out.entry(attribute)
                .or_default()
                .extend(values.filter_map(|v| v.as_str().map(str::to_owned)));
        }
    }
}

/// The commands Home Assistant sends to a light, cover, lock or siren for what its discovery
/// component offers (JSON lights: effects, white, colour; covers: open / close / stop unless
/// switched off; locks: unlock, and open where offered; sirens: on with volume and duration).
fn form_commands(platform: &str, component: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match platform {
        "light" => {
            for effect in component["fx_list"].as_array().into_iter().flatten() {
                out.push(serde_json::json!({"state": "ON", "effect": effect}).to_string());
            }
            let modes = component["sup_clrm"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if modes.contains(&"white".into()) {
                out.push(r#"{"state":"ON","white":50}"#.to_owned());
            }
            if modes.contains(&"hs".into()) {
                out.push(r#"{"state":"ON","color":{"h":120.5,"s":40},"brightness":30}"#.to_owned());
            }
        }
        "cover" => {
            for (key, default) in [
                ("pl_open", "OPEN"),
                ("pl_cls", "CLOSE"),
                ("pl_stop", "STOP"),
            ] {
                match component.get(key) {
                    Some(Value::Null) => {}
                    Some(v) => out.push(v.as_str().unwrap_or(default).to_owned()),
                    None => out.push(default.to_owned()),
                }
            }
        }
        "lock" => {
            out.push("UNLOCK".to_owned());
            if let Some(open) = component["pl_open"].as_str() {
                out.push(open.to_owned());
            }
        }
        "siren" => {
            out.push(r#"{"state":"ON","volume_level":1.0,"duration":30}"#.to_owned());
            out.push(r#"{"state":"OFF"}"#.to_owned());
        }
        _ => {}
    }
    out
}

#[test]
fn every_offered_option_in_both_languages_becomes_a_body_lg_accepts() {
    let ctx = fixtures::ctx();
    let mut failures = Vec::new();
    let mut commands = 0;
    let mut unreached = Vec::new();
    let mut unwritten = Vec::new();
    for (name, device, profile, status) in devices() {
        let mut reached: BTreeSet<(String, String)> = BTreeSet::new();
        for language in Language::ALL {
            let model = DeviceModel::with_language(device.clone(), &profile, language)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            // A WashTower's washer and dryer are devices of their own: every payload counts.
            let payloads = model.discovery_payloads(&ctx);
            let components = payloads
                .iter()
                .flat_map(|p| p.payload["cmps"].as_object().expect("cmps"));
            for (key, component) in components {
                let mut tries: Vec<(String, String)> = Vec::new();
                for (list, topic) in OPTION_FIELDS {
                    let (Some(options), Some(topic)) =
                        (component[*list].as_array(), component[*topic].as_str())
                    else {
                        continue;
                    };
                    for option in options.iter().filter_map(Value::as_str) {
                        tries.push((topic.to_owned(), option.to_owned()));
                    }
                }
                // Switches and buttons: their fixed payloads write the enum values they stand for.
                let platform = component["p"].as_str().unwrap_or_default();
                if let Some(topic) = component["cmd_t"].as_str() {
                    match platform {
                        "switch" | "fan" | "humidifier" | "light" => {
                            for (key, default) in [("pl_on", "ON"), ("pl_off", "OFF")] {
                                let payload = component[key].as_str().unwrap_or(default);
                                tries.push((topic.to_owned(), payload.to_owned()));
                            }
                        }
                        "button" => tries.push((topic.to_owned(), "PRESS".to_owned())),
                        // A vacuum's commands: Home Assistant's default payloads per feature.
                        "vacuum" => {
                            for (feature, payload) in [
                                ("start", "start"),
                                ("pause", "pause"),
                                ("stop", "stop"),
                                ("return_home", "return_to_base"),
                            ] {
                                let announced = component["sup_feat"]
                                    .as_array()
                                    .is_some_and(|f| f.iter().any(|f| f == feature));
                                if announced {
                                    tries.push((topic.to_owned(), payload.to_owned()));
                                }
                            }
                        }
                        _ => {}
                    }
                    tries.extend(
                        form_commands(platform, component)
                            .into_iter()
                            .map(|payload| (topic.to_owned(), payload)),
                    );
                }
                // Fan speeds: every step of the range.
                if let (Some(topic), Some(min), Some(max)) = (
                    component["pct_cmd_t"].as_str(),
                    component["spd_rng_min"].as_i64(),
                    component["spd_rng_max"].as_i64(),
                ) {
                    for speed in min..=max {
                        tries.push((topic.to_owned(), speed.to_string()));
                    }
                }
                let off = switched_off(&status);
                for ((topic, option), state) in tries.iter().flat_map(|t| [(t, &status), (t, &off)])
                {
                    let (entity, feature) = command_target(topic, &device.device_id)
                        .unwrap_or_else(|| panic!("command topic {topic}"));
                    commands += 1;
                    match model.command(entity, feature, option, state) {
                        Ok(body) => match thinq_addon::sim::check_control(&profile, &body) {
                            Ok(()) => reached.extend(text_writes(&body)),
                            Err(e) => failures.push(format!(
                                "{name} [{}] {key} {option:?}: {body} refused: {e:?}",
                                language.code()
                            )),
                        },
                        Err(e) => failures.push(format!(
                            "{name} [{}] {key} {option:?}: {e}",
                            language.code()
                        )),
                    }
                }
            }
        }
        let mut expected = BTreeMap::new();
        writable_enums(&profile, &mut expected);
        for (path, values) in expected {
            if !reached.iter().any(|(p, _)| *p == path) {
                unwritten.push(format!("{name}: {path}"));
            }
            for value in values {
                if !reached.contains(&(path.clone(), value.clone())) {
                    unreached.push(format!("{name}: {path} = {value}"));
                }
            }
        }
    }
    println!("{commands} commands checked; writable enum values no command writes (an");
    println!("equivalent value is written instead):");
    for line in &unreached {
        println!("  {line}");
    }
    assert!(commands > 1000, "only {commands} commands tried");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        unwritten.is_empty(),
        "writable enum properties no command writes:\n{}",
        unwritten.join("\n")
    );
}

#[test]
fn unique_ids_and_topics_do_not_depend_on_the_language() {
    let ctx = fixtures::ctx();
    for (name, device, profile, _) in devices() {
        let ids = |language| {
            let model = DeviceModel::with_language(device.clone(), &profile, language).unwrap();
            // Every Home Assistant device of the appliance (a WashTower has three).
            let payloads = model.discovery_payloads(&ctx);
            payloads
                .iter()
                .flat_map(|p| {
                    let cmps = p.payload["cmps"].as_object().expect("cmps");
                    cmps.iter()
                        .map(move |(key, c)| (format!("{} {key}", p.id), c))
                })
                .map(|(key, c)| {
                    let topics: Vec<String> = c
                        .as_object()
                        .expect("component")
                        .iter()
                        .filter(|(k, _)| k.ends_with("_t"))
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    (key.clone(), c["uniq_id"].clone(), topics)
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(Language::En), ids(Language::Ko), "{name}");
    }
}

#[test]
fn korean_states_show_korean_words() {
    let (_, device, profile, status) = devices()
        .into_iter()
        .find(|(name, ..)| name == "washer")
        .expect("washer fixture");
    let model = DeviceModel::with_language(device, &profile, Language::Ko).unwrap();
    let state: BTreeMap<String, Value> = model
        .state_values(&status)
        .into_iter()
        .map(|(entity, feature, value)| (format!("{entity}/{feature}"), value))
        .collect();
    assert_eq!(state["run_state_current_state/state"], "전원 꺼짐");
    // Commands write LG's values whatever the language: the start button writes START.
    let start_button = "operation_washer_operation_mode_start";
    let start = model.command(start_button, "press", "PRESS", &status);
    assert_eq!(
        start.expect("start")["operation"]["washerOperationMode"],
        "START"
    );
}

/// Words in a name that are still English: a Latin word with a lower-case letter. Upper-case
/// tokens (PM2.5, PM10, UV, CO2, LED) and `Wi-Fi` are units or model-like names, the same in
/// Korean.
fn english_words(name: &str) -> Vec<&str> {
    name.split(|c: char| c.is_whitespace() || "()/,".contains(c))
        .filter(|w| *w != "Wi-Fi")
        .filter(|w| w.chars().any(|c| c.is_ascii_lowercase()))
        .collect()
}

#[test]
fn every_entity_name_of_every_fixture_device_reads_in_korean() {
    let ctx = fixtures::ctx();
    let mut missing: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut names = 0;
    for (name, device, profile, _) in devices() {
        let build = |language| {
            DeviceModel::with_language(device.clone(), &profile, language)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .discovery_payload(&ctx)
        };
        let (en, ko) = (build(Language::En), build(Language::Ko));
        for (key, component) in ko["cmps"].as_object().expect("cmps") {
            let Some(korean) = component["name"].as_str() else {
                continue;
            };
            names += 1;
            if !english_words(korean).is_empty() {
                let english = en["cmps"][key]["name"].as_str().unwrap_or_default();
                missing.insert(
                    english.to_owned(),
                    (korean.to_owned(), format!("{name}/{key}")),
                );
            }
        }
    }
    println!("{names} entity names read");
    assert!(names > 500, "only {names} names read");
    let report: Vec<String> = missing
        .iter()
        .map(|(en, (ko, at))| format!("  {en:?} -> {ko:?}  ({at})"))
        .collect();
    assert!(
        missing.is_empty(),
        "{} names with English words left (add their parts under `names:` in \
         thinq_addon/labels/ko.yaml):\n{}",
        missing.len(),
        report.join("\n")
    );
}
