//! What an entity is besides its state: the unit of each part, its name, whether it starts
//! enabled, and when it is available.

use super::options::{expand, text, text_or};
use serde_json::{Map, Value};

/// The unit Home Assistant shows a part in, if any.
pub fn unit(platform: &str, attribute: &str, config: &Map<String, Value>) -> Option<String> {
    match (platform, attribute) {
        ("sensor" | "number", "state") => text(config, "unit_of_measurement").map(str::to_owned),
        (
            "climate" | "water_heater",
            "temperature" | "target_temp_low" | "target_temp_high" | "current_temperature",
        ) => Some(
            match text(config, "temperature_unit") {
                Some("F") => "°F",
                _ => "°C",
            }
            .to_owned(),
        ),
        (_, "humidity" | "current_humidity" | "percentage" | "current_position") => {
            Some("%".to_owned())
        }
        _ => None,
    }
}

/// The entity's own name (`_set_entity_name`): the `name` option; `None` when it is `null`
/// (Home Assistant shows the device's name); without the option, the device class for the
/// platforms named after it, else the platform's default name.
pub fn entity_name(platform: &str, config: &Map<String, Value>) -> Option<String> {
    match config.get("name") {
        Some(Value::String(name)) => return Some(name.clone()),
        Some(Value::Null) => return None,
        _ => {}
    }
    let class = text(config, "device_class");
    let by_class = match platform {
        "sensor" => class.filter(|c| *c != "enum"),
        "binary_sensor" | "button" | "number" | "event" => class,
        _ => None,
    };
    if let Some(class) = by_class {
        let mut name = class.replace('_', " ");
        if let Some(first) = name.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        return Some(name);
    }
    Some(
        match platform {
            "binary_sensor" => "MQTT Binary sensor",
            "button" => "MQTT Button",
            "climate" => "MQTT HVAC",
            "cover" => "MQTT Cover",
            "event" => "MQTT Event",
            "fan" => "MQTT Fan",
            "humidifier" => "MQTT Humidifier",
            "light" => "MQTT JSON Light",
            "lock" => "MQTT Lock",
            "number" => "MQTT Number",
            "select" => "MQTT Select",
            "siren" => "MQTT Siren",
            "switch" => "MQTT Switch",
            "text" => "MQTT Text",
            "vacuum" => "MQTT State Vacuum",
            "water_heater" => "MQTT Water Heater",
            _ => "MQTT Sensor",
        }
        .to_owned(),
    )
}

/// Whether an entity is enabled when Home Assistant first registers it.
pub fn enabled(config: &Map<String, Value>) -> bool {
    config
        .get("enabled_by_default")
        .and_then(Value::as_bool)
        .unwrap_or(true)
}

/// An entity's availability: its topics with their `online` / `offline` payloads, and the mode.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Availability {
    pub topics: Vec<(String, String, String)>,
    /// `latest` (Home Assistant's default), `all` or `any`.
    pub mode: String,
}

impl Availability {
    pub fn of(config: &Map<String, Value>) -> Availability {
        let available = text_or(config, "payload_available", "online");
        let not_available = text_or(config, "payload_not_available", "offline");
        let mut topics = Vec::new();
        if let Some(topic) = text(config, "availability_topic") {
            topics.push((
                topic.to_owned(),
                available.to_owned(),
                not_available.to_owned(),
            ));
        }
        if let Some(list) = config.get("availability").and_then(Value::as_array) {
            for item in list.iter().filter_map(Value::as_object).map(expand) {
                if let Some(topic) = text(&item, "topic") {
                    topics.push((
                        topic.to_owned(),
                        text_or(&item, "payload_available", "online").to_owned(),
                        text_or(&item, "payload_not_available", "offline").to_owned(),
                    ));
                }
            }
        }
        Availability {
            topics,
            mode: text_or(config, "availability_mode", "latest").to_owned(),
        }
    }

    /// Whether the entity is available, given each topic's state (`Some(true)` after its
    /// `online`, `Some(false)` after `offline`, `None` before either) and which topic spoke
    /// last. Without availability topics it always is; with them, not before `online`.
    pub fn available(&self, seen: impl Fn(&str) -> Option<(bool, u64)>) -> bool {
        if self.topics.is_empty() {
            return true;
        }
        let states: Vec<Option<(bool, u64)>> =
            self.topics.iter().map(|(t, _, _)| seen(t)).collect();
        let up = |s: &Option<(bool, u64)>| s.is_some_and(|(on, _)| on);
        match self.mode.as_str() {
            "all" => states.iter().all(up),
            "any" => states.iter().any(up),
            _ => states
                .iter()
                .flatten()
                .max_by_key(|(_, at)| *at)
                .is_some_and(|(on, _)| *on),
        }
    }

    /// `Some(true)` / `Some(false)` when `payload` on `topic` says available / not.
    pub fn reads(&self, topic: &str, payload: &str) -> Option<bool> {
        self.topics
            .iter()
            .find(|(t, _, _)| t == topic)
            .and_then(|(_, on, off)| {
                if payload == on {
                    Some(true)
                } else if payload == off {
                    Some(false)
                } else {
                    None
                }
            })
    }
}
