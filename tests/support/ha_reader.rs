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

/// `_set_entity_name` without a `name` option.
fn default_name(entity: &Entity) -> String {
    let class = entity.str("device_class");
    let named_by_class = match entity.platform.as_str() {
        "sensor" => class.is_some() && class != Some("enum"),
        "binary_sensor" | "button" | "number" | "event" => class.is_some(),
        _ => false,
    };
    if let (true, Some(class)) = (named_by_class, class) {
        let words = class.replace('_', " ");
        let mut chars = words.chars();
        return chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
    }
    let default = match entity.platform.as_str() {
        "sensor" => "MQTT Sensor",
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
        other => panic!("no default name known for {other}"),
    };
    default.to_owned()
}

fn event(entity: &mut Entity, text: &str) {
    // event.py: a JSON object whose event_type the entity was told of.
    let Ok(Value::Object(event)) = serde_json::from_str::<Value>(text) else {
        return;
    };
    if let Some(kind) = event.get("event_type").and_then(Value::as_str)
        && entity.offers("event_types", kind)
    {
        entity.last_event = Some(kind.to_owned());
    }
}

/// Python's float(); HA's number / climate parsing.
fn py_float(text: &str) -> Option<f64> {
    let n: f64 = text.trim().parse().ok()?;
    n.is_finite().then_some(n)
}

