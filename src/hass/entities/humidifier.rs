//! `humidifier` entities (device class humidifier or dehumidifier): power, target humidity,
//! job modes as modes, current humidity.

use super::climate::{CURRENT_HUMIDITY, MODE};
use super::common::{self, EntityBase, PowerControl, entity_kind};
use super::component::Component;
use super::{Commands, Entity};
use crate::hass::topics::STATE;
use crate::thinq::profile::{Property, PropertyPath};
use serde_json::{Value, json};

/// The target humidity: state feature and command feature.
pub const TARGET_HUMIDITY: &str = "target_humidity";

#[derive(Debug, Clone, PartialEq)]
pub struct HumidifierEntity {
    pub base: EntityBase,
    /// `humidifier` or `dehumidifier`.
    pub device_class: String,
    pub power: PowerControl,
    /// Writable target humidity.
    pub target: Property,
    pub current: Option<Property>,
    /// The entity that publishes the current humidity already (see
    /// [`Entity::read_from_others`]).
    pub current_published_by: Option<String>,
    /// Writable job-mode enum and `(LG value, HA mode)`.
    pub modes: Option<(Property, Vec<(String, String)>)>,
}

impl HumidifierEntity {
    fn limits(&self) -> Option<(f64, f64)> {
        self.target.spec.range().map(|r| (r.min, r.max))
    }

    fn mode_value(&self, state: &Value) -> Value {
        self.modes
            .as_ref()
            .map_or(Value::Null, |(property, pairs)| {
                common::option_state(property, pairs, state)
            })
    }
}

entity_kind!(HumidifierEntity, "humidifier");

impl Entity for HumidifierEntity {
    fn component(&self, c: &mut Component<'_>) {
        c.insert("dev_cla", json!(self.device_class));
        c.value_control(STATE, self.power.property.readable);
        c.control(
            ["hum_cmd_t", "hum_stat_t"],
            TARGET_HUMIDITY,
            self.target.readable,
        );
        if let Some((min, max)) = self.limits() {
            c.insert("min_hum", common::json_number(min));
            c.insert("max_hum", common::json_number(max));
        }
        if self.current.is_some() {
            c.shared_state(
                "current_humidity_topic",
                CURRENT_HUMIDITY,
                self.current_published_by.as_deref(),
            );
        }
        if let Some((property, pairs)) = &self.modes {
            c.control(["mode_cmd_t", "mode_stat_t"], MODE, property.readable);
            c.insert("modes", common::ha_options(pairs));
        }
    }

    fn state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>) {
        if self.power.property.readable {
            out.push((
                STATE,
                self.power.is_on(state).map_or(Value::Null, common::on_off),
            ));
        }
        if self.target.readable {
            out.push((
                TARGET_HUMIDITY,
                common::number_state(Some(&self.target), state),
            ));
        }
        if self.current.is_some() && self.current_published_by.is_none() {
            out.push((
                CURRENT_HUMIDITY,
                common::number_state(self.current.as_ref(), state),
            ));
        }
        if self.modes.as_ref().is_some_and(|(p, _)| p.readable) {
            out.push((MODE, self.mode_value(state)));
        }
    }

    fn read_from_others(&mut self, published_by: &dyn Fn(&PropertyPath) -> Option<String>) {
        self.current_published_by = self.current.as_ref().and_then(|h| published_by(&h.path));
    }

    fn command(&self, feature: &str, payload: &str, _state: &Value) -> Commands {
        let key = &self.base.key;
        match feature {
            "state" => Ok(vec![self.power.write(common::parse_on_off(key, payload)?)]),
            TARGET_HUMIDITY => {
                let value = common::parse_number(key, payload)?.round();
                Ok(vec![common::write_to(
                    &self.target,
                    common::json_number(value),
                )])
            }
            "mode" => {
                let (property, pairs) = self.base.part_for(feature, self.modes.as_ref())?;
                Ok(vec![common::option_write(key, property, pairs, payload)?])
            }
            _ => Err(self.base.unknown_feature(feature)),
        }
    }

    fn describe(&self, state: &Value) -> String {
        let power = common::on_off_text(self.power.is_on(state));
        let mut text = format!(
            "{power}, target {} %",
            common::render(&common::number_state(Some(&self.target), state))
        );
        if self.current.is_some() {
            text.push_str(&format!(
                ", current {} %",
                common::render(&common::number_state(self.current.as_ref(), state))
            ));
        }
        if let Value::String(m) = self.mode_value(state) {
            text.push_str(&format!(", {m}"));
        }
        text
    }
}
