//! Values shown as attributes of the entity they qualify, not as entities of their own.
//!
//! Some values qualify another one (the unit string beside a plug's power) or are a part of a
//! composite the composite has no field for (a climate's minimum target). An entity of their
//! own would be noise; dropping them would hide what LG reports. Home Assistant shows a JSON
//! object on the entity's `json_attributes_topic` in its attributes, so they go there, one
//! object per entity on `<entity>/attributes`.
//!
//! A value that only repeats one an entity shows (the °F twin of a °C value, the older
//! `temperature` resource beside `temperatureInUnits`) is not among them: it hides nothing
//! (Home Assistant converts units itself), and on every change it would be a second message
//! and a second state write in Home Assistant (`build::extras::is_twin`).

use super::Commands;
use crate::hass::entities::Entity;
use crate::hass::entities::common::{self, EntityBase, EntityKind};
use crate::hass::entities::component::Component;
use crate::thinq::profile::{Property, PropertyPath, ValueSpec};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The state feature (topic suffix) the attributes object is published on.
pub const ATTRIBUTES: &str = "attributes";

/// An entity plus values shown as its attributes: `(attribute name, property)`.
pub struct WithAttributes {
    pub inner: Box<dyn Entity>,
    pub attributes: Vec<(String, Property)>,
    /// Values the state reports that the profile does not list, shown here too.
    pub unlisted: Option<Unlisted>,
}

/// Members of a (sub-)device's state the profile does not describe (LG's example air
/// conditioner reports `timer.absoluteStartTimer`, a refrigerator `powerSave`, an oven a
/// second cavity, none of them in the profile), and enum values off the profile's list (a job
/// mode `AUTO` the profile does not offer: Home Assistant cannot show it as a mode). Found in
/// each state, shown as `<resource>_<member>[_<location or unit>]`.
#[derive(Debug, Clone, Default)]
pub struct Unlisted {
    pub sub_device: Option<String>,
    /// `(location, resource)` → the readable attributes the profile lists (shown elsewhere).
    /// The location is set for per-location state arrays (pattern A) only.
    pub listed: BTreeMap<(Option<String>, String), BTreeSet<String>>,
    /// Readable enums (with their `(LG value, label)` pairs) and ranges of the scope, shown
    /// here when their value is off their list or out of their range.
    pub enums: Vec<(Property, Vec<(String, String)>)>,
    /// `(LG value, label)` of every enum value the scope's profile lists: an unlisted member
    /// holding one of them (the second cavity's `PREHEATING`) reads as the label.
    pub words: Vec<(String, String)>,
}

/// Keys that name or qualify the values beside them rather than being values.
const IDENTIFIERS: [&str; 3] = ["locationName", "unit", "switchName"];

impl Unlisted {
    /// Adds what `state` holds beyond the profile; `shown` are the properties the entity
    /// shows as attributes already (not repeated when off their range).
    fn collect(&self, state: &Value, shown: &[&PropertyPath], object: &mut Map<String, Value>) {
        let scope = match &self.sub_device {
            Some(sub) => state.get(sub.as_str()),
            None => Some(state),
        };
        match scope {
            Some(Value::Object(resources)) => self.resources(None, resources, object),
            Some(Value::Array(locations)) => {
                let many = locations.len() > 1;
                for entry in locations.iter().filter_map(Value::as_object) {
                    let location = entry
                        .get("location")
                        .and_then(|l| l.get("locationName"))
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    let suffix = location.as_deref().filter(|_| many);
                    let mut own = Map::new();
                    self.resources(location.clone(), entry, &mut own);
                    for (name, value) in own {
                        let name = match suffix {
                            Some(place) => format!("{name}_{}", common::snake(place)),
                            None => name,
                        };
                        object.entry(name).or_insert(value);
                    }
                }
            }
            _ => {}
        }
        for (property, pairs) in &self.enums {
            if shown.contains(&&property.path) {
                continue;
            }
            let Some(value) = property.read(state) else {
                continue;
            };
            let shown = match (&property.spec, &value) {
                (ValueSpec::Enum { .. }, Value::String(text)) => {
                    (common::option_for_lg(pairs, &value).is_none())
                        .then(|| json!(common::word_label(pairs, text)))
                }
                // A number its entity cannot show (Home Assistant refuses a number entity's
                // value outside its range): `windTemperature: 0` with a 16–30 range.
                (ValueSpec::Range { .. }, _) => common::as_number(&value)
                    .filter(|n| property.spec.range().is_some_and(|r| !r.contains(*n)))
                    .map(|_| value.clone()),
                _ => None,
            };
            if let Some(shown) = shown {
                let path = &property.path;
                let mut name = format!(
                    "{}_{}",
                    common::snake(&path.resource),
                    common::snake(&path.attribute)
                );
                if let Some(location) = &path.location {
                    name = format!("{name}_{}", common::snake(location));
                }
                object.entry(name).or_insert(shown);
            }
        }
    }

