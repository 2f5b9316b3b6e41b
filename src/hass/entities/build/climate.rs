//! The `climate` composite: power, job mode, temperatures, fan/swing/preset of an air
//! conditioner, a system boiler's room heating or an indoor unit (any type whose catalog file
//! has a `climate:` section), with LG's two-set temperatures as the `heat_cool` range.

use super::extras;
use super::scope::*;
use crate::catalog::ClimateSpec;
use crate::hass::entities::climate::{
    ClimateEntity, TargetWrite, TemperatureRange, TemperatureSet,
};
use crate::hass::entities::common::{self, PowerControl};
use crate::thinq::profile::{Property, PropertyPath, ValueSpec};
use std::collections::HashSet;

/// Home Assistant's hvac mode for a target range.
const HEAT_COOL: &str = "heat_cool";

pub(super) fn build_climate(scope: &Scope, spec: &ClimateSpec) -> Option<ClimateEntity> {
    let power_property = scope.find(&spec.power)?;
    let power = PowerControl::new(power_property, &spec.power_on, &spec.power_off)?;
    let range = take_range(scope, spec);
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
            // With a range, its job mode is `heat_cool` (LG's AUTO with two set points).
            let ha = match &range {
                Some((_, job)) if job == value => Some(HEAT_COOL.to_owned()),
                _ => spec.hvac_modes.get(value).cloned(),
            };
            match ha {
                Some(ha) if !hvac_modes.iter().any(|(_, h)| *h == ha) => {
                    hvac_modes.push((value.clone(), ha))
                }
                Some(_) => {}
                None => presets.push((value.clone(), scope.labels.label(value))),
            }
        }
        scope.consume(mode);
    }
    scope.consume(power_property);

    let mut targets: Vec<(Option<String>, String, String)> = Vec::new();
    let mut target_by = None;
    if let Some(by) = &spec.target_by
        && let Some(p) = scope
            .find(&by.property)
            .filter(|p| p.readable && matches!(p.spec, ValueSpec::Enum { .. }))
    {
        target_by = Some(p.clone());
        for (value, modes) in &by.values {
            for (mode, attribute) in modes {
                targets.push((Some(value.clone()), mode.clone(), attribute.clone()));
            }
        }
    }
    for (mode, attribute) in &spec.mode_target_temperature {
        targets.push((None, mode.clone(), attribute.clone()));
    }
    let temperature = take_temperature(
        scope,
        &spec.temperature_resources,
        &spec.current_temperature,
        &spec.target_temperature,
        &targets,
    );
    // One climate entity has one unit: a range in another unit than the target is left out.
    let range = match range {
        Some((r, _)) if temperature.as_ref().is_some_and(|t| t.unit != r.unit) => {
            for p in r.properties() {
                scope.give_back(p);
            }
            None
        }
        other => other,
    };

    let fan = spec
        .fan_mode
        .iter()
        .filter_map(|name| scope.find(name))
        .find(|p| is_enum_with_writes(p))
        .map(|p| {
            scope.consume(p);
            let (_, write) = common::enum_values(p);
            (
                p.clone(),
                fan_mode_pairs(write, &spec.fan_mode_names, scope.labels),
            )
        });
    // Reported-only wind strengths the catalog names as a fan mode already offered.
    let fan_aliases: Vec<(String, String)> = fan
        .as_ref()
        .map(|(_, pairs)| {
            spec.fan_mode_names
                .iter()
                .filter(|(lg, ha)| {
                    !pairs.iter().any(|(l, _)| l == *lg) && pairs.iter().any(|(_, h)| h == *ha)
                })
                .map(|(lg, ha)| (lg.clone(), ha.clone()))
                .collect()
        })
        .unwrap_or_default();
    let swing_of = |name: Option<&str>| {
        let p = scope
            .find_named(name)
            .filter(|p| p.writable && p.spec == ValueSpec::Boolean)?;
        scope.consume(p);
        Some(p.clone())
    };
    let swing = swing_of(spec.swing.as_deref());
    let swing_horizontal = swing_of(spec.swing_horizontal.as_deref());
    let humidity = current_humidity(scope, spec.current_humidity.as_deref());

    Some(ClimateEntity {
        base: scope.composite_base("climate"),
        power,
        mode: mode.cloned(),
        hvac_modes,
        presets,
        preset_hvac_mode: spec.preset_hvac_mode.clone(),
        temperature,
        target_by,
        range,
        fan,
        fan_aliases,
        swing,
        swing_horizontal,
        humidity,
        humidity_published_by: None,
    })
}

