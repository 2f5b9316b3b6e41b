//! What Home Assistant gets for particular fixture devices: their components, the values
//! their status shows, and the control bodies Home Assistant's commands become (or that they
//! are refused). `discovery_golden.rs` holds every device's whole payload.

#[path = "support/fixtures.rs"]
mod fixtures;

use fixtures::{all_components, assert_commands, assert_holds, ctx, shown};
use serde_json::{Value, json};
use thinq_addon::hass::DeviceModel;
use thinq_addon::thinq::profile::CommandError;

/// A fixture device by the name [`fixtures::devices`] gives it: its model and its status.
fn fixture(name: &str) -> (DeviceModel, Value) {
    let (device, profile, status) = fixtures::device(name);
    let model = DeviceModel::new(device, &profile).unwrap_or_else(|e| panic!("{name}: {e}"));
    (model, status)
}

fn component<'a>(payload: &'a Value, key: &str) -> &'a Value {
    payload["cmps"]
        .get(key)
        .unwrap_or_else(|| panic!("no component {key} in {}", payload["cmps"]))
}

#[test]
fn air_conditioner_is_a_climate_entity() {
    let (model, status) = fixture("air_conditioner");
    let payload = model.discovery_payload(&ctx());
    let climate = component(&payload, "climate");
    assert_holds(
        climate,
        &json!({
            "p": "climate",
            "name": null,
            "modes": ["off", "cool", "dry", "fan_only"],
            "pr_modes": ["Air clean"],
            "fan_modes": ["low", "high", "medium"],
            "swing_modes": ["on", "off"],
            "temp_unit": "C",
            "min_temp": 18,
            "max_temp": 30
        }),
    );
    assert_holds(
        &shown(&model, &status),
        &json!({
            "climate/mode": "cool",
            "climate/target_temperature": 19,
            "climate/current_temperature": 25,
            "climate/fan_mode": "medium",
            "climate/swing_mode": "off",
            "climate/preset_mode": "none"
        }),
    );
    // What goes on the wire: the plain value on the topic the component names.
    let messages = model.state_messages(&ctx().topics, &status);
    let target = climate["temp_stat_t"].as_str().expect("topic");
    assert_eq!(
        target,
        format!(
            "thinq/{}/climate/target_temperature",
            model.device.device_id
        )
    );
    assert!(messages.contains(&(target.to_owned(), "19".to_owned())));
    assert!(climate.get("temp_stat_tpl").is_none());
}

/// Home Assistant's commands to fixture devices, as their current status stands: the control
/// body each becomes, or `null` where it is refused before anything is sent.
#[test]
fn commands_become_the_control_bodies_lg_takes_or_are_refused() {
    // fixture: [[<entity>/<feature>, payload, body], …]
    let tables = json!({
        "air_conditioner": [
            ["climate/mode", "off", {"operation": {"airConOperationMode": "POWER_OFF"}}],
            ["climate/temperature", "22",
                {"temperatureInUnits": {"coolTargetTemperature": 22, "unit": "C"}}],
            ["climate/temperature", "45", null],
            ["climate/fan_mode", "medium", {"airFlow": {"windStrength": "MID"}}],
            ["climate/preset_mode", "Air clean", {"airConJobMode": {"currentJobMode": "AIR_CLEAN"}}],
            ["power_save_power_save_enabled/state", "ON", {"powerSave": {"powerSaveEnabled": true}}],
            ["power_save_power_save_enabled/state", "maybe", null],
            ["air_quality_sensor_monitoring_enabled/option", "Always",
                {"airQualitySensor": {"monitoringEnabled": "ALWAYS"}}],
            // The option as earlier versions offered it (LG's value, lower case) is still
            // understood, so automations written before labels keep working.
            ["air_quality_sensor_monitoring_enabled/option", "always",
                {"airQualitySensor": {"monitoringEnabled": "ALWAYS"}}]
        ],
        "washer": [
            ["operation_washer_operation_mode_start/press", "PRESS",
                {"location": {"locationName": "MAIN"}, "operation": {"washerOperationMode": "START"}}],
            // The delayed start is one timer in minutes; this washer lets us write whole hours
            // only, up to a day.
            ["timer_relative_hour_to_start/value", "180",
                {"location": {"locationName": "MAIN"}, "timer": {"relativeHourToStart": 3}}],
            ["timer_relative_hour_to_start/value", "1500", null],
            ["timer_relative_hour_to_start/value", "90", null],
            // Sensors take no commands.
            ["run_state_current_state/value", "1", null]
        ],
        "lg-developer_air_purifier": [
            ["fan/state", "ON", {"operation": {"airPurifierOperationMode": "POWER_ON"}}],
            ["fan/preset_mode", "auto", {"airPurifierJobMode": {"currentJobMode": "AUTO"}}]
        ],
        "lg-developer_refrigerator": [
            ["freezer_temperature_in_units_target_temperature_c/value", "-18",
                {"temperatureInUnits": {"locationName": "FREEZER", "targetTemperatureC": -18}}]
        ],
        "dehumidifier": [
            ["humidifier/target_humidity", "45", {"humidity": {"targetHumidity": 45}}],
            // Off the 5 % step.
            ["humidifier/target_humidity", "47", null],
            ["humidifier/mode", "Clothes dry",
                {"dehumidifierJobMode": {"currentJobMode": "CLOTHES_DRY"}}]
        ],
        // A WashTower's halves are addressed by sub-device.
        "lg-developer_washtower": [
            ["dryer_operation_dryer_operation_mode_start/press", "PRESS",
                {"dryer": {"operation": {"dryerOperationMode": "START"}}}]
        ]
    });
    for (name, table) in tables.as_object().expect("fixtures") {
        let (model, status) = fixture(name);
        assert_commands(name, table, |entity, feature, payload| {
            model.command(entity, feature, payload, &status)
        });
    }
}

