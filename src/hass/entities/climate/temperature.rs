//! The temperatures a `climate` or `water_heater` entity shows and sets: one target (with the
//! attribute it is written to picked by job mode, and by a second enum where LG has one) and,
//! for LG's two-set temperatures, the `heat_cool` range.

use super::{CURRENT_TEMPERATURE, TARGET_TEMPERATURE};
use crate::hass::entities::component::Component;
use crate::hass::entities::limits::Limits;
use crate::hass::entities::{Commands, common};
use crate::thinq::control::Write;
use crate::thinq::profile::{CommandError, Property};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TARGET_TEMPERATURE_LOW: &str = "target_temperature_low";
pub const TARGET_TEMPERATURE_HIGH: &str = "target_temperature_high";

/// Where a new target goes: `(job mode, value of the `target_by` enum)`; `None` = any.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetWrite {
    pub mode: Option<String>,
    pub variant: Option<String>,
    pub property: Property,
}

/// Target / current temperature of one unit (`C` or `F`), shared with `water_heater`.
#[derive(Debug, Clone, PartialEq)]
pub struct TemperatureSet {
    /// `C` or `F`.
    pub unit: String,
    pub current: Option<Property>,
    /// The readable target.
    pub target: Option<Property>,
    /// Writable targets, most specific first when chosen (see [`TemperatureSet::write`]).
    pub writes: Vec<TargetWrite>,
    pub limits: Limits,
}

/// The unit entry of a pattern C resource to use (C first, the unit Home Assistant converts
/// from most precisely), and the candidates in it. Other shapes carry no unit in the location.
fn in_preferred_unit<'a>(candidates: &[&'a Property]) -> (Option<String>, Vec<&'a Property>) {
    let units: Vec<String> = candidates
        .iter()
        .filter_map(|p| p.path.location.clone())
        .collect();
    let location = if units.iter().any(|u| u == "C") {
        Some("C".to_owned())
    } else {
        units.first().cloned()
    };
    let in_unit = candidates
        .iter()
        .copied()
        .filter(|p| p.path.location == location || location.is_none())
        .collect();
    (location, in_unit)
}

/// The unit of the chosen entry: from the location (pattern C), else the sibling `unit`
/// constant, else the property's own unit, else C.
fn unit_of(location: Option<String>, in_unit: &[&Property]) -> String {
    location
        .filter(|u| common::ha_temperature_unit(u).is_some())
        .or_else(|| {
            in_unit
                .iter()
                .find(|p| p.path.attribute == "unit")
                .and_then(|p| common::single_text_value(p))
        })
        .or_else(|| in_unit.iter().find_map(|p| p.unit.clone()))
        .filter(|u| common::ha_temperature_unit(u).is_some())
        .unwrap_or_else(|| "C".to_owned())
}

/// One slider's limits over the ranges of `properties`.
fn limits<'a>(properties: impl Iterator<Item = &'a Property>) -> Limits {
    Limits::spanning(properties.filter_map(|p| p.spec.range()))
}

/// A number from Home Assistant as LG takes it: whole-degree steps take integers (LG rejects
/// 22.0 where it wants 22).
fn target_value(key: &str, payload: &str, step: Option<f64>) -> Result<f64, CommandError> {
    let value = common::parse_number(key, payload)?;
    Ok(if step.is_none_or(|s| s >= 1.0) {
        value.round()
    } else {
        value
    })
}

impl TemperatureSet {
    /// Picks the properties of one temperature resource in its preferred unit.
    ///
    /// `candidates` are the properties of the resource (all units); `targets` are
    /// `(value of the target_by enum, job mode, attribute)`: where a target is written in that
    /// job mode (and, when given, while the enum has that value).
    pub fn from_properties(
        candidates: &[&Property],
        current: &str,
        target: &str,
        targets: &[(Option<String>, String, String)],
    ) -> Option<TemperatureSet> {
        let (location, in_unit) = in_preferred_unit(candidates);
        let find = |attr: &str| in_unit.iter().copied().find(|p| p.path.attribute == attr);
        let current = find(current).filter(|p| p.readable).cloned();
        let target_prop = find(target);
        let mut writes: Vec<TargetWrite> = Vec::new();
        for (variant, mode, attr) in targets {
            if let Some(p) = find(attr).filter(|p| p.writable) {
                writes.push(TargetWrite {
                    mode: Some(mode.clone()),
                    variant: variant.clone(),
                    property: p.clone(),
                });
            }
        }
        if let Some(p) = target_prop.filter(|p| p.writable) {
            writes.push(TargetWrite {
                mode: None,
                variant: None,
                property: p.clone(),
            });
        }
        if current.is_none() && target_prop.is_none() && writes.is_empty() {
            return None;
        }
        let unit = unit_of(location, &in_unit);
        let limits = limits(writes.iter().map(|w| &w.property).chain(target_prop));
        Some(TemperatureSet {
            unit,
            current,
            target: target_prop.filter(|p| p.readable).cloned(),
            writes,
            limits,
        })
    }

