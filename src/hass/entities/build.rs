//! From a parsed profile (and the catalog) to a device's entities.
//!
//! Order of decisions for each property:
//! 1. Composite entities named by the catalog (climate, fan, humidifier, water_heater,
//!    durations) take the properties they fully represent; those get no entity of their own.
//! 2. The catalog entry for `resource.attribute`, if any, sets platform, name, classes, units.
//! 3. Otherwise the generic rule by profile type decides (see [`generic_kind`]), so a device
//!    type nobody has described yet still gets every readable value and every control.
//!
//! Keys are built from the profile alone (`[sub-device_][location_]resource_attribute`, snake
//! case) so that adding or improving a catalog entry later never changes a unique id.

use super::Entity;
use super::binary_sensor::BinarySensorEntity;
use super::button::ButtonEntity;
use super::climate::{ClimateEntity, TemperatureSet};
use super::common::{self, EntityBase, PowerControl};
use super::event::{self, EventEntity};
use super::fan::{FanEntity, FanSpeed};
use super::humidifier::HumidifierEntity;
use super::number::NumberEntity;
use super::select::SelectEntity;
use super::sensor::{DurationSensor, ErrorSensor, SensorEntity, SensorValue};
use super::switch::{SwitchEntity, SwitchValues};
use super::water_heater::WaterHeaterEntity;
use crate::catalog::{
    Catalog, ClimateSpec, DeviceCatalog, DurationSpec, FanSpec, HumidifierSpec, PlatformChoice,
    PropertyMeta, WaterHeaterSpec,
};
use crate::labels::Labels;
use crate::thinq::DeviceSummary;
use crate::thinq::profile::{self, LocationKind, Profile, Property, PropertyPath, ValueSpec};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};

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
            Some(meta.name.unwrap_or_else(|| "Notification".to_owned())),
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
                    format!("{} error", common::humanize(s)),
                ),
                None => ("error".to_owned(), "Error".to_owned()),
            };
            let mut base = EntityBase::new(key, Some(name));
            base.icon = Some("mdi:alert-circle-outline".to_owned());
            entities.push(Box::new(ErrorSensor {
                base,
                sub_device: sub,
                codes: codes.clone(),
            }));
        }
    }

    dedupe_keys(entities)
}

/// The properties of one sub-device (or the whole device), with the catalog describing them.
struct Scope<'a> {
    sub_device: Option<String>,
    catalog: Option<&'a DeviceCatalog>,
    /// Entries for attributes that mean the same on every device (`battery.percent`).
    common: Option<&'a DeviceCatalog>,
    properties: Vec<&'a Property>,
    /// The words enum values show as, in the add-on's language.
    labels: &'a Labels,
}

fn scopes<'a>(
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
            })
        })
        .collect()
}

impl<'a> Scope<'a> {
    /// Every property named `resource.attribute` (several when locations differ).
    fn find_all(&self, name: &str) -> Vec<&'a Property> {
        let Some((resource, attribute)) = name.split_once('.') else {
            return Vec::new();
        };
        self.properties
            .iter()
            .copied()
            .filter(|p| p.path.resource == resource && p.path.attribute == attribute)
            .collect()
    }

    fn find(&self, name: &str) -> Option<&'a Property> {
        self.find_all(name).into_iter().next()
    }

    /// [`Scope::find`] for a catalog field that may name no property at all.
    fn find_named(&self, name: Option<&str>) -> Option<&'a Property> {
        name.and_then(|n| self.find(n))
    }

    fn resource(&self, resource: &str) -> Vec<&'a Property> {
        self.properties
            .iter()
            .copied()
            .filter(|p| p.path.resource == resource)
            .collect()
    }

    /// The device type's entry, else the entry every device type shares.
    fn meta(&self, property: &Property) -> Option<&'a PropertyMeta> {
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
    fn location_shown(&self, path: &PropertyPath) -> bool {
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
    fn prefix(&self, path: Option<&PropertyPath>) -> (Vec<String>, String) {
        let mut keys = Vec::new();
        let mut names = Vec::new();
        if let Some(sub) = &self.sub_device {
            keys.push(common::snake(sub));
            names.push(common::humanize(sub));
        }
        if let Some(path) = path
            && self.location_shown(path)
            && let Some(location) = &path.location
        {
            keys.push(common::snake(location));
            names.push(common::humanize(location));
        }
        let name = names
            .iter()
            .fold(String::new(), |acc, n| common::prefixed_name(&acc, n));
        (keys, name)
    }

    fn composite_base(&self, key: &str) -> EntityBase {
        let (mut keys, name) = self.prefix(None);
        keys.push(key.to_owned());
        EntityBase::new(keys.join("_"), (!name.is_empty()).then_some(name))
    }
}

