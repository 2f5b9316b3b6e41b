//! Read-only on/off values: `binary_sensor` entities from booleans, or from enums whose values
//! split into "on" and "off" (`doorState` OPEN / CLOSE, `…_ON` / `…_OFF`).

use super::Entity;
use super::common::{self, EntityBase, entity_kind};
use super::component::Component;
use super::one_value::OneValue;
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

entity_kind!(BinarySensorEntity, "binary_sensor");

impl OneValue for BinarySensorEntity {
    fn value(&self, state: &Value) -> Value {
        match self.property.read(state) {
            Some(Value::Bool(b)) if self.on_values.is_empty() => common::on_off(b),
            Some(Value::String(s)) if !self.on_values.is_empty() => {
                common::on_off(self.on_values.iter().any(|on| on.eq_ignore_ascii_case(&s)))
            }
            _ => Value::Null,
        }
    }

    fn component(&self, c: &mut Component<'_>) {
        c.value_state();
        c.insert_some("dev_cla", self.device_class.as_deref());
    }
}

/// A `binary_sensor` LG switches on only by a push (`MOTION_IS_DETECTED`): the profile has no
/// state for it. The push publishes `ON` once, not retained; Home Assistant's `off_delay`
/// switches it off again. Its retained state is always `OFF`, so after a restart of Home
/// Assistant it reads "clear" rather than unknown, and a republish never fakes a detection.
#[derive(Debug, Clone, PartialEq)]
pub struct PushBinarySensorEntity {
    pub base: EntityBase,
    pub device_class: Option<String>,
    /// Push codes that switch it on (LG's spelling).
    pub push_codes: Vec<String>,
    /// Seconds until Home Assistant switches it off.
    pub off_delay: u32,
}

entity_kind!(PushBinarySensorEntity, "binary_sensor");

impl Entity for PushBinarySensorEntity {
    fn component(&self, c: &mut Component<'_>) {
        c.value_state();
        c.insert_some("dev_cla", self.device_class.as_deref());
        c.insert("off_dly", json!(self.off_delay));
    }

    fn state(&self, _state: &Value, out: &mut Vec<(&'static str, Value)>) {
        out.push((STATE, common::on_off(false)));
    }

    fn on_push(&self, push_code: &str, out: &mut Vec<(&'static str, Value)>) {
        let code = push_code.trim();
        if self.push_codes.iter().any(|c| c.eq_ignore_ascii_case(code)) {
            out.push((STATE, common::on_off(true)));
        }
    }

    fn describe(&self, _state: &Value) -> String {
        format!("OFF (ON for {} s on a push)", self.off_delay)
    }
}
