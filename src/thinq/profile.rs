//! The device profile model: what LG says a device can report and accept.
//!
//! A profile (`GET /devices/{id}/profile`) comes in several shapes (see
//! `reference/thinq-api.md` §4): a plain `property` object, an array of per-location objects
//! (pattern A: washer, oven), resources that are arrays of per-location entries (pattern B:
//! refrigerator temperatures), arrays of per-unit entries (pattern C: `temperatureInUnits` C/F),
//! and top-level sub-devices (pattern D: washtower `washer` / `dryer`). [`Profile::parse`] turns
//! every shape into one flat list of [`Property`], each with a [`PropertyPath`] that says exactly
//! where its value lives in a state document and how it is addressed in a control payload.

use super::location::{
    LOCATION, UNIT, location_name_of, location_object, named_entry, split_unit_suffix, unit_entry,
};
pub use super::location::{LocationKind, entry_name_key, nested_unit_attribute};
use serde_json::{Map, Value};

/// Why a profile could not be understood at all. A profile that parses but has odd members
/// keeps the members it understands; only a profile with no usable shape is an error.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("profile is not a JSON object")]
    NotAnObject,
    #[error("profile has no `property` member (and no washer/dryer sub-profiles)")]
    NoProperties,
}

/// Why a command was refused before anything was sent to LG.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandError {
    #[error("unknown property {0}")]
    UnknownProperty(String),
    #[error("{0} is read-only")]
    NotWritable(String),
    #[error("{property}: {value} is not one of {allowed:?}")]
    NotInEnum {
        property: String,
        value: String,
        allowed: Vec<String>,
    },
    #[error("{property}: {value} is outside {min}..={max} step {step}")]
    OutOfRange {
        property: String,
        value: f64,
        min: f64,
        max: f64,
        step: f64,
    },
    #[error("{property}: {value} is an excluded value")]
    Excluded { property: String, value: f64 },
    #[error("{property}: expected {expected}, got {got:?}")]
    WrongType {
        property: String,
        expected: &'static str,
        got: String,
    },
    #[error("unknown command {0}")]
    UnknownCommand(String),
    /// The writes cannot form one control body (no writes at all, two locations or two
    /// units of one resource at once, two sub-devices at once). The text says which.
    #[error("cannot build one control body: {0}")]
    Conflict(String),
}

/// Where one attribute lives, in both the state document and a control payload.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PropertyPath {
    /// Pattern D sub-device (`washer` / `dryer` of a DEVICE_WASHTOWER), else `None`.
    pub sub_device: Option<String>,
    /// The location name (pattern A / B) or the unit (`C` / `F`, pattern C).
    pub location: Option<String>,
    pub location_kind: LocationKind,
    /// Resource name, e.g. `temperatureInUnits`.
    pub resource: String,
    /// Attribute name, e.g. `targetTemperature`.
    pub attribute: String,
}

impl PropertyPath {
    /// A stable, human-readable key: the parts that are present, joined by `.`, e.g.
    /// `runState.currentState`, `MAIN.runState.currentState`, `temperatureInUnits.C.targetTemperature`,
    /// `washer.runState.currentState`. Unique within one profile.
    pub fn key(&self) -> String {
        let mut parts: Vec<&str> = Vec::with_capacity(5);
        if let Some(sub) = &self.sub_device {
            parts.push(sub);
        }
        // Pattern A names the location before the resource (the location holds resources);
        // patterns B and C name it after (the resource holds the entries).
        let location = self.location.as_deref();
        if self.location_kind == LocationKind::PropertyArray {
            parts.extend(location);
        }
        parts.push(&self.resource);
        if matches!(
            self.location_kind,
            LocationKind::ResourceArray | LocationKind::UnitArray
        ) {
            parts.extend(location);
        }
        parts.push(&self.attribute);
        parts.join(".")
    }

