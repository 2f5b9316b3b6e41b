//! What values an attribute takes: [`ValueSpec`] (enum, range, number, …) and LG's
//! [`RangeSpec`] `{min, max, step, except}`, with the range checks writes are held to.

use serde_json::Value;

/// A numeric range as LG writes it: `{min, max, step, except?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSpec {
    pub min: f64,
    pub max: f64,
    pub step: f64,
    pub except: Vec<f64>,
}

impl RangeSpec {
    /// Parses `{min, max, step, except?}`. `step` missing or not positive means "any value
    /// in the range" (stored as 0); `min`/`max` are required.
    pub(super) fn parse(raw: &Value) -> Option<RangeSpec> {
        let obj = raw.as_object()?;
        let min = obj.get("min")?.as_f64()?;
        let max = obj.get("max")?.as_f64()?;
        let step = obj
            .get("step")
            .and_then(Value::as_f64)
            .filter(|s| *s > 0.0)
            .unwrap_or(0.0);
        let except = obj
            .get("except")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        Some(RangeSpec {
            min,
            max,
            step,
            except,
        })
    }

    /// Whether `value` lies on this range: min ≤ v ≤ max and on a step from min, with a
    /// tolerance so that 0.5-steps survive float arithmetic.
    pub fn contains(&self, value: f64) -> bool {
        const EPS: f64 = 1e-6;
        if value < self.min - EPS || value > self.max + EPS {
            return false;
        }
        if self.step > 0.0 {
            let steps = (value - self.min) / self.step;
            if (steps - steps.round()).abs() > EPS {
                return false;
            }
        }
        true
    }

    pub(super) fn excludes(&self, value: f64) -> bool {
        self.except.iter().any(|e| (e - value).abs() < 1e-9)
    }
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

impl ValueSpec {
    /// The range a value is held to: the write range, what LG accepts, else the read range,
    /// the best guess without one. `None` for anything but a range.
    pub fn range(&self) -> Option<&RangeSpec> {
        match self {
            ValueSpec::Range { read, write } => write.as_ref().or(read.as_ref()),
            _ => None,
        }
    }
}
