//! From a parsed profile (and the catalog) to a device's entities.
//!
//! Order of decisions for each property:
//! 1. Composite entities named by the catalog (climate, fan, humidifier, water_heater,
//!    durations) take the properties they fully represent; those get no entity of their own.
//! 2. The catalog entry for `resource.attribute`, if any, sets platform, name, classes, units.
//! 3. Otherwise the generic rule by profile type decides (see [`generic`]), so a device
//!    type nobody has described yet still gets every readable value and every control.
//!
//! Keys are built from the profile alone (`[sub-device_][location_]resource_attribute`, snake
//! case) so that adding or improving a catalog entry later never changes a unique id.

//! One file per composite (`climate.rs`, `fan.rs`, …), the generic rule in `generic.rs`, and
//! the shared view of a profile in `scope.rs`.

mod climate;
mod duration;
mod fan;
mod generic;
mod humidifier;
mod scope;
mod water_heater;

use crate::catalog::Catalog;
use crate::hass::entities::Entity;
use crate::hass::entities::common::{self, EntityBase};
use crate::hass::entities::event::{self, EventEntity};
use crate::hass::entities::sensor::ErrorSensor;
use crate::labels::Labels;
use crate::thinq::DeviceSummary;
use crate::thinq::profile::{Profile, PropertyPath};
use climate::build_climate;
use duration::build_durations;
use fan::build_fan;
use generic::{Plan, plan_properties, resolve_name_clashes};
use humidifier::build_humidifier;
use scope::scopes;
use std::collections::HashSet;
use water_heater::build_water_heater;

/// Builds every entity of a device.
pub fn build_entities(
    device: &DeviceSummary,
    profile: &Profile,
    catalog: &Catalog,
    labels: &Labels,
) -> Vec<Box<dyn Entity>> {
    let device_type = device.device_info.device_type.as_str();
    let root_catalog = catalog.for_type(device_type);
    let mut entities: Vec<Box<dyn Entity>> = Vec::new();
    let mut plans: Vec<Plan> = Vec::new();

    for scope in scopes(profile, catalog, root_catalog, labels) {
        let mut consumed: HashSet<PropertyPath> = HashSet::new();
        if let Some(cat) = scope.catalog {
            if let Some(spec) = &cat.climate
                && let Some(climate) = build_climate(&scope, spec, &mut consumed)
            {
                entities.push(Box::new(climate));
            }
            if let Some(spec) = &cat.fan
                && let Some(fan) = build_fan(&scope, spec, &mut consumed)
            {
                entities.push(Box::new(fan));
            }
            if let Some(spec) = &cat.humidifier
                && let Some(humidifier) = build_humidifier(&scope, spec, &mut consumed)
            {
                entities.push(Box::new(humidifier));
            }
            if let Some(spec) = &cat.water_heater
                && let Some(heater) = build_water_heater(&scope, spec, &mut consumed)
            {
                entities.push(Box::new(heater));
            }
            for spec in &cat.durations {
                for duration in build_durations(&scope, spec, &mut consumed) {
                    entities.push(Box::new(duration));
                }
            }
        }
        plans.extend(plan_properties(&scope, &consumed));
    }

    resolve_name_clashes(&mut plans, &entities);
    for plan in plans {
        plan.build_into(&mut entities);
    }

    if !profile.notifications.is_empty() {
        let meta = root_catalog
            .and_then(|c| c.notification.clone())
            .unwrap_or_default();
        let mut base = EntityBase::new(
            event::KEY,
            Some(labels.name(meta.name.as_deref().unwrap_or("Notification"))),
        );
        base.icon = meta.icon;
        let mut event_types: Vec<String> = Vec::new();
        for code in &profile.notifications {
            let ha = common::ha_option(code);
            if !event_types.contains(&ha) {
                event_types.push(ha);
            }
        }
        entities.push(Box::new(EventEntity { base, event_types }));
    }

    if !profile.errors.is_empty() {
        let codes = common::option_pairs(&profile.errors, labels);
        let subs: Vec<Option<String>> = if profile.sub_devices.is_empty() {
            vec![None]
        } else {
            profile.sub_devices.iter().cloned().map(Some).collect()
        };
        for sub in subs {
            let (key, name) = match &sub {
                Some(s) => (
                    format!("{}_error", common::snake(s)),
                    common::prefixed_name(
                        &labels.name(&common::humanize(s)),
                        &labels.name("Error"),
                    ),
                ),
                None => ("error".to_owned(), labels.name("Error")),
            };
            let mut base = EntityBase::new(key, Some(name));
            base.icon = Some("mdi:alert-circle-outline".to_owned());
            entities.push(Box::new(ErrorSensor {
                base,
                sub_device: sub,
                codes: codes.clone(),
                no_error: labels.label(ErrorSensor::NO_ERROR),
            }));
        }
    }

    dedupe_keys(entities)
}

/// Keys must be unique per device (they are unique ids). A clash is not expected from real
/// profiles; should one happen the first entity keeps the key and the clash is logged.
fn dedupe_keys(entities: Vec<Box<dyn Entity>>) -> Vec<Box<dyn Entity>> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut out: Vec<Box<dyn Entity>> = Vec::with_capacity(entities.len());
    for entity in entities {
        if seen.insert(entity.key().to_owned()) {
            out.push(entity);
        } else {
            tracing::warn!(
                key = entity.key(),
                "two entities with one key; the second is left out"
            );
        }
    }
    out
}
