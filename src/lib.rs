//! thinq-addon: LG ThinQ Connect appliances in Home Assistant, over MQTT discovery.
//!
//! The crate is layered the way data flows (see `README.md` and the design notes):
//!
//! * [`options`] — the add-on options, validated.
//! * [`supervisor`] — where the Home Assistant broker is (the options or the Supervisor).
//! * [`thinq`] — everything about LG's cloud: REST client ([`thinq::api`]), credentials kept
//!   under `/data` ([`thinq::credentials`]), the AWS IoT push session ([`thinq::push`]) and its
//!   messages ([`thinq::message`]), and the device profile model ([`thinq::profile`],
//!   [`thinq::state`], [`thinq::control`]).
//! * [`hass`] — everything about Home Assistant: entities built from profiles
//!   ([`hass::entities`]), discovery payloads ([`hass::discovery`]), topics ([`hass::topics`])
//!   and the Mosquitto session ([`hass::session`]).
//! * [`bridge`] — the orchestration between the two sides, and the state cache.
//! * [`energy`] — appliance energy totals for the Energy dashboard (sans-IO tracker).
//! * [`tls`], [`mqtt`] — connection settings both sides share.
//! * `sim` — a faithful simulated ThinQ cloud, used by the tests and by `thinq-addon demo`.
//! * `demo` — the whole product on one machine, without an LG account.
//!
//! `sim` and `demo` exist only with the `demo` cargo feature (on by default): the add-on
//! image is built without it, so users' containers carry no simulator, HTTP server or broker.
#![forbid(unsafe_code)]

pub mod bridge;
pub mod catalog;
#[cfg(feature = "demo")]
pub mod demo;
pub mod energy;
pub mod hass;
pub mod labels;
pub mod logging;
pub mod mqtt;
pub mod options;
pub mod secret;
#[cfg(feature = "demo")]
pub mod sim;
pub mod supervisor;
pub mod thinq;
pub mod tls;

/// The version of this add-on, as in `Cargo.toml` and `config.yaml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Installs ring as the process-wide rustls crypto provider.
///
/// reqwest is built with `rustls-no-provider` and panics when no provider is installed, so
/// every entry point (the binary, each test) calls this first. Calling it twice is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// How an error message names the kind of a JSON value that is not what was expected
/// ("a string", "an array"), for the options file and for LG's answers alike.
pub(crate) fn json_kind(value: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