fn is_enum_with_writes(property: &Property) -> bool {
    property.writable
        && matches!(&property.spec, ValueSpec::Enum { write, .. } if !write.is_empty())
}

/// The power switch a composite may have (fan, water heater). Its property is taken from the
/// generic rule only when it can really switch; otherwise it keeps an entity of its own.
fn take_optional_power(
    scope: &Scope,
    name: Option<&str>,
    on: &str,
    off: &str,
    consumed: &mut HashSet<PropertyPath>,
) -> Option<PowerControl> {
    let property = scope.find_named(name)?;
    let power = PowerControl::new(property, on, off)?;
    consumed.insert(property.path.clone());
    Some(power)
}

/// A writable enum a composite offers as a choice (fan presets, humidifier modes): taken from
/// the generic rule, with its writable values as `(LG value, HA option)`.
fn take_writable_options(
    scope: &Scope,
    name: Option<&str>,
    consumed: &mut HashSet<PropertyPath>,
) -> Option<(Property, Vec<(String, String)>)> {
    let property = scope.find_named(name).filter(|p| is_enum_with_writes(p))?;
    consumed.insert(property.path.clone());
    let (_, write) = common::enum_values(property);
    Some((property.clone(), common::option_pairs(write, scope.labels)))
}

/// The temperatures of a climate / water heater: read from the first of `resources` the
/// profile has. Every listed resource is taken, so no temperature shows twice.
fn take_temperature(
    scope: &Scope,
    resources: &[String],
    current: &str,
    target: &str,
    mode_targets: &[(String, String)],
    consumed: &mut HashSet<PropertyPath>,
) -> Option<TemperatureSet> {
    let mut temperature = None;
    for resource in resources {
        let props = scope.resource(resource);
        if props.is_empty() {
            continue;
        }
        if temperature.is_none() {
            temperature = TemperatureSet::from_properties(&props, current, target, mode_targets);
        }
        consumed.extend(props.iter().map(|p| p.path.clone()));
    }
    temperature
}

/// The readable current humidity a composite shows beside its own values.
fn current_humidity(scope: &Scope, name: Option<&str>) -> Option<Property> {
    scope.find_named(name).filter(|p| p.readable).cloned()
}

fn build_climate(
    scope: &Scope,
    spec: &ClimateSpec,
    consumed: &mut HashSet<PropertyPath>,
) -> Option<ClimateEntity> {
    let power_property = scope.find(&spec.power)?;
    let power = PowerControl::new(power_property, &spec.power_on, &spec.power_off)?;
    let mode = scope
        .find(&spec.mode)
        .filter(|p| matches!(p.spec, ValueSpec::Enum { .. }));
    let mut hvac_modes: Vec<(String, String)> = Vec::new();
    let mut presets: Vec<(String, String)> = Vec::new();
    if let Some(mode) = mode {
        let (read, write) = common::enum_values(mode);
        let values = if mode.writable && !write.is_empty() {
            write
        } else {
            read
        };
        for value in values {
            match spec.hvac_modes.get(value) {
                Some(ha) if !hvac_modes.iter().any(|(_, h)| h == ha) => {
                    hvac_modes.push((value.clone(), ha.clone()))
                }
                Some(_) => {}
                None => presets.push((value.clone(), scope.labels.label(value))),
            }
        }
        consumed.insert(mode.path.clone());
    }
    consumed.insert(power_property.path.clone());

    let mode_targets: Vec<(String, String)> = spec
        .mode_target_temperature
        .iter()
        .map(|(m, a)| (m.clone(), a.clone()))
        .collect();
    let temperature = take_temperature(
        scope,
        &spec.temperature_resources,
        &spec.current_temperature,
        &spec.target_temperature,
        &mode_targets,
        consumed,
    );

    let fan = spec
        .fan_mode
        .iter()
        .filter_map(|name| scope.find(name))
        .find(|p| is_enum_with_writes(p))
        .map(|p| {
            consumed.insert(p.path.clone());
            let (_, write) = common::enum_values(p);
            let mut pairs: Vec<(String, String)> = Vec::new();
            for value in write {
                let preferred = spec
                    .fan_mode_names
                    .get(value)
                    .cloned()
                    .unwrap_or_else(|| scope.labels.label(value));
                let ha = if pairs.iter().any(|(_, h)| *h == preferred) {
                    format!("{} ({value})", scope.labels.label(value))
                } else {
                    preferred
                };
                if !pairs.iter().any(|(_, h)| *h == ha) {
                    pairs.push((value.clone(), ha));
                }
            }
            (p.clone(), pairs)
        });
    let swing_of = |name: Option<&str>, consumed: &mut HashSet<PropertyPath>| {
        let p = scope
            .find_named(name)
            .filter(|p| p.writable && p.spec == ValueSpec::Boolean)?;
        consumed.insert(p.path.clone());
        Some(p.clone())
    };
    let swing = swing_of(spec.swing.as_deref(), consumed);
    let swing_horizontal = swing_of(spec.swing_horizontal.as_deref(), consumed);
    let humidity = current_humidity(scope, spec.current_humidity.as_deref());

    Some(ClimateEntity {
        base: scope.composite_base("climate"),
        power,
        mode: mode.cloned(),
        hvac_modes,
        presets,
        preset_hvac_mode: spec.preset_hvac_mode.clone(),
        temperature,
        fan,
        swing,
        swing_horizontal,
        humidity,
    })
}

