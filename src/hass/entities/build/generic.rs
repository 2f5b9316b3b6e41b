//! The generic rule: the entity kind (sensor, select, number, switch, buttons, binary
//! sensor) a single property becomes from its profile type and its catalog entry, for every
//! property no composite took.

use super::scope::*;
use crate::catalog::{PlatformChoice, PropertyMeta};
use crate::hass::entities::Entity;
use crate::hass::entities::binary_sensor::BinarySensorEntity;
use crate::hass::entities::button::ButtonEntity;
use crate::hass::entities::common::{self, EntityBase};
use crate::hass::entities::limits::Limits;
use crate::hass::entities::number::NumberEntity;
use crate::hass::entities::select::SelectEntity;
use crate::hass::entities::sensor::{SensorEntity, SensorValue};
use crate::hass::entities::switch::{SwitchEntity, SwitchValues};
use crate::labels::Labels;
use crate::thinq::profile::{self, LocationKind, Property, ValueSpec};
use serde_json::Value;
use std::collections::HashMap;

/// What one generic (non-composite) entity will be.
#[derive(Debug, Clone)]
pub(super) enum Kind {
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
        limits: Limits,
        unit: Option<String>,
        device_class: Option<String>,
    },
    Switch(SwitchValues),
    /// One button per LG value.
    Buttons(Vec<(String, String)>),
}

impl Kind {
    /// A sensor without device class, unit or state class (text, enums, constants).
    pub(super) fn plain_sensor(value: SensorValue) -> Kind {
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
pub(super) struct Plan {
    pub(super) property: Property,
    pub(super) kind: Kind,
    pub(super) key: String,
    /// The name as the catalog or the generic rule gives it, before prefixes.
    pub(super) name: String,
    pub(super) prefix: String,
    /// The resource as a name part, added when the name clashes ("Sleep timer …").
    pub(super) qualifier: String,
    pub(super) meta: PropertyMeta,
    /// Set when the name clashes with another entity's: the resource gets added.
    pub(super) qualified: bool,
}

impl Plan {
    pub(super) fn full_name(&self) -> String {
        let name = if self.qualified {
            common::prefixed_name(&self.qualifier, &self.name)
        } else {
            self.name.clone()
        };
        common::prefixed_name(&self.prefix, &name)
    }

    pub(super) fn base(&self, key: String, name: String) -> EntityBase {
        let mut base = EntityBase::new(key, Some(name));
        base.icon = self.meta.icon.clone();
        base.entity_category = self.meta.entity_category.clone();
        // A profile constant never changes: a diagnostic, disabled unless the catalog says.
        let constant = matches!(self.property.spec, ValueSpec::Constant(_));
        if constant && base.entity_category.is_none() {
            base.entity_category = Some("diagnostic".to_owned());
        }
        base.enabled = self.meta.enabled.unwrap_or(!constant);
        base
    }

    pub(super) fn build_into(self, out: &mut Vec<Box<dyn Entity>>) {
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
                limits,
                unit,
                device_class,
            } => out.push(Box::new(NumberEntity {
                base: self.base(self.key.clone(), name),
                property,
                limits,
                unit,
                device_class,
                mode: self.meta.mode.clone().unwrap_or_else(|| "box".to_owned()),
            })),
            Kind::Switch(values) => out.push(Box::new(SwitchEntity {
                base: self.base(self.key.clone(), name),
                property,
                values,
                device_class: self.meta.device_class.clone(),
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

pub(super) fn plan_properties(scope: &Scope) -> Vec<Plan> {
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
        if scope.is_consumed(path) || (!property.readable && !property.writable) {
            continue;
        }
        let meta = scope.meta(property).cloned().unwrap_or_default();
        // Superseded: the newer resource holds the same value and shows it. Not repeated,
        // not even as an attribute: every change would be a second message for it.
        if let Some(newer) = &meta.superseded_by
            && !scope.resource(newer).is_empty()
        {
            continue;
        }
        if meta.platform == Some(PlatformChoice::Hidden) {
            scope.unshown(property);
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
            scope.unshown(property);
            continue;
        }
        if is_temperature_unit_enum(property) {
            continue;
        }
        if is_fahrenheit_twin(scope, property) {
            scope.unshown(property);
            continue;
        }
        let (key, prefix) = scope.property_key(path);
        let name = scope.labels.name(
            &meta
                .name
                .clone()
                .unwrap_or_else(|| common::humanize(&path.attribute)),
        );
        let qualifier = scope.labels.name(&common::humanize(&path.resource));
        let temperature_unit = temperature_unit(scope, property);
        // A sensor and buttons from one attribute do not clash: button keys add the value.
        for kind in kinds(property, &meta, temperature_unit.as_deref(), scope.labels) {
            plans.push(Plan {
                property: property.clone(),
                kind,
                key: key.clone(),
                name: name.clone(),
                prefix: prefix.clone(),
                qualifier: qualifier.clone(),
                meta: meta.clone(),
                qualified: false,
            });
        }
    }
    plans
}

/// A read-only `unit` enum of temperature units (`temperature.unit` [C, F]): it only says
/// which unit the numbers beside it are in, and those numbers carry their unit already.
pub(super) fn is_temperature_unit_enum(property: &Property) -> bool {
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

/// `targetTemperatureF` when `targetTemperatureC` exists at the same place: the same setting
/// in the other unit.
pub(super) fn is_fahrenheit_twin(scope: &Scope, property: &Property) -> bool {
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
pub(super) fn temperature_unit(scope: &Scope, property: &Property) -> Option<String> {
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
pub(super) fn kinds(
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
        // A list is shown as its values' labels joined: not one of the options.
        if meta.text || read.is_empty() || property.list {
            Kind::plain_sensor(SensorValue::EnumText(common::option_pairs(read, labels)))
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
        let catalog = Limits {
            min: meta.min,
            max: meta.max,
            step: meta.step,
        };
        Kind::Number {
            limits: Limits::of_range_or(property.spec.range(), catalog),
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
                let pairs = match value {
                    Value::String(s) => vec![(s.clone(), labels.label(s))],
                    _ => Vec::new(),
                };
                vec![Kind::plain_sensor(SensorValue::Constant(
                    value.clone(),
                    pairs,
                ))]
            }
            _ => Vec::new(),
        },
    }
}

/// The values of a write-only enum with the labels their buttons are named by.
pub(super) fn button_values(write: &[String], labels: &Labels) -> Vec<(String, String)> {
    write.iter().map(|v| (v.clone(), labels.label(v))).collect()
}

/// Two entities with the same name confuse people and entity ids: qualify the generic ones
/// with their resource ("Timer relative hour to stop" vs "Sleep timer relative hour to stop").
pub(super) fn resolve_name_clashes(plans: &mut [Plan], composites: &[Box<dyn Entity>]) {
    let composite_names: Vec<String> = composites
        .iter()
        .map(|e| e.base().display_name())
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