#[test]
fn a_refused_command_says_what_is_wrong_with_it() {
    let (model, status) = fixture("air_conditioner");
    assert!(matches!(
        model.command("climate", "nonsense", "1", &status),
        Err(CommandError::UnknownCommand(_))
    ));
    assert!(matches!(
        model.command("no_such_entity", "mode", "cool", &status),
        Err(CommandError::UnknownCommand(_))
    ));
    let option = "air_quality_sensor_monitoring_enabled";
    assert!(matches!(
        model.command(option, "option", "sometimes", &status),
        Err(CommandError::NotInEnum { .. })
    ));
}

#[test]
fn switching_an_air_conditioner_on_to_a_mode_sends_power_and_mode_together() {
    let (model, mut status) = fixture("air_conditioner");
    status["operation"]["airConOperationMode"] = json!("POWER_OFF");
    assert_eq!(shown(&model, &status)["climate/mode"], "off");
    let body = model
        .command("climate", "mode", "dry", &status)
        .expect("dry");
    assert_eq!(
        body,
        json!({"operation": {"airConOperationMode": "POWER_ON"}, "airConJobMode": {"currentJobMode": "AIR_DRY"}})
    );
}

#[test]
fn washer_has_run_state_remaining_time_buttons_and_notifications() {
    let (model, status) = fixture("washer");
    let payload = model.discovery_payload(&ctx());
    let run_state = component(&payload, "run_state_current_state");
    assert_eq!(run_state["dev_cla"], "enum");
    assert!(
        run_state["ops"]
            .as_array()
            .is_some_and(|o| o.contains(&json!("Rinsing")))
    );
    assert_holds(
        component(&payload, "remaining_time"),
        &json!({"dev_cla": "duration", "unit_of_meas": "min"}),
    );
    // What pressing it sends: in the table of commands_become_the_control_bodies_….
    assert_eq!(
        component(&payload, "operation_washer_operation_mode_start")["p"],
        "button"
    );
    let event = component(&payload, "notification");
    assert_eq!(
        event["event_types"],
        json!(["washing_is_complete", "error_during_washing"])
    );
    assert_eq!(
        event["stat_t"],
        json!(ctx().topics.event(&model.device.device_id, "notification"))
    );
    assert_holds(
        &shown(&model, &status),
        &json!({
            "run_state_current_state/state": "Power off",
            "remaining_time/state": 45,
            "total_time/state": 50
        }),
    );
    assert_eq!(
        model.notification("WASHING_IS_COMPLETE"),
        Some((
            "notification".to_owned(),
            json!({"event_type": "washing_is_complete"})
        ))
    );
    assert_eq!(model.notification("SOMETHING_ELSE"), None);
}

#[test]
fn air_purifier_is_a_fan() {
    let (model, status) = fixture("lg-developer_air_purifier");
    let payload = model.discovery_payload(&ctx());
    let fan = component(&payload, "fan");
    assert_holds(
        fan,
        &json!({
            "p": "fan",
            "pr_modes": ["Clean", "Auto", "Circulator", "Dual clean"],
            "spd_rng_min": 1,
            "spd_rng_max": 4
        }),
    );
    assert_holds(
        &shown(&model, &status),
        &json!({
            "fan/state": "OFF",
            "fan/percentage": 3,
            "fan/preset_mode": "Clean"
        }),
    );
}

#[test]
fn refrigerator_has_a_celsius_target_per_compartment() {
    let (model, status) = fixture("lg-developer_refrigerator");
    let payload = model.discovery_payload(&ctx());
    let fridge = component(&payload, "fridge_temperature_in_units_target_temperature_c");
    let freezer = component(
        &payload,
        "freezer_temperature_in_units_target_temperature_c",
    );
    for (c, min, max) in [(fridge, 1, 8), (freezer, -21, -13)] {
        assert_holds(
            c,
            &json!({
                "p": "number",
                "dev_cla": "temperature",
                "unit_of_meas": "°C",
                "min": min,
                "max": max
            }),
        );
    }
    assert_eq!(fridge["name"], "Fridge target temperature");
    assert_holds(
        &shown(&model, &status),
        &json!({
            "fridge_temperature_in_units_target_temperature_c/state": 7,
            "freezer_temperature_in_units_target_temperature_c/state": -16
        }),
    );
}

