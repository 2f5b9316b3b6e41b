//! Command validation: [`Property::check_write`] checks a value against the profile before
//! anything is sent to LG and normalises it to the JSON type LG expects; [`CommandError`]
//! says why a command was refused.

use super::{Property, ValueSpec};
use serde_json::Value;

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
    /// The writes cannot form one control body (no writes at all, two locations or two
    /// units of one resource at once, two sub-devices at once). The text says which.
    #[error("cannot build one control body: {0}")]
    Conflict(String),
}

impl Property {
    /// Checks a value for writing (mode `w`, enum `value.w`, range min/max/step/except,
    /// boolean, number) and returns it normalised to the JSON type LG expects: numbers given as
    /// strings (`"22"`, `"22.5"`) become numbers, `"true"`/`"ON"` become booleans for booleans.
    pub fn check_write(&self, value: &Value) -> Result<Value, CommandError> {
        let key = self.path.key();
        if !self.writable {
            return Err(CommandError::NotWritable(key));
        }
        match &self.spec {
            ValueSpec::Constant(_) => Err(CommandError::NotWritable(key)),
            ValueSpec::Enum { read, write } => {
                let text =
                    value_as_text(value).ok_or_else(|| wrong_type(&key, "an enum value", value))?;
                // A writable enum whose profile lists no `w` values is taken at its `r` list:
                // refusing everything would make the `w` mode meaningless.
                let allowed = if write.is_empty() { read } else { write };
                if allowed.contains(&text) {
                    Ok(Value::String(text))
                } else {
                    Err(CommandError::NotInEnum {
                        property: key,
                        value: text,
                        allowed: allowed.clone(),
                    })
                }
            }
            ValueSpec::Range { .. } => {
                let number =
                    value_as_number(value).ok_or_else(|| wrong_type(&key, "a number", value))?;
                if let Some(range) = self.spec.range() {
                    if !range.contains(number) {
                        return Err(CommandError::OutOfRange {
                            property: key,
                            value: number,
                            min: range.min,
                            max: range.max,
                            step: range.step,
                        });
                    }
                    if range.excludes(number) {
                        return Err(CommandError::Excluded {
                            property: key,
                            value: number,
                        });
                    }
                }
                Ok(number_to_json(number))
            }
            ValueSpec::Number => {
                let number =
                    value_as_number(value).ok_or_else(|| wrong_type(&key, "a number", value))?;
                Ok(number_to_json(number))
            }
            ValueSpec::Boolean => value_as_bool(value)
                .map(Value::Bool)
                .ok_or_else(|| wrong_type(&key, "a boolean", value)),
            ValueSpec::String => value_as_text(value)
                .map(Value::String)
                .ok_or_else(|| wrong_type(&key, "a string", value)),
        }
    }
}

