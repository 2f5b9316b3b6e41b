//! The `humidifier` composite: power, target humidity, modes.

use super::scope::*;
use crate::catalog::HumidifierSpec;
use crate::hass::entities::common::PowerControl;
use crate::hass::entities::humidifier::HumidifierEntity;
use crate::thinq::profile::ValueSpec;

pub(super) fn build_humidifier(scope: &Scope, spec: &HumidifierSpec) -> Option<HumidifierEntity> {
    let power_property = scope.find(&spec.power)?;
    let power = PowerControl::new(power_property, &spec.power_on, &spec.power_off)?;
    let target = scope
        .find(&spec.target_humidity)
        .filter(|p| p.writable && matches!(p.spec, ValueSpec::Range { .. } | ValueSpec::Number))?;
    scope.consume(power_property);
    scope.consume(target);
    let current = current_humidity(scope, spec.current_humidity.as_deref());
    let modes = scope.take_options(spec.mode.as_deref());
    Some(HumidifierEntity {
        base: scope.composite_base("humidifier"),
        device_class: spec.device_class.clone(),
        power,
        target: target.clone(),
        current,
        current_published_by: None,
        modes,
    })
}
