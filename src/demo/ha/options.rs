//! Discovery options as Home Assistant reads them: abbreviations written out, the options a
//! device payload shares with its components, the topics that carry each part of a
//! platform's state, and the templates the demo can render.

use serde_json::{Map, Value};

/// Abbreviation → option name (`abbreviations.py`, `ABBREVIATIONS`), for every option these
/// rules read.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("act_t", "action_topic"),
    ("avty", "availability"),
    ("avty_mode", "availability_mode"),
    ("avty_t", "availability_topic"),
    ("cmps", "components"),
    ("curr_hum_t", "current_humidity_topic"),
    ("curr_hum_tpl", "current_humidity_template"),
    ("curr_temp_t", "current_temperature_topic"),
    ("curr_temp_tpl", "current_temperature_template"),
    ("dev", "device"),
    ("dev_cla", "device_class"),
    ("en", "enabled_by_default"),
    ("evt_typ", "event_types"),
    ("fan_mode_stat_t", "fan_mode_state_topic"),
    ("fan_mode_stat_tpl", "fan_mode_state_template"),
    ("hum_stat_t", "target_humidity_state_topic"),
    ("json_attr_t", "json_attributes_topic"),
    ("json_attr_tpl", "json_attributes_template"),
    ("hum_state_tpl", "target_humidity_state_template"),
    ("max_hum", "max_humidity"),
    ("min_hum", "min_humidity"),
    ("mode_stat_t", "mode_state_topic"),
    ("mode_stat_tpl", "mode_state_template"),
    ("o", "origin"),
    ("ops", "options"),
    ("p", "platform"),
    ("pct_stat_t", "percentage_state_topic"),
    ("pct_val_tpl", "percentage_value_template"),
    ("pl_avail", "payload_available"),
    ("pl_not_avail", "payload_not_available"),
    ("pl_off", "payload_off"),
    ("pl_on", "payload_on"),
    ("pl_rst", "payload_reset"),
    ("pl_rst_hum", "payload_reset_humidity"),
    ("pl_rst_mode", "payload_reset_mode"),
    ("pl_rst_pct", "payload_reset_percentage"),
    ("pl_rst_pr_mode", "payload_reset_preset_mode"),
    ("pos_clsd", "position_closed"),
    ("pos_open", "position_open"),
    ("pos_t", "position_topic"),
    ("pos_tpl", "position_template"),
    ("pr_mode_stat_t", "preset_mode_state_topic"),
    ("pr_mode_val_tpl", "preset_mode_value_template"),
    ("pr_modes", "preset_modes"),
    ("ptrn", "pattern"),
    ("spd_rng_max", "speed_range_max"),
    ("spd_rng_min", "speed_range_min"),
    ("stat_cla", "state_class"),
    ("stat_closing", "state_closing"),
    ("stat_clsd", "state_closed"),
    ("stat_jam", "state_jammed"),
    ("stat_locked", "state_locked"),
    ("stat_locking", "state_locking"),
    ("stat_off", "state_off"),
    ("stat_on", "state_on"),
    ("stat_open", "state_open"),
    ("stat_opening", "state_opening"),
    ("stat_stopped", "state_stopped"),
    ("stat_t", "state_topic"),
    ("stat_tpl", "state_template"),
    ("stat_unlocked", "state_unlocked"),
    ("stat_unlocking", "state_unlocking"),
    ("stat_val_tpl", "state_value_template"),
    ("swing_h_mode_stat_t", "swing_horizontal_mode_state_topic"),
    (
        "swing_h_mode_stat_tpl",
        "swing_horizontal_mode_state_template",
    ),
    ("swing_h_modes", "swing_horizontal_modes"),
    ("swing_mode_stat_t", "swing_mode_state_topic"),
    ("swing_mode_stat_tpl", "swing_mode_state_template"),
    ("swing_modes", "swing_modes"),
    ("t", "topic"),
    ("temp_cmd_t", "temperature_command_topic"),
    ("temp_hi_stat_t", "temperature_high_state_topic"),
    ("temp_hi_stat_tpl", "temperature_high_state_template"),
    ("temp_lo_stat_t", "temperature_low_state_topic"),
    ("temp_lo_stat_tpl", "temperature_low_state_template"),
    ("temp_stat_t", "temperature_state_topic"),
    ("temp_stat_tpl", "temperature_state_template"),
    ("temp_unit", "temperature_unit"),
    ("uniq_id", "unique_id"),
    ("unit_of_meas", "unit_of_measurement"),
    ("val_tpl", "value_template"),
];

