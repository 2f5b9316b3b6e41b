//! Which entity shows a value no entity shows by itself (see
//! [`crate::hass::entities::attributes`]): the one built from the value it qualifies.

use super::generic::{Kind, Plan};
use crate::hass::entities::Entity;
use crate::hass::entities::attributes::{Unlisted, WithAttributes};
use crate::hass::entities::common;
use crate::labels::Labels;
use crate::thinq::profile::{LocationKind, Property, PropertyPath, ValueSpec};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The entity a scope's extras with no better place go to: its first composite, else its
/// state sensor (`runState`, what a user looks at first), else its first entity that is not
/// a diagnostic, else its first.
fn main_entity(plans: &[&Plan], composites: &[&Taken]) -> Option<String> {
    composites.first().map(|t| t.key.clone()).or_else(|| {
        plans
            .iter()
            .find(|p| p.property.path.resource == "runState")
            .or_else(|| plans.iter().find(|p| p.meta.entity_category.is_none()))
            .or(plans.first())
            .map(|p| p.key.clone())
    })
}

/// A composite entity and the properties it took.
pub(super) struct Taken {
    pub(super) key: String,
    pub(super) paths: Vec<PropertyPath>,
}

/// The resources of one scope (sub-device), the readable attributes its profile lists for
/// each (by location for per-location state arrays), and its readable enums.
pub(super) struct ScopeResources {
    pub(super) sub_device: Option<String>,
    pub(super) listed: BTreeMap<(Option<String>, String), BTreeSet<String>>,
    pub(super) enums: Vec<(Property, Vec<(String, String)>)>,
}

impl ScopeResources {
    pub(super) fn new(
        sub_device: Option<String>,
        properties: &[&Property],
        labels: &Labels,
    ) -> ScopeResources {
        let mut listed: BTreeMap<(Option<String>, String), BTreeSet<String>> = BTreeMap::new();
        let mut enums = Vec::new();
        // A write-only attribute LG reports anyway is shown as unlisted: it is not listed here.
        for p in properties.iter().filter(|p| p.readable) {
            let attribute = p
                .path
                .nested_unit()
                .map_or(p.path.attribute.as_str(), |(s, _)| s);
            let location = (p.path.location_kind == LocationKind::PropertyArray)
                .then(|| p.path.location.clone())
                .flatten();
            listed
                .entry((location, p.path.resource.clone()))
                .or_default()
                .insert(attribute.to_owned());
            match &p.spec {
                ValueSpec::Enum { read, .. } if !read.is_empty() => {
                    enums.push(((*p).clone(), common::option_pairs(read, labels)));
                }
                ValueSpec::Range { .. } => enums.push(((*p).clone(), Vec::new())),
                _ => {}
            }
        }
        ScopeResources {
            sub_device,
            listed,
            enums,
        }
    }
}

/// Who shows the values a scope's state reports beyond its profile: the scope's main entity
/// (its first composite, else its first entity).
pub(super) fn unlisted_owners(
    scopes: &[ScopeResources],
    plans: &[Plan],
    taken: &[Taken],
) -> HashMap<String, Unlisted> {
    let mut owners: HashMap<String, Unlisted> = HashMap::new();
    for scope in scopes {
        let in_scope = |path: &PropertyPath| path.sub_device == scope.sub_device;
        let shown_plans: Vec<&Plan> = plans
            .iter()
            .filter(|p| !matches!(p.kind, Kind::Buttons(_)) && in_scope(&p.property.path))
            .collect();
        let composites: Vec<&Taken> = taken
            .iter()
            .filter(|t| t.paths.iter().any(in_scope))
            .collect();
        let Some(main) = main_entity(&shown_plans, &composites) else {
            continue;
        };
        // One entity per scope collects them: they are rare, and an attributes topic on every
        // entity for values that may never come would be noise in every discovery payload.
        owners.insert(
            main,
            Unlisted {
                sub_device: scope.sub_device.clone(),
                listed: scope.listed.clone(),
                enums: scope.enums.clone(),
                words: scope.enums.iter().flat_map(|(_, w)| w.clone()).collect(),
            },
        );
    }
    owners
}

/// The attribute without unit marks: `targetTemperatureF` / `targetTemperature@F` →
/// `targetTemperature`, `powerUnit` → `power`.
fn stem(path: &PropertyPath) -> &str {
    let attribute = match path.nested_unit() {
        Some((stem, _)) => stem,
        None => path.attribute.as_str(),
    };
    for suffix in ["Unit", "C", "F"] {
        if let Some(stem) = attribute.strip_suffix(suffix)
            && (suffix == "Unit" || stem.to_ascii_lowercase().ends_with("temperature"))
        {
            return stem;
        }
    }
    attribute
}

/// Whether `extra` is another view of `shown`: the same attribute (unit marks aside) of the
/// same or a related resource (`temperature` / `temperatureInUnits`), at the same place.
fn qualifies(extra: &PropertyPath, shown: &PropertyPath) -> bool {
    let related =
        extra.resource.starts_with(&shown.resource) || shown.resource.starts_with(&extra.resource);
    let unit_place = |p: &PropertyPath| p.location_kind == LocationKind::UnitArray;
    let same_place = extra.location == shown.location
        || unit_place(extra)
        || unit_place(shown)
        || extra.location.is_none()
        || shown.location.is_none();
    extra.sub_device == shown.sub_device
        && related
        && same_place
        && stem(extra).eq_ignore_ascii_case(stem(shown))
}

