//! What every entity kind shares: identity and naming, state topics, and the conversions between
//! LG values and the values Home Assistant expects.
//!
//! Enum convention, used everywhere: a Home Assistant option / state is the LG value's label in
//! the add-on's language (`RINSING` → "Rinsing" / "헹굼 중", see [`crate::labels`]). Commands map
//! the label back (or LG's value in any case, the options of earlier versions) against the
//! profile's list, so what is sent to LG is always LG's own spelling. Event types stay the
//! lower-cased LG value: automations match them, and Home Assistant translates none of them.

use crate::hass::topics::Topics;
use crate::labels::Labels;
use crate::thinq::control::Write;
use crate::thinq::profile::{CommandError, Property, ValueSpec};
use serde_json::{Value, json};

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

/// The [`EntityBase`] of an entity kind, which [`super::Entity`] and
/// [`super::one_value::OneValue`] read the key and name from.
pub trait HasBase {
    fn base(&self) -> &EntityBase;
}

/// `has_base!(Kind)`: the [`HasBase`] of a kind that keeps its base in a field named `base`, as
/// every entity kind does. One line per kind instead of the same accessor written out in each.
macro_rules! has_base {
    ($kind:ty) => {
        impl $crate::hass::entities::common::HasBase for $kind {
            fn base(&self) -> &$crate::hass::entities::common::EntityBase {
                &self.base
            }
        }
    };
}
pub(crate) use has_base;

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

/// An LG enum value as a Home Assistant option.
pub fn ha_option(lg: &str) -> String {
    lg.to_lowercase()
}

/// `(LG value, HA option)` pairs for a list of LG values, without duplicates: the option is
/// the value's label in the add-on's language, what Home Assistant shows. Two values with one
/// label (a file edited carelessly) keep apart by the LG value, so an option always maps back
/// to exactly one value.
pub fn option_pairs(values: &[String], labels: &Labels) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for v in &numbered_in_order(values) {
        if out.iter().any(|(lg, _)| lg.eq_ignore_ascii_case(v)) {
            continue;
        }
        let mut ha = labels.label(v);
        if out.iter().any(|(_, h)| *h == ha) {
            ha = format!("{ha} ({v})");
        }
        out.push((v.clone(), ha));
    }
    out
}

/// The LG value for a Home Assistant option: the label first, then LG's value in any case (what
/// options were before labels, so automations written then keep working).
pub fn lg_for_option<'a>(pairs: &'a [(String, String)], option: &str) -> Option<&'a str> {
    let option = option.trim();
    pairs
        .iter()
        .find(|(_, ha)| ha == option)
        .or_else(|| pairs.iter().find(|(lg, _)| lg.eq_ignore_ascii_case(option)))
        .map(|(lg, _)| lg.as_str())
}

/// The HA option for an LG value read from the state; `None` when it is not one of them.
pub fn option_for_lg<'a>(pairs: &'a [(String, String)], value: &Value) -> Option<&'a str> {
    let text = value.as_str()?;
    pairs
        .iter()
        .find(|(lg, _)| lg.eq_ignore_ascii_case(text))
        .map(|(_, ha)| ha.as_str())
}

/// The HA options of `pairs`, in order: the `ops` / `modes` / `pr_modes` list of a component.
pub fn ha_options(pairs: &[(String, String)]) -> Value {
    json!(pairs.iter().map(|(_, ha)| ha).collect::<Vec<_>>())
}

/// The HA option an enum property's state shows; null when the state holds none of `pairs`
/// (Home Assistant rejects a value outside its option list).
pub fn option_state(property: &Property, pairs: &[(String, String)], state: &Value) -> Value {
    property
        .read(state)
        .as_ref()
        .and_then(|v| option_for_lg(pairs, v))
        .map_or(Value::Null, |ha| json!(ha))
}

/// The write for an option chosen in Home Assistant, in LG's own spelling; refused when it is
/// not one of `pairs`, so LG never sees a value the profile does not list.
pub fn option_write(
    key: &str,
    property: &Property,
    pairs: &[(String, String)],
    payload: &str,
) -> Result<Write, CommandError> {
    let lg = lg_for_option(pairs, payload).ok_or_else(|| not_an_option(key, payload, pairs))?;
    Ok(write_to(property, json!(lg)))
}

