//! Home Assistant's side: entities built from ThinQ profiles, their MQTT discovery payloads,
//! the topic layout, and the session with the Mosquitto broker.

pub mod bridge_device;
pub mod broker_address;
pub mod discovery;
pub mod energy;
pub mod entities;
pub mod held_discovery;
pub mod outbox;
pub mod removals;
pub mod session;
pub mod stale_templates;
pub mod topics;

use crate::labels::{Labels, Language};
use crate::thinq::DeviceSummary;
use crate::thinq::profile::{CommandError, Profile, ProfileError};
use serde_json::Value;

/// What discovery payloads need to know besides the device.
#[derive(Debug, Clone)]
pub struct DiscoveryContext {
    pub topics: topics::Topics,
    /// Origin `sw` and the bridge device's `sw_version`.
    pub sw_version: String,
}

/// One row of the human-readable entity table (`thinq-addon demo`, logs).
#[derive(Debug, Clone, PartialEq)]
pub struct EntitySummary {
    /// `climate`, `sensor`, `select`, …
    pub platform: String,
    /// The entity name as Home Assistant shows it after the device name.
    pub name: String,
    /// The current state rendered as text (`cool 19 °C`, `RINSING`, `45 min`, …).
    pub state: String,
}

/// A device as Home Assistant sees it: the profile, and the entities made from it.
///
/// Built once per device from `GET /devices` + `GET profile`; everything the bridge does with
/// Home Assistant for that device goes through here.
pub struct DeviceModel {
    pub device: DeviceSummary,
    pub profile: Profile,
    pub entities: Vec<Box<dyn entities::Entity>>,
    /// The units that are devices of their own in Home Assistant (a WashTower's washer and
    /// dryer), in profile order; empty for a one-unit appliance.
    pub sub_devices: Vec<discovery::SubDevice>,
    /// The language names and labels were built in (the device name fallback uses it too).
    pub language: Language,
}

impl DeviceModel {
    /// Parses the profile and builds the entities (catalog first, generic rule for the rest).
    /// Names and labels are in [`Language::current`], the `language` option.
    pub fn new(device: DeviceSummary, raw_profile: &Value) -> Result<DeviceModel, ProfileError> {
        Self::with_language(device, raw_profile, Language::current())
    }

    /// [`DeviceModel::new`] in a given language. Keys, unique ids and topics do not depend on
    /// it: only names and the words states and options show.
    pub fn with_language(
        device: DeviceSummary,
        raw_profile: &Value,
        language: Language,
    ) -> Result<DeviceModel, ProfileError> {
        let profile = Profile::parse(raw_profile)?;
        let labels = Labels::embedded(language);
        let entities = entities::build::build_entities(
            &device,
            &profile,
            crate::catalog::Catalog::embedded(),
            labels,
        );
        let sub_devices = profile
            .sub_devices
            .iter()
            .map(|name| discovery::SubDevice {
                name: name.clone(),
                label: labels.name(&entities::common::humanize(name)),
            })
            .collect();
        Ok(DeviceModel {
            device,
            profile,
            entities,
            sub_devices,
            language,
        })
    }

    /// The appliance's own device-based discovery payload (`<prefix>/device/<object_id>/config`,
    /// retained): every entity of a one-unit appliance. [`DeviceModel::discovery_payloads`]
    /// gives all of them, sub-devices included.
    pub fn discovery_payload(&self, ctx: &DiscoveryContext) -> Value {
        self.discovery_payloads(ctx)
            .into_iter()
            .next()
            .map(|p| p.payload)
            .unwrap_or_default()
    }

    /// Every discovery payload: the appliance, then one per sub-device (see
    /// [`discovery::device_payloads`]). Publish them in this order.
    pub fn discovery_payloads(&self, ctx: &DiscoveryContext) -> Vec<discovery::DevicePayload> {
        discovery::device_payloads(
            &self.device,
            &self.entities,
            &self.sub_devices,
            ctx,
            Labels::embedded(self.language),
        )
    }