fn build_fan(
    scope: &Scope,
    spec: &FanSpec,
    consumed: &mut HashSet<PropertyPath>,
) -> Option<FanEntity> {
    let power = take_optional_power(
        scope,
        spec.power.as_deref(),
        &spec.power_on,
        &spec.power_off,
        consumed,
    );
    let speed_property = scope
        .find_named(spec.speed.as_deref())
        .filter(|p| p.writable);
    let speed = speed_property.and_then(|p| match &p.spec {
        ValueSpec::Enum { read, write } => {
            let speeds: Vec<String> = spec
                .speed_order
                .iter()
                .filter(|s| write.contains(s))
                .cloned()
                .collect();
            if speeds.is_empty() {
                return None;
            }
            // Values the speed list cannot show (AUTO) keep their own select.
            if read.iter().chain(write.iter()).all(|v| speeds.contains(v)) {
                consumed.insert(p.path.clone());
            }
            Some(FanSpeed::Named {
                property: p.clone(),
                speeds,
            })
        }
        ValueSpec::Range { write: Some(r), .. } if r.max > r.min => {
            consumed.insert(p.path.clone());
            Some(FanSpeed::Ranged {
                property: p.clone(),
                min: r.min.round() as i64,
                max: r.max.round() as i64,
            })
        }
        _ => None,
    });
    if power.is_none() && !matches!(speed, Some(FanSpeed::Ranged { .. })) {
        // No fan after all: a named speed goes back to the generic rule (its own select)
        // instead of vanishing with the fan that would have shown it.
        if let Some(FanSpeed::Named { property, .. }) = &speed {
            consumed.remove(&property.path);
        }
        return None;
    }
    let presets = take_writable_options(scope, spec.preset.as_deref(), consumed);
    Some(FanEntity {
        base: scope.composite_base("fan"),
        power,
        speed,
        presets,
    })
}

fn build_humidifier(
    scope: &Scope,
    spec: &HumidifierSpec,
    consumed: &mut HashSet<PropertyPath>,
) -> Option<HumidifierEntity> {
    let power_property = scope.find(&spec.power)?;
    let power = PowerControl::new(power_property, &spec.power_on, &spec.power_off)?;
    let target = scope
        .find(&spec.target_humidity)
        .filter(|p| p.writable && matches!(p.spec, ValueSpec::Range { .. } | ValueSpec::Number))?;
    consumed.insert(power_property.path.clone());
    consumed.insert(target.path.clone());
    let current = current_humidity(scope, spec.current_humidity.as_deref());
    let modes = take_writable_options(scope, spec.mode.as_deref(), consumed);
    Some(HumidifierEntity {
        base: scope.composite_base("humidifier"),
        device_class: spec.device_class.clone(),
        power,
        target: target.clone(),
        current,
        modes,
    })
}

