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
    use super::super::test_devices::{Device, Expect::*, device};
    use crate::thinq::profile::CommandError;
    use serde_json::json;

    #[test]
    fn air_conditioner_two_set_sends_heat_cool_and_unit() {
        let ac = device("lg-developer/air_conditioner", "DEVICE_AIR_CONDITIONER");
        ac.check(&[
            (
                &[(
                    "twoSetTemperatureInUnits.C.heatTargetTemperature",
                    json!(20),
                )],
                Text(
                    r#"{"twoSetTemperatureInUnits":{"heatTargetTemperature":20,"coolTargetTemperature":29.5,"unit":"C"}}"#,
                ),
            ),
            (
                &[(
                    "twoSetTemperatureInUnits.F.coolTargetTemperature",
                    json!(80),
                )],
                Body(
                    json!({"twoSetTemperatureInUnits": {"coolTargetTemperature": 80, "heatTargetTemperature": 58, "unit": "F"}}),
                ),
            ),
            (
                &[
                    (
                        "twoSetTemperatureInUnits.C.heatTargetTemperature",
                        json!(18.5),
                    ),
                    (
                        "twoSetTemperatureInUnits.C.coolTargetTemperature",
                        json!(25),
                    ),
                ],
                Body(
                    json!({"twoSetTemperatureInUnits": {"heatTargetTemperature": 18.5, "coolTargetTemperature": 25, "unit": "C"}}),
                ),
            ),
        ]);
        // Without the other side in the state, only the written side goes.
        let bare = Device {
            state: json!({}),
            ..ac
        };
        bare.expect(
            &[(
                "twoSetTemperatureInUnits.C.heatTargetTemperature",
                json!(20),
            )],
            &Body(json!({"twoSetTemperatureInUnits": {"heatTargetTemperature": 20, "unit": "C"}})),
        );
    }

    #[test]
    fn hood_and_microwave_send_fan_and_lamp_together() {
        device("hood", "DEVICE_HOOD").check(&[
            (
                &[("ventilation.fanSpeed", json!(2))],
                Text(r#"{"ventilation":{"fanSpeed":2},"lamp":{"lampBrightness":2}}"#),
            ),
            (
                &[("lamp.lampBrightness", json!("0"))],
                Body(json!({"lamp": {"lampBrightness": 0}, "ventilation": {"fanSpeed": 1}})),
            ),
            (
                &[("ventilation.fanSpeed", json!(6))],
                RefusedAs(|e| matches!(e, CommandError::OutOfRange { .. })),
            ),
        ]);
        device("lg-developer/microwave_oven", "DEVICE_MICROWAVE_OVEN").expect(
            &[("lamp.lampBrightness", json!(1))],
            &Body(json!({"lamp": {"lampBrightness": 1}, "ventilation": {"fanSpeed": 3}})),
        );
    }

    #[test]
    fn cooktop_burner_gets_the_whole_payload() {
        device("lg-developer/cooktop", "DEVICE_COOKTOP").check(&[
            (
                &[("LEFT_FRONT.power.powerLevel", json!(5))],
                Text(
                    r#"{"location":{"locationName":"LEFT_FRONT"},"power":{"powerLevel":5},"timer":{"remainHour":0,"remainMinute":27}}"#,
                ),
            ),
            (
                &[
                    ("LEFT_FRONT.power.powerLevel", json!(5)),
                    ("RIGHT_FRONT.power.powerLevel", json!(5)),
                ],
                RefusedAs(|e| matches!(e, CommandError::Conflict(_))),
            ),
            (
                &[("operation.operationMode", json!("POWER_OFF"))],
                Body(json!({"operation": {"operationMode": "POWER_OFF"}})),
            ),
        ]);
    }
}