    /// The discovery topics [`DeviceModel::discovery_payloads`] are published on.
    pub fn discovery_topics(&self, topics: &topics::Topics) -> Vec<String> {
        let mut ids = vec![self.device.device_id.clone()];
        ids.extend(
            self.sub_devices
                .iter()
                .map(|s| discovery::sub_device_id(&self.device.device_id, &s.name)),
        );
        ids.iter().map(|id| topics.device_discovery(id)).collect()
    }

    /// Every value the entities publish for `state`, as `(entity key, feature, value)`.
    pub fn state_values(&self, state: &Value) -> Vec<(&str, &'static str, Value)> {
        let mut out = Vec::new();
        let mut values = Vec::new();
        for entity in &self.entities {
            entity.state(state, &mut values);
            out.extend(values.drain(..).map(|(f, v)| (entity.key(), f, v)));
        }
        out
    }

    /// The retained messages that show `state` in Home Assistant: `(topic, plain payload)`,
    /// one per value, on the topics the discovery payload names. All of them, every time:
    /// the publisher leaves out a payload equal to the last one sent on its topic, so a report
    /// that changes one value costs one message, and republishing after Home Assistant's birth
    /// needs nothing special here. There is no whole-device state JSON any more: nothing read
    /// it but the entities' templates, which were the cost this layout removes.
    pub fn state_messages(&self, topics: &topics::Topics, state: &Value) -> Vec<(String, String)> {
        let device_id = &self.device.device_id;
        self.state_values(state)
            .into_iter()
            .map(|(entity, feature, value)| {
                (
                    topics.entity_state(device_id, entity, feature),
                    entities::common::plain_payload(&value),
                )
            })
            .collect()
    }

    /// Turns a Home Assistant command (`<base>/<device>/<entity>/<feature>/set`, payload as
    /// text) into a validated control body for `POST /devices/{id}/control`.
    pub fn command(
        &self,
        entity: &str,
        feature: &str,
        payload: &str,
        state: &Value,
    ) -> Result<Value, CommandError> {
        let target = self
            .entities
            .iter()
            .find(|e| e.key() == entity)
            .ok_or_else(|| CommandError::UnknownCommand(format!("{entity}/{feature}")))?;
        let writes = target.command(feature, payload, state)?;
        if writes.is_empty() {
            return Err(CommandError::UnknownCommand(format!("{entity}/{feature}")));
        }
        crate::thinq::control::build_control(
            &self.profile,
            &self.device.device_info.device_type,
            state,
            &writes,
        )
    }

    /// A `DEVICE_PUSH` code as an event: `(entity key, event payload)` for the entity's event
    /// topic, `None` when this device has no event entity for it.
    pub fn notification(&self, push_code: &str) -> Option<(String, Value)> {
        let code = push_code.trim();
        let listed = self
            .profile
            .notifications
            .iter()
            .any(|n| n.eq_ignore_ascii_case(code));
        let has_entity = self
            .entities
            .iter()
            .any(|e| e.key() == entities::event::KEY);
        (listed && has_entity).then(|| {
            (
                entities::event::KEY.to_owned(),
                serde_json::json!({ "event_type": entities::common::ha_option(code) }),
            )
        })
    }

    /// The messages a `DEVICE_PUSH` code makes: `(topic, plain payload)` for every entity it
    /// concerns (the notification event, a doorbell's ring, a motion). Sent once and not
    /// retained, which is what keeps one push one event across reconnects and births.
    pub fn push_messages(&self, topics: &topics::Topics, push_code: &str) -> Vec<(String, String)> {
        let code = push_code.trim();
        if !self
            .profile
            .notifications
            .iter()
            .any(|n| n.eq_ignore_ascii_case(code))
        {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut values = Vec::new();
        for entity in &self.entities {
            entity.on_push(code, &mut values);
            out.extend(values.drain(..).map(|(feature, value)| {
                (
                    topics.entity_state(&self.device.device_id, entity.key(), feature),
                    entities::common::plain_payload(&value),
                )
            }));
        }
        out
    }

    /// The entity table: one row per entity.
    pub fn describe(&self, state: &Value) -> Vec<EntitySummary> {
        self.entities
            .iter()
            .map(|entity| EntitySummary {
                platform: entity.platform().to_owned(),
                name: entity.base().display_name(),
                state: entity.describe(state),
            })
            .collect()
    }
}