    /// The member that names an entry of a pattern B resource array. LG uses `locationName`
    /// everywhere except the switch devices, whose `switchState` entries carry `switchName`.
    /// Both the state and a control body use the same member as the profile.
    pub fn entry_name_key(&self) -> &'static str {
        entry_name_key(&self.resource)
    }

    /// For an attribute that stands for one unit of a unit-keyed array nested inside a
    /// pattern A location (the oven's `temperature: [{unit: F, targetTemperature}, …]`), the
    /// real attribute name and the unit: `targetTemperatureF` → (`targetTemperature`, `F`).
    /// `None` for every other path: pattern B attributes keep their real C/F suffix.
    pub fn nested_unit(&self) -> Option<(&str, &str)> {
        if self.location_kind != LocationKind::PropertyArray {
            return None;
        }
        let (stem, unit) = split_unit_suffix(&self.attribute)?;
        Some((stem, unit))
    }
}

/// A numeric range as LG writes it: `{min, max, step, except?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSpec {
    pub min: f64,
    pub max: f64,
    pub step: f64,
    pub except: Vec<f64>,
}

impl RangeSpec {
    /// Parses `{min, max, step, except?}`. `step` missing or not positive means "any value
    /// in the range" (stored as 0); `min`/`max` are required.
    fn parse(raw: &Value) -> Option<RangeSpec> {
        let obj = raw.as_object()?;
        let min = obj.get("min")?.as_f64()?;
        let max = obj.get("max")?.as_f64()?;
        let step = obj
            .get("step")
            .and_then(Value::as_f64)
            .filter(|s| *s > 0.0)
            .unwrap_or(0.0);
        let except = obj
            .get("except")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        Some(RangeSpec {
            min,
            max,
            step,
            except,
        })
    }

    /// Whether `value` lies on this range: min ≤ v ≤ max and on a step from min, with a
    /// tolerance so that 0.5-steps survive float arithmetic.
    pub fn contains(&self, value: f64) -> bool {
        const EPS: f64 = 1e-6;
        if value < self.min - EPS || value > self.max + EPS {
            return false;
        }
        if self.step > 0.0 {
            let steps = (value - self.min) / self.step;
            if (steps - steps.round()).abs() > EPS {
                return false;
            }
        }
        true
    }

    fn excludes(&self, value: f64) -> bool {
        self.except.iter().any(|e| (e - value).abs() < 1e-9)
    }
}

/// What values an attribute takes.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueSpec {
    /// `value.r` / `value.w` lists (either may be empty). `list` type attributes parse as enums too.
    Enum {
        read: Vec<String>,
        write: Vec<String>,
    },
    /// `value.r` / `value.w` ranges; either may be absent.
    Range {
        read: Option<RangeSpec>,
        write: Option<RangeSpec>,
    },
    /// A free number.
    Number,
    Boolean,
    String,
    /// A plain value in place of a descriptor: a read-only constant (`"detergentSetting": "NORMAL"`).
    Constant(Value),
}

/// One attribute of a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub path: PropertyPath,
    pub spec: ValueSpec,
    /// `mode` contains `r` (constants are readable).
    pub readable: bool,
    /// `mode` contains `w`.
    pub writable: bool,
    /// The attribute's own `unit`, else its resource's; `None` when neither says.
    pub unit: Option<String>,
    /// Profile type `list`: the state holds several of the enum's values at once.
    pub list: bool,
}

impl Property {
    /// This property's current value in a full state document (`GET state` shape, including
    /// state arrays for patterns A/B/C and sub-devices for D). `None` when the state lacks it.
    pub fn read(&self, state: &Value) -> Option<Value> {
        let path = &self.path;
        let scope = match &path.sub_device {
            Some(sub) => state.get(sub.as_str())?,
            None => state,
        };
        let value = match path.location_kind {
            LocationKind::None => match scope {
                // A device-level value reported beside per-location entries: the first entry
                // that has it (see `state::merge_report`).
                Value::Array(entries) => entries
                    .iter()
                    .find_map(|e| e.get(path.resource.as_str())?.get(path.attribute.as_str()))?,
                _ => scope
                    .get(path.resource.as_str())?
                    .get(path.attribute.as_str())?,
            },
            LocationKind::PropertyArray => {
                let location = location_object(scope, path.location.as_deref()?)?;
                let resource = location.get(path.resource.as_str())?;
                match path.nested_unit() {
                    Some((stem, unit)) => unit_entry(resource, unit)?.get(stem)?,
                    None => resource.get(path.attribute.as_str())?,
                }
            }
            LocationKind::ResourceArray => {
                let resource = scope.get(path.resource.as_str())?;
                let name = path.location.as_deref()?;
                named_entry(resource, path.entry_name_key(), name)?.get(path.attribute.as_str())?
            }
            LocationKind::UnitArray => {
                let resource = scope.get(path.resource.as_str())?;
                unit_entry(resource, path.location.as_deref()?)?.get(path.attribute.as_str())?
            }
        };
        // LG writes `null` for "no value"; to a reader that is the same as absent.
        (!value.is_null()).then(|| value.clone())
    }

