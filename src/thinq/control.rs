//! Control payloads for `POST /devices/{id}/control`, built with the SDK's rules
//! (`reference/thinq-api.md` §4.5).

use super::location::{LOCATION, UNIT, entry_name_key, location_member, location_name_of};
use super::profile::{CommandError, LocationKind, Profile, Property, PropertyPath};
use serde_json::{Map, Value};

/// One attribute to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub path: PropertyPath,
    pub value: Value,
}

/// Builds one control body for several writes to the same device.
///
/// Each write is checked with [`super::profile::Property::check_write`] first. Then the
/// shape rules apply: `{resource: {attribute: value}}` merged per resource; pattern A adds a
/// top-level `location`; pattern B puts `locationName` inside the resource and keeps the C/F
/// suffix; pattern C drops the unit entry and adds `"unit"` beside the value; pattern D wraps
/// in the sub-device key; hood/microwave send `fanSpeed` and `lampBrightness` together and
/// AC two-set sends heat+cool+unit together (the missing side from `state`); wind strength
/// goes to `windStrengthDetail` when the profile has it.
///
/// Also: a cooktop burner always gets power level, remaining hour and remaining minute
/// together (the ones not written from `state`), as LG's SDK does. A companion value the
/// state does not hold is left out rather than invented. When the same path is written
/// twice, the later value wins.
pub fn build_control(
    profile: &Profile,
    device_type: &str,
    state: &Value,
    writes: &[Write],
) -> Result<Value, CommandError> {
    if writes.is_empty() {
        return Err(CommandError::Conflict(
            "there is nothing to write".to_owned(),
        ));
    }
    let mut checked: Vec<(&Property, Value)> = Vec::new();
    for write in writes {
        let property = profile
            .at(&write.path)
            .ok_or_else(|| CommandError::UnknownProperty(write.path.key()))?;
        let (property, value) = preferred_wind_property(profile, property, &write.value)?;
        add_checked(&mut checked, property, value);
    }
    add_companions(profile, device_type, state, &mut checked);
    shape(&checked)
}

/// Keeps one value per path; a later write replaces an earlier one in place.
fn add_checked<'a>(checked: &mut Vec<(&'a Property, Value)>, property: &'a Property, value: Value) {
    match checked.iter_mut().find(|(p, _)| p.path == property.path) {
        Some(slot) => slot.1 = value,
        None => checked.push((property, value)),
    }
}

/// The same path with another resource and attribute (same sub-device and location).
fn sibling(path: &PropertyPath, resource: &str, attribute: &str) -> PropertyPath {
    PropertyPath {
        resource: resource.to_owned(),
        attribute: attribute.to_owned(),
        ..path.clone()
    }
}

/// Wind strength goes to `windStrengthDetail` when the profile has it writable (LG's SDK
/// prefers it), as long as the value is one the detail accepts; a value only plain
/// `windStrength` knows (`AUTO` on some units) still goes there. Everything else passes
/// through [`Property::check_write`] unchanged.
fn preferred_wind_property<'a>(
    profile: &'a Profile,
    property: &'a Property,
    value: &Value,
) -> Result<(&'a Property, Value), CommandError> {
    let path = &property.path;
    let is_wind = path.resource == "airFlow" && path.attribute == "windStrength";
    let detail = profile
        .at(&sibling(path, "airFlow", "windStrengthDetail"))
        .filter(|d| d.writable);
    match (is_wind, detail) {
        (true, Some(detail)) => match detail.check_write(value) {
            Ok(checked) => Ok((detail, checked)),
            Err(detail_error) => match property.check_write(value) {
                Ok(checked) => Ok((property, checked)),
                Err(_) => Err(detail_error),
            },
        },
        _ => Ok((property, property.check_write(value)?)),
    }
}

