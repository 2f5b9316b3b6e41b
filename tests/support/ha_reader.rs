//! A reader of discovery and state topics that follows Home Assistant's MQTT integration
//! (Core 2025.4, `homeassistant/components/mqtt/`), written for the tests from Home
//! Assistant's code and not from the demo's: it lists what Home Assistant would — devices,
//! entities (kind, name), states and the attributes state topics set — so the demo's table
//! can be held against it.
//!
//! What it follows:
//! * `discovery.py`: a device payload's components are entities keyed by platform and
//!   component id under the discovery topic; a component with only `platform` removes the
//!   entity of that platform and id, if there is one; a component left out stays; an empty
//!   payload removes every entity of the topic; a payload the schema refuses (no device,
//!   origin or components, a component without a platform) changes nothing. The device
//!   payload's shared options (`SHARED_OPTIONS`: availability, state topic, …) apply to
//!   components that do not set them.
//! * `entity.py`: the name is the `name` option; `null` shows the device name; no option
//!   gives the device class or the platform's default. `enabled_by_default: false` registers
//!   the entity disabled: it has no state. Availability (`latest` unless said otherwise, `all`
//!   or `any`) makes an entity `unavailable` until its topics say `online`.
//! * each platform's state handler: which payloads set what, which are ignored.
//!
//! Templates are not rendered: the bridge publishes plain values, and the only template it
//! sends is `{{ value }}` (the payload as it is); any other makes the reader fail the test.

mod platforms;

use platforms::{default_name, event, receive, shown};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// One device as Home Assistant lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ListedDevice {
    pub name: String,
    pub model: Option<String>,
    pub entities: Vec<ListedEntity>,
}

/// One entity as Home Assistant lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ListedEntity {
    pub platform: String,
    pub name: String,
    pub state: String,
    pub attributes: Vec<(String, String)>,
}

/// A value Home Assistant holds.
#[derive(Debug, Clone, PartialEq)]
enum Held {
    None,
    Bool(bool),
    Num(f64),
    Str(String),
}

#[derive(Debug, Clone)]
struct Entity {
    platform: String,
    key: String,
    config: Map<String, Value>,
    device: Vec<String>,
    /// HA attribute (`state` for the state) → value.
    held: BTreeMap<String, Held>,
    last_event: Option<String>,
}

#[derive(Debug, Default)]
pub struct HaReader {
    prefix: String,
    /// Discovery topic → its entities.
    topics: BTreeMap<String, Vec<Entity>>,
    /// Device identifier set → (name, model), as the latest payload gave them.
    devices: Vec<(Vec<String>, String, Option<String>)>,
    /// The retained state of every other topic, with the order it came in.
    last: HashMap<String, (String, usize)>,
    count: usize,
}

