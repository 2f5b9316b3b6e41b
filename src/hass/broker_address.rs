//! Where the Home Assistant broker is and how to log in: one type for both ends of that
//! answer — the options name it (`mqtt_host` …) or `crate::supervisor` finds it in the
//! Supervisor's MQTT service, and the Mosquitto session connects to it.

use crate::secret::Secret;

/// Where the Home Assistant broker is and how to log in. `Debug` shows no password.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerAddress {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// TLS to the broker, verified against the Mozilla roots. Only the Supervisor can ask for
    /// it (its `ssl`); the Mosquitto add-on normally answers in plain MQTT inside the
    /// Supervisor network, so this is rarely on.
    pub tls: bool,
}
