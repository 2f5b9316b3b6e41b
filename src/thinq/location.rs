//! LG's location and unit patterns in one place (`reference/thinq-api.md` §4.3): how a profile,
//! a state document and a control body name a location (`location.locationName`, an entry's
//! `locationName` / `switchName`), and a temperature unit (`unit` entries, nested units).
//!
//! The profile parser ([`super::profile`]), the state merge and writer ([`super::state`]) and
//! the control bodies ([`super::control`]) all go through here, so a new spelling LG adds is
//! taught once.

use serde_json::{Map, Value, json};

/// The member of a pattern A entry (state, profile, control body) that holds its location.
pub const LOCATION: &str = "location";
/// The member naming a location: inside [`LOCATION`] (pattern A) or in a resource entry
/// (pattern B).
pub const LOCATION_NAME: &str = "locationName";
/// The member naming an entry of the switch devices' `switchState` array.
pub const SWITCH_NAME: &str = "switchName";
/// The member naming the temperature unit of an entry (pattern C) or of a control body.
pub const UNIT: &str = "unit";

/// How the location of a property is expressed (the patterns of `thinq-api.md` §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocationKind {
    /// A plain `{resource: {attribute: …}}` property.
    None,
    /// Pattern A: `property` is an array of objects, each with `location.locationName`;
    /// a control payload carries a top-level `"location": {"locationName": …}`.
    PropertyArray,
    /// Pattern B: the resource is an array of entries each with `locationName`; a control
    /// payload puts `locationName` inside the resource and keeps the attribute's C/F suffix.
    ResourceArray,
    /// Pattern C: the resource is an array with one entry per temperature `unit` (C / F);
    /// a control payload sends the attribute together with `"unit"`.
    UnitArray,
}

/// The member that names an entry of a pattern B resource array. LG uses `locationName`
/// everywhere except the switch devices, whose `switchState` entries carry `switchName`.
/// Both the state and a control body use the same member as the profile.
pub fn entry_name_key(resource: &str) -> &'static str {
    if resource == "switchState" {
        SWITCH_NAME
    } else {
        LOCATION_NAME
    }
}

/// The pattern A location an object names (`{"location": {"locationName": "UPPER"}, …}`).
pub fn location_name(entry: &Value) -> Option<&str> {
    entry.as_object().and_then(location_name_of)
}

/// [`location_name`] of an object's members (a profile entry, a control body).
pub fn location_name_of(members: &Map<String, Value>) -> Option<&str> {
    members.get(LOCATION)?.get(LOCATION_NAME)?.as_str()
}

/// The `location` member of a pattern A state entry or control body for `name`.
pub fn location_member(name: &str) -> Value {
    json!({ LOCATION_NAME: name })
}

/// Marker that ends a synthetic per-unit attribute name inside a pattern A location. It is
/// only ever produced by the profile parser for unit-keyed arrays, so a real attribute that
/// happens to end in `C`/`F` is never mistaken for one (see
/// [`super::profile::PropertyPath::nested_unit`]).
const NESTED_UNIT_SEPARATOR: char = '@';

/// The attribute name the profile parser gives one unit of a unit-keyed array nested in a
/// pattern A location: `nested_unit_attribute("targetTemperature", "F")` →
/// `targetTemperature@F`.
pub fn nested_unit_attribute(stem: &str, unit: &str) -> String {
    format!("{stem}{NESTED_UNIT_SEPARATOR}{unit}")
}

/// The inverse of [`nested_unit_attribute`]: (`targetTemperature`, `F`).
pub fn split_unit_suffix(attribute: &str) -> Option<(&str, &str)> {
    let (stem, unit) = attribute.rsplit_once(NESTED_UNIT_SEPARATOR)?;
    if stem.is_empty() || unit.is_empty() {
        return None;
    }
    Some((stem, unit))
}

/// The per-location object of a pattern A state: an array entry whose `location.locationName`
/// matches, or the state itself when it is one plain object (a single-tub washer reports that
/// way although its profile is a location array) and names no other location.
pub fn location_object<'a>(scope: &'a Value, location: &str) -> Option<&'a Value> {
    match scope {
        Value::Array(entries) => entries.iter().find(|e| location_name(e) == Some(location)),
        Value::Object(_) => match location_name(scope) {
            Some(name) if name != location => None,
            _ => Some(scope),
        },
        _ => None,
    }
}

/// The entry of a resource array whose `key` member equals `name`; a plain object stands for
/// one entry.
pub fn named_entry<'a>(resource: &'a Value, key: &str, name: &str) -> Option<&'a Value> {
    let matches = |entry: &Value| entry.get(key).and_then(Value::as_str) == Some(name);
    match resource {
        Value::Array(entries) => entries.iter().find(|e| matches(e)),
        Value::Object(_) if matches(resource) => Some(resource),
        _ => None,
    }
}

/// The entry of a unit-keyed resource for `unit`: an array entry with that `unit`, or a plain
/// object reporting that `unit` (the oven reports only its current unit).
pub fn unit_entry<'a>(resource: &'a Value, unit: &str) -> Option<&'a Value> {
    named_entry(resource, UNIT, unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_units_are_found_in_every_shape() {
        let washer = json!([{"location": {"locationName": "MAIN"}, "timer": {}}]);
        assert_eq!(location_object(&washer, "MAIN"), washer.get(0));
        assert!(location_object(&washer, "MINI").is_none());
        let single = json!({"timer": {}});
        assert_eq!(location_object(&single, "MAIN"), Some(&single));
        let fridge =
            json!([{"locationName": "FRIDGE", "t": 3}, {"locationName": "FREEZER", "t": -18}]);
        assert_eq!(
            named_entry(&fridge, entry_name_key("temperature"), "FREEZER"),
            fridge.get(1)
        );
        assert_eq!(entry_name_key("switchState"), SWITCH_NAME);
        let units = json!([{"unit": "C", "t": 20}, {"unit": "F", "t": 68}]);
        assert_eq!(unit_entry(&units, "F"), units.get(1));
        assert_eq!(location_member("UPPER"), json!({"locationName": "UPPER"}));
        let nested = nested_unit_attribute("targetTemperature", "F");
        assert_eq!(split_unit_suffix(&nested), Some(("targetTemperature", "F")));
        assert_eq!(split_unit_suffix("targetTemperatureF"), None);
    }
}
