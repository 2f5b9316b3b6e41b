//! The `siren` composite: its on/off enum, with volume and duration as turn-on options. The
//! volume select and duration number stay too: they show and set the stored values.

use super::scope::*;
use crate::catalog::SirenSpec;
use crate::hass::entities::common::{self, PowerControl};
use crate::hass::entities::light::RangeControl;
use crate::hass::entities::siren::SirenEntity;

pub(super) fn build_siren(scope: &Scope, spec: &SirenSpec) -> Option<SirenEntity> {
    let property = scope.find(&spec.power)?;
    let (_, write) = common::enum_values(property);
    let (on, off) = common::on_off_pair(write)?;
    let power = PowerControl::new(property, &on, &off)?;
    let volume = scope
        .find_named(spec.volume.as_deref())
        .filter(|p| is_enum_with_writes(p))
        .and_then(|p| {
            let (_, write) = common::enum_values(p);
            let order = in_catalog_order(&spec.volume_order, write);
            (!order.is_empty()).then(|| (p.clone(), order))
        });
    let duration = scope
        .find_named(spec.duration.as_deref())
        .and_then(RangeControl::new);
    scope.consume(property);
    Some(SirenEntity {
        base: scope.property_base(&property.path),
        power,
        volume,
        duration,
    })
}