    /// Every writable or readable property used (to hide them from the generic rule).
    pub fn properties(&self) -> Vec<&Property> {
        self.current
            .iter()
            .chain(self.target.iter())
            .chain(self.writes.iter().map(|w| &w.property))
            .collect()
    }

    pub fn current_value(&self, state: &Value) -> Value {
        common::number_state(self.current.as_ref(), state)
    }

    pub fn target_value(&self, state: &Value) -> Value {
        common::number_state(self.target.as_ref(), state)
    }

    /// The target of the running job mode and `variant` (the `target_by` enum's value), else
    /// of the job mode alone.
    fn for_mode(&self, job_mode: Option<&str>, variant: Option<&str>) -> Option<&TargetWrite> {
        let job_mode = job_mode?;
        let of_mode = || {
            self.writes
                .iter()
                .filter(move |w| w.mode.as_deref() == Some(job_mode))
        };
        of_mode()
            .find(|w| variant.is_some() && w.variant.as_deref() == variant)
            .or_else(|| of_mode().find(|w| w.variant.is_none()))
    }

    /// The write for a new target: the attribute for the running job mode (see
    /// [`Self::for_mode`]), else the plain target, else the first writable one.
    pub fn write(
        &self,
        key: &str,
        payload: &str,
        job_mode: Option<&str>,
        variant: Option<&str>,
    ) -> Result<Write, CommandError> {
        let value = target_value(key, payload, self.limits.step)?;
        let chosen = self
            .for_mode(job_mode, variant)
            .or_else(|| self.writes.iter().find(|w| w.mode.is_none()))
            .or_else(|| self.writes.first())
            .ok_or_else(|| CommandError::NotWritable(format!("{key}/temperature")))?;
        Ok(common::write_to(
            &chosen.property,
            common::json_number(value),
        ))
    }

