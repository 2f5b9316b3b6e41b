//! The air conditioner as one `climate` entity: power and job mode as hvac modes (`off` via the
//! operation mode), target and current temperature in the unit the profile offers (°C first),
//! wind strength as fan modes, up/down and left/right rotation as swing, job modes Home
//! Assistant has no hvac mode for (`AIR_CLEAN`, …) as presets. Also the system boiler's room
//! heating and an indoor unit (any type whose catalog has a `climate:` section), and LG's
//! two-set temperatures as the `heat_cool` target range.

mod temperature;

pub use temperature::{
    TARGET_TEMPERATURE_HIGH, TARGET_TEMPERATURE_LOW, TargetWrite, TemperatureRange, TemperatureSet,
};

use super::common::{self, EntityBase, PowerControl, entity_kind};
use super::component::Component;
use super::{Commands, Entity};
use crate::thinq::profile::{CommandError, Property, PropertyPath};
use serde_json::{Value, json};

/// The state features (topic `<base>/<device>/<entity>/<feature>`) of the composite entities.
/// Those that can be set share their command's name (`mode` ↔ `mode/set`).
pub const MODE: &str = "mode";
pub const TARGET_TEMPERATURE: &str = "target_temperature";
pub const CURRENT_TEMPERATURE: &str = "current_temperature";
pub const CURRENT_HUMIDITY: &str = "current_humidity";
pub const FAN_MODE: &str = "fan_mode";
pub const SWING_MODE: &str = "swing_mode";
pub const SWING_HORIZONTAL_MODE: &str = "swing_horizontal_mode";
pub const PRESET_MODE: &str = "preset_mode";

