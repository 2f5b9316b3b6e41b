//! How much of what each fixture device reports Home Assistant shows.
//!
//! A state leaf (one value in a device's state document) counts as shown when changing it, or
//! taking it away, changes some message on the per-value state topics the discovery payload
//! names: then some entity displays it. Identifier leaves (`locationName`, `switchName`, and
//! `unit`, the unit of its sibling values, shown as their unit) are not values and are not
//! counted. The share is printed per device with the leaves not shown.
//!
//! A value shown as an attribute counts: Home Assistant lists an entity's JSON attributes
//! (its `json_attr_t` topic) beside its state. Values go there when they only qualify another
//! (a plug's unit strings), when a composite takes them without a field for them (a climate's
//! limits), when the state reports them but the profile does not list them (LG's example
//! oven's second cavity, an air conditioner's timer flags), or when their value is off the
//! profile's list or range (Home Assistant refuses such a value as a mode or number).
//!
//! A value that repeats a shown one counts as shown through it: the same key (a `C`/`F` suffix
//! aside) holding the same temperature in the other unit or again in an older resource (the
//! °F twin of a °C setting, `temperature` beside `temperatureInUnits`). Home Assistant shows
//! the one it has in the user's unit system; publishing the twin too would cost it a second
//! message on every change (issue 17), so it is not published.
//!
//! Issue 10 asks for 98 % on every device. Measured when this test was written: 85.2 % of all
//! leaves, lowest device 28.6 % (wine cellar); with attributes: 100 % of all 600 leaves, every
//! device 100 %. The floors below are a ratchet: never lower them. The per-device floor is the
//! issue's 98 % (one leaf of a small device is several per cent); the overall floor is what is
//! reached, less one leaf in two hundred for a profile change in flight.

use serde_json::Value;

#[path = "support/fixtures.rs"]
mod fixtures;

use thinq_addon::hass::DeviceModel;
use thinq_addon::hass::topics::Topics;

/// The share of all fixture devices' state leaves that must be shown (reached: 1.0).
const FLOOR_ALL: f64 = 0.995;
/// The share each single device must show (issue 10's goal; reached: 1.0 on every device).
const FLOOR_DEVICE: f64 = 0.98;

/// Keys that name or qualify values rather than being values.
const IDENTIFIERS: [&str; 3] = ["locationName", "switchName", "unit"];

/// JSON pointers of every scalar leaf of `value`.
fn leaves(value: &Value, pointer: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if !(IDENTIFIERS.contains(&k.as_str()) && !v.is_object() && !v.is_array()) {
                    leaves(v, format!("{pointer}/{k}"), out);
                }
            }
        }
        // A list of plain values (profile type `list`, e.g. a water purifier's water types) is
        // one value, shown or not as a whole.
        Value::Array(items)
            if !items.is_empty() && items.iter().all(|v| !v.is_object() && !v.is_array()) =>
        {
            out.push(pointer)
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                leaves(v, format!("{pointer}/{i}"), out);
            }
        }
        _ => out.push(pointer),
    }
}

/// The key a leaf's value sits under, without a temperature's `C` / `F` suffix.
fn stem(pointer: &str) -> &str {
    let key = pointer
        .rsplit('/')
        .find(|k| k.parse::<usize>().is_err())
        .unwrap_or("");
    match key.strip_suffix('C').or_else(|| key.strip_suffix('F')) {
        Some(stem) if stem.ends_with("Temperature") => stem,
        _ => key,
    }
}

/// Whether two reported numbers are one temperature: equal, or equal once converted between
/// °C and °F (LG rounds the converted value, its °F targets to 2° steps).
fn same_temperature(a: &Value, b: &Value) -> bool {
    let (Some(a), Some(b)) = (a.as_f64(), b.as_f64()) else {
        return false;
    };
    let f = |c: f64| c * 9.0 / 5.0 + 32.0;
    (a - b).abs() < 1e-9 || (f(a) - b).abs() <= 1.0 || (f(b) - a).abs() <= 1.0
}

/// Whether the hidden leaf at `pointer` repeats one of the `shown` leaves (see the module doc).
fn repeats_a_shown_leaf(status: &Value, pointer: &str, shown: &[&String]) -> bool {
    let value = status.pointer(pointer).unwrap_or(&Value::Null);
    shown.iter().any(|other| {
        stem(other) == stem(pointer)
            && same_temperature(value, status.pointer(other).unwrap_or(&Value::Null))
    })
}

/// A different value of the same JSON type.
fn changed(value: &Value) -> Value {
    match value {
        Value::Bool(b) => Value::Bool(!b),
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap_or(0.0) + 1.0),
        Value::String(s) => Value::String(format!("{s}_CHANGED")),
        Value::Array(items) => Value::Array(items.iter().skip(1).cloned().collect()),
        _ => Value::String("changed".to_owned()),
    }
}

fn removed(status: &Value, pointer: &str) -> Value {
    let mut out = status.clone();
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    match out.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(key);
        }
        Some(Value::Array(items)) => {
            if let Ok(i) = key.parse::<usize>() {
                items[i] = Value::Null;
            }
        }
        _ => {}
    }
    out
}

#[test]
fn every_fixture_device_shows_its_state_leaves() {
    let topics = Topics::new("homeassistant", "thinq");
    let mut below = Vec::new();
    let (mut all_shown, mut all_leaves) = (0usize, 0usize);
    let mut lowest = 1.0f64;
    for (name, device, profile, status) in fixtures::devices() {
        let model = DeviceModel::new(device, &profile).unwrap_or_else(|e| panic!("{name}: {e}"));
        let base = model.state_messages(&topics, &status);
        let mut paths = Vec::new();
        leaves(&status, String::new(), &mut paths);
        let mut hidden = Vec::new();
        for pointer in &paths {
            let mut mutated = status.clone();
            let leaf = mutated.pointer_mut(pointer).expect("leaf");
            *leaf = changed(leaf);
            let shown = model.state_messages(&topics, &mutated) != base
                || model.state_messages(&topics, &removed(&status, pointer)) != base;
            if !shown {
                hidden.push(pointer.clone());
            }
        }
        let shown_leaves: Vec<&String> = paths.iter().filter(|p| !hidden.contains(p)).collect();
        hidden.retain(|p| !repeats_a_shown_leaf(&status, p, &shown_leaves));
        let total = paths.len();
        let shown = total - hidden.len();
        let share = if total == 0 {
            1.0
        } else {
            shown as f64 / total as f64
        };
        lowest = lowest.min(share);
        all_shown += shown;
        all_leaves += total;
        println!(
            "{name:40} {shown:3}/{total:3} {:5.1} %  hidden {hidden:?}",
            share * 100.0
        );
        if share < FLOOR_DEVICE {
            below.push(format!("{name}: {:.1} %", share * 100.0));
        }
    }
    println!(
        "all devices: {all_shown}/{all_leaves} = {:.1} %, lowest device {:.1} %",
        all_shown as f64 * 100.0 / all_leaves as f64,
        lowest * 100.0
    );
    assert!(all_leaves > 500, "only {all_leaves} leaves read");
    fixtures::assert_none(&format!("devices below {FLOOR_DEVICE}"), &below);
    assert!(
        all_shown as f64 >= FLOOR_ALL * all_leaves as f64,
        "{all_shown}/{all_leaves} shown, below {FLOOR_ALL}"
    );
}