/// Attributes LG wants to see together in one body: for each written member of a group, the
/// group's other members (same sub-device and location) that exist, are writable, and are
/// not written already, with their current value from `state`.
fn add_companions<'a>(
    profile: &'a Profile,
    device_type: &str,
    state: &Value,
    checked: &mut Vec<(&'a Property, Value)>,
) {
    const FAN_AND_LAMP: &[(&str, &str)] =
        &[("ventilation", "fanSpeed"), ("lamp", "lampBrightness")];
    const TWO_SET: &[(&str, &str)] = &[
        ("twoSetTemperatureInUnits", "heatTargetTemperature"),
        ("twoSetTemperatureInUnits", "coolTargetTemperature"),
    ];
    const TWO_SET_PLAIN: &[(&str, &str)] = &[
        ("twoSetTemperature", "heatTargetTemperature"),
        ("twoSetTemperature", "coolTargetTemperature"),
    ];
    const BURNER: &[(&str, &str)] = &[
        ("power", "powerLevel"),
        ("timer", "remainHour"),
        ("timer", "remainMinute"),
    ];

    // Hood and microwave are the devices with both members; the rule follows the profile so
    // that a new type with the same pair behaves the same.
    let mut groups: Vec<&[(&str, &str)]> = vec![FAN_AND_LAMP, TWO_SET, TWO_SET_PLAIN];
    if device_type == "DEVICE_COOKTOP" {
        groups.push(BURNER);
    }
    let written: Vec<PropertyPath> = checked.iter().map(|(p, _)| p.path.clone()).collect();
    for path in &written {
        for group in &groups {
            if !group
                .iter()
                .any(|(r, a)| path.resource == *r && path.attribute == *a)
            {
                continue;
            }
            for (resource, attribute) in group.iter() {
                let partner_path = sibling(path, resource, attribute);
                if checked.iter().any(|(p, _)| p.path == partner_path) {
                    continue;
                }
                let Some(partner) = profile.at(&partner_path).filter(|p| p.writable) else {
                    continue;
                };
                let Some(current) = partner.read(state) else {
                    continue;
                };
                // The device's own value, normalised like a written one when it passes the
                // checks (`22.0` → `22`); sent as reported otherwise, since it is what the
                // device holds now.
                let value = partner.check_write(&current).unwrap_or(current);
                checked.push((partner, value));
            }
        }
    }
}

