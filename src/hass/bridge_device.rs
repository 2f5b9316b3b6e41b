//! The bridge's own device in Home Assistant: "LG ThinQ bridge", with diagnostics.
//!
//! Every appliance points at it with `via_device`, so Home Assistant shows the hierarchy, and
//! its sensors answer the first question a user asks when something looks stale: is the add-on
//! still connected to LG's push channel, and how many appliances does it see?

use crate::hass::DiscoveryContext;
use crate::hass::topics::BRIDGE_ID;
use crate::labels::{Labels, Language};
use serde_json::{Value, json};

/// The topic of the bridge's own state JSON (`{"lg_push": "ON", "devices": 12}`).
pub fn state_topic(ctx: &DiscoveryContext) -> String {
    format!("{}/bridge/state", ctx.topics.base)
}

/// The device-based discovery payload of the bridge device.
pub fn discovery_payload(ctx: &DiscoveryContext) -> Value {
    let state = state_topic(ctx);
    // Names in the `language` option's words; keys and ids never change with it.
    let labels = Labels::embedded(Language::current());
    json!({
        "dev": {
            "ids": [BRIDGE_ID],
            "name": labels.name("LG ThinQ bridge"),
            "mf": "thinq-addon",
            "mdl": "ThinQ Connect bridge",
            "sw": ctx.sw_version,
        },
        "o": {
            "name": "thinq-addon",
            "sw": ctx.sw_version,
            "url": "https://github.com/thinq-addon/thinq-addon",
        },
        "avty_t": ctx.topics.bridge_availability(),
        "stat_t": state,
        "cmps": {
            "lg_push": {
                "p": "binary_sensor",
                "uniq_id": format!("{BRIDGE_ID}_lg_push"),
                "name": labels.name("LG push connection"),
                "dev_cla": "connectivity",
                "ent_cat": "diagnostic",
                "val_tpl": "{{ value_json.lg_push }}",
            },
            "devices": {
                "p": "sensor",
                "uniq_id": format!("{BRIDGE_ID}_devices"),
                "name": labels.name("Appliances"),
                "ic": "mdi:washing-machine",
                "ent_cat": "diagnostic",
                "stat_cla": "measurement",
                "val_tpl": "{{ value_json.devices }}",
            },
            "last_error": {
                "p": "sensor",
                "uniq_id": format!("{BRIDGE_ID}_last_error"),
                "name": labels.name("Last error"),
                "ic": "mdi:alert-circle-outline",
                "ent_cat": "diagnostic",
                "val_tpl": "{{ value_json.last_error }}",
            },
            "problem": {
                "p": "binary_sensor",
                "uniq_id": format!("{BRIDGE_ID}_problem"),
                "name": labels.name("Problem"),
                "dev_cla": "problem",
                "val_tpl": "{{ value_json.problem }}",
                "json_attr_t": state,
                "json_attr_tpl": "{{ {'reason': value_json.problem_reason} | tojson }}",
            },
            "problem_reason": {
                "p": "sensor",
                "uniq_id": format!("{BRIDGE_ID}_problem_reason"),
                "name": labels.name("Problem reason"),
                "ic": "mdi:alert",
                "ent_cat": "diagnostic",
                "val_tpl": "{{ value_json.problem_reason }}",
            },
            "api_calls": {
                "p": "sensor",
                "uniq_id": format!("{BRIDGE_ID}_api_calls"),
                "name": labels.name("LG API calls in the last hour"),
                "ic": "mdi:api",
                "ent_cat": "diagnostic",
                "stat_cla": "measurement",
                "unit_of_meas": "calls",
                "val_tpl": "{{ value_json.api_calls }}",
            },
            "api_waiting": {
                "p": "sensor",
                "uniq_id": format!("{BRIDGE_ID}_api_waiting"),
                "name": labels.name("LG API calls waiting"),
                "ic": "mdi:timer-sand",
                "ent_cat": "diagnostic",
                "stat_cla": "measurement",
                "unit_of_meas": "calls",
                "val_tpl": "{{ value_json.api_waiting }}",
                "json_attr_t": state,
                "json_attr_tpl": "{{ {'rate_limited_for_s': value_json.rate_limited_for_s, 'devices_waiting': value_json.devices_waiting, 'messages_waiting': value_json.messages_waiting} | tojson }}",
            },
        },
    })
}

/// What the bridge device shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BridgeStatus {
    pub lg_push: bool,
    pub devices: usize,
    /// Listed by LG but not shown yet (profile read pending or failing).
    pub devices_waiting: usize,
    pub last_error: String,
    pub calls_last_hour: usize,
    pub calls_waiting: usize,
    /// Seconds until LG's rate-limit pause ends.
    pub rate_limited_for: Option<u64>,
    /// Why the bridge cannot work as it should (token rejected, another client with our id).
    pub problem: Option<String>,
    /// Messages waiting for the Home Assistant broker.
    pub messages_waiting: usize,
}

/// The bridge state JSON.
pub fn state_payload(status: &BridgeStatus) -> Value {
    let last_error = if status.last_error.is_empty() {
        "none"
    } else {
        status.last_error.as_str()
    };
    json!({
        "lg_push": if status.lg_push { "ON" } else { "OFF" },
        "devices": status.devices,
        "devices_waiting": status.devices_waiting,
        "last_error": last_error,
        "problem": if status.problem.is_some() { "ON" } else { "OFF" },
        "problem_reason": status.problem.as_deref().unwrap_or("none"),
        "api_calls": status.calls_last_hour,
        "api_waiting": status.calls_waiting,
        "rate_limited_for_s": status.rate_limited_for.unwrap_or(0),
        "messages_waiting": status.messages_waiting,
    })
}
