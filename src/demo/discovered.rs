//! What a device-based discovery payload tells Home Assistant: the device's entities, and for
//! each the state topics it reads — a plain value, or one key of a JSON payload picked by a
//! `{{ value_json.KEY }}` template (the bridge's own device still uses one shared JSON).
//!
//! Every input is network data: missing or odd fields are skipped, never unwrapped.

use serde_json::{Map, Value};

/// One value an entity reads from a state topic, and what that value means for the entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub topic: String,
    /// The key in a JSON payload (`{{ value_json.KEY }}`); `None` when the payload is the
    /// value itself (no template).
    pub key: Option<String>,
    /// The option it came from: the template (`val_tpl`, `temp_stat_tpl`, …) when there is
    /// one, else the state topic (`stat_t`, `temp_stat_t`, `current_humidity_topic`, …).
    pub option: String,
    pub unit: Option<String>,
}

impl Reading {
    /// What the reading is about (`temp`, `curr_temp`, `fan_mode`); empty for the entity's
    /// main value.
    pub fn feature(&self) -> String {
        feature_of(&self.option)
    }

    /// Short label inside a composite's state (`target`, `now`, `fan`); empty for the
    /// entity's main value.
    pub fn short_label(&self) -> String {
        match feature_of(&self.option).as_str() {
            "" | "mode" => String::new(),
            "temp" | "hum" | "target_humidity" => "target".into(),
            "curr_temp" | "current_temperature" => "now".into(),
            "fan_mode" => "fan".into(),
            "swing_mode" => "swing".into(),
            "swing_h_mode" => "h-swing".into(),
            "pr_mode" => "preset".into(),
            "current_humidity" => "humidity".into(),
            "pct" => "speed".into(),
            other => other.replace('_', " "),
        }
    }

    /// Long label for the change log (`target temperature`); `state` for the main value.
    pub fn long_label(&self) -> String {
        match feature_of(&self.option).as_str() {
            "" => "state".into(),
            "temp" => "target temperature".into(),
            "hum" | "target_humidity" => "target humidity".into(),
            "curr_temp" | "current_temperature" => "current temperature".into(),
            "fan_mode" => "fan mode".into(),
            "swing_h_mode" => "horizontal swing".into(),
            "swing_mode" => "swing".into(),
            "pr_mode" => "preset".into(),
            "pct" => "speed".into(),
            other => other.replace('_', " "),
        }
    }
}

/// The feature a template or state topic option is about: `temp_stat_tpl` and `temp_stat_t`
/// → `temp`, `current_humidity_topic` → `current_humidity`, `val_tpl` and `stat_t` → ``.
fn feature_of(option: &str) -> String {
    let base = option
        .strip_suffix("_template")
        .or_else(|| option.strip_suffix("_tpl"))
        .or_else(|| option.strip_suffix("_topic"))
        .or_else(|| option.strip_suffix("_t"))
        .unwrap_or(option);
    let base = base
        .strip_suffix("_stat")
        .or_else(|| base.strip_suffix("_state"))
        .or_else(|| base.strip_suffix("_val"))
        .or_else(|| base.strip_suffix("_value"))
        .unwrap_or(base);
    match base {
        "val" | "value" | "stat" | "state" => String::new(),
        other => other.to_owned(),
    }
}

/// The state topic options a template option may pair with, most likely first.
fn topic_options(option: &str) -> Vec<String> {
    if matches!(option, "val_tpl" | "value_template") {
        return vec!["stat_t".into(), "state_topic".into()];
    }
    if let Some(base) = option.strip_suffix("_template") {
        return vec![format!("{base}_topic")];
    }
    let Some(base) = option.strip_suffix("_tpl") else {
        return Vec::new();
    };
    let mut out = vec![format!("{base}_t")];
    for suffix in ["_val", "_state", "_stat"] {
        if let Some(stem) = base.strip_suffix(suffix) {
            out.push(format!("{stem}_stat_t"));
            out.push(format!("{stem}_t"));
        }
    }
    out
}

/// Whether a component option names a topic Home Assistant reads a state from (not a command,
/// `set_…` command, availability or attributes topic).
fn is_state_topic_option(option: &str) -> bool {
    (option.ends_with("_t") || option.ends_with("_topic"))
        && !option.contains("cmd")
        && !option.contains("command")
        && !option.starts_with("avty")
        && !option.starts_with("availability")
        && !option.starts_with("json_attr")
        && !option.starts_with("set_")
}

