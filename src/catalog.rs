//! Device catalog (`thinq_addon/`): what a profile property *means* in Home Assistant.
//!
//! A profile only says a property's type and access (`enum`, `range`, `r`/`w`). The catalog
//! adds what a person would: that `airQualitySensor.PM2` is PM2.5 in µg/m³, that
//! `doorStatus.doorState` is a door, that an air conditioner's job mode, power and temperatures
//! together form one `climate` entity. One YAML file per device type (or family of types that
//! share a profile shape, like the washers), embedded at build time so the binary carries it.
//!
//! Properties are named `resource.attribute`, independent of location (`MAIN`, `FRIDGE`, …)
//! and of washtower sub-devices: the entity builder applies an entry to every location it finds.
//! Whatever the catalog does not name still gets an entity from the generic rule
//! (`hass::entities::build`), so the catalog only ever *improves* an entity, never gates it.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

mod composites;
mod forms;
pub use composites::{
    ClimateSpec, DurationSpec, FanSpec, FinishesAtSpec, HumidifierSpec, TargetBySpec,
    TargetRangeSpec, VacuumSpec, WaterHeaterSpec,
};
pub use forms::{CoverSpec, LightSpec, LockSpec, SirenSpec};

/// The embedded catalog files: `(file name, YAML text)`, every `thinq_addon/*.yaml`, listed
/// by `build.rs` from the folder so no file can be left out.
pub const FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/catalog_files.rs"));

/// The `device_types` entry of the file whose property entries apply to every device type.
pub const ANY_TYPE: &str = "*";

/// Why a catalog file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{file}: {source}")]
    Yaml {
        file: String,
        source: serde_yaml::Error,
    },
    #[error("{file}: device type {device_type} is already described by {other}")]
    DuplicateType {
        file: String,
        device_type: String,
        other: String,
    },
}

/// Which Home Assistant platform a property becomes, when the generic rule is not wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformChoice {
    Sensor,
    BinarySensor,
    Select,
    Number,
    Switch,
    Button,
    /// No entity at all (the value is shown elsewhere, or is noise).
    Hidden,
}

/// What the catalog says about one `resource.attribute`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertyMeta {
    pub platform: Option<PlatformChoice>,
    /// Entity name after the device name (a location prefix is added by the builder).
    /// For buttons made from a write-only enum this is the prefix before the value's name;
    /// an empty string leaves just the value ("Start").
    pub name: Option<String>,
    pub device_class: Option<String>,
    /// Home Assistant unit. When unset, temperature units come from the profile (C/F).
    pub unit: Option<String>,
    pub state_class: Option<String>,
    pub icon: Option<String>,
    /// `config` or `diagnostic`.
    pub entity_category: Option<String>,
    /// `false` for noisy entities a user rarely wants (they still exist, disabled).
    pub enabled: Option<bool>,
    pub precision: Option<u32>,
    /// Enum values that mean "on" (binary sensor / switch made from an enum, e.g. `OPEN`).
    #[serde(default)]
    pub on_values: Vec<String>,
    /// Show an enum as plain text instead of a Home Assistant `enum` sensor: for attributes
    /// whose reported value does not match the profile's list (kimchi refrigerator
    /// `targetTemperature` is described as an enum but reports a number for some compartments).
    #[serde(default)]
    pub text: bool,
    /// Publish this property nowhere when the profile also has this resource (the newer,
    /// richer form of the same value, e.g. `temperature` superseded by `temperatureInUnits`),
    /// which shows it: the same value twice would be a second message on every change.
    pub superseded_by: Option<String>,
    /// Number limits for attributes the profile gives no range for (`type: number`).
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub step: Option<f64>,
    /// Number display mode: `box` or `slider` (default `box`).
    pub mode: Option<String>,
}

/// Name and icon of the notification `event` entity.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventMeta {
    pub name: Option<String>,
    pub icon: Option<String>,
}

/// A `binary_sensor` switched on by a push (`MOTION_IS_DETECTED`): for what LG reports only as
/// a notification, never as a state. Home Assistant switches it off `off_delay` seconds later.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSensorSpec {
    pub key: String,
    pub name: String,
    pub device_class: Option<String>,
    /// Push codes that switch it on.
    pub push: Vec<String>,
    pub off_delay: u32,
}

