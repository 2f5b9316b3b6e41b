//! Each platform's state handler, as Home Assistant's MQTT integration has it (the
//! `_state_message_received` of `sensor.py`, `binary_sensor.py`, `climate.py`, …): what a
//! payload sets, which payloads are ignored; plus entity names without a `name` option and
//! how a held value reads with its unit.

use super::{Entity, Held};
use serde_json::Value;

/// `_set_entity_name` without a `name` option.
pub(super) fn default_name(entity: &Entity) -> String {
    let class = entity.str("device_class");
    let named_by_class = match entity.platform.as_str() {
        "sensor" => class.is_some() && class != Some("enum"),
        "binary_sensor" | "button" | "number" | "event" => class.is_some(),
        _ => false,
    };
    if let (true, Some(class)) = (named_by_class, class) {
        let words = class.replace('_', " ");
        let mut chars = words.chars();
        return chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
    }
    let default = match entity.platform.as_str() {
        "sensor" => "MQTT Sensor",
        "binary_sensor" => "MQTT Binary sensor",
        "button" => "MQTT Button",
        "climate" => "MQTT HVAC",
        "cover" => "MQTT Cover",
        "event" => "MQTT Event",
        "fan" => "MQTT Fan",
        "humidifier" => "MQTT Humidifier",
        "light" => "MQTT JSON Light",
        "lock" => "MQTT Lock",
        "number" => "MQTT Number",
        "select" => "MQTT Select",
        "siren" => "MQTT Siren",
        "switch" => "MQTT Switch",
        "text" => "MQTT Text",
        "vacuum" => "MQTT State Vacuum",
        "water_heater" => "MQTT Water Heater",
        other => panic!("no default name known for {other}"),
    };
    default.to_owned()
}

pub(super) fn event(entity: &mut Entity, text: &str) {
    // event.py: a JSON object whose event_type the entity was told of.
    let Ok(Value::Object(event)) = serde_json::from_str::<Value>(text) else {
        return;
    };
    if let Some(kind) = event.get("event_type").and_then(Value::as_str)
        && entity.offers("event_types", kind)
    {
        entity.last_event = Some(kind.to_owned());
    }
}

/// Python's float(); HA's number / climate parsing.
fn py_float(text: &str) -> Option<f64> {
    let n: f64 = text.trim().parse().ok()?;
    n.is_finite().then_some(n)
}

