use super::*;
use serde_json::json;

fn ac_payload() -> Value {
    json!({
        "dev": {"ids": ["thinq_AC"], "name": "Living room AC", "mdl": "PAC"},
        "o": {"name": "thinq-addon"},
        "avty": [{"t": "thinq/bridge/availability"}, {"t": "thinq/AC/availability"}],
        "avty_mode": "all",
        "cmps": {
            "climate": {
                "p": "climate", "name": null,
                "mode_cmd_t": "thinq/AC/climate/mode/set",
                "mode_stat_t": "thinq/AC/climate/mode",
                "modes": ["off", "cool", "auto"],
                "temp_cmd_t": "thinq/AC/climate/temperature/set",
                "temp_stat_t": "thinq/AC/climate/target_temperature",
                "curr_temp_t": "thinq/AC/climate/current_temperature",
                "pr_mode_stat_t": "thinq/AC/climate/preset_mode",
                "pr_modes": ["eco"],
                "current_humidity_topic": "thinq/AC/climate/current_humidity",
                "temp_unit": "C"
            },
            "pm2": {"p": "sensor", "name": "PM2.5", "stat_t": "thinq/AC/pm2/state",
                    "unit_of_meas": "µg/m³", "dev_cla": "pm25"},
            "start": {"p": "button", "name": "Start", "cmd_t": "thinq/AC/start/press/set"},
            "notification": {"p": "event", "name": "Notification",
                             "stat_t": "thinq/AC/notification/event", "event_types": ["water_is_full"]},
            "odd": {"p": "sensor", "name": "Odd", "stat_t": "thinq/AC/state",
                    "val_tpl": "{{ value_json.x | float }}"}
        }
    })
}

const AC: &str = "homeassistant/device/thinq_AC/config";

fn view_with_ac() -> HaView {
    let mut view = HaView::new("homeassistant", "thinq");
    let observed = view.on_json(AC, &ac_payload());
    assert_eq!(
        observed,
        vec![Observation::Discovered {
            device: "Living room AC".into()
        }]
    );
    view
}

/// What `on_message` returns when one value of one entity changed.
fn changed(device: &str, entity: &str, old: &str, new: &str) -> Vec<Observation> {
    vec![Observation::Changed(vec![Change {
        device: device.into(),
        entity: entity.into(),
        old: old.into(),
        new: new.into(),
    }])]
}

fn keys(view: &HaView, topic: &str) -> Vec<(String, String)> {
    view.device(topic)
        .iter()
        .flat_map(|d| &d.entities)
        .map(|e| (e.platform.clone(), e.key.clone()))
        .collect()
}

#[test]
fn every_part_comes_from_the_topic_home_assistant_reads_it_from() {
    let view = view_with_ac();
    let device = &view.devices()[0];
    let climate = &device.entities[0];
    let parts: Vec<&str> = climate.readings.iter().map(|r| r.attribute).collect();
    assert_eq!(
        parts,
        [
            "state",
            "temperature",
            "current_temperature",
            "current_humidity",
            "preset_mode"
        ]
    );
    let target = climate.reading("temperature").expect("target temperature");
    assert_eq!(target.topic, "thinq/AC/climate/target_temperature");
    assert_eq!(target.unit.as_deref(), Some("°C"));
    // The button reads nothing, the odd template is not guessed at (nor its topic read
    // as a plain value).
    assert!(device.entities[2].readings.is_empty());
    assert!(device.entities[4].readings.is_empty());
    assert_eq!(
        device.entities[3].event_topic.as_deref(),
        Some("thinq/AC/notification/event")
    );
    assert_eq!(device.state_topics().len(), 6);
    assert!(!device.state_topics().contains(&"thinq/AC/state"));
}