/// Device block abbreviations (`DEVICE_ABBREVIATIONS`).
const DEVICE_ABBREVIATIONS: &[(&str, &str)] = &[
    ("ids", "identifiers"),
    ("mf", "manufacturer"),
    ("mdl", "model"),
    ("sw", "sw_version"),
];

/// Options a device payload gives every component that does not set them itself
/// (`schemas.py`, `SHARED_OPTIONS`).
const SHARED_OPTIONS: &[&str] = &[
    "availability",
    "availability_mode",
    "availability_template",
    "availability_topic",
    "command_topic",
    "payload_available",
    "payload_not_available",
    "state_topic",
];

fn expand_with(map: &Map<String, Value>, table: &[(&str, &str)]) -> Map<String, Value> {
    map.iter()
        .map(|(key, value)| {
            let full = table
                .iter()
                .find(|(short, _)| short == key)
                .map_or(key.as_str(), |(_, full)| full);
            (full.to_owned(), value.clone())
        })
        .collect()
}

/// A map with every abbreviated key written out (`_replace_abbreviations`).
pub fn expand(map: &Map<String, Value>) -> Map<String, Value> {
    expand_with(map, ABBREVIATIONS)
}

/// The device block with its keys written out.
pub fn expand_device(map: &Map<String, Value>) -> Map<String, Value> {
    expand_with(map, DEVICE_ABBREVIATIONS)
}

/// A component of a device payload as Home Assistant configures the entity: options written
/// out, the device payload's shared options where the component has none, and `~` expanded
/// in topics when the component has a base topic (`_replace_topic_base`; a base on the device
/// payload itself is not shared).
pub fn component_config(
    component: &Map<String, Value>,
    root: &Map<String, Value>,
) -> Map<String, Value> {
    let mut config = expand(component);
    for option in SHARED_OPTIONS {
        if let Some(value) = root.get(*option)
            && !config.contains_key(*option)
        {
            config.insert((*option).to_owned(), value.clone());
        }
    }
    if let Some(base) = config
        .remove("~")
        .and_then(|b| b.as_str().map(str::to_owned))
    {
        for (key, value) in config.iter_mut() {
            if key.ends_with("topic")
                && let Some(topic) = value.as_str()
            {
                *value = Value::String(with_base(topic, &base));
            }
        }
        if let Some(Value::Array(list)) = config.get_mut("availability") {
            for item in list.iter_mut() {
                if let Some(Value::String(topic)) = item.get_mut("topic") {
                    *topic = with_base(topic, &base);
                }
            }
        }
    }
    config
}

fn with_base(topic: &str, base: &str) -> String {
    if let Some(rest) = topic.strip_prefix('~') {
        format!("{base}{rest}")
    } else if let Some(rest) = topic.strip_suffix('~') {
        format!("{rest}{base}")
    } else {
        topic.to_owned()
    }
}

/// One part of an entity's state: the option naming its topic, the part (`state`, or the
/// attribute Home Assistant shows it as), and the option of its template.
pub struct StatePart {
    pub topic_option: &'static str,
    pub attribute: &'static str,
    pub template_option: &'static str,
}

const fn part(
    topic_option: &'static str,
    attribute: &'static str,
    template_option: &'static str,
) -> StatePart {
    StatePart {
        topic_option,
        attribute,
        template_option,
    }
}