/// The two-set range from the first of the spec's resources that has both bounds writable.
/// The bounds of every listed resource are taken (the other unit, the older plain resource),
/// so none shows twice; the resources' other attributes stay with the generic rule.
fn take_range(scope: &Scope, spec: &ClimateSpec) -> Option<(TemperatureRange, String)> {
    let range_spec = spec.target_range.as_ref()?;
    let mut range = None;
    let mut taken: Vec<&Property> = Vec::new();
    for resource in &range_spec.resources {
        let props = scope.resource(resource);
        if range.is_none() {
            range = TemperatureRange::from_properties(&props, &range_spec.low, &range_spec.high);
        }
        if range.is_some() {
            let bounds: Vec<&Property> = props
                .into_iter()
                .filter(|p| [&range_spec.low, &range_spec.high].contains(&&p.path.attribute))
                .collect();
            scope.consume_all(bounds.iter().copied());
            taken.extend(bounds);
        }
    }
    // The bounds the range does not read are the other unit's and the older resource's:
    // twins of the ones it shows, published nowhere (see `extras::is_twin`). A bound the
    // range cannot read (write-only) leaves its readable twin as the climate's attribute.
    if let Some(r) = &range {
        let used = r.properties();
        for p in taken.into_iter().filter(|p| {
            p.readable
                && !used
                    .iter()
                    .any(|u| u.path == p.path || (u.readable && extras::is_twin(&p.path, &u.path)))
        }) {
            scope.unshown(p);
        }
    }
    range.map(|mut r| {
        r.enabled = scope
            .find_named(range_spec.enabled.as_deref())
            .filter(|p| p.readable && p.spec == ValueSpec::Boolean)
            .cloned();
        (r, range_spec.job_mode.clone())
    })
}

/// The temperatures of a climate / water heater: read from the first of `resources` the
/// profile has. Every listed resource is taken, so no temperature shows twice, except the
/// attributes the type's catalog names under `properties:` (a boiler's water temperatures):
/// those keep entities of their own.
pub(super) fn take_temperature(
    scope: &Scope,
    resources: &[String],
    current: &str,
    target: &str,
    targets: &[(Option<String>, String, String)],
) -> Option<TemperatureSet> {
    let named = |p: &PropertyPath| {
        scope.catalog.is_some_and(|c| {
            c.properties
                .contains_key(&format!("{}.{}", p.resource, p.attribute))
        })
    };
    let mut temperature: Option<TemperatureSet> = None;
    let mut taken: Vec<&Property> = Vec::new();
    let mut all: Vec<&Property> = Vec::new();
    for resource in resources {
        let props = scope.resource(resource);
        if props.is_empty() {
            continue;
        }
        if temperature.is_none() {
            temperature = TemperatureSet::from_properties(&props, current, target, targets);
        }
        all.extend(props.iter().copied());
        let unnamed: Vec<&Property> = props.into_iter().filter(|p| !named(&p.path)).collect();
        scope.consume_all(unnamed.iter().copied());
        taken.extend(unnamed);
    }
    if let Some(t) = &mut temperature {
        add_plain_target_from_twin(scope, resources, target, t);
        // What the set does not read (limits it has no field for, a target of another job
        // mode) is shown as the composite's attributes, unless it is a twin (below).
        // A write-only target has no value to show; a readable one written but not read (the
        // older resource's) is shown as an attribute when the set reads no target itself.
        let used: Vec<&PropertyPath> = t
            .current
            .iter()
            .chain(&t.target)
            .chain(t.writes.iter().map(|w| &w.property).filter(|p| !p.readable))
            .map(|p| &p.path)
            .collect();
        // The entry the set reads (its resource and unit) holds the values it shows, itself or
        // as attributes or (named) as entities; the same value in the other unit or in the
        // older resource (the catalog lists them as views of one thing) is a twin, published
        // nowhere (see `extras::is_twin`): a room temperature change is one message.
        let home = |p: &Property| (p.path.resource.clone(), p.path.location.clone());
        let entry = t.current.as_ref().or(t.target.as_ref()).map(home);
        let originals: Vec<&Property> = all
            .iter()
            .copied()
            .filter(|p| p.readable && Some(home(p)) == entry)
            .collect();
        let twin = |p: &Property| {
            Some(home(p)) != entry && originals.iter().any(|q| extras::is_twin(&p.path, &q.path))
        };
        let constant_unit =
            |p: &Property| p.path.attribute == "unit" && matches!(p.spec, ValueSpec::Constant(_));
        for p in taken.into_iter().filter(|p| !used.contains(&&p.path)) {
            if !constant_unit(p) && !twin(p) {
                scope.unshown(p);
            }
        }
    }
    // What the entity uses is never shown twice, named or not.
    if let Some(t) = &temperature {
        scope.consume_all(t.properties());
    }
    temperature
}

/// LG's `temperatureInUnits` may list the plain target as read-only while the older
/// `temperature` resource beside it takes it (Home Assistant's air conditioner fixtures). A job
/// mode without a target of its own (dry, air clean) then writes the plain target there, as
/// LG's SDK does, instead of another mode's target. The older resource names no unit in the
/// profile, so its target is used only when its range lies within the chosen unit's limits.
fn add_plain_target_from_twin(
    scope: &Scope,
    resources: &[String],
    target: &str,
    temperature: &mut TemperatureSet,
) {
    if temperature.writes.iter().any(|w| w.mode.is_none()) {
        return;
    }
    let (Some(min), Some(max)) = (temperature.limits.min, temperature.limits.max) else {
        return;
    };
    let twin = resources
        .iter()
        .flat_map(|r| scope.resource(r))
        .filter(|p| p.path.attribute == target && p.writable && p.path.location.is_none())
        .find(|p| match &p.spec {
            ValueSpec::Range { write: Some(w), .. } => w.min >= min && w.max <= max,
            _ => false,
        });
    if let Some(p) = twin {
        temperature.writes.push(TargetWrite {
            mode: None,
            variant: None,
            property: p.clone(),
        });
    }
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
