//! Device state documents and the merge of partial reports.
//!
//! LG's `DEVICE_STATUS` push carries a *partial* `report`, keyed like `GET state`. The bridge
//! keeps the last full state per device and merges each report into it, key by key.

use super::location::{LOCATION, LOCATION_NAME, SWITCH_NAME, UNIT, location_member, location_name};
use super::profile::{LocationKind, PropertyPath};
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
/// and keeps the cached value, the same way [`super::profile::Property::read`] treats `null`
/// as absent. An empty (`null`) cache simply takes the report.
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
/// entry, which is where [`super::profile::Property::read`] looks for device-level values in
/// a location array; it never wipes the other locations.
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

/// Writes one property's value into a state document of the matching shape, creating the
/// sub-device, location entry, resource and unit/name entry that are missing. The inverse of
/// [`super::profile::Property::read`]: after `put(state, path, v)`, reading `path` gives `v`.
///
/// Used to apply a command to a cached or simulated state, and to build reports in tests.
pub fn put(state: &mut Value, path: &PropertyPath, value: Value) {
    let mut scope = state;
    if let Some(sub) = &path.sub_device {
        scope = object_member(scope, sub);
    }
    let location = path.location.as_deref().unwrap_or_default();
    let attribute_holder = match path.location_kind {
        LocationKind::None => {
            // A device-level value in a per-location state array lives in its first entry.
            let holder = if scope.is_array() {
                first_entry(scope)
            } else {
                scope
            };
            object_member(holder, &path.resource)
        }
        LocationKind::PropertyArray => {
            let entry = location_entry(scope, location);
            let resource = object_member(entry, &path.resource);
            match path.nested_unit() {
                Some((stem, unit)) => {
                    let holder = keyed_entry(resource, UNIT, unit);
                    set_member(holder, stem, value);
                    return;
                }
                None => ensure_object(resource),
            }
        }
        LocationKind::ResourceArray => {
            let resource = object_member(scope, &path.resource);
            keyed_entry(resource, path.entry_name_key(), location)
        }
        LocationKind::UnitArray => {
            let resource = object_member(scope, &path.resource);
            keyed_entry(resource, UNIT, location)
        }
    };
    set_member(attribute_holder, &path.attribute, value);
}

fn ensure_object(value: &mut Value) -> &mut Value {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    value
}

fn set_member(holder: &mut Value, key: &str, value: Value) {
    if let Value::Object(map) = ensure_object(holder) {
        map.insert(key.to_owned(), value);
    }
}

/// `value[key]` as a mutable slot, turning `value` into an object first when it is not one.
fn object_member<'a>(value: &'a mut Value, key: &str) -> &'a mut Value {
    match ensure_object(value) {
        Value::Object(map) => map.entry(key.to_owned()).or_insert(Value::Null),
        // Not reachable: `ensure_object` just made it an object.
        other => other,
    }
}

/// Where in a container the wanted entry is, decided before any mutation (the borrow
/// checker cannot yet return a mutable borrow from one arm and mutate in another).
enum Slot {
    /// The container itself is the entry.
    Whole,
    /// Replace the container by a fresh entry.
    Fresh,
    /// Turn the lone entry into an array of it and a fresh entry.
    Split,
    /// Append a fresh entry to the array.
    Push,
    /// The array's entry at this index.
    Index(usize),
}

fn fill_slot(container: &mut Value, slot: Slot, fresh: Value) -> &mut Value {
    match slot {
        Slot::Whole => container,
        Slot::Fresh => {
            *container = fresh;
            container
        }
        Slot::Split => {
            let old = std::mem::take(container);
            *container = Value::Array(vec![old, fresh]);
            entry_at(container, 1)
        }
        Slot::Push => {
            let index = match container {
                Value::Array(entries) => {
                    entries.push(fresh);
                    entries.len() - 1
                }
                _ => 0,
            };
            entry_at(container, index)
        }
        Slot::Index(index) => entry_at(container, index),
    }
}