/// `abbreviations.py`, the part the bridge's payloads use.
fn long_name(key: &str) -> &str {
    match key {
        "p" => "platform",
        "cmps" => "components",
        "dev" => "device",
        "o" => "origin",
        "ids" => "identifiers",
        "mdl" => "model",
        "mf" => "manufacturer",
        "avty" => "availability",
        "avty_t" => "availability_topic",
        "avty_mode" => "availability_mode",
        "t" => "topic",
        "pl_avail" => "payload_available",
        "pl_not_avail" => "payload_not_available",
        "stat_t" => "state_topic",
        "cmd_t" => "command_topic",
        "en" => "enabled_by_default",
        "dev_cla" => "device_class",
        "stat_cla" => "state_class",
        "unit_of_meas" => "unit_of_measurement",
        "ops" => "options",
        "pl_on" => "payload_on",
        "pl_off" => "payload_off",
        "stat_on" => "state_on",
        "stat_off" => "state_off",
        "mode_stat_t" => "mode_state_topic",
        "temp_stat_t" => "temperature_state_topic",
        "temp_lo_stat_t" => "temperature_low_state_topic",
        "temp_hi_stat_t" => "temperature_high_state_topic",
        "curr_temp_t" => "current_temperature_topic",
        "curr_hum_t" => "current_humidity_topic",
        "fan_mode_stat_t" => "fan_mode_state_topic",
        "swing_mode_stat_t" => "swing_mode_state_topic",
        "swing_h_mode_stat_t" => "swing_horizontal_mode_state_topic",
        "swing_h_modes" => "swing_horizontal_modes",
        "pr_mode_stat_t" => "preset_mode_state_topic",
        "pr_modes" => "preset_modes",
        "temp_unit" => "temperature_unit",
        "pct_stat_t" => "percentage_state_topic",
        "spd_rng_min" => "speed_range_min",
        "spd_rng_max" => "speed_range_max",
        "hum_stat_t" => "target_humidity_state_topic",
        "min_hum" => "min_humidity",
        "max_hum" => "max_humidity",
        "pos_t" => "position_topic",
        "pos_clsd" => "position_closed",
        "pos_open" => "position_open",
        "evt_typ" => "event_types",
        "val_tpl" => "value_template",
        "json_attr_t" => "json_attributes_topic",
        "json_attr_tpl" => "json_attributes_template",
        "ptrn" => "pattern",
        other => other,
    }
}

fn long_names(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .map(|(k, v)| (long_name(k).to_owned(), v.clone()))
        .collect()
}

/// The topics each platform's state comes from, and the attribute they set.
fn state_topics(platform: &str) -> &'static [(&'static str, &'static str)] {
    match platform {
        "climate" => &[
            ("mode_state_topic", "state"),
            ("temperature_state_topic", "temperature"),
            ("temperature_low_state_topic", "target_temp_low"),
            ("temperature_high_state_topic", "target_temp_high"),
            ("current_temperature_topic", "current_temperature"),
            ("current_humidity_topic", "current_humidity"),
            ("target_humidity_state_topic", "humidity"),
            ("fan_mode_state_topic", "fan_mode"),
            ("swing_mode_state_topic", "swing_mode"),
            ("swing_horizontal_mode_state_topic", "swing_horizontal_mode"),
            ("preset_mode_state_topic", "preset_mode"),
        ],
        "water_heater" => &[
            ("mode_state_topic", "state"),
            ("temperature_state_topic", "temperature"),
            ("current_temperature_topic", "current_temperature"),
        ],
        "fan" => &[
            ("state_topic", "state"),
            ("percentage_state_topic", "percentage"),
            ("preset_mode_state_topic", "preset_mode"),
        ],
        "humidifier" => &[
            ("state_topic", "state"),
            ("target_humidity_state_topic", "humidity"),
            ("current_humidity_topic", "current_humidity"),
            ("mode_state_topic", "mode"),
        ],
        "cover" => &[
            ("state_topic", "state"),
            ("position_topic", "current_position"),
        ],
        "button" | "event" => &[],
        _ => &[("state_topic", "state")],
    }
}

impl HaReader {
    pub fn new(prefix: &str) -> HaReader {
        HaReader {
            prefix: format!("{prefix}/device/"),
            ..HaReader::default()
        }
    }

    /// One message, in the order the broker delivered it.
    pub fn take(&mut self, topic: &str, payload: &[u8]) {
        let text = String::from_utf8_lossy(payload).into_owned();
        if topic.starts_with(&self.prefix) && topic.ends_with("/config") {
            self.discovery(topic, &text);
            return;
        }
        self.count += 1;
        self.last
            .insert(topic.to_owned(), (text.clone(), self.count));
        for entities in self.topics.values_mut() {
            for entity in entities.iter_mut() {
                if entity.platform == "event" {
                    if entity.str("state_topic") == Some(topic) {
                        event(entity, &text);
                    }
                    continue;
                }
                for (option, attribute) in state_topics(&entity.platform) {
                    if entity.str(option) == Some(topic) {
                        receive(entity, attribute, &text);
                    }
                }
            }
        }
    }

