//! The bridge's own device in Home Assistant: "LG ThinQ bridge", with diagnostics.
//!
//! Every appliance points at it with `via_device`, so Home Assistant shows the hierarchy, and
//! its sensors answer the first question a user asks when something looks stale: is the add-on
//! still connected to LG's push channel, and how many appliances does it see?

use crate::hass::DiscoveryContext;
use crate::hass::topics::BRIDGE_ID;
use crate::labels::{Labels, Language};
use serde_json::{Value, json};

/// The topic of the bridge's own state JSON (`{"lg_push": "ON", "devices": 12}`), kept for
/// tools and scripts. Home Assistant's entities read their own plain topics instead
/// ([`value_topic`]), so a change of one figure costs it no template work.
pub fn state_topic(ctx: &DiscoveryContext) -> String {
    format!("{}/bridge/state", ctx.topics.base)
}

/// The plain-value topic of one bridge entity (`thinq/bridge/api_calls/state`).
pub fn value_topic(ctx: &DiscoveryContext, key: &str) -> String {
    format!("{}/bridge/{key}/state", ctx.topics.base)
}

/// The JSON attributes topic of one bridge entity.
pub fn attributes_topic(ctx: &DiscoveryContext, key: &str) -> String {
    format!("{}/bridge/{key}/attributes", ctx.topics.base)
}

/// The device-based discovery payload of the bridge device.
pub fn discovery_payload(ctx: &DiscoveryContext) -> Value {
    let value = |key: &str| value_topic(ctx, key);
    let attributes = |key: &str| attributes_topic(ctx, key);
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
        "cmps": {
            "lg_push": {
                "p": "binary_sensor",
                "uniq_id": format!("{BRIDGE_ID}_lg_push"),
                "name": labels.name("LG push connection"),
                "dev_cla": "connectivity",
                "ent_cat": "diagnostic",
                "stat_t": value("lg_push"),
            },
            "devices": {
                "p": "sensor",
                "uniq_id": format!("{BRIDGE_ID}_devices"),
                "name": labels.name("Appliances"),
                "ic": "mdi:washing-machine",
                "ent_cat": "diagnostic",
                "stat_cla": "measurement",
                "stat_t": value("devices"),
            },
            "devices_ready": {
                "p": "sensor",
                "uniq_id": format!("{BRIDGE_ID}_devices_ready"),
                "name": labels.name("Appliances ready"),
                "ic": "mdi:check-all",
                "ent_cat": "diagnostic",
                "stat_cla": "measurement",
                "stat_t": value("devices_ready"),
                "json_attr_t": attributes("devices_ready"),
            },
            "last_error": {
                "p": "sensor",
                "uniq_id": format!("{BRIDGE_ID}_last_error"),
                "name": labels.name("Last error"),
                "ic": "mdi:alert-circle-outline",
                "ent_cat": "diagnostic",
                "stat_t": value("last_error"),
            },
            "problem": {
                "p": "binary_sensor",
                "uniq_id": format!("{BRIDGE_ID}_problem"),
                "name": labels.name("Problem"),
                "dev_cla": "problem",
                "stat_t": value("problem"),
                "json_attr_t": attributes("problem"),
            },
            "problem_reason": {
                "p": "sensor",
                "uniq_id": format!("{BRIDGE_ID}_problem_reason"),
                "name": labels.name("Problem reason"),
                "ic": "mdi:alert",
                "ent_cat": "diagnostic",
                "stat_t": value("problem_reason"),
            },
            "api_calls": {
                "p": "sensor",
                "uniq_id": format!("{BRIDGE_ID}_api_calls"),
                "name": labels.name("LG API calls in the last hour"),
                "ic": "mdi:api",
                "ent_cat": "diagnostic",
                "stat_cla": "measurement",
                "unit_of_meas": "calls",
                "stat_t": value("api_calls"),
            },
            "api_waiting": {
                "p": "sensor",
                "uniq_id": format!("{BRIDGE_ID}_api_waiting"),
                "name": labels.name("LG API calls waiting"),
                "ic": "mdi:timer-sand",
                "ent_cat": "diagnostic",
                "stat_cla": "measurement",
                "unit_of_meas": "calls",
                "stat_t": value("api_waiting"),
                "json_attr_t": attributes("api_waiting"),
            },
            "api_limit": {
                "p": "sensor",
                "uniq_id": format!("{BRIDGE_ID}_api_limit"),
                "name": labels.name("LG API call limit per hour"),
                "ic": "mdi:speedometer",
                "ent_cat": "diagnostic",
                "stat_cla": "measurement",
                "unit_of_meas": "calls",
                "stat_t": value("api_limit"),
            },
            "api_waits_for": {
                "p": "sensor",
                "uniq_id": format!("{BRIDGE_ID}_api_waits_for"),
                "name": labels.name("LG API calls wait for"),
                "ic": "mdi:timer-sand-paused",
                "ent_cat": "diagnostic",
                "stat_t": value("api_waits_for"),
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
    /// Shown with their values and kept live by LG's pushes.
    pub devices_ready: usize,
    pub last_error: String,
    pub calls_last_hour: usize,
    /// The hourly limit the bridge keeps to, learned from LG's answers.
    pub hourly_limit: usize,
    pub calls_waiting: usize,
    /// Waiting calls by class: making appliances ready, upkeep, periodic.
    pub calls_waiting_by_class: [usize; 3],
    /// What the waiting calls wait for, in words.
    pub calls_wait_for: String,
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
        "devices_ready": status.devices_ready,
        "last_error": last_error,
        "problem": if status.problem.is_some() { "ON" } else { "OFF" },
        "problem_reason": status.problem.as_deref().unwrap_or("none"),
        "api_calls": status.calls_last_hour,
        "api_waiting": status.calls_waiting,
        "api_limit": status.hourly_limit,
        "api_waits_for": if status.calls_wait_for.is_empty() { "nothing" } else { status.calls_wait_for.as_str() },
        "rate_limited_for_s": status.rate_limited_for.unwrap_or(0),
        "messages_waiting": status.messages_waiting,
    })
}