#[test]
fn values_are_what_home_assistant_holds_and_changes_are_diffed() {
    let mut view = view_with_ac();
    for (topic, payload) in [
        ("thinq/AC/climate/mode", "cool"),
        ("thinq/AC/climate/target_temperature", "19"),
        ("thinq/AC/climate/current_temperature", "25"),
        ("thinq/AC/climate/preset_mode", "none"),
        ("thinq/AC/climate/current_humidity", "None"),
    ] {
        assert!(view.on_message(topic, payload.as_bytes()).is_empty());
    }
    assert!(view.on_message("thinq/AC/pm2/state", b"24").is_empty());
    assert_eq!(view.complete_devices("none"), (0, 1), "not online yet");
    view.on_message("thinq/bridge/availability", b"online");
    view.on_message("thinq/AC/availability", b"online");
    assert_eq!(view.complete_devices("none"), (1, 1));
    let climate = &view.devices()[0].entities[0];
    assert_eq!(climate.value("current_humidity"), Some(&Shown::Unknown));
    assert_eq!(
        climate.value("preset_mode"),
        Some(&Shown::Text("none".into()))
    );
    assert_eq!(
        view.on_message("thinq/AC/climate/current_temperature", b"24.5"),
        changed("Living room AC", "current temperature", "25 °C", "24.5 °C")
    );
    // A mode the climate does not offer is ignored, as Home Assistant does.
    assert!(view.on_message("thinq/AC/climate/mode", b"heat").is_empty());
    assert_eq!(
        view.devices()[0].entities[0].value("state"),
        Some(&Shown::Text("cool".into()))
    );
    assert_eq!(
        view.on_message("thinq/AC/pm2/state", b"None"),
        changed("Living room AC", "PM2.5", "24 µg/m³", "unknown")
    );
    assert!(
        view.on_message("thinq/AC/pm2/state", b"None").is_empty(),
        "a repeated value is no change"
    );
}

#[test]
fn values_retained_before_the_discovery_are_read_when_the_entity_comes() {
    let mut view = HaView::new("homeassistant", "thinq");
    view.on_message("thinq/AC/pm2/state", b"12");
    view.on_json(AC, &ac_payload());
    let pm2 = &view.devices()[0].entities[1];
    assert_eq!(pm2.value("state"), Some(&Shown::Number(12.0)));
}

