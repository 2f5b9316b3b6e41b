//! A simulated appliance's reaction to a control the cloud accepted, as the partial report it
//! sends back over `DEVICE_STATUS`: readable attributes take the new value, array resources
//! change their entry (and the C/F twin with it), and an air conditioner keeps its legacy
//! `temperature` and per-unit `temperatureInUnits` in step.
//!
//! Apart from the cloud's check (`check.rs`): this is the device's side, which may
//! still refuse (see `operate.rs`).

use serde_json::{Map, Value, json};

use super::operate::operate;
use super::temperature::{c_to_f, convert, f_to_c, number_value};
use super::{has_mode, location_name, resources_for};
use crate::sim::envelope::ApiError;

/// The device's reaction to a control the cloud accepted: the partial report it sends,
/// shaped like its state. Fails with the device's refusal (remote control off, already on,
/// already off). An empty object means "nothing visible changed".
pub fn react(profile: &Value, state: &Value, body: &Value) -> Result<Value, ApiError> {
    let Some(body) = body.as_object() else {
        return Ok(json!({}));
    };
    let Some(properties) = profile.get("property") else {
        let mut report = Map::new();
        for (unit, sub_body) in body {
            let sub_profile = profile.get(unit).unwrap_or(&Value::Null);
            let sub_state = state.get(unit).unwrap_or(&Value::Null);
            let sub_report = react(sub_profile, sub_state, sub_body)?;
            if !crate::sim::state::is_empty_report(&sub_report) {
                report.insert(unit.clone(), sub_report);
            }
        }
        return Ok(Value::Object(report));
    };
    let location = body
        .get("location")
        .and_then(|l| l.get("locationName"))
        .and_then(Value::as_str);
    let empty = Map::new();
    let resources = resources_for(properties, body).unwrap_or(&empty);
    let container = match (state, location) {
        (Value::Array(entries), Some(name)) => entries
            .iter()
            .find(|e| location_name(e) == Some(name))
            .unwrap_or(&Value::Null),
        _ => state,
    };

    let mut changes = Map::new();
    for (resource, attributes) in body {
        let Some(attributes) = attributes.as_object() else {
            continue;
        };
        match resources.get(resource) {
            Some(Value::Object(descriptors)) => react_object(
                resources,
                container,
                resource,
                descriptors,
                attributes,
                &mut changes,
            )?,
            Some(Value::Array(_)) => react_entries(container, resource, attributes, &mut changes),
            _ => {}
        }
    }
    mirror_thermostat(container, &mut changes);

    if changes.is_empty() {
        return Ok(json!({}));
    }
    Ok(match (state, location) {
        (Value::Array(_), Some(name)) => {
            changes.insert("location".into(), json!({"locationName": name}));
            Value::Array(vec![Value::Object(changes)])
        }
        (_, Some(name)) => {
            changes.insert("location".into(), json!({"locationName": name}));
            Value::Object(changes)
        }
        _ => Value::Object(changes),
    })
}

/// Applies an object resource: readable attributes take the new value; operation modes act
/// on the run state; a write-only `*TargetTemperature` becomes the target.
fn react_object(
    resources: &Map<String, Value>,
    container: &Value,
    resource: &str,
    descriptors: &Map<String, Value>,
    attributes: &Map<String, Value>,
    changes: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    for (name, value) in attributes {
        if name == "unit" {
            continue;
        }
        let readable = descriptors
            .get(name)
            .and_then(Value::as_object)
            .is_some_and(|d| has_mode(d, 'r'));
        if resource == "operation" && name.ends_with("OperationMode") {
            let command = value.as_str().unwrap_or("");
            operate(resources, container, name, command, readable, changes)?;
        } else if readable {
            set(changes, resource, name, value.clone());
        } else if name.ends_with("TargetTemperature")
            && container
                .get(resource)
                .and_then(|r| r.get("targetTemperature"))
                .is_some()
        {
            set(changes, resource, "targetTemperature", value.clone());
        }
    }
    Ok(())
}

