//! What Home Assistant knows, rebuilt from the MQTT messages alone.
//!
//! The demo must show what a real Home Assistant would see, so this reads nothing but the
//! broker: device-based discovery payloads (`<prefix>/device/<id>/config`, read by
//! [`super::discovered`]) say which entities a device has and which state topics they read,
//! and the state topics carry the values. Nothing here looks at the bridge's own types; if
//! the discovery payloads were wrong, the demo would show it.
//!
//! Every input is network data: missing or odd fields are skipped, never unwrapped.

use serde_json::Value;
use std::collections::HashMap;

use super::discovered::plain_value;
pub use super::discovered::{DeviceView, EntityView, Reading};

/// A value as a person reads it: `unknown` for null, strings bare, units appended.
pub fn render_value(value: Option<&Value>, unit: Option<&str>) -> String {
    let text = match value {
        None | Some(Value::Null) => return "unknown".into(),
        Some(Value::String(s)) if s.is_empty() => return "—".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(true)) => "on".into(),
        Some(Value::Bool(false)) => "off".into(),
        Some(other) => other.to_string(),
    };
    match unit {
        Some(unit) if !unit.is_empty() => format!("{text} {unit}"),
        _ => text,
    }
}

/// A value that changed, ready for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub device: String,
    pub entity: String,
    pub old: String,
    pub new: String,
}

/// Something worth a line in the live log.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// A device's discovery payload arrived (or changed).
    Discovered { device: String },
    /// A discovery payload was cleared: the device is gone from Home Assistant.
    Removed { device: String },
    /// State values that differ from the previous state message.
    Changed(Vec<Change>),
    /// An event entity fired.
    Event {
        device: String,
        entity: String,
        event_type: String,
    },
    /// The bridge reported a rejected command or an API error for a device.
    Error { device: String, message: String },
    /// An availability topic changed (`online` / `offline`).
    Availability { device: String, status: String },
}

/// Home Assistant's picture of the bridge's devices.
#[derive(Debug, Default)]
pub struct HaView {
    discovery_prefix: String,
    base_topic: String,
    devices: Vec<DeviceView>,
    /// The last payload per state topic: a JSON object for topics read through templates,
    /// the value itself for plain ones.
    states: HashMap<String, Value>,
    availability: HashMap<String, String>,
}

impl HaView {
    pub fn new(discovery_prefix: &str, base_topic: &str) -> HaView {
        HaView {
            discovery_prefix: discovery_prefix.to_owned(),
            base_topic: base_topic.to_owned(),
            ..HaView::default()
        }
    }

    /// The devices in the order they were discovered.
    pub fn devices(&self) -> &[DeviceView] {
        &self.devices
    }

    /// The devices as Home Assistant shows them: payloads that share a device identifier
    /// merged into one (the first payload with a model names it), in arrival order.
    pub fn merged_devices(&self) -> Vec<DeviceView> {
        let mut merged: Vec<DeviceView> = Vec::new();
        for device in &self.devices {
            let same = merged
                .iter_mut()
                .find(|m| !device.ids.is_empty() && m.ids.iter().any(|id| device.ids.contains(id)));
            match same {
                Some(m) => {
                    if m.model.is_none() && device.model.is_some() {
                        m.name = device.name.clone();
                        m.model = device.model.clone();
                        m.discovery_topic = device.discovery_topic.clone();
                    }
                    m.entities.extend(device.entities.iter().cloned());
                    for topic in &device.availability_topics {
                        if !m.availability_topics.contains(topic) {
                            m.availability_topics.push(topic.clone());
                        }
                    }
                }
                None => merged.push(device.clone()),
            }
        }
        merged
    }

    pub fn device(&self, discovery_topic: &str) -> Option<&DeviceView> {
        self.devices
            .iter()
            .find(|d| d.discovery_topic == discovery_topic)
    }

    /// The latest value of a reading (`None` before the first state message).
    pub fn value(&self, reading: &Reading) -> Option<&Value> {
        pick(self.states.get(&reading.topic)?, reading)
    }

    /// Whether a state message has arrived for every state topic a device reads.
    pub fn has_state(&self, device: &DeviceView) -> bool {
        device
            .state_topics()
            .iter()
            .all(|t| self.states.contains_key(*t))
    }

    /// How many devices besides `excluded_topic` (the bridge's own) are known and have
    /// their state.
    pub fn complete_devices(&self, excluded_topic: &str) -> usize {
        self.merged_devices()
            .iter()
            .filter(|d| d.discovery_topic != excluded_topic && self.has_state(d))
            .count()
    }