/// The first entry of an array, created (empty) when the array is empty.
fn first_entry(array: &mut Value) -> &mut Value {
    let slot = match array.as_array() {
        Some(entries) if !entries.is_empty() => Slot::Index(0),
        _ => Slot::Push,
    };
    fill_slot(array, slot, Value::Object(Map::new()))
}

/// The array's entry at `index`, or the container itself when there is none (never the
/// case for the slots computed here, but indexing must not panic).
fn entry_at(array: &mut Value, index: usize) -> &mut Value {
    let exists = array
        .as_array()
        .is_some_and(|entries| index < entries.len());
    if exists { &mut array[index] } else { array }
}

/// The pattern A entry for `location` in `scope`, created when missing. A lone object for
/// another location becomes an array of both.
fn location_entry<'a>(scope: &'a mut Value, location: &str) -> &'a mut Value {
    let slot = match &*scope {
        Value::Object(map) if map.is_empty() => Slot::Fresh,
        Value::Object(_) => match location_name(scope) {
            Some(name) if name != location => Slot::Split,
            _ => Slot::Whole,
        },
        Value::Array(entries) => entries
            .iter()
            .position(|e| location_name(e) == Some(location))
            .map_or(Slot::Push, Slot::Index),
        _ => Slot::Fresh,
    };
    let stamp = matches!(slot, Slot::Whole) && location_name(scope).is_none();
    let member = location_member(location);
    let entry = fill_slot(scope, slot, serde_json::json!({ LOCATION: member.clone() }));
    // A plain object standing for the single location gets its name, so that a merge can
    // tell which location it is about.
    if stamp && let Value::Object(map) = entry {
        map.insert(LOCATION.to_owned(), member);
    }
    entry
}