fn wrong_type(key: &str, expected: &'static str, got: &Value) -> CommandError {
    // The text as received (the error prints it quoted), not its JSON form with extra quotes.
    let got = match got {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    CommandError::WrongType {
        property: key.to_owned(),
        expected,
        got,
    }
}

/// Text of a command value: strings as they are (trimmed, since MQTT payloads often carry a
/// newline), numbers and booleans as their JSON text.
fn value_as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A finite number from a JSON number or its text (`"22"`, `" 22.5 "`).
fn value_as_number(value: &Value) -> Option<f64> {
    let number = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    number.is_finite().then_some(number)
}

/// A boolean from JSON `true`/`false`, `0`/`1`, or the words Home Assistant sends
/// (`ON`/`OFF`, `true`/`false`, `yes`/`no`, `1`/`0`), case-insensitively.
fn value_as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => Some(true),
            "false" | "off" | "no" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// LG expects integers as integers (`22`, not `22.0`); everything else stays a float.
pub fn number_to_json(number: f64) -> Value {
    const MAX_EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: beyond it f64 holds no fraction anyway
    if number.fract() == 0.0 && number.abs() <= MAX_EXACT {
        Value::from(number as i64)
    } else {
        serde_json::Number::from_f64(number)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{LocationKind, PropertyPath, RangeSpec};
    use super::*;
    use serde_json::json;

    fn property(spec: ValueSpec, writable: bool) -> Property {
        Property {
            path: PropertyPath {
                sub_device: None,
                location: None,
                location_kind: LocationKind::None,
                resource: "r".to_owned(),
                attribute: "a".to_owned(),
            },
            spec,
            readable: true,
            writable,
            unit: None,
            list: false,
        }
    }

    fn range(min: f64, max: f64, step: f64, except: &[f64]) -> ValueSpec {
        let spec = RangeSpec {
            min,
            max,
            step,
            except: except.to_vec(),
        };
        ValueSpec::Range {
            read: None,
            write: Some(spec),
        }
    }

    #[test]
    fn check_write_normalises_numbers() {
        let p = property(range(18.0, 30.0, 0.5, &[]), true);
        assert_eq!(p.check_write(&json!("22")), Ok(json!(22)));
        assert_eq!(p.check_write(&json!(22.0)), Ok(json!(22)));
        assert_eq!(p.check_write(&json!(" 22.5\n")), Ok(json!(22.5)));
        assert_eq!(p.check_write(&json!(18)), Ok(json!(18)));
        assert_eq!(p.check_write(&json!(30)), Ok(json!(30)));
        assert!(matches!(
            p.check_write(&json!(22.3)),
            Err(CommandError::OutOfRange { .. })
        ));
        assert!(matches!(
            p.check_write(&json!(30.5)),
            Err(CommandError::OutOfRange { .. })
        ));
        assert!(matches!(
            p.check_write(&json!(17)),
            Err(CommandError::OutOfRange { .. })
        ));
        assert!(matches!(
            p.check_write(&json!("warm")),
            Err(CommandError::WrongType { .. })
        ));
        assert!(matches!(
            p.check_write(&json!("NaN")),
            Err(CommandError::WrongType { .. })
        ));
        assert!(matches!(
            p.check_write(&json!(true)),
            Err(CommandError::WrongType { .. })
        ));
        let free = property(ValueSpec::Number, true);
        assert_eq!(free.check_write(&json!("7")), Ok(json!(7)));
        assert_eq!(free.check_write(&json!(-1.25)), Ok(json!(-1.25)));
    }

    #[test]
    fn check_write_range_step_from_min_and_except() {
        let p = property(range(-6.0, 8.0, 1.0, &[-5.0, 7.0]), true);
        assert_eq!(p.check_write(&json!(-6)), Ok(json!(-6)));
        assert_eq!(p.check_write(&json!("-4")), Ok(json!(-4)));
        assert_eq!(
            p.check_write(&json!(7)),
            Err(CommandError::Excluded {
                property: "r.a".into(),
                value: 7.0
            })
        );
        let odd_steps = property(range(64.0, 86.0, 2.0, &[]), true);
        assert!(odd_steps.check_write(&json!(66)).is_ok());
        assert!(odd_steps.check_write(&json!(65)).is_err());
        // Float steps: 0.1 is not exactly representable, yet 0.3 is on the grid.
        let fine = property(range(0.0, 1.0, 0.1, &[]), true);
        assert_eq!(fine.check_write(&json!(0.3)), Ok(json!(0.3)));
    }

    #[test]
    fn check_write_enums_booleans_and_modes() {
        let e = property(
            ValueSpec::Enum {
                read: vec!["ON".into()],
                write: vec!["START".into(), "STOP".into()],
            },
            true,
        );
        assert_eq!(e.check_write(&json!("START")), Ok(json!("START")));
        assert_eq!(
            e.check_write(&json!("ON")),
            Err(CommandError::NotInEnum {
                property: "r.a".into(),
                value: "ON".into(),
                allowed: vec!["START".into(), "STOP".into()]
            })
        );
        let read_only = property(
            ValueSpec::Enum {
                read: vec!["ON".into()],
                write: vec![],
            },
            false,
        );
        assert_eq!(
            read_only.check_write(&json!("ON")),
            Err(CommandError::NotWritable("r.a".into()))
        );
        let b = property(ValueSpec::Boolean, true);
        for (given, expected) in [
            (json!("ON"), true),
            (json!("off"), false),
            (json!("true"), true),
            (json!(0), false),
            (json!(true), true),
        ] {
            assert_eq!(b.check_write(&given), Ok(Value::Bool(expected)), "{given}");
        }
        assert!(matches!(
            b.check_write(&json!("maybe")),
            Err(CommandError::WrongType { .. })
        ));
        let s = property(ValueSpec::String, true);
        assert_eq!(s.check_write(&json!(5)), Ok(json!("5")));
        assert!(matches!(
            s.check_write(&json!({"a": 1})),
            Err(CommandError::WrongType { .. })
        ));
        let c = property(ValueSpec::Constant(json!("NORMAL")), true);
        assert_eq!(
            c.check_write(&json!("NORMAL")),
            Err(CommandError::NotWritable("r.a".into()))
        );
    }

    #[test]
    fn error_messages_say_what_is_wrong() {
        let e = CommandError::OutOfRange {
            property: "temperature.targetTemperature".into(),
            value: 40.0,
            min: 18.0,
            max: 30.0,
            step: 1.0,
        };
        assert_eq!(
            e.to_string(),
            "temperature.targetTemperature: 40 is outside 18..=30 step 1"
        );
        assert_eq!(
            CommandError::NotWritable("x.y".into()).to_string(),
            "x.y is read-only"
        );
    }
}