/// An `event` entity for some push codes, with a device class (`doorbell`, `button`) and
/// event types of its own (`DOORBELL_RING` → `ring`). The notification event keeps every
/// code as well, so automations on it keep working.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushEventSpec {
    pub key: String,
    pub name: String,
    pub device_class: Option<String>,
    pub icon: Option<String>,
    /// Push code → event type.
    pub types: BTreeMap<String, String>,
}

/// One catalog file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceCatalog {
    /// `DEVICE_…` type strings this file describes.
    pub device_types: Vec<String>,
    /// Pattern D sub-device name → the device type whose catalog describes it.
    #[serde(default)]
    pub sub_devices: BTreeMap<String, String>,
    #[serde(default)]
    pub properties: BTreeMap<String, PropertyMeta>,
    pub climate: Option<ClimateSpec>,
    pub fan: Option<FanSpec>,
    pub humidifier: Option<HumidifierSpec>,
    pub water_heater: Option<WaterHeaterSpec>,
    #[serde(default)]
    pub lights: Vec<LightSpec>,
    pub cover: Option<CoverSpec>,
    pub lock: Option<LockSpec>,
    pub siren: Option<SirenSpec>,
    #[serde(default)]
    pub durations: Vec<DurationSpec>,
    pub notification: Option<EventMeta>,
    pub vacuum: Option<VacuumSpec>,
    #[serde(default)]
    pub push_sensors: Vec<PushSensorSpec>,
    #[serde(default)]
    pub push_events: Vec<PushEventSpec>,
}

impl DeviceCatalog {
    /// Every `resource.attribute` this file names (properties and composite members), for the
    /// tests that check the catalog against real profiles.
    pub fn named_properties(&self) -> Vec<String> {
        let mut names: Vec<String> = self.properties.keys().cloned().collect();
        let mut push = |name: &Option<String>| {
            if let Some(name) = name {
                names.push(name.clone());
            }
        };
        if let Some(c) = &self.climate {
            push(&Some(c.power.clone()));
            push(&Some(c.mode.clone()));
            push(&c.swing);
            push(&c.swing_horizontal);
            push(&c.current_humidity);
            if let Some(by) = &c.target_by {
                push(&Some(by.property.clone()));
            }
            if let Some(r) = &c.target_range {
                push(&r.enabled);
            }
            for f in &c.fan_mode {
                push(&Some(f.clone()));
            }
        }
        if let Some(f) = &self.fan {
            push(&f.power);
            push(&f.speed);
            push(&f.preset);
        }
        if let Some(h) = &self.humidifier {
            push(&Some(h.power.clone()));
            push(&Some(h.target_humidity.clone()));
            push(&h.current_humidity);
            push(&h.mode);
        }
        if let Some(w) = &self.water_heater {
            push(&w.power);
            push(&Some(w.mode.clone()));
        }
        if let Some(v) = &self.vacuum {
            push(&Some(v.state.clone()));
            push(&Some(v.command.clone()));
        }
        for l in &self.lights {
            push(&Some(l.power.clone()));
            for part in [
                &l.mode,
                &l.white_brightness,
                &l.color_temperature,
                &l.hue,
                &l.saturation,
                &l.color_brightness,
            ] {
                push(part);
            }
        }
        if let Some(c) = &self.cover {
            push(&Some(c.state.clone()));
            push(&c.position);
        }
        if let Some(l) = &self.lock {
            push(&Some(l.state.clone()));
        }
        if let Some(s) = &self.siren {
            push(&Some(s.power.clone()));
            push(&s.volume);
            push(&s.duration);
        }
        for d in &self.durations {
            push(&d.hour);
            push(&d.minute);
            push(&d.second);
            if let Some(f) = &d.finishes_at {
                push(&f.run_state);
            }
        }
        names
    }