    /// Takes in one MQTT message and says what a person should be told about it.
    pub fn on_message(&mut self, topic: &str, payload: &[u8]) -> Vec<Observation> {
        if self.is_discovery(topic) {
            return self.on_discovery(topic, payload).into_iter().collect();
        }
        if self.is_state_topic(topic) {
            return self.on_state(topic, payload);
        }
        if let Some(observation) = self.on_event(topic, payload) {
            return vec![observation];
        }
        if let Some(observation) = self.on_error(topic, payload) {
            return vec![observation];
        }
        self.on_availability(topic, payload).into_iter().collect()
    }

    fn is_discovery(&self, topic: &str) -> bool {
        topic
            .strip_prefix(&self.discovery_prefix)
            .and_then(|rest| rest.strip_prefix("/device/"))
            .is_some_and(|rest| rest.ends_with("/config"))
    }

    fn is_state_topic(&self, topic: &str) -> bool {
        self.devices
            .iter()
            .flat_map(|d| &d.entities)
            .flat_map(|e| &e.readings)
            .any(|r| r.topic == topic)
    }

    fn on_discovery(&mut self, topic: &str, payload: &[u8]) -> Option<Observation> {
        let parsed = if payload.is_empty() {
            None
        } else {
            serde_json::from_slice::<Value>(payload)
                .ok()
                .and_then(|v| DeviceView::parse(topic, &v))
        };
        let existing = self.devices.iter().position(|d| d.discovery_topic == topic);
        match (parsed, existing) {
            (Some(mut device), Some(at)) => {
                let old = self.devices.get_mut(at)?;
                keep_last_events(&mut device, old);
                // The bridge republishes every payload when Home Assistant comes online;
                // only a payload that says something new is worth a line.
                if *old == device {
                    return None;
                }
                let name = device.name.clone();
                *old = device;
                Some(Observation::Discovered { device: name })
            }
            (Some(device), None) => {
                let name = device.name.clone();
                self.devices.push(device);
                Some(Observation::Discovered { device: name })
            }
            (None, Some(at)) => {
                let removed = self.devices.remove(at);
                Some(Observation::Removed {
                    device: removed.name,
                })
            }
            (None, None) => None,
        }
    }

    fn on_state(&mut self, topic: &str, payload: &[u8]) -> Vec<Observation> {
        let templated = self
            .devices
            .iter()
            .flat_map(|d| &d.entities)
            .flat_map(|e| &e.readings)
            .any(|r| r.topic == topic && r.key.is_some());
        let new = if templated {
            match serde_json::from_slice::<Value>(payload) {
                Ok(object @ Value::Object(_)) => object,
                _ => return Vec::new(),
            }
        } else {
            plain_value(payload)
        };
        let Some(old) = self.states.insert(topic.to_owned(), new.clone()) else {
            return Vec::new();
        };
        let mut changes = Vec::new();
        for device in &self.devices {
            for entity in &device.entities {
                for reading in entity.readings.iter().filter(|r| r.topic == topic) {
                    let (before, after) = (pick(&old, reading), pick(&new, reading));
                    if before == after {
                        continue;
                    }
                    changes.push(Change {
                        device: device.name.clone(),
                        entity: entity.label_for(reading),
                        old: render_value(before, reading.unit.as_deref()),
                        new: render_value(after, reading.unit.as_deref()),
                    });
                }
            }
        }
        if changes.is_empty() {
            Vec::new()
        } else {
            vec![Observation::Changed(changes)]
        }
    }

