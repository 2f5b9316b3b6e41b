//! What every entity kind shares: its identity ([`EntityBase`], unique ids), reading LG's
//! numbers and texts from a state, the on/off and number payloads Home Assistant sends and
//! takes, the power switch of a composite, and how values are rendered.
//!
//! LG's enums as Home Assistant options are [`super::choices`], names made from LG's
//! attribute names [`super::names`], LG's words [`super::words`]; all are re-exported here, so
//! a kind imports one module for what it shares.

use crate::hass::topics::Topics;
use crate::thinq::control::Write;
use crate::thinq::profile::{CommandError, Property};
use serde_json::{Value, json};

pub use super::choices::{
    enum_values, ha_option, ha_options, lg_for_option, not_an_option, on_off_pair, option_for_lg,
    option_pairs, option_state, option_write, single_text_value,
};
pub use super::names::{humanize, prefixed_name, snake};
pub use super::words::{numbered_in_order, word_label};

/// Identity and presentation shared by every entity.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityBase {
    /// Component key; `[a-z0-9_]`, stable (part of the unique id).
    pub key: String,
    /// Name after the device name; `None` marks the device's main entity (`name: null`).
    pub name: Option<String>,
    pub icon: Option<String>,
    /// `config` or `diagnostic`.
    pub entity_category: Option<String>,
    pub enabled: bool,
}

/// What an entity kind is whatever it shows: the Home Assistant platform it is discovered as,
/// and its [`EntityBase`], which [`super::Entity`] and [`super::one_value::OneValue`] read the
/// key and name from.
pub trait EntityKind {
    /// `sensor`, `climate`, `select`, …
    fn platform(&self) -> &'static str;
    fn base(&self) -> &EntityBase;
}

/// `entity_kind!(Kind, "platform")`: the [`EntityKind`] of a kind that keeps its base in a field
/// named `base`, as every entity kind does. A kind's platform never changes, so it is said once,
/// on the line that declares the kind, instead of in a method of its own.
macro_rules! entity_kind {
    ($kind:ty, $platform:literal) => {
        impl $crate::hass::entities::common::EntityKind for $kind {
            fn platform(&self) -> &'static str {
                $platform
            }

            fn base(&self) -> &$crate::hass::entities::common::EntityBase {
                &self.base
            }
        }
    };
}
pub(crate) use entity_kind;

impl EntityBase {
    pub fn new(key: impl Into<String>, name: Option<String>) -> EntityBase {
        EntityBase {
            key: key.into(),
            name,
            icon: None,
            entity_category: None,
            enabled: true,
        }
    }

    /// The name for the human table (empty for the main entity).
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_default()
    }

    pub fn unknown_feature(&self, feature: &str) -> CommandError {
        unknown_feature(&self.key, feature)
    }

    /// The optional part of a composite entity that `feature` acts on. A feature whose part the
    /// device lacks is unknown: no command topic was published for it.
    pub fn part_for<'a, T>(
        &self,
        feature: &str,
        part: Option<&'a T>,
    ) -> Result<&'a T, CommandError> {
        part.ok_or_else(|| self.unknown_feature(feature))
    }

    /// Refuses every feature but `expected`, for entities that take one kind of command
    /// (a button's `press`, a number's `value`, …).
    pub fn expect_feature(&self, feature: &str, expected: &str) -> Result<(), CommandError> {
        if feature == expected {
            Ok(())
        } else {
            Err(self.unknown_feature(feature))
        }
    }
}

/// The error for a command topic the entity `key` does not listen on.
pub fn unknown_feature(key: &str, feature: &str) -> CommandError {
    CommandError::UnknownCommand(format!("{key}/{feature}"))
}

/// A write of `value` to `property`: what every command comes down to.
pub fn write_to(property: &Property, value: Value) -> Write {
    Write {
        path: property.path.clone(),
        value,
    }
}

/// `thinq_<object id>_<key>`: stable forever, `[A-Za-z0-9_-]` only.
pub fn unique_id(device_id: &str, key: &str) -> String {
    format!("thinq_{}_{key}", Topics::object_id(device_id))
}

/// A JSON number from `f64`, as an integer when it is one (LG rejects `22.0` for some ranges).
pub fn json_number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        json!(value as i64)
    } else {
        serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
    }
}

/// A state value as a number (numbers, and strings holding one); `None` otherwise.
pub fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// The number `property` reads in `state` (a number, or a string of one: see [`as_number`]).
pub fn read_number(property: &Property, state: &Value) -> Option<f64> {
    as_number(&property.read(state)?)
}

/// The text `property` reads in `state` (an enum value, a string); `None` when it reads
/// anything else or nothing.
pub fn read_text(property: &Property, state: &Value) -> Option<String> {
    match property.read(state)? {
        Value::String(text) => Some(text),
        _ => None,
    }
}

