//! The `light` composite: one light per location of its power property (a wall switch's
//! `SWITCH_1`…), with the ranges and the light mode found at that location.

use super::scope::*;
use crate::catalog::LightSpec;
use crate::hass::entities::common::{self, EntityBase, PowerControl};
use crate::hass::entities::light::{LightEntity, RangeControl};
use crate::thinq::profile::Property;

/// A colour temperature range below this is not in kelvin (a 1…100 scale): it keeps its own
/// number instead of being guessed into kelvin.
const MIN_KELVIN: f64 = 1000.0;

pub(super) fn build_lights(scope: &Scope, spec: &LightSpec) -> Vec<LightEntity> {
    scope
        .find_all(&spec.power)
        .into_iter()
        .filter_map(|power| build_light(scope, spec, power))
        .collect()
}

fn build_light(scope: &Scope, spec: &LightSpec, power_property: &Property) -> Option<LightEntity> {
    let (_, write) = common::enum_values(power_property);
    let (on, off) = common::on_off_pair(write)?;
    let power = PowerControl::new(power_property, &on, &off)?;
    // Parts at the power's own location (none for a one-light device).
    let at = |name: Option<&str>| -> Option<&Property> {
        name.and_then(|n| {
            scope
                .find_all(n)
                .into_iter()
                .find(|p| p.path.location == power_property.path.location)
        })
    };
    let range = |name: Option<&str>| at(name).and_then(RangeControl::new);
    let white_brightness = range(spec.white_brightness.as_deref());
    let color_brightness = range(spec.color_brightness.as_deref());
    let color_temperature =
        range(spec.color_temperature.as_deref()).filter(|c| c.range.min >= MIN_KELVIN);
    let hs = range(spec.hue.as_deref()).zip(range(spec.saturation.as_deref()));
    // A read-only light mode says nothing Home Assistant's light can show: it keeps its own
    // sensor.
    let mode = at(spec.mode.as_deref()).filter(|m| is_enum_with_writes(m));
    let (read, write) = mode.map_or((&[][..], &[][..]), common::enum_values);
    let effect_values: Vec<String> = write
        .iter()
        .filter(|v| **v != spec.white_mode && **v != spec.color_mode)
        .cloned()
        .collect();
    let effects = common::option_pairs(&effect_values, scope.labels);
    let mode_labels = common::option_pairs(read, scope.labels);

    let used = [
        Some(power_property),
        mode,
        white_brightness.as_ref().map(|r| &r.property),
        color_brightness.as_ref().map(|r| &r.property),
        color_temperature.as_ref().map(|r| &r.property),
        hs.as_ref().map(|(h, _)| &h.property),
        hs.as_ref().map(|(_, s)| &s.property),
    ];
    scope.consume_all(used.into_iter().flatten());

    // The key of the power switch this light replaces, so the unique id stays.
    let (key, prefix) = scope.property_key(&power_property.path);
    let own = spec.name.as_deref().map(|n| scope.labels.name(n));
    let name = common::prefixed_name(&prefix, own.as_deref().unwrap_or(""));
    let base = EntityBase::new(key, (!name.is_empty()).then_some(name));
    Some(LightEntity {
        base,
        power,
        mode: mode.cloned(),
        white_mode: spec.white_mode.clone(),
        color_mode: spec.color_mode.clone(),
        white_brightness,
        color_temperature,
        hs,
        color_brightness,
        effects,
        mode_labels,
    })
}
