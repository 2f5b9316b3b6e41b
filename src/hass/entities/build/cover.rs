//! The `cover` composite: the open / close / stop enum and the position range.

use super::scope::*;
use crate::catalog::CoverSpec;
use crate::hass::entities::common;
use crate::hass::entities::cover::CoverEntity;
use crate::hass::entities::light::RangeControl;

pub(super) fn build_cover(scope: &Scope, spec: &CoverSpec) -> Option<CoverEntity> {
    let property = scope
        .find(&spec.state)
        .filter(|p| p.readable || p.writable)?;
    let (_, write) = common::enum_values(property);
    let takes = |value: &str| {
        (property.writable && write.iter().any(|w| w == value)).then(|| value.to_owned())
    };
    let (open, close, stop) = (takes(&spec.open), takes(&spec.close), takes(&spec.stop));
    if open.is_none() && close.is_none() {
        // Nothing to move it with: the values keep their own entities.
        return None;
    }
    let position = scope
        .find_named(spec.position.as_deref())
        .and_then(RangeControl::new);
    scope.consume(property);
    if let Some(p) = &position {
        scope.consume(&p.property);
    }
    let base = scope.property_base(&property.path);
    Some(CoverEntity {
        base,
        device_class: spec.device_class.clone(),
        property: property.clone(),
        states: spec.states.clone().into_iter().collect(),
        open,
        close,
        stop,
        position,
    })
}
