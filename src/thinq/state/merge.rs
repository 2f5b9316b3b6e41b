//! Merging a partial `DEVICE_STATUS` report into the cached full state: objects key by key,
//! per-location and per-unit arrays entry by entry, `null` as "no news".
//!
//! Apart from `put.rs` because it is the other direction: a merge takes a report shaped
//! like `GET state` as LG sends it, where `put` builds one from a property path.

use crate::thinq::location::{LOCATION_NAME, SWITCH_NAME, UNIT, location_name};
use serde_json::{Map, Value};

/// Merges a partial `report` into the cached full state, in place.
///
/// Objects merge key by key (recursively). Arrays of per-location entries (pattern A/B, matched
/// on `location.locationName` or `locationName`) and per-unit entries (pattern C, matched on
/// `unit`) merge entry by entry, so a report about `C` does not wipe `F`. A scalar replaces.
/// A report that is not an object leaves the cache as it was.
///
/// Two additions to that rule: a report that is an *array* of per-location objects (how a
/// pattern A device reports) merges like one, and a `null` inside a report means "no news"
/// and keeps the cached value, the same way [`Property::read`] treats `null`
/// as absent. An empty (`null`) cache simply takes the report.
///
/// [`Property::read`]: crate::thinq::profile::Property::read
pub fn merge_report(cached: &mut Value, report: &Value) {
    if !matches!(report, Value::Object(_) | Value::Array(_)) {
        return;
    }
    merge_value(cached, report);
}

