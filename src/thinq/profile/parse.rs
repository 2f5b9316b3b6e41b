//! Parsing the profile JSON: walks every shape (plain `property`, per-location arrays,
//! per-location and per-unit resource arrays, sub-devices) into one flat list of properties
//! with unique keys.

use super::super::location::{LOCATION, UNIT, location_name_of};
use super::{
    LocationKind, Profile, Property, PropertyPath, RangeSpec, ValueSpec, entry_name_key,
    nested_unit_attribute,
};
use serde_json::{Map, Value};

/// Collects properties while walking a profile, keeping keys unique.
#[derive(Default)]
pub(super) struct Builder {
    pub(super) profile: Profile,
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
    pub(super) fn unit_profile(
        &mut self,
        profile: &Map<String, Value>,
        sub_device: Option<&str>,
    ) -> bool {
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
    use super::super::*;
    use serde_json::json;

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
}
