//! The simulated cloud's check of a control body against the device profile, as LG's cloud
//! answers before the appliance hears of it: every resource and attribute exists and is
//! writable, every value is allowed (enums, booleans, ranges with step and `except`),
//! location and unit are present where the profile needs them. A refusal carries LG's code.
//!
//! Apart from the device's reaction (`react.rs`) because the cloud refuses a body
//! without asking the appliance: a body that passes here may still be refused by the device.

use serde_json::{Map, Value};

use super::{has_mode, invalid_command, resources_for};
use crate::sim::envelope::{ApiError, code};

/// Checks a control body against the profile: every resource and attribute exists, is
/// writable, and carries an allowed value; location and unit are present where the profile
/// needs them. Returns LG's error otherwise.
pub fn check(profile: &Value, body: &Value) -> Result<(), ApiError> {
    let body = body.as_object().ok_or_else(|| {
        ApiError::with_message(
            code::UNACCEPTABLE_PARAMETERS,
            "control body must be an object",
        )
    })?;
    if body.is_empty() {
        return Err(ApiError::with_message(
            code::MISSING_PARAMETERS,
            "empty control body",
        ));
    }
    let Some(properties) = profile.get("property") else {
        // Pattern D (washtower): one sub-profile per unit, the body wrapped in the unit's key.
        for (unit, sub_body) in body {
            let sub_profile = profile
                .get(unit)
                .filter(|p| p.get("property").is_some())
                .ok_or_else(|| invalid_command(format!("unknown unit {unit}")))?;
            check(sub_profile, sub_body)?;
        }
        return Ok(());
    };
    // Resources only `extensionProperty` lists (a cooktop's whole-device `operation`) take no
    // location: LG's own example is `{"operation": {"operationMode": "POWER_OFF"}}`.
    if let Some(extension) = profile.get("extensionProperty").and_then(Value::as_object)
        && body.keys().all(|r| extension.contains_key(r))
    {
        return check_resources(extension, body);
    }
    let resources = resources_for(properties, body)?;
    check_resources(resources, body)
}

/// Checks every resource of `body` against the profile's `resources`.
fn check_resources(
    resources: &Map<String, Value>,
    body: &Map<String, Value>,
) -> Result<(), ApiError> {
    for (resource, attributes) in body {
        if resource == "location" {
            continue;
        }
        let descriptor = resources
            .get(resource)
            .ok_or_else(|| invalid_command(format!("{resource} is not in the profile")))?;
        let attributes = attributes
            .as_object()
            .ok_or_else(|| invalid_command(format!("{resource} must be an object")))?;
        match descriptor {
            Value::Object(descriptors) => check_attributes(resource, descriptors, attributes, "")?,
            Value::Array(entries) => {
                let (key, entry) = entry_for(resource, entries, attributes)?;
                let descriptors = entry
                    .as_object()
                    .ok_or_else(|| invalid_command(format!("{resource} is not controllable")))?;
                check_attributes(resource, descriptors, attributes, key)?;
            }
            _ => return Err(invalid_command(format!("{resource} is not controllable"))),
        }
    }
    Ok(())
}

/// For an array resource: the entry the body names, by `locationName` (pattern B) or by
/// `unit` (pattern C). Returns the key used and the entry.
fn entry_for<'a>(
    resource: &str,
    entries: &'a [Value],
    attributes: &Map<String, Value>,
) -> Result<(&'static str, &'a Value), ApiError> {
    // Entries are told apart by location (pattern B), by switch (a switch strip's
    // `switchName`, as LG's example body has it) or by unit (pattern C).
    let key = ["locationName", "switchName"]
        .into_iter()
        .find(|k| entries.iter().any(|e| e.get(*k).is_some()))
        .unwrap_or("unit");
    let wanted = attributes.get(key).and_then(Value::as_str).ok_or_else(|| {
        ApiError::with_message(
            code::MISSING_PARAMETERS,
            format!("{resource}.{key} is required"),
        )
    })?;
    let entry = entries
        .iter()
        .find(|e| e.get(key).and_then(Value::as_str) == Some(wanted))
        .ok_or_else(|| {
            ApiError::with_message(
                code::UNACCEPTABLE_PARAMETERS,
                format!("{resource} has no entry {wanted}"),
            )
        })?;
    Ok((key, entry))
}

