//! Entities that show one value on one plain state topic: Home Assistant's sensor, binary
//! sensor, number, select, switch, lock and text read their state that way.
//!
//! What such a kind says about itself is [`OneValue`]: its value, whether LG lets us read it,
//! its unit (its platform, like every kind's, is its [`EntityKind`]). The [`Entity`] every one
//! of them is then publishes that value (only when it is readable: a write-only control has no
//! state topic) and shows it in the entity table with its unit, the same way for all of them.

use super::common::{self, EntityKind};
use super::component::Component;
use super::{Commands, Entity};
use crate::hass::topics::STATE;
use serde_json::Value;

/// An entity kind with one value (see the module documentation).
pub trait OneValue: EntityKind + Send + Sync {
    /// The feature the value is published on: the main value's `state`, unless a kind has a
    /// reason for a topic of its own (see [`super::timer::CLOCK_TOPIC`]).
    const TOPIC: &'static str = STATE;

    /// The value as Home Assistant takes it; null for unknown.
    fn value(&self, state: &Value) -> Value;
    /// Whether LG reports the value (the profile's readable flag).
    fn readable(&self) -> bool {
        true
    }
    /// The unit the entity table shows after the value.
    fn unit(&self) -> Option<&str> {
        None
    }
    /// See [`Entity::component`].
    fn component(&self, c: &mut Component<'_>);
    /// See [`Entity::command`]; read-only kinds keep this default and refuse every feature.
    fn command(&self, feature: &str, _payload: &str, _state: &Value) -> Commands {
        Err(self.base().unknown_feature(feature))
    }
}

impl<T: OneValue> Entity for T {
    fn component(&self, c: &mut Component<'_>) {
        OneValue::component(self, c);
    }

    fn state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>) {
        if self.readable() {
            out.push((T::TOPIC, self.value(state)));
        }
    }

    fn command(&self, feature: &str, payload: &str, state: &Value) -> Commands {
        OneValue::command(self, feature, payload, state)
    }

    fn describe(&self, state: &Value) -> String {
        common::render_with_unit(&self.value(state), self.unit())
    }
}