/// The number `property` reads in `state` as a JSON number (see [`json_number`]); null when
/// there is no property, or its value is no number.
pub fn number_state(property: Option<&Property>, state: &Value) -> Value {
    property
        .and_then(|p| read_number(p, state))
        .map_or(Value::Null, json_number)
}

/// A command payload as a number.
pub fn parse_number(key: &str, payload: &str) -> Result<f64, CommandError> {
    payload
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .ok_or_else(|| CommandError::WrongType {
            property: key.to_owned(),
            expected: "number",
            got: payload.to_owned(),
        })
}

/// A command payload as on/off (`ON`/`OFF`, also `true`/`false`, `1`/`0`).
pub fn parse_on_off(key: &str, payload: &str) -> Result<bool, CommandError> {
    match payload.trim().to_ascii_uppercase().as_str() {
        "ON" | "TRUE" | "1" => Ok(true),
        "OFF" | "FALSE" | "0" => Ok(false),
        _ => Err(CommandError::WrongType {
            property: key.to_owned(),
            expected: "ON or OFF",
            got: payload.to_owned(),
        }),
    }
}

/// `"ON"` / `"OFF"`, the default payloads of Home Assistant's binary sensor and switch.
pub fn on_off(on: bool) -> Value {
    json!(if on { "ON" } else { "OFF" })
}

/// `on` / `off` / `unknown`: a power state as the human table shows it.
pub fn on_off_text(on: Option<bool>) -> &'static str {
    match on {
        Some(true) => "on",
        Some(false) => "off",
        None => "unknown",
    }
}

/// An operation-mode enum switched between two values (`POWER_ON` / `POWER_OFF`).
#[derive(Debug, Clone, PartialEq)]
pub struct PowerControl {
    pub property: Property,
    pub on: String,
    pub off: String,
}

impl PowerControl {
    /// Usable only when the profile lets us write both values.
    pub fn new(property: &Property, on: &str, off: &str) -> Option<PowerControl> {
        let (_, write) = enum_values(property);
        let has = |v: &str| write.iter().any(|w| w == v);
        (property.writable && has(on) && has(off)).then(|| PowerControl {
            property: property.clone(),
            on: on.to_owned(),
            off: off.to_owned(),
        })
    }

    /// `Some(true)` when the state says on, `None` when it does not say (or is unreadable, or
    /// holds a value the profile does not list).
    pub fn is_on(&self, state: &Value) -> Option<bool> {
        if !self.property.readable {
            return None;
        }
        let text = read_text(&self.property, state)?;
        let text = text.as_str();
        // Any other value the profile lists means on (a mode that runs); a value it does not
        // list is not known to be either, and shows as unknown rather than as "on".
        let (read, _) = enum_values(&self.property);
        let listed = text == self.on || read.is_empty() || read.iter().any(|r| r == text);
        (text == self.off || listed).then(|| text != self.off)
    }

    pub fn write(&self, on: bool) -> Write {
        write_to(&self.property, json!(if on { &self.on } else { &self.off }))
    }
}

/// LG's temperature unit (`C`, `F`, `CELSIUS`, …) as Home Assistant's unit of measurement.
pub fn ha_temperature_unit(lg: &str) -> Option<&'static str> {
    match lg.trim().to_ascii_uppercase().as_str() {
        "C" | "CELSIUS" | "°C" => Some("°C"),
        "F" | "FAHRENHEIT" | "°F" => Some("°F"),
        _ => None,
    }
}

/// A value as the plain payload of its state topic, spelled the way the
/// `{{ value_json.KEY }}` templates of earlier versions rendered it, so no state in Home
/// Assistant changes with the topic layout: null is `None` (Home Assistant's word for "no
/// value": unknown), booleans `True` / `False`, strings bare, numbers as JSON writes them.
pub fn plain_payload(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A JSON state value rendered for the human table.
pub fn render(value: &Value) -> String {
    match value {
        Value::Null => "unknown".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `render` plus a unit when there is a value.
pub fn render_with_unit(value: &Value, unit: Option<&str>) -> String {
    match (value, unit) {
        (Value::Null, _) | (_, None) => render(value),
        (v, Some(u)) => format!("{} {u}", render(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_payloads_read_as_the_old_templates_rendered() {
        assert_eq!(plain_payload(&Value::Null), "None");
        assert_eq!(plain_payload(&json!(true)), "True");
        assert_eq!(plain_payload(&json!("cool")), "cool");
        assert_eq!(plain_payload(&json!(22)), "22");
        assert_eq!(plain_payload(&json!(22.5)), "22.5");
    }

    #[test]
    fn numbers_keep_their_integer_shape() {
        assert_eq!(json_number(22.0), json!(22));
        assert_eq!(json_number(22.5), json!(22.5));
        assert_eq!(as_number(&json!("19")), Some(19.0));
        assert_eq!(as_number(&json!("x")), None);
        assert!(parse_number("k", "abc").is_err());
    }
}
