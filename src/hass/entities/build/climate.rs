//! The `climate` composite: power, job mode, temperatures, fan/swing/preset of an air
//! conditioner (or any type whose catalog file has a `climate:` section).

use super::scope::*;
use crate::catalog::ClimateSpec;
use crate::hass::entities::climate::ClimateEntity;
use crate::hass::entities::common::{self, PowerControl};
use crate::thinq::profile::{PropertyPath, ValueSpec};
use std::collections::HashSet;

pub(super) fn build_climate(
    scope: &Scope,
    spec: &ClimateSpec,
    consumed: &mut HashSet<PropertyPath>,
) -> Option<ClimateEntity> {
    let power_property = scope.find(&spec.power)?;
    let power = PowerControl::new(power_property, &spec.power_on, &spec.power_off)?;
    let mode = scope
        .find(&spec.mode)
        .filter(|p| matches!(p.spec, ValueSpec::Enum { .. }));
    let mut hvac_modes: Vec<(String, String)> = Vec::new();
    let mut presets: Vec<(String, String)> = Vec::new();
    if let Some(mode) = mode {
        let (read, write) = common::enum_values(mode);
        let values = if mode.writable && !write.is_empty() {
            write
        } else {
            read
        };
        for value in values {
            match spec.hvac_modes.get(value) {
                Some(ha) if !hvac_modes.iter().any(|(_, h)| h == ha) => {
                    hvac_modes.push((value.clone(), ha.clone()))
                }
                Some(_) => {}
                None => presets.push((value.clone(), scope.labels.label(value))),
            }
        }
        consumed.insert(mode.path.clone());
    }
    consumed.insert(power_property.path.clone());

    let mode_targets: Vec<(String, String)> = spec
        .mode_target_temperature
        .iter()
        .map(|(m, a)| (m.clone(), a.clone()))
        .collect();
    let temperature = take_temperature(
        scope,
        &spec.temperature_resources,
        &spec.current_temperature,
        &spec.target_temperature,
        &mode_targets,
        consumed,
    );

    let fan = spec
        .fan_mode
        .iter()
        .filter_map(|name| scope.find(name))
        .find(|p| is_enum_with_writes(p))
        .map(|p| {
            consumed.insert(p.path.clone());
            let (_, write) = common::enum_values(p);
            (
                p.clone(),
                fan_mode_pairs(write, &spec.fan_mode_names, scope.labels),
            )
        });
    let swing_of = |name: Option<&str>, consumed: &mut HashSet<PropertyPath>| {
        let p = scope
            .find_named(name)
            .filter(|p| p.writable && p.spec == ValueSpec::Boolean)?;
        consumed.insert(p.path.clone());
        Some(p.clone())
    };
    let swing = swing_of(spec.swing.as_deref(), consumed);
    let swing_horizontal = swing_of(spec.swing_horizontal.as_deref(), consumed);
    let humidity = current_humidity(scope, spec.current_humidity.as_deref());

    Some(ClimateEntity {
        base: scope.composite_base("climate"),
        power,
        mode: mode.cloned(),
        hvac_modes,
        presets,
        preset_hvac_mode: spec.preset_hvac_mode.clone(),
        temperature,
        fan,
        swing,
        swing_horizontal,
        humidity,
    })
}

/// The fan modes of a climate: Home Assistant's own names (`low`, `medium`, `high`, `auto`,
/// which its frontend translates) when every speed has a distinct one, else the labels for all
/// of them. A list mixing both ("auto", "Slow", "low", "Low-mid") reads as two vocabularies.
fn fan_mode_pairs(
    write: &[String],
    standard: &std::collections::BTreeMap<String, String>,
    labels: &crate::labels::Labels,
) -> Vec<(String, String)> {
    let named: Vec<(String, String)> = write
        .iter()
        .filter_map(|v| standard.get(v).map(|ha| (v.clone(), ha.clone())))
        .collect();
    let distinct: HashSet<&String> = named.iter().map(|(_, ha)| ha).collect();
    if !write.is_empty() && named.len() == write.len() && distinct.len() == named.len() {
        named
    } else {
        common::option_pairs(write, labels)
    }
}