/// A boolean swing attribute (`windDirection.rotateUpDown`).
fn swing_value(property: Option<&Property>, state: &Value) -> Value {
    match property.and_then(|p| p.read(state)) {
        Some(Value::Bool(b)) => json!(if b { "on" } else { "off" }),
        _ => Value::Null,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClimateEntity {
    pub base: EntityBase,
    pub power: PowerControl,
    /// The job-mode enum.
    pub mode: Option<Property>,
    /// `(LG job mode, HA hvac mode)`.
    pub hvac_modes: Vec<(String, String)>,
    /// `(LG job mode, HA preset)` for job modes without an hvac mode.
    pub presets: Vec<(String, String)>,
    /// The hvac mode shown while a preset runs.
    pub preset_hvac_mode: String,
    pub temperature: Option<TemperatureSet>,
    /// The enum that, with the job mode, picks the attribute a target is written to.
    pub target_by: Option<Property>,
    /// The `heat_cool` range and the LG job mode it belongs to.
    pub range: Option<(TemperatureRange, String)>,
    /// Wind-strength enum and `(LG value, HA fan mode)`.
    pub fan: Option<(Property, Vec<(String, String)>)>,
    /// `(LG value, HA fan mode)` for wind strengths the unit reports but cannot be set to,
    /// shown as the fan mode that means the same (`NATURE` → `auto`).
    pub fan_aliases: Vec<(String, String)>,
    pub swing: Option<Property>,
    pub swing_horizontal: Option<Property>,
    pub humidity: Option<Property>,
    /// The entity that publishes the humidity already (see [`Entity::read_from_others`]).
    pub humidity_published_by: Option<String>,
}

impl ClimateEntity {
    fn job_mode(&self, state: &Value) -> Option<String> {
        common::read_text(self.mode.as_ref()?, state)
    }

    fn mode_value(&self, state: &Value) -> Value {
        match self.power.is_on(state) {
            Some(false) => return json!("off"),
            // A readable power that says neither on nor off (missing, or a value the profile
            // does not list): whether the unit runs is unknown, so is its mode.
            None if self.power.property.readable => return Value::Null,
            _ => {}
        }
        let Some(job) = self.job_mode(state) else {
            return Value::Null;
        };
        if let Some((_, ha)) = self.hvac_modes.iter().find(|(lg, _)| *lg == job) {
            json!(ha)
        } else if self.presets.iter().any(|(lg, _)| *lg == job) {
            json!(self.preset_hvac_mode)
        } else {
            Value::Null
        }
    }

    fn preset_value(&self, state: &Value) -> Value {
        let job = self.job_mode(state);
        match self.presets.iter().find(|(lg, _)| Some(lg) == job.as_ref()) {
            Some((_, ha)) if self.power.is_on(state) != Some(false) => json!(ha),
            _ => json!("none"),
        }
    }

    fn fan_value(&self, state: &Value) -> Value {
        self.fan
            .as_ref()
            .map_or(Value::Null, |(property, pairs)| match common::option_state(
                property, pairs, state,
            ) {
                Value::Null => common::option_state(property, &self.fan_aliases, state),
                shown => shown,
            })
    }

    /// Writes that set a job mode, turning the unit on first when the state says it is off.
    fn set_job_mode(&self, lg: &str, state: &Value) -> Commands {
        let mut writes = Vec::new();
        if self.power.is_on(state) != Some(true) {
            writes.push(self.power.write(true));
        }
        match &self.mode {
            Some(mode) if mode.writable => writes.push(common::write_to(mode, json!(lg))),
            _ if self.job_mode(state).as_deref() == Some(lg) => {}
            _ => return Err(CommandError::NotWritable(format!("{}/mode", self.base.key))),
        }
        Ok(writes)
    }

    /// Whether the `heat_cool` range is what the unit follows now: its job mode, offered as
    /// `heat_cool`, running, and the range not switched off (`twoSetEnabled`).
    fn in_range_mode(&self, state: &Value) -> bool {
        let Some((range, job)) = &self.range else {
            return false;
        };
        range.enabled(state)
            && self.hvac_modes.iter().any(|(lg, _)| lg == job)
            && self.power.is_on(state) != Some(false)
            && self.job_mode(state).as_deref() == Some(job.as_str())
    }

    /// The value of the enum that, with the job mode, picks the target attribute.
    fn variant(&self, state: &Value) -> Option<String> {
        common::read_text(self.target_by.as_ref()?, state)
    }

    fn writable_modes(&self) -> bool {
        self.mode.as_ref().is_some_and(|m| m.writable)
    }
}

entity_kind!(ClimateEntity, "climate");

impl Entity for ClimateEntity {
    fn component(&self, c: &mut Component<'_>) {
        let mut modes = vec!["off".to_owned()];
        for (_, ha) in &self.hvac_modes {
            if !modes.contains(ha) {
                modes.push(ha.clone());
            }
        }
        if !self.presets.is_empty() && !modes.contains(&self.preset_hvac_mode) {
            modes.push(self.preset_hvac_mode.clone());
        }
        c.control(["mode_cmd_t", "mode_stat_t"], MODE, true);
        c.insert("modes", json!(modes));
        c.command("pow_cmd_t", "power");
        if let Some(t) = &self.temperature {
            t.add_component(c);
        }
        if let Some((range, _)) = &self.range {
            range.add_component(c);
            range.widen(c, self.temperature.as_ref().and_then(|t| t.limits.step));
        }
        if let Some((_, pairs)) = &self.fan {
            c.control(["fan_mode_cmd_t", "fan_mode_stat_t"], FAN_MODE, true);
            c.insert("fan_modes", common::ha_options(pairs));
        }
        if self.swing.is_some() {
            c.control(["swing_mode_cmd_t", "swing_mode_stat_t"], SWING_MODE, true);
            c.insert("swing_modes", json!(["on", "off"]));
        }
        if self.swing_horizontal.is_some() {
            c.control(
                ["swing_h_mode_cmd_t", "swing_h_mode_stat_t"],
                SWING_HORIZONTAL_MODE,
                true,
            );
            c.insert("swing_h_modes", json!(["on", "off"]));
        }
        if !self.presets.is_empty() && self.writable_modes() {
            c.control(["pr_mode_cmd_t", "pr_mode_stat_t"], PRESET_MODE, true);
            c.insert("pr_modes", common::ha_options(&self.presets));
        }
        if self.humidity.is_some() {
            c.shared_state(
                "current_humidity_topic",
                CURRENT_HUMIDITY,
                self.humidity_published_by.as_deref(),
            );
        }
    }

    fn state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>) {
        out.push((MODE, self.mode_value(state)));
        if let Some(t) = &self.temperature {
            t.add_state(state, out);
            // In `heat_cool` the range is the target: Home Assistant shows its two-handle
            // slider only while the single target is empty.
            if self.in_range_mode(state)
                && let Some(slot) = out.iter_mut().find(|(f, _)| *f == TARGET_TEMPERATURE)
            {
                slot.1 = Value::Null;
            }
        }
        if let Some((range, _)) = &self.range {
            range.add_state(state, out);
        }
        if self.fan.is_some() {
            out.push((FAN_MODE, self.fan_value(state)));
        }
        if self.swing.is_some() {
            out.push((SWING_MODE, swing_value(self.swing.as_ref(), state)));
        }
        if self.swing_horizontal.is_some() {
            out.push((
                SWING_HORIZONTAL_MODE,
                swing_value(self.swing_horizontal.as_ref(), state),
            ));
        }
        if !self.presets.is_empty() && self.writable_modes() {
            out.push((PRESET_MODE, self.preset_value(state)));
        }
        if self.humidity.is_some() && self.humidity_published_by.is_none() {
            out.push((
                CURRENT_HUMIDITY,
                common::number_state(self.humidity.as_ref(), state),
            ));
        }
    }

    fn read_from_others(&mut self, published_by: &dyn Fn(&PropertyPath) -> Option<String>) {
        self.humidity_published_by = self.humidity.as_ref().and_then(|h| published_by(&h.path));
    }

    fn command(&self, feature: &str, payload: &str, state: &Value) -> Commands {
        let key = &self.base.key;
        let payload = payload.trim();
        match feature {
            "power" => Ok(vec![self.power.write(common::parse_on_off(key, payload)?)]),
            "mode" => {
                if payload.eq_ignore_ascii_case("off") {
                    return Ok(vec![self.power.write(false)]);
                }
                let lg = self
                    .hvac_modes
                    .iter()
                    .find(|(_, ha)| ha == payload)
                    .map(|(lg, _)| lg.clone())
                    .or_else(|| {
                        // The hvac mode shown for presets, with no job mode of its own: running
                        // a preset is what it means (AIR_CLEAN shows as fan_only). Keep the
                        // preset that runs, else start the first one.
                        if payload != self.preset_hvac_mode {
                            return None;
                        }
                        let running = self
                            .job_mode(state)
                            .filter(|j| self.presets.iter().any(|(lg, _)| lg == j));
                        running.or_else(|| self.presets.first().map(|(lg, _)| lg.clone()))
                    })
                    .ok_or_else(|| common::not_an_option(key, payload, &self.hvac_modes))?;
                self.set_job_mode(&lg, state)
            }
            "preset_mode" => {
                let lg = if payload == "none" {
                    self.hvac_modes
                        .iter()
                        .find(|(_, ha)| *ha == self.preset_hvac_mode)
                        .or_else(|| self.hvac_modes.first())
                        .map(|(lg, _)| lg.clone())
                        .ok_or_else(|| common::not_an_option(key, payload, &self.presets))?
                } else {
                    common::lg_for_option(&self.presets, payload)
                        .ok_or_else(|| common::not_an_option(key, payload, &self.presets))?
                        .to_owned()
                };
                self.set_job_mode(&lg, state)
            }
            "temperature" => {
                let t = self.base.part_for(feature, self.temperature.as_ref())?;
                let variant = self.variant(state);
                Ok(vec![t.write(
                    key,
                    payload,
                    self.job_mode(state).as_deref(),
                    variant.as_deref(),
                )?])
            }
            "temperature_low" | "temperature_high" => {
                let (range, _) = self.base.part_for(feature, self.range.as_ref())?;
                range.write(key, payload, feature == "temperature_high", state)
            }
            "fan_mode" => {
                let (property, pairs) = self.base.part_for(feature, self.fan.as_ref())?;
                Ok(vec![common::option_write(key, property, pairs, payload)?])
            }
            "swing_mode" | "swing_horizontal_mode" => {
                let property = if feature == "swing_mode" {
                    &self.swing
                } else {
                    &self.swing_horizontal
                };
                let property = self.base.part_for(feature, property.as_ref())?;
                let on = common::parse_on_off(key, payload)?;
                Ok(vec![common::write_to(property, json!(on))])
            }
            _ => Err(self.base.unknown_feature(feature)),
        }
    }

    fn describe(&self, state: &Value) -> String {
        let mut parts = vec![common::render(&self.mode_value(state))];
        if let Some(t) = &self.temperature {
            let unit = common::ha_temperature_unit(&t.unit).unwrap_or("");
            if self.in_range_mode(state)
                && let Some((range, _)) = &self.range
            {
                let (low, high) = range.values(state);
                let (low, high) = (common::render(&low), common::render(&high));
                parts.push(format!("range {low}–{high}{unit}"));
            } else if t.target.is_some() {
                parts.push(format!(
                    "target {}{unit}",
                    common::render(&t.target_value(state))
                ));
            }
            if t.current.is_some() {
                parts.push(format!(
                    "current {}{unit}",
                    common::render(&t.current_value(state))
                ));
            }
        }
        if self.fan.is_some() {
            parts.push(format!("fan {}", common::render(&self.fan_value(state))));
        }
        parts.join(", ")
    }
}
