//! LG's body shape for a set of checked writes: `{resource: {attribute: value}}` merged per
//! resource, pattern A's top-level `location`, pattern B's `locationName` (or a switch's
//! `switchName`) inside the resource, pattern C's `unit` beside the value, pattern D's
//! sub-device wrapper; and the conflicts one body cannot express (two locations, two units,
//! two sub-devices).
//!
//! Apart from the entry point because it is pure layout: every value here has been checked.

use crate::thinq::location::{LOCATION, UNIT, location_member};
use crate::thinq::profile::{CommandError, LocationKind, Property};
use serde_json::{Map, Value};

/// Lays the checked writes out in LG's body shape.
pub(super) fn shape(checked: &[(&Property, Value)]) -> Result<Value, CommandError> {
    let sub_device = single(
        checked.iter().map(|(p, _)| p.path.sub_device.as_deref()),
        "sub-devices",
    )?
    .flatten();
    let location = single(
        checked
            .iter()
            .filter(|(p, _)| p.path.location_kind == LocationKind::PropertyArray)
            .map(|(p, _)| p.path.location.as_deref()),
        "locations",
    )?
    .flatten();

    let mut body = Map::new();
    if let Some(location) = location {
        body.insert(LOCATION.to_owned(), location_member(location));
    }
    // Units to add after a resource's attributes (pattern C and nested units), so that the
    // value comes first as in LG's examples.
    let mut units: Vec<(String, String)> = Vec::new();
    for (property, value) in checked {
        let path = &property.path;
        let resource = body
            .entry(path.resource.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(resource) = resource else {
            return Err(CommandError::Conflict(format!(
                "{} is also used as a location member",
                path.resource
            )));
        };
        match path.location_kind {
            LocationKind::None => {
                resource.insert(path.attribute.clone(), value.clone());
            }
            LocationKind::PropertyArray => match path.nested_unit() {
                Some((stem, unit)) => {
                    note_unit(&mut units, &path.resource, unit)?;
                    resource.insert(stem.to_owned(), value.clone());
                }
                None => {
                    resource.insert(path.attribute.clone(), value.clone());
                }
            },
            LocationKind::ResourceArray => {
                let name_key = path.entry_name_key();
                let name = path.location.clone().unwrap_or_default();
                match resource.get(name_key).and_then(Value::as_str) {
                    Some(existing) if existing != name => {
                        return Err(CommandError::Conflict(format!(
                            "{} of {} and {} cannot be written in one command",
                            path.resource, existing, name
                        )));
                    }
                    Some(_) => {}
                    None => {
                        resource.insert(name_key.to_owned(), Value::String(name));
                    }
                }
                resource.insert(path.attribute.clone(), value.clone());
            }
            LocationKind::UnitArray => {
                note_unit(
                    &mut units,
                    &path.resource,
                    path.location.as_deref().unwrap_or_default(),
                )?;
                resource.insert(path.attribute.clone(), value.clone());
            }
        }
    }
    for (resource, unit) in units {
        if let Some(Value::Object(members)) = body.get_mut(&resource) {
            members.insert(UNIT.to_owned(), Value::String(unit));
        }
    }
    Ok(match sub_device {
        Some(sub) => Value::Object(Map::from_iter([(sub.to_owned(), Value::Object(body))])),
        None => Value::Object(body),
    })
}

/// The one value all items share (`None` when there are no items); two different values
/// are a conflict, since one body addresses one sub-device and one location.
fn single<'a>(
    mut items: impl Iterator<Item = Option<&'a str>>,
    what: &str,
) -> Result<Option<Option<&'a str>>, CommandError> {
    let Some(first) = items.next() else {
        return Ok(None);
    };
    for other in items {
        if other != first {
            return Err(CommandError::Conflict(format!(
                "writes address different {what} ({} and {})",
                first.unwrap_or("the device"),
                other.unwrap_or("the device")
            )));
        }
    }
    Ok(Some(first))
}

