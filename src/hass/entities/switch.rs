//! Writable on/off values: `switch` entities from booleans and from on/off enum pairs.

use super::Commands;
use super::common::{self, EntityBase, entity_kind};
use super::component::Component;
use super::one_value::OneValue;
use crate::thinq::profile::Property;
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

entity_kind!(SwitchEntity, "switch");

impl OneValue for SwitchEntity {
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

    fn readable(&self) -> bool {
        self.property.readable
    }

    fn component(&self, c: &mut Component<'_>) {
        c.insert_some("dev_cla", self.device_class.as_deref());
        c.value_control(FEATURE, self.readable());
    }

    fn command(&self, feature: &str, payload: &str, _state: &Value) -> Commands {
        self.base.expect_feature(feature, FEATURE)?;
        let on = common::parse_on_off(&self.base.key, payload)?;
        let value = match &self.values {
            SwitchValues::Boolean => json!(on),
            SwitchValues::Enum { on: on_value, off } => json!(if on { on_value } else { off }),
        };
        Ok(vec![common::write_to(&self.property, value)])
    }
}