/// One state message for one attribute of an entity, by its platform's handler.
fn receive(entity: &mut Entity, attribute: &str, p: &str) {
    let keep = |e: &mut Entity, v: Held| {
        e.held.insert(attribute.to_owned(), v);
    };
    let platform = entity.platform.clone();
    match (platform.as_str(), attribute) {
        ("sensor", _) => {
            // sensor.py _update_state
            if p == "None" {
                return keep(entity, Held::None);
            }
            let class = entity.str("device_class");
            let numeric = !matches!(class, Some("date" | "enum" | "timestamp"))
                && (class.is_some()
                    || entity.config.contains_key("state_class")
                    || entity.config.contains_key("unit_of_measurement")
                    || entity.config.contains_key("suggested_display_precision"));
            if numeric {
                // An unparsable number fails the state write: the state stays.
                if let Some(n) = py_float(p) {
                    keep(entity, Held::Num(n));
                }
                return;
            }
            if entity.config.get("options").is_some() && !entity.offers("options", p) {
                return;
            }
            match class {
                Some("timestamp") => {
                    let t = iso_utc(p).map_or(Held::None, Held::Str);
                    keep(entity, t)
                }
                _ if p.chars().count() > 255 => {}
                _ => keep(entity, Held::Str(p.to_owned())),
            }
        }
        ("binary_sensor", _) => {
            if p.trim().is_empty() {
                return;
            }
            let on = entity.str("payload_on").unwrap_or("ON").to_owned();
            let off = entity.str("payload_off").unwrap_or("OFF").to_owned();
            if p == on {
                keep(entity, Held::Bool(true))
            } else if p == off {
                keep(entity, Held::Bool(false))
            } else if p == "None" {
                keep(entity, Held::None)
            }
        }
        ("switch", _) | ("fan" | "humidifier" | "siren", "state") => {
            if p.is_empty() {
                return;
            }
            let on = entity
                .str("state_on")
                .or(entity.str("payload_on"))
                .unwrap_or("ON")
                .to_owned();
            let off = entity
                .str("state_off")
                .or(entity.str("payload_off"))
                .unwrap_or("OFF")
                .to_owned();
            let state = if platform == "siren" && p != on && p != off && p != "None" {
                match serde_json::from_str::<Value>(p) {
                    Ok(Value::Object(o)) => match o.get("state") {
                        Some(Value::String(s)) => s.clone(),
                        _ => return,
                    },
                    _ => return,
                }
            } else {
                p.to_owned()
            };
            if state == on {
                keep(entity, Held::Bool(true))
            } else if state == off {
                keep(entity, Held::Bool(false))
            } else if state == "None" {
                keep(entity, Held::None)
            }
        }
        ("number", _) => {
            if p.trim().is_empty() {
                return;
            }
            if p == entity.str("payload_reset").unwrap_or("None") {
                return keep(entity, Held::None);
            }
            let Some(n) = py_float(p) else { return };
            let (min, max) = (
                entity.num("min").unwrap_or(1.0),
                entity.num("max").unwrap_or(100.0),
            );
            if n >= min && n <= max {
                keep(entity, Held::Num(n));
            }
        }
        ("select", _) => {
            if p.trim().is_empty() {
                return;
            }
            if p.to_lowercase() == "none" {
                keep(entity, Held::None)
            } else if entity.offers("options", p) {
                keep(entity, Held::Str(p.to_owned()))
            }
        }
        ("text", _) => {
            let len = p.chars().count() as f64;
            if len >= entity.num("min").unwrap_or(0.0) && len <= entity.num("max").unwrap_or(255.0)
            {
                keep(entity, Held::Str(p.to_owned()));
            }
        }
        ("lock", _) => {
            if p.trim().is_empty() {
                return;
            }
            if p == entity.str("payload_reset").unwrap_or("None") {
                return keep(entity, Held::None);
            }
            let states = [
                ("state_jammed", "JAMMED", "jammed"),
                ("state_opening", "OPENING", "opening"),
                ("state_locking", "LOCKING", "locking"),
                ("state_open", "OPEN", "open"),
                ("state_unlocking", "UNLOCKING", "unlocking"),
                ("state_locked", "LOCKED", "locked"),
                ("state_unlocked", "UNLOCKED", "unlocked"),
            ];
            if let Some((_, _, state)) = states
                .iter()
                .find(|(option, default, _)| entity.str(option).unwrap_or(default) == p)
            {
                keep(entity, Held::Str((*state).to_owned()));
            }
        }
        ("cover", "state") => {
            if p.is_empty() {
                return;
            }
            let s = |o: &str, d: &str| entity.str(o).unwrap_or(d) == p;
            let state = if s("state_stopped", "stopped") {
                let closed = if entity.config.contains_key("position_topic") {
                    entity.held.get("current_position") == Some(&Held::Num(0.0))
                } else {
                    matches!(entity.held.get("state"), Some(Held::Str(x)) if x == "closed" || x == "closing")
                };
                Held::Str(if closed { "closed" } else { "open" }.into())
            } else if s("state_opening", "opening") {
                Held::Str("opening".into())
            } else if s("state_closing", "closing") {
                Held::Str("closing".into())
            } else if s("state_open", "open") {
                Held::Str("open".into())
            } else if s("state_closed", "closed") {
                Held::Str("closed".into())
            } else if p == "None" {
                Held::None
            } else {
                return;
            };
            keep(entity, state)
        }
        ("cover", "current_position") => {
            let Some(v) = py_float(p) else { return };
            let low = entity.num("position_closed").unwrap_or(0.0) + 1.0;
            let high = entity.num("position_open").unwrap_or(100.0);
            let pct = ((v - (low - 1.0)) * 100.0 / (high - low + 1.0)).floor();
            keep(entity, Held::Num(pct.clamp(0.0, 100.0)))
        }
        ("light", _) | ("vacuum", _) => {
            let Ok(Value::Object(o)) = serde_json::from_str::<Value>(p) else {
                return;
            };
            let vacuum_states = ["cleaning", "docked", "error", "idle", "paused", "returning"];
            match o.get("state") {
                Some(Value::Null) => keep(entity, Held::None),
                Some(Value::String(s)) if platform == "light" && s == "ON" => {
                    keep(entity, Held::Bool(true))
                }
                Some(Value::String(s)) if platform == "light" && s == "OFF" => {
                    keep(entity, Held::Bool(false))
                }
                Some(Value::String(s))
                    if platform == "vacuum" && vacuum_states.contains(&s.as_str()) =>
                {
                    keep(entity, Held::Str(s.clone()))
                }
                _ => {}
            }
        }
        ("climate" | "water_heater", "state") => {
            if p.trim().is_empty() {
                return;
            }
            if p == "None" {
                keep(entity, Held::None)
            } else if entity.offers("modes", p) {
                keep(entity, Held::Str(p.to_owned()))
            }
        }
        ("climate", "fan_mode" | "swing_mode" | "swing_horizontal_mode") => {
            let list = match attribute {
                "fan_mode" => "fan_modes",
                "swing_mode" => "swing_modes",
                _ => "swing_horizontal_modes",
            };
            if p == "None" {
                keep(entity, Held::None)
            } else if entity.offers(list, p) {
                keep(entity, Held::Str(p.to_owned()))
            }
        }
        ("climate", "preset_mode") => {
            if p == "none" || p == "None" {
                keep(entity, Held::Str("none".into()))
            } else if entity.offers("preset_modes", p) {
                keep(entity, Held::Str(p.to_owned()))
            }
        }
        ("climate" | "water_heater", _) => {
            if p.is_empty() {
                return;
            }
            if p == "None" {
                return keep(entity, Held::None);
            }
            if let Some(n) = py_float(p) {
                keep(entity, Held::Num(n));
            }
        }
        ("fan", "percentage") => {
            if p.is_empty() {
                return;
            }
            if p == "None" {
                return keep(entity, Held::None);
            }
            let Ok(speed) = p.trim().parse::<i64>() else {
                return;
            };
            let low = entity.num("speed_range_min").unwrap_or(1.0);
            let high = entity.num("speed_range_max").unwrap_or(100.0);
            let pct = ((speed as f64 - (low - 1.0)) * 100.0 / (high - low + 1.0)).floor();
            if (0.0..=100.0).contains(&pct) {
                keep(entity, Held::Num(pct));
            }
        }
        ("fan", "preset_mode") | ("humidifier", "mode") => {
            let list = if attribute == "mode" {
                "modes"
            } else {
                "preset_modes"
            };
            if p == "None" {
                keep(entity, Held::None)
            } else if entity.offers(list, p) {
                keep(entity, Held::Str(p.to_owned()))
            }
        }
        ("humidifier", _) => {
            if p.is_empty() {
                return;
            }
            if p == "None" {
                return keep(entity, Held::None);
            }
            let Some(n) = py_float(p) else { return };
            let n = n.round_ties_even();
            let (min, max) = if attribute == "humidity" {
                (
                    entity.num("min_humidity").unwrap_or(0.0),
                    entity.num("max_humidity").unwrap_or(100.0),
                )
            } else {
                (0.0, 100.0)
            };
            if n >= min && n <= max {
                keep(entity, Held::Num(n));
            }
        }
        _ => {}
    }
}