    /// Adds the temperature keys to a climate / water_heater component.
    pub fn add_component(&self, c: &mut Component<'_>) {
        if !self.writes.is_empty() {
            c.command("temp_cmd_t", "temperature");
        }
        if self.target.is_some() {
            c.state("temp_stat_t", TARGET_TEMPERATURE);
        }
        if self.current.is_some() {
            c.state("curr_temp_t", CURRENT_TEMPERATURE);
        }
        if let Some(min) = self.limits.min {
            c.insert("min_temp", common::json_number(min));
        }
        if let Some(max) = self.limits.max {
            c.insert("max_temp", common::json_number(max));
        }
        c.insert("temp_unit", json!(self.unit.to_ascii_uppercase()));
        c.insert("precision", json!(precision(self.limits.step)));
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

/// Home Assistant's display precision for a step.
fn precision(step: Option<f64>) -> f64 {
    match step {
        Some(s) if s < 0.5 => 0.1,
        Some(s) if s < 1.0 => 0.5,
        _ => 1.0,
    }
}

/// How long a range command remembers the bound it set, for the other bound's command.
const RANGE_MEMORY: Duration = Duration::from_secs(30);

/// The bounds last commanded, and the bounds the state showed then.
#[derive(Debug, Clone, Copy)]
struct Commanded {
    at: Instant,
    reported: (Option<f64>, Option<f64>),
    low: Option<f64>,
    high: Option<f64>,
}

/// The `heat_cool` target range from LG's two-set temperatures (`heatTargetTemperature` is
/// the low bound, `coolTargetTemperature` the high one).
///
/// LG wants both bounds in one body (thinq-api.md §4.5; `build_control` adds the bound not
/// written from the state). Home Assistant sends a new range as two messages, low then high;
/// the second arrives before LG has reported the first, so taken from the state it would put
/// the old low back. The entity therefore remembers what it was just told, for as long as the
/// device has not reported since and at most [`RANGE_MEMORY`].
#[derive(Debug, Clone)]
pub struct TemperatureRange {
    pub unit: String,
    pub low: Property,
    pub high: Property,
    pub limits: Limits,
    /// Whether the unit follows the range now (a readable boolean); `None`: whenever its job
    /// mode runs.
    pub enabled: Option<Property>,
    commanded: Arc<Mutex<Option<Commanded>>>,
}

impl PartialEq for TemperatureRange {
    /// The same range, whatever was commanded lately.
    fn eq(&self, other: &Self) -> bool {
        self.unit == other.unit
            && self.low == other.low
            && self.high == other.high
            && self.limits == other.limits
            && self.enabled == other.enabled
    }
}

impl TemperatureRange {
    /// The low / high attributes of one resource in its preferred unit; both must be writable.
    pub fn from_properties(
        candidates: &[&Property],
        low: &str,
        high: &str,
    ) -> Option<TemperatureRange> {
        let (location, in_unit) = in_preferred_unit(candidates);
        let find = |attr: &str| {
            in_unit
                .iter()
                .copied()
                .find(|p| p.path.attribute == attr && p.writable)
        };
        let (low, high) = (find(low)?.clone(), find(high)?.clone());
        let unit = unit_of(location, &in_unit);
        let limits = limits([&low, &high].into_iter());
        Some(TemperatureRange {
            unit,
            low,
            high,
            limits,
            enabled: None,
            commanded: Arc::default(),
        })
    }

    /// False only when the `enabled` flag says the range is off.
    pub fn enabled(&self, state: &Value) -> bool {
        self.enabled.as_ref().and_then(|p| p.read(state)) != Some(Value::Bool(false))
    }

    pub fn properties(&self) -> [&Property; 2] {
        [&self.low, &self.high]
    }

    fn reported(&self, state: &Value) -> (Option<f64>, Option<f64>) {
        let read = |p: &Property| common::read_number(p, state);
        (read(&self.low), read(&self.high))
    }

    /// The writes for a new low (`high == false`) or high bound.
    pub fn write(&self, key: &str, payload: &str, high: bool, state: &Value) -> Commands {
        let value = target_value(key, payload, self.limits.step)?;
        let reported = self.reported(state);
        let mut memory = self
            .commanded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Still the bounds of the last command while the device has not reported since.
        let fresh = memory
            .filter(|m| m.at.elapsed() < RANGE_MEMORY && m.reported == reported)
            .unwrap_or(Commanded {
                at: Instant::now(),
                reported,
                low: None,
                high: None,
            });
        let mut next = Commanded {
            at: Instant::now(),
            ..fresh
        };
        if high {
            next.high = Some(value);
        } else {
            next.low = Some(value);
        }
        *memory = Some(next);
        // The bound not commanded lately is left to `build_control`, which takes it from the
        // state as LG's SDK does.
        let mut writes = Vec::new();
        if let Some(low) = next.low {
            writes.push(common::write_to(&self.low, common::json_number(low)));
        }
        if let Some(high) = next.high {
            writes.push(common::write_to(&self.high, common::json_number(high)));
        }
        Ok(writes)
    }

    pub fn add_component(&self, c: &mut Component<'_>) {
        c.command("temp_lo_cmd_t", "temperature_low");
        c.state("temp_lo_stat_t", TARGET_TEMPERATURE_LOW);
        c.command("temp_hi_cmd_t", "temperature_high");
        c.state("temp_hi_stat_t", TARGET_TEMPERATURE_HIGH);
    }

    /// The low and high bound as the state reports them.
    pub fn values(&self, state: &Value) -> (Value, Value) {
        (
            common::number_state(Some(&self.low), state),
            common::number_state(Some(&self.high), state),
        )
    }

    pub fn add_state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>) {
        let (low, high) = self.values(state);
        out.push((TARGET_TEMPERATURE_LOW, low));
        out.push((TARGET_TEMPERATURE_HIGH, high));
    }

    /// Widens the single target's limits so one slider range covers both (Home Assistant has
    /// one `min_temp` / `max_temp` per climate entity).
    pub fn widen(&self, c: &mut Component<'_>, single_step: Option<f64>) {
        let widen = |c: &mut Component<'_>, key: &str, bound: Option<f64>, low: bool| {
            let Some(bound) = bound else { return };
            let current = c.get(key).and_then(common::as_number);
            let value = match current {
                Some(v) if low => v.min(bound),
                Some(v) => v.max(bound),
                None => bound,
            };
            c.insert(key, common::json_number(value));
        };
        widen(c, "min_temp", self.limits.min, true);
        widen(c, "max_temp", self.limits.max, false);
        let step = [single_step, self.limits.step]
            .into_iter()
            .flatten()
            .filter(|s| *s > 0.0)
            .reduce(f64::min);
        c.insert("precision", json!(precision(step)));
    }
}
