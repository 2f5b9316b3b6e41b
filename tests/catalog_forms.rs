//! What the catalog changes for devices that rely on `common.yaml` (the file every device type
//! shares), on LG's developer-site examples: a plug's units are the sensors' units, not text
//! sensors of their own; a dish washer's door is a door.

#[path = "support/fixtures.rs"]
mod fixtures;

use serde_json::Value;
use thinq_addon::hass::DeviceModel;

fn lg_example(folder: &str) -> (DeviceModel, Value) {
    let (device, profile, status) = fixtures::lg_example(folder);
    let model = DeviceModel::new(device, &profile).expect("profile parses");
    (model, status)
}

#[test]
fn plug_units_are_the_sensor_units_not_entities() {
    for folder in ["plug", "plug_mini", "switch_strip"] {
        let (model, status) = lg_example(folder);
        let rows = model.describe(&status);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert!(
            !names.iter().any(|n| n.ends_with("unit")),
            "{folder}: unit text entities {names:?}"
        );
        if folder == "plug" {
            let power = rows.iter().find(|r| r.name == "Power").expect("Power row");
            assert_eq!(power.state, "0 W");
            let voltage = rows.iter().find(|r| r.name == "Voltage").expect("Voltage");
            assert_eq!(voltage.state, "210 V");
            let current = rows.iter().find(|r| r.name == "Current").expect("Current");
            assert_eq!(current.state, "1000 mA");
        }
    }
}

#[test]
fn dish_washer_door_is_a_door_binary_sensor() {
    let (model, status) = lg_example("dish_washer");
    let payload = model.discovery_payload(&fixtures::ctx());
    let door = payload["cmps"]
        .as_object()
        .expect("cmps")
        .values()
        .find(|c| c["dev_cla"] == "door")
        .unwrap_or_else(|| panic!("no door in {}", payload["cmps"]));
    assert_eq!(door["p"], "binary_sensor");
    let row = model
        .describe(&status)
        .into_iter()
        .find(|r| r.name == "Door")
        .expect("Door row");
    assert!(row.state == "ON" || row.state == "OFF", "{}", row.state);
}
