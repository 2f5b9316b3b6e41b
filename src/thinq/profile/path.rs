//! Where an attribute lives: [`PropertyPath`] names its sub-device, location or unit,
//! resource and attribute, and gives the stable key entities and commands are addressed by.

use super::super::location::{entry_name_key, split_unit_suffix};
use super::LocationKind;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