/// The entry of `resource` whose `key` is `name` (pattern B name or pattern C unit), created
/// when missing; a lone object for another name becomes an array of both.
fn keyed_entry<'a>(resource: &'a mut Value, key: &str, name: &str) -> &'a mut Value {
    let matches = |v: &Value| v.get(key).and_then(Value::as_str) == Some(name);
    let slot = match &*resource {
        Value::Object(_) if matches(resource) => Slot::Whole,
        Value::Object(map) if map.contains_key(key) => Slot::Split,
        Value::Array(entries) => entries
            .iter()
            .position(matches)
            .map_or(Slot::Push, Slot::Index),
        _ => Slot::Fresh,
    };
    let mut fresh = Map::new();
    fresh.insert(key.to_owned(), Value::String(name.to_owned()));
    let fresh = Value::Object(fresh);
    match slot {
        // A resource that is nothing yet becomes an array holding the entry, as LG reports it.
        Slot::Fresh => {
            *resource = Value::Array(vec![fresh]);
            entry_at(resource, 0)
        }
        slot => fill_slot(resource, slot, fresh),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thinq::profile::Profile;
    use proptest::prelude::*;
    use serde_json::json;
    use std::sync::OnceLock;

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

    #[test]
    fn put_builds_every_shape() {
        let profile =
            Profile::parse(&load("lg-developer/refrigerator/profile.json")).expect("profile");
        let mut state = Value::Null;
        let fridge = profile
            .get("temperatureInUnits.FRIDGE.targetTemperatureC")
            .expect("prop");
        put(&mut state, &fridge.path, json!(3));
        assert_eq!(
            state,
            json!({"temperatureInUnits": [{"locationName": "FRIDGE", "targetTemperatureC": 3}]})
        );
        let washer = Profile::parse(&load("washer/profile.json")).expect("profile");
        let mut state = json!({});
        put(
            &mut state,
            &washer.get("MAIN.runState.currentState").expect("prop").path,
            json!("RUNNING"),
        );
        assert_eq!(
            state,
            json!({"location": {"locationName": "MAIN"}, "runState": {"currentState": "RUNNING"}})
        );
    }

    fn load(relative: &str) -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(relative);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Every fixture's (folder, profile, state).
    fn fixtures() -> &'static [(String, Profile, Value)] {
        static ALL: OnceLock<Vec<(String, Profile, Value)>> = OnceLock::new();
        ALL.get_or_init(|| {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
            let mut out = Vec::new();
            for base in ["", "lg-developer/"] {
                let mut dirs: Vec<String> = std::fs::read_dir(root.join(base))
                    .expect("fixtures")
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().join("profile.json").is_file())
                    .map(|e| format!("{base}{}", e.file_name().to_string_lossy()))
                    .collect();
                dirs.sort();
                for dir in dirs {
                    let profile =
                        Profile::parse(&load(&format!("{dir}/profile.json"))).expect("profile");
                    let state = load(&format!("{dir}/status.json"));
                    out.push((dir, profile, state));
                }
            }
            out
        })
    }

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i32>().prop_map(Value::from),
            "[A-Z_]{1,10}".prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
            (-1000.0f64..1000.0)
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ]
        .prop_filter("no null", |v| !v.is_null())
    }

    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            prop::sample::select(vec!["C", "F", "MAIN", "UPPER", "FRIDGE", "x"])
                .prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            let keys = prop::sample::select(vec![
                "location",
                "locationName",
                "switchName",
                "unit",
                "temperatureInUnits",
                "runState",
                "currentState",
                "washer",
                "targetTemperature",
            ]);
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((keys, inner), 0..5).prop_map(|pairs| Value::Object(
                    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                )),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Merging a report built from some properties' new values, then reading every
        /// property, gives the report's value where the report has one and the old value
        /// elsewhere, for every fixture device.
        #[test]
        fn merge_then_read_gives_report_else_old(
            fixture in 0usize..70,
            picks in prop::collection::vec((any::<prop::sample::Index>(), scalar()), 1..6),
        ) {
            let all = fixtures();
            let (dir, profile, state) = &all[fixture % all.len()];
            let readable: Vec<_> = profile.properties.iter().filter(|p| p.readable).collect();
            prop_assume!(!readable.is_empty());
            let mut report = Value::Null;
            for (index, value) in &picks {
                put(&mut report, &readable[index.index(readable.len())].path, value.clone());
            }
            let mut merged = state.clone();
            merge_report(&mut merged, &report);
            for property in &readable {
                let key = property.path.key();
                match property.read(&report) {
                    Some(new) => prop_assert_eq!(property.read(&merged), Some(new), "{}: {}", dir, key),
                    None => {
                        // A unit-keyed object in a location (the oven) holds one unit at a
                        // time: a report in the other unit replaces it, by design.
                        let same_nested_resource = property.path.nested_unit().is_some()
                            && readable.iter().any(|p| {
                                p.path.nested_unit().is_some()
                                    && p.path.location == property.path.location
                                    && p.path.resource == property.path.resource
                                    && p.read(&report).is_some()
                            });
                        if !same_nested_resource {
                            prop_assert_eq!(property.read(&merged), property.read(state), "{}: {}", dir, key);
                        }
                    }
                }
            }
        }

        #[test]
        fn merge_put_and_read_never_panic_on_arbitrary_json(
            mut cached in arbitrary_json(),
            report in arbitrary_json(),
            fixture in 0usize..70,
            pick in any::<prop::sample::Index>(),
            value in scalar(),
        ) {
            merge_report(&mut cached, &report);
            let all = fixtures();
            let (_, profile, _) = &all[fixture % all.len()];
            for property in &profile.properties {
                let _ = property.read(&cached);
                let _ = property.check_write(&report);
            }
            if !profile.properties.is_empty() {
                let property = &profile.properties[pick.index(profile.properties.len())];
                put(&mut cached, &property.path, value.clone());
                prop_assert_eq!(property.read(&cached), Some(value));
            }
        }
    }
}