    /// Checks a value for writing (mode `w`, enum `value.w`, range min/max/step/except,
    /// boolean, number) and returns it normalised to the JSON type LG expects: numbers given as
    /// strings (`"22"`, `"22.5"`) become numbers, `"true"`/`"ON"` become booleans for booleans.
    pub fn check_write(&self, value: &Value) -> Result<Value, CommandError> {
        let key = self.path.key();
        if !self.writable {
            return Err(CommandError::NotWritable(key));
        }
        match &self.spec {
            ValueSpec::Constant(_) => Err(CommandError::NotWritable(key)),
            ValueSpec::Enum { read, write } => {
                let text =
                    value_as_text(value).ok_or_else(|| wrong_type(&key, "an enum value", value))?;
                // A writable enum whose profile lists no `w` values is taken at its `r` list:
                // refusing everything would make the `w` mode meaningless.
                let allowed = if write.is_empty() { read } else { write };
                if allowed.contains(&text) {
                    Ok(Value::String(text))
                } else {
                    Err(CommandError::NotInEnum {
                        property: key,
                        value: text,
                        allowed: allowed.clone(),
                    })
                }
            }
            ValueSpec::Range { read, write } => {
                let number =
                    value_as_number(value).ok_or_else(|| wrong_type(&key, "a number", value))?;
                if let Some(range) = write.as_ref().or(read.as_ref()) {
                    if !range.contains(number) {
                        return Err(CommandError::OutOfRange {
                            property: key,
                            value: number,
                            min: range.min,
                            max: range.max,
                            step: range.step,
                        });
                    }
                    if range.excludes(number) {
                        return Err(CommandError::Excluded {
                            property: key,
                            value: number,
                        });
                    }
                }
                Ok(number_to_json(number))
            }
            ValueSpec::Number => {
                let number =
                    value_as_number(value).ok_or_else(|| wrong_type(&key, "a number", value))?;
                Ok(number_to_json(number))
            }
            ValueSpec::Boolean => value_as_bool(value)
                .map(Value::Bool)
                .ok_or_else(|| wrong_type(&key, "a boolean", value)),
            ValueSpec::String => value_as_text(value)
                .map(Value::String)
                .ok_or_else(|| wrong_type(&key, "a string", value)),
        }
    }
}