/// A plain state payload as a value: Home Assistant's `None` is no value, a number is a
/// number, anything else is text.
pub fn plain_value(payload: &[u8]) -> Value {
    let text = String::from_utf8_lossy(payload);
    let text = text.trim();
    if text == "None" {
        return Value::Null;
    }
    match serde_json::from_str::<Value>(text) {
        Ok(number @ Value::Number(_)) => number,
        _ => Value::String(text.to_owned()),
    }
}

/// The state key a `{{ value_json.KEY }}` template reads; `None` for any other template.
pub fn template_key(template: &str) -> Option<String> {
    let inner = template
        .trim()
        .strip_prefix("{{")?
        .strip_suffix("}}")?
        .trim();
    let key = inner.strip_prefix("value_json.")?;
    let valid = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| key.to_owned())
}

/// One entity as a discovery component describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityView {
    /// The component id inside the device payload.
    pub key: String,
    pub platform: String,
    /// `None` is the device's main entity (Home Assistant shows the device name).
    pub name: Option<String>,
    pub readings: Vec<Reading>,
    /// For `event` entities: the topic events arrive on.
    pub event_topic: Option<String>,
    /// The last event seen (event entities only).
    pub last_event: Option<String>,
    /// The component as received, for command topics and limits.
    pub config: Map<String, Value>,
}

impl EntityView {
    /// How the change log names what changed: `PM2.5`, `target temperature`,
    /// `Upper oven target temperature`.
    pub fn label_for(&self, reading: &Reading) -> String {
        let long = reading.long_label();
        match &self.name {
            Some(name) if long == "state" => name.clone(),
            Some(name) => format!("{name} {long}"),
            None => long,
        }
    }

    /// The reading about `feature` (`temp` for the target temperature, see
    /// [`Reading::feature`]), whether plain or read through a template.
    pub fn reading(&self, feature: &str) -> Option<&Reading> {
        self.readings.iter().find(|r| r.feature() == feature)
    }
}

/// One device as its discovery payload describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceView {
    /// The discovery topic it came on; identifies the payload.
    pub discovery_topic: String,
    /// Home Assistant's device identifiers (`dev.ids`): payloads that share one describe one
    /// device (an appliance and its energy sensors, the bridge and its energy button).
    pub ids: Vec<String>,
    pub name: String,
    pub model: Option<String>,
    pub entities: Vec<EntityView>,
    /// Its availability topics (device-level `avty` / `avty_t`).
    pub availability_topics: Vec<String>,
}

impl DeviceView {
    /// Parses a device-based discovery payload; `None` when it is not one (no `cmps`).
    pub fn parse(discovery_topic: &str, payload: &Value) -> Option<DeviceView> {
        let components = payload.get("cmps")?.as_object()?;
        let dev = payload.get("dev").or_else(|| payload.get("device"));
        let name = dev
            .and_then(|d| d.get("name"))
            .and_then(Value::as_str)
            .unwrap_or(discovery_topic)
            .to_owned();
        let ids = dev
            .and_then(|d| d.get("ids").or_else(|| d.get("identifiers")))
            .map(|ids| match ids {
                Value::Array(list) => list
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                Value::String(one) => vec![one.clone()],
                _ => Vec::new(),
            })
            .unwrap_or_default();
        let model = dev
            .and_then(|d| d.get("mdl").or_else(|| d.get("model")))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let base = payload.get("~").and_then(Value::as_str);
        let shared_state = payload
            .get("stat_t")
            .or_else(|| payload.get("state_topic"))
            .and_then(Value::as_str)
            .map(|t| expand(t, base));
        let mut entities = Vec::new();
        for (key, component) in components {
            let Some(config) = component.as_object() else {
                continue;
            };
            entities.push(entity(key, config, base, shared_state.as_deref()));
        }
        let mut availability_topics = Vec::new();
        if let Some(list) = payload.get("avty").and_then(Value::as_array) {
            for item in list {
                if let Some(topic) = item.get("t").or_else(|| item.get("topic")) {
                    availability_topics.extend(topic.as_str().map(|t| expand(t, base)));
                }
            }
        }
        for option in ["avty_t", "availability_topic"] {
            if let Some(topic) = payload.get(option).and_then(Value::as_str) {
                availability_topics.push(expand(topic, base));
            }
        }
        Some(DeviceView {
            discovery_topic: discovery_topic.to_owned(),
            ids,
            name,
            model,
            entities,
            availability_topics,
        })
    }

