//! The device profile model: what LG says a device can report and accept.
//!
//! A profile (`GET /devices/{id}/profile`) comes in several shapes (see
//! `reference/thinq-api.md` §4): a plain `property` object, an array of per-location objects
//! (pattern A: washer, oven), resources that are arrays of per-location entries (pattern B:
//! refrigerator temperatures), arrays of per-unit entries (pattern C: `temperatureInUnits` C/F),
//! and top-level sub-devices (pattern D: washtower `washer` / `dryer`). [`Profile::parse`] turns
//! every shape into one flat list of [`Property`], each with a [`PropertyPath`] that says exactly
//! where its value lives in a state document and how it is addressed in a control payload.
//!
//! One job per file: `parse` walks the JSON, `path` names where a value lives, `property` reads
//! it from a state, `value` holds the enum/range specs, `command` checks a write against them.
//! This file keeps [`Profile`] and re-exports the public types, so callers name them as
//! `crate::thinq::profile::X` whichever file they live in.

mod command;
mod parse;
mod path;
mod property;
mod value;

pub use super::location::{LocationKind, entry_name_key, nested_unit_attribute};
pub use command::{CommandError, number_to_json};
pub use path::PropertyPath;
pub use property::Property;
pub use value::{RangeSpec, ValueSpec};

use parse::Builder;
use serde_json::Value;

/// Why a profile could not be understood at all. A profile that parses but has odd members
/// keeps the members it understands; only a profile with no usable shape is an error.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("profile is not a JSON object")]
    NotAnObject,
    #[error("profile has no `property` member (and no washer/dryer sub-profiles)")]
    NoProperties,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