/// What names one entry of a state array: its location, switch or unit.
#[derive(PartialEq)]
enum Identity<'a> {
    Location(&'a str),
    LocationName(&'a str),
    SwitchName(&'a str),
    Unit(&'a str),
}

fn identity(entry: &Value) -> Option<Identity<'_>> {
    let text = |key: &str| entry.get(key).and_then(Value::as_str);
    if let Some(name) = location_name(entry) {
        return Some(Identity::Location(name));
    }
    if let Some(name) = text(LOCATION_NAME) {
        return Some(Identity::LocationName(name));
    }
    if let Some(name) = text(SWITCH_NAME) {
        return Some(Identity::SwitchName(name));
    }
    text(UNIT).map(Identity::Unit)
}

fn merge_value(cached: &mut Value, report: &Value) {
    match report {
        Value::Null => {}
        Value::Object(fields) => match cached {
            Value::Object(target) => merge_fields(target, fields),
            Value::Array(entries) => merge_entry_into_array(entries, report),
            _ => *cached = strip_nulls(report),
        },
        Value::Array(report_entries) => match cached {
            Value::Array(entries) if all_identified(report_entries) && all_identified(entries) => {
                for entry in report_entries {
                    merge_entry_into_array(entries, entry);
                }
            }
            // One plain cached object standing for a single location (a single-tub washer)
            // and a report about that same location.
            Value::Object(_)
                if report_entries.len() == 1 && same_or_no_identity(cached, &report_entries[0]) =>
            {
                merge_value(cached, &report_entries[0]);
            }
            _ => *cached = strip_nulls(report),
        },
        _ => *cached = report.clone(),
    }
}

fn merge_fields(target: &mut Map<String, Value>, fields: &Map<String, Value>) {
    for (key, value) in fields {
        match target.get_mut(key) {
            Some(existing) => merge_value(existing, value),
            None if value.is_null() => {}
            None => {
                target.insert(key.clone(), strip_nulls(value));
            }
        }
    }
}

/// Merges one reported entry into the cached array: into the entry with the same identity,
/// else appended. A report object without identity (a device-level resource such as an
/// `extensionProperty` value, reported beside per-location entries) merges into the first
/// entry, which is where [`Property::read`] looks for device-level values in
/// a location array; it never wipes the other locations.
///
/// [`Property::read`]: crate::thinq::profile::Property::read
fn merge_entry_into_array(entries: &mut Vec<Value>, entry: &Value) {
    match identity(entry) {
        Some(id) => match entries
            .iter_mut()
            .find(|e| identity(e).as_ref() == Some(&id))
        {
            Some(existing) => merge_value(existing, entry),
            None => entries.push(strip_nulls(entry)),
        },
        None => match entries.first_mut() {
            Some(first) => merge_value(first, entry),
            None => entries.push(strip_nulls(entry)),
        },
    }
}

fn all_identified(entries: &[Value]) -> bool {
    entries.iter().all(|e| identity(e).is_some())
}

fn same_or_no_identity(cached: &Value, entry: &Value) -> bool {
    match (identity(cached), identity(entry)) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// A copy without `null` members, so that a value stored fresh obeys the same "null is no
/// news" rule as a merged one.
fn strip_nulls(value: &Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_merge_key_by_key() {
        let mut cached = json!({"airConJobMode": {"currentJobMode": "COOL"}, "airFlow": {"windStrength": "MID"}});
        merge_report(
            &mut cached,
            &json!({"airFlow": {"windStrength": "HIGH"}, "powerSave": {"powerSaveEnabled": true}}),
        );
        assert_eq!(
            cached,
            json!({"airConJobMode": {"currentJobMode": "COOL"}, "airFlow": {"windStrength": "HIGH"}, "powerSave": {"powerSaveEnabled": true}})
        );
    }

    #[test]
    fn unit_entries_merge_by_unit() {
        let mut cached = json!({"temperatureInUnits": [
            {"currentTemperature": 25, "targetTemperature": 19, "unit": "C"},
            {"currentTemperature": 77, "targetTemperature": 66, "unit": "F"}
        ]});
        merge_report(
            &mut cached,
            &json!({"temperatureInUnits": [{"targetTemperature": 21, "unit": "C"}]}),
        );
        assert_eq!(
            cached,
            json!({"temperatureInUnits": [
                {"currentTemperature": 25, "targetTemperature": 21, "unit": "C"},
                {"currentTemperature": 77, "targetTemperature": 66, "unit": "F"}
            ]})
        );
        // A single unit object (not in an array) merges into its entry too.
        merge_report(
            &mut cached,
            &json!({"temperatureInUnits": {"targetTemperature": 70, "unit": "F"}}),
        );
        assert_eq!(
            cached["temperatureInUnits"][1]["targetTemperature"],
            json!(70)
        );
        assert_eq!(
            cached["temperatureInUnits"][0]["targetTemperature"],
            json!(21)
        );
    }

    #[test]
    fn named_entries_merge_by_location_name_and_new_ones_append() {
        let mut cached = json!({"temperature": [{"locationName": "TOP", "targetTemperature": 6}]});
        merge_report(
            &mut cached,
            &json!({"temperature": [{"locationName": "MIDDLE", "targetTemperature": "KIMCHI"}, {"locationName": "TOP", "targetTemperature": 4}]}),
        );
        assert_eq!(
            cached,
            json!({"temperature": [{"locationName": "TOP", "targetTemperature": 4}, {"locationName": "MIDDLE", "targetTemperature": "KIMCHI"}]})
        );
    }

    #[test]
    fn location_arrays_merge_by_location() {
        let mut cached = json!([
            {"location": {"locationName": "UPPER"}, "timer": {"remainMinute": 10, "remainSecond": 0}},
            {"location": {"locationName": "LOWER"}, "timer": {"remainMinute": 5, "remainSecond": 0}}
        ]);
        merge_report(
            &mut cached,
            &json!([{"location": {"locationName": "LOWER"}, "timer": {"remainMinute": 4}}]),
        );
        assert_eq!(
            cached[1]["timer"],
            json!({"remainMinute": 4, "remainSecond": 0})
        );
        assert_eq!(
            cached[0]["timer"],
            json!({"remainMinute": 10, "remainSecond": 0})
        );
        merge_report(
            &mut cached,
            &json!({"location": {"locationName": "UPPER"}, "runState": {"currentState": "DONE"}}),
        );
        assert_eq!(cached[0]["runState"]["currentState"], json!("DONE"));
    }

    #[test]
    fn single_washer_object_takes_a_location_array_report() {
        let mut cached = json!({"location": {"locationName": "MAIN"}, "runState": {"currentState": "POWER_OFF"}});
        merge_report(
            &mut cached,
            &json!([{"location": {"locationName": "MAIN"}, "runState": {"currentState": "RUNNING"}}]),
        );
        assert_eq!(
            cached,
            json!({"location": {"locationName": "MAIN"}, "runState": {"currentState": "RUNNING"}})
        );
    }

    #[test]
    fn nulls_and_non_objects_change_nothing() {
        let original = json!({"runState": {"currentState": "RUNNING"}});
        let mut cached = original.clone();
        for report in [
            json!(null),
            json!(5),
            json!("x"),
            json!({"runState": {"currentState": null}}),
            json!({"newThing": null}),
        ] {
            merge_report(&mut cached, &report);
            assert_eq!(cached, original, "{report}");
        }
        let mut empty = Value::Null;
        merge_report(&mut empty, &json!({"a": {"b": 1, "c": null}}));
        assert_eq!(empty, json!({"a": {"b": 1}}));
    }
}
