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

mod forms;
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
    /// Hide this property when the profile also has this resource (the newer, richer form of
    /// the same value, e.g. `temperature` superseded by `temperatureInUnits`).
    pub superseded_by: Option<String>,
    /// Number limits for attributes the profile gives no range for (`type: number`).
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub step: Option<f64>,
    /// Number display mode: `box` or `slider` (default `box`).
    pub mode: Option<String>,
}

/// An air conditioner's `climate` entity, from its power, job mode, temperatures and wind.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClimateSpec {
    /// Operation-mode enum switched between `power_on` and `power_off`.
    pub power: String,
    #[serde(default = "default_power_on")]
    pub power_on: String,
    #[serde(default = "default_power_off")]
    pub power_off: String,
    /// The job-mode enum.
    pub mode: String,
    /// LG job mode → Home Assistant hvac mode. Job modes not listed become preset modes.
    pub hvac_modes: BTreeMap<String, String>,
    /// The hvac mode shown while a preset (e.g. `AIR_CLEAN`) runs.
    #[serde(default = "default_preset_hvac_mode")]
    pub preset_hvac_mode: String,
    /// Temperature resources in order of preference (first present wins); every one present
    /// is folded into the climate entity.
    pub temperature_resources: Vec<String>,
    #[serde(default = "default_current_temperature")]
    pub current_temperature: String,
    #[serde(default = "default_target_temperature")]
    pub target_temperature: String,
    /// Job mode → attribute that sets the target in that mode (`COOL` → `coolTargetTemperature`).
    #[serde(default)]
    pub mode_target_temperature: BTreeMap<String, String>,
    /// When the attribute a target goes to also depends on another enum (a boiler heats the
    /// room by air or by water temperature, `operation.roomTempMode`).
    pub target_by: Option<TargetBySpec>,
    /// The heat/cool range (`heat_cool` with a low and a high target) when the profile has it.
    pub target_range: Option<TargetRangeSpec>,
    /// Wind-strength enums in order of preference (first present and writable wins).
    #[serde(default)]
    pub fan_mode: Vec<String>,
    /// LG wind strength → Home Assistant fan mode, where HA has a standard name.
    #[serde(default)]
    pub fan_mode_names: BTreeMap<String, String>,
    pub swing: Option<String>,
    pub swing_horizontal: Option<String>,
    /// Shown on the climate entity and kept as its own sensor too.
    pub current_humidity: Option<String>,
}

/// Targets picked by the value of another enum as well as by the job mode.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetBySpec {
    /// The enum (`operation.roomTempMode`); read from the state when a target is written.
    pub property: String,
    /// Its value → (job mode → attribute). A value not listed uses `mode_target_temperature`.
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}

/// LG's two-set temperatures as Home Assistant's `heat_cool` target range.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetRangeSpec {
    /// Resources holding the pair, in order of preference (first with both writable wins);
    /// the pair is taken from every one present.
    pub resources: Vec<String>,
    /// The attribute of the lower bound (heating starts below it).
    pub low: String,
    /// The attribute of the upper bound (cooling starts above it).
    pub high: String,
    /// The LG job mode in which the range applies; shown as `heat_cool` when there is a range.
    pub job_mode: String,
    /// A readable boolean saying whether the unit follows the range now (`twoSetEnabled`);
    /// while it is false the single target is shown in that job mode.
    pub enabled: Option<String>,
}

/// A `fan` entity: on/off, speed and preset modes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FanSpec {
    /// Operation-mode enum switched between `power_on` / `power_off`. Without it the speed's
    /// lowest value means off (hoods).
    pub power: Option<String>,
    #[serde(default = "default_power_on")]
    pub power_on: String,
    #[serde(default = "default_power_off")]
    pub power_off: String,
    /// Wind-strength enum (named speeds) or range (numbered speeds).
    pub speed: Option<String>,
    /// Named speeds from slowest to fastest; values not listed stay available as a select.
    #[serde(default)]
    pub speed_order: Vec<String>,
    /// Job-mode enum offered as preset modes.
    pub preset: Option<String>,
}

