//! The attributes LG wants to see together in one control body: a hood's or microwave's fan
//! speed and lamp brightness, an air conditioner's heat and cool targets with their unit, a
//! cooktop burner's power level with its remaining time. The partner values come from the
//! device's current state.
//!
//! Apart from the body's layout ([`super::shape`]) because these are rules about *which*
//! attributes a command carries, not where they go.

use super::sibling;
use crate::thinq::profile::{Profile, Property, PropertyPath};
use serde_json::Value;

/// Attributes LG wants to see together in one body: for each written member of a group, the
/// group's other members (same sub-device and location) that exist, are writable, and are
/// not written already, with their current value from `state`.
pub(super) fn add_companions<'a>(
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

#[cfg(test)]
mod tests {
    use super::super::test_devices::{Device, device};
    use crate::thinq::profile::CommandError;
    use serde_json::json;

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
}