#[test]
fn template_state_messages_are_read_per_key() {
    let mut view = HaView::new("homeassistant", "thinq");
    let payload = json!({
        "dev": {"name": "Old AC"},
        "o": {"name": "thinq-addon"},
        "cmps": {"climate": {"p": "climate", "name": null,
            "temp_stat_t": "thinq/OLD/state", "temp_stat_tpl": "{{ value_json.target }}",
            "curr_temp_t": "thinq/OLD/state", "curr_temp_tpl": "{{ value_json.now }}"}}
    });
    view.on_json("homeassistant/device/thinq_OLD/config", &payload);
    let climate = &view.devices()[0].entities[0];
    assert_eq!(climate.readings.len(), 2, "{:?}", climate.readings);
    assert!(
        view.on_message("thinq/OLD/state", br#"{"target": 19, "now": 25}"#)
            .is_empty()
    );
    assert_eq!(
        view.on_message("thinq/OLD/state", br#"{"target": 19, "now": 24}"#),
        changed("Old AC", "current temperature", "25 °C", "24 °C")
    );
}

#[test]
fn a_platform_only_component_removes_that_component_and_is_never_an_entity() {
    let mut view = view_with_ac();
    // A fresh device whose payload has a removal only for something never discovered.
    let tower = json!({
        "dev": {"ids": ["thinq_T"], "name": "Laundry tower"},
        "o": {"name": "thinq-addon"},
        "cmps": {
            "washer_state": {"p": "sensor"},
            "notification": {"p": "event", "name": "Notification", "stat_t": "thinq/T/n",
                             "evt_typ": ["done"]}
        }
    });
    let tower_topic = "homeassistant/device/thinq_T/config";
    view.on_json(tower_topic, &tower);
    let tower_keys: Vec<&str> = view
        .device(tower_topic)
        .unwrap()
        .entities
        .iter()
        .map(|e| e.key.as_str())
        .collect();
    assert_eq!(tower_keys, ["notification"]);

    // The AC's PM2.5 removed (the platform must match), the odd sensor left out: it stays.
    let mut next = ac_payload();
    let cmps = next["cmps"].as_object_mut().unwrap();
    cmps.insert("pm2".into(), json!({"p": "sensor"}));
    cmps.insert("start".into(), json!({"p": "switch"}));
    cmps.remove("odd");
    view.on_json(AC, &next);
    let ac: Vec<(String, String)> = keys(&view, AC);
    assert!(!ac.contains(&("sensor".into(), "pm2".into())), "{ac:?}");
    assert!(
        ac.contains(&("button".into(), "start".into())),
        "another platform's marker removes nothing"
    );
    assert!(
        ac.contains(&("sensor".into(), "odd".into())),
        "a component left out stays"
    );

    // A payload of markers only leaves a device with no entity: none to show.
    let only_markers = json!({"dev": {"ids": ["thinq_T"], "name": "Laundry tower"},
                              "o": {"name": "thinq-addon"},
                              "cmps": {"notification": {"p": "event"}}});
    assert_eq!(
        view.on_json(tower_topic, &only_markers),
        vec![Observation::Removed {
            device: "Laundry tower".into()
        }]
    );
    assert!(
        view.merged_devices()
            .iter()
            .all(|d| d.discovery_topic != tower_topic)
    );
}

#[test]
fn events_errors_and_availability_are_named_by_device() {
    let mut view = view_with_ac();
    assert_eq!(
        view.on_message(
            "thinq/AC/notification/event",
            br#"{"event_type":"water_is_full"}"#
        ),
        vec![Observation::Event {
            device: "Living room AC".into(),
            entity: "Notification".into(),
            event_type: "water_is_full".into()
        }]
    );
    assert!(
        view.on_message(
            "thinq/AC/notification/event",
            br#"{"event_type":"not_offered"}"#
        )
        .is_empty(),
        "an event type the entity does not have is dropped"
    );
    assert_eq!(
        view.on_message(
            "thinq/AC/error",
            br#"{"command":"climate/temperature","error":"out of range","code":null}"#
        ),
        vec![Observation::Error {
            device: "Living room AC".into(),
            message: "climate/temperature: out of range".into()
        }]
    );
    let online = view.on_message("thinq/AC/availability", b"online");
    assert_eq!(
        online,
        vec![Observation::Availability {
            device: "Living room AC".into(),
            status: "online".into()
        }]
    );
    assert!(
        view.on_message("thinq/AC/availability", b"online")
            .is_empty()
    );
    assert_eq!(
        view.on_message("thinq/bridge/availability", b"offline"),
        vec![Observation::Availability {
            device: "ThinQ bridge".into(),
            status: "offline".into()
        }]
    );
    let climate = &view.devices()[0].entities[0];
    assert!(
        !view.available(climate),
        "all availability topics must say online"
    );
}

#[test]
fn junk_never_panics_nor_removes_and_an_empty_config_removes_the_device() {
    let mut view = view_with_ac();
    for junk in [
        &b"not json"[..],
        b"[]",
        b"{\"cmps\": 3}",
        b"\xff\xfe",
        b"null",
        b"{\"cmps\": {\"x\": {\"p\": 7}}}",
    ] {
        view.on_message("homeassistant/device/thinq_X/config", junk);
        view.on_message(AC, junk);
        view.on_message("thinq/AC/climate/mode", junk);
        view.on_message("thinq/AC/state", junk);
        view.on_message("thinq/AC/notification/event", junk);
        view.on_message("thinq/AC/error", junk);
    }
    assert_eq!(
        view.devices().len(),
        1,
        "junk is ignored, as Home Assistant does"
    );
    assert_eq!(view.devices()[0].entities.len(), 5);
    let again = view.on_json(AC, &ac_payload());
    assert!(
        again.is_empty(),
        "an unchanged payload is no news: {again:?}"
    );
    assert_eq!(
        view.on_message(AC, b""),
        vec![Observation::Removed {
            device: "Living room AC".into()
        }]
    );
    assert!(view.devices().is_empty());
}
