//! Writing one property's value into a state document of the matching shape, creating the
//! sub-device, location entry, resource and unit or name entry that are missing: the inverse
//! of [`crate::thinq::profile::Property::read`].
//!
//! Apart from the merge because it works from the profile's property paths, with its own
//! rules for turning a lone object into an array of entries.

use crate::thinq::location::{LOCATION, UNIT, location_member, location_name};
use crate::thinq::profile::{LocationKind, PropertyPath};
use serde_json::{Map, Value};

/// Writes one property's value into a state document of the matching shape, creating the
/// sub-device, location entry, resource and unit/name entry that are missing. The inverse of
/// [`Property::read`]: after `put(state, path, v)`, reading `path` gives `v`.
///
/// Used to apply a command to a cached or simulated state, and to build reports in tests.
///
/// [`Property::read`]: crate::thinq::profile::Property::read
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
    use super::super::load_fixture as load;
    use super::*;
    use crate::thinq::profile::Profile;
    use serde_json::json;

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
}