/// Lays the checked writes out in LG's body shape.
fn shape(checked: &[(&Property, Value)]) -> Result<Value, CommandError> {
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

/// Reads a control body back into the writes it makes: the inverse of [`build_control`]'s
/// shape rules (values are not checked here; pass the result to [`build_control`] or
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
                    attribute: super::profile::nested_unit_attribute(attribute, unit),
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
    use super::*;
    use serde_json::json;

    fn load(relative: &str) -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(relative);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    struct Device {
        profile: Profile,
        state: Value,
        device_type: &'static str,
    }

    fn device(dir: &str, device_type: &'static str) -> Device {
        let profile = Profile::parse(&load(&format!("{dir}/profile.json"))).expect("profile");
        Device {
            profile,
            state: load(&format!("{dir}/status.json")),
            device_type,
        }
    }

    impl Device {
        fn write(&self, key: &str, value: Value) -> Write {
            let property = self
                .profile
                .get(key)
                .unwrap_or_else(|| panic!("no property {key}"));
            Write {
                path: property.path.clone(),
                value,
            }
        }

        fn build(&self, writes: &[(&str, Value)]) -> Result<Value, CommandError> {
            let writes: Vec<Write> = writes
                .iter()
                .map(|(k, v)| self.write(k, v.clone()))
                .collect();
            build_control(&self.profile, self.device_type, &self.state, &writes)
        }
    }

    fn ac() -> Device {
        device("air_conditioner", "DEVICE_AIR_CONDITIONER")
    }

    #[test]
    fn air_conditioner_mode_and_power() {
        let ac = ac();
        assert_eq!(
            ac.build(&[("airConJobMode.currentJobMode", json!("COOL"))]),
            Ok(json!({"airConJobMode": {"currentJobMode": "COOL"}}))
        );
        assert_eq!(
            ac.build(&[("operation.airConOperationMode", json!("POWER_OFF"))]),
            Ok(json!({"operation": {"airConOperationMode": "POWER_OFF"}}))
        );
        assert!(matches!(
            ac.build(&[("airConJobMode.currentJobMode", json!("HEAT"))]),
            Err(CommandError::NotInEnum { .. })
        ));
    }

    #[test]
    fn air_conditioner_unit_temperatures_send_value_and_unit() {
        let ac = ac();
        // In this profile the per-unit `targetTemperature` is read-only; the writable one per
        // unit is `coolTargetTemperature`, which goes out without its entry, with the unit.
        assert_eq!(
            ac.build(&[("temperatureInUnits.C.targetTemperature", json!(22))]),
            Err(CommandError::NotWritable(
                "temperatureInUnits.C.targetTemperature".into()
            ))
        );
        assert_eq!(
            ac.build(&[("temperatureInUnits.C.coolTargetTemperature", json!("22"))]),
            Ok(json!({"temperatureInUnits": {"coolTargetTemperature": 22, "unit": "C"}}))
        );
        assert_eq!(
            ac.build(&[("temperatureInUnits.F.coolTargetTemperature", json!(66))]),
            Ok(json!({"temperatureInUnits": {"coolTargetTemperature": 66, "unit": "F"}}))
        );
        assert!(matches!(
            ac.build(&[("temperatureInUnits.F.coolTargetTemperature", json!(65))]),
            Err(CommandError::OutOfRange { .. })
        ));
        // Two units of one resource cannot share a body.
        assert!(matches!(
            ac.build(&[
                ("temperatureInUnits.C.coolTargetTemperature", json!(22)),
                ("temperatureInUnits.F.coolTargetTemperature", json!(72))
            ]),
            Err(CommandError::Conflict(_))
        ));
        // The plain legacy resource is a plain write.
        assert_eq!(
            ac.build(&[("temperature.targetTemperature", json!(22.0))]),
            Ok(json!({"temperature": {"targetTemperature": 22}}))
        );
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
        let body = ac
            .build(&[("temperatureInUnits.C.targetTemperature", json!(22))])
            .expect("body");
        assert_eq!(
            body,
            json!({"temperatureInUnits": {"targetTemperature": 22, "unit": "C"}})
        );
        assert_eq!(
            body.to_string(),
            r#"{"temperatureInUnits":{"targetTemperature":22,"unit":"C"}}"#
        );
        let boiler = device("lg-developer/system_boiler", "DEVICE_SYSTEM_BOILER");
        assert_eq!(
            boiler.build(&[("hotWaterTemperatureInUnits.C.targetTemperature", json!(50))]),
            Ok(json!({"hotWaterTemperatureInUnits": {"targetTemperature": 50, "unit": "C"}}))
        );
        assert_eq!(
            boiler.build(&[(
                "roomTemperatureInUnits.C.airCoolTargetTemperature",
                json!(24)
            )]),
            Ok(json!({"roomTemperatureInUnits": {"airCoolTargetTemperature": 24, "unit": "C"}}))
        );
    }

    #[test]
    fn air_conditioner_two_set_sends_heat_cool_and_unit() {
        let ac = device("lg-developer/air_conditioner", "DEVICE_AIR_CONDITIONER");
        let body = ac
            .build(&[(
                "twoSetTemperatureInUnits.C.heatTargetTemperature",
                json!(20),
            )])
            .expect("body");
        assert_eq!(
            body,
            json!({"twoSetTemperatureInUnits": {"heatTargetTemperature": 20, "coolTargetTemperature": 29.5, "unit": "C"}})
        );
        assert_eq!(
            body.to_string(),
            r#"{"twoSetTemperatureInUnits":{"heatTargetTemperature":20,"coolTargetTemperature":29.5,"unit":"C"}}"#
        );
        assert_eq!(
            ac.build(&[(
                "twoSetTemperatureInUnits.F.coolTargetTemperature",
                json!(80)
            )]),
            Ok(
                json!({"twoSetTemperatureInUnits": {"coolTargetTemperature": 80, "heatTargetTemperature": 58, "unit": "F"}})
            )
        );
        assert_eq!(
            ac.build(&[
                (
                    "twoSetTemperatureInUnits.C.heatTargetTemperature",
                    json!(18.5)
                ),
                (
                    "twoSetTemperatureInUnits.C.coolTargetTemperature",
                    json!(25)
                )
            ]),
            Ok(
                json!({"twoSetTemperatureInUnits": {"heatTargetTemperature": 18.5, "coolTargetTemperature": 25, "unit": "C"}})
            )
        );
        // Without the other side in the state, only the written side goes.
        let bare = Device {
            state: json!({}),
            ..ac
        };
        assert_eq!(
            bare.build(&[(
                "twoSetTemperatureInUnits.C.heatTargetTemperature",
                json!(20)
            )]),
            Ok(json!({"twoSetTemperatureInUnits": {"heatTargetTemperature": 20, "unit": "C"}}))
        );
    }

    #[test]
    fn wind_strength_prefers_the_detail_attribute() {
        let ac2 = device("air_conditioner2", "DEVICE_AIR_CONDITIONER");
        assert_eq!(
            ac2.build(&[("airFlow.windStrength", json!("MID"))]),
            Ok(json!({"airFlow": {"windStrengthDetail": "MID"}}))
        );
        // AUTO is only a plain wind strength on this unit.
        assert_eq!(
            ac2.build(&[("airFlow.windStrength", json!("AUTO"))]),
            Ok(json!({"airFlow": {"windStrength": "AUTO"}}))
        );
        assert!(matches!(
            ac2.build(&[("airFlow.windStrength", json!("TURBO"))]),
            Err(CommandError::NotInEnum { .. })
        ));
        // No detail attribute: plain wind strength.
        assert_eq!(
            ac().build(&[("airFlow.windStrength", json!("HIGH"))]),
            Ok(json!({"airFlow": {"windStrength": "HIGH"}}))
        );
    }

    #[test]
    fn washer_adds_the_location() {
        let washer = device("washer", "DEVICE_WASHER");
        let body = washer
            .build(&[("MAIN.operation.washerOperationMode", json!("START"))])
            .expect("body");
        assert_eq!(
            body.to_string(),
            r#"{"location":{"locationName":"MAIN"},"operation":{"washerOperationMode":"START"}}"#
        );
        assert_eq!(
            washer.build(&[("MAIN.runState.currentState", json!("RUNNING"))]),
            Err(CommandError::NotWritable(
                "MAIN.runState.currentState".into()
            ))
        );
        assert_eq!(
            washer.build(&[("MAIN.detergent.detergentSetting", json!("NORMAL"))]),
            Err(CommandError::NotWritable(
                "MAIN.detergent.detergentSetting".into()
            ))
        );
    }

    #[test]
    fn refrigerator_puts_the_location_inside_and_keeps_the_suffix() {
        let fridge = device("lg-developer/refrigerator", "DEVICE_REFRIGERATOR");
        let body = fridge
            .build(&[("temperatureInUnits.FRIDGE.targetTemperatureC", json!("3"))])
            .expect("body");
        assert_eq!(
            body.to_string(),
            r#"{"temperatureInUnits":{"locationName":"FRIDGE","targetTemperatureC":3}}"#
        );
        assert!(matches!(
            fridge.build(&[("temperatureInUnits.FREEZER.targetTemperatureF", json!(7))]),
            Err(CommandError::Excluded { .. })
        ));
        assert!(matches!(
            fridge.build(&[
                ("temperatureInUnits.FRIDGE.targetTemperatureC", json!(3)),
                ("temperatureInUnits.FREEZER.targetTemperatureC", json!(-20))
            ]),
            Err(CommandError::Conflict(_))
        ));
        assert_eq!(
            fridge.build(&[("refrigeration.expressMode", json!("ON"))]),
            Ok(json!({"refrigeration": {"expressMode": true}}))
        );
    }

    #[test]
    fn switches_are_named_by_switch_name() {
        let strip = device("lg-developer/light_switch", "DEVICE_LIGHT_SWITCH");
        let body = strip
            .build(&[("switchState.SWITCH_1.currentSwitch", json!("ON"))])
            .expect("body");
        assert_eq!(
            body.to_string(),
            r#"{"switchState":{"switchName":"SWITCH_1","currentSwitch":"ON"}}"#
        );
    }

    #[test]
    fn washtower_wraps_in_the_sub_device() {
        let tower = device("lg-developer/washtower", "DEVICE_WASHTOWER");
        assert_eq!(
            tower.build(&[("washer.operation.washerOperationMode", json!("START"))]),
            Ok(json!({"washer": {"operation": {"washerOperationMode": "START"}}}))
        );
        assert_eq!(
            tower.build(&[("dryer.operation.dryerOperationMode", json!("STOP"))]),
            Ok(json!({"dryer": {"operation": {"dryerOperationMode": "STOP"}}}))
        );
        assert!(matches!(
            tower.build(&[
                ("washer.operation.washerOperationMode", json!("START")),
                ("dryer.operation.dryerOperationMode", json!("START"))
            ]),
            Err(CommandError::Conflict(_))
        ));
    }

    #[test]
    fn hood_and_microwave_send_fan_and_lamp_together() {
        let hood = device("hood", "DEVICE_HOOD");
        let body = hood
            .build(&[("ventilation.fanSpeed", json!(2))])
            .expect("body");
        assert_eq!(
            body.to_string(),
            r#"{"ventilation":{"fanSpeed":2},"lamp":{"lampBrightness":2}}"#
        );
        assert_eq!(
            hood.build(&[("lamp.lampBrightness", json!("0"))]),
            Ok(json!({"lamp": {"lampBrightness": 0}, "ventilation": {"fanSpeed": 1}}))
        );
        assert!(matches!(
            hood.build(&[("ventilation.fanSpeed", json!(6))]),
            Err(CommandError::OutOfRange { .. })
        ));
        let microwave = device("lg-developer/microwave_oven", "DEVICE_MICROWAVE_OVEN");
        assert_eq!(
            microwave.build(&[("lamp.lampBrightness", json!(1))]),
            Ok(json!({"lamp": {"lampBrightness": 1}, "ventilation": {"fanSpeed": 3}}))
        );
    }

    #[test]
    fn cooktop_burner_gets_the_whole_payload() {
        let cooktop = device("lg-developer/cooktop", "DEVICE_COOKTOP");
        let body = cooktop
            .build(&[("LEFT_FRONT.power.powerLevel", json!(5))])
            .expect("body");
        assert_eq!(
            body.to_string(),
            r#"{"location":{"locationName":"LEFT_FRONT"},"power":{"powerLevel":5},"timer":{"remainHour":0,"remainMinute":27}}"#
        );
        assert!(matches!(
            cooktop.build(&[
                ("LEFT_FRONT.power.powerLevel", json!(5)),
                ("RIGHT_FRONT.power.powerLevel", json!(5))
            ]),
            Err(CommandError::Conflict(_))
        ));
        assert_eq!(
            cooktop.build(&[("operation.operationMode", json!("POWER_OFF"))]),
            Ok(json!({"operation": {"operationMode": "POWER_OFF"}}))
        );
    }

    #[test]
    fn refusals_name_the_problem() {
        let ac = ac();
        assert_eq!(
            build_control(&ac.profile, ac.device_type, &ac.state, &[]),
            Err(CommandError::Conflict("there is nothing to write".into()))
        );
        let unknown = Write {
            path: PropertyPath {
                sub_device: None,
                location: None,
                location_kind: LocationKind::None,
                resource: "airFlow".into(),
                attribute: "windStrengthDetail".into(),
            },
            value: json!("LOW"),
        };
        let error =
            build_control(&ac.profile, ac.device_type, &ac.state, &[unknown]).expect_err("unknown");
        assert_eq!(
            error.to_string(),
            "unknown property airFlow.windStrengthDetail"
        );
        let error = ac
            .build(&[("powerSave.powerSaveEnabled", json!("maybe"))])
            .expect_err("bad bool");
        assert_eq!(
            error.to_string(),
            r#"powerSave.powerSaveEnabled: expected a boolean, got "maybe""#
        );
    }

    #[test]
    fn later_write_to_the_same_path_wins() {
        assert_eq!(
            ac().build(&[
                ("airConJobMode.currentJobMode", json!("COOL")),
                ("airConJobMode.currentJobMode", json!("AIR_DRY"))
            ]),
            Ok(json!({"airConJobMode": {"currentJobMode": "AIR_DRY"}}))
        );
    }

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
