//! Writable enums whose every readable value can also be written: `select` entities.

use super::Commands;
use super::common::{self, EntityBase, entity_kind};
use super::component::Component;
use super::one_value::OneValue;
use crate::thinq::profile::Property;
use serde_json::Value;

/// The command feature of a select (`<base>/<device>/<key>/option/set`).
pub const FEATURE: &str = "option";

#[derive(Debug, Clone, PartialEq)]
pub struct SelectEntity {
    pub base: EntityBase,
    pub property: Property,
    /// `(LG value, HA option)` for every writable value.
    pub options: Vec<(String, String)>,
}

entity_kind!(SelectEntity, "select");

impl OneValue for SelectEntity {
    fn value(&self, state: &Value) -> Value {
        common::option_state(&self.property, &self.options, state)
    }

    fn readable(&self) -> bool {
        self.property.readable
    }

    fn component(&self, c: &mut Component<'_>) {
        c.value_control(FEATURE, self.readable());
        c.insert("ops", common::ha_options(&self.options));
    }

    fn command(&self, feature: &str, payload: &str, _state: &Value) -> Commands {
        self.base.expect_feature(feature, FEATURE)?;
        Ok(vec![common::option_write(
            &self.base.key,
            &self.property,
            &self.options,
            payload,
        )?])
    }
}
