//! Temperatures as the simulated appliances keep them: °C ↔ °F rounded to whole degrees as
//! they display them, and JSON numbers that stay integers when whole (LG reports `25`, not
//! `25.0`).
//!
//! Apart because both a control's reaction and the appliances' own life (`sim::life`) use it.

use serde_json::{Value, json};

/// Converts a temperature between units (same unit: unchanged), rounded to whole degrees as
/// appliances display them.
pub fn convert(value: f64, from: &str, to: &str) -> f64 {
    match (from, to) {
        ("C", "F") => c_to_f(value),
        ("F", "C") => f_to_c(value),
        _ => value,
    }
}

pub(super) fn c_to_f(c: f64) -> f64 {
    (c * 9.0 / 5.0 + 32.0).round()
}

pub(super) fn f_to_c(f: f64) -> f64 {
    ((f - 32.0) * 5.0 / 9.0).round()
}

/// A JSON number that stays an integer when it is whole (LG reports `25`, not `25.0`).
pub fn number_value(number: f64) -> Value {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        json!(number as i64)
    } else {
        json!(number)
    }
}
