//! Control payloads for `POST /devices/{id}/control`, built with the SDK's rules
//! (`reference/thinq-api.md` §4.5).
//!
//! This file owns the entry point and the choice of property for each write (the value
//! checks themselves are [`Property::check_write`]'s, in the profile model). The rules of
//! LG's body are apart, one job a file: `companions.rs` adds what LG wants to see together,
//! `shape.rs` lays the writes out in LG's patterns, and `parse.rs` reads a body back into
//! writes (the inverse, for the simulated cloud).

mod companions;
mod parse;
mod shape;
#[cfg(test)]
mod test_devices;

use super::profile::{CommandError, Profile, Property, PropertyPath};
use serde_json::Value;

pub use parse::parse_control;

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
    companions::add_companions(profile, device_type, state, &mut checked);
    shape::shape(&checked)
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

#[cfg(test)]
mod tests {
    use super::test_devices::{Expect::*, ac, device};
    use super::*;
    use crate::thinq::profile::LocationKind;
    use serde_json::json;

    #[test]
    fn air_conditioner_mode_and_power() {
        ac().check(&[
            (
                &[("airConJobMode.currentJobMode", json!("COOL"))],
                Body(json!({"airConJobMode": {"currentJobMode": "COOL"}})),
            ),
            (
                &[("operation.airConOperationMode", json!("POWER_OFF"))],
                Body(json!({"operation": {"airConOperationMode": "POWER_OFF"}})),
            ),
            (
                &[("airConJobMode.currentJobMode", json!("HEAT"))],
                RefusedAs(|e| matches!(e, CommandError::NotInEnum { .. })),
            ),
        ]);
    }

    #[test]
    fn wind_strength_prefers_the_detail_attribute() {
        device("air_conditioner2", "DEVICE_AIR_CONDITIONER").check(&[
            (
                &[("airFlow.windStrength", json!("MID"))],
                Body(json!({"airFlow": {"windStrengthDetail": "MID"}})),
            ),
            // AUTO is only a plain wind strength on this unit.
            (
                &[("airFlow.windStrength", json!("AUTO"))],
                Body(json!({"airFlow": {"windStrength": "AUTO"}})),
            ),
            (
                &[("airFlow.windStrength", json!("TURBO"))],
                RefusedAs(|e| matches!(e, CommandError::NotInEnum { .. })),
            ),
        ]);
        // No detail attribute: plain wind strength.
        ac().expect(
            &[("airFlow.windStrength", json!("HIGH"))],
            &Body(json!({"airFlow": {"windStrength": "HIGH"}})),
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
}