    fn on_event(&mut self, topic: &str, payload: &[u8]) -> Option<Observation> {
        let (device, entity) = self.devices.iter_mut().find_map(|d| {
            let name = &d.name;
            d.entities
                .iter_mut()
                .find(|e| e.event_topic.as_deref() == Some(topic))
                .map(|e| (name.clone(), e))
        })?;
        let event_type = serde_json::from_slice::<Value>(payload)
            .ok()
            .and_then(|v| {
                v.get("event_type")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| String::from_utf8_lossy(payload).into_owned());
        entity.last_event = Some(event_type.clone());
        Some(Observation::Event {
            device,
            entity: entity
                .name
                .clone()
                .unwrap_or_else(|| entity.platform.clone()),
            event_type,
        })
    }

    /// `<base>/<device>/error`: the device is the one whose topics sit under `<base>/<device>/`.
    fn on_error(&self, topic: &str, payload: &[u8]) -> Option<Observation> {
        let object_id = topic
            .strip_prefix(&self.base_topic)?
            .strip_prefix('/')?
            .strip_suffix("/error")?;
        if object_id.contains('/') {
            return None;
        }
        let prefix = format!("{}/{object_id}/", self.base_topic);
        let device = self
            .devices
            .iter()
            .find(|d| {
                let mut topics = d.state_topics().into_iter();
                topics.any(|t| t.starts_with(&prefix))
                    || d.availability_topics.iter().any(|t| t.starts_with(&prefix))
            })
            .map_or_else(|| object_id.to_owned(), |d| d.name.clone());
        let message = match serde_json::from_slice::<Value>(payload) {
            Ok(v) => {
                let error = v.get("error").and_then(Value::as_str).unwrap_or("error");
                match v.get("command").and_then(Value::as_str) {
                    Some(command) => format!("{command}: {error}"),
                    None => error.to_owned(),
                }
            }
            Err(_) => String::from_utf8_lossy(payload).into_owned(),
        };
        Some(Observation::Error { device, message })
    }

    fn on_availability(&mut self, topic: &str, payload: &[u8]) -> Option<Observation> {
        // Every appliance also lists the bridge's availability, so that one is named first.
        let device = if topic == format!("{}/bridge/availability", self.base_topic) {
            BRIDGE_NAME.to_owned()
        } else {
            self.devices
                .iter()
                .find(|d| d.availability_topics.iter().any(|t| t == topic))
                .map(|d| d.name.clone())?
        };
        let status = String::from_utf8_lossy(payload).into_owned();
        let previous = self.availability.insert(topic.to_owned(), status.clone());
        (previous.as_ref() != Some(&status)).then_some(Observation::Availability { device, status })
    }
}

/// The value a reading takes from its topic's last payload.
fn pick<'a>(payload: &'a Value, reading: &Reading) -> Option<&'a Value> {
    match &reading.key {
        Some(key) => payload.get(key),
        None => Some(payload),
    }
}

/// How the log names the bridge itself.
const BRIDGE_NAME: &str = "ThinQ bridge";

