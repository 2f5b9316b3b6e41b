//! What a device-based discovery payload tells Home Assistant, read by Home Assistant's rules
//! ([`super::ha`]): the device, and for each component either an entity (its platform, name,
//! the topics its state comes from and what each part means) or the removal of one — a
//! component holding only its platform.
//!
//! Every input is network data: missing or odd fields are skipped, never unwrapped.

use super::ha::{self, Availability, Shown, Template};
use serde_json::{Map, Value};

/// One part of an entity's state and the topic it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub topic: String,
    /// `state`, or the attribute Home Assistant shows the part as (`temperature`,
    /// `current_temperature`, `fan_mode`, `percentage`, …).
    pub attribute: &'static str,
    pub template: Template,
    pub unit: Option<String>,
}

impl Reading {
    /// Long label for the change log (`target temperature`); `state` for the state.
    pub fn long_label(&self) -> String {
        match self.attribute {
            "temperature" => "target temperature".into(),
            "humidity" => "target humidity".into(),
            "swing_horizontal_mode" => "horizontal swing".into(),
            "swing_mode" => "swing".into(),
            "preset_mode" => "preset".into(),
            "percentage" => "speed".into(),
            "current_position" => "position".into(),
            other => other.replace('_', " "),
        }
    }
}

/// One entity as a discovery component describes it, and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityView {
    /// The component id inside the device payload.
    pub key: String,
    pub platform: String,
    /// Home Assistant's name for it; `None` (`"name": null`) shows the device's name.
    pub name: Option<String>,
    pub readings: Vec<Reading>,
    /// For `event` entities: the topic events arrive on, and the types they may have.
    pub event_topic: Option<String>,
    pub event_types: Vec<String>,
    /// Registered enabled (`enabled_by_default`); a disabled entity has no state.
    pub enabled: bool,
    pub availability: Availability,
    /// The component's options, written out in full.
    pub config: Map<String, Value>,
    /// What it holds, by part (see [`Reading::attribute`]); a part not heard of is absent.
    pub values: Vec<(&'static str, Shown)>,
    /// The last event (event entities only).
    pub last_event: Option<String>,
}

impl EntityView {
    /// The name Home Assistant lists it under on its device's page.
    pub fn display_name<'a>(&'a self, device_name: &'a str) -> &'a str {
        self.name.as_deref().unwrap_or(device_name)
    }

    /// How the change log names what changed, after the device's name: `PM2.5`,
    /// `Upper oven target temperature`, or for the device's main entity `target temperature`.
    pub fn label_for(&self, reading: &Reading) -> String {
        let long = reading.long_label();
        match (&self.name, reading.attribute) {
            (Some(name), "state") => name.clone(),
            (Some(name), _) => format!("{name} {long}"),
            (None, "state") => "state".into(),
            (None, _) => long,
        }
    }

    /// The reading of a part (`temperature` for the target temperature).
    pub fn reading(&self, attribute: &str) -> Option<&Reading> {
        self.readings.iter().find(|r| r.attribute == attribute)
    }

    /// What the entity holds for a part.
    pub fn value(&self, attribute: &str) -> Option<&Shown> {
        self.values
            .iter()
            .find(|(a, _)| *a == attribute)
            .map(|(_, v)| v)
    }

    /// The same component (platform, id and options): a repeated payload changes nothing.
    pub fn same_component(&self, other: &EntityView) -> bool {
        self.key == other.key && self.platform == other.platform && self.config == other.config
    }
}

/// One component of a device payload.
#[derive(Debug, Clone, PartialEq)]
pub enum Component {
    Entity(Box<EntityView>),
    /// Only a platform: Home Assistant removes the component of that platform and id, if it
    /// has it; it is never an entity.
    Removal {
        key: String,
        platform: String,
    },
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
    /// Its availability topics (of the payload, shared by its components).
    pub availability_topics: Vec<String>,
}

