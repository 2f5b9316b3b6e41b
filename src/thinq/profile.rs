//! The device profile model: what LG says a device can report and accept.
//!
//! A profile (`GET /devices/{id}/profile`) comes in several shapes (see
//! `reference/thinq-api.md` §4): a plain `property` object, an array of per-location objects
//! (pattern A: washer, oven), resources that are arrays of per-location entries (pattern B:
//! refrigerator temperatures), arrays of per-unit entries (pattern C: `temperatureInUnits` C/F),
//! and top-level sub-devices (pattern D: washtower `washer` / `dryer`). [`Profile::parse`] turns
//! every shape into one flat list of [`Property`], each with a [`PropertyPath`] that says exactly
//! where its value lives in a state document and how it is addressed in a control payload.

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
}

/// How the location of a property is expressed (the patterns of `thinq-api.md` §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocationKind {
    /// A plain `{resource: {attribute: …}}` property.
    None,
    /// Pattern A: `property` is an array of objects, each with `location.locationName`;
    /// a control payload carries a top-level `"location": {"locationName": …}`.
    PropertyArray,
    /// Pattern B: the resource is an array of entries each with `locationName`; a control
    /// payload puts `locationName` inside the resource and keeps the attribute's C/F suffix.
    ResourceArray,
    /// Pattern C: the resource is an array with one entry per temperature `unit` (C / F);
    /// a control payload sends the attribute together with `"unit"`.
    UnitArray,
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
        todo!()
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
}

impl Property {
    /// This property's current value in a full state document (`GET state` shape, including
    /// state arrays for patterns A/B/C and sub-devices for D). `None` when the state lacks it.
    pub fn read(&self, state: &Value) -> Option<Value> {
        let _ = state;
        todo!()
    }

    /// Checks a value for writing (mode `w`, enum `value.w`, range min/max/step/except,
    /// boolean, number) and returns it normalised to the JSON type LG expects: numbers given as
    /// strings (`"22"`, `"22.5"`) become numbers, `"true"`/`"ON"` become booleans for booleans.
    pub fn check_write(&self, value: &Value) -> Result<Value, CommandError> {
        let _ = value;
        todo!()
    }
}

/// A parsed device profile.
#[derive(Debug, Clone, PartialEq)]
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
        let _ = raw;
        todo!()
    }

    /// The property with this [`PropertyPath::key`].
    pub fn get(&self, key: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.path.key() == key)
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