fn wrong_type(key: &str, expected: &'static str, got: &Value) -> CommandError {
    // The text as received (the error prints it quoted), not its JSON form with extra quotes.
    let got = match got {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    CommandError::WrongType {
        property: key.to_owned(),
        expected,
        got,
    }
}

/// Text of a command value: strings as they are (trimmed, since MQTT payloads often carry a
/// newline), numbers and booleans as their JSON text.
fn value_as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A finite number from a JSON number or its text (`"22"`, `" 22.5 "`).
fn value_as_number(value: &Value) -> Option<f64> {
    let number = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    number.is_finite().then_some(number)
}

/// A boolean from JSON `true`/`false`, `0`/`1`, or the words Home Assistant sends
/// (`ON`/`OFF`, `true`/`false`, `yes`/`no`, `1`/`0`), case-insensitively.
fn value_as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => Some(true),
            "false" | "off" | "no" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// LG expects integers as integers (`22`, not `22.0`); everything else stays a float.
pub fn number_to_json(number: f64) -> Value {
    const MAX_EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: beyond it f64 holds no fraction anyway
    if number.fract() == 0.0 && number.abs() <= MAX_EXACT {
        Value::from(number as i64)
    } else {
        serde_json::Number::from_f64(number)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// A parsed device profile.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Profile {
    /// Every attribute, in profile order.
    pub properties: Vec<Property>,
    /// `notification.push`: the push codes this device can send (e.g. `WASHING_IS_COMPLETE`).
    pub notifications: Vec<String>,
    /// `error`: the error codes this device can report.
    pub errors: Vec<String>,
    /// Pattern D sub-device names in order (`["washer", "dryer"]`), empty otherwise.
    pub sub_devices: Vec<String>,
}

impl Profile {
    /// Parses any of the profile shapes. Unknown members are skipped, never an error.
    pub fn parse(raw: &Value) -> Result<Profile, ProfileError> {
        let root = raw.as_object().ok_or(ProfileError::NotAnObject)?;
        let mut builder = Builder::default();
        if root.contains_key("property") {
            if !builder.unit_profile(root, None) {
                return Err(ProfileError::NoProperties);
            }
        } else {
            // Pattern D: every top-level member that is itself a profile is a sub-device.
            for (name, sub) in root {
                let Some(sub) = sub.as_object() else { continue };
                if sub.contains_key("property") && builder.unit_profile(sub, Some(name)) {
                    builder.profile.sub_devices.push(name.clone());
                }
            }
            if builder.profile.sub_devices.is_empty() {
                return Err(ProfileError::NoProperties);
            }
        }
        Ok(builder.profile)
    }

    /// The property with this [`PropertyPath::key`].
    pub fn get(&self, key: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.path.key() == key)
    }

    /// The property at exactly this path.
    pub fn at(&self, path: &PropertyPath) -> Option<&Property> {
        self.properties.iter().find(|p| p.path == *path)
    }

    /// All properties with this resource and attribute (several when locations or units differ).
    pub fn find<'a>(
        &'a self,
        resource: &'a str,
        attribute: &'a str,
    ) -> impl Iterator<Item = &'a Property> + 'a {
        self.properties
            .iter()
            .filter(move |p| p.path.resource == resource && p.path.attribute == attribute)
    }
}

/// Collects properties while walking a profile, keeping keys unique.
#[derive(Default)]
struct Builder {
    profile: Profile,
    keys: std::collections::HashSet<String>,
}

/// Where the resources being walked sit.
#[derive(Clone, Copy)]
struct Scope<'a> {
    sub_device: Option<&'a str>,
    /// The pattern A location, when walking one entry of a `property` array.
    location: Option<&'a str>,
}

impl Builder {
    /// One device's profile (`property`, `extensionProperty`, `notification`, `error`).
    /// Returns false when `property` has no usable shape.
    fn unit_profile(&mut self, profile: &Map<String, Value>, sub_device: Option<&str>) -> bool {
        let usable = match profile.get("property") {
            Some(Value::Object(resources)) => {
                self.resources(
                    resources,
                    Scope {
                        sub_device,
                        location: None,
                    },
                );
                true
            }
            Some(Value::Array(locations)) => {
                for entry in locations {
                    let Some(entry) = entry.as_object() else {
                        continue;
                    };
                    let Some(name) = location_name_of(entry) else {
                        continue;
                    };
                    self.resources(
                        entry,
                        Scope {
                            sub_device,
                            location: Some(name),
                        },
                    );
                }
                true
            }
            _ => false,
        };
        if let Some(Value::Object(extension)) = profile.get("extensionProperty") {
            self.resources(
                extension,
                Scope {
                    sub_device,
                    location: None,
                },
            );
        }
        if let Some(push) = profile.get("notification").and_then(|n| n.get("push")) {
            push_unique_strings(&mut self.profile.notifications, push);
        }
        if let Some(errors) = profile.get("error") {
            push_unique_strings(&mut self.profile.errors, errors);
        }
        usable
    }

    fn resources(&mut self, resources: &Map<String, Value>, scope: Scope<'_>) {
        for (resource, body) in resources {
            if scope.location.is_some() && resource == LOCATION {
                continue;
            }
            match body {
                Value::Object(attributes) => self.attributes(resource, attributes, scope, None),
                Value::Array(entries) => self.resource_entries(resource, entries, scope),
                // A plain value where a resource belongs carries no attribute to expose.
                _ => {}
            }
        }
    }