/// A `humidifier` entity (humidifier or dehumidifier).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HumidifierSpec {
    /// `humidifier` or `dehumidifier`.
    pub device_class: String,
    pub power: String,
    #[serde(default = "default_power_on")]
    pub power_on: String,
    #[serde(default = "default_power_off")]
    pub power_off: String,
    pub target_humidity: String,
    pub current_humidity: Option<String>,
    pub mode: Option<String>,
}

/// A `water_heater` entity.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaterHeaterSpec {
    /// Entity name (in English; shown in the add-on's language) when the device has another
    /// main entity, as a boiler's hot water beside its room climate. Unset: the device's name.
    pub name: Option<String>,
    pub power: Option<String>,
    #[serde(default = "default_power_on")]
    pub power_on: String,
    #[serde(default = "default_power_off")]
    pub power_off: String,
    pub mode: String,
    /// LG job mode → Home Assistant water-heater mode (HA accepts only its own list).
    pub modes: BTreeMap<String, String>,
    pub temperature_resources: Vec<String>,
    #[serde(default = "default_current_temperature")]
    pub current_temperature: String,
    #[serde(default = "default_target_temperature")]
    pub target_temperature: String,
}

/// A duration sensor made from hour / minute / second attributes of one resource.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DurationSpec {
    /// Component key (a location or sub-device prefix is added by the builder).
    pub key: String,
    pub name: String,
    pub hour: Option<String>,
    pub minute: Option<String>,
    pub second: Option<String>,
    pub icon: Option<String>,
    pub entity_category: Option<String>,
    /// For the remaining time of a cycle: a "finishes at" timestamp sensor beside it.
    pub finishes_at: Option<FinishesAtSpec>,
    /// The hour and minute are a time of day ("start at 07:30"), not an amount of time.
    #[serde(default)]
    pub time_of_day: bool,
}

/// The "finishes at" sensor of a countdown (laundry, dish washer, oven): when the running
/// cycle ends, by the bridge's clock.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinishesAtSpec {
    /// Component key (a location or sub-device prefix is added by the builder).
    pub key: String,
    pub name: String,
    /// The run state attribute (`runState.currentState`) telling whether anything runs.
    pub run_state: Option<String>,
    /// Run states in which the remaining time does not count down (off, paused, finished,
    /// waiting for a delayed start): the sensor is cleared then.
    #[serde(default)]
    pub idle_states: Vec<String>,
    pub icon: Option<String>,
}

/// Name and icon of the notification `event` entity.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventMeta {
    pub name: Option<String>,
    pub icon: Option<String>,
}

/// A `vacuum` entity (robot cleaner): its activity from a run-state enum, its commands written
/// to one write-only operation enum. Home Assistant's vacuum has fixed activities and fixed
/// commands, so the catalog maps LG's values onto them; values not mapped stay where the
/// generic rule puts them (the run state keeps its own sensor with LG's finer words).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VacuumSpec {
    /// The run-state enum the activity is read from.
    pub state: String,
    /// LG run state → Home Assistant activity (`cleaning`, `docked`, `paused`, `idle`,
    /// `returning`, `error`). A state not listed shows as no activity (unknown).
    pub activities: BTreeMap<String, String>,
    /// The write-only operation enum the commands write.
    pub command: String,
    /// LG value per Home Assistant command (`start`, `pause`, `stop`, `return_to_base`);
    /// a command whose value the profile does not offer is not announced.
    pub commands: BTreeMap<String, String>,
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

fn default_power_on() -> String {
    "POWER_ON".to_owned()
}
fn default_power_off() -> String {
    "POWER_OFF".to_owned()
}
fn default_preset_hvac_mode() -> String {
    "fan_only".to_owned()
}
fn default_current_temperature() -> String {
    "currentTemperature".to_owned()
}
fn default_target_temperature() -> String {
    "targetTemperature".to_owned()
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