/// One state message for one attribute of an entity, by its platform's handler.
pub(super) fn receive(entity: &mut Entity, attribute: &str, p: &str) {
    let keep = |e: &mut Entity, v: Held| {
        e.held.insert(attribute.to_owned(), v);
    };
    let platform = entity.platform.clone();
    match (platform.as_str(), attribute) {
        ("sensor", _) => {
            // sensor.py _update_state
            if p == "None" {
                return keep(entity, Held::None);
            }
            let class = entity.str("device_class");
            let numeric = !matches!(class, Some("date" | "enum" | "timestamp"))
                && (class.is_some()
                    || entity.config.contains_key("state_class")
                    || entity.config.contains_key("unit_of_measurement")
                    || entity.config.contains_key("suggested_display_precision"));
            if numeric {
                // An unparsable number fails the state write: the state stays.
                if let Some(n) = py_float(p) {
                    keep(entity, Held::Num(n));
                }
                return;
            }
            if entity.config.get("options").is_some() && !entity.offers("options", p) {
                return;
            }
            match class {
                Some("timestamp") => {
                    let t = iso_utc(p).map_or(Held::None, Held::Str);
                    keep(entity, t)
                }
                _ if p.chars().count() > 255 => {}
                _ => keep(entity, Held::Str(p.to_owned())),
            }
        }
        ("binary_sensor", _) => {
            if p.trim().is_empty() {
                return;
            }
            let on = entity.str("payload_on").unwrap_or("ON").to_owned();
            let off = entity.str("payload_off").unwrap_or("OFF").to_owned();
            if let Some(held) = two_state(p, &on, &off) {
                keep(entity, held)
            }
        }
        ("switch", _) | ("fan" | "humidifier" | "siren", "state") => {
            if p.is_empty() {
                return;
            }
            let on = entity
                .str("state_on")
                .or(entity.str("payload_on"))
                .unwrap_or("ON")
                .to_owned();
            let off = entity
                .str("state_off")
                .or(entity.str("payload_off"))
                .unwrap_or("OFF")
                .to_owned();
            let state = if platform == "siren" && p != on && p != off && p != "None" {
                match serde_json::from_str::<Value>(p) {
                    Ok(Value::Object(o)) => match o.get("state") {
                        Some(Value::String(s)) => s.clone(),
                        _ => return,
                    },
                    _ => return,
                }
            } else {
                p.to_owned()
            };
            if let Some(held) = two_state(&state, &on, &off) {
                keep(entity, held)
            }
        }
        ("number", _) => {
            if p.trim().is_empty() {
                return;
            }
            if p == entity.str("payload_reset").unwrap_or("None") {
                return keep(entity, Held::None);
            }
            let Some(n) = py_float(p) else { return };
            let (min, max) = (
                entity.num("min").unwrap_or(1.0),
                entity.num("max").unwrap_or(100.0),
            );
            if n >= min && n <= max {
                keep(entity, Held::Num(n));
            }
        }
        ("select", _) => {
            if p.trim().is_empty() {
                return;
            }
            if p.to_lowercase() == "none" {
                keep(entity, Held::None)
            } else if entity.offers("options", p) {
                keep(entity, Held::Str(p.to_owned()))
            }
        }
        ("text", _) => {
            let len = p.chars().count() as f64;
            if len >= entity.num("min").unwrap_or(0.0) && len <= entity.num("max").unwrap_or(255.0)
            {
                keep(entity, Held::Str(p.to_owned()));
            }
        }
        ("lock", _) => {
            if p.trim().is_empty() {
                return;
            }
            if p == entity.str("payload_reset").unwrap_or("None") {
                return keep(entity, Held::None);
            }
            let states = [
                ("state_jammed", "JAMMED", "jammed"),
                ("state_opening", "OPENING", "opening"),
                ("state_locking", "LOCKING", "locking"),
                ("state_open", "OPEN", "open"),
                ("state_unlocking", "UNLOCKING", "unlocking"),
                ("state_locked", "LOCKED", "locked"),
                ("state_unlocked", "UNLOCKED", "unlocked"),
            ];
            if let Some((_, _, state)) = states
                .iter()
                .find(|(option, default, _)| entity.str(option).unwrap_or(default) == p)
            {
                keep(entity, Held::Str((*state).to_owned()));
            }
        }
        ("cover", "state") => {
            if p.is_empty() {
                return;
            }
            let s = |o: &str, d: &str| entity.str(o).unwrap_or(d) == p;
            let state = if s("state_stopped", "stopped") {
                let closed = if entity.config.contains_key("position_topic") {
                    entity.held.get("current_position") == Some(&Held::Num(0.0))
                } else {
                    matches!(entity.held.get("state"), Some(Held::Str(x)) if x == "closed" || x == "closing")
                };
                Held::Str(if closed { "closed" } else { "open" }.into())
            } else if s("state_opening", "opening") {
                Held::Str("opening".into())
            } else if s("state_closing", "closing") {
                Held::Str("closing".into())
            } else if s("state_open", "open") {
                Held::Str("open".into())
            } else if s("state_closed", "closed") {
                Held::Str("closed".into())
            } else if p == "None" {
                Held::None
            } else {
                return;
            };
            keep(entity, state)
        }
        ("cover", "current_position") => {
            let Some(v) = py_float(p) else { return };
            let low = entity.num("position_closed").unwrap_or(0.0) + 1.0;
            let high = entity.num("position_open").unwrap_or(100.0);
            let pct = ((v - (low - 1.0)) * 100.0 / (high - low + 1.0)).floor();
            keep(entity, Held::Num(pct.clamp(0.0, 100.0)))
        }
        ("light", _) | ("vacuum", _) => {
            let Ok(Value::Object(o)) = serde_json::from_str::<Value>(p) else {
                return;
            };
            let vacuum_states = ["cleaning", "docked", "error", "idle", "paused", "returning"];
            match o.get("state") {
                Some(Value::Null) => keep(entity, Held::None),
                Some(Value::String(s)) if platform == "light" && s == "ON" => {
                    keep(entity, Held::Bool(true))
                }
                Some(Value::String(s)) if platform == "light" && s == "OFF" => {
                    keep(entity, Held::Bool(false))
                }
                Some(Value::String(s))
                    if platform == "vacuum" && vacuum_states.contains(&s.as_str()) =>
                {
                    keep(entity, Held::Str(s.clone()))
                }
                _ => {}
            }
        }
        ("climate" | "water_heater", "state") => {
            if p.trim().is_empty() {
                return;
            }
            if p == "None" {
                keep(entity, Held::None)
            } else if entity.offers("modes", p) {
                keep(entity, Held::Str(p.to_owned()))
            }
        }
        ("climate", "fan_mode" | "swing_mode" | "swing_horizontal_mode") => {
            let list = match attribute {
                "fan_mode" => "fan_modes",
                "swing_mode" => "swing_modes",
                _ => "swing_horizontal_modes",
            };
            if p == "None" {
                keep(entity, Held::None)
            } else if entity.offers(list, p) {
                keep(entity, Held::Str(p.to_owned()))
            }
        }
        ("climate", "preset_mode") => {
            if p == "none" || p == "None" {
                keep(entity, Held::Str("none".into()))
            } else if entity.offers("preset_modes", p) {
                keep(entity, Held::Str(p.to_owned()))
            }
        }
        ("climate" | "water_heater", _) => {
            if p.is_empty() {
                return;
            }
            if p == "None" {
                return keep(entity, Held::None);
            }
            if let Some(n) = py_float(p) {
                keep(entity, Held::Num(n));
            }
        }
        ("fan", "percentage") => {
            if p.is_empty() {
                return;
            }
            if p == "None" {
                return keep(entity, Held::None);
            }
            let Ok(speed) = p.trim().parse::<i64>() else {
                return;
            };
            let low = entity.num("speed_range_min").unwrap_or(1.0);
            let high = entity.num("speed_range_max").unwrap_or(100.0);
            let pct = ((speed as f64 - (low - 1.0)) * 100.0 / (high - low + 1.0)).floor();
            if (0.0..=100.0).contains(&pct) {
                keep(entity, Held::Num(pct));
            }
        }
        ("fan", "preset_mode") | ("humidifier", "mode") => {
            let list = if attribute == "mode" {
                "modes"
            } else {
                "preset_modes"
            };
            if p == "None" {
                keep(entity, Held::None)
            } else if entity.offers(list, p) {
                keep(entity, Held::Str(p.to_owned()))
            }
        }
        ("humidifier", _) => {
            if p.is_empty() {
                return;
            }
            if p == "None" {
                return keep(entity, Held::None);
            }
            let Some(n) = py_float(p) else { return };
            let n = n.round_ties_even();
            let (min, max) = if attribute == "humidity" {
                (
                    entity.num("min_humidity").unwrap_or(0.0),
                    entity.num("max_humidity").unwrap_or(100.0),
                )
            } else {
                (0.0, 100.0)
            };
            if n >= min && n <= max {
                keep(entity, Held::Num(n));
            }
        }
        _ => {}
    }
}

