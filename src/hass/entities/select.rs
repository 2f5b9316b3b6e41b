//! Writable enums whose every readable value can also be written: `select` entities.

use super::Entity;
use super::common::{self, EntityBase};
use crate::hass::DiscoveryContext;
use crate::hass::topics::STATE;
use crate::thinq::control::Write;
use crate::thinq::profile::{CommandError, Property};
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

impl SelectEntity {
    fn value(&self, state: &Value) -> Value {
        common::option_state(&self.property, &self.options, state)
    }
}

impl Entity for SelectEntity {
    fn key(&self) -> &str {
        &self.base.key
    }

    fn platform(&self) -> &'static str {
        "select"
    }

    fn component(&self, device_id: &str, ctx: &DiscoveryContext) -> Value {
        let mut c = self.base.component(self.platform(), device_id);
        self.base
            .add_control(&mut c, FEATURE, self.property.readable, device_id, ctx);
        c.insert("ops".into(), common::ha_options(&self.options));
        Value::Object(c)
    }

    fn state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>) {
        if self.property.readable {
            out.push((STATE, self.value(state)));
        }
    }

    fn command(
        &self,
        feature: &str,
        payload: &str,
        _state: &Value,
    ) -> Result<Vec<Write>, CommandError> {
        self.base.expect_feature(feature, FEATURE)?;
        Ok(vec![common::option_write(
            &self.base.key,
            &self.property,
            &self.options,
            payload,
        )?])
    }

    fn describe(&self, state: &Value) -> (String, String) {
        (self.base.display_name(), common::render(&self.value(state)))
    }
}
