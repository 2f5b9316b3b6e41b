//! One attribute of a profile ([`Property`]) and how its value is read from a state document
//! of any pattern (A–D).

use super::super::location::{location_object, named_entry, unit_entry};
use super::{LocationKind, PropertyPath, ValueSpec};
use serde_json::Value;

/// One attribute of a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub path: PropertyPath,
    pub spec: ValueSpec,
    /// `mode` contains `r` (constants are readable).
    pub readable: bool,
    /// `mode` contains `w`.
    pub writable: bool,
    /// The attribute's own `unit`, else its resource's; `None` when neither says.
    pub unit: Option<String>,
    /// Profile type `list`: the state holds several of the enum's values at once.
    pub list: bool,
}

impl Property {
    /// This property's current value in a full state document (`GET state` shape, including
    /// state arrays for patterns A/B/C and sub-devices for D). `None` when the state lacks it.
    pub fn read(&self, state: &Value) -> Option<Value> {
        let path = &self.path;
        let scope = match &path.sub_device {
            Some(sub) => state.get(sub.as_str())?,
            None => state,
        };
        let value = match path.location_kind {
            LocationKind::None => match scope {
                // A device-level value reported beside per-location entries: the first entry
                // that has it (see `state::merge_report`).
                Value::Array(entries) => entries
                    .iter()
                    .find_map(|e| e.get(path.resource.as_str())?.get(path.attribute.as_str()))?,
                _ => scope
                    .get(path.resource.as_str())?
                    .get(path.attribute.as_str())?,
            },
            LocationKind::PropertyArray => {
                let location = location_object(scope, path.location.as_deref()?)?;
                let resource = location.get(path.resource.as_str())?;
                match path.nested_unit() {
                    Some((stem, unit)) => unit_entry(resource, unit)?.get(stem)?,
                    None => resource.get(path.attribute.as_str())?,
                }
            }
            LocationKind::ResourceArray => {
                let resource = scope.get(path.resource.as_str())?;
                let name = path.location.as_deref()?;
                named_entry(resource, path.entry_name_key(), name)?.get(path.attribute.as_str())?
            }
            LocationKind::UnitArray => {
                let resource = scope.get(path.resource.as_str())?;
                unit_entry(resource, path.location.as_deref()?)?.get(path.attribute.as_str())?
            }
        };
        // LG writes `null` for "no value"; to a reader that is the same as absent.
        (!value.is_null()).then(|| value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Profile;
    use serde_json::json;

    #[test]
    fn read_tolerates_state_of_any_shape() {
        let profile = Profile::parse(&json!({"property": [
            {"location": {"locationName": "MAIN"}, "runState": {"currentState": {"type": "string", "mode": ["r"]}}}
        ]}))
        .expect("parses");
        let prop = profile.get("MAIN.runState.currentState").expect("prop");
        for state in [
            json!(null),
            json!(3),
            json!([]),
            json!([1, 2]),
            json!({"runState": 5}),
            json!({"runState": {"currentState": null}}),
        ] {
            assert_eq!(prop.read(&state), None, "{state}");
        }
        // An object naming another location is not this location.
        assert_eq!(
            prop.read(
                &json!({"location": {"locationName": "MINI"}, "runState": {"currentState": "X"}})
            ),
            None
        );
        assert_eq!(
            prop.read(
                &json!([{"location": {"locationName": "MAIN"}, "runState": {"currentState": "X"}}])
            ),
            Some("X".into())
        );
    }
}
