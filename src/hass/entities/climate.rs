//! The air conditioner as one `climate` entity: power and job mode as hvac modes (`off` via the
//! operation mode), target and current temperature in the unit the profile offers (°C first),
//! wind strength as fan modes, up/down and left/right rotation as swing, job modes Home
//! Assistant has no hvac mode for (`AIR_CLEAN`, …) as presets.

use super::Entity;
use super::common::{self, EntityBase, PowerControl};
use crate::hass::DiscoveryContext;
use crate::thinq::control::Write;
use crate::thinq::profile::{CommandError, Property, RangeSpec, ValueSpec};
use serde_json::{Map, Value, json};

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

/// Target / current temperature of one unit (`C` or `F`), shared with `water_heater`.
#[derive(Debug, Clone, PartialEq)]
pub struct TemperatureSet {
    /// `C` or `F`.
    pub unit: String,
    pub current: Option<Property>,
    /// The readable target.
    pub target: Option<Property>,
    /// Writable targets: `(job mode it applies to, property)`; `None` = any mode.
    pub writes: Vec<(Option<String>, Property)>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub step: Option<f64>,
}

impl TemperatureSet {
    /// Picks the properties of one temperature resource in its preferred unit.
    ///
    /// `candidates` are the properties of the resource (all units); `mode_targets` maps job
    /// modes to the attribute that sets the target in that mode.
    pub fn from_properties(
        candidates: &[&Property],
        current: &str,
        target: &str,
        mode_targets: &[(String, String)],
    ) -> Option<TemperatureSet> {
        // Pattern C entries are per unit; prefer Celsius, the unit Home Assistant converts
        // from most precisely. Other shapes carry no unit in the location.
        let units: Vec<String> = candidates
            .iter()
            .filter_map(|p| p.path.location.clone())
            .collect();
        let location = if units.iter().any(|u| u == "C") {
            Some("C".to_owned())
        } else {
            units.first().cloned()
        };
        let in_unit: Vec<&Property> = candidates
            .iter()
            .copied()
            .filter(|p| p.path.location == location || location.is_none())
            .collect();
        let find = |attr: &str| in_unit.iter().copied().find(|p| p.path.attribute == attr);
        let current = find(current).filter(|p| p.readable).cloned();
        let target_prop = find(target);
        let mut writes: Vec<(Option<String>, Property)> = Vec::new();
        for (mode, attr) in mode_targets {
            if let Some(p) = find(attr).filter(|p| p.writable) {
                writes.push((Some(mode.clone()), p.clone()));
            }
        }
        if let Some(p) = target_prop.filter(|p| p.writable) {
            writes.push((None, p.clone()));
        }
        if current.is_none() && target_prop.is_none() && writes.is_empty() {
            return None;
        }
        // A unit from the location (pattern C), else the sibling `unit` constant, else C.
        let unit = location
            .filter(|u| common::ha_temperature_unit(u).is_some())
            .or_else(|| {
                in_unit
                    .iter()
                    .find(|p| p.path.attribute == "unit")
                    .and_then(|p| common::single_text_value(p))
            })
            .or_else(|| in_unit.iter().find_map(|p| p.unit.clone()))
            .filter(|u| common::ha_temperature_unit(u).is_some())
            .unwrap_or_else(|| "C".to_owned());
        let ranges: Vec<RangeSpec> = writes
            .iter()
            .map(|(_, p)| p)
            .chain(target_prop)
            .filter_map(|p| match &p.spec {
                ValueSpec::Range { write, read } => write.clone().or_else(|| read.clone()),
                _ => None,
            })
            .collect();
        let min = ranges.iter().map(|r| r.min).reduce(f64::min);
        let max = ranges.iter().map(|r| r.max).reduce(f64::max);
        let step = ranges
            .iter()
            .map(|r| r.step)
            .filter(|s| *s > 0.0)
            .reduce(f64::min);
        Some(TemperatureSet {
            unit,
            current,
            target: target_prop.filter(|p| p.readable).cloned(),
            writes,
            min,
            max,
            step,
        })
    }