    fn discovery(&mut self, topic: &str, text: &str) {
        if text.is_empty() {
            self.topics.remove(topic);
            return;
        }
        let Ok(Value::Object(raw)) = serde_json::from_str::<Value>(text) else {
            return;
        };
        let root = long_names(&raw);
        let (Some(Value::Object(device)), Some(Value::Object(_)), Some(Value::Object(components))) = (
            root.get("device"),
            root.get("origin"),
            root.get("components"),
        ) else {
            return;
        };
        let device = long_names(device);
        let ids: Vec<String> = match device.get("identifiers") {
            Some(Value::Array(ids)) => ids
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(id)) => vec![id.clone()],
            _ => Vec::new(),
        };
        let mut parsed = Vec::new();
        for (key, component) in components {
            let Some(component) = component.as_object() else {
                return;
            };
            let mut config = long_names(component);
            let Some(platform) = config
                .remove("platform")
                .and_then(|p| p.as_str().map(str::to_owned))
            else {
                return;
            };
            let removal = config.is_empty();
            if !removal {
                for shared in [
                    "availability",
                    "availability_mode",
                    "availability_template",
                    "availability_topic",
                    "command_topic",
                    "payload_available",
                    "payload_not_available",
                    "state_topic",
                ] {
                    if let Some(v) = root.get(shared)
                        && !config.contains_key(shared)
                    {
                        config.insert(shared.to_owned(), v.clone());
                    }
                }
            }
            parsed.push((key.clone(), platform, removal, config));
        }
        let name = device.get("name").and_then(Value::as_str).unwrap_or("");
        let model = device
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_owned);
        match self
            .devices
            .iter_mut()
            .find(|(known, _, _)| known.iter().any(|i| ids.contains(i)))
        {
            Some(known) => {
                known.1 = name.to_owned();
                if model.is_some() {
                    known.2 = model;
                }
            }
            None => self.devices.push((ids.clone(), name.to_owned(), model)),
        }
        let last = &self.last;
        let entities = self.topics.entry(topic.to_owned()).or_default();
        for (key, platform, removal, config) in parsed {
            let at = entities
                .iter()
                .position(|e| e.key == key && e.platform == platform);
            if removal {
                if let Some(at) = at {
                    entities.remove(at);
                }
                continue;
            }
            // The pass-through copies an upgrade needs (`hass::stale_templates`) render the
            // payload as it is; attribute templates change no state.
            for (option, template) in &config {
                assert!(
                    !option.ends_with("_template")
                        || option == "json_attributes_template"
                        || template == "{{ value }}",
                    "{topic} {key}: the reader renders no template {option} = {template}"
                );
            }
            let mut entity = match at {
                Some(at) => entities.remove(at),
                None => Entity {
                    platform: platform.clone(),
                    key: key.clone(),
                    config: Map::new(),
                    device: Vec::new(),
                    held: BTreeMap::new(),
                    last_event: None,
                },
            };
            entity.config = config;
            entity.device = ids.clone();
            // Subscribing brings the retained message of each topic, in the order they came.
            let mut retained: Vec<(usize, &str, String)> = state_topics(&platform)
                .iter()
                .filter_map(|(option, attribute)| {
                    let (text, at) = last.get(entity.str(option)?)?;
                    Some((*at, *attribute, text.clone()))
                })
                .collect();
            retained.sort_by_key(|(at, _, _)| *at);
            for (_, attribute, text) in retained {
                receive(&mut entity, attribute, &text);
            }
            match at {
                Some(at) => entities.insert(at, entity),
                None => entities.push(entity),
            }
        }
    }

    /// Every device with an entity, its entities as Home Assistant lists them.
    pub fn listing(&self) -> Vec<ListedDevice> {
        let mut out: Vec<(Vec<String>, ListedDevice)> = Vec::new();
        for entity in self.topics.values().flatten() {
            let Some((ids, name, model)) = self
                .devices
                .iter()
                .find(|(ids, _, _)| ids.iter().any(|i| entity.device.contains(i)))
            else {
                continue;
            };
            let listed = self.list(entity, name);
            match out.iter_mut().find(|(known, _)| known == ids) {
                Some((_, device)) => device.entities.push(listed),
                None => out.push((
                    ids.clone(),
                    ListedDevice {
                        name: name.clone(),
                        model: model.clone(),
                        entities: vec![listed],
                    },
                )),
            }
        }
        let mut devices: Vec<ListedDevice> = out.into_iter().map(|(_, d)| d).collect();
        for device in &mut devices {
            device.entities.sort();
        }
        devices.sort();
        devices
    }

    fn list(&self, entity: &Entity, device_name: &str) -> ListedEntity {
        let name = match entity.config.get("name") {
            Some(Value::String(name)) => name.clone(),
            Some(Value::Null) => device_name.to_owned(),
            _ => default_name(entity),
        };
        let mut listed = ListedEntity {
            platform: entity.platform.clone(),
            name,
            state: String::new(),
            attributes: Vec::new(),
        };
        if entity.config.get("enabled_by_default") == Some(&Value::Bool(false)) {
            listed.state = "disabled".into();
            return listed;
        }
        if !self.available(entity) {
            listed.state = "unavailable".into();
            return listed;
        }
        if entity.platform == "event" {
            listed.state = entity.last_event.clone().unwrap_or("unknown".into());
            return listed;
        }
        // Without a state topic (a button, a climate without one) the state is unknown.
        listed.state = "unknown".into();
        for (option, attribute) in state_topics(&entity.platform) {
            if entity.str(option).is_none() {
                continue;
            }
            let shown = shown(entity, attribute);
            if *attribute == "state" {
                listed.state = shown;
            } else {
                listed.attributes.push(((*attribute).to_owned(), shown));
            }
        }
        listed
    }

    fn available(&self, entity: &Entity) -> bool {
        let mut topics: Vec<(String, String, String)> = Vec::new();
        if let Some(t) = entity.str("availability_topic") {
            topics.push((
                t.to_owned(),
                entity
                    .str("payload_available")
                    .unwrap_or("online")
                    .to_owned(),
                entity
                    .str("payload_not_available")
                    .unwrap_or("offline")
                    .to_owned(),
            ));
        }
        if let Some(Value::Array(list)) = entity.config.get("availability") {
            for item in list.iter().filter_map(Value::as_object).map(long_names) {
                let text =
                    |k: &str, d: &str| item.get(k).and_then(Value::as_str).unwrap_or(d).to_owned();
                if let Some(t) = item.get("topic").and_then(Value::as_str) {
                    topics.push((
                        t.to_owned(),
                        text("payload_available", "online"),
                        text("payload_not_available", "offline"),
                    ));
                }
            }
        }
        if topics.is_empty() {
            return true;
        }
        let said: Vec<Option<(bool, usize)>> = topics
            .iter()
            .map(|(t, on, off)| {
                let (text, at) = self.last.get(t)?;
                match text {
                    x if x == on => Some((true, *at)),
                    x if x == off => Some((false, *at)),
                    _ => None,
                }
            })
            .collect();
        match entity.str("availability_mode").unwrap_or("latest") {
            "all" => said.iter().all(|s| matches!(s, Some((true, _)))),
            "any" => said.iter().any(|s| matches!(s, Some((true, _)))),
            _ => said
                .iter()
                .flatten()
                .max_by_key(|(_, at)| *at)
                .is_some_and(|(up, _)| *up),
        }
    }
}

impl Entity {
    fn str(&self, option: &str) -> Option<&str> {
        self.config.get(option).and_then(Value::as_str)
    }

    fn num(&self, option: &str) -> Option<f64> {
        self.config.get(option).and_then(Value::as_f64)
    }

    fn offers(&self, list: &str, value: &str) -> bool {
        match self.config.get(list) {
            Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(value)),
            _ => false,
        }
    }
}
