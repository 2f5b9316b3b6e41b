//! Catalog sections for composite entities: one Home Assistant entity built from several
//! profile attributes (climate, fan, humidifier, water heater, duration, vacuum). Kept apart
//! from `catalog.rs`, which loads and indexes the files, so each file has one job.

use serde::Deserialize;
use std::collections::BTreeMap;

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