#[test]
fn dehumidifier_is_a_humidifier_entity() {
    let (model, status) = fixture("dehumidifier");
    let payload = model.discovery_payload(&ctx());
    let humidifier = component(&payload, "humidifier");
    assert_holds(
        humidifier,
        &json!({"dev_cla": "dehumidifier", "min_hum": 30, "max_hum": 70}),
    );
    let state = shown(&model, &status);
    assert_holds(
        &state,
        &json!({
            "humidifier/state": "ON",
            "humidifier/target_humidity": 55,
            "humidifier/mode": "Smart humidity",
            // The current humidity is its sensor's value; the humidifier reads that topic.
            "humidity_current_humidity/state": 80
        }),
    );
    assert_eq!(state.get("humidifier/current_humidity"), None);
    assert!(
        humidifier["current_humidity_topic"]
            .as_str()
            .is_some_and(|t| t.ends_with("/humidity_current_humidity/state")),
        "{humidifier}"
    );
}

#[test]
fn hood_fan_speed_travels_as_its_own_number() {
    let (model, status) = fixture("hood");
    assert_holds(
        &shown(&model, &status),
        &json!({"fan/state": "ON", "fan/percentage": 1}),
    );
    let faster = model
        .command("fan", "percentage", "3", &status)
        .expect("speed");
    assert_eq!(faster["ventilation"], json!({"fanSpeed": 3}));
    let off = model.command("fan", "state", "OFF", &status).expect("off");
    assert_eq!(off["ventilation"], json!({"fanSpeed": 0}));
}

#[test]
fn washtower_halves_are_addressed_by_sub_device() {
    let (model, status) = fixture("lg-developer_washtower");
    let payload = all_components(&model, &ctx());
    assert_eq!(
        component(&payload, "dryer_run_state_current_state")["name"],
        "Current status"
    );
    assert_eq!(
        component(&payload, "washer_remaining_time")["name"],
        "Remaining time"
    );
    assert_eq!(shown(&model, &status)["washer_error/state"], "No error");
}

#[test]
fn switches_and_selects_show_their_values() {
    let (model, status) = fixture("air_conditioner");
    assert_holds(
        &shown(&model, &status),
        &json!({
            "power_save_power_save_enabled/state": "OFF",
            "air_quality_sensor_monitoring_enabled/state": "On working"
        }),
    );
}

#[test]
fn kimchi_compartments_show_numbers_and_names() {
    let (model, status) = fixture("kimchi_refrigerator");
    let state = shown(&model, &status);
    assert_eq!(state["top_temperature_target_temperature/state"], 6);
    assert_eq!(
        state["middle_temperature_target_temperature/state"], "Kimchi",
        "a listed word shows as its label, not lower-cased raw"
    );
}

#[test]
fn the_entity_table_has_a_row_per_entity() {
    let (model, status) = fixture("air_conditioner");
    let rows = model.describe(&status);
    assert_eq!(rows.len(), model.entities.len());
    let climate = rows
        .iter()
        .find(|r| r.platform == "climate")
        .expect("climate row");
    assert_eq!(climate.state, "cool, target 19°C, current 25°C, fan medium");
    let pm = rows.iter().find(|r| r.name == "PM2.5").expect("PM2.5 row");
    assert_eq!(pm.state, "24 µg/m³");
}

#[test]
fn values_no_entity_shows_by_itself_are_attributes_of_the_one_they_qualify() {
    let attributes = |folder: &str, key: &str| {
        let (model, status) = fixture(folder);
        let payload = model.discovery_payload(&ctx());
        assert!(
            component(&payload, key)["json_attr_t"]
                .as_str()
                .is_some_and(|t| t.ends_with(&format!("/{key}/attributes"))),
            "{folder}: {key} names no attributes topic"
        );
        shown(&model, &status)[&format!("{key}/attributes")].clone()
    };
    // A plug's unit strings qualify the numbers they are the unit of.
    let plug = attributes("lg-developer_plug", "electricity_power");
    assert_eq!(plug["power_unit"], "W");
    // The °F twin of the compartment's setting is not repeated (the number shows the value,
    // Home Assistant converts it); the older `temperature` resource the profile does not
    // list, with a value of its own, is shown by place.
    let fridge = attributes(
        "lg-developer_refrigerator",
        "fridge_temperature_in_units_target_temperature_c",
    );
    assert_eq!(fridge.get("target_temperature_f"), None, "{fridge}");
    assert_eq!(fridge["temperature_target_temperature_fridge"], 8);
    // The example oven reports a LOWER cavity its profile lacks: shown, labelled, by place.
    let oven = attributes("lg-developer_oven", "run_state_current_state");
    assert_eq!(oven["run_state_current_state_lower"], "Preheating");
    assert_eq!(oven["timer_remain_minute_lower"], 2);
    // A job mode off the profile's list cannot be a climate mode; it is still readable.
    let ac = attributes("lg-developer_air_conditioner", "climate");
    assert_eq!(ac["air_con_job_mode_current_job_mode"], "Auto");
    assert_eq!(ac["timer_absolute_start_timer"], "Unset");
}
