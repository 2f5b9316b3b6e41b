//! `fan` entities: air purifiers, ceiling fans, ventilators (power + named wind strengths +
//! job modes as presets) and hoods / microwaves (a numbered fan speed where the lowest is off).
//!
//! Speeds travel as small integers in `speed_range_min..=speed_range_max`: Home Assistant
//! converts them to and from percentages itself, so the state never depends on rounding here.

use super::climate::PRESET_MODE;
use super::common::{self, EntityBase, PowerControl, entity_kind};
use super::component::Component;
use super::{Commands, Entity};
use crate::hass::topics::STATE;
use crate::thinq::profile::{CommandError, Property};
use serde_json::{Value, json};

/// How the fan's speed is expressed by LG.
/// The speed as a percentage of the range: state feature and command feature.
pub const PERCENTAGE: &str = "percentage";

#[derive(Debug, Clone, PartialEq)]
pub enum FanSpeed {
    /// Named speeds, slowest first (`LOW`, `MID`, `HIGH`, …): speed n is `speeds[n - 1]`.
    Named {
        property: Property,
        speeds: Vec<String>,
    },
    /// A numbered range; `min` means off (hood `fanSpeed` 0..=5).
    Ranged {
        property: Property,
        min: i64,
        max: i64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FanEntity {
    pub base: EntityBase,
    pub power: Option<PowerControl>,
    pub speed: Option<FanSpeed>,
    /// Job-mode enum and `(LG value, HA preset)`.
    pub presets: Option<(Property, Vec<(String, String)>)>,
}

impl FanEntity {
    fn speed_number(&self, state: &Value) -> Option<i64> {
        match self.speed.as_ref()? {
            FanSpeed::Named { property, speeds } => {
                let text = common::read_text(property, state)?;
                speeds.iter().position(|s| *s == text).map(|i| i as i64 + 1)
            }
            FanSpeed::Ranged { property, .. } => {
                common::read_number(property, state).map(|f| f.round() as i64)
            }
        }
    }

    fn is_on(&self, state: &Value) -> Option<bool> {
        if let Some(power) = &self.power {
            return power.is_on(state);
        }
        match &self.speed {
            Some(FanSpeed::Ranged { min, .. }) => self.speed_number(state).map(|n| n > *min),
            _ => None,
        }
    }

    fn speed_range(&self) -> Option<(i64, i64)> {
        match self.speed.as_ref()? {
            FanSpeed::Named { speeds, .. } => Some((1, speeds.len() as i64)),
            FanSpeed::Ranged { min, max, .. } => Some((min + 1, *max)),
        }
    }

    fn preset_value(&self, state: &Value) -> Value {
        self.presets
            .as_ref()
            .map_or(Value::Null, |(property, pairs)| {
                common::option_state(property, pairs, state)
            })
    }

    fn switch(&self, on: bool) -> Commands {
        if let Some(power) = &self.power {
            return Ok(vec![power.write(on)]);
        }
        match &self.speed {
            Some(FanSpeed::Ranged { property, min, .. }) => {
                let value = if on { min + 1 } else { *min };
                Ok(vec![common::write_to(property, json!(value))])
            }
            _ => Err(CommandError::NotWritable(format!(
                "{}/state",
                self.base.key
            ))),
        }
    }
}

entity_kind!(FanEntity, "fan");

impl Entity for FanEntity {
    fn component(&self, c: &mut Component<'_>) {
        c.value_control(STATE, true);
        if let Some((low, high)) = self.speed_range() {
            c.control(["pct_cmd_t", "pct_stat_t"], PERCENTAGE, true);
            c.insert("spd_rng_min", json!(low));
            c.insert("spd_rng_max", json!(high));
        }
        if let Some((_, pairs)) = &self.presets {
            c.control(["pr_mode_cmd_t", "pr_mode_stat_t"], PRESET_MODE, true);
            c.insert("pr_modes", common::ha_options(pairs));
        }
    }

    fn state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>) {
        out.push((STATE, self.is_on(state).map_or(Value::Null, common::on_off)));
        if self.speed.is_some() {
            out.push((
                PERCENTAGE,
                self.speed_number(state).map_or(Value::Null, |n| json!(n)),
            ));
        }
        if self.presets.is_some() {
            out.push((PRESET_MODE, self.preset_value(state)));
        }
    }

    fn command(&self, feature: &str, payload: &str, state: &Value) -> Commands {
        let key = &self.base.key;
        match feature {
            "state" => self.switch(common::parse_on_off(key, payload)?),
            PERCENTAGE => {
                let speed = self.base.part_for(feature, self.speed.as_ref())?;
                let n = common::parse_number(key, payload)?.round() as i64;
                let (low, high) = self.speed_range().unwrap_or((1, 1));
                if n < low {
                    return self.switch(false);
                }
                let n = n.min(high);
                match speed {
                    FanSpeed::Named { property, speeds } => {
                        let value = speeds.get((n - 1).max(0) as usize).ok_or_else(|| {
                            CommandError::OutOfRange {
                                property: key.clone(),
                                value: n as f64,
                                min: low as f64,
                                max: high as f64,
                                step: 1.0,
                            }
                        })?;
                        let mut writes = Vec::new();
                        if let Some(power) = self
                            .power
                            .as_ref()
                            .filter(|p| p.is_on(state) == Some(false))
                        {
                            writes.push(power.write(true));
                        }
                        writes.push(common::write_to(property, json!(value)));
                        Ok(writes)
                    }
                    FanSpeed::Ranged { property, .. } => {
                        Ok(vec![common::write_to(property, json!(n))])
                    }
                }
            }
            "preset_mode" => {
                let (property, pairs) = self.base.part_for(feature, self.presets.as_ref())?;
                Ok(vec![common::option_write(key, property, pairs, payload)?])
            }
            _ => Err(self.base.unknown_feature(feature)),
        }
    }

    fn describe(&self, state: &Value) -> String {
        let mut text = common::on_off_text(self.is_on(state)).to_owned();
        if let (Some(n), Some((_, high))) = (self.speed_number(state), self.speed_range()) {
            text.push_str(&format!(", speed {n}/{high}"));
        }
        if let Value::String(p) = self.preset_value(state) {
            text.push_str(&format!(", {p}"));
        }
        text
    }
}