/// Whether `extra` holds the very value `shown` holds, in another unit or an older resource
/// (`targetTemperatureF` beside `targetTemperatureC`, `temperature.currentTemperature` beside
/// `temperatureInUnits[C].currentTemperature`), rather than qualifying it (a unit string).
/// The caller has established that the two resources are views of one thing: by name for the
/// generic rule ([`repeats_a_plan`] asks [`qualifies`]), by the catalog's list for a
/// composite's temperature resources.
///
/// Such a twin is published nowhere. The entity shows the value in its unit and Home
/// Assistant shows it in the user's unit system, so the twin repeats it: on a room
/// temperature change it would be a second message on the attributes topic (°F, and the
/// older resource's copy, whose name Home Assistant discards as one of the climate's own),
/// and a second state write and recorder row in Home Assistant, for a value it already has.
pub(super) fn is_twin(extra: &PropertyPath, shown: &PropertyPath) -> bool {
    // A unit nested in a location (an oven cavity's `targetTemperature@F`) comes alone: the
    // cavity reports the unit it is set to, so neither unit repeats the other.
    extra != shown
        && extra.nested_unit().is_none()
        && shown.nested_unit().is_none()
        && extra.sub_device == shown.sub_device
        && !extra.attribute.ends_with("Unit")
        && extra.attribute != "unit"
        && stem(extra).eq_ignore_ascii_case(stem(shown))
}

/// Whether `extra` is a twin (see [`is_twin`]) of a value one of `plans` shows.
pub(super) fn repeats_a_plan(extra: &Property, plans: &[Plan]) -> bool {
    plans.iter().any(|plan| {
        !matches!(plan.kind, Kind::Buttons(_))
            && plan.property.readable
            && qualifies(&extra.path, &plan.property.path)
            && is_twin(&extra.path, &plan.property.path)
    })
}

/// The key of the entity that shows `extra` as an attribute: a generic entity of a value it
/// qualifies (same place first), else a composite that took it or a value it qualifies, else
/// the scope's main entity.
pub(super) fn owner(extra: &Property, plans: &[Plan], taken: &[Taken]) -> Option<String> {
    let shows = |plan: &&Plan| !matches!(plan.kind, Kind::Buttons(_));
    let candidates: Vec<&Plan> = plans
        .iter()
        .filter(shows)
        .filter(|p| qualifies(&extra.path, &p.property.path))
        .collect();
    if let Some(plan) = candidates
        .iter()
        .find(|p| p.property.path.location == extra.path.location)
        .or(candidates.first())
    {
        return Some(plan.key.clone());
    }
    let in_scope = |path: &PropertyPath| path.sub_device == extra.path.sub_device;
    taken
        .iter()
        .find(|t| t.paths.contains(&extra.path))
        .or_else(|| {
            taken
                .iter()
                .find(|t| t.paths.iter().any(|p| qualifies(&extra.path, p)))
        })
        .map(|t| t.key.clone())
        .or_else(|| {
            // Nothing it qualifies: the scope's main entity shows it.
            let plans: Vec<&Plan> = plans
                .iter()
                .filter(shows)
                .filter(|p| in_scope(&p.property.path))
                .collect();
            let composites: Vec<&Taken> = taken
                .iter()
                .filter(|t| t.paths.iter().any(in_scope))
                .collect();
            main_entity(&plans, &composites)
        })
}

/// The attribute name of `extra`: its attribute and place (`current_temperature_f`), with the
/// resource when that name is taken already.
fn attribute_name(extra: &Property, taken: &[(String, Property)]) -> String {
    let path = &extra.path;
    let mut parts = vec![common::snake(&path.attribute.replace('@', "_"))];
    if path.location_kind == LocationKind::UnitArray
        && let Some(unit) = &path.location
    {
        parts.push(common::snake(unit));
    }
    let name = parts.join("_");
    if taken.iter().any(|(n, _)| *n == name) {
        format!("{}_{name}", common::snake(&path.resource))
    } else {
        name
    }
}

/// Wraps the entities that own extras so they publish them as attributes.
pub(super) fn attach(
    entities: Vec<Box<dyn Entity>>,
    extras: Vec<(String, Property)>,
    mut unlisted: HashMap<String, Unlisted>,
) -> Vec<Box<dyn Entity>> {
    let mut by_key: HashMap<String, Vec<(String, Property)>> = HashMap::new();
    for (key, property) in extras {
        let list = by_key.entry(key).or_default();
        if list.iter().any(|(_, p)| p.path == property.path) {
            continue;
        }
        let name = attribute_name(&property, list);
        list.push((name, property));
    }
    entities
        .into_iter()
        .map(|entity| {
            let attributes = by_key.remove(entity.key());
            let unlisted = unlisted.remove(entity.key());
            if attributes.is_none() && unlisted.is_none() {
                return entity;
            }
            Box::new(WithAttributes {
                inner: entity,
                attributes: attributes.unwrap_or_default(),
                unlisted,
            }) as Box<dyn Entity>
        })
        .collect()
}