fn build_water_heater(
    scope: &Scope,
    spec: &WaterHeaterSpec,
    consumed: &mut HashSet<PropertyPath>,
) -> Option<WaterHeaterEntity> {
    let power = take_optional_power(
        scope,
        spec.power.as_deref(),
        &spec.power_on,
        &spec.power_off,
        consumed,
    );
    let mode = scope
        .find(&spec.mode)
        .filter(|p| matches!(p.spec, ValueSpec::Enum { .. }))
        .map(|p| {
            let (read, write) = common::enum_values(p);
            let all: Vec<&String> = read.iter().chain(write.iter()).collect();
            let mut pairs: Vec<(String, String)> = Vec::new();
            for value in &all {
                if let Some(ha) = spec.modes.get(*value)
                    && !pairs.iter().any(|(lg, _)| lg == *value)
                {
                    pairs.push(((*value).clone(), ha.clone()));
                }
            }
            if all.iter().all(|v| spec.modes.contains_key(*v)) {
                consumed.insert(p.path.clone());
            }
            (p.clone(), pairs)
        });
    let temperature = take_temperature(
        scope,
        &spec.temperature_resources,
        &spec.current_temperature,
        &spec.target_temperature,
        &[],
        consumed,
    );
    if mode.is_none() && temperature.is_none() {
        return None;
    }
    Some(WaterHeaterEntity {
        base: scope.composite_base("water_heater"),
        power,
        mode,
        temperature,
    })
}

fn build_durations<'a>(
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
            Some(common::prefixed_name(&prefix, &spec.name)),
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

/// What one generic (non-composite) entity will be.
#[derive(Debug, Clone)]
enum Kind {
    Sensor {
        value: SensorValue,
        device_class: Option<String>,
        unit: Option<String>,
        state_class: Option<String>,
    },
    Binary {
        on_values: Vec<String>,
        device_class: Option<String>,
    },
    Select(Vec<(String, String)>),
    Number {
        min: Option<f64>,
        max: Option<f64>,
        step: Option<f64>,
        unit: Option<String>,
        device_class: Option<String>,
    },
    Switch(SwitchValues),
    /// One button per LG value.
    Buttons(Vec<(String, String)>),
}

impl Kind {
    /// A sensor without device class, unit or state class (text, enums, constants).
    fn plain_sensor(value: SensorValue) -> Kind {
        Kind::Sensor {
            value,
            device_class: None,
            unit: None,
            state_class: None,
        }
    }
}

/// A planned generic entity, named but not yet built (names may still change on clashes).
#[derive(Debug, Clone)]
struct Plan {
    property: Property,
    kind: Kind,
    key: String,
    /// The name as the catalog or the generic rule gives it, before prefixes.
    name: String,
    prefix: String,
    meta: PropertyMeta,
    /// Set when the name clashes with another entity's: the resource gets added.
    qualified: bool,
}

impl Plan {
    fn full_name(&self) -> String {
        let name = if self.qualified {
            common::prefixed_name(&common::humanize(&self.property.path.resource), &self.name)
        } else {
            self.name.clone()
        };
        common::prefixed_name(&self.prefix, &name)
    }

    fn base(&self, key: String, name: String) -> EntityBase {
        let mut base = EntityBase::new(key, Some(name));
        base.icon = self.meta.icon.clone();
        base.entity_category = self.meta.entity_category.clone();
        if matches!(self.property.spec, ValueSpec::Constant(_)) && base.entity_category.is_none() {
            base.entity_category = Some("diagnostic".to_owned());
        }
        base.enabled = self.meta.enabled.unwrap_or(true);
        base
    }