    /// A resource that is an array: pattern B (named entries), pattern C (unit entries), or a
    /// unit array nested in a pattern A location.
    fn resource_entries(&mut self, resource: &str, entries: &[Value], scope: Scope<'_>) {
        let name_key = entry_name_key(resource);
        for entry in entries {
            let Some(entry) = entry.as_object() else {
                continue;
            };
            let name = entry.get(name_key).and_then(Value::as_str);
            let unit = entry.get(UNIT).and_then(Value::as_str);
            let entry_scope = match (scope.location, name, unit) {
                (None, Some(name), _) => EntryScope::Named(name),
                (None, None, Some(unit)) => EntryScope::Unit(unit),
                (Some(_), None, Some(unit)) => EntryScope::NestedUnit(unit),
                _ => continue,
            };
            self.attributes(resource, entry, scope, Some(entry_scope));
        }
    }

    fn attributes(
        &mut self,
        resource: &str,
        attributes: &Map<String, Value>,
        scope: Scope<'_>,
        entry: Option<EntryScope<'_>>,
    ) {
        // A plain `unit` string beside the attributes is their unit (and, in unit arrays, the
        // entry's key), not an attribute of its own.
        let resource_unit = attributes.get(UNIT).and_then(Value::as_str);
        let (location, kind) = match (entry, scope.location) {
            (Some(EntryScope::Named(name)), _) => (Some(name), LocationKind::ResourceArray),
            (Some(EntryScope::Unit(unit)), _) => (Some(unit), LocationKind::UnitArray),
            (Some(EntryScope::NestedUnit(_)), location) | (None, location @ Some(_)) => {
                (location, LocationKind::PropertyArray)
            }
            (None, None) => (None, LocationKind::None),
        };
        let name_key = entry_name_key(resource);
        for (attribute, descriptor) in attributes {
            if attribute == UNIT && descriptor.is_string() {
                continue;
            }
            if matches!(entry, Some(EntryScope::Named(_))) && attribute == name_key {
                continue;
            }
            let Some((spec, readable, writable, own_unit)) = parse_descriptor(descriptor) else {
                continue;
            };
            let attribute_name = match entry {
                Some(EntryScope::NestedUnit(unit)) => nested_unit_attribute(attribute, unit),
                _ => attribute.clone(),
            };
            let unit = own_unit
                .or_else(|| resource_unit.map(str::to_owned))
                .or_else(|| temperature_suffix_unit(attribute).map(str::to_owned));
            let property = Property {
                path: PropertyPath {
                    sub_device: scope.sub_device.map(str::to_owned),
                    location: location.map(str::to_owned),
                    location_kind: kind,
                    resource: resource.to_owned(),
                    attribute: attribute_name,
                },
                spec,
                readable,
                writable,
                unit,
                list: descriptor.get("type").and_then(Value::as_str) == Some("list"),
            };
            // Keys must stay unique: when an `extensionProperty` repeats a `property`
            // attribute, the first one (the device's own) wins.
            if self.keys.insert(property.path.key()) {
                self.profile.properties.push(property);
            }
        }
    }
}

#[derive(Clone, Copy)]
enum EntryScope<'a> {
    Named(&'a str),
    Unit(&'a str),
    NestedUnit(&'a str),
}

/// Pattern B attributes carry their unit in the name (`targetTemperatureC`).
fn temperature_suffix_unit(attribute: &str) -> Option<&'static str> {
    if attribute.ends_with("TemperatureC") {
        Some("C")
    } else if attribute.ends_with("TemperatureF") {
        Some("F")
    } else {
        None
    }
}

fn push_unique_strings(out: &mut Vec<String>, list: &Value) {
    for code in list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !out.iter().any(|c| c == code) {
            out.push(code.to_owned());
        }
    }
}