/// A held value as its state string, with the unit Home Assistant shows it in.
fn shown(entity: &Entity, attribute: &str) -> String {
    let value = match entity.held.get(attribute) {
        None | Some(Held::None) => return "unknown".into(),
        Some(Held::Bool(true)) => "on".to_owned(),
        Some(Held::Bool(false)) => "off".to_owned(),
        Some(Held::Num(n)) if n.fract() == 0.0 => format!("{}", *n as i64),
        Some(Held::Num(n)) => format!("{n}"),
        Some(Held::Str(s)) => s.clone(),
    };
    let unit = match (entity.platform.as_str(), attribute) {
        ("sensor" | "number", "state") => entity.str("unit_of_measurement").map(str::to_owned),
        ("climate" | "water_heater", a) if a.contains("temp") => {
            Some(if entity.str("temperature_unit") == Some("F") {
                "°F".to_owned()
            } else {
                "°C".to_owned()
            })
        }
        (_, "humidity" | "current_humidity" | "percentage" | "current_position") => {
            Some("%".to_owned())
        }
        _ => None,
    };
    match unit {
        Some(unit) if !unit.is_empty() => format!("{value} {unit}"),
        _ => value,
    }
}

/// `dt_util.parse_datetime`, then the UTC state Home Assistant writes for a timestamp.
fn iso_utc(text: &str) -> Option<String> {
    let text = text.trim();
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') {
        return None;
    }
    let n = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, s) = (
        n(0..4)?,
        n(5..7)?,
        n(8..10)?,
        n(11..13)?,
        n(14..16)?,
        n(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        rest = fraction.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest {
        "" | "Z" => 0,
        zone => {
            let sign = match zone.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
            let hh: i64 = digits.get(0..2)?.parse().ok()?;
            let mm: i64 = digits.get(2..4).unwrap_or("00").parse().ok()?;
            sign * (hh * 3600 + mm * 60)
        }
    };
    let when = time::PrimitiveDateTime::new(
        time::Date::from_calendar_date(y as i32, time::Month::try_from(mo as u8).ok()?, d as u8)
            .ok()?,
        time::Time::from_hms(h as u8, mi as u8, s.min(59) as u8).ok()?,
    )
    .assume_offset(time::UtcOffset::from_whole_seconds(offset as i32).ok()?)
    .to_offset(time::UtcOffset::UTC);
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        when.year(),
        u8::from(when.month()),
        when.day(),
        when.hour(),
        when.minute(),
        when.second()
    ))
}