// One line a part: (topic option, state attribute it sets, template option).
const PLAIN: &[StatePart] = &[part("state_topic", "state", "value_template")];
#[rustfmt::skip]
const CLIMATE: &[StatePart] = &[
    part("mode_state_topic", "state", "mode_state_template"),
    part("temperature_state_topic", "temperature", "temperature_state_template"),
    part("temperature_low_state_topic", "target_temp_low", "temperature_low_state_template"),
    part("temperature_high_state_topic", "target_temp_high", "temperature_high_state_template"),
    part("current_temperature_topic", "current_temperature", "current_temperature_template"),
    part("current_humidity_topic", "current_humidity", "current_humidity_template"),
    part("target_humidity_state_topic", "humidity", "target_humidity_state_template"),
    part("fan_mode_state_topic", "fan_mode", "fan_mode_state_template"),
    part("swing_mode_state_topic", "swing_mode", "swing_mode_state_template"),
    part("swing_horizontal_mode_state_topic", "swing_horizontal_mode", "swing_horizontal_mode_state_template"),
    part("preset_mode_state_topic", "preset_mode", "preset_mode_value_template"),
];
#[rustfmt::skip]
const WATER_HEATER: &[StatePart] = &[
    part("mode_state_topic", "state", "mode_state_template"),
    part("temperature_state_topic", "temperature", "temperature_state_template"),
    part("current_temperature_topic", "current_temperature", "current_temperature_template"),
];
#[rustfmt::skip]
const FAN: &[StatePart] = &[
    part("state_topic", "state", "state_value_template"),
    part("percentage_state_topic", "percentage", "percentage_value_template"),
    part("preset_mode_state_topic", "preset_mode", "preset_mode_value_template"),
];
#[rustfmt::skip]
const HUMIDIFIER: &[StatePart] = &[
    part("state_topic", "state", "state_value_template"),
    part("target_humidity_state_topic", "humidity", "target_humidity_state_template"),
    part("current_humidity_topic", "current_humidity", "current_humidity_template"),
    part("mode_state_topic", "mode", "mode_state_template"),
];
#[rustfmt::skip]
const COVER: &[StatePart] = &[
    part("state_topic", "state", "value_template"),
    part("position_topic", "current_position", "position_template"),
];

/// The parts of a platform's state and where they come from. An event's topic carries events,
/// a button has no state topic; neither is listed.
pub fn state_parts(platform: &str) -> &'static [StatePart] {
    match platform {
        "sensor" | "binary_sensor" | "switch" | "number" | "select" | "text" | "lock" | "siren"
        | "light" | "vacuum" => PLAIN,
        "climate" => CLIMATE,
        "water_heater" => WATER_HEATER,
        "fan" => FAN,
        "humidifier" => HUMIDIFIER,
        "cover" => COVER,
        _ => &[],
    }
}

pub(super) fn text<'a>(config: &'a Map<String, Value>, option: &str) -> Option<&'a str> {
    config.get(option).and_then(Value::as_str)
}

pub(super) fn text_or<'a>(
    config: &'a Map<String, Value>,
    option: &str,
    default: &'a str,
) -> &'a str {
    text(config, option).unwrap_or(default)
}

pub(super) fn number(config: &Map<String, Value>, option: &str) -> Option<f64> {
    config.get(option).and_then(Value::as_f64)
}

pub(super) fn listed(config: &Map<String, Value>, option: &str, value: &str) -> bool {
    config
        .get(option)
        .and_then(Value::as_array)
        .is_some_and(|l| l.iter().any(|v| v.as_str() == Some(value)))
}

/// A value template as the demo can render it: none, `{{ value }}`, or `{{ value_json.KEY }}`.
/// Anything else is not guessed at (`None`: the part is not shown).
pub fn template_of(config: &Map<String, Value>, option: &str) -> Option<Template> {
    let Some(template) = config.get(option) else {
        return Some(Template::Plain);
    };
    let inner = template
        .as_str()?
        .trim()
        .strip_prefix("{{")?
        .strip_suffix("}}")?
        .trim();
    if inner == "value" {
        return Some(Template::Plain);
    }
    let key = inner.strip_prefix("value_json.")?;
    let valid = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| Template::Key(key.to_owned()))
}

/// How a payload becomes the text a part's rules read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Template {
    Plain,
    Key(String),
}

impl Template {
    /// The rendered payload; `None` when the template yields nothing (Home Assistant ignores
    /// the message then, as for an empty payload).
    pub fn render(&self, payload: &[u8]) -> Option<String> {
        let text = String::from_utf8_lossy(payload);
        match self {
            Template::Plain => Some(text.into_owned()),
            Template::Key(key) => {
                let value: Value = serde_json::from_str(&text).ok()?;
                match value.get(key)? {
                    Value::String(s) => Some(s.clone()),
                    Value::Null => Some("None".into()),
                    Value::Bool(b) => Some(if *b { "True" } else { "False" }.into()),
                    other => Some(other.to_string()),
                }
            }
        }
    }
}

/// Python's `float()` of a payload.
pub(super) fn float(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}