    /// Every resource the file names as a whole (temperature resources, `superseded_by`).
    pub fn named_resources(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(c) = &self.climate {
            out.extend(c.temperature_resources.iter().cloned());
            if let Some(r) = &c.target_range {
                out.extend(r.resources.iter().cloned());
            }
        }
        if let Some(w) = &self.water_heater {
            out.extend(w.temperature_resources.iter().cloned());
        }
        out.extend(
            self.properties
                .values()
                .filter_map(|m| m.superseded_by.clone()),
        );
        out
    }
}

/// All catalog files, indexed by device type.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    by_type: BTreeMap<String, DeviceCatalog>,
}

impl Catalog {
    /// Parses the embedded files.
    pub fn parse_embedded() -> Result<Catalog, CatalogError> {
        Self::parse_files(FILES)
    }

    /// Parses catalog files given as `(name, text)`.
    pub fn parse_files(files: &[(&str, &str)]) -> Result<Catalog, CatalogError> {
        let mut by_type: BTreeMap<String, DeviceCatalog> = BTreeMap::new();
        let mut owner: BTreeMap<String, String> = BTreeMap::new();
        for (file, text) in files {
            let parsed: DeviceCatalog =
                serde_yaml::from_str(text).map_err(|source| CatalogError::Yaml {
                    file: (*file).to_owned(),
                    source,
                })?;
            for device_type in &parsed.device_types {
                if let Some(other) = owner.get(device_type) {
                    return Err(CatalogError::DuplicateType {
                        file: (*file).to_owned(),
                        device_type: device_type.clone(),
                        other: other.clone(),
                    });
                }
                owner.insert(device_type.clone(), (*file).to_owned());
                by_type.insert(device_type.clone(), parsed.clone());
            }
        }
        Ok(Catalog { by_type })
    }

