//! LG's side: the ThinQ Connect REST API, the credentials we keep for it, the AWS IoT push
//! session, and the model of a device profile and state.

pub mod api;
pub mod control;
pub mod credentials;
pub mod energy_api;
pub mod envelope;
pub mod error;
pub mod location;
pub mod message;
pub mod profile;
pub mod push;
pub mod push_topics;
pub mod region;
pub mod state;

use serde::{Deserialize, Serialize};

/// One element of `GET /devices`: an appliance on the user's account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceSummary {
    /// Opaque id (`MW2-…`, `TQS-…`, 64 hex characters…); never parse it.
    pub device_id: String,
    pub device_info: DeviceInfo,
}

/// The `deviceInfo` member of a device list entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    /// `DEVICE_AIR_CONDITIONER`, `DEVICE_WASHER`, … (unknown types are kept as they are).
    pub device_type: String,
    #[serde(default)]
    pub model_name: String,
    /// The name the user gave the appliance in the ThinQ app.
    #[serde(default)]
    pub alias: String,
    #[serde(default)]
    pub reportable: bool,
    /// Present for grouped devices (washtower washer + dryer, washcombo main + mini).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
}
