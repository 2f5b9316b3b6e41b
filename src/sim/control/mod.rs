//! What a simulated appliance does with `POST /devices/{id}/control`: first the cloud's check
//! of the body against the device profile, then the device's reaction, expressed as the
//! partial state report it sends back over `DEVICE_STATUS`.
//!
//! This is written from LG's rules (thinq-api.md §4.2–§4.5) on purpose without using the
//! add-on's own profile or control code, so that it is an independent check of the bridge:
//! a payload the bridge gets wrong is refused here as LG would refuse it.
//!
//! * `check.rs` — the cloud's check: resources, attributes, modes, values, ranges, locations;
//! * `react.rs` — the device's reaction, as the partial report it sends back;
//! * `operate.rs` — how an appliance answers an operation command (power, start, stop);
//! * `temperature.rs` — °C/°F conversion and LG's whole-number JSON, which the appliances'
//!   own life (`sim::life`) uses too.
//!
//! This file keeps what both sides read the profile with.

mod check;
mod operate;
mod react;
mod temperature;

use serde_json::{Map, Value};

use super::envelope::{ApiError, code};

pub use check::check;
pub use react::react;
pub use temperature::{convert, number_value};

/// The resources a body addresses: the whole property object, or (pattern A) the entry for
/// the body's `location.locationName`.
fn resources_for<'a>(
    properties: &'a Value,
    body: &Map<String, Value>,
) -> Result<&'a Map<String, Value>, ApiError> {
    let location = body.get("location");
    match properties {
        Value::Object(map) => {
            if location.is_some() {
                return Err(invalid_command("this device has no locations"));
            }
            Ok(map)
        }
        Value::Array(entries) => {
            let name = location
                .and_then(|l| l.get("locationName"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    ApiError::with_message(
                        code::MISSING_PARAMETERS,
                        "location.locationName is required for this device",
                    )
                })?;
            entries
                .iter()
                .find(|e| location_name(e) == Some(name))
                .and_then(Value::as_object)
                .ok_or_else(|| {
                    ApiError::with_message(
                        code::UNACCEPTABLE_PARAMETERS,
                        format!("unknown location {name}"),
                    )
                })
        }
        _ => Err(invalid_command(
            "the profile has no controllable properties",
        )),
    }
}

/// Whether a descriptor's `mode` includes `letter`. LG writes `["r","w"]`; one example
/// writes `"rw"`.
fn has_mode(descriptor: &Map<String, Value>, letter: char) -> bool {
    match descriptor.get("mode") {
        Some(Value::Array(modes)) => modes
            .iter()
            .filter_map(Value::as_str)
            .any(|m| m.contains(letter)),
        Some(Value::String(mode)) => mode.contains(letter),
        _ => false,
    }
}

fn location_name(entry: &Value) -> Option<&str> {
    entry
        .pointer("/location/locationName")
        .and_then(Value::as_str)
}

fn invalid_command(message: impl Into<String>) -> ApiError {
    ApiError::with_message(code::INVALID_COMMAND_ERROR, message)
}

/// A fixture device, for the tests of every part.
#[cfg(test)]
fn fixture_device(id: &str) -> super::devices::SimDevice {
    super::devices::SimDevice::fixture_set()
        .into_iter()
        .find(|d| d.id() == id)
        .expect("fixture")
}
