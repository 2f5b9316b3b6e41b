//! What a simulated appliance does with `POST /devices/{id}/control`: first the cloud's check
//! of the body against the device profile, then the device's reaction, expressed as the
//! partial state report it sends back over `DEVICE_STATUS`.
//!
//! This is written from LG's rules (thinq-api.md §4.2–§4.5) on purpose without using the
//! add-on's own profile or control code, so that it is an independent check of the bridge:
//! a payload the bridge gets wrong is refused here as LG would refuse it.

use serde_json::{Map, Value, json};

use super::envelope::{ApiError, code};

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

/// The resources a body addresses: the whole property object, or (pattern A) the entry for
/// the body's `location.locationName`.
fn resources_for<'a>(
    properties: &'a Value,
    body: &Map<String, Value>,
) -> Result<&'a Map<String, Value>, ApiError> {
    let location = body.get("location");
    match properties {
        Value::Object(map) => {
            if location.is_some() {
                return Err(invalid_command("this device has no locations"));
            }
            Ok(map)
        }
        Value::Array(entries) => {
            let name = location
                .and_then(|l| l.get("locationName"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    ApiError::with_message(
                        code::MISSING_PARAMETERS,
                        "location.locationName is required for this device",
                    )
                })?;
            entries
                .iter()
                .find(|e| location_name(e) == Some(name))
                .and_then(Value::as_object)
                .ok_or_else(|| {
                    ApiError::with_message(
                        code::UNACCEPTABLE_PARAMETERS,
                        format!("unknown location {name}"),
                    )
                })
        }
        _ => Err(invalid_command(
            "the profile has no controllable properties",
        )),
    }
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

/// Whether a descriptor's `mode` includes `letter`. LG writes `["r","w"]`; one example
/// writes `"rw"`.
fn has_mode(descriptor: &Map<String, Value>, letter: char) -> bool {
    match descriptor.get("mode") {
        Some(Value::Array(modes)) => modes
            .iter()
            .filter_map(Value::as_str)
            .any(|m| m.contains(letter)),
        Some(Value::String(mode)) => mode.contains(letter),
        _ => false,
    }
}

fn location_name(entry: &Value) -> Option<&str> {
    entry
        .get("location")
        .and_then(|l| l.get("locationName"))
        .and_then(Value::as_str)
}

fn invalid_command(message: impl Into<String>) -> ApiError {
    ApiError::with_message(code::INVALID_COMMAND_ERROR, message)
}

fn unacceptable(message: impl Into<String>) -> ApiError {
    ApiError::with_message(code::UNACCEPTABLE_PARAMETERS, message)
}

/// The device's reaction to a control the cloud accepted: the partial report it sends,
/// shaped like its state. Fails with the device's refusal (remote control off, already on,
/// already off). An empty object means "nothing visible changed".
pub fn react(profile: &Value, state: &Value, body: &Value) -> Result<Value, ApiError> {
    let Some(body) = body.as_object() else {
        return Ok(json!({}));
    };
    let Some(properties) = profile.get("property") else {
        let mut report = Map::new();
        for (unit, sub_body) in body {
            let sub_profile = profile.get(unit).unwrap_or(&Value::Null);
            let sub_state = state.get(unit).unwrap_or(&Value::Null);
            let sub_report = react(sub_profile, sub_state, sub_body)?;
            if !super::state::is_empty_report(&sub_report) {
                report.insert(unit.clone(), sub_report);
            }
        }
        return Ok(Value::Object(report));
    };
    let location = body
        .get("location")
        .and_then(|l| l.get("locationName"))
        .and_then(Value::as_str);
    let empty = Map::new();
    let resources = resources_for(properties, body).unwrap_or(&empty);
    let container = match (state, location) {
        (Value::Array(entries), Some(name)) => entries
            .iter()
            .find(|e| location_name(e) == Some(name))
            .unwrap_or(&Value::Null),
        _ => state,
    };

    let mut changes = Map::new();
    for (resource, attributes) in body {
        let Some(attributes) = attributes.as_object() else {
            continue;
        };
        match resources.get(resource) {
            Some(Value::Object(descriptors)) => react_object(
                resources,
                container,
                resource,
                descriptors,
                attributes,
                &mut changes,
            )?,
            Some(Value::Array(_)) => react_entries(container, resource, attributes, &mut changes),
            _ => {}
        }
    }
    mirror_thermostat(container, &mut changes);

    if changes.is_empty() {
        return Ok(json!({}));
    }
    Ok(match (state, location) {
        (Value::Array(_), Some(name)) => {
            changes.insert("location".into(), json!({"locationName": name}));
            Value::Array(vec![Value::Object(changes)])
        }
        (_, Some(name)) => {
            changes.insert("location".into(), json!({"locationName": name}));
            Value::Object(changes)
        }
        _ => Value::Object(changes),
    })
}