/// A rediscovered device keeps the last events of its event entities.
fn keep_last_events(device: &mut DeviceView, old: &DeviceView) {
    for entity in &mut device.entities {
        if let Some(previous) = old.entities.iter().find(|e| e.key == entity.key) {
            entity.last_event = previous.last_event.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ac_payload() -> Value {
        json!({
            "dev": {"ids": ["thinq_AC"], "name": "Living room AC", "mdl": "PAC"},
            "avty": [{"t": "thinq/bridge/availability"}, {"t": "thinq/AC/availability"}],
            "cmps": {
                "climate": {
                    "p": "climate", "name": null,
                    "mode_cmd_t": "thinq/AC/climate/mode/set",
                    "mode_stat_t": "thinq/AC/climate/mode",
                    "temp_cmd_t": "thinq/AC/climate/temperature/set",
                    "temp_stat_t": "thinq/AC/climate/target_temperature",
                    "curr_temp_t": "thinq/AC/climate/current_temperature",
                    "pr_mode_stat_t": "thinq/AC/climate/preset_mode",
                    "current_humidity_topic": "thinq/AC/climate/current_humidity",
                    "temp_unit": "C"
                },
                "pm2": {"p": "sensor", "name": "PM2.5", "stat_t": "thinq/AC/pm2/state",
                        "unit_of_meas": "µg/m³"},
                "start": {"p": "button", "name": "Start", "cmd_t": "thinq/AC/start/press/set"},
                "notification": {"p": "event", "name": "Notification",
                                 "stat_t": "thinq/AC/notification/event", "event_types": ["water_is_full"]},
                "odd": {"p": "sensor", "name": "Odd", "stat_t": "thinq/AC/state",
                        "val_tpl": "{{ value_json.x | float }}"}
            }
        })
    }

    fn view_with_ac() -> HaView {
        let mut view = HaView::new("homeassistant", "thinq");
        let observed = view.on_message(
            "homeassistant/device/thinq_AC/config",
            ac_payload().to_string().as_bytes(),
        );
        assert_eq!(
            observed,
            vec![Observation::Discovered {
                device: "Living room AC".into()
            }]
        );
        view
    }

    #[test]
    fn every_state_topic_is_read_plain_unless_a_template_says_otherwise() {
        let view = view_with_ac();
        let device = &view.devices()[0];
        let climate = &device.entities[0];
        let options: Vec<&str> = climate.readings.iter().map(|r| r.option.as_str()).collect();
        assert_eq!(
            options,
            [
                "mode_stat_t",
                "temp_stat_t",
                "curr_temp_t",
                "pr_mode_stat_t",
                "current_humidity_topic"
            ]
        );
        assert!(climate.readings.iter().all(|r| r.key.is_none()));
        let target = climate.reading("temp").expect("target temperature");
        assert_eq!(target.topic, "thinq/AC/climate/target_temperature");
        assert_eq!(target.unit.as_deref(), Some("°C"));
        assert_eq!(
            climate.reading("current_humidity").map(|r| r.long_label()),
            Some("current humidity".into())
        );
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
    fn plain_state_messages_are_diffed_per_topic() {
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
        assert_eq!(view.complete_devices("none"), 0, "PM2.5 has not arrived");
        assert!(view.on_message("thinq/AC/pm2/state", b"24").is_empty());
        assert_eq!(view.complete_devices("none"), 1);
        let device = &view.devices()[0];
        let humidity = device.entities[0].reading("current_humidity");
        assert_eq!(humidity.and_then(|r| view.value(r)), Some(&Value::Null));
        assert_eq!(
            view.on_message("thinq/AC/climate/current_temperature", b"24.5"),
            vec![Observation::Changed(vec![Change {
                device: "Living room AC".into(),
                entity: "current temperature".into(),
                old: "25 °C".into(),
                new: "24.5 °C".into()
            }])]
        );
        assert_eq!(
            view.on_message("thinq/AC/pm2/state", b"None"),
            vec![Observation::Changed(vec![Change {
                device: "Living room AC".into(),
                entity: "PM2.5".into(),
                old: "24 µg/m³".into(),
                new: "unknown".into()
            }])]
        );
        assert!(
            view.on_message("thinq/AC/pm2/state", b"None").is_empty(),
            "a repeated value is no change"
        );
    }

    #[test]
    fn template_state_messages_are_diffed_per_key() {
        let mut view = HaView::new("homeassistant", "thinq");
        let payload = json!({
            "dev": {"name": "Old AC"},
            "cmps": {"climate": {"p": "climate", "name": null,
                "temp_stat_t": "thinq/OLD/state", "temp_stat_tpl": "{{ value_json.target }}",
                "curr_temp_t": "thinq/OLD/state", "curr_temp_tpl": "{{ value_json.now }}"}}
        });
        view.on_message(
            "homeassistant/device/thinq_OLD/config",
            payload.to_string().as_bytes(),
        );
        let climate = &view.devices()[0].entities[0];
        assert_eq!(climate.readings.len(), 2, "{:?}", climate.readings);
        assert_eq!(
            climate.reading("temp").and_then(|r| r.key.clone()),
            Some("target".into())
        );
        assert!(
            view.on_message("thinq/OLD/state", br#"{"target": 19, "now": 25}"#)
                .is_empty()
        );
        assert_eq!(
            view.on_message("thinq/OLD/state", br#"{"target": 19, "now": 24}"#),
            vec![Observation::Changed(vec![Change {
                device: "Old AC".into(),
                entity: "current temperature".into(),
                old: "25 °C".into(),
                new: "24 °C".into()
            }])]
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
    }

    #[test]
    fn junk_never_panics_and_an_empty_config_removes_the_device() {
        let mut view = view_with_ac();
        for junk in [
            &b"not json"[..],
            b"[]",
            b"{\"cmps\": 3}",
            b"\xff\xfe",
            b"null",
        ] {
            view.on_message("homeassistant/device/thinq_X/config", junk);
            view.on_message("thinq/AC/climate/mode", junk);
            view.on_message("thinq/AC/state", junk);
            view.on_message("thinq/AC/notification/event", junk);
            view.on_message("thinq/AC/error", junk);
        }
        assert_eq!(view.devices().len(), 1);
        let again = view.on_message(
            "homeassistant/device/thinq_AC/config",
            ac_payload().to_string().as_bytes(),
        );
        assert!(
            again.is_empty(),
            "an unchanged payload is no news: {again:?}"
        );
        assert_eq!(
            view.on_message("homeassistant/device/thinq_AC/config", b""),
            vec![Observation::Removed {
                device: "Living room AC".into()
            }]
        );
        assert!(view.devices().is_empty());
    }
}
