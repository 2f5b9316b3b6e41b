//! From a parsed profile (and the catalog) to a device's entities.
//!
//! Order of decisions for each property:
//! 1. Composite entities named by the catalog (climate, fan, humidifier, water_heater, lights,
//!    cover, lock, siren, durations) take the properties they fully represent; those get no
//!    entity of their own.
//! 2. The catalog entry for `resource.attribute`, if any, sets platform, name, classes, units.
//! 3. Otherwise the generic rule by profile type decides (see [`generic`]), so a device
//!    type nobody has described yet still gets every readable value and every control.
//!
//! Keys are built from the profile alone (`[sub-device_][location_]resource_attribute`, snake
//! case) so that adding or improving a catalog entry later never changes a unique id.

//! One file per composite (`climate.rs`, `fan.rs`, …), the generic rule in `generic.rs`, and
//! the shared view of a profile in `scope.rs`.

mod climate;
mod cover;
mod duration;
mod extras;
mod fan;
mod forms;
mod generic;
mod humidifier;
mod light;
mod lock;
mod push;
mod scope;
mod siren;
mod vacuum;
mod water_heater;

use crate::catalog::Catalog;
use crate::hass::entities::Entity;
use crate::hass::entities::common::{self, EntityBase};
use crate::hass::entities::event::{self, EventEntity};
use crate::hass::entities::sensor::{ErrorSensor, SensorValue};
use crate::labels::Labels;
use crate::thinq::DeviceSummary;
use crate::thinq::profile::{Profile, Property, PropertyPath};
use climate::build_climate;
use duration::build_durations;
use fan::build_fan;
use generic::{Kind, Plan, plan_properties, resolve_name_clashes};
use humidifier::build_humidifier;
use scope::scopes;
use std::collections::{HashMap, HashSet};
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

    // Values shown as attributes: `(owner key, property)` for composites, and the values the
    // generic rule skipped, placed once every plan is known.
    let mut extras: Vec<(String, Property)> = Vec::new();
    let mut skipped: Vec<Property> = Vec::new();
    let mut taken: Vec<extras::Taken> = Vec::new();
    let mut resources: Vec<extras::ScopeResources> = Vec::new();

    let mut plans: Vec<Plan> = Vec::new();
    for scope in scopes(profile, catalog, root_catalog, labels) {
        resources.push(extras::ScopeResources::new(
            scope.sub_device.clone(),
            &scope.properties,
            labels,
        ));
        // Names need to differ within one Home Assistant device; a sub-device is one.
        let composites_before = entities.len();
        if let Some(cat) = scope.catalog {
            let mut notes = Notes {
                taken: &mut taken,
                extras: &mut extras,
                entities: &mut entities,
            };
            notes.build(&scope, cat.climate.as_ref(), build_climate);
            notes.build(&scope, cat.fan.as_ref(), build_fan);
            notes.build(&scope, cat.humidifier.as_ref(), build_humidifier);
            notes.build(&scope, cat.water_heater.as_ref(), build_water_heater);
            if let Some(spec) = &cat.vacuum
                && let Some(vacuum) = vacuum::build_vacuum(&scope, spec)
            {
                entities.extend(vacuum);
            }
            // Lighting, covers, locks, sirens (`forms.rs`).
            forms::build_forms(&scope, cat, &mut entities);
            for spec in &cat.durations {
                entities.extend(build_durations(&scope, spec));
            }
        }
        let mut scope_plans = plan_properties(&scope);
        resolve_name_clashes(&mut scope_plans, &entities[composites_before..]);
        plans.extend(scope_plans);
        skipped.extend(scope.take_unshown());
    }
    for property in skipped {
        if extras::repeats_a_plan(&property, &plans) {
            continue;
        }
        if let Some(key) = extras::owner(&property, &plans, &taken) {
            extras.push((key, property));
        }
    }
    let unlisted = extras::unlisted_owners(&resources, &plans, &taken);
    // The composites built so far read a value a numeric sensor of its own shows from that
    // sensor's topic (see `Entity::read_from_others`).
    let published: HashMap<PropertyPath, String> = plans
        .iter()
        .filter(|p| {
            matches!(
                p.kind,
                Kind::Sensor {
                    value: SensorValue::Numeric,
                    ..
                }
            )
        })
        .map(|p| (p.property.path.clone(), p.key.clone()))
        .collect();
    for entity in &mut entities {
        entity.read_from_others(&|path| published.get(path).cloned());
    }
    for plan in plans {
        plan.build_into(&mut entities);
    }

    if let Some(cat) = root_catalog {
        entities.extend(push::build_push_entities(cat, profile, labels));
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
            // A sub-device's error is on its own device: "Error", as for one unit.
            let key = match &sub {
                Some(s) => format!("{}_error", common::snake(s)),
                None => "error".to_owned(),
            };
            let mut base = EntityBase::new(key, Some(labels.name("Error")));
            base.icon = Some("mdi:alert-circle-outline".to_owned());
            entities.push(Box::new(ErrorSensor {
                base,
                sub_device: sub,
                codes: codes.clone(),
                no_error: labels.label(ErrorSensor::NO_ERROR),
            }));
        }
    }

    dedupe_keys(extras::attach(entities, extras, unlisted))
}

/// Where a composite goes once built, with what it took: composites are built one after the
/// other, so what is newly consumed since the last one is this one's (for values that
/// qualify its own), and the values it took without showing become its attributes.
struct Notes<'n> {
    taken: &'n mut Vec<extras::Taken>,
    extras: &'n mut Vec<(String, Property)>,
    entities: &'n mut Vec<Box<dyn Entity>>,
}

/// How a composite is built from its catalog spec: `None` when the scope lacks what it needs.
type BuildComposite<S, E> = fn(&scope::Scope, &S) -> Option<E>;

impl Notes<'_> {
    /// Builds the composite `spec` asks for, if the catalog has one for this scope, and adds it.
    fn build<S, E: Entity + 'static>(
        &mut self,
        scope: &scope::Scope,
        spec: Option<&S>,
        build: BuildComposite<S, E>,
    ) {
        if let Some(entity) = spec.and_then(|spec| build(scope, spec)) {
            self.add(scope, Box::new(entity));
        }
    }

    fn add(&mut self, scope: &scope::Scope, entity: Box<dyn Entity>) {
        let earlier: HashSet<&PropertyPath> = self.taken.iter().flat_map(|t| &t.paths).collect();
        let paths = scope.consumed_where(|p| !earlier.contains(p));
        let key = entity.key().to_owned();
        for property in scope.take_unshown() {
            self.extras.push((key.clone(), property));
        }
        self.taken.push(extras::Taken { key, paths });
        self.entities.push(entity);
    }
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