impl DeviceView {
    /// Parses a device-based discovery payload into the device and its components; `None`
    /// when Home Assistant's schema refuses it (`DEVICE_DISCOVERY_SCHEMA`: a device, an
    /// origin and components, each with a platform): it ignores such a payload whole.
    pub fn parse(discovery_topic: &str, payload: &Value) -> Option<(DeviceView, Vec<Component>)> {
        let root = ha::expand(payload.as_object()?);
        let components = root.get("components")?.as_object()?;
        root.get("origin")?.as_object()?;
        let dev = ha::expand_device(root.get("device")?.as_object()?);
        let name = dev
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(discovery_topic)
            .to_owned();
        let ids = match dev.get("identifiers") {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        let model = dev.get("model").and_then(Value::as_str).map(str::to_owned);
        let parsed = components
            .iter()
            .map(|(key, c)| component(key, c.as_object()?, &root))
            .collect::<Option<Vec<_>>>()?;
        let availability_topics = Availability::of(&root)
            .topics
            .into_iter()
            .map(|(topic, _, _)| topic)
            .collect();
        let device = DeviceView {
            discovery_topic: discovery_topic.to_owned(),
            ids,
            name,
            model,
            entities: Vec::new(),
            availability_topics,
        };
        Some((device, parsed))
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

/// A component as Home Assistant configures it; `None` without a platform (the schema
/// refuses it).
fn component(key: &str, raw: &Map<String, Value>, root: &Map<String, Value>) -> Option<Component> {
    let config = ha::component_config(raw, root);
    let platform = config.get("platform")?.as_str()?.to_owned();
    // Only the platform, before the device payload's shared options are added: a removal.
    if raw.len() == 1 {
        return Some(Component::Removal {
            key: key.to_owned(),
            platform,
        });
    }
    let text = |option: &str| config.get(option).and_then(Value::as_str);
    let mut readings = Vec::new();
    for part in ha::state_parts(&platform) {
        let Some(topic) = text(part.topic_option) else {
            continue;
        };
        // A template that is not a plain key lookup is not guessed at.
        let Some(template) = ha::template_of(&config, part.template_option) else {
            continue;
        };
        readings.push(Reading {
            topic: topic.to_owned(),
            attribute: part.attribute,
            template,
            unit: ha::unit(&platform, part.attribute, &config),
        });
    }
    let event = platform == "event";
    let event_topic = event
        .then(|| text("state_topic"))
        .flatten()
        .map(str::to_owned);
    let event_types = config
        .get("event_types")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Some(Component::Entity(Box::new(EntityView {
        key: key.to_owned(),
        name: ha::entity_name(&platform, &config),
        platform,
        readings,
        event_topic,
        event_types,
        enabled: ha::enabled(&config),
        availability: Availability::of(&config),
        config,
        values: Vec::new(),
        last_event: None,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entities(components: Vec<Component>) -> Vec<EntityView> {
        components
            .into_iter()
            .filter_map(|c| match c {
                Component::Entity(e) => Some(*e),
                Component::Removal { .. } => None,
            })
            .collect()
    }

    #[test]
    fn a_component_with_only_a_platform_is_a_removal_never_an_entity() {
        let payload = json!({
            "dev": {"ids": ["thinq_T"], "name": "Laundry tower", "mdl": "WT"},
            "o": {"name": "thinq-addon"},
            "avty": [{"t": "thinq/bridge/availability"}, {"t": "thinq/T/availability"}],
            "avty_mode": "all",
            "cmps": {
                "washer_state": {"p": "sensor"},
                "notification": {"p": "event", "name": "Notification",
                                 "stat_t": "thinq/T/notification/event", "evt_typ": ["done"]}
            }
        });
        let (device, components) =
            DeviceView::parse("homeassistant/device/thinq_T/config", &payload).unwrap();
        assert_eq!(device.ids, ["thinq_T"]);
        assert_eq!(device.model.as_deref(), Some("WT"));
        assert_eq!(
            device.availability_topics,
            ["thinq/bridge/availability", "thinq/T/availability"]
        );
        assert!(components.contains(&Component::Removal {
            key: "washer_state".into(),
            platform: "sensor".into()
        }));
        let entities = entities(components);
        assert_eq!(entities.len(), 1, "{entities:?}");
        let event = &entities[0];
        assert_eq!(
            event.event_topic.as_deref(),
            Some("thinq/T/notification/event")
        );
        assert!(event.readings.is_empty(), "an event's topic is no state");
        assert_eq!(event.availability.mode, "all");
        assert_eq!(event.availability.topics.len(), 2, "shared by the payload");
        // A component without a platform, or no device or origin: the schema refuses all.
        for broken in [
            json!({"dev": {"name": "x"}, "o": {"name": "o"}, "cmps": {"a": {"name": "x"}}}),
            json!({"o": {"name": "o"}, "cmps": {}}),
            json!({"dev": {"name": "x"}, "cmps": {}}),
        ] {
            assert!(DeviceView::parse("t", &broken).is_none(), "{broken}");
        }
    }

    #[test]
    fn parts_units_names_and_templates_follow_home_assistants_options() {
        let payload = json!({
            "dev": {"name": "Living room AC"},
            "o": {"name": "thinq-addon"},
            "stat_t": "thinq/AC/state",
            "cmps": {
                "climate": {"p": "climate", "name": null,
                    "mode_stat_t": "thinq/AC/climate/mode",
                    "temp_stat_t": "thinq/AC/climate/target_temperature",
                    "curr_temp_t": "thinq/AC/climate/current_temperature",
                    "current_humidity_topic": "thinq/AC/climate/current_humidity",
                    "json_attr_t": "thinq/AC/climate/attributes",
                    "temp_unit": "F"},
                "shared": {"p": "sensor", "name": "Shared", "val_tpl": "{{ value_json.devices }}"},
                "odd": {"p": "sensor", "name": "Odd", "stat_t": "thinq/AC/odd",
                        "val_tpl": "{{ value_json.x | float }}"},
                "start": {"p": "button", "name": "Start", "cmd_t": "thinq/AC/start/set"}
            }
        });
        let (_, components) = DeviceView::parse("t", &payload).unwrap();
        let entities = entities(components);
        let climate = &entities[0];
        assert_eq!(climate.name, None);
        assert_eq!(climate.display_name("Living room AC"), "Living room AC");
        let parts: Vec<&str> = climate.readings.iter().map(|r| r.attribute).collect();
        assert_eq!(
            parts,
            [
                "state",
                "temperature",
                "current_temperature",
                "current_humidity"
            ],
            "attributes are not state"
        );
        assert_eq!(
            climate.reading("temperature").unwrap().unit.as_deref(),
            Some("°F")
        );
        let odd = entities.iter().find(|e| e.key == "odd").unwrap();
        assert!(odd.readings.is_empty(), "an odd template is not guessed at");
        let shared = entities.iter().find(|e| e.key == "shared").unwrap();
        assert_eq!(shared.readings[0].topic, "thinq/AC/state");
        assert_eq!(shared.readings[0].template, Template::Key("devices".into()));
        let start = entities.iter().find(|e| e.key == "start").unwrap();
        assert!(start.readings.is_empty());
    }
}
