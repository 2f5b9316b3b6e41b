//! Entities fed by `DEVICE_PUSH` codes rather than by state: binary sensors for what LG
//! reports only as a notification (a motion sensor's motion), and event entities with a
//! device class (a doorbell's ring). Only codes the profile lists get an entity.

use crate::catalog::DeviceCatalog;
use crate::hass::entities::Entity;
use crate::hass::entities::binary_sensor::PushBinarySensorEntity;
use crate::hass::entities::common::EntityBase;
use crate::hass::entities::event::PushEventEntity;
use crate::labels::Labels;
use crate::thinq::profile::Profile;

pub(super) fn build_push_entities(
    catalog: &DeviceCatalog,
    profile: &Profile,
    labels: &Labels,
) -> Vec<Box<dyn Entity>> {
    let listed = |code: &str| {
        profile
            .notifications
            .iter()
            .any(|n| n.eq_ignore_ascii_case(code))
    };
    let mut out: Vec<Box<dyn Entity>> = Vec::new();
    for spec in &catalog.push_sensors {
        let push_codes: Vec<String> = spec.push.iter().filter(|c| listed(c)).cloned().collect();
        if push_codes.is_empty() {
            continue;
        }
        out.push(Box::new(PushBinarySensorEntity {
            base: EntityBase::new(spec.key.clone(), Some(labels.name(&spec.name))),
            device_class: spec.device_class.clone(),
            push_codes,
            off_delay: spec.off_delay,
        }));
    }
    for spec in &catalog.push_events {
        let types: Vec<(String, String)> = spec
            .types
            .iter()
            .filter(|(code, _)| listed(code))
            .map(|(code, event_type)| (code.clone(), event_type.clone()))
            .collect();
        if types.is_empty() {
            continue;
        }
        let mut base = EntityBase::new(spec.key.clone(), Some(labels.name(&spec.name)));
        base.icon = spec.icon.clone();
        out.push(Box::new(PushEventEntity {
            base,
            device_class: spec.device_class.clone(),
            types,
        }));
    }
    out
}
