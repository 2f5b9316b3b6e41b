//! LG's enums as Home Assistant options.
//!
//! The convention, used everywhere: a Home Assistant option / state is the LG value's label in
//! the add-on's language (`RINSING` → "Rinsing" / "헹굼 중", see [`crate::labels`]). Commands map
//! the label back (or LG's value in any case, the options of earlier versions) against the
//! profile's list, so what is sent to LG is always LG's own spelling. Event types stay the
//! lower-cased LG value: automations match them, and Home Assistant translates none of them.

use super::common::write_to;
use super::words::numbered_in_order;
use crate::labels::Labels;
use crate::thinq::control::Write;
use crate::thinq::profile::{CommandError, Property, ValueSpec};
use serde_json::{Value, json};

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

#[cfg(test)]
mod tests {
    use super::*;

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