/// One attribute descriptor (`{type, mode, value, unit}`) or a plain constant.
/// Returns `(spec, readable, writable, own unit)`; `None` for what cannot be understood.
fn parse_descriptor(descriptor: &Value) -> Option<(ValueSpec, bool, bool, Option<String>)> {
    let Value::Object(d) = descriptor else {
        return Some((ValueSpec::Constant(descriptor.clone()), true, false, None));
    };
    let (readable, writable) = match d.get("mode") {
        Some(Value::Array(modes)) => {
            let has = |m: &str| modes.iter().any(|x| x.as_str() == Some(m));
            (has("r"), has("w"))
        }
        // Some LG examples write the mode as one string: "r", "w" or "rw".
        Some(Value::String(mode)) => (mode.contains('r'), mode.contains('w')),
        // No mode: a description of something reported, never something to send.
        _ => (true, false),
    };
    let value = d.get("value");
    let side = |which: &str| value.and_then(|v| v.get(which));
    let spec = match d.get("type").and_then(Value::as_str)? {
        "enum" | "list" => ValueSpec::Enum {
            read: enum_values(side("r")),
            write: enum_values(side("w")),
        },
        "range" => ValueSpec::Range {
            read: side("r").and_then(RangeSpec::parse),
            write: side("w").and_then(RangeSpec::parse),
        },
        // A `number` that still gives ranges (LG's signage example) is bounded like a range.
        "number" => {
            let (read, write) = (
                side("r").and_then(RangeSpec::parse),
                side("w").and_then(RangeSpec::parse),
            );
            if read.is_some() || write.is_some() {
                ValueSpec::Range { read, write }
            } else {
                ValueSpec::Number
            }
        }
        "boolean" => ValueSpec::Boolean,
        "string" => ValueSpec::String,
        _ => return None,
    };
    let unit = d.get("unit").and_then(Value::as_str).map(str::to_owned);
    Some((spec, readable, writable, unit))
}