fn check_attributes(
    resource: &str,
    descriptors: &Map<String, Value>,
    attributes: &Map<String, Value>,
    entry_key: &str,
) -> Result<(), ApiError> {
    let mut controls_something = false;
    for (name, value) in attributes {
        if name == entry_key {
            continue;
        }
        if name == "unit" {
            // The derived temperature unit may ride along (the SDK sends it with every
            // temperature) although it is read-only; it must be a real unit.
            if matches!(value.as_str(), Some("C" | "F")) {
                continue;
            }
            return Err(unacceptable(format!("{resource}.unit must be C or F")));
        }
        controls_something = true;
        let descriptor = descriptors
            .get(name)
            .ok_or_else(|| invalid_command(format!("{resource}.{name} is not in the profile")))?;
        check_value(resource, name, descriptor, value)?;
    }
    if controls_something {
        Ok(())
    } else {
        Err(ApiError::with_message(
            code::MISSING_PARAMETERS,
            format!("{resource} names no attribute to control"),
        ))
    }
}

fn check_value(
    resource: &str,
    name: &str,
    descriptor: &Value,
    value: &Value,
) -> Result<(), ApiError> {
    let what = format!("{resource}.{name}");
    let Some(descriptor) = descriptor.as_object() else {
        return Err(invalid_command(format!("{what} is a read-only constant")));
    };
    if !has_mode(descriptor, 'w') {
        return Err(invalid_command(format!("{what} is not writable")));
    }
    let writable = descriptor.get("value").and_then(|v| v.get("w"));
    let kind = descriptor.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "enum" | "list" | "boolean" => {
            if kind == "boolean" && !value.is_boolean() {
                return Err(unacceptable(format!("{what} takes true or false")));
            }
            match writable.and_then(Value::as_array) {
                Some(allowed) if allowed.contains(value) => Ok(()),
                Some(_) => Err(unacceptable(format!("{value} is not allowed for {what}"))),
                None if kind == "boolean" => Ok(()),
                None => Err(invalid_command(format!("{what} lists no writable values"))),
            }
        }
        "range" => {
            let number = value
                .as_f64()
                .ok_or_else(|| unacceptable(format!("{what} takes a number")))?;
            let range =
                writable.ok_or_else(|| invalid_command(format!("{what} has no writable range")))?;
            if in_range(range, number) {
                Ok(())
            } else {
                Err(unacceptable(format!(
                    "{value} is outside the range of {what}"
                )))
            }
        }
        "number" => value
            .is_number()
            .then_some(())
            .ok_or_else(|| unacceptable(format!("{what} takes a number"))),
        "string" => value
            .is_string()
            .then_some(())
            .ok_or_else(|| unacceptable(format!("{what} takes a string"))),
        // A type LG adds later: accept what it is given, as the cloud would pass it through.
        _ => Ok(()),
    }
}

/// LG's range rule: min ≤ v ≤ max, on a step from min, and not in `except`.
fn in_range(range: &Value, number: f64) -> bool {
    let bound = |key: &str| range.get(key).and_then(Value::as_f64);
    if bound("min").is_some_and(|min| number < min) || bound("max").is_some_and(|max| number > max)
    {
        return false;
    }
    if let (Some(step), Some(min)) = (bound("step"), bound("min"))
        && step > 0.0
    {
        let steps = (number - min) / step;
        if (steps - steps.round()).abs() > 1e-6 {
            return false;
        }
    }
    let excluded = range
        .get("except")
        .and_then(Value::as_array)
        .is_some_and(|except| except.iter().any(|e| e.as_f64() == Some(number)));
    !excluded
}

fn unacceptable(message: impl Into<String>) -> ApiError {
    ApiError::with_message(code::UNACCEPTABLE_PARAMETERS, message)
}

#[cfg(test)]
mod tests {
    use super::super::fixture_device as device;
    use super::*;
    use crate::sim::devices::{AIR_CONDITIONER_ID, REFRIGERATOR_ID, WASHER_ID};
    use serde_json::json;

