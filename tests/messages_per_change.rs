//! One changed value, one message: what Home Assistant pays per appliance change.
//!
//! LG reports a room temperature three times over (°C and °F in `temperatureInUnits`, and the
//! older `temperature` resource). Home Assistant shows it once, on the climate (or water
//! heater) entity, in the user's unit system; each further message would cost it a state write
//! and a recorder row for a value it already has (issue 17). So every fixture device with a
//! temperature composite changes exactly its composites' current temperatures on such a
//! report, and the real binary publishes exactly one message per changed value, none for an
//! unchanged one.

#[path = "support/fixtures.rs"]
mod fixtures;
mod support;

use fixtures::devices;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::world::World;
use thinq_addon::hass::DeviceModel;
use thinq_addon::hass::topics::Topics;
use thinq_addon::sim::devices::AIR_CONDITIONER_ID;
use thinq_addon::sim::{SimDevice, room_temperature_report};
use thinq_addon::thinq::state::merge_report;

/// `status` with every `currentTemperature` one step higher: +1 in a °C place, +2 in a °F
/// one, as an appliance whose room warmed by one degree reports it in every place it has.
fn warmer(status: &Value) -> Value {
    match status {
        Value::Object(map) => {
            let fahrenheit = map.get("unit").and_then(Value::as_str) == Some("F");
            Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let step = if fahrenheit { 2 } else { 1 };
                        let v = match (k.as_str(), v.as_i64(), v.as_f64()) {
                            ("currentTemperature", Some(t), _) => json!(t + step),
                            ("currentTemperature", None, Some(t)) => json!(t + step as f64),
                            _ => warmer(v),
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(warmer).collect()),
        other => other.clone(),
    }
}

#[test]
fn a_room_temperature_in_every_unit_changes_only_the_current_temperature() {
    let mut checked = Vec::new();
    for (name, device, profile, status) in devices() {
        let model = DeviceModel::new(device, &profile).expect("profile parses");
        let composites: BTreeSet<&str> = model
            .entities
            .iter()
            .filter(|e| ["climate", "water_heater"].contains(&e.platform()))
            .map(|e| e.key())
            .collect();
        if composites.is_empty() {
            continue;
        }
        let report = warmer(&status);
        let mut after = status.clone();
        merge_report(&mut after, &report);
        let before = model.state_values(&status);
        let changed: Vec<String> = model
            .state_values(&after)
            .into_iter()
            .zip(before)
            .filter(|(new, old)| new != old)
            .map(|((entity, feature, _), _)| format!("{entity}/{feature}"))
            .collect();
        let expected: Vec<String> = composites
            .iter()
            .map(|c| format!("{c}/current_temperature"))
            .filter(|topic| changed.contains(topic))
            .collect();
        assert!(
            !expected.is_empty() && changed == expected,
            "{name}: a warmer room changed {changed:?}, expected one current temperature per \
             composite that shows one"
        );
        checked.push(name);
    }
    // The four Home Assistant air conditioners, LG's air conditioner, indoor unit, system
    // boiler and water heater.
    assert!(checked.len() >= 8, "only {checked:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bridge_sends_one_message_per_changed_value_and_none_for_an_unchanged_one() {
    let ac = SimDevice::fixture_set()
        .into_iter()
        .find(|d| d.summary.device_id == AIR_CONDITIONER_ID)
        .expect("the air conditioner fixture");
    let world = World::start(vec![ac]).await;
    let bridge = world.bridge();
    let mut ha = world.home_assistant().await;
    world.assert_ha_matches_sim().await;
    let object = Topics::object_id(AIR_CONDITIONER_ID);
    let current = format!("thinq/{object}/climate/current_temperature");
    let pm1 = format!("thinq/{object}/air_quality_sensor_pm1/state");
    // The climate's current humidity is its Humidity sensor's topic.
    let humidity = format!("thinq/{object}/air_quality_sensor_humidity/state");
    ha.drain(std::time::Duration::from_millis(500)).await;

    // The bridge publishes in the order reports arrive, so whatever a report sends is on the
    // broker before the next report's message: the last report (PM1) closes the count.
    let mut reports: Vec<(Value, Vec<(&str, String)>)> = Vec::new();
    for celsius in [21, 22, 23] {
        reports.push((
            room_temperature_report(celsius),
            vec![(current.as_str(), celsius.to_string())],
        ));
    }
    // The same temperature again: Home Assistant has it, nothing is sent.
    reports.push((room_temperature_report(23), vec![]));
    // Two values in one report: two messages.
    let mut both = room_temperature_report(24);
    both["airQualitySensor"] = json!({"humidity": 55});
    reports.push((
        both,
        vec![
            (current.as_str(), "24".into()),
            (humidity.as_str(), "55".into()),
        ],
    ));
    reports.push((
        json!({"airQualitySensor": {"PM1": 99}}),
        vec![(pm1.as_str(), "99".into())],
    ));

    let mut expected: Vec<(String, String)> = Vec::new();
    for (report, messages) in reports {
        world.sim.report(AIR_CONDITIONER_ID, report).await;
        expected.extend(messages.into_iter().map(|(t, p)| (t.to_owned(), p)));
    }
    let got: Vec<(String, String)> = ha
        .collect_until(&pm1, |p| p == b"99")
        .await
        .into_iter()
        .map(|(t, p)| (t, String::from_utf8_lossy(&p).into_owned()))
        .collect();
    let mut got_sorted = got.clone();
    let mut expected_sorted = expected.clone();
    got_sorted.sort();
    expected_sorted.sort();
    assert_eq!(
        got_sorted, expected_sorted,
        "messages on Home Assistant's broker for six reports: {got:?}"
    );
    let log = bridge.stop_ok().await;
    assert!(!log.contains("ERROR"), "{log}");
}