/// Every plain value and attribute set of the bridge's entities as `(topic, payload)`: the
/// publisher sends only those that changed since the last time.
pub fn value_messages(ctx: &DiscoveryContext, status: &BridgeStatus) -> Vec<(String, String)> {
    let state = state_payload(status);
    let plain = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out: Vec<(String, String)> = [
        "lg_push",
        "devices",
        "last_error",
        "problem",
        "problem_reason",
        "api_calls",
        "api_waiting",
        "devices_ready",
        "api_limit",
        "api_waits_for",
    ]
    .into_iter()
    .map(|key| (value_topic(ctx, key), plain(&state[key])))
    .collect();
    out.push((
        attributes_topic(ctx, "problem"),
        json!({"reason": state["problem_reason"]}).to_string(),
    ));
    out.push((
        attributes_topic(ctx, "api_waiting"),
        json!({
            "rate_limited_for_s": state["rate_limited_for_s"],
            "devices_waiting": state["devices_waiting"],
            "messages_waiting": state["messages_waiting"],
            "for_appliances_to_be_ready": status.calls_waiting_by_class[0],
            "for_upkeep": status.calls_waiting_by_class[1],
            "periodic": status.calls_waiting_by_class[2],
        })
        .to_string(),
    ));
    out.push((
        attributes_topic(ctx, "devices_ready"),
        json!({"appliances": status.devices + status.devices_waiting}).to_string(),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hass::topics::Topics;

    fn ctx() -> DiscoveryContext {
        DiscoveryContext {
            topics: Topics::new("homeassistant", "thinq"),
            sw_version: "test".to_owned(),
        }
    }

    #[test]
    fn every_entity_reads_a_plain_topic_the_bridge_publishes_and_no_template() {
        let ctx = ctx();
        let status = BridgeStatus {
            lg_push: true,
            devices: 3,
            calls_last_hour: 7,
            problem: Some("token rejected".to_owned()),
            ..BridgeStatus::default()
        };
        let published: std::collections::BTreeMap<String, String> =
            value_messages(&ctx, &status).into_iter().collect();
        let payload = discovery_payload(&ctx);
        for (key, component) in payload["cmps"].as_object().expect("cmps") {
            let options = component.as_object().expect("component");
            assert!(
                options.keys().all(|k| !k.ends_with("_tpl")),
                "{key} has a template"
            );
            let topic = component["stat_t"].as_str().expect("stat_t");
            assert!(
                published.contains_key(topic),
                "{key}: {topic} never published"
            );
            if let Some(attributes) = component["json_attr_t"].as_str() {
                let json: Value = serde_json::from_str(&published[attributes]).expect("JSON");
                assert!(json.is_object(), "{key} attributes");
            }
        }
        assert_eq!(published["thinq/bridge/lg_push/state"], "ON");
        assert_eq!(published["thinq/bridge/devices/state"], "3");
        assert_eq!(published["thinq/bridge/api_calls/state"], "7");
        assert_eq!(published["thinq/bridge/problem/state"], "ON");
        assert_eq!(
            published["thinq/bridge/problem/attributes"],
            r#"{"reason":"token rejected"}"#
        );
    }
}