/// Applies an object resource: readable attributes take the new value; operation modes act
/// on the run state; a write-only `*TargetTemperature` becomes the target.
fn react_object(
    resources: &Map<String, Value>,
    container: &Value,
    resource: &str,
    descriptors: &Map<String, Value>,
    attributes: &Map<String, Value>,
    changes: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    for (name, value) in attributes {
        if name == "unit" {
            continue;
        }
        let readable = descriptors
            .get(name)
            .and_then(Value::as_object)
            .is_some_and(|d| has_mode(d, 'r'));
        if resource == "operation" && name.ends_with("OperationMode") {
            let command = value.as_str().unwrap_or("");
            operate(resources, container, name, command, readable, changes)?;
        } else if readable {
            set(changes, resource, name, value.clone());
        } else if name.ends_with("TargetTemperature")
            && container
                .get(resource)
                .and_then(|r| r.get("targetTemperature"))
                .is_some()
        {
            set(changes, resource, "targetTemperature", value.clone());
        }
    }
    Ok(())
}

/// Applies an operation command the way appliances answer it: POWER_ON when on is refused
/// with 2302, POWER_OFF when off with 2304 (HA ignores both, so LG must send them), START
/// with remote control off with 2301. A run state follows the command.
fn operate(
    resources: &Map<String, Value>,
    container: &Value,
    name: &str,
    command: &str,
    readable: bool,
    changes: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let current_mode = container
        .get("operation")
        .and_then(|o| o.get(name))
        .and_then(Value::as_str);
    let run_state = container
        .get("runState")
        .and_then(|r| r.get("currentState"))
        .and_then(Value::as_str);
    let remote_off = container
        .get("remoteControlEnable")
        .and_then(|r| r.get("remoteControlEnabled"))
        .and_then(Value::as_bool)
        == Some(false);
    let powered_off = current_mode == Some("POWER_OFF") || run_state == Some("POWER_OFF");
    let next_run_state: &[&str] = match command {
        "POWER_ON" | "WAKE_UP" => {
            if current_mode == Some("POWER_ON") || run_state.is_some_and(|s| s != "POWER_OFF") {
                return Err(ApiError::new(code::COMMAND_NOT_SUPPORTED_IN_STATE));
            }
            &["INITIAL", "STANDBY"]
        }
        "POWER_OFF" => {
            if powered_off {
                return Err(ApiError::new(code::COMMAND_NOT_SUPPORTED_IN_POWER_OFF));
            }
            &["POWER_OFF"]
        }
        "START" => {
            if remote_off {
                return Err(ApiError::new(code::COMMAND_NOT_SUPPORTED_IN_REMOTE_OFF));
            }
            if run_state == Some("POWER_OFF") {
                return Err(ApiError::new(code::COMMAND_NOT_SUPPORTED_IN_POWER_OFF));
            }
            &["RUNNING", "DETECTING", "COOKING_IN_PROGRESS", "WORKING"]
        }
        "STOP" => &["PAUSE", "INITIAL", "STANDBY"],
        _ => &[],
    };
    if readable {
        set(
            changes,
            "operation",
            name,
            Value::String(command.to_owned()),
        );
    }
    if run_state.is_some()
        && let Some(next) = next_run_state
            .iter()
            .find(|s| allows_read(resources, "runState", "currentState", s))
    {
        set(
            changes,
            "runState",
            "currentState",
            Value::String((*next).to_owned()),
        );
    }
    Ok(())
}