/// Applies an array resource (pattern B by location, pattern C by unit). Temperatures with
/// a C/F twin are converted so both entries (or both keys) stay consistent.
fn react_entries(
    container: &Value,
    resource: &str,
    attributes: &Map<String, Value>,
    changes: &mut Map<String, Value>,
) {
    let current = container
        .get(resource)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let by_location = attributes.get("locationName").is_some();
    let key = if by_location { "locationName" } else { "unit" };
    let Some(wanted) = attributes.get(key).and_then(Value::as_str) else {
        return;
    };
    let Some(entry) = current
        .iter()
        .find(|e| e.get(key).and_then(Value::as_str) == Some(wanted))
    else {
        return;
    };
    let mut change = Map::new();
    change.insert(key.into(), Value::String(wanted.to_owned()));
    for (name, value) in attributes {
        if name == key || name == "unit" {
            continue;
        }
        let target = if entry.get(name).is_some() {
            name.as_str()
        } else if name.ends_with("TargetTemperature") && entry.get("targetTemperature").is_some() {
            "targetTemperature"
        } else {
            continue;
        };
        change.insert(target.to_owned(), value.clone());
        // Pattern B keeps both `…C` and `…F` keys in one entry.
        if let Some(number) = value.as_f64() {
            if let Some(base) = target.strip_suffix('C')
                && entry.get(format!("{base}F")).is_some()
            {
                change.insert(format!("{base}F"), number_value(c_to_f(number)));
            } else if let Some(base) = target.strip_suffix('F')
                && entry.get(format!("{base}C")).is_some()
            {
                change.insert(format!("{base}C"), number_value(f_to_c(number)));
            }
        }
    }
    if change.len() <= 1 {
        return;
    }
    let mut entries = vec![Value::Object(change.clone())];
    if !by_location {
        // Pattern C: the other unit's entry follows.
        for other in &current {
            let Some(unit) = other.get("unit").and_then(Value::as_str) else {
                continue;
            };
            if unit == wanted {
                continue;
            }
            let mut converted = Map::new();
            converted.insert("unit".into(), Value::String(unit.to_owned()));
            for (name, value) in &change {
                if name == "unit" || other.get(name).is_none() {
                    continue;
                }
                if let Some(number) = value.as_f64() {
                    converted.insert(name.clone(), number_value(convert(number, wanted, unit)));
                }
            }
            if converted.len() > 1 {
                entries.push(Value::Object(converted));
            }
        }
    }
    append_entries(changes, resource, entries);
}

/// Keeps an air conditioner's two views of its target in step: the older single-unit
/// `temperature` resource and the per-unit `temperatureInUnits` entries.
fn mirror_thermostat(container: &Value, changes: &mut Map<String, Value>) {
    let legacy = container.get("temperature").filter(|t| t.is_object());
    let per_unit = container
        .get("temperatureInUnits")
        .and_then(Value::as_array);
    let (Some(legacy), Some(per_unit)) = (legacy, per_unit) else {
        return;
    };
    let legacy_unit = legacy.get("unit").and_then(Value::as_str).unwrap_or("C");
    let changed_legacy = changes
        .get("temperature")
        .and_then(|t| t.get("targetTemperature"))
        .and_then(Value::as_f64);
    let changed_per_unit = changes
        .get("temperatureInUnits")
        .and_then(Value::as_array)
        .and_then(|entries| {
            entries
                .iter()
                .find(|e| e.get("unit").and_then(Value::as_str) == Some(legacy_unit))
        })
        .and_then(|e| e.get("targetTemperature"))
        .and_then(Value::as_f64);
    if let Some(target) = changed_legacy
        && changed_per_unit.is_none()
    {
        let entries = per_unit
            .iter()
            .filter_map(|e| e.get("unit").and_then(Value::as_str))
            .map(|unit| {
                json!({"targetTemperature": number_value(convert(target, legacy_unit, unit)), "unit": unit})
            })
            .collect();
        append_entries(changes, "temperatureInUnits", entries);
    } else if let Some(target) = changed_per_unit
        && changed_legacy.is_none()
    {
        set(
            changes,
            "temperature",
            "targetTemperature",
            number_value(target),
        );
    }
}

pub(super) fn set(changes: &mut Map<String, Value>, resource: &str, name: &str, value: Value) {
    let entry = changes
        .entry(resource.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(map) = entry {
        map.insert(name.to_owned(), value);
    }
}

fn append_entries(changes: &mut Map<String, Value>, resource: &str, entries: Vec<Value>) {
    let slot = changes
        .entry(resource.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(existing) = slot {
        existing.extend(entries);
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture_device as device;
    use super::*;
    use crate::sim::devices::AIR_CONDITIONER_ID;

    #[test]
    fn a_temperature_control_moves_both_units_and_the_legacy_resource() {
        let ac = device(AIR_CONDITIONER_ID);
        let body = json!({"temperatureInUnits": {"coolTargetTemperature": 22, "unit": "C"}});
        let report = react(&ac.profile, &ac.state, &body).expect("reaction");
        assert_eq!(
            report,
            json!({
                "temperatureInUnits": [
                    {"unit": "C", "targetTemperature": 22},
                    {"unit": "F", "targetTemperature": 72}
                ],
                "temperature": {"targetTemperature": 22}
            })
        );
    }
}
