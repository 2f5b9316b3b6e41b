//! The `fan` composite: power, speed (ordered or numeric) and presets.

use super::scope::*;
use crate::catalog::FanSpec;
use crate::hass::entities::fan::{FanEntity, FanSpeed};
use crate::thinq::profile::ValueSpec;

pub(super) fn build_fan(scope: &Scope, spec: &FanSpec) -> Option<FanEntity> {
    let power = scope.take_power(spec.power.as_deref(), &spec.power_on, &spec.power_off);
    let speed_property = scope
        .find_named(spec.speed.as_deref())
        .filter(|p| p.writable);
    let speed = speed_property.and_then(|p| match &p.spec {
        ValueSpec::Enum { read, write } => {
            let speeds = in_catalog_order(&spec.speed_order, write);
            if speeds.is_empty() {
                return None;
            }
            // Values the speed list cannot show (AUTO) keep their own select.
            if read.iter().chain(write.iter()).all(|v| speeds.contains(v)) {
                scope.consume(p);
            }
            Some(FanSpeed::Named {
                property: p.clone(),
                speeds,
            })
        }
        ValueSpec::Range { write: Some(r), .. } if r.max > r.min => {
            scope.consume(p);
            Some(FanSpeed::Ranged {
                property: p.clone(),
                min: r.min.round() as i64,
                max: r.max.round() as i64,
            })
        }
        _ => None,
    });
    if power.is_none() && !matches!(speed, Some(FanSpeed::Ranged { .. })) {
        // No fan after all: a named speed goes back to the generic rule (its own select)
        // instead of vanishing with the fan that would have shown it.
        if let Some(FanSpeed::Named { property, .. }) = &speed {
            scope.give_back(property);
        }
        return None;
    }
    let presets = scope.take_options(spec.preset.as_deref());
    Some(FanEntity {
        base: scope.composite_base("fan"),
        power,
        speed,
        presets,
    })
}
