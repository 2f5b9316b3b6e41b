//! The bridge's own device in Home Assistant: "LG ThinQ bridge", with diagnostics.
//!
//! Every appliance points at it with `via_device`, so Home Assistant shows the hierarchy, and
//! its sensors answer the first question a user asks when something looks stale: is the add-on
//! still connected to LG's push channel, and how many appliances does it see?

use crate::hass::DiscoveryContext;
use crate::hass::topics::BRIDGE_ID;
use serde_json::{Value, json};

/// The topic of the bridge's own state JSON (`{"lg_push": "ON", "devices": 12}`).
pub fn state_topic(ctx: &DiscoveryContext) -> String {
    format!("{}/bridge/state", ctx.topics.base)
}

/// The device-based discovery payload of the bridge device.
pub fn discovery_payload(ctx: &DiscoveryContext) -> Value {
    let state = state_topic(ctx);
    json!({
        "dev": {
            "ids": [BRIDGE_ID],
            "name": "LG ThinQ bridge",
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
                "name": "LG push connection",
                "dev_cla": "connectivity",
                "ent_cat": "diagnostic",
                "val_tpl": "{{ value_json.lg_push }}",
            },
            "devices": {
                "p": "sensor",
                "uniq_id": format!("{BRIDGE_ID}_devices"),
                "name": "Appliances",
                "ic": "mdi:washing-machine",
                "ent_cat": "diagnostic",
                "stat_cla": "measurement",
                "val_tpl": "{{ value_json.devices }}",
            },
            "last_error": {
                "p": "sensor",
                "uniq_id": format!("{BRIDGE_ID}_last_error"),
                "name": "Last error",
                "ic": "mdi:alert-circle-outline",
                "ent_cat": "diagnostic",
                "val_tpl": "{{ value_json.last_error }}",
            },
        },
    })
}

/// The bridge state JSON.
pub fn state_payload(lg_push: bool, devices: usize, last_error: &str) -> Value {
    json!({
        "lg_push": if lg_push { "ON" } else { "OFF" },
        "devices": devices,
        "last_error": if last_error.is_empty() { "none" } else { last_error },
    })
}