fn enum_values(list: Option<&Value>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in list.and_then(Value::as_array).into_iter().flatten() {
        let text = match item {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => item.to_string(),
            _ => continue,
        };
        // LG's signage example lists one input twice; a set of choices has no duplicates.
        if !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(
        sub: Option<&str>,
        location: Option<&str>,
        kind: LocationKind,
        resource: &str,
        attribute: &str,
    ) -> PropertyPath {
        PropertyPath {
            sub_device: sub.map(str::to_owned),
            location: location.map(str::to_owned),
            location_kind: kind,
            resource: resource.to_owned(),
            attribute: attribute.to_owned(),
        }
    }

    #[test]
    fn key_orders_parts_by_pattern() {
        use LocationKind::{PropertyArray, ResourceArray, UnitArray};
        assert_eq!(
            path(None, None, LocationKind::None, "runState", "currentState").key(),
            "runState.currentState"
        );
        assert_eq!(
            path(
                None,
                Some("MAIN"),
                PropertyArray,
                "runState",
                "currentState"
            )
            .key(),
            "MAIN.runState.currentState"
        );
        assert_eq!(
            path(
                None,
                Some("C"),
                UnitArray,
                "temperatureInUnits",
                "targetTemperature"
            )
            .key(),
            "temperatureInUnits.C.targetTemperature"
        );
        assert_eq!(
            path(
                None,
                Some("FRIDGE"),
                ResourceArray,
                "temperatureInUnits",
                "targetTemperatureC"
            )
            .key(),
            "temperatureInUnits.FRIDGE.targetTemperatureC"
        );
        assert_eq!(
            path(
                Some("washer"),
                None,
                LocationKind::None,
                "runState",
                "currentState"
            )
            .key(),
            "washer.runState.currentState"
        );
        assert_eq!(
            path(
                Some("washer"),
                Some("MAIN"),
                PropertyArray,
                "runState",
                "currentState"
            )
            .key(),
            "washer.MAIN.runState.currentState"
        );
    }

    #[test]
    fn shapes_without_properties_are_errors() {
        assert!(matches!(
            Profile::parse(&json!([1, 2])),
            Err(ProfileError::NotAnObject)
        ));
        assert!(matches!(
            Profile::parse(&json!("x")),
            Err(ProfileError::NotAnObject)
        ));
        assert!(matches!(
            Profile::parse(&json!({})),
            Err(ProfileError::NoProperties)
        ));
        assert!(matches!(
            Profile::parse(&json!({"property": 5})),
            Err(ProfileError::NoProperties)
        ));
        assert!(matches!(
            Profile::parse(&json!({"washer": {"x": 1}})),
            Err(ProfileError::NoProperties)
        ));
    }

    #[test]
    fn odd_members_are_skipped_not_fatal() {
        let raw = json!({
            "property": {
                "good": {"a": {"type": "boolean", "mode": ["r", "w"]}},
                "noType": {"b": {"mode": ["r"]}},
                "unknownType": {"c": {"type": "matrix", "mode": ["r"]}},
                "plainResource": 7,
                "brokenArray": [1, "x", {"noName": {"type": "number"}}],
                "badRange": {"d": {"type": "range", "mode": ["w"], "value": {"w": {"min": "a"}}}},
                "noMode": {"e": {"type": "number"}}
            },
            "notification": {"push": ["A", 3, "A", "B"]},
            "error": "not a list"
        });
        let profile = Profile::parse(&raw).expect("parses");
        let keys: Vec<String> = profile.properties.iter().map(|p| p.path.key()).collect();
        assert_eq!(keys, ["good.a", "badRange.d", "noMode.e"]);
        assert_eq!(profile.notifications, ["A", "B"]);
        assert!(profile.errors.is_empty());
        // A range without a usable range is still a range, just unbounded.
        assert_eq!(
            profile.get("badRange.d").map(|p| &p.spec),
            Some(&ValueSpec::Range {
                read: None,
                write: None
            })
        );
        let no_mode = profile.get("noMode.e").expect("noMode");
        assert!(no_mode.readable && !no_mode.writable);
    }

    #[test]
    fn unit_comes_from_attribute_before_resource() {
        let raw = json!({"property": {"temperature": {
            "unit": "C",
            "current": {"type": "number", "mode": ["r"]},
            "own": {"type": "number", "mode": ["r"], "unit": "F"}
        }}});
        let profile = Profile::parse(&raw).expect("parses");
        assert_eq!(
            profile
                .get("temperature.current")
                .and_then(|p| p.unit.as_deref()),
            Some("C")
        );
        assert_eq!(
            profile
                .get("temperature.own")
                .and_then(|p| p.unit.as_deref()),
            Some("F")
        );
        assert!(profile.get("temperature.unit").is_none());
    }

    #[test]
    fn extension_property_never_duplicates_a_key() {
        let raw = json!({
            "property": {"operation": {"mode": {"type": "string", "mode": ["r"]}}},
            "extensionProperty": {"operation": {"mode": "CONST"}, "info": {"type": "DOUBLE"}}
        });
        let profile = Profile::parse(&raw).expect("parses");
        assert_eq!(profile.properties.len(), 2);
        assert_eq!(
            profile.get("operation.mode").map(|p| &p.spec),
            Some(&ValueSpec::String)
        );
    }

    #[test]
    fn read_tolerates_state_of_any_shape() {
        let profile = Profile::parse(&json!({"property": [
            {"location": {"locationName": "MAIN"}, "runState": {"currentState": {"type": "string", "mode": ["r"]}}}
        ]}))
        .expect("parses");
        let prop = profile.get("MAIN.runState.currentState").expect("prop");
        for state in [
            json!(null),
            json!(3),
            json!([]),
            json!([1, 2]),
            json!({"runState": 5}),
            json!({"runState": {"currentState": null}}),
        ] {
            assert_eq!(prop.read(&state), None, "{state}");
        }
        // An object naming another location is not this location.
        assert_eq!(
            prop.read(
                &json!({"location": {"locationName": "MINI"}, "runState": {"currentState": "X"}})
            ),
            None
        );
        assert_eq!(
            prop.read(
                &json!([{"location": {"locationName": "MAIN"}, "runState": {"currentState": "X"}}])
            ),
            Some("X".into())
        );
    }

    fn property(spec: ValueSpec, writable: bool) -> Property {
        Property {
            path: path(None, None, LocationKind::None, "r", "a"),
            spec,
            readable: true,
            writable,
            unit: None,
            list: false,
        }
    }

    fn range(min: f64, max: f64, step: f64, except: &[f64]) -> ValueSpec {
        let spec = RangeSpec {
            min,
            max,
            step,
            except: except.to_vec(),
        };
        ValueSpec::Range {
            read: None,
            write: Some(spec),
        }
    }

    #[test]
    fn check_write_normalises_numbers() {
        let p = property(range(18.0, 30.0, 0.5, &[]), true);
        assert_eq!(p.check_write(&json!("22")), Ok(json!(22)));
        assert_eq!(p.check_write(&json!(22.0)), Ok(json!(22)));
        assert_eq!(p.check_write(&json!(" 22.5\n")), Ok(json!(22.5)));
        assert_eq!(p.check_write(&json!(18)), Ok(json!(18)));
        assert_eq!(p.check_write(&json!(30)), Ok(json!(30)));
        assert!(matches!(
            p.check_write(&json!(22.3)),
            Err(CommandError::OutOfRange { .. })
        ));
        assert!(matches!(
            p.check_write(&json!(30.5)),
            Err(CommandError::OutOfRange { .. })
        ));
        assert!(matches!(
            p.check_write(&json!(17)),
            Err(CommandError::OutOfRange { .. })
        ));
        assert!(matches!(
            p.check_write(&json!("warm")),
            Err(CommandError::WrongType { .. })
        ));
        assert!(matches!(
            p.check_write(&json!("NaN")),
            Err(CommandError::WrongType { .. })
        ));
        assert!(matches!(
            p.check_write(&json!(true)),
            Err(CommandError::WrongType { .. })
        ));
        let free = property(ValueSpec::Number, true);
        assert_eq!(free.check_write(&json!("7")), Ok(json!(7)));
        assert_eq!(free.check_write(&json!(-1.25)), Ok(json!(-1.25)));
    }

    #[test]
    fn check_write_range_step_from_min_and_except() {
        let p = property(range(-6.0, 8.0, 1.0, &[-5.0, 7.0]), true);
        assert_eq!(p.check_write(&json!(-6)), Ok(json!(-6)));
        assert_eq!(p.check_write(&json!("-4")), Ok(json!(-4)));
        assert_eq!(
            p.check_write(&json!(7)),
            Err(CommandError::Excluded {
                property: "r.a".into(),
                value: 7.0
            })
        );
        let odd_steps = property(range(64.0, 86.0, 2.0, &[]), true);
        assert!(odd_steps.check_write(&json!(66)).is_ok());
        assert!(odd_steps.check_write(&json!(65)).is_err());
        // Float steps: 0.1 is not exactly representable, yet 0.3 is on the grid.
        let fine = property(range(0.0, 1.0, 0.1, &[]), true);
        assert_eq!(fine.check_write(&json!(0.3)), Ok(json!(0.3)));
    }

    #[test]
    fn check_write_enums_booleans_and_modes() {
        let e = property(
            ValueSpec::Enum {
                read: vec!["ON".into()],
                write: vec!["START".into(), "STOP".into()],
            },
            true,
        );
        assert_eq!(e.check_write(&json!("START")), Ok(json!("START")));
        assert_eq!(
            e.check_write(&json!("ON")),
            Err(CommandError::NotInEnum {
                property: "r.a".into(),
                value: "ON".into(),
                allowed: vec!["START".into(), "STOP".into()]
            })
        );
        let read_only = property(
            ValueSpec::Enum {
                read: vec!["ON".into()],
                write: vec![],
            },
            false,
        );
        assert_eq!(
            read_only.check_write(&json!("ON")),
            Err(CommandError::NotWritable("r.a".into()))
        );
        let b = property(ValueSpec::Boolean, true);
        for (given, expected) in [
            (json!("ON"), true),
            (json!("off"), false),
            (json!("true"), true),
            (json!(0), false),
            (json!(true), true),
        ] {
            assert_eq!(b.check_write(&given), Ok(Value::Bool(expected)), "{given}");
        }
        assert!(matches!(
            b.check_write(&json!("maybe")),
            Err(CommandError::WrongType { .. })
        ));
        let s = property(ValueSpec::String, true);
        assert_eq!(s.check_write(&json!(5)), Ok(json!("5")));
        assert!(matches!(
            s.check_write(&json!({"a": 1})),
            Err(CommandError::WrongType { .. })
        ));
        let c = property(ValueSpec::Constant(json!("NORMAL")), true);
        assert_eq!(
            c.check_write(&json!("NORMAL")),
            Err(CommandError::NotWritable("r.a".into()))
        );
    }

    #[test]
    fn error_messages_say_what_is_wrong() {
        let e = CommandError::OutOfRange {
            property: "temperature.targetTemperature".into(),
            value: 40.0,
            min: 18.0,
            max: 30.0,
            step: 1.0,
        };
        assert_eq!(
            e.to_string(),
            "temperature.targetTemperature: 40 is outside 18..=30 step 1"
        );
        assert_eq!(
            CommandError::NotWritable("x.y".into()).to_string(),
            "x.y is read-only"
        );
    }
}