    fn resources(
        &self,
        location: Option<String>,
        resources: &Map<String, Value>,
        object: &mut Map<String, Value>,
    ) {
        let empty = BTreeSet::new();
        for (resource, body) in resources {
            if resource == "location" {
                continue;
            }
            let listed = self
                .listed
                .get(&(location.clone(), resource.clone()))
                .unwrap_or(&empty);
            let prefix = common::snake(resource);
            let mut add = |entry: &Map<String, Value>, place: Option<&str>| {
                for (member, value) in entry {
                    if listed.contains(member)
                        || IDENTIFIERS.contains(&member.as_str())
                        || value.is_object()
                    {
                        continue;
                    }
                    let mut name = format!("{prefix}_{}", common::snake(member));
                    if let Some(place) = place {
                        name = format!("{name}_{}", common::snake(place));
                    }
                    let value = match value {
                        Value::String(text) => json!(common::word_label(&self.words, text)),
                        other => other.clone(),
                    };
                    object.entry(name).or_insert(value);
                }
            };
            match body {
                Value::Object(entry) => add(entry, None),
                Value::Array(entries) => {
                    for entry in entries.iter().filter_map(Value::as_object) {
                        let place = ["unit", "locationName"]
                            .iter()
                            .find_map(|k| entry.get(*k).and_then(Value::as_str));
                        add(entry, place);
                    }
                }
                _ => {}
            }
        }
    }
}

impl WithAttributes {
    fn object(&self, state: &Value) -> Value {
        let mut object = Map::new();
        for (name, property) in &self.attributes {
            let value = property.read(state).unwrap_or(Value::Null);
            object.insert(name.clone(), value);
        }
        if let Some(unlisted) = &self.unlisted {
            let shown: Vec<&PropertyPath> = self.attributes.iter().map(|(_, p)| &p.path).collect();
            unlisted.collect(state, &shown, &mut object);
        }
        Value::Object(object)
    }
}

impl EntityKind for WithAttributes {
    fn platform(&self) -> &'static str {
        self.inner.platform()
    }

    fn base(&self) -> &EntityBase {
        self.inner.base()
    }
}

impl Entity for WithAttributes {
    fn component(&self, c: &mut Component<'_>) {
        self.inner.component(c);
        c.state("json_attr_t", ATTRIBUTES);
    }

    fn state(&self, state: &Value, out: &mut Vec<(&'static str, Value)>) {
        self.inner.state(state, out);
        out.push((ATTRIBUTES, self.object(state)));
    }

    fn command(&self, feature: &str, payload: &str, state: &Value) -> Commands {
        self.inner.command(feature, payload, state)
    }

    fn describe(&self, state: &Value) -> String {
        self.inner.describe(state)
    }

    fn read_from_others(&mut self, published_by: &dyn Fn(&PropertyPath) -> Option<String>) {
        self.inner.read_from_others(published_by);
    }
}
