//! Duration sensors: an hour/minute/second triple of one timer shown as one value.

use super::scope::*;
use crate::catalog::DurationSpec;
use crate::hass::entities::common::{self, EntityBase};
use crate::hass::entities::sensor::DurationSensor;
use crate::thinq::profile::{Property, PropertyPath};
use std::collections::HashSet;

pub(super) fn build_durations<'a>(
    scope: &Scope<'a>,
    spec: &DurationSpec,
    consumed: &mut HashSet<PropertyPath>,
) -> Vec<DurationSensor> {
    let members =
        |name: &Option<String>| name.as_ref().map(|n| scope.find_all(n)).unwrap_or_default();
    let (hours, minutes, seconds) = (
        members(&spec.hour),
        members(&spec.minute),
        members(&spec.second),
    );
    let mut locations: Vec<Option<String>> = Vec::new();
    for p in hours.iter().chain(&minutes).chain(&seconds) {
        if !locations.contains(&p.path.location) {
            locations.push(p.path.location.clone());
        }
    }
    let mut out = Vec::new();
    for location in locations {
        let pick = |list: &Vec<&'a Property>| -> Option<&'a Property> {
            list.iter()
                .copied()
                .find(|p| p.path.location == location && p.readable)
        };
        let (hour, minute, second) = (pick(&hours), pick(&minutes), pick(&seconds));
        let Some(first) = hour.or(minute).or(second) else {
            continue;
        };
        for p in [hour, minute, second].into_iter().flatten() {
            if !p.writable {
                consumed.insert(p.path.clone());
            }
        }
        let (mut keys, prefix) = scope.prefix(Some(&first.path));
        keys.push(spec.key.clone());
        let mut base = EntityBase::new(
            keys.join("_"),
            Some(common::prefixed_name(
                &prefix,
                &scope.labels.name(&spec.name),
            )),
        );
        base.icon = spec.icon.clone();
        base.entity_category = spec.entity_category.clone();
        out.push(DurationSensor {
            base,
            hour: hour.cloned(),
            minute: minute.cloned(),
            second: second.cloned(),
        });
    }
    out
}
