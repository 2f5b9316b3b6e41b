//! Home Assistant's rules for reading a discovery component and its state messages, as its
//! MQTT integration applies them (Core 2025.4, `homeassistant/components/mqtt/`): option
//! names and their abbreviations, the options a device payload shares with its components,
//! which topics carry which part of an entity's state, how a payload becomes that state (and
//! which payloads it ignores), units, entity names and availability.
//!
//! The demo shows what Home Assistant would, so it reads the broker by these rules and no
//! other: a payload the bridge got wrong shows as Home Assistant would show it. Everything
//! here reads network data; nothing panics on it.

mod entity;
mod options;
mod states;

pub use entity::{Availability, enabled, entity_name, unit};
pub use options::{
    StatePart, Template, component_config, expand, expand_device, state_parts, template_of,
};
pub use states::{Shown, interpret, number_text, timestamp};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    fn config(value: Value) -> Map<String, Value> {
        expand(value.as_object().unwrap())
    }

    #[test]
    fn payloads_become_what_home_assistant_holds_or_are_ignored() {
        let none = |_: &str| None;
        let enum_sensor = config(json!({"dev_cla": "enum", "ops": ["Power off", "Running"]}));
        assert_eq!(
            interpret("sensor", "state", &enum_sensor, "Running", &none),
            Some(Shown::Text("Running".into()))
        );
        assert_eq!(
            interpret("sensor", "state", &enum_sensor, "Odd", &none),
            None
        );
        let minutes = config(json!({"dev_cla": "duration", "unit_of_meas": "min"}));
        assert_eq!(
            interpret("sensor", "state", &minutes, "0", &none),
            Some(Shown::Number(0.0))
        );
        assert_eq!(interpret("sensor", "state", &minutes, "", &none), None);
        assert_eq!(
            interpret("sensor", "state", &minutes, "None", &none),
            Some(Shown::Unknown)
        );
        let door = config(json!({}));
        assert_eq!(
            interpret("binary_sensor", "state", &door, "OFF", &none),
            Some(Shown::Off)
        );
        assert_eq!(
            interpret("binary_sensor", "state", &door, "off", &none),
            None
        );
        let number = config(json!({"min": -20, "max": -14}));
        assert_eq!(
            interpret("number", "state", &number, "-16", &none),
            Some(Shown::Number(-16.0))
        );
        assert_eq!(interpret("number", "state", &number, "7", &none), None);
        let climate = config(json!({"modes": ["off", "cool"], "pr_modes": ["eco"]}));
        assert_eq!(interpret("climate", "state", &climate, "heat", &none), None);
        assert_eq!(
            interpret("climate", "preset_mode", &climate, "none", &none),
            Some(Shown::Text("none".into()))
        );
        let fan = config(json!({"spd_rng_min": 1, "spd_rng_max": 5}));
        assert_eq!(
            interpret("fan", "percentage", &fan, "1", &none),
            Some(Shown::Number(20.0))
        );
        assert_eq!(
            interpret("vacuum", "state", &door, r#"{"state":"docked"}"#, &none),
            Some(Shown::Text("docked".into()))
        );
        assert_eq!(
            interpret(
                "light",
                "state",
                &door,
                r#"{"state":"ON","brightness":50}"#,
                &none
            ),
            Some(Shown::On)
        );
        let cover = config(json!({"pos_t": "c/position"}));
        let at_zero = |part: &str| (part == "current_position").then_some(Shown::Number(0.0));
        assert_eq!(
            interpret("cover", "state", &cover, "stopped", &at_zero),
            Some(Shown::Text("closed".into()))
        );
        assert_eq!(
            interpret("cover", "state", &cover, "stopped", &none),
            Some(Shown::Text("open".into()))
        );
        assert_eq!(
            interpret("lock", "state", &door, "UNLOCKED", &none),
            Some(Shown::Text("unlocked".into()))
        );
        for junk in ["", "\u{fffd}", "{", "[]"] {
            for platform in [
                "sensor", "light", "vacuum", "siren", "cover", "fan", "number",
            ] {
                let _ = interpret(platform, "state", &door, junk, &none);
            }
        }
    }

    #[test]
    fn timestamps_are_shown_in_utc_to_the_second_like_home_assistant() {
        for (reported, shown) in [
            ("2026-12-03T13:05:00Z", Some("2026-12-03T13:05:00+00:00")),
            (
                "2026-01-01T00:30:10.5+01:00",
                Some("2025-12-31T23:30:10+00:00"),
            ),
            ("soon", None),
            ("2026-13-01T00:00:00Z", None),
        ] {
            assert_eq!(timestamp(reported).as_deref(), shown, "{reported:?}");
        }
    }

    #[test]
    fn names_follow_the_name_option_the_device_class_or_the_platform() {
        assert_eq!(
            entity_name("sensor", &config(json!({"name": "PM2.5"}))).as_deref(),
            Some("PM2.5")
        );
        assert_eq!(entity_name("climate", &config(json!({"name": null}))), None);
        assert_eq!(
            entity_name("sensor", &config(json!({"dev_cla": "temperature"}))).as_deref(),
            Some("Temperature")
        );
        assert_eq!(
            entity_name("select", &config(json!({}))).as_deref(),
            Some("MQTT Select")
        );
    }

    #[test]
    fn shared_options_and_a_component_base_topic_apply_as_in_home_assistant() {
        let root = config(json!({"stat_t": "thinq/bridge/state", "~": "ignored",
            "avty": [{"t": "thinq/bridge/availability"}], "avty_mode": "all"}));
        let own = json!({"p": "sensor", "~": "thinq/x", "json_attr_t": "~/attributes"});
        let c = component_config(own.as_object().unwrap(), &root);
        assert_eq!(c["state_topic"], "thinq/bridge/state");
        assert_eq!(c["json_attributes_topic"], "thinq/x/attributes");
        let availability = Availability::of(&c);
        assert_eq!(availability.mode, "all");
        assert!(!availability.available(|_| None));
        assert!(availability.available(|_| Some((true, 1))));
        assert_eq!(
            availability.reads("thinq/bridge/availability", "offline"),
            Some(false)
        );
        assert!(Availability::default().available(|_| None));
    }
}