/// The error for an option that is not offered.
pub fn not_an_option(key: &str, value: &str, pairs: &[(String, String)]) -> CommandError {
    CommandError::NotInEnum {
        property: key.to_owned(),
        value: value.to_owned(),
        allowed: pairs.iter().map(|(_, ha)| ha.clone()).collect(),
    }
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

/// The two values of an enum that are an on/off pair (`ON`/`OFF`, `POWER_ON`/`POWER_OFF`,
/// `WARM_ON`/`WARM_OFF`, …): `(on, off)`.
pub fn on_off_pair(values: &[String]) -> Option<(String, String)> {
    let [a, b] = values else { return None };
    for (on, off) in [(a, b), (b, a)] {
        if let Some(stem) = on.strip_suffix("ON")
            && off.strip_suffix("OFF") == Some(stem)
            && (stem.is_empty() || stem.ends_with('_'))
        {
            return Some((on.clone(), off.clone()));
        }
    }
    None
}

/// The enum values of a property: (readable, writable).
pub fn enum_values(property: &Property) -> (&[String], &[String]) {
    match &property.spec {
        ValueSpec::Enum { read, write } => (read.as_slice(), write.as_slice()),
        _ => (&[], &[]),
    }
}

/// The one text a property can hold: a string constant, or an enum with a single value. This
/// is how profiles state the unit of the numbers beside a `unit` attribute.
pub fn single_text_value(property: &Property) -> Option<String> {
    match &property.spec {
        ValueSpec::Constant(Value::String(s)) => Some(s.clone()),
        ValueSpec::Enum { read, .. } if read.len() == 1 => read.first().cloned(),
        _ => None,
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

/// `currentJobMode` → `Current job mode`; `PM2` stays `PM2`; `BURNER_1` → `Burner 1`.
pub fn humanize(name: &str) -> String {
    let words = words(name);
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        // PM2, PM10, CO2, UV stay as they are; FRIDGE, UPPER, POWER_OFF read as words.
        let upper = w
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        let has_letter = w.chars().any(|c| c.is_ascii_alphabetic());
        let acronym = upper
            && has_letter
            && !name.contains('_')
            && (w.chars().any(|c| c.is_ascii_digit()) || w.len() <= 2);
        if acronym {
            out.push_str(w);
        } else if i == 0 {
            let lower = w.to_lowercase();
            let mut chars = lower.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push_str(&w.to_lowercase());
        }
    }
    out
}

/// `airConJobMode` → `air_con_job_mode`, `PM10` → `pm10`, `targetTemperatureC` →
/// `target_temperature_c`, `BURNER_1` → `burner_1`.
pub fn snake(name: &str) -> String {
    words(name)
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

/// Splits camelCase, acronyms and `_`-separated names into words; digits stay with the word
/// before them (`PM10`, `flavorCapsule1`).
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let prev = chars.get(i.wrapping_sub(1)).copied().unwrap_or(' ');
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                    && !current
                        .chars()
                        .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit())
                || (prev.is_ascii_uppercase() && next.is_ascii_lowercase());
            if boundary {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Joins a name prefix ("Fridge", "Washer") and a name, in sentence case.
pub fn prefixed_name(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        return name.to_owned();
    }
    if name.is_empty() {
        return prefix.to_owned();
    }
    let mut chars = name.chars();
    let first = chars.next().unwrap_or(' ');
    let second = chars.next();
    let lower_first = second.is_some_and(|s| s.is_lowercase() || s == ' ');
    if lower_first {
        format!(
            "{prefix} {}{}",
            first.to_lowercase(),
            &name[first.len_utf8()..]
        )
    } else {
        format!("{prefix} {name}")
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
    fn names_split_the_way_people_read_them() {
        assert_eq!(snake("airConJobMode"), "air_con_job_mode");
        assert_eq!(snake("PM10"), "pm10");
        assert_eq!(snake("targetTemperatureC"), "target_temperature_c");
        assert_eq!(snake("mCReminder"), "m_c_reminder");
        assert_eq!(snake("BURNER_1"), "burner_1");
        assert_eq!(snake("CO2"), "co2");
        assert_eq!(snake("flavorCapsule1"), "flavor_capsule1");
        assert_eq!(humanize("currentJobMode"), "Current job mode");
        assert_eq!(humanize("PM2"), "PM2");
        assert_eq!(humanize("FRIDGE"), "Fridge");
        assert_eq!(humanize("WINE_UPPER"), "Wine upper");
        assert_eq!(humanize("POWER_OFF"), "Power off");
        assert_eq!(humanize("POWER_ON"), "Power on");
        assert_eq!(humanize("UV"), "UV");
        assert_eq!(
            prefixed_name("Fridge", "Target temperature"),
            "Fridge target temperature"
        );
        assert_eq!(prefixed_name("Washer", "PM2.5"), "Washer PM2.5");
    }

    #[test]
    fn on_off_pairs_are_recognised() {
        let pair = |a: &str, b: &str| on_off_pair(&[a.to_owned(), b.to_owned()]);
        assert_eq!(pair("OFF", "ON"), Some(("ON".into(), "OFF".into())));
        assert_eq!(
            pair("POWER_ON", "POWER_OFF"),
            Some(("POWER_ON".into(), "POWER_OFF".into()))
        );
        assert_eq!(
            pair("WARM_ON", "WARM_OFF"),
            Some(("WARM_ON".into(), "WARM_OFF".into()))
        );
        assert_eq!(pair("START", "STOP"), None);
        assert_eq!(pair("SPOON", "SPOOFF"), None);
    }

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

    #[test]
    fn options_map_both_ways() {
        let labels = Labels::embedded(crate::labels::Language::En);
        let pairs = option_pairs(&["COOL".to_owned(), "AIR_DRY".to_owned()], labels);
        assert_eq!(lg_for_option(&pairs, "Air dry"), Some("AIR_DRY"));
        assert_eq!(lg_for_option(&pairs, "air_dry"), Some("AIR_DRY"));
        assert_eq!(lg_for_option(&pairs, "AIR_DRY"), Some("AIR_DRY"));
        assert_eq!(lg_for_option(&pairs, "heat"), None);
        assert_eq!(option_for_lg(&pairs, &json!("COOL")), Some("Cool"));
        assert_eq!(option_for_lg(&pairs, &json!(3)), None);
    }

    #[test]
    fn one_label_for_two_values_keeps_them_apart() {
        let files = [("en.yaml", "values:\n  LOW: Low\n  WEAK: Low\n")];
        let labels = Labels::parse_files(&files, crate::labels::Language::En).unwrap();
        let pairs = option_pairs(&["LOW".to_owned(), "WEAK".to_owned()], &labels);
        assert_eq!(pairs[1].1, "Low (WEAK)");
        assert_eq!(lg_for_option(&pairs, "Low (WEAK)"), Some("WEAK"));
        assert_eq!(lg_for_option(&pairs, "Low"), Some("LOW"));
    }
}
