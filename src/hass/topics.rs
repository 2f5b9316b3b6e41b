//! The MQTT topic layout on the Home Assistant broker, in one place.
//!
//! ```text
//! <base>/bridge/availability                 online|offline (retained, last will)
//! <base>/<device>/availability               online|offline (retained): LG reports it reachable
//! <base>/<device>/<entity>/state             an entity's main value, plain text (retained)
//! <base>/<device>/<entity>/<feature>         one more value of a composite entity, plain
//!                                            (`climate/current_temperature`, `fan/percentage`)
//! <base>/<device>/<entity>/<feature>/set     commands from Home Assistant
//! <base>/<device>/<entity>/event             event entity payloads (not retained)
//! <base>/<device>/error                      rejected commands and API errors (not retained)
//! <prefix>/device/<object id>/config         device-based discovery (retained)
//! <prefix>/status                            Home Assistant's birth / last will
//! ```
//!
//! `<device>` is the ThinQ device id made topic-safe by [`Topics::object_id`].

/// Topic builder for one bridge instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    /// Home Assistant's discovery prefix (`homeassistant`).
    pub discovery_prefix: String,
    /// Our own namespace (`thinq`).
    pub base: String,
}

/// A parsed command topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandTopic {
    /// The topic-safe device id (see [`Topics::object_id`]).
    pub device: String,
    pub entity: String,
    pub feature: String,
}

/// The feature name of an entity's main value (`<base>/<device>/<entity>/state`).
pub const STATE: &str = "state";

/// The identifier of the bridge's own device in Home Assistant.
pub const BRIDGE_ID: &str = "thinq_bridge";

impl Topics {
    pub fn new(discovery_prefix: &str, base: &str) -> Self {
        Topics {
            discovery_prefix: discovery_prefix.trim_end_matches('/').to_owned(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// A ThinQ device id reduced to `[A-Za-z0-9_-]`, safe in topics and discovery ids.
    pub fn object_id(device_id: &str) -> String {
        device_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }

    pub fn bridge_availability(&self) -> String {
        format!("{}/bridge/availability", self.base)
    }

    pub fn device_availability(&self, device_id: &str) -> String {
        format!("{}/{}/availability", self.base, Self::object_id(device_id))
    }

    /// The whole-device state JSON of versions before one topic per value. Nothing publishes
    /// it any more; it exists so that the retained copy an older version left can be cleared.
    pub fn device_state(&self, device_id: &str) -> String {
        format!("{}/{}/state", self.base, Self::object_id(device_id))
    }

    /// The topic one value of an entity is published on, plain (no JSON), so Home Assistant
    /// takes it as it is: no template to render, and a report that changes one value touches
    /// one topic. `feature` is [`STATE`] for an entity's main value; a composite entity's other
    /// values use the name of their command feature where they have one (`mode`,
    /// `preset_mode`) so that `…/climate/mode` and `…/climate/mode/set` pair up.
    pub fn entity_state(&self, device_id: &str, entity: &str, feature: &str) -> String {
        format!(
            "{}/{}/{entity}/{feature}",
            self.base,
            Self::object_id(device_id)
        )
    }

    pub fn command(&self, device_id: &str, entity: &str, feature: &str) -> String {
        format!(
            "{}/{}/{entity}/{feature}/set",
            self.base,
            Self::object_id(device_id)
        )
    }

    /// The one subscription that covers every command topic.
    pub fn command_filter(&self) -> String {
        format!("{}/+/+/+/set", self.base)
    }

    /// Splits a command topic; `None` for anything else.
    pub fn parse_command(&self, topic: &str) -> Option<CommandTopic> {
        let rest = topic.strip_prefix(&self.base)?.strip_prefix('/')?;
        let mut parts = rest.split('/');
        let (device, entity, feature, set) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if set != "set"
            || parts.next().is_some()
            || [device, entity, feature].iter().any(|p| p.is_empty())
        {
            return None;
        }
        Some(CommandTopic {
            device: device.to_owned(),
            entity: entity.to_owned(),
            feature: feature.to_owned(),
        })
    }

    pub fn event(&self, device_id: &str, entity: &str) -> String {
        format!(
            "{}/{}/{entity}/event",
            self.base,
            Self::object_id(device_id)
        )
    }

    pub fn error(&self, device_id: &str) -> String {
        format!("{}/{}/error", self.base, Self::object_id(device_id))
    }

    pub fn device_discovery(&self, device_id: &str) -> String {
        format!(
            "{}/device/thinq_{}/config",
            self.discovery_prefix,
            Self::object_id(device_id)
        )
    }

    pub fn bridge_discovery(&self) -> String {
        format!("{}/device/{BRIDGE_ID}/config", self.discovery_prefix)
    }

    /// Home Assistant's birth / last-will topic.
    pub fn ha_status(&self) -> String {
        format!("{}/status", self.discovery_prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_topics_round_trip() {
        let t = Topics::new("homeassistant", "thinq");
        let topic = t.command("MW2-2E24/7F93", "climate", "mode");
        assert_eq!(topic, "thinq/MW2-2E24_7F93/climate/mode/set");
        assert_eq!(
            t.parse_command(&topic),
            Some(CommandTopic {
                device: "MW2-2E24_7F93".into(),
                entity: "climate".into(),
                feature: "mode".into()
            })
        );
        assert_eq!(t.parse_command("thinq/a/b/set"), None);
        assert_eq!(t.parse_command("thinq/a/b/c/set/x"), None);
        assert_eq!(t.parse_command("thinqx/a/b/c/set"), None);
        assert_eq!(t.parse_command("thinq//b/c/set"), None);
        // State topics sit one level above command topics: never mistaken for a command.
        let state = t.entity_state("MW2-2E24/7F93", "climate", "mode");
        assert_eq!(state, "thinq/MW2-2E24_7F93/climate/mode");
        assert_eq!(t.parse_command(&state), None);
    }
}