/// A held value as its state string, with the unit Home Assistant shows it in.
pub(super) fn shown(entity: &Entity, attribute: &str) -> String {
    let value = match entity.held.get(attribute) {
        None | Some(Held::None) => return "unknown".into(),
        Some(Held::Bool(true)) => "on".to_owned(),
        Some(Held::Bool(false)) => "off".to_owned(),
        Some(Held::Num(n)) if n.fract() == 0.0 => format!("{}", *n as i64),
        Some(Held::Num(n)) => format!("{n}"),
        Some(Held::Str(s)) => s.clone(),
    };
    let unit = match (entity.platform.as_str(), attribute) {
        ("sensor" | "number", "state") => entity.str("unit_of_measurement").map(str::to_owned),
        ("climate" | "water_heater", a) if a.contains("temp") => {
            Some(if entity.str("temperature_unit") == Some("F") {
                "°F".to_owned()
            } else {
                "°C".to_owned()
            })
        }
        (_, "humidity" | "current_humidity" | "percentage" | "current_position") => {
            Some("%".to_owned())
        }
        _ => None,
    };
    match unit {
        Some(unit) if !unit.is_empty() => format!("{value} {unit}"),
        _ => value,
    }
}

/// `dt_util.parse_datetime`, then the UTC state Home Assistant writes for a timestamp.
fn iso_utc(text: &str) -> Option<String> {
    let text = text.trim();
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') {
        return None;
    }
    let n = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, s) = (
        n(0..4)?,
        n(5..7)?,
        n(8..10)?,
        n(11..13)?,
        n(14..16)?,
        n(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        rest = fraction.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest {
        "" | "Z" => 0,
        zone => {
            let sign = match zone.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
            let hh: i64 = digits.get(0..2)?.parse().ok()?;
            let mm: i64 = digits.get(2..4).unwrap_or("00").parse().ok()?;
            sign * (hh * 3600 + mm * 60)
        }
    };
    let when = time::PrimitiveDateTime::new(
        time::Date::from_calendar_date(y as i32, time::Month::try_from(mo as u8).ok()?, d as u8)
            .ok()?,
        time::Time::from_hms(h as u8, mi as u8, s.min(59) as u8).ok()?,
    )
    .assume_offset(time::UtcOffset::from_whole_seconds(offset as i32).ok()?)
    .to_offset(time::UtcOffset::UTC);
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        when.year(),
        u8::from(when.month()),
        when.day(),
        when.hour(),
        when.minute(),
        when.second()
    ))
}

/// What a binary sensor or switch holds for a payload: on, off, or unknown for `None`; any
/// other payload is ignored and the entity keeps its state.
fn two_state(payload: &str, on: &str, off: &str) -> Option<Held> {
    if payload == on {
        Some(Held::Bool(true))
    } else if payload == off {
        Some(Held::Bool(false))
    } else {
        (payload == "None").then_some(Held::None)
    }
}