    fn build_into(self, out: &mut Vec<Box<dyn Entity>>) {
        let name = self.full_name();
        let property = self.property.clone();
        match self.kind.clone() {
            Kind::Sensor {
                value,
                device_class,
                unit,
                state_class,
            } => out.push(Box::new(SensorEntity {
                base: self.base(self.key.clone(), name),
                property,
                value,
                device_class,
                unit,
                state_class,
                precision: self.meta.precision,
            })),
            Kind::Binary {
                on_values,
                device_class,
            } => out.push(Box::new(BinarySensorEntity {
                base: self.base(self.key.clone(), name),
                property,
                on_values,
                device_class,
            })),
            Kind::Select(options) => out.push(Box::new(SelectEntity {
                base: self.base(self.key.clone(), name),
                property,
                options,
            })),
            Kind::Number {
                min,
                max,
                step,
                unit,
                device_class,
            } => out.push(Box::new(NumberEntity {
                base: self.base(self.key.clone(), name),
                property,
                min,
                max,
                step,
                unit,
                device_class,
                mode: self.meta.mode.clone().unwrap_or_else(|| "box".to_owned()),
            })),
            Kind::Switch(values) => out.push(Box::new(SwitchEntity {
                base: self.base(self.key.clone(), name),
                property,
                values,
            })),
            Kind::Buttons(values) => {
                for (value, label) in values {
                    let button_name = if self.name.is_empty() && self.prefix.is_empty() {
                        label
                    } else if self.name.is_empty() {
                        common::prefixed_name(&self.prefix, &label)
                    } else {
                        common::prefixed_name(&name, &label)
                    };
                    let key = format!("{}_{}", self.key, common::snake(&value));
                    out.push(Box::new(ButtonEntity {
                        base: self.base(key, button_name),
                        property: property.clone(),
                        value,
                    }));
                }
            }
        }
    }
}

fn plan_properties(scope: &Scope, consumed: &HashSet<PropertyPath>) -> Vec<Plan> {
    // Pattern C resources repeat every attribute per unit: keep one unit (C when offered).
    let mut preferred_unit: HashMap<&str, Option<&String>> = HashMap::new();
    for p in &scope.properties {
        if p.path.location_kind == LocationKind::UnitArray {
            let entry = preferred_unit
                .entry(p.path.resource.as_str())
                .or_insert(p.path.location.as_ref());
            if p.path.location.as_deref() == Some("C") {
                *entry = p.path.location.as_ref();
            }
        }
    }
    let mut plans = Vec::new();
    for &property in &scope.properties {
        let path = &property.path;
        if consumed.contains(path) || (!property.readable && !property.writable) {
            continue;
        }
        let meta = scope.meta(property).cloned().unwrap_or_default();
        if meta.platform == Some(PlatformChoice::Hidden) {
            continue;
        }
        if let Some(newer) = &meta.superseded_by
            && !scope.resource(newer).is_empty()
        {
            continue;
        }
        if matches!(property.spec, ValueSpec::Constant(_))
            && matches!(path.attribute.as_str(), "unit" | "locationName")
        {
            continue;
        }
        if path.location_kind == LocationKind::UnitArray
            && preferred_unit
                .get(path.resource.as_str())
                .copied()
                .flatten()
                != path.location.as_ref()
        {
            continue;
        }
        if is_temperature_unit_enum(property) || is_fahrenheit_twin(scope, property) {
            continue;
        }
        let (mut keys, prefix) = scope.prefix(Some(path));
        keys.push(common::snake(&path.resource));
        keys.push(common::snake(&path.attribute));
        let key = keys.join("_");
        let name = meta
            .name
            .clone()
            .unwrap_or_else(|| common::humanize(&path.attribute));
        let temperature_unit = temperature_unit(scope, property);
        // A sensor and buttons from one attribute do not clash: button keys add the value.
        for kind in kinds(property, &meta, temperature_unit.as_deref(), scope.labels) {
            plans.push(Plan {
                property: property.clone(),
                kind,
                key: key.clone(),
                name: name.clone(),
                prefix: prefix.clone(),
                meta: meta.clone(),
                qualified: false,
            });
        }
    }
    plans
}

/// A read-only `unit` enum of temperature units (`temperature.unit` [C, F]): it only says
/// which unit the numbers beside it are in, and those numbers carry their unit already.
fn is_temperature_unit_enum(property: &Property) -> bool {
    match &property.spec {
        ValueSpec::Enum { read, .. } if property.path.attribute == "unit" && !property.writable => {
            !read.is_empty()
                && read
                    .iter()
                    .all(|u| common::ha_temperature_unit(u).is_some())
        }
        _ => false,
    }
}

/// The attribute's real name and, for a unit entry nested in a pattern A location (oven
/// `temperature: [{unit: F, …}]`, parsed as `targetTemperature@F`), its unit.
fn real_attribute(path: &PropertyPath) -> (&str, Option<&str>) {
    match path.nested_unit() {
        Some((stem, unit)) => (stem, Some(unit)),
        None => (path.attribute.as_str(), None),
    }
}