fn note_unit(
    units: &mut Vec<(String, String)>,
    resource: &str,
    unit: &str,
) -> Result<(), CommandError> {
    match units.iter().find(|(r, _)| r == resource) {
        Some((_, existing)) if existing != unit => Err(CommandError::Conflict(format!(
            "{resource} in {existing} and in {unit} cannot be written in one command"
        ))),
        Some(_) => Ok(()),
        None => {
            units.push((resource.to_owned(), unit.to_owned()));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_devices::{Device, Expect::*, ac, device, load};
    use crate::thinq::profile::{CommandError, Profile};
    use serde_json::json;

    #[test]
    fn air_conditioner_unit_temperatures_send_value_and_unit() {
        // In this profile the per-unit `targetTemperature` is read-only; the writable one per
        // unit is `coolTargetTemperature`, which goes out without its entry, with the unit.
        ac().check(&[
            (
                &[("temperatureInUnits.C.targetTemperature", json!(22))],
                Refused(CommandError::NotWritable(
                    "temperatureInUnits.C.targetTemperature".into(),
                )),
            ),
            (
                &[("temperatureInUnits.C.coolTargetTemperature", json!("22"))],
                Body(json!({"temperatureInUnits": {"coolTargetTemperature": 22, "unit": "C"}})),
            ),
            (
                &[("temperatureInUnits.F.coolTargetTemperature", json!(66))],
                Body(json!({"temperatureInUnits": {"coolTargetTemperature": 66, "unit": "F"}})),
            ),
            (
                &[("temperatureInUnits.F.coolTargetTemperature", json!(65))],
                RefusedAs(|e| matches!(e, CommandError::OutOfRange { .. })),
            ),
            // Two units of one resource cannot share a body.
            (
                &[
                    ("temperatureInUnits.C.coolTargetTemperature", json!(22)),
                    ("temperatureInUnits.F.coolTargetTemperature", json!(72)),
                ],
                RefusedAs(|e| matches!(e, CommandError::Conflict(_))),
            ),
            // The plain legacy resource is a plain write.
            (
                &[("temperature.targetTemperature", json!(22.0))],
                Body(json!({"temperature": {"targetTemperature": 22}})),
            ),
        ]);
    }

    #[test]
    fn writable_unit_target_temperature_has_the_sdk_shape() {
        // The same AC profile with a writable per-unit target, as newer units report it.
        let mut raw = load("air_conditioner/profile.json");
        raw["property"]["temperatureInUnits"][0]["targetTemperature"] = json!({"type": "range", "mode": ["r", "w"], "value": {"r": {"min": 18, "max": 30, "step": 1}, "w": {"min": 18, "max": 30, "step": 1}}});
        let ac = Device {
            profile: Profile::parse(&raw).expect("profile"),
            state: load("air_conditioner/status.json"),
            device_type: "DEVICE_AIR_CONDITIONER",
        };
        ac.expect(
            &[("temperatureInUnits.C.targetTemperature", json!(22))],
            &Text(r#"{"temperatureInUnits":{"targetTemperature":22,"unit":"C"}}"#),
        );
        device("lg-developer/system_boiler", "DEVICE_SYSTEM_BOILER").check(&[
            (
                &[("hotWaterTemperatureInUnits.C.targetTemperature", json!(50))],
                Body(json!({"hotWaterTemperatureInUnits": {"targetTemperature": 50, "unit": "C"}})),
            ),
            (
                &[(
                    "roomTemperatureInUnits.C.airCoolTargetTemperature",
                    json!(24),
                )],
                Body(
                    json!({"roomTemperatureInUnits": {"airCoolTargetTemperature": 24, "unit": "C"}}),
                ),
            ),
        ]);
    }

    #[test]
    fn washer_adds_the_location() {
        device("washer", "DEVICE_WASHER").check(&[
            (
                &[("MAIN.operation.washerOperationMode", json!("START"))],
                Text(
                    r#"{"location":{"locationName":"MAIN"},"operation":{"washerOperationMode":"START"}}"#,
                ),
            ),
            (
                &[("MAIN.runState.currentState", json!("RUNNING"))],
                Refused(CommandError::NotWritable(
                    "MAIN.runState.currentState".into(),
                )),
            ),
            (
                &[("MAIN.detergent.detergentSetting", json!("NORMAL"))],
                Refused(CommandError::NotWritable(
                    "MAIN.detergent.detergentSetting".into(),
                )),
            ),
        ]);
    }

    #[test]
    fn refrigerator_puts_the_location_inside_and_keeps_the_suffix() {
        device("lg-developer/refrigerator", "DEVICE_REFRIGERATOR").check(&[
            (
                &[("temperatureInUnits.FRIDGE.targetTemperatureC", json!("3"))],
                Text(r#"{"temperatureInUnits":{"locationName":"FRIDGE","targetTemperatureC":3}}"#),
            ),
            (
                &[("temperatureInUnits.FREEZER.targetTemperatureF", json!(7))],
                RefusedAs(|e| matches!(e, CommandError::Excluded { .. })),
            ),
            (
                &[
                    ("temperatureInUnits.FRIDGE.targetTemperatureC", json!(3)),
                    ("temperatureInUnits.FREEZER.targetTemperatureC", json!(-20)),
                ],
                RefusedAs(|e| matches!(e, CommandError::Conflict(_))),
            ),
            (
                &[("refrigeration.expressMode", json!("ON"))],
                Body(json!({"refrigeration": {"expressMode": true}})),
            ),
        ]);
    }

    #[test]
    fn switches_are_named_by_switch_name() {
        device("lg-developer/light_switch", "DEVICE_LIGHT_SWITCH").expect(
            &[("switchState.SWITCH_1.currentSwitch", json!("ON"))],
            &Text(r#"{"switchState":{"switchName":"SWITCH_1","currentSwitch":"ON"}}"#),
        );
    }

    #[test]
    fn washtower_wraps_in_the_sub_device() {
        device("lg-developer/washtower", "DEVICE_WASHTOWER").check(&[
            (
                &[("washer.operation.washerOperationMode", json!("START"))],
                Body(json!({"washer": {"operation": {"washerOperationMode": "START"}}})),
            ),
            (
                &[("dryer.operation.dryerOperationMode", json!("STOP"))],
                Body(json!({"dryer": {"operation": {"dryerOperationMode": "STOP"}}})),
            ),
            (
                &[
                    ("washer.operation.washerOperationMode", json!("START")),
                    ("dryer.operation.dryerOperationMode", json!("START")),
                ],
                RefusedAs(|e| matches!(e, CommandError::Conflict(_))),
            ),
        ]);
    }
}