    /// Every state topic this device's entities read.
    pub fn state_topics(&self) -> Vec<&str> {
        let mut topics: Vec<&str> = Vec::new();
        for reading in self.entities.iter().flat_map(|e| &e.readings) {
            if !topics.contains(&reading.topic.as_str()) {
                topics.push(&reading.topic);
            }
        }
        topics
    }
}

/// `~` in a topic stands for the payload's base topic.
fn expand(topic: &str, base: Option<&str>) -> String {
    match base {
        Some(base) if topic.starts_with('~') => format!("{base}{}", &topic[1..]),
        Some(base) if topic.ends_with('~') => format!("{}{base}", &topic[..topic.len() - 1]),
        _ => topic.to_owned(),
    }
}

fn entity(
    key: &str,
    config: &Map<String, Value>,
    base: Option<&str>,
    shared_state: Option<&str>,
) -> EntityView {
    let platform = config
        .get("p")
        .or_else(|| config.get("platform"))
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned();
    let name = config
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let text = |option: &str| config.get(option).and_then(Value::as_str);
    let temperature_unit = match text("temp_unit").or_else(|| text("temperature_unit")) {
        Some("F") => "°F",
        _ => "°C",
    };
    let unit_of = |feature: &str| match feature {
        "temp" | "curr_temp" | "current_temperature" | "temp_hi" | "temp_lo" => {
            Some(temperature_unit.to_owned())
        }
        "hum" | "current_humidity" | "target_humidity" => Some("%".to_owned()),
        "" => text("unit_of_meas")
            .or_else(|| text("unit_of_measurement"))
            .map(str::to_owned),
        _ => None,
    };
    let mut readings = Vec::new();
    // Topics read through a template; the others carry their value plain.
    let mut templated: Vec<&str> = Vec::new();
    for (option, value) in config {
        let is_template = option.ends_with("_tpl") || option.ends_with("_template");
        if !is_template || option.starts_with("json_attr") || option.contains("cmd") {
            continue;
        }
        let topic_option = topic_options(option)
            .into_iter()
            .find(|t| config.contains_key(t.as_str()));
        if let Some(t) = &topic_option {
            templated.extend(config.get_key_value(t.as_str()).map(|(k, _)| k.as_str()));
        }
        // A template that is not a plain key lookup is not guessed at.
        let Some(state_key) = value.as_str().and_then(template_key) else {
            continue;
        };
        let topic = topic_option
            .and_then(|t| text(&t))
            .map(|t| expand(t, base))
            .or_else(|| shared_state.map(str::to_owned));
        let Some(topic) = topic else {
            continue;
        };
        readings.push(Reading {
            topic,
            key: Some(state_key),
            option: option.clone(),
            unit: unit_of(&feature_of(option)),
        });
    }
    // An event entity's `stat_t` carries events, not a state.
    if platform != "event" {
        for (option, value) in config {
            if !is_state_topic_option(option) || templated.contains(&option.as_str()) {
                continue;
            }
            let Some(topic) = value.as_str() else {
                continue;
            };
            readings.push(Reading {
                topic: expand(topic, base),
                key: None,
                option: option.clone(),
                unit: unit_of(&feature_of(option)),
            });
        }
    }
    let event_topic = (platform == "event")
        .then(|| text("stat_t").or_else(|| text("state_topic")))
        .flatten()
        .map(|t| expand(t, base));
    EntityView {
        key: key.to_owned(),
        platform,
        name,
        readings,
        event_topic,
        last_event: None,
        config: config.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn template_keys_are_read_only_from_plain_value_json_templates() {
        assert_eq!(
            template_key("{{ value_json.climate_mode }}"),
            Some("climate_mode".into())
        );
        assert_eq!(template_key("{{value_json.a_b}}"), Some("a_b".into()));
        assert_eq!(template_key("{{ value_json.x | float }}"), None);
        assert_eq!(template_key("{{ value }}"), None);
        assert_eq!(template_key(""), None);
    }

    #[test]
    fn shared_state_topic_and_base_abbreviation_are_honoured() {
        let payload = json!({
            "~": "thinq/bridge",
            "dev": {"ids": ["thinq_bridge"], "name": "LG ThinQ bridge"},
            "avty_t": "~/availability",
            "stat_t": "~/state",
            "cmps": {"devices": {"p": "sensor", "name": "Appliances", "val_tpl": "{{ value_json.devices }}"}}
        });
        let device = DeviceView::parse("homeassistant/device/thinq_bridge/config", &payload)
            .expect("device payload");
        assert_eq!(device.state_topics(), ["thinq/bridge/state"]);
        assert_eq!(device.availability_topics, ["thinq/bridge/availability"]);
    }
}
