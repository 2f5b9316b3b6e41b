//! Read-only on/off values: `binary_sensor` entities from booleans, or from enums whose values
//! split into "on" and "off" (`doorState` OPEN / CLOSE, `…_ON` / `…_OFF`).

use super::Entity;
use super::common::{self, EntityBase};
use crate::hass::DiscoveryContext;
use crate::hass::topics::STATE;
use crate::thinq::profile::Property;
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq)]
pub struct BinarySensorEntity {
    pub base: EntityBase,
    pub property: Property,
    /// For enums: the values that mean on. Empty for booleans.
    pub on_values: Vec<String>,
    pub device_class: Option<String>,
}

impl BinarySensorEntity {
    fn value(&self, state: &Value) -> Value {
        match self.property.read(state) {
            Some(Value::Bool(b)) if self.on_values.is_empty() => common::on_off(b),
            Some(Value::String(s)) if !self.on_values.is_empty() => {
                common::on_off(self.on_values.iter().any(|on| on.eq_ignore_ascii_case(&s)))
            }
            _ => Value::Null,
        }
    }
}

impl Entity for BinarySensorEntity {
    fn key(&self) -> &str {
        &self.base.key
    }

    fn platform(&self) -> &'static str {
        "binary_sensor"
    }

    fn component(&self, device_id: &str, ctx: &DiscoveryContext) -> Value {
        let mut c = self.base.component(self.platform(), device_id);
        self.base.add_value_state(&mut c, device_id, ctx);
        if let Some(class) = &self.device_class {
            c.insert("dev_cla".into(), json!(class));
        }
        Value::Object(c)
    }

    fn state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>) {
        out.push((STATE, self.value(state)));
    }

    fn describe(&self, state: &Value) -> (String, String) {
        (self.base.display_name(), common::render(&self.value(state)))
    }
}
