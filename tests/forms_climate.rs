//! The climate forms on LG's developer-site examples: a system boiler is a `climate` (room)
//! plus a `water_heater` (hot water), an indoor unit a `climate`, the heat-pump water heater a
//! `water_heater` with Home Assistant's operation modes, an outdoor unit stays read-only
//! sensors, and an air conditioner with two-set temperatures gets `heat_cool` with a target
//! range. Every Home Assistant command checked here becomes a body that the simulated LG
//! cloud's own profile check (`sim::check_control`, written apart from the add-on's control
//! code) accepts.

#[path = "support/fixtures.rs"]
mod fixtures;

use fixtures::{assert_commands, assert_holds, shown};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use thinq_addon::hass::DeviceModel;
use thinq_addon::thinq::profile::CommandError;

/// A device of LG's example `folder` with `profile` (the example's, or one derived from it).
fn model(folder: &str, profile: &Value) -> DeviceModel {
    let (device, _, _) = fixtures::lg_example(folder);
    DeviceModel::new(device, profile).expect("profile parses")
}

/// The example as LG published it: model, raw profile, status.
fn example(folder: &str) -> (DeviceModel, Value, Value) {
    let (device, profile, status) = fixtures::lg_example(folder);
    let model = DeviceModel::new(device, &profile).expect("profile parses");
    (model, profile, status)
}

