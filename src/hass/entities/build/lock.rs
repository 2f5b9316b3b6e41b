//! The `lock` composite. A lock LG lets nothing be written to cannot be a Home Assistant MQTT
//! lock (it always has a command topic), so it becomes a `binary_sensor` of class `lock`
//! (on = unlocked) instead.

use super::scope::*;
use crate::catalog::LockSpec;
use crate::hass::entities::Entity;
use crate::hass::entities::binary_sensor::BinarySensorEntity;
use crate::hass::entities::common;
use crate::hass::entities::lock::LockEntity;

pub(super) fn build_lock(scope: &Scope, spec: &LockSpec) -> Option<Box<dyn Entity>> {
    let property = scope
        .find(&spec.state)
        .filter(|p| p.readable || p.writable)?;
    let (_, write) = common::enum_values(property);
    let takes = |value: &Option<String>| {
        value
            .as_ref()
            .filter(|v| property.writable && write.contains(v))
            .cloned()
    };
    let (lock, unlock, open) = (takes(&spec.lock), takes(&spec.unlock), takes(&spec.open));
    let base = scope.property_base(&property.path);
    scope.consume(property);
    if lock.is_none() && unlock.is_none() && open.is_none() {
        if !property.readable {
            scope.give_back(property);
            return None;
        }
        let on_values = spec
            .states
            .iter()
            .filter(|(_, ha)| !ha.eq_ignore_ascii_case("LOCKED"))
            .map(|(lg, _)| lg.clone())
            .collect();
        return Some(Box::new(BinarySensorEntity {
            base,
            property: property.clone(),
            on_values,
            device_class: Some("lock".to_owned()),
        }));
    }
    Some(Box::new(LockEntity {
        base,
        property: property.clone(),
        states: spec.states.clone().into_iter().collect(),
        lock,
        unlock,
        open,
    }))
}