/// `targetTemperatureF` when `targetTemperatureC` exists at the same place: the same setting
/// in the other unit.
fn is_fahrenheit_twin(scope: &Scope, property: &Property) -> bool {
    if let (stem, Some("F")) = real_attribute(&property.path) {
        let celsius = profile::nested_unit_attribute(stem, "C");
        return scope.properties.iter().any(|p| {
            p.path.attribute == celsius
                && p.path.resource == property.path.resource
                && p.path.location == property.path.location
        });
    }
    let Some(stem) = property.path.attribute.strip_suffix('F') else {
        return false;
    };
    if !stem.to_ascii_lowercase().ends_with("temperature") {
        return false;
    }
    let celsius = format!("{stem}C");
    scope.properties.iter().any(|p| {
        p.path.attribute == celsius
            && p.path.resource == property.path.resource
            && p.path.location == property.path.location
    })
}

/// LG's temperature unit (`C`/`F`) of a temperature attribute, when the profile says it.
fn temperature_unit(scope: &Scope, property: &Property) -> Option<String> {
    let path = &property.path;
    if !path.attribute.to_ascii_lowercase().contains("temperature") {
        return None;
    }
    let known = |u: &str| common::ha_temperature_unit(u).is_some();
    if let (_, Some(unit)) = real_attribute(path)
        && known(unit)
    {
        return Some(unit.to_owned());
    }
    if path.location_kind == LocationKind::UnitArray
        && let Some(unit) = path.location.as_deref().filter(|u| known(u))
    {
        return Some(unit.to_owned());
    }
    for suffix in ["C", "F"] {
        if path.attribute.ends_with(&format!("emperature{suffix}")) {
            return Some(suffix.to_owned());
        }
    }
    if let Some(unit) = property.unit.as_deref().filter(|u| known(u)) {
        return Some(unit.to_owned());
    }
    scope
        .properties
        .iter()
        .find(|p| {
            p.path.attribute == "unit"
                && p.path.resource == path.resource
                && p.path.location == path.location
        })
        .and_then(|p| common::single_text_value(p))
        .filter(|u| known(u))
}

