//! Operations on a device state document: merging a partial report into it, and finding the
//! per-location or per-unit entry an array holds.
//!
//! A state mirrors the profile (thinq-api.md §4.4): objects keyed by resource, and arrays
//! whose entries are told apart by `location.locationName` (pattern A), `locationName`
//! (pattern B) or `unit` (pattern C). A report has the same shape and only the parts that
//! changed, so merging is a deep merge that matches array entries by those keys.

use serde_json::Value;

/// The key that identifies an entry of a state array, if it has one.
pub fn entry_key(entry: &Value) -> Option<(&'static str, &str)> {
    if let Some(name) = entry
        .pointer("/location/locationName")
        .and_then(Value::as_str)
    {
        return Some(("location", name));
    }
    if let Some(name) = entry.get("locationName").and_then(Value::as_str) {
        return Some(("locationName", name));
    }
    entry
        .get("unit")
        .and_then(Value::as_str)
        .map(|unit| ("unit", unit))
}

/// Merges `report` into `state`: objects key by key, keyed arrays entry by entry, anything
/// else replaced. A report for one location given as a plain object with a `location` is
/// merged into the matching entry of a location array.
pub fn merge(state: &mut Value, report: &Value) {
    match (state, report) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                match target.get_mut(key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (Value::Array(target), Value::Array(patch)) => {
            if patch.iter().all(|e| entry_key(e).is_some()) {
                for entry in patch {
                    merge_entry(target, entry);
                }
            } else {
                *target = patch.clone();
            }
        }
        (Value::Array(target), patch @ Value::Object(_)) if entry_key(patch).is_some() => {
            merge_entry(target, patch);
        }
        (target, patch) => *target = patch.clone(),
    }
}

fn merge_entry(target: &mut Vec<Value>, entry: &Value) {
    let key = entry_key(entry);
    match target.iter_mut().find(|e| entry_key(e) == key) {
        Some(existing) => merge(existing, entry),
        None => target.push(entry.clone()),
    }
}

/// Whether a report carries nothing (no change to send).
pub fn is_empty_report(report: &Value) -> bool {
    match report {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::Array(entries) => entries.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_objects_and_keyed_arrays() {
        let mut state = json!({
            "operation": {"airConOperationMode": "POWER_ON"},
            "temperatureInUnits": [
                {"currentTemperature": 25, "targetTemperature": 19, "unit": "C"},
                {"currentTemperature": 77, "targetTemperature": 66, "unit": "F"}
            ]
        });
        merge(
            &mut state,
            &json!({"temperatureInUnits": [{"currentTemperature": 24, "unit": "C"}]}),
        );
        assert_eq!(state["temperatureInUnits"][0]["currentTemperature"], 24);
        assert_eq!(state["temperatureInUnits"][0]["targetTemperature"], 19);
        assert_eq!(state["temperatureInUnits"][1]["currentTemperature"], 77);
        assert_eq!(state["operation"]["airConOperationMode"], "POWER_ON");
    }

    #[test]
    fn merges_a_location_report_into_a_location_array() {
        let mut state = json!([
            {"location": {"locationName": "UPPER"}, "runState": {"currentState": "INITIAL"}},
            {"location": {"locationName": "LOWER"}, "runState": {"currentState": "INITIAL"}}
        ]);
        merge(
            &mut state,
            &json!([{"location": {"locationName": "LOWER"}, "runState": {"currentState": "DONE"}}]),
        );
        assert_eq!(state[0]["runState"]["currentState"], "INITIAL");
        assert_eq!(state[1]["runState"]["currentState"], "DONE");
        merge(
            &mut state,
            &json!({"location": {"locationName": "UPPER"}, "runState": {"currentState": "COOLING"}}),
        );
        assert_eq!(state[0]["runState"]["currentState"], "COOLING");
    }

    #[test]
    fn pattern_b_prefers_the_location_over_the_unit() {
        let mut state = json!({"temperatureInUnits": [
            {"locationName": "FRIDGE", "targetTemperatureC": 7, "unit": "C"},
            {"locationName": "FREEZER", "targetTemperatureC": -16, "unit": "C"}
        ]});
        merge(
            &mut state,
            &json!({"temperatureInUnits": [{"locationName": "FREEZER", "targetTemperatureC": -18}]}),
        );
        assert_eq!(state["temperatureInUnits"][0]["targetTemperatureC"], 7);
        assert_eq!(state["temperatureInUnits"][1]["targetTemperatureC"], -18);
    }
}
