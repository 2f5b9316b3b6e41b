//! Writable numbers (`range` and `number` attributes with `w`): `number` entities, limits from
//! the profile's write range (or the catalog when the profile gives none).

use super::Commands;
use super::common::{self, EntityBase, entity_kind};
use super::component::Component;
use super::limits::Limits;
use super::one_value::OneValue;
use crate::thinq::profile::Property;
use serde_json::{Value, json};

/// The command feature of a number (`<base>/<device>/<key>/value/set`).
pub const FEATURE: &str = "value";

#[derive(Debug, Clone, PartialEq)]
pub struct NumberEntity {
    pub base: EntityBase,
    pub property: Property,
    pub limits: Limits,
    pub unit: Option<String>,
    pub device_class: Option<String>,
    /// `box` or `slider`.
    pub mode: String,
}

entity_kind!(NumberEntity, "number");

impl OneValue for NumberEntity {
    /// The current value; unknown when it lies outside min..=max (a washer reports delay 0,
    /// "not set", against a range of 1..=19), which Home Assistant would reject with an error.
    fn value(&self, state: &Value) -> Value {
        common::read_number(&self.property, state)
            .filter(|v| self.limits.contains(*v))
            .map_or(Value::Null, common::json_number)
    }

    fn readable(&self) -> bool {
        self.property.readable
    }

    fn unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }

    fn component(&self, c: &mut Component<'_>) {
        c.value_control(FEATURE, self.readable());
        let Limits { min, max, step } = self.limits;
        for (key, value) in [("min", min), ("max", max), ("step", step)] {
            if let Some(v) = value {
                c.insert(key, common::json_number(v));
            }
        }
        c.insert_some("unit_of_meas", self.unit.as_deref());
        c.insert_some("dev_cla", self.device_class.as_deref());
        c.insert("mode", json!(self.mode));
    }

    fn command(&self, feature: &str, payload: &str, _state: &Value) -> Commands {
        self.base.expect_feature(feature, FEATURE)?;
        let value = common::parse_number(&self.base.key, payload)?;
        Ok(vec![common::write_to(
            &self.property,
            common::json_number(value),
        )])
    }
}
