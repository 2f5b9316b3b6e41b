//! Writable numbers (`range` and `number` attributes with `w`): `number` entities, limits from
//! the profile's write range (or the catalog when the profile gives none).

use super::Entity;
use super::common::{self, EntityBase};
use crate::hass::DiscoveryContext;
use crate::hass::topics::STATE;
use crate::thinq::control::Write;
use crate::thinq::profile::{CommandError, Property};
use serde_json::{Value, json};

/// The command feature of a number (`<base>/<device>/<key>/value/set`).
pub const FEATURE: &str = "value";

#[derive(Debug, Clone, PartialEq)]
pub struct NumberEntity {
    pub base: EntityBase,
    pub property: Property,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub step: Option<f64>,
    pub unit: Option<String>,
    pub device_class: Option<String>,
    /// `box` or `slider`.
    pub mode: String,
}

impl NumberEntity {
    /// The current value; unknown when it lies outside min..=max (a washer reports delay 0,
    /// "not set", against a range of 1..=19), which Home Assistant would reject with an error.
    fn value(&self, state: &Value) -> Value {
        self.property
            .read(state)
            .as_ref()
            .and_then(common::as_number)
            .filter(|v| {
                self.min.is_none_or(|min| *v >= min) && self.max.is_none_or(|max| *v <= max)
            })
            .map_or(Value::Null, common::json_number)
    }
}

impl Entity for NumberEntity {
    fn key(&self) -> &str {
        &self.base.key
    }

    fn platform(&self) -> &'static str {
        "number"
    }

    fn component(&self, device_id: &str, ctx: &DiscoveryContext) -> Value {
        let mut c = self.base.component(self.platform(), device_id);
        self.base
            .add_control(&mut c, FEATURE, self.property.readable, device_id, ctx);
        for (key, value) in [("min", self.min), ("max", self.max), ("step", self.step)] {
            if let Some(v) = value {
                c.insert(key.into(), common::json_number(v));
            }
        }
        if let Some(unit) = &self.unit {
            c.insert("unit_of_meas".into(), json!(unit));
        }
        if let Some(class) = &self.device_class {
            c.insert("dev_cla".into(), json!(class));
        }
        c.insert("mode".into(), json!(self.mode));
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
        let value = common::parse_number(&self.base.key, payload)?;
        Ok(vec![common::write_to(
            &self.property,
            common::json_number(value),
        )])
    }

    fn describe(&self, state: &Value) -> (String, String) {
        (
            self.base.display_name(),
            common::render_with_unit(&self.value(state), self.unit.as_deref()),
        )
    }
}