/// Applies an array resource (pattern B by location, pattern C by unit). Temperatures with
/// a C/F twin are converted so both entries (or both keys) stay consistent.
fn react_entries(
    container: &Value,
    resource: &str,
    attributes: &Map<String, Value>,
    changes: &mut Map<String, Value>,
) {
    let current = container
        .get(resource)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let by_location = attributes.get("locationName").is_some();
    let key = if by_location { "locationName" } else { "unit" };
    let Some(wanted) = attributes.get(key).and_then(Value::as_str) else {
        return;
    };
    let Some(entry) = current
        .iter()
        .find(|e| e.get(key).and_then(Value::as_str) == Some(wanted))
    else {
        return;
    };
    let mut change = Map::new();
    change.insert(key.into(), Value::String(wanted.to_owned()));
    for (name, value) in attributes {
        if name == key || name == "unit" {
            continue;
        }
        let target = if entry.get(name).is_some() {
            name.as_str()
        } else if name.ends_with("TargetTemperature") && entry.get("targetTemperature").is_some() {
            "targetTemperature"
        } else {
            continue;
        };
        change.insert(target.to_owned(), value.clone());
        // Pattern B keeps both `…C` and `…F` keys in one entry.
        if let Some(number) = value.as_f64() {
            if let Some(base) = target.strip_suffix('C')
                && entry.get(format!("{base}F")).is_some()
            {
                change.insert(format!("{base}F"), number_value(c_to_f(number)));
            } else if let Some(base) = target.strip_suffix('F')
                && entry.get(format!("{base}C")).is_some()
            {
                change.insert(format!("{base}C"), number_value(f_to_c(number)));
            }
        }
    }
    if change.len() <= 1 {
        return;
    }
    let mut entries = vec![Value::Object(change.clone())];
    if !by_location {
        // Pattern C: the other unit's entry follows.
        for other in &current {
            let Some(unit) = other.get("unit").and_then(Value::as_str) else {
                continue;
            };
            if unit == wanted {
                continue;
            }
            let mut converted = Map::new();
            converted.insert("unit".into(), Value::String(unit.to_owned()));
            for (name, value) in &change {
                if name == "unit" || other.get(name).is_none() {
                    continue;
                }
                if let Some(number) = value.as_f64() {
                    converted.insert(name.clone(), number_value(convert(number, wanted, unit)));
                }
            }
            if converted.len() > 1 {
                entries.push(Value::Object(converted));
            }
        }
    }
    append_entries(changes, resource, entries);
}

/// Keeps an air conditioner's two views of its target in step: the older single-unit
/// `temperature` resource and the per-unit `temperatureInUnits` entries.
fn mirror_thermostat(container: &Value, changes: &mut Map<String, Value>) {
    let legacy = container.get("temperature").filter(|t| t.is_object());
    let per_unit = container
        .get("temperatureInUnits")
        .and_then(Value::as_array);
    let (Some(legacy), Some(per_unit)) = (legacy, per_unit) else {
        return;
    };
    let legacy_unit = legacy.get("unit").and_then(Value::as_str).unwrap_or("C");
    let changed_legacy = changes
        .get("temperature")
        .and_then(|t| t.get("targetTemperature"))
        .and_then(Value::as_f64);
    let changed_per_unit = changes
        .get("temperatureInUnits")
        .and_then(Value::as_array)
        .and_then(|entries| {
            entries
                .iter()
                .find(|e| e.get("unit").and_then(Value::as_str) == Some(legacy_unit))
        })
        .and_then(|e| e.get("targetTemperature"))
        .and_then(Value::as_f64);
    if let Some(target) = changed_legacy
        && changed_per_unit.is_none()
    {
        let entries = per_unit
            .iter()
            .filter_map(|e| e.get("unit").and_then(Value::as_str))
            .map(|unit| {
                json!({"targetTemperature": number_value(convert(target, legacy_unit, unit)), "unit": unit})
            })
            .collect();
        append_entries(changes, "temperatureInUnits", entries);
    } else if let Some(target) = changed_per_unit
        && changed_legacy.is_none()
    {
        set(
            changes,
            "temperature",
            "targetTemperature",
            number_value(target),
        );
    }
}

