//! How a state message becomes what an entity holds, platform by platform, and which
//! messages Home Assistant ignores (an empty payload, an option not offered, a number out of
//! range): `_state_message_received` and its siblings in each platform's module.

use super::options::{float, listed, number, text, text_or};
use serde_json::{Map, Value};

/// A value as Home Assistant holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    Unknown,
    On,
    Off,
    Number(f64),
    Text(String),
}

impl Shown {
    /// Home Assistant's state string (`unknown`, `on`, `19.5`, `Power off`).
    pub fn text(&self) -> String {
        match self {
            Shown::Unknown => "unknown".into(),
            Shown::On => "on".into(),
            Shown::Off => "off".into(),
            Shown::Number(n) => number_text(*n),
            Shown::Text(t) => t.clone(),
        }
    }
}

/// `19.0` → `19`, `19.5` → `19.5`: the number, not Python's spelling of its type.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

/// `ranged_value_to_percentage` (`util/percentage.py`): `low..=high` onto 1..=100.
fn percentage(low: f64, high: f64, value: f64) -> f64 {
    ((value - (low - 1.0)) * 100.0 / (high - low + 1.0)).floor()
}

/// The platform's on / off payloads (`state_on`, else `payload_on`, else `ON`).
fn on_off(config: &Map<String, Value>, state_options: bool) -> (&str, &str) {
    let pick = |state: &str, payload: &str, default: &'static str| {
        state_options
            .then(|| text(config, state))
            .flatten()
            .or_else(|| text(config, payload))
            .unwrap_or(default)
    };
    (
        pick("state_on", "payload_on", "ON"),
        pick("state_off", "payload_off", "OFF"),
    )
}

fn binary(payload: &str, (on, off): (&str, &str)) -> Option<Shown> {
    match payload {
        p if p == on => Some(Shown::On),
        p if p == off => Some(Shown::Off),
        "None" => Some(Shown::Unknown),
        _ => None,
    }
}

