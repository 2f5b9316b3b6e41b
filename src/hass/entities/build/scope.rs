//! What a builder works on: the properties of one sub-device (or the whole device), the
//! catalog entries describing them, which of them its composites took (the generic rule
//! leaves those alone), and the helpers composites share to take properties.

use crate::catalog::{Catalog, DeviceCatalog, PropertyMeta};
use crate::hass::entities::common::{self, EntityBase, PowerControl};
use crate::labels::Labels;
use crate::thinq::profile::{LocationKind, Profile, Property, PropertyPath, ValueSpec};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashSet};

/// The properties of one sub-device (or the whole device), with the catalog describing them.
pub(super) struct Scope<'a> {
    pub(super) sub_device: Option<String>,
    pub(super) catalog: Option<&'a DeviceCatalog>,
    /// Entries for attributes that mean the same on every device (`battery.percent`).
    pub(super) common: Option<&'a DeviceCatalog>,
    pub(super) properties: Vec<&'a Property>,
    /// The words enum values show as, in the add-on's language.
    pub(super) labels: &'a Labels,
    /// Readable properties a builder took or skipped without showing them (a °F twin, an
    /// older resource beside its successor, a unit string): the orchestrator shows them as
    /// attributes of the entity they qualify (see [`crate::hass::entities::attributes`]).
    pub(super) unshown: RefCell<Vec<Property>>,
    /// Properties a composite of this scope shows: the generic rule leaves them alone.
    consumed: RefCell<HashSet<PropertyPath>>,
}

pub(super) fn scopes<'a>(
    profile: &'a Profile,
    catalog: &'a Catalog,
    root: Option<&'a DeviceCatalog>,
    labels: &'a Labels,
) -> Vec<Scope<'a>> {
    let mut subs: Vec<Option<String>> = vec![None];
    subs.extend(profile.sub_devices.iter().cloned().map(Some));
    for p in &profile.properties {
        if !subs.contains(&p.path.sub_device) {
            subs.push(p.path.sub_device.clone());
        }
    }
    subs.into_iter()
        .filter_map(|sub| {
            let properties: Vec<&Property> = profile
                .properties
                .iter()
                .filter(|p| p.path.sub_device == sub)
                .collect();
            if properties.is_empty() {
                return None;
            }
            let own = match &sub {
                None => root,
                Some(name) => root
                    .and_then(|r| r.sub_devices.get(name))
                    .and_then(|t| catalog.for_type(t))
                    .or_else(|| catalog.for_type(&format!("DEVICE_{}", name.to_ascii_uppercase()))),
            };
            Some(Scope {
                sub_device: sub,
                catalog: own,
                common: catalog.common(),
                properties,
                labels,
                unshown: RefCell::new(Vec::new()),
                consumed: RefCell::new(HashSet::new()),
            })
        })
        .collect()
}

