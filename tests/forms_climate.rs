//! The climate forms on LG's developer-site examples: a system boiler is a `climate` (room)
//! plus a `water_heater` (hot water), an indoor unit a `climate`, the heat-pump water heater a
//! `water_heater` with Home Assistant's operation modes, an outdoor unit stays read-only
//! sensors, and an air conditioner with two-set temperatures gets `heat_cool` with a target
//! range. Every Home Assistant command checked here becomes a body that the simulated LG
//! cloud's own profile check (`sim::check_control`, written apart from the add-on's control
//! code) accepts.

#[path = "support/fixtures.rs"]
mod fixtures;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use thinq_addon::hass::DeviceModel;

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

/// `entity/feature` → published value.
fn states(model: &DeviceModel, status: &Value) -> BTreeMap<String, Value> {
    model
        .state_values(status)
        .into_iter()
        .map(|(entity, feature, value)| (format!("{entity}/{feature}"), value))
        .collect()
}

/// The body a Home Assistant command makes, after the simulated cloud's check accepted it.
fn accepted(
    model: &DeviceModel,
    profile: &Value,
    state: &Value,
    entity: &str,
    feature: &str,
    payload: &str,
) -> Value {
    let body = model
        .command(entity, feature, payload, state)
        .unwrap_or_else(|e| panic!("{entity}/{feature} {payload}: {e}"));
    if let Err(e) = thinq_addon::sim::check_control(profile, &body) {
        panic!("{entity}/{feature} {payload}: {body} refused: {e:?}");
    }
    body
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
    assert_eq!(heater["p"], "water_heater");
    assert_eq!(heater["name"], "Hot water");
    assert_eq!(strings(&heater["modes"]), ["heat_pump", "off"]);
    assert_eq!(
        (heater["min_temp"].clone(), heater["max_temp"].clone()),
        (json!(30), json!(80))
    );
    // The circuit's water temperatures stay sensors.
    assert_eq!(
        cmps["room_temperature_in_units_out_water_current_temperature"]["p"],
        "sensor"
    );

    let shown = states(&boiler, &status);
    assert_eq!(
        shown["climate/mode"], "off",
        "boilerOperationMode is POWER_OFF"
    );
    assert_eq!(shown["climate/target_temperature"], 18);
    assert_eq!(shown["climate/current_temperature"], 40);
    assert_eq!(shown["water_heater/mode"], "off", "hotWaterMode is OFF");
    assert_eq!(shown["water_heater/current_temperature"], 0);

    // Heat from off: power and job mode in one body.
    let body = accepted(&boiler, &profile, &status, "climate", "mode", "heat");
    assert_eq!(
        body,
        json!({"operation": {"boilerOperationMode": "POWER_ON"}, "boilerJobMode": {"currentJobMode": "HEAT"}})
    );
    // The target of the running job mode (COOL), by air temperature (roomTempMode AIR).
    let body = accepted(&boiler, &profile, &status, "climate", "temperature", "24");
    assert_eq!(
        body,
        json!({"roomTemperatureInUnits": {"airCoolTargetTemperature": 24, "unit": "C"}})
    );
    // Heating to a flow water temperature.
    let mut by_water = status.clone();
    by_water["operation"]["roomTempMode"] = json!("WATER");
    by_water["boilerJobMode"]["currentJobMode"] = json!("HEAT");
    let body = accepted(&boiler, &profile, &by_water, "climate", "temperature", "45");
    assert_eq!(
        body,
        json!({"roomTemperatureInUnits": {"waterHeatTargetTemperature": 45, "unit": "C"}})
    );
    // Hot water: on, off, temperature.
    let body = accepted(
        &boiler,
        &profile,
        &status,
        "water_heater",
        "mode",
        "heat_pump",
    );
    assert_eq!(body, json!({"operation": {"hotWaterMode": "ON"}}));
    let body = accepted(&boiler, &profile, &status, "water_heater", "power", "OFF");
    assert_eq!(body, json!({"operation": {"hotWaterMode": "OFF"}}));
    let body = accepted(
        &boiler,
        &profile,
        &status,
        "water_heater",
        "temperature",
        "50",
    );
    assert_eq!(
        body,
        json!({"hotWaterTemperatureInUnits": {"targetTemperature": 50, "unit": "C"}})
    );
    // Outside LG's range the command is refused before it is sent.
    assert!(
        boiler
            .command("water_heater", "temperature", "90", &status)
            .is_err()
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
    assert_eq!(
        (climate["min_temp"].clone(), climate["max_temp"].clone()),
        (json!(16), json!(30))
    );
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

    let shown = states(&idu, &status);
    assert_eq!(shown["climate/mode"], "auto");
    assert_eq!(shown["climate/target_temperature"], 20);
    assert_eq!(shown["climate/current_temperature"], 23);
    assert_eq!(shown["climate/fan_mode"], "low");
    assert_eq!(shown["climate/swing_mode"], "off");

    let body = accepted(&idu, &profile, &status, "climate", "mode", "cool");
    assert_eq!(body, json!({"jobMode": {"iduJobMode": "COOL"}}));
    let body = accepted(&idu, &profile, &status, "climate", "temperature", "24");
    assert_eq!(body, json!({"temperature": {"targetTemperature": 24}}));
    let body = accepted(&idu, &profile, &status, "climate", "fan_mode", "medium");
    assert_eq!(body, json!({"airFlow": {"windStrength": "MED"}}));
    let body = accepted(&idu, &profile, &status, "climate", "swing_mode", "on");
    assert_eq!(body, json!({"airFlow": {"windDirection": true}}));
    let body = accepted(&idu, &profile, &status, "climate", "mode", "off");
    assert_eq!(
        body,
        json!({"operation": {"iduOperationMode": "POWER_OFF"}})
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
    let shown = states(&heater, &status);
    assert_eq!(shown["water_heater/mode"], "off", "VACATION");
    assert_eq!(shown["water_heater/target_temperature"], 52);
    for (mode, lg) in [
        ("heat_pump", "HEAT_PUMP"),
        ("eco", "AUTO"),
        ("performance", "TURBO"),
        ("off", "VACATION"),
    ] {
        let body = accepted(&heater, &profile, &status, "water_heater", "mode", mode);
        assert_eq!(body, json!({"waterHeaterJobMode": {"currentJobMode": lg}}));
    }
    let body = accepted(
        &heater,
        &profile,
        &status,
        "water_heater",
        "temperature",
        "55",
    );
    assert_eq!(body, json!({"temperature": {"targetTemperature": 55}}));
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
    let shown = states(&odu, &status);
    assert_eq!(shown["operation_operation_mode/state"], "Stop");
    assert_eq!(shown["temperature_air_temperature/state"], 20);
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
    assert_eq!(
        (climate["min_temp"].clone(), climate["max_temp"].clone()),
        (json!(4), json!(37.5))
    );
    assert_eq!(climate["precision"], 0.5);
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

    let shown = states(&ac, &status);
    assert_eq!(shown["climate/mode"], "heat_cool");
    assert_eq!(shown["climate/target_temperature_low"], 14);
    assert_eq!(shown["climate/target_temperature_high"], 29.5);
    // In heat_cool the single target is empty, so Home Assistant shows the range slider.
    assert_eq!(shown["climate/target_temperature"], Value::Null);

    let body = accepted(&ac, &profile, &status, "climate", "mode", "heat_cool");
    assert_eq!(body, json!({"airConJobMode": {"currentJobMode": "AUTO"}}));
    // Home Assistant sends a new range as two messages; each body carries both bounds, and
    // the second keeps the first's low although LG has not reported it yet.
    let body = accepted(&ac, &profile, &status, "climate", "temperature_low", "18");
    assert_eq!(
        body,
        json!({"twoSetTemperatureInUnits": {"heatTargetTemperature": 18, "coolTargetTemperature": 29.5, "unit": "C"}})
    );
    let body = accepted(
        &ac,
        &profile,
        &status,
        "climate",
        "temperature_high",
        "26.5",
    );
    assert_eq!(
        body,
        json!({"twoSetTemperatureInUnits": {"heatTargetTemperature": 18, "coolTargetTemperature": 26.5, "unit": "C"}})
    );
    // Once LG reports, the state is what counts again.
    let mut reported = status.clone();
    reported["twoSetTemperatureInUnits"][0]["heatTargetTemperature"] = json!(17);
    reported["twoSetTemperatureInUnits"][0]["coolTargetTemperature"] = json!(26.5);
    let body = accepted(
        &ac,
        &profile,
        &reported,
        "climate",
        "temperature_high",
        "27",
    );
    assert_eq!(
        body,
        json!({"twoSetTemperatureInUnits": {"heatTargetTemperature": 17, "coolTargetTemperature": 27, "unit": "C"}})
    );
    // Outside LG's range for the bound: refused, nothing sent.
    assert!(
        ac.command("climate", "temperature_low", "40", &status)
            .is_err()
    );

    // With the range switched off, AUTO follows its single target.
    let mut single = status.clone();
    single["twoSetTemperature"]["twoSetEnabled"] = json!(false);
    assert_eq!(states(&ac, &single)["climate/target_temperature"], 14);
    let body = accepted(&ac, &profile, &single, "climate", "temperature", "21.5");
    assert_eq!(
        body,
        json!({"temperatureInUnits": {"autoTargetTemperature": 21.5, "unit": "C"}})
    );

    // Cooling: the single target again, written to the cool target.
    let mut cooling = status.clone();
    cooling["airConJobMode"]["currentJobMode"] = json!("COOL");
    assert_eq!(states(&ac, &cooling)["climate/target_temperature"], 14);
    let body = accepted(&ac, &profile, &cooling, "climate", "temperature", "22.5");
    assert_eq!(
        body,
        json!({"temperatureInUnits": {"coolTargetTemperature": 22.5, "unit": "C"}})
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
    let shown = states(&ac, &status);
    assert_eq!(shown["climate/target_temperature"], 14);
    assert_eq!(shown["climate/target_temperature_high"], 29.5);
    let body = accepted(&ac, &profile, &status, "climate", "temperature_high", "28");
    assert_eq!(
        body,
        json!({"twoSetTemperatureInUnits": {"heatTargetTemperature": 14, "coolTargetTemperature": 28, "unit": "C"}})
    );
}
