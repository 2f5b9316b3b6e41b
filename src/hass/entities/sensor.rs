//! Read-only values: `sensor` entities (plain properties, durations made from hour / minute /
//! second attributes, and the device's current error code).

use super::common::{self, EntityBase, entity_kind};
use super::component::Component;
use super::one_value::OneValue;
use super::timer::DurationParts;
use crate::thinq::profile::Property;
use serde_json::{Value, json};

/// How a property's value is shown.
#[derive(Debug, Clone, PartialEq)]
pub enum SensorValue {
    /// A Home Assistant `enum` sensor: `(LG value, HA option)` pairs.
    Enum(Vec<(String, String)>),
    /// A number (`state_class` measurement unless the catalog says otherwise).
    Numeric,
    /// Text as LG reports it.
    Text,
    /// An enum whose reported values stray from its list (kimchi refrigerator compartments
    /// report a number where the profile lists names): shown as text, a listed value as its
    /// label (`(LG value, label)` pairs), any other word in a readable form, never raw.
    EnumText(Vec<(String, String)>),
    /// A profile constant; the state's value wins when it has one. A word-like value (`NORMAL`,
    /// `DOUBLE`) shows as its label, given here as `(LG value, label)`.
    Constant(Value, Vec<(String, String)>),
}

/// One property shown as a sensor.
#[derive(Debug, Clone, PartialEq)]
pub struct SensorEntity {
    pub base: EntityBase,
    pub property: Property,
    pub value: SensorValue,
    pub device_class: Option<String>,
    pub unit: Option<String>,
    pub state_class: Option<String>,
    pub precision: Option<u32>,
}

entity_kind!(SensorEntity, "sensor");

impl OneValue for SensorEntity {
    fn value(&self, state: &Value) -> Value {
        let read = self.property.read(state);
        match &self.value {
            // A profile `list` (a water purifier's water types) reports several values at
            // once: their labels, joined.
            SensorValue::Enum(pairs) | SensorValue::EnumText(pairs)
                if matches!(read, Some(Value::Array(_))) =>
            {
                let items = read
                    .as_ref()
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten();
                let labels: Vec<String> = items
                    .filter_map(Value::as_str)
                    .map(|v| common::word_label(pairs, v))
                    .collect();
                json!(labels.join(", "))
            }
            SensorValue::Enum(pairs) => read
                .as_ref()
                .and_then(|v| common::option_for_lg(pairs, v))
                .map_or(Value::Null, |ha| json!(ha)),
            SensorValue::Numeric => read
                .as_ref()
                .and_then(common::as_number)
                .map_or(Value::Null, common::json_number),
            SensorValue::EnumText(pairs) => match read {
                Some(Value::String(s)) => json!(common::word_label(pairs, &s)),
                Some(v @ (Value::Number(_) | Value::Bool(_))) => v,
                _ => Value::Null,
            },
            SensorValue::Text => match read {
                Some(Value::String(s)) => json!(s),
                Some(v @ (Value::Number(_) | Value::Bool(_))) => v,
                _ => Value::Null,
            },
            SensorValue::Constant(constant, pairs) => match read {
                Some(Value::String(s)) => json!(common::word_label(pairs, &s)),
                Some(v @ (Value::Number(_) | Value::Bool(_))) => v,
                _ => match constant {
                    Value::String(s) => json!(common::word_label(pairs, s)),
                    other => other.clone(),
                },
            },
        }
    }

    fn unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }

    fn component(&self, c: &mut Component<'_>) {
        c.value_state();
        match &self.value {
            SensorValue::Enum(pairs) => {
                c.insert("dev_cla", json!("enum"));
                c.insert("ops", common::ha_options(pairs));
            }
            _ => {
                c.insert_some("dev_cla", self.device_class.as_deref());
                c.insert_some("unit_of_meas", self.unit.as_deref());
                c.insert_some("stat_cla", self.state_class.as_deref());
                c.insert_some("suggested_display_precision", self.precision);
            }
        }
    }
}

/// A duration from hour / minute / second attributes (`timer.remainHour` + `remainMinute`):
/// one sensor, device class `duration`, in minutes (seconds when LG reports seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct DurationSensor {
    pub base: EntityBase,
    pub parts: DurationParts,
}

entity_kind!(DurationSensor, "sensor");

impl OneValue for DurationSensor {
    fn value(&self, state: &Value) -> Value {
        let Some(seconds) = self.parts.seconds(state) else {
            return Value::Null;
        };
        if self.parts.second.is_some() {
            common::json_number(seconds)
        } else {
            common::json_number(seconds / 60.0)
        }
    }

    /// Seconds when LG reports seconds, else minutes.
    fn unit(&self) -> Option<&str> {
        Some(if self.parts.second.is_some() {
            "s"
        } else {
            "min"
        })
    }

    fn component(&self, c: &mut Component<'_>) {
        c.value_state();
        c.insert("dev_cla", json!("duration"));
        c.insert_some("unit_of_meas", self.unit());
    }
}

/// The code in the state's `error` member (profile `error` list), or "No error" (the label of
/// `NO_ERROR` in the add-on's language) without one.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorSensor {
    pub base: EntityBase,
    /// Pattern D sub-device whose state holds the error, else the top level.
    pub sub_device: Option<String>,
    /// `(LG code, HA option)`; the options also hold `no_error`.
    pub codes: Vec<(String, String)>,
    /// What the sensor reads without an error: the label of [`ErrorSensor::NO_ERROR`].
    pub no_error: String,
}

impl ErrorSensor {
    /// The value LG (and this sensor) uses for "no error".
    pub const NO_ERROR: &'static str = "NO_ERROR";
}

entity_kind!(ErrorSensor, "sensor");

impl OneValue for ErrorSensor {
    fn value(&self, state: &Value) -> Value {
        let scope = match &self.sub_device {
            Some(sub) => state.get(sub),
            None => Some(state),
        };
        match scope.and_then(|s| s.get("error")) {
            None | Some(Value::Null) => json!(self.no_error),
            Some(Value::String(s)) if s.is_empty() || s.eq_ignore_ascii_case(Self::NO_ERROR) => {
                json!(self.no_error)
            }
            Some(code) => {
                common::option_for_lg(&self.codes, code).map_or(Value::Null, |ha| json!(ha))
            }
        }
    }

    fn component(&self, c: &mut Component<'_>) {
        c.value_state();
        c.insert("dev_cla", json!("enum"));
        let mut options = vec![self.no_error.clone()];
        options.extend(
            self.codes
                .iter()
                .map(|(_, ha)| ha.clone())
                .filter(|o| *o != self.no_error),
        );
        c.insert("ops", json!(options));
    }
}
