//! Write-only enum values as `button` entities, one per value (`washerOperationMode` START,
//! STOP, POWER_OFF, …).
//!
//! Why buttons and not a select: a write-only attribute has no state, so a select would always
//! show "unknown" (or a stale optimistic choice) and re-choosing the shown option would do
//! nothing in the UI. These values are actions; a button per action says exactly that, and
//! each can be put on a dashboard or used in an automation on its own.

use super::common::{self, EntityBase, entity_kind};
use super::component::Component;
use super::{Commands, Entity};
use crate::thinq::profile::Property;
use serde_json::{Value, json};

/// The command feature of a button (`<base>/<device>/<key>/press/set`).
pub const FEATURE: &str = "press";

#[derive(Debug, Clone, PartialEq)]
pub struct ButtonEntity {
    pub base: EntityBase,
    pub property: Property,
    /// The LG value this button writes.
    pub value: String,
}

entity_kind!(ButtonEntity, "button");

impl Entity for ButtonEntity {
    fn component(&self, c: &mut Component<'_>) {
        // A button has no state to show.
        c.command("cmd_t", FEATURE);
    }

    fn state(&self, _state: &Value, _out: &mut Vec<(&'static str, Value)>) {}

    fn command(&self, feature: &str, _payload: &str, _state: &Value) -> Commands {
        self.base.expect_feature(feature, FEATURE)?;
        Ok(vec![common::write_to(&self.property, json!(self.value))])
    }

    fn describe(&self, _state: &Value) -> String {
        format!("press → {}", self.value)
    }
}
