//! Writable on/off values: `switch` entities from booleans and from on/off enum pairs.

use super::Entity;
use super::common::{self, EntityBase};
use crate::hass::DiscoveryContext;
use crate::hass::topics::STATE;
use crate::thinq::control::Write;
use crate::thinq::profile::{CommandError, Property};
use serde_json::{Value, json};

/// The command feature of a switch (`<base>/<device>/<key>/state/set`, payload `ON`/`OFF`).
pub const FEATURE: &str = "state";

/// What LG calls on and off.
#[derive(Debug, Clone, PartialEq)]
pub enum SwitchValues {
    Boolean,
    Enum { on: String, off: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SwitchEntity {
    pub base: EntityBase,
    pub property: Property,
    pub values: SwitchValues,
    /// `outlet` for a plug's or strip's socket, `switch` otherwise (Home Assistant's two).
    pub device_class: Option<String>,
}

impl SwitchEntity {
    fn value(&self, state: &Value) -> Value {
        match (self.property.read(state), &self.values) {
            (Some(Value::Bool(b)), SwitchValues::Boolean) => common::on_off(b),
            (Some(Value::String(s)), SwitchValues::Enum { on, off }) => {
                if s.eq_ignore_ascii_case(on) {
                    common::on_off(true)
                } else if s.eq_ignore_ascii_case(off) {
                    common::on_off(false)
                } else {
                    Value::Null
                }
            }
            _ => Value::Null,
        }
    }
}

impl Entity for SwitchEntity {
    fn key(&self) -> &str {
        &self.base.key
    }

    fn platform(&self) -> &'static str {
        "switch"
    }

    fn component(&self, device_id: &str, ctx: &DiscoveryContext) -> Value {
        let mut c = self.base.component(self.platform(), device_id);
        if let Some(class) = &self.device_class {
            c.insert("dev_cla".into(), json!(class));
        }
        self.base
            .add_control(&mut c, FEATURE, self.property.readable, device_id, ctx);
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
        let on = common::parse_on_off(&self.base.key, payload)?;
        let value = match &self.values {
            SwitchValues::Boolean => json!(on),
            SwitchValues::Enum { on: on_value, off } => json!(if on { on_value } else { off }),
        };
        Ok(vec![common::write_to(&self.property, value)])
    }

    fn describe(&self, state: &Value) -> (String, String) {
        (self.base.display_name(), common::render(&self.value(state)))
    }
}