/// What one message makes of a part of an entity's state: `Some(new value)`, or `None` when
/// Home Assistant ignores the message (an empty payload, an option not offered, a number
/// outside the range). `held` gives what the entity holds now, by part (a stopped cover reads
/// closed or open from its position, or from its last state without a position topic).
pub fn interpret(
    platform: &str,
    attribute: &str,
    config: &Map<String, Value>,
    payload: &str,
    held: &dyn Fn(&str) -> Option<Shown>,
) -> Option<Shown> {
    match (platform, attribute) {
        ("sensor", _) => sensor(config, payload),
        ("binary_sensor", _) => {
            if payload.trim().is_empty() {
                return None;
            }
            binary(payload, on_off(config, false))
        }
        ("switch", _) => binary(payload, on_off(config, true)),
        ("fan" | "humidifier", "state") if !payload.is_empty() => {
            binary(payload, on_off(config, true))
        }
        ("siren", _) => siren(config, payload),
        ("number", _) => {
            if payload.trim().is_empty() {
                return None;
            }
            if payload == text_or(config, "payload_reset", "None") {
                return Some(Shown::Unknown);
            }
            let value = float(payload)?;
            let min = number(config, "min").unwrap_or(1.0);
            let max = number(config, "max").unwrap_or(100.0);
            (min..=max).contains(&value).then_some(Shown::Number(value))
        }
        ("select", _) => {
            if payload.trim().is_empty() {
                return None;
            }
            if payload.eq_ignore_ascii_case("none") {
                return Some(Shown::Unknown);
            }
            listed(config, "options", payload).then(|| Shown::Text(payload.to_owned()))
        }
        ("text", _) => {
            let length = payload.chars().count() as f64;
            let min = number(config, "min").unwrap_or(0.0);
            let max = number(config, "max").unwrap_or(255.0);
            // The pattern is checked by Home Assistant too; the bridge's patterns match
            // what it publishes (tests/forms_units.rs), so only the length is checked here.
            (min..=max)
                .contains(&length)
                .then(|| Shown::Text(payload.to_owned()))
        }
        ("lock", _) => lock(config, payload),
        ("cover", "state") => cover(config, payload, held),
        ("cover", "current_position") => {
            if payload.is_empty() {
                return None;
            }
            let closed = number(config, "position_closed").unwrap_or(0.0);
            let open = number(config, "position_open").unwrap_or(100.0);
            let value = float(payload)?;
            Some(Shown::Number(
                percentage(closed + 1.0, open, value).clamp(0.0, 100.0),
            ))
        }
        ("light", _) => {
            let state = serde_json::from_str::<Value>(payload).ok()?;
            match state.get("state")? {
                Value::String(s) if s == "ON" => Some(Shown::On),
                Value::String(s) if s == "OFF" => Some(Shown::Off),
                Value::Null => Some(Shown::Unknown),
                _ => None,
            }
        }
        ("vacuum", _) => {
            let state = serde_json::from_str::<Value>(payload).ok()?;
            match state.get("state")? {
                Value::Null => Some(Shown::Unknown),
                Value::String(s)
                    if ["idle", "docked", "error", "paused", "returning", "cleaning"]
                        .contains(&s.as_str()) =>
                {
                    Some(Shown::Text(s.clone()))
                }
                _ => None,
            }
        }
        ("climate" | "water_heater", "state") => {
            if payload.trim().is_empty() {
                return None;
            }
            if payload == "None" {
                return Some(Shown::Unknown);
            }
            listed(config, "modes", payload).then(|| Shown::Text(payload.to_owned()))
        }
        ("climate", "fan_mode" | "swing_mode" | "swing_horizontal_mode") => {
            let list = format!("{attribute}s");
            if payload == "None" {
                return Some(Shown::Unknown);
            }
            listed(config, &list, payload).then(|| Shown::Text(payload.to_owned()))
        }
        ("climate", "preset_mode") => {
            if payload == "none" || payload == "None" {
                return Some(Shown::Text("none".into()));
            }
            listed(config, "preset_modes", payload).then(|| Shown::Text(payload.to_owned()))
        }
        ("climate" | "water_heater", _) => {
            if payload.is_empty() {
                return None;
            }
            if payload == "None" {
                return Some(Shown::Unknown);
            }
            float(payload).map(Shown::Number)
        }
        ("fan", "percentage") => {
            if payload.is_empty() {
                return None;
            }
            if payload == text_or(config, "payload_reset_percentage", "None") {
                return Some(Shown::Unknown);
            }
            let speed = payload.trim().parse::<i64>().ok()? as f64;
            let low = number(config, "speed_range_min").unwrap_or(1.0);
            let high = number(config, "speed_range_max").unwrap_or(100.0);
            let pct = percentage(low, high, speed);
            (0.0..=100.0).contains(&pct).then_some(Shown::Number(pct))
        }
        ("fan", "preset_mode") => {
            if payload == text_or(config, "payload_reset_preset_mode", "None") {
                return Some(Shown::Unknown);
            }
            listed(config, "preset_modes", payload).then(|| Shown::Text(payload.to_owned()))
        }
        ("humidifier", "humidity" | "current_humidity") => {
            if payload.is_empty() {
                return None;
            }
            if payload == text_or(config, "payload_reset_humidity", "None") {
                return Some(Shown::Unknown);
            }
            // Python's round(): halves go to the even neighbour.
            let value = float(payload)?.round_ties_even();
            let (min, max) = if attribute == "humidity" {
                (
                    number(config, "min_humidity").unwrap_or(0.0),
                    number(config, "max_humidity").unwrap_or(100.0),
                )
            } else {
                (0.0, 100.0)
            };
            (min..=max).contains(&value).then_some(Shown::Number(value))
        }
        ("humidifier", "mode") => {
            if payload == text_or(config, "payload_reset_mode", "None") {
                return Some(Shown::Unknown);
            }
            listed(config, "modes", payload).then(|| Shown::Text(payload.to_owned()))
        }
        _ => None,
    }
}

fn sensor(config: &Map<String, Value>, payload: &str) -> Option<Shown> {
    if payload == "None" {
        return Some(Shown::Unknown);
    }
    let class = text(config, "device_class");
    let non_numeric = matches!(class, Some("date" | "enum" | "timestamp"));
    let numeric = !non_numeric
        && (config.contains_key("state_class")
            || config.contains_key("unit_of_measurement")
            || config.contains_key("suggested_display_precision")
            || class.is_some());
    if numeric {
        if payload.is_empty() {
            return None;
        }
        // A value that is no number fails when the state is written: the old one stays.
        return float(payload).map(Shown::Number);
    }
    if config.get("options").is_some_and(|o| o.is_array()) && !listed(config, "options", payload) {
        return None;
    }
    match class {
        None | Some("enum") => {
            (payload.chars().count() <= 255).then(|| Shown::Text(payload.into()))
        }
        Some("timestamp") => Some(timestamp(payload).map_or(Shown::Unknown, Shown::Text)),
        Some("date") => Some(
            timestamp(payload)
                .map(|t| t[..10].to_owned())
                .or_else(|| date(payload))
                .map_or(Shown::Unknown, Shown::Text),
        ),
        // Every other class expects a number (handled above).
        Some(_) => None,
    }
}