fn allows_read(resources: &Map<String, Value>, resource: &str, name: &str, value: &str) -> bool {
    resources
        .get(resource)
        .and_then(|r| r.get(name))
        .and_then(|d| d.get("value"))
        .and_then(|v| v.get("r"))
        .and_then(Value::as_array)
        .is_some_and(|allowed| allowed.iter().any(|a| a.as_str() == Some(value)))
}

fn set(changes: &mut Map<String, Value>, resource: &str, name: &str, value: Value) {
    let entry = changes
        .entry(resource.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(map) = entry {
        map.insert(name.to_owned(), value);
    }
}

fn append_entries(changes: &mut Map<String, Value>, resource: &str, entries: Vec<Value>) {
    let slot = changes
        .entry(resource.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(existing) = slot {
        existing.extend(entries);
    }
}

/// Converts a temperature between units (same unit: unchanged), rounded to whole degrees as
/// appliances display them.
pub fn convert(value: f64, from: &str, to: &str) -> f64 {
    match (from, to) {
        ("C", "F") => c_to_f(value),
        ("F", "C") => f_to_c(value),
        _ => value,
    }
}

fn c_to_f(c: f64) -> f64 {
    (c * 9.0 / 5.0 + 32.0).round()
}

fn f_to_c(f: f64) -> f64 {
    ((f - 32.0) * 5.0 / 9.0).round()
}

/// A JSON number that stays an integer when it is whole (LG reports `25`, not `25.0`).
pub fn number_value(number: f64) -> Value {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        json!(number as i64)
    } else {
        json!(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::devices::{AIR_CONDITIONER_ID, REFRIGERATOR_ID, SimDevice, WASHER_ID};

    fn device(id: &str) -> SimDevice {
        SimDevice::fixture_set()
            .into_iter()
            .find(|d| d.id() == id)
            .expect("fixture")
    }

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
    fn a_temperature_control_moves_both_units_and_the_legacy_resource() {
        let ac = device(AIR_CONDITIONER_ID);
        let body = json!({"temperatureInUnits": {"coolTargetTemperature": 22, "unit": "C"}});
        let report = react(&ac.profile, &ac.state, &body).expect("reaction");
        assert_eq!(
            report,
            json!({
                "temperatureInUnits": [
                    {"unit": "C", "targetTemperature": 22},
                    {"unit": "F", "targetTemperature": 72}
                ],
                "temperature": {"targetTemperature": 22}
            })
        );
    }

    #[test]
    fn power_commands_follow_the_current_state() {
        let ac = device(AIR_CONDITIONER_ID);
        let on = json!({"operation": {"airConOperationMode": "POWER_ON"}});
        assert_eq!(
            react(&ac.profile, &ac.state, &on).map_err(|e| e.code),
            Err("2302".to_owned())
        );
        let off = json!({"operation": {"airConOperationMode": "POWER_OFF"}});
        assert_eq!(
            react(&ac.profile, &ac.state, &off).expect("off"),
            json!({"operation": {"airConOperationMode": "POWER_OFF"}})
        );
    }

    #[test]
    fn the_washer_refuses_start_with_remote_control_off() {
        let washer = device(WASHER_ID);
        let start = json!({"location": {"locationName": "MAIN"}, "operation": {"washerOperationMode": "START"}});
        assert_eq!(
            react(&washer.profile, &washer.state, &start).map_err(|e| e.code),
            Err("2301".to_owned())
        );
        let power_on = json!({"location": {"locationName": "MAIN"}, "operation": {"washerOperationMode": "POWER_ON"}});
        assert_eq!(
            react(&washer.profile, &washer.state, &power_on).expect("on"),
            json!({"runState": {"currentState": "INITIAL"}, "location": {"locationName": "MAIN"}})
        );
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