    /// Every writable or readable property used (to hide them from the generic rule).
    pub fn properties(&self) -> Vec<&Property> {
        self.current
            .iter()
            .chain(self.target.iter())
            .chain(self.writes.iter().map(|(_, p)| p))
            .collect()
    }

    pub fn current_value(&self, state: &Value) -> Value {
        read_number(self.current.as_ref(), state)
    }

    pub fn target_value(&self, state: &Value) -> Value {
        read_number(self.target.as_ref(), state)
    }

    /// The write for a new target, picking the attribute for the current job mode.
    pub fn write(
        &self,
        key: &str,
        payload: &str,
        job_mode: Option<&str>,
    ) -> Result<Write, CommandError> {
        let value = common::parse_number(key, payload)?;
        let by_mode = job_mode.and_then(|m| {
            self.writes
                .iter()
                .find(|(mode, _)| mode.as_deref() == Some(m))
        });
        let (_, property) = by_mode
            .or_else(|| self.writes.iter().find(|(mode, _)| mode.is_none()))
            .or_else(|| self.writes.first())
            .ok_or_else(|| CommandError::NotWritable(format!("{key}/temperature")))?;
        // Whole-degree steps take integers; LG rejects 22.0 where it wants 22.
        let value = if self.step.is_none_or(|s| s >= 1.0) {
            value.round()
        } else {
            value
        };
        Ok(common::write_to(property, common::json_number(value)))
    }

    /// Adds the temperature keys to a climate / water_heater component.
    pub fn add_component(
        &self,
        c: &mut Map<String, Value>,
        key: &str,
        device_id: &str,
        ctx: &DiscoveryContext,
    ) {
        if !self.writes.is_empty() {
            common::add_command(c, "temp_cmd_t", key, "temperature", device_id, ctx);
        }
        if self.target.is_some() {
            common::add_state(c, "temp_stat_t", key, TARGET_TEMPERATURE, device_id, ctx);
        }
        if self.current.is_some() {
            common::add_state(c, "curr_temp_t", key, CURRENT_TEMPERATURE, device_id, ctx);
        }
        if let Some(min) = self.min {
            c.insert("min_temp".into(), common::json_number(min));
        }
        if let Some(max) = self.max {
            c.insert("max_temp".into(), common::json_number(max));
        }
        c.insert("temp_unit".into(), json!(self.unit.to_ascii_uppercase()));
        let precision = match self.step {
            Some(s) if s < 0.5 => 0.1,
            Some(s) if s < 1.0 => 0.5,
            _ => 1.0,
        };
        c.insert("precision".into(), json!(precision));
    }

    /// The values behind the topics [`Self::add_component`] names.
    pub fn add_state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>) {
        if self.target.is_some() {
            out.push((TARGET_TEMPERATURE, self.target_value(state)));
        }
        if self.current.is_some() {
            out.push((CURRENT_TEMPERATURE, self.current_value(state)));
        }
    }
}

fn read_number(property: Option<&Property>, state: &Value) -> Value {
    property
        .and_then(|p| p.read(state))
        .as_ref()
        .and_then(common::as_number)
        .map_or(Value::Null, common::json_number)
}

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
    /// Wind-strength enum and `(LG value, HA fan mode)`.
    pub fan: Option<(Property, Vec<(String, String)>)>,
    pub swing: Option<Property>,
    pub swing_horizontal: Option<Property>,
    pub humidity: Option<Property>,
}

impl ClimateEntity {
    fn job_mode(&self, state: &Value) -> Option<String> {
        self.mode.as_ref()?.read(state)?.as_str().map(str::to_owned)
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
        self.fan.as_ref().map_or(Value::Null, |(property, pairs)| {
            common::option_state(property, pairs, state)
        })
    }