/// The entity kinds a property becomes (usually one; an enum whose readable values cannot all
/// be written becomes a sensor plus buttons for the writable values).
fn kinds(
    property: &Property,
    meta: &PropertyMeta,
    temperature_unit: Option<&str>,
    labels: &Labels,
) -> Vec<Kind> {
    let ha_unit = meta.unit.clone().or_else(|| {
        temperature_unit
            .and_then(common::ha_temperature_unit)
            .map(str::to_owned)
            .or_else(|| {
                if meta.device_class.as_deref() == Some("temperature") {
                    Some("°C".to_owned())
                } else {
                    None
                }
            })
    });
    let device_class = meta
        .device_class
        .clone()
        .or_else(|| temperature_unit.is_some().then(|| "temperature".to_owned()));
    let numeric_sensor = || Kind::Sensor {
        value: SensorValue::Numeric,
        device_class: device_class.clone(),
        unit: ha_unit.clone(),
        state_class: meta
            .state_class
            .clone()
            .or_else(|| Some("measurement".to_owned())),
    };
    let enum_sensor = |read: &[String]| {
        if meta.text || read.is_empty() {
            Kind::plain_sensor(SensorValue::EnumText)
        } else {
            Kind::plain_sensor(SensorValue::Enum(common::option_pairs(read, labels)))
        }
    };
    let binary_from_enum = |read: &[String]| -> Option<Kind> {
        let on_values = if meta.on_values.is_empty() {
            vec![common::on_off_pair(read)?.0]
        } else {
            meta.on_values.clone()
        };
        Some(Kind::Binary {
            on_values,
            device_class: meta.device_class.clone(),
        })
    };
    let number = || {
        // The write range is what LG accepts; the read range is the best guess without one.
        let range = match &property.spec {
            ValueSpec::Range { write, read } => write.as_ref().or(read.as_ref()),
            _ => None,
        };
        Kind::Number {
            min: range.map(|r| r.min).or(meta.min),
            max: range.map(|r| r.max).or(meta.max),
            step: range.map(|r| r.step).filter(|s| *s > 0.0).or(meta.step),
            unit: ha_unit.clone(),
            device_class: device_class.clone(),
        }
    };

    let (readable, writable) = (property.readable, property.writable);
    match &property.spec {
        ValueSpec::Enum { read, write } => {
            let write = if writable { write.as_slice() } else { &[] };
            let read = if readable { read.as_slice() } else { &[] };
            match meta.platform {
                Some(PlatformChoice::Sensor) => return vec![enum_sensor(read)],
                Some(PlatformChoice::BinarySensor) => {
                    return binary_from_enum(read)
                        .map_or_else(|| vec![enum_sensor(read)], |k| vec![k]);
                }
                Some(PlatformChoice::Select) if !write.is_empty() => {
                    return vec![Kind::Select(common::option_pairs(write, labels))];
                }
                Some(PlatformChoice::Button) if !write.is_empty() => {
                    return vec![Kind::Buttons(button_values(write, labels))];
                }
                Some(PlatformChoice::Switch) => {
                    let pair = if meta.on_values.len() == 1 {
                        write
                            .iter()
                            .find(|w| !meta.on_values.contains(w))
                            .map(|off| (meta.on_values[0].clone(), off.clone()))
                    } else {
                        common::on_off_pair(write)
                    };
                    if let Some((on, off)) = pair {
                        return vec![Kind::Switch(SwitchValues::Enum { on, off })];
                    }
                }
                _ => {}
            }
            if write.is_empty() {
                if (!meta.on_values.is_empty()
                    || (!meta.text && common::on_off_pair(read).is_some()))
                    && let Some(kind) = binary_from_enum(read)
                {
                    return vec![kind];
                }
                return if read.is_empty() {
                    Vec::new()
                } else {
                    vec![enum_sensor(read)]
                };
            }
            if read.is_empty() {
                return vec![Kind::Buttons(button_values(write, labels))];
            }
            if let Some((on, off)) = common::on_off_pair(read)
                && write.contains(&on)
                && write.contains(&off)
            {
                return vec![Kind::Switch(SwitchValues::Enum { on, off })];
            }
            if read.iter().all(|r| write.contains(r)) {
                return vec![Kind::Select(common::option_pairs(write, labels))];
            }
            vec![
                enum_sensor(read),
                Kind::Buttons(button_values(write, labels)),
            ]
        }
        ValueSpec::Range { .. } | ValueSpec::Number => {
            if writable && meta.platform != Some(PlatformChoice::Sensor) {
                vec![number()]
            } else if readable {
                vec![numeric_sensor()]
            } else {
                Vec::new()
            }
        }
        ValueSpec::Boolean => {
            if writable
                && meta.platform != Some(PlatformChoice::Sensor)
                && meta.platform != Some(PlatformChoice::BinarySensor)
            {
                vec![Kind::Switch(SwitchValues::Boolean)]
            } else if readable {
                vec![Kind::Binary {
                    on_values: Vec::new(),
                    device_class: meta.device_class.clone(),
                }]
            } else {
                Vec::new()
            }
        }
        ValueSpec::String => {
            if readable {
                vec![Kind::plain_sensor(SensorValue::Text)]
            } else {
                // A write-only free text has no Home Assistant control that works on every
                // supported Core version (`text` needs a pattern LG does not give); left out.
                Vec::new()
            }
        }
        ValueSpec::Constant(value) => match value {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                vec![Kind::plain_sensor(SensorValue::Constant(value.clone()))]
            }
            _ => Vec::new(),
        },
    }
}

/// Two entities with the same name confuse people and entity ids: qualify the generic ones
/// with their resource ("Timer relative hour to stop" vs "Sleep timer relative hour to stop").
/// The values of a write-only enum with the labels their buttons are named by.
fn button_values(write: &[String], labels: &Labels) -> Vec<(String, String)> {
    write.iter().map(|v| (v.clone(), labels.label(v))).collect()
}

fn resolve_name_clashes(plans: &mut [Plan], composites: &[Box<dyn Entity>]) {
    let composite_names: Vec<String> = composites
        .iter()
        .map(|e| e.describe(&Value::Null).0)
        .filter(|n| !n.is_empty())
        .collect();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for plan in plans.iter() {
        if !matches!(plan.kind, Kind::Buttons(_)) {
            *counts.entry(plan.full_name().to_lowercase()).or_default() += 1;
        }
    }
    for name in &composite_names {
        *counts.entry(name.to_lowercase()).or_default() += 1;
    }
    for plan in plans.iter_mut() {
        let clashes = counts
            .get(&plan.full_name().to_lowercase())
            .copied()
            .unwrap_or(0)
            > 1;
        if clashes && !matches!(plan.kind, Kind::Buttons(_)) {
            plan.qualified = true;
        }
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