    fn code_of(result: Result<(), ApiError>) -> String {
        result.err().map(|e| e.code).unwrap_or_default()
    }

    #[test]
    fn accepts_valid_air_conditioner_controls() {
        let ac = device(AIR_CONDITIONER_ID);
        for body in [
            json!({"airConJobMode": {"currentJobMode": "COOL"}}),
            json!({"operation": {"airConOperationMode": "POWER_OFF"}}),
            json!({"temperatureInUnits": {"coolTargetTemperature": 22, "unit": "C"}}),
            json!({"temperatureInUnits": {"coolTargetTemperature": 72, "unit": "F"}}),
            json!({"temperature": {"targetTemperature": 22, "unit": "C"}}),
            json!({"windDirection": {"rotateUpDown": true}}),
            json!({"timer": {"absoluteHourToStart": 7, "absoluteMinuteToStart": 30}}),
        ] {
            assert_eq!(check(&ac.profile, &body), Ok(()), "{body}");
        }
    }

    #[test]
    fn refuses_what_the_profile_does_not_allow() {
        let ac = device(AIR_CONDITIONER_ID);
        let cases = [
            (json!({"airConJobMode": {"currentJobMode": "HEAT"}}), "1102"),
            (
                json!({"temperatureInUnits": {"coolTargetTemperature": 17, "unit": "C"}}),
                "1102",
            ),
            (
                json!({"temperatureInUnits": {"coolTargetTemperature": 71, "unit": "F"}}),
                "1102",
            ),
            (
                json!({"temperatureInUnits": {"coolTargetTemperature": 22}}),
                "1101",
            ),
            (
                json!({"temperatureInUnits": {"targetTemperature": 22, "unit": "C"}}),
                "2207",
            ),
            (json!({"temperature": {"currentTemperature": 22}}), "2207"),
            (json!({"nonsense": {"x": 1}}), "2207"),
            (json!({"powerSave": {"powerSaveEnabled": "yes"}}), "1102"),
            (json!({}), "1101"),
            (json!([1, 2]), "1102"),
            (
                json!({"location": {"locationName": "MAIN"}, "operation": {"airConOperationMode": "POWER_ON"}}),
                "2207",
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(code_of(check(&ac.profile, &body)), expected, "{body}");
        }
    }

    #[test]
    fn pattern_a_needs_a_known_location() {
        let washer = device(WASHER_ID);
        let start = json!({"location": {"locationName": "MAIN"}, "operation": {"washerOperationMode": "START"}});
        assert_eq!(check(&washer.profile, &start), Ok(()));
        let no_location = json!({"operation": {"washerOperationMode": "START"}});
        assert_eq!(code_of(check(&washer.profile, &no_location)), "1101");
        let wrong = json!({"location": {"locationName": "MINI"}, "operation": {"washerOperationMode": "START"}});
        assert_eq!(code_of(check(&washer.profile, &wrong)), "1102");
    }

    #[test]
    fn pattern_b_needs_the_location_inside_and_honours_except() {
        let fridge = device(REFRIGERATOR_ID);
        let ok = json!({"temperatureInUnits": {"locationName": "FRIDGE", "targetTemperatureC": 3}});
        assert_eq!(check(&fridge.profile, &ok), Ok(()));
        let missing = json!({"temperatureInUnits": {"targetTemperatureC": 3}});
        assert_eq!(code_of(check(&fridge.profile, &missing)), "1101");
        let excepted =
            json!({"temperatureInUnits": {"locationName": "FREEZER", "targetTemperatureF": 7}});
        assert_eq!(code_of(check(&fridge.profile, &excepted)), "1102");
    }

    #[test]
    fn range_steps_and_bounds() {
        let range = json!({"min": 64, "max": 86, "step": 2});
        assert!(in_range(&range, 64.0));
        assert!(in_range(&range, 86.0));
        assert!(!in_range(&range, 65.0));
        assert!(!in_range(&range, 88.0));
        let half = json!({"min": 16, "max": 30, "step": 0.5});
        assert!(in_range(&half, 22.5));
        assert!(!in_range(&half, 22.25));
    }
}
