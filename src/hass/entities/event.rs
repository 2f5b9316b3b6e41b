//! The device's push notifications (`notification.push` in the profile) as one `event` entity.
//!
//! Event types are the push codes in lower case (`WASHING_IS_COMPLETE` →
//! `washing_is_complete`), as Home Assistant's lg_thinq integration names them. The payload
//! (`{"event_type": …}`) goes to the entity's own event topic, not to the retained state.

use super::Entity;
use super::common::{self, EntityBase, entity_kind};
use super::component::Component;
use serde_json::{Value, json};

/// The component key of the notification event entity.
pub const KEY: &str = "notification";

/// The feature an event is published on (`<base>/<device>/<entity>/event`, not retained).
pub const FEATURE: &str = "event";

#[derive(Debug, Clone, PartialEq)]
pub struct EventEntity {
    pub base: EntityBase,
    /// Lower-cased push codes.
    pub event_types: Vec<String>,
}

impl EventEntity {
    /// The event payload for a push code, `None` when the profile does not list it (Home
    /// Assistant rejects event types it was not told about).
    pub fn payload(&self, push_code: &str) -> Option<Value> {
        let event_type = common::ha_option(push_code.trim());
        self.event_types
            .contains(&event_type)
            .then(|| json!({ "event_type": event_type }))
    }
}

entity_kind!(EventEntity, "event");

impl Entity for EventEntity {
    fn component(&self, c: &mut Component<'_>) {
        c.event_state();
        c.insert("event_types", json!(self.event_types));
    }

    /// Events are not part of the retained state.
    fn state(&self, _state: &Value, _out: &mut Vec<(&'static str, Value)>) {}

    fn on_push(&self, push_code: &str, out: &mut Vec<(&'static str, Value)>) {
        if let Some(payload) = self.payload(push_code) {
            out.push((FEATURE, payload));
        }
    }

    fn describe(&self, _state: &Value) -> String {
        self.event_types.join(", ")
    }
}

/// An `event` entity for chosen push codes with event types and a device class of its own
/// (a doorbell's `DOORBELL_RING` as `ring`, device class `doorbell`): what Home Assistant's
/// doorbell cards and automations expect. One push is one event: it is published once, not
/// retained, so a republish of the device's state never repeats it.
#[derive(Debug, Clone, PartialEq)]
pub struct PushEventEntity {
    pub base: EntityBase,
    pub device_class: Option<String>,
    /// `(LG push code, event type)`.
    pub types: Vec<(String, String)>,
}

impl PushEventEntity {
    fn event_types(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for (_, event_type) in &self.types {
            if !out.contains(&event_type.as_str()) {
                out.push(event_type);
            }
        }
        out
    }
}

entity_kind!(PushEventEntity, "event");

impl Entity for PushEventEntity {
    fn component(&self, c: &mut Component<'_>) {
        c.state("stat_t", FEATURE);
        c.insert("event_types", json!(self.event_types()));
        c.insert_some("dev_cla", self.device_class.as_deref());
    }

    fn state(&self, _state: &Value, _out: &mut Vec<(&'static str, Value)>) {}

    fn on_push(&self, push_code: &str, out: &mut Vec<(&'static str, Value)>) {
        let code = push_code.trim();
        if let Some((_, event_type)) = self
            .types
            .iter()
            .find(|(lg, _)| lg.eq_ignore_ascii_case(code))
        {
            out.push((FEATURE, json!({ "event_type": event_type })));
        }
    }

    fn describe(&self, _state: &Value) -> String {
        self.event_types().join(", ")
    }
}