fn siren(config: &Map<String, Value>, payload: &str) -> Option<Shown> {
    if payload.is_empty() || payload == "{}" {
        return None;
    }
    let (on, off) = on_off(config, true);
    let state = if payload == on || payload == off || payload == "None" {
        payload.to_owned()
    } else {
        match serde_json::from_str::<Value>(payload).ok()?.get("state")? {
            Value::String(s) => s.clone(),
            _ => return None,
        }
    };
    binary(&state, (on, off))
}

fn lock(config: &Map<String, Value>, payload: &str) -> Option<Shown> {
    if payload.trim().is_empty() {
        return None;
    }
    if payload == text_or(config, "payload_reset", "None") {
        return Some(Shown::Unknown);
    }
    [
        ("state_jammed", "JAMMED", "jammed"),
        ("state_opening", "OPENING", "opening"),
        ("state_locking", "LOCKING", "locking"),
        ("state_open", "OPEN", "open"),
        ("state_unlocking", "UNLOCKING", "unlocking"),
        ("state_locked", "LOCKED", "locked"),
        ("state_unlocked", "UNLOCKED", "unlocked"),
    ]
    .into_iter()
    .find(|(option, default, _)| text_or(config, option, default) == payload)
    .map(|(_, _, state)| Shown::Text(state.to_owned()))
}

fn cover(
    config: &Map<String, Value>,
    payload: &str,
    held: &dyn Fn(&str) -> Option<Shown>,
) -> Option<Shown> {
    if payload.is_empty() {
        return None;
    }
    let state = |s: &str| Some(Shown::Text(s.to_owned()));
    if payload == text_or(config, "state_stopped", "stopped") {
        // With a position topic a stopped cover is closed at 0 and open anywhere else;
        // without one it stays closed if it was closed or closing.
        let closed = if config.contains_key("position_topic") {
            held("current_position") == Some(Shown::Number(0.0))
        } else {
            matches!(held("state"), Some(Shown::Text(s)) if s == "closed" || s == "closing")
        };
        return if closed {
            state("closed")
        } else {
            state("open")
        };
    }
    for (option, default) in [
        ("state_opening", "opening"),
        ("state_closing", "closing"),
        ("state_open", "open"),
        ("state_closed", "closed"),
    ] {
        if payload == text_or(config, option, default) {
            return state(default);
        }
    }
    (payload == "None").then_some(Shown::Unknown)
}

/// `dt_util.parse_datetime` then the state Home Assistant writes for a timestamp: UTC, to
/// the second (`2026-12-03T13:05:00+00:00`). `None` when it is no date and time.
pub fn timestamp(payload: &str) -> Option<String> {
    let text = payload.trim();
    let (date_part, rest) = text.split_at_checked(10)?;
    let date = date(date_part)?;
    let rest = rest.strip_prefix(['T', ' '])?;
    let digits = |s: &str| s.parse::<i64>().ok();
    let (clock, zone) = match rest.find(['Z', 'z', '+', '-']) {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let mut fields = clock.split(':');
    let hour = digits(fields.next()?)?;
    let minute = digits(fields.next()?)?;
    let second = fields
        .next()
        .map(|s| s.split('.').next().and_then(digits))
        .unwrap_or(Some(0))?;
    let offset_minutes = match zone {
        "" | "Z" | "z" => 0,
        zone => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (h, m) = zone[1..].split_once(':').unwrap_or((&zone[1..], "0"));
            sign * (digits(h)? * 60 + digits(m)?)
        }
    };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let (year, month, day) = (
        digits(&date[..4])?,
        digits(&date[5..7])?,
        digits(&date[8..])?,
    );
    let total = days_from_civil(year, month, day) * 86_400
        + (hour * 60 + minute - offset_minutes) * 60
        + second;
    let (days, seconds) = (total.div_euclid(86_400), total.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+00:00",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    ))
}

/// `YYYY-MM-DD`, checked.
fn date(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let ok = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && text
            .chars()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let month: u32 = text.get(5..7)?.parse().ok()?;
    let day: u32 = text.get(8..10)?.parse().ok()?;
    (ok && (1..=12).contains(&month) && (1..=31).contains(&day)).then(|| text.to_owned())
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}