    /// The process-wide embedded catalog. A broken file (caught by the tests long before a
    /// release) degrades to an empty catalog: every device still gets generic entities.
    pub fn embedded() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| match Catalog::parse_embedded() {
            Ok(catalog) => catalog,
            Err(err) => {
                tracing::error!("device catalog unusable, using generic entities only: {err}");
                Catalog::default()
            }
        })
    }

    /// The catalog for a device type, if any.
    pub fn for_type(&self, device_type: &str) -> Option<&DeviceCatalog> {
        self.by_type.get(device_type)
    }

    /// The entries every device type shares (`common.yaml`, device type [`ANY_TYPE`]): used for
    /// a property the device type's own file does not name.
    pub fn common(&self) -> Option<&DeviceCatalog> {
        self.by_type.get(ANY_TYPE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    #[test]
    fn every_embedded_file_parses_and_types_are_unique() {
        for (file, text) in FILES {
            let parsed: Result<DeviceCatalog, _> = serde_yaml::from_str(text);
            assert!(parsed.is_ok(), "{file}: {:?}", parsed.err());
        }
        let catalog = Catalog::parse_embedded().expect("embedded catalog parses");
        assert!(
            catalog
                .for_type("DEVICE_AIR_CONDITIONER")
                .and_then(|c| c.climate.as_ref())
                .is_some()
        );
        assert!(catalog.for_type("DEVICE_WASHTOWER_WASHER").is_some());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = Catalog::parse_files(&[(
            "x.yaml",
            "device_types: [A]\nproperties:\n  a.b: {nmae: x}\n",
        )]);
        assert!(matches!(err, Err(CatalogError::Yaml { .. })));
    }

    #[test]
    fn a_type_in_two_files_is_rejected() {
        let err = Catalog::parse_files(&[
            ("a.yaml", "device_types: [A]\n"),
            ("b.yaml", "device_types: [A]\n"),
        ]);
        assert!(matches!(err, Err(CatalogError::DuplicateType { .. })));
    }

    /// `resource.attribute` names and resource names of every real fixture profile, per device
    /// type. Read straight from the JSON so the check does not depend on the profile parser.
    fn fixture_names() -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let read = |p: &Path| -> serde_json::Value {
            serde_json::from_str(&std::fs::read_to_string(p).expect("fixture readable"))
                .expect("fixture is JSON")
        };
        let mut out: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
        let mut add = |device_type: String, profile: &serde_json::Value| {
            let entry = out.entry(device_type).or_default();
            collect_profile_names(profile, entry);
        };
        for dir in std::fs::read_dir(&root)
            .expect("fixtures")
            .filter_map(Result::ok)
        {
            let path = dir.path();
            let name = dir.file_name().to_string_lossy().into_owned();
            if name == "lg-developer" {
                for ex in std::fs::read_dir(&path)
                    .expect("lg-developer")
                    .filter_map(Result::ok)
                {
                    let folder = ex.file_name().to_string_lossy().into_owned();
                    let device_type = match folder.as_str() {
                        "main_washcombo" => "DEVICE_WASHCOMBO_MAIN".to_owned(),
                        "mini_washcombo" => "DEVICE_WASHCOMBO_MINI".to_owned(),
                        other => format!("DEVICE_{}", other.to_ascii_uppercase()),
                    };
                    let profile = read(&ex.path().join("profile.json"));
                    // Pattern D halves also stand for their own device types.
                    for (sub, sub_type) in [("washer", "DEVICE_WASHER"), ("dryer", "DEVICE_DRYER")]
                    {
                        if let Some(sub_profile) = profile.get(sub) {
                            add(sub_type.to_owned(), sub_profile);
                        }
                    }
                    add(device_type, &profile);
                }
            } else if path.join("device.json").exists() {
                let device = read(&path.join("device.json"));
                let device_type = device["deviceInfo"]["deviceType"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                add(device_type, &read(&path.join("profile.json")));
            }
        }
        out
    }

    fn collect_profile_names(
        profile: &serde_json::Value,
        out: &mut (BTreeSet<String>, BTreeSet<String>),
    ) {
        let resources = |property: &serde_json::Value,
                         out: &mut (BTreeSet<String>, BTreeSet<String>)| {
            let Some(map) = property.as_object() else {
                return;
            };
            for (resource, body) in map {
                out.1.insert(resource.clone());
                let entries: Vec<&serde_json::Value> = match body {
                    serde_json::Value::Array(items) => items.iter().collect(),
                    other => vec![other],
                };
                for entry in entries.into_iter().filter_map(|e| e.as_object()) {
                    for attribute in entry.keys() {
                        out.0.insert(format!("{resource}.{attribute}"));
                    }
                }
            }
        };
        for sub in ["washer", "dryer"] {
            if let Some(sub_profile) = profile.get(sub) {
                collect_profile_names(sub_profile, out);
            }
        }
        for key in ["property", "extensionProperty"] {
            match profile.get(key) {
                Some(serde_json::Value::Array(locations)) => {
                    locations.iter().for_each(|l| resources(l, out))
                }
                Some(property) => resources(property, out),
                None => {}
            }
        }
    }

    #[test]
    fn every_named_property_exists_in_a_real_profile_of_that_type() {
        let names = fixture_names();
        let mut missing = Vec::new();
        for (file, text) in FILES {
            let catalog: DeviceCatalog = serde_yaml::from_str(text).expect("parses");
            let mut attributes = BTreeSet::new();
            let mut resources = BTreeSet::new();
            for device_type in &catalog.device_types {
                if device_type == ANY_TYPE {
                    for (a, r) in names.values() {
                        attributes.extend(a.iter().cloned());
                        resources.extend(r.iter().cloned());
                    }
                }
                if let Some((a, r)) = names.get(device_type) {
                    attributes.extend(a.iter().cloned());
                    resources.extend(r.iter().cloned());
                }
            }
            if resources.is_empty() {
                missing.push(format!(
                    "{file}: no fixture profile for {:?}",
                    catalog.device_types
                ));
                continue;
            }
            for name in catalog.named_properties() {
                if !attributes.contains(&name) {
                    missing.push(format!("{file}: {name} is in no fixture profile"));
                }
            }
            for resource in catalog.named_resources() {
                if !resources.contains(&resource) {
                    missing.push(format!(
                        "{file}: resource {resource} is in no fixture profile"
                    ));
                }
            }
            for sub_type in catalog.sub_devices.values() {
                if !FILES.iter().any(|(_, t)| t.contains(sub_type.as_str())) {
                    missing.push(format!("{file}: sub-device type {sub_type} has no catalog"));
                }
            }
        }
        assert!(missing.is_empty(), "{}", missing.join("\n"));
    }
}