impl<'a> Scope<'a> {
    /// Every property named `resource.attribute` (several when locations differ).
    pub(super) fn find_all(&self, name: &str) -> Vec<&'a Property> {
        let Some((resource, attribute)) = name.split_once('.') else {
            return Vec::new();
        };
        self.properties
            .iter()
            .copied()
            .filter(|p| p.path.resource == resource && p.path.attribute == attribute)
            .collect()
    }

    pub(super) fn find(&self, name: &str) -> Option<&'a Property> {
        self.find_all(name).into_iter().next()
    }

    /// [`Scope::find`] for a catalog field that may name no property at all.
    pub(super) fn find_named(&self, name: Option<&str>) -> Option<&'a Property> {
        name.and_then(|n| self.find(n))
    }

    pub(super) fn resource(&self, resource: &str) -> Vec<&'a Property> {
        self.properties
            .iter()
            .copied()
            .filter(|p| p.path.resource == resource)
            .collect()
    }

    /// The device type's entry, else the entry every device type shares.
    pub(super) fn meta(&self, property: &Property) -> Option<&'a PropertyMeta> {
        let name = format!(
            "{}.{}",
            property.path.resource,
            real_attribute(&property.path).0
        );
        self.catalog
            .and_then(|c| c.properties.get(&name))
            .or_else(|| self.common.and_then(|c| c.properties.get(&name)))
    }

    /// Whether a property's location is worth naming: more than one location of its kind.
    pub(super) fn location_shown(&self, path: &PropertyPath) -> bool {
        if path.location.is_none() {
            return false;
        }
        let distinct: BTreeSet<&String> = match path.location_kind {
            LocationKind::None | LocationKind::UnitArray => return false,
            LocationKind::PropertyArray => self
                .properties
                .iter()
                .filter(|p| p.path.location_kind == LocationKind::PropertyArray)
                .filter_map(|p| p.path.location.as_ref())
                .collect(),
            LocationKind::ResourceArray => self
                .properties
                .iter()
                .filter(|p| {
                    p.path.location_kind == LocationKind::ResourceArray
                        && p.path.resource == path.resource
                })
                .filter_map(|p| p.path.location.as_ref())
                .collect(),
        };
        distinct.len() > 1
    }

    /// Key parts and name prefix for entities of this scope at this path.
    ///
    /// A sub-device is in the key (unique ids never change) but not in the name: it is a
    /// device of its own in Home Assistant ("WashTower Washer"), whose name says it. A shown
    /// location is both ("Freezer target temperature"), its word in the add-on's language.
    pub(super) fn prefix(&self, path: Option<&PropertyPath>) -> (Vec<String>, String) {
        let mut keys = Vec::new();
        let mut names = Vec::new();
        if let Some(sub) = &self.sub_device {
            keys.push(common::snake(sub));
        }
        if let Some(path) = path
            && self.location_shown(path)
            && let Some(location) = &path.location
        {
            keys.push(common::snake(location));
            names.push(self.labels.name(&common::humanize(location)));
        }
        let name = names
            .iter()
            .fold(String::new(), |acc, n| common::prefixed_name(&acc, n));
        (keys, name)
    }

    /// The key of the entity that stands for the property at `path` (its scope's keys, then
    /// resource and attribute in snake case: stable, part of the unique id), and the scope's
    /// name prefix (see [`Scope::prefix`]).
    pub(super) fn property_key(&self, path: &PropertyPath) -> (String, String) {
        let (mut keys, prefix) = self.prefix(Some(path));
        keys.push(common::snake(&path.resource));
        keys.push(common::snake(&path.attribute));
        (keys.join("_"), prefix)
    }

    /// The base of a control that stands for one property and is named by its scope alone (a
    /// cover, lock or siren: the device's main entity, or its location's).
    pub(super) fn property_base(&self, path: &PropertyPath) -> EntityBase {
        let (key, prefix) = self.property_key(path);
        EntityBase::new(key, (!prefix.is_empty()).then_some(prefix))
    }

    /// Notes a readable property no entity of this scope shows by itself.
    pub(super) fn unshown(&self, property: &Property) {
        if property.readable {
            self.unshown.borrow_mut().push(property.clone());
        }
    }

    /// The properties noted by [`Scope::unshown`] since the last call.
    pub(super) fn take_unshown(&self) -> Vec<Property> {
        std::mem::take(&mut *self.unshown.borrow_mut())
    }

    /// Takes a property from the generic rule: a composite of this scope shows it.
    pub(super) fn consume(&self, property: &Property) {
        self.consumed.borrow_mut().insert(property.path.clone());
    }

    /// [`Scope::consume`] for several properties.
    pub(super) fn consume_all<'p>(&self, properties: impl IntoIterator<Item = &'p Property>) {
        let mut consumed = self.consumed.borrow_mut();
        consumed.extend(properties.into_iter().map(|p| p.path.clone()));
    }

    /// Gives a property back to the generic rule: a composite took it, then found it cannot
    /// show it after all.
    pub(super) fn give_back(&self, property: &Property) {
        self.consumed.borrow_mut().remove(&property.path);
    }

    /// Whether a composite of this scope shows the property at `path`.
    pub(super) fn is_consumed(&self, path: &PropertyPath) -> bool {
        self.consumed.borrow().contains(path)
    }

    /// The properties the composites of this scope show so far that `wanted` picks.
    pub(super) fn consumed_where(
        &self,
        wanted: impl Fn(&PropertyPath) -> bool,
    ) -> Vec<PropertyPath> {
        let consumed = self.consumed.borrow();
        consumed.iter().filter(|p| wanted(p)).cloned().collect()
    }

    /// The power switch a composite may have (fan, water heater): the enum `name`, switched
    /// between `on` and `off`. Its property is taken from the generic rule only when it can
    /// really switch; otherwise it keeps an entity of its own.
    pub(super) fn take_power(
        &self,
        name: Option<&str>,
        on: &str,
        off: &str,
    ) -> Option<PowerControl> {
        let property = self.find_named(name)?;
        let power = PowerControl::new(property, on, off)?;
        self.consume(property);
        Some(power)
    }

    /// A writable enum a composite offers as a choice (fan presets, humidifier modes): taken
    /// from the generic rule, with its writable values as `(LG value, HA option)`.
    pub(super) fn take_options(
        &self,
        name: Option<&str>,
    ) -> Option<(Property, Vec<(String, String)>)> {
        let property = self.find_named(name).filter(|p| is_enum_with_writes(p))?;
        self.consume(property);
        let (_, write) = common::enum_values(property);
        Some((property.clone(), common::option_pairs(write, self.labels)))
    }

    pub(super) fn composite_base(&self, key: &str) -> EntityBase {
        let (mut keys, name) = self.prefix(None);
        keys.push(key.to_owned());
        EntityBase::new(keys.join("_"), (!name.is_empty()).then_some(name))
    }
}

pub(super) fn is_enum_with_writes(property: &Property) -> bool {
    property.writable
        && matches!(&property.spec, ValueSpec::Enum { write, .. } if !write.is_empty())
}

/// The values a device writes, in the order the catalog lists them (slowest to fastest speed,
/// quietest to loudest volume); values the catalog does not list are left out.
pub(super) fn in_catalog_order(order: &[String], write: &[String]) -> Vec<String> {
    order
        .iter()
        .filter(|v| write.contains(v))
        .cloned()
        .collect()
}

/// The readable current humidity a composite shows beside its own values.
pub(super) fn current_humidity(scope: &Scope, name: Option<&str>) -> Option<Property> {
    scope.find_named(name).filter(|p| p.readable).cloned()
}

/// The attribute's real name and, for a unit entry nested in a pattern A location (oven
/// `temperature: [{unit: F, …}]`, parsed as `targetTemperature@F`), its unit.
pub(super) fn real_attribute(path: &PropertyPath) -> (&str, Option<&str>) {
    match path.nested_unit() {
        Some((stem, unit)) => (stem, Some(unit)),
        None => (path.attribute.as_str(), None),
    }
}
