//! `water_heater` entities: job modes mapped onto Home Assistant's fixed mode names, target and
//! current temperature, power when LG lets us switch it.

use super::climate::{MODE, TemperatureSet};
use super::common::{self, EntityBase, PowerControl, entity_kind};
use super::component::Component;
use super::{Commands, Entity};
use crate::thinq::profile::Property;
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq)]
pub struct WaterHeaterEntity {
    pub base: EntityBase,
    pub power: Option<PowerControl>,
    /// Job-mode enum and `(LG value, HA mode)` for the values Home Assistant can name.
    pub mode: Option<(Property, Vec<(String, String)>)>,
    pub temperature: Option<TemperatureSet>,
}

impl WaterHeaterEntity {
    fn mode_value(&self, state: &Value) -> Value {
        if self.power.as_ref().and_then(|p| p.is_on(state)) == Some(false) {
            return json!("off");
        }
        self.mode.as_ref().map_or(Value::Null, |(property, pairs)| {
            common::option_state(property, pairs, state)
        })
    }

    fn job_mode(&self, state: &Value) -> Option<String> {
        common::read_text(&self.mode.as_ref()?.0, state)
    }
}

entity_kind!(WaterHeaterEntity, "water_heater");

impl Entity for WaterHeaterEntity {
    fn component(&self, c: &mut Component<'_>) {
        if let Some((property, pairs)) = &self.mode {
            if property.writable {
                c.command("mode_cmd_t", "mode");
            }
            c.state("mode_stat_t", MODE);
            let mut modes: Vec<&str> = pairs.iter().map(|(_, ha)| ha.as_str()).collect();
            if self.power.is_some() && !modes.contains(&"off") {
                modes.push("off");
            }
            c.insert("modes", json!(modes));
        }
        if self.power.is_some() {
            c.command("pow_cmd_t", "power");
        }
        if let Some(t) = &self.temperature {
            t.add_component(c);
        }
    }

    fn state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>) {
        if self.mode.is_some() {
            out.push((MODE, self.mode_value(state)));
        }
        if let Some(t) = &self.temperature {
            t.add_state(state, out);
        }
    }

    fn command(&self, feature: &str, payload: &str, state: &Value) -> Commands {
        let key = &self.base.key;
        match feature {
            "power" => {
                let power = self.base.part_for(feature, self.power.as_ref())?;
                Ok(vec![power.write(common::parse_on_off(key, payload)?)])
            }
            "mode" => {
                let (property, pairs) = self.base.part_for(feature, self.mode.as_ref())?;
                if let Some(lg) = common::lg_for_option(pairs, payload) {
                    return Ok(vec![common::write_to(property, json!(lg))]);
                }
                match &self.power {
                    Some(power) if payload.trim() == "off" => Ok(vec![power.write(false)]),
                    _ => Err(common::not_an_option(key, payload, pairs)),
                }
            }
            "temperature" => {
                let t = self.base.part_for(feature, self.temperature.as_ref())?;
                Ok(vec![t.write(
                    key,
                    payload,
                    self.job_mode(state).as_deref(),
                    None,
                )?])
            }
            _ => Err(self.base.unknown_feature(feature)),
        }
    }

    fn describe(&self, state: &Value) -> String {
        let mut parts = vec![common::render(&self.mode_value(state))];
        if let Some(t) = &self.temperature {
            let unit = common::ha_temperature_unit(&t.unit);
            parts.push(format!(
                "target {}",
                common::render_with_unit(&t.target_value(state), unit)
            ));
            parts.push(format!(
                "current {}",
                common::render_with_unit(&t.current_value(state), unit)
            ));
        }
        parts.join(", ")
    }
}