fn components(model: &DeviceModel) -> BTreeMap<String, Value> {
    let payload = model.discovery_payload(&fixtures::ctx());
    payload["cmps"]
        .as_object()
        .expect("cmps")
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Asserts what Home Assistant's commands of `table` (see [`fixtures::assert_commands`]) come
/// to for `state`: each body the simulated cloud's check accepts, or refused before sending.
#[track_caller]
fn assert_sends(model: &DeviceModel, profile: &Value, state: &Value, table: Value) {
    let id = &model.device.device_id;
    assert_commands(id, &table, |entity, feature, payload| {
        let body = model.command(entity, feature, payload, state)?;
        if let Err(e) = thinq_addon::sim::check_control(profile, &body) {
            panic!("{id}: {entity}/{feature} {payload}: {body} refused: {e:?}");
        }
        Ok::<_, CommandError>(body)
    });
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

#[test]
fn system_boiler_is_a_room_climate_and_a_hot_water_heater() {
    let (boiler, profile, status) = example("system_boiler");
    let cmps = components(&boiler);
    let climate = &cmps["climate"];
    assert_eq!(climate["p"], "climate");
    assert_eq!(strings(&climate["modes"]), ["off", "cool", "auto", "heat"]);
    assert_eq!(climate["temp_unit"], "C");
    // The boiler's targets go where LG wants them; the old single-unit resource, the job
    // mode, power and every room target are no entities of their own any more.
    for gone in [
        "boiler_job_mode_current_job_mode",
        "operation_boiler_operation_mode",
        "temperature_heat_target_temperature",
        "room_temperature_in_units_air_cool_target_temperature",
        "room_temperature_in_units_water_heat_target_temperature",
        "operation_hot_water_mode",
    ] {
        assert!(!cmps.contains_key(gone), "{gone} still has an entity");
    }
    let heater = &cmps["water_heater"];
    assert_holds(
        heater,
        &json!({"p": "water_heater", "name": "Hot water", "min_temp": 30, "max_temp": 80}),
    );
    assert_eq!(strings(&heater["modes"]), ["heat_pump", "off"]);
    // The circuit's water temperatures stay sensors.
    assert_eq!(
        cmps["room_temperature_in_units_out_water_current_temperature"]["p"],
        "sensor"
    );

    assert_holds(
        &shown(&boiler, &status),
        &json!({
            // boilerOperationMode is POWER_OFF.
            "climate/mode": "off",
            "climate/target_temperature": 18,
            "climate/current_temperature": 40,
            // hotWaterMode is OFF.
            "water_heater/mode": "off",
            "water_heater/current_temperature": 0
        }),
    );

    assert_sends(
        &boiler,
        &profile,
        &status,
        json!([
            // Heat from off: power and job mode in one body.
            ["climate/mode", "heat",
                {"operation": {"boilerOperationMode": "POWER_ON"}, "boilerJobMode": {"currentJobMode": "HEAT"}}],
            // The target of the running job mode (COOL), by air temperature (roomTempMode AIR).
            ["climate/temperature", "24",
                {"roomTemperatureInUnits": {"airCoolTargetTemperature": 24, "unit": "C"}}],
            // Hot water: on, off, temperature; outside LG's range refused before it is sent.
            ["water_heater/mode", "heat_pump", {"operation": {"hotWaterMode": "ON"}}],
            ["water_heater/power", "OFF", {"operation": {"hotWaterMode": "OFF"}}],
            ["water_heater/temperature", "50",
                {"hotWaterTemperatureInUnits": {"targetTemperature": 50, "unit": "C"}}],
            ["water_heater/temperature", "90", null]
        ]),
    );
    // Heating to a flow water temperature.
    let mut by_water = status.clone();
    by_water["operation"]["roomTempMode"] = json!("WATER");
    by_water["boilerJobMode"]["currentJobMode"] = json!("HEAT");
    assert_sends(
        &boiler,
        &profile,
        &by_water,
        json!([
            ["climate/temperature", "45",
                {"roomTemperatureInUnits": {"waterHeatTargetTemperature": 45, "unit": "C"}}]
        ]),
    );
}

#[test]
fn indoor_unit_is_a_climate_with_fan_and_swing() {
    let (idu, profile, status) = example("idu");
    let cmps = components(&idu);
    let climate = &cmps["climate"];
    assert_eq!(
        strings(&climate["modes"]),
        ["off", "auto", "cool", "dry", "fan_only", "heat"]
    );
    assert_eq!(
        strings(&climate["fan_modes"]),
        ["auto", "high", "medium", "low"]
    );
    assert_eq!(strings(&climate["swing_modes"]), ["on", "off"]);
    assert_holds(climate, &json!({"min_temp": 16, "max_temp": 30}));
    // The target limits are settings, not a range: numbers of their own, no heat_cool.
    assert!(climate.get("temp_lo_cmd_t").is_none());
    assert_eq!(
        cmps["temperature_target_temperature_low_limit"]["p"],
        "number"
    );
    assert_eq!(
        cmps["temperature_target_temperature_upper_limit"]["p"],
        "number"
    );

    assert_holds(
        &shown(&idu, &status),
        &json!({
            "climate/mode": "auto",
            "climate/target_temperature": 20,
            "climate/current_temperature": 23,
            "climate/fan_mode": "low",
            "climate/swing_mode": "off"
        }),
    );

    assert_sends(
        &idu,
        &profile,
        &status,
        json!([
            ["climate/mode", "cool", {"jobMode": {"iduJobMode": "COOL"}}],
            ["climate/temperature", "24", {"temperature": {"targetTemperature": 24}}],
            ["climate/fan_mode", "medium", {"airFlow": {"windStrength": "MED"}}],
            ["climate/swing_mode", "on", {"airFlow": {"windDirection": true}}],
            ["climate/mode", "off", {"operation": {"iduOperationMode": "POWER_OFF"}}]
        ]),
    );
}

#[test]
fn heat_pump_water_heater_uses_home_assistants_operation_modes() {
    let (heater, profile, status) = example("water_heater");
    let cmps = components(&heater);
    let entity = &cmps["water_heater"];
    assert_eq!(entity["p"], "water_heater");
    assert_eq!(
        strings(&entity["modes"]),
        ["heat_pump", "eco", "off", "performance"]
    );
    assert_holds(
        &shown(&heater, &status),
        &json!({
            // VACATION.
            "water_heater/mode": "off",
            "water_heater/target_temperature": 52
        }),
    );
    assert_sends(
        &heater,
        &profile,
        &status,
        json!([
            ["water_heater/mode", "heat_pump", {"waterHeaterJobMode": {"currentJobMode": "HEAT_PUMP"}}],
            ["water_heater/mode", "eco", {"waterHeaterJobMode": {"currentJobMode": "AUTO"}}],
            ["water_heater/mode", "performance", {"waterHeaterJobMode": {"currentJobMode": "TURBO"}}],
            ["water_heater/mode", "off", {"waterHeaterJobMode": {"currentJobMode": "VACATION"}}],
            ["water_heater/temperature", "55", {"temperature": {"targetTemperature": 55}}]
        ]),
    );
}

#[test]
fn outdoor_unit_stays_read_only_sensors() {
    let (odu, _, status) = example("odu");
    let cmps = components(&odu);
    assert!(
        cmps.values()
            .all(|c| c["p"] == "sensor" && c.get("cmd_t").is_none()),
        "{cmps:?}"
    );
    assert_holds(
        &shown(&odu, &status),
        &json!({
            "operation_operation_mode/state": "Stop",
            "temperature_air_temperature/state": 20
        }),
    );
}

/// LG's air conditioner example with AUTO and HEAT writable: its state reports AUTO with two
/// set points, but the published profile lists only AIR_DRY, COOL and AIR_CLEAN.
fn two_set_air_conditioner() -> (DeviceModel, Value, Value) {
    let (_, mut profile, status) = fixtures::lg_example("air_conditioner");
    let modes = json!(["AIR_DRY", "COOL", "AIR_CLEAN", "AUTO", "HEAT"]);
    profile["property"]["airConJobMode"]["currentJobMode"]["value"] =
        json!({"r": modes, "w": modes});
    (model("air_conditioner", &profile), profile, status)
}

#[test]
fn two_set_air_conditioner_has_heat_cool_with_a_target_range() {
    let (ac, profile, status) = two_set_air_conditioner();
    let cmps = components(&ac);
    let climate = &cmps["climate"];
    assert_eq!(
        strings(&climate["modes"]),
        ["off", "dry", "cool", "heat_cool", "heat", "fan_only"]
    );
    for (key, feature) in [
        ("temp_lo_cmd_t", "temperature_low/set"),
        ("temp_lo_stat_t", "target_temperature_low"),
        ("temp_hi_cmd_t", "temperature_high/set"),
        ("temp_hi_stat_t", "target_temperature_high"),
        ("temp_cmd_t", "temperature/set"),
    ] {
        assert_eq!(
            climate[key],
            format!("thinq/LGDEV-AIR-CONDITIONER/climate/{feature}"),
            "{key}"
        );
    }
    // One slider range covers the single target (16–30) and the range (4–37.5, step 0.5).
    assert_holds(
        climate,
        &json!({"min_temp": 4, "max_temp": 37.5, "precision": 0.5}),
    );
    // The bounds are the climate's, not numbers of their own.
    assert!(
        !cmps
            .keys()
            .any(|k| k.starts_with("two_set_temperature_in_units"))
    );
    assert_eq!(
        cmps["two_set_temperature_two_set_enabled"]["p"],
        "binary_sensor"
    );

    assert_holds(
        &shown(&ac, &status),
        &json!({
            "climate/mode": "heat_cool",
            "climate/target_temperature_low": 14,
            "climate/target_temperature_high": 29.5,
            // In heat_cool the single target is empty, so Home Assistant shows the range
            // slider.
            "climate/target_temperature": null
        }),
    );

    assert_sends(
        &ac,
        &profile,
        &status,
        json!([
            ["climate/mode", "heat_cool", {"airConJobMode": {"currentJobMode": "AUTO"}}],
            // Home Assistant sends a new range as two messages; each body carries both bounds,
            // and the second keeps the first's low although LG has not reported it yet.
            ["climate/temperature_low", "18", {"twoSetTemperatureInUnits":
                {"heatTargetTemperature": 18, "coolTargetTemperature": 29.5, "unit": "C"}}],
            ["climate/temperature_high", "26.5", {"twoSetTemperatureInUnits":
                {"heatTargetTemperature": 18, "coolTargetTemperature": 26.5, "unit": "C"}}],
            // Outside LG's range for the bound: refused, nothing sent.
            ["climate/temperature_low", "40", null]
        ]),
    );
    // Once LG reports, the state is what counts again.
    let mut reported = status.clone();
    reported["twoSetTemperatureInUnits"][0]["heatTargetTemperature"] = json!(17);
    reported["twoSetTemperatureInUnits"][0]["coolTargetTemperature"] = json!(26.5);
    assert_sends(
        &ac,
        &profile,
        &reported,
        json!([
            ["climate/temperature_high", "27", {"twoSetTemperatureInUnits":
                {"heatTargetTemperature": 17, "coolTargetTemperature": 27, "unit": "C"}}]
        ]),
    );

    // With the range switched off, AUTO follows its single target.
    let mut single = status.clone();
    single["twoSetTemperature"]["twoSetEnabled"] = json!(false);
    assert_eq!(shown(&ac, &single)["climate/target_temperature"], 14);
    assert_sends(
        &ac,
        &profile,
        &single,
        json!([
            ["climate/temperature", "21.5",
                {"temperatureInUnits": {"autoTargetTemperature": 21.5, "unit": "C"}}]
        ]),
    );

    // Cooling: the single target again, written to the cool target.
    let mut cooling = status.clone();
    cooling["airConJobMode"]["currentJobMode"] = json!("COOL");
    assert_eq!(shown(&ac, &cooling)["climate/target_temperature"], 14);
    assert_sends(
        &ac,
        &profile,
        &cooling,
        json!([
            ["climate/temperature", "22.5",
                {"temperatureInUnits": {"coolTargetTemperature": 22.5, "unit": "C"}}]
        ]),
    );
}

#[test]
fn published_air_conditioner_example_keeps_its_modes_and_gains_the_range() {
    // As LG published it, AUTO is not a job mode the unit takes: no heat_cool is offered
    // (it could not be set), the range can still be set and is shown.
    let (ac, profile, status) = example("air_conditioner");
    let climate = &components(&ac)["climate"];
    assert!(!strings(&climate["modes"]).contains(&"heat_cool"));
    assert!(climate.get("temp_lo_cmd_t").is_some());
    assert_holds(
        &shown(&ac, &status),
        &json!({
            "climate/target_temperature": 14,
            "climate/target_temperature_high": 29.5
        }),
    );
    assert_sends(
        &ac,
        &profile,
        &status,
        json!([
            ["climate/temperature_high", "28", {"twoSetTemperatureInUnits":
                {"heatTargetTemperature": 14, "coolTargetTemperature": 28, "unit": "C"}}]
        ]),
    );
}
