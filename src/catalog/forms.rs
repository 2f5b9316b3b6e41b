//! Catalog sections for the forms of LG's IoT line: lights, covers, locks and sirens (issue
//! 10). Kept beside `catalog.rs` so each file stays readable.

use serde::Deserialize;
use std::collections::BTreeMap;

/// A `light` entity (JSON schema): power, brightness, colour temperature, hue + saturation,
/// and effects from the light-mode enum. Every field but `power` is optional; the builder
/// offers the colour modes the profile can really write.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LightSpec {
    /// Name after the device name (a location prefix is added); none makes it the device's
    /// main entity.
    pub name: Option<String>,
    /// On/off enum (`POWER_ON`/`POWER_OFF`, `ON`/`OFF`: the pair is read from the profile).
    pub power: String,
    /// Light-mode enum: its white / colour values choose the colour mode, its other writable
    /// values are offered as effects.
    pub mode: Option<String>,
    #[serde(default = "default_white_mode")]
    pub white_mode: String,
    #[serde(default = "default_color_mode")]
    pub color_mode: String,
    /// Brightness in white (or single-colour) mode.
    pub white_brightness: Option<String>,
    /// Colour temperature; used only when its range is in kelvin (min ≥ 1000).
    pub color_temperature: Option<String>,
    pub hue: Option<String>,
    pub saturation: Option<String>,
    /// Brightness in colour mode.
    pub color_brightness: Option<String>,
}

/// A `cover` entity (blind, curtain): LG's open / close / stop enum and its position.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverSpec {
    /// `blind`, `curtain`, … (Home Assistant cover device class).
    pub device_class: Option<String>,
    /// The enum that is read as the state and written with `open` / `close` / `stop`.
    pub state: String,
    /// LG value → Home Assistant cover state (`open`, `closed`, `stopped`, `opening`,
    /// `closing`).
    pub states: BTreeMap<String, String>,
    #[serde(default = "default_open")]
    pub open: String,
    #[serde(default = "default_close")]
    pub close: String,
    #[serde(default = "default_stop")]
    pub stop: String,
    /// Position range, read and written (its minimum is closed, its maximum open).
    pub position: Option<String>,
}

/// A `lock` entity (door locks). When LG lets nothing be written, a `lock` binary sensor.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockSpec {
    pub state: String,
    /// LG value → Home Assistant lock state (`LOCKED`, `UNLOCKED`, `OPEN`, `JAMMED`, …).
    pub states: BTreeMap<String, String>,
    /// LG values written for lock / unlock / open, each used only when the profile lets it
    /// be written.
    pub lock: Option<String>,
    pub unlock: Option<String>,
    pub open: Option<String>,
}

/// A `siren` entity: on/off, with volume and duration as its turn-on options.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SirenSpec {
    pub power: String,
    /// Volume enum, and its values from silent to loudest (Home Assistant's 0…1 level).
    pub volume: Option<String>,
    #[serde(default)]
    pub volume_order: Vec<String>,
    /// Alarm duration in seconds (range).
    pub duration: Option<String>,
}

fn default_white_mode() -> String {
    "WHITE".to_owned()
}
fn default_color_mode() -> String {
    "COLOR".to_owned()
}
fn default_open() -> String {
    "OPEN".to_owned()
}
fn default_close() -> String {
    "CLOSE".to_owned()
}
fn default_stop() -> String {
    "STOP".to_owned()
}