    /// Writes that set a job mode, turning the unit on first when the state says it is off.
    fn set_job_mode(&self, lg: &str, state: &Value) -> Result<Vec<Write>, CommandError> {
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

    fn writable_modes(&self) -> bool {
        self.mode.as_ref().is_some_and(|m| m.writable)
    }
}

impl Entity for ClimateEntity {
    fn key(&self) -> &str {
        &self.base.key
    }

    fn platform(&self) -> &'static str {
        "climate"
    }

    fn component(&self, device_id: &str, ctx: &DiscoveryContext) -> Value {
        let key = self.base.key.as_str();
        let mut c = self.base.component(self.platform(), device_id);
        let mut modes = vec!["off".to_owned()];
        for (_, ha) in &self.hvac_modes {
            if !modes.contains(ha) {
                modes.push(ha.clone());
            }
        }
        if !self.presets.is_empty() && !modes.contains(&self.preset_hvac_mode) {
            modes.push(self.preset_hvac_mode.clone());
        }
        common::add_command(&mut c, "mode_cmd_t", key, "mode", device_id, ctx);
        common::add_state(&mut c, "mode_stat_t", key, MODE, device_id, ctx);
        c.insert("modes".into(), json!(modes));
        common::add_command(&mut c, "pow_cmd_t", key, "power", device_id, ctx);
        if let Some(t) = &self.temperature {
            t.add_component(&mut c, key, device_id, ctx);
        }
        if let Some((_, pairs)) = &self.fan {
            common::add_command(&mut c, "fan_mode_cmd_t", key, "fan_mode", device_id, ctx);
            common::add_state(&mut c, "fan_mode_stat_t", key, FAN_MODE, device_id, ctx);
            c.insert("fan_modes".into(), common::ha_options(pairs));
        }
        if self.swing.is_some() {
            common::add_command(
                &mut c,
                "swing_mode_cmd_t",
                key,
                "swing_mode",
                device_id,
                ctx,
            );
            common::add_state(&mut c, "swing_mode_stat_t", key, SWING_MODE, device_id, ctx);
            c.insert("swing_modes".into(), json!(["on", "off"]));
        }
        if self.swing_horizontal.is_some() {
            common::add_command(
                &mut c,
                "swing_h_mode_cmd_t",
                key,
                "swing_horizontal_mode",
                device_id,
                ctx,
            );
            common::add_state(
                &mut c,
                "swing_h_mode_stat_t",
                key,
                SWING_HORIZONTAL_MODE,
                device_id,
                ctx,
            );
            c.insert("swing_h_modes".into(), json!(["on", "off"]));
        }
        if !self.presets.is_empty() && self.writable_modes() {
            common::add_command(&mut c, "pr_mode_cmd_t", key, "preset_mode", device_id, ctx);
            common::add_state(&mut c, "pr_mode_stat_t", key, PRESET_MODE, device_id, ctx);
            c.insert("pr_modes".into(), common::ha_options(&self.presets));
        }
        if self.humidity.is_some() {
            common::add_state(
                &mut c,
                "current_humidity_topic",
                key,
                CURRENT_HUMIDITY,
                device_id,
                ctx,
            );
        }
        Value::Object(c)
    }

    fn state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>) {
        out.push((MODE, self.mode_value(state)));
        if let Some(t) = &self.temperature {
            t.add_state(state, out);
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
        if self.humidity.is_some() {
            out.push((CURRENT_HUMIDITY, read_number(self.humidity.as_ref(), state)));
        }
    }

    fn command(
        &self,
        feature: &str,
        payload: &str,
        state: &Value,
    ) -> Result<Vec<Write>, CommandError> {
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
                Ok(vec![t.write(
                    key,
                    payload,
                    self.job_mode(state).as_deref(),
                )?])
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

    fn describe(&self, state: &Value) -> (String, String) {
        let mut parts = vec![common::render(&self.mode_value(state))];
        if let Some(t) = &self.temperature {
            let unit = common::ha_temperature_unit(&t.unit).unwrap_or("");
            if t.target.is_some() {
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
        (self.base.display_name(), parts.join(", "))
    }
}
