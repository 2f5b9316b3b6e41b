//! Reading a control body back into the writes it makes: the inverse of the shape rules in
//! [`super::shape`]. The simulated cloud applies commands with it.
//!
//! Apart from building because it runs the other way, from LG's body to property paths, and
//! is used by the other side of the wire.

use super::Write;
use crate::thinq::location::{LOCATION, UNIT, entry_name_key, location_name_of};
use crate::thinq::profile::{CommandError, LocationKind, Profile, Property, PropertyPath};
use serde_json::{Map, Value};

/// Reads a control body back into the writes it makes: the inverse of [`super::build_control`]'s
/// shape rules (values are not checked here; pass the result to [`super::build_control`] or
/// [`Property::check_write`] for that). The simulated cloud applies commands with it.
pub fn parse_control(profile: &Profile, body: &Value) -> Result<Vec<Write>, CommandError> {
    let Value::Object(body) = body else {
        return Err(CommandError::UnknownCommand(format!(
            "control body is not an object: {body}"
        )));
    };
    let mut writes = Vec::new();
    if profile.sub_devices.is_empty() {
        parse_device_body(profile, None, body, &mut writes)?;
    } else {
        for (sub, inner) in body {
            let Value::Object(inner) = inner else {
                return Err(CommandError::UnknownCommand(format!(
                    "{sub} is not an object"
                )));
            };
            if !profile.sub_devices.contains(sub) {
                return Err(CommandError::UnknownCommand(format!(
                    "{sub} is not a sub-device of this device"
                )));
            }
            parse_device_body(profile, Some(sub), inner, &mut writes)?;
        }
    }
    Ok(writes)
}

fn parse_device_body(
    profile: &Profile,
    sub_device: Option<&str>,
    body: &Map<String, Value>,
    writes: &mut Vec<Write>,
) -> Result<(), CommandError> {
    let location = location_name_of(body);
    for (resource, members) in body {
        if resource == LOCATION {
            continue;
        }
        let Value::Object(members) = members else {
            return Err(CommandError::UnknownCommand(format!(
                "{resource} is not an object"
            )));
        };
        let candidates: Vec<&Property> = profile
            .properties
            .iter()
            .filter(|p| p.path.sub_device.as_deref() == sub_device && p.path.resource == *resource)
            .collect();
        let has_kind = |kind: LocationKind| candidates.iter().any(|p| p.path.location_kind == kind);
        let name_key = entry_name_key(resource);
        let unit = members.get(UNIT).and_then(Value::as_str);
        let (kind, entry, skip) = match (members.get(name_key).and_then(Value::as_str), unit) {
            (Some(name), _) if has_kind(LocationKind::ResourceArray) => {
                (LocationKind::ResourceArray, Some(name), Some(name_key))
            }
            (_, Some(unit)) if has_kind(LocationKind::UnitArray) => {
                (LocationKind::UnitArray, Some(unit), Some(UNIT))
            }
            _ if location.is_some() && has_kind(LocationKind::PropertyArray) => {
                (LocationKind::PropertyArray, location, None)
            }
            _ => (LocationKind::None, None, None),
        };
        for (attribute, value) in members {
            if Some(attribute.as_str()) == skip {
                continue;
            }
            let mut path = PropertyPath {
                sub_device: sub_device.map(str::to_owned),
                location: entry.map(str::to_owned),
                location_kind: kind,
                resource: resource.clone(),
                attribute: attribute.clone(),
            };
            if kind == LocationKind::PropertyArray && attribute == UNIT {
                continue;
            }
            if kind == LocationKind::PropertyArray
                && let Some(unit) = unit
            {
                let nested = PropertyPath {
                    attribute: crate::thinq::profile::nested_unit_attribute(attribute, unit),
                    ..path.clone()
                };
                if profile.at(&nested).is_some() {
                    path = nested;
                }
            }
            if profile.at(&path).is_none() {
                return Err(CommandError::UnknownProperty(path.key()));
            }
            writes.push(Write {
                path,
                value: value.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_devices::{ac, device};
    use super::*;
    use serde_json::json;

    #[test]
    fn parse_control_inverts_the_shapes() {
        let oven = device("lg-developer/oven", "DEVICE_OVEN");
        let writes = parse_control(&oven.profile, &json!({"location": {"locationName": "UPPER"}, "operation": {"ovenOperationMode": "STOP"}})).expect("writes");
        assert_eq!(
            writes,
            vec![oven.write("UPPER.operation.ovenOperationMode", json!("STOP"))]
        );
        let fridge = device("lg-developer/refrigerator", "DEVICE_REFRIGERATOR");
        let writes = parse_control(
            &fridge.profile,
            &json!({"temperatureInUnits": {"locationName": "FRIDGE", "targetTemperatureC": 3}}),
        )
        .expect("writes");
        assert_eq!(
            writes,
            vec![fridge.write("temperatureInUnits.FRIDGE.targetTemperatureC", json!(3))]
        );
        let ac = ac();
        let writes = parse_control(
            &ac.profile,
            &json!({"temperatureInUnits": {"coolTargetTemperature": 22, "unit": "C"}}),
        )
        .expect("writes");
        assert_eq!(
            writes,
            vec![ac.write("temperatureInUnits.C.coolTargetTemperature", json!(22))]
        );
        assert!(matches!(
            parse_control(&ac.profile, &json!({"nothing": {"here": 1}})),
            Err(CommandError::UnknownProperty(_))
        ));
        assert!(matches!(
            parse_control(&ac.profile, &json!([1])),
            Err(CommandError::UnknownCommand(_))
        ));
        let tower = device("lg-developer/washtower", "DEVICE_WASHTOWER");
        assert!(matches!(
            parse_control(&tower.profile, &json!({"styler": {}})),
            Err(CommandError::UnknownCommand(_))
        ));
    }
}
