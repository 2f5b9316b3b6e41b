//! Appliance energy in Home Assistant: discovery and state messages built from the energy
//! tracker's output ([`crate::energy`]), ready to publish (all retained).
//!
//! Energy entities are not built from the device profile (LG keeps energy apart, behind its
//! own endpoints), so each appliance with energy gets a **second** device-based discovery
//! payload, `<prefix>/device/thinq_<device>_energy/config`, with the same `dev.ids` as its
//! main payload: Home Assistant puts the entities on the same device, and energy can come and
//! go (a device LG says has none) without touching the profile entities.
//!
//! Per energy property three sensors, each on its own plain-value topic
//! (`<base>/<device>/<key>/state`):
//!
//! * `energy_total` — `total_increasing`, kWh, `device_class: energy`: the one for the Energy
//!   dashboard. It never goes back (the tracker sees to that), so Home Assistant never reads
//!   a reset into it.
//! * `energy_today` and `energy_this_month` — also `total_increasing`: each only grows within
//!   its day or month and falls to zero when the next one starts, which is exactly the
//!   "periodically restarts from 0" meter that state class describes (reference
//!   `ha-addon.md` §2: `last_reset` would need a JSON state topic, which one-value topics do
//!   not have).
//!
//! WashTower and main WashCombo properties (`energyUsage_washer`, `_dryer`, `_washerDryer`)
//! take the same `washer_` / `dryer_` key prefixes as that appliance's profile entities, so
//! each figure sits with its part; a suffix LG adds later gets the same treatment.
//!
//! The bridge device gets a "Refresh energy" button and an "Energy access" diagnostic text
//! that says when the token may not read energy.

use serde_json::{Map, json};

use super::DiscoveryContext;
use super::discovery::{device_block, origin_block};
use super::entities::common::{humanize, prefixed_name, unique_id};
use super::topics::{BRIDGE_ID, Topics};
use crate::energy::{EnergyUpdate, EnergyValues, SCOPE_MISSING_TEXT};
use crate::labels::{Labels, Language};
use crate::thinq::DeviceSummary;

/// The property every single-part appliance has.
pub const MAIN_PROPERTY: &str = "energyUsage";
/// The key of the bridge's refresh button (its command: `<base>/bridge/refresh_energy/press/set`).
pub const REFRESH_KEY: &str = "refresh_energy";
/// The command feature of the refresh button.
pub const REFRESH_FEATURE: &str = "press";
/// The key of the bridge's energy access text.
pub const ACCESS_KEY: &str = "energy_access";
/// What the energy access text says while all is well.
pub const ACCESS_OK: &str = "ok";

/// Names of the known property suffixes; others are humanized.
const PART_NAMES: &[(&str, &str)] = &[
    ("washer", "Washer"),
    ("dryer", "Dryer"),
    ("washerDryer", "Washer and dryer"),
];

/// The three figures of a property: key suffix, name suffix.
const FIGURES: [(&str, &str); 3] = [
    ("energy_total", "energy"),
    ("energy_today", "energy today"),
    ("energy_this_month", "energy this month"),
];

/// `(key prefix, name prefix)` of an energy property: `("", "")` for `energyUsage`,
/// `("dryer_", "Dryer ")` for `energyUsage_dryer`; a name of another form keeps all of it.
pub fn property_part(property: &str) -> (String, String) {
    if property == MAIN_PROPERTY {
        return (String::new(), String::new());
    }
    let suffix = property
        .strip_prefix(MAIN_PROPERTY)
        .and_then(|s| s.strip_prefix('_'))
        .unwrap_or(property);
    if snake(suffix).is_empty() {
        return (String::new(), String::new());
    }
    let name = PART_NAMES
        .iter()
        .find(|(lg, _)| *lg == suffix)
        .map_or_else(|| humanize(suffix), |(_, name)| (*name).to_owned());
    (format!("{}_", snake(suffix)), format!("{name} "))
}

/// The discovery topic of a device's energy entities.
pub fn discovery_topic(ctx: &DiscoveryContext, device_id: &str) -> String {
    format!(
        "{}/device/thinq_{}_energy/config",
        ctx.topics.discovery_prefix,
        Topics::object_id(device_id)
    )
}

/// The plain-value state topic of one figure (`<base>/<device>/<key>/state`).
pub fn state_topic(ctx: &DiscoveryContext, device_id: &str, key: &str) -> String {
    format!(
        "{}/{}/{key}/state",
        ctx.topics.base,
        Topics::object_id(device_id)
    )
}

/// The energy discovery message of a device with `properties` (retained).
pub fn device_discovery(
    ctx: &DiscoveryContext,
    device: &DeviceSummary,
    properties: &[String],
) -> (String, String) {
    let device_id = device.device_id.as_str();
    let labels = Labels::embedded(Language::current());
    let mut cmps = Map::new();
    for property in properties {
        let (key_prefix, name_prefix) = property_part(property);
        for (key, name) in FIGURES {
            let key = format!("{key_prefix}{key}");
            let name = prefixed_name(
                &labels.name(name_prefix.trim_end()),
                &labels.name(&capitalize(name)),
            );
            cmps.insert(
                key.clone(),
                json!({
                    "p": "sensor",
                    "uniq_id": unique_id(device_id, &key),
                    "name": name,
                    "dev_cla": "energy",
                    "unit_of_meas": "kWh",
                    "stat_cla": "total_increasing",
                    "sug_dsp_prc": 2,
                    "stat_t": state_topic(ctx, device_id, &key),
                }),
            );
        }
    }
    let payload = json!({
        "dev": device_block(device, labels),
        "o": origin_block(ctx),
        // Energy comes from LG's cloud, not from the appliance: only the bridge matters.
        "avty_t": ctx.topics.bridge_availability(),
        "cmps": cmps,
    });
    (discovery_topic(ctx, device_id), payload.to_string())
}

/// Removes a device's energy entities (an empty retained discovery payload): for a device
/// LG says has no energy, in case an earlier run published some.
pub fn device_removal(ctx: &DiscoveryContext, device_id: &str) -> (String, String) {
    (discovery_topic(ctx, device_id), String::new())
}

/// The three state messages of one property (retained, plain numbers in kWh).
pub fn state_messages(ctx: &DiscoveryContext, values: &EnergyValues) -> Vec<(String, String)> {
    let (key_prefix, _) = property_part(&values.property);
    FIGURES
        .iter()
        .zip([values.total_kwh, values.today_kwh, values.month_kwh])
        .map(|((key, _), kwh)| {
            (
                state_topic(ctx, &values.device_id, &format!("{key_prefix}{key}")),
                kwh.to_string(),
            )
        })
        .collect()
}

/// The bridge device's energy entities: "Refresh energy" and "Energy access" (retained).
/// Same `dev.ids` as the bridge's own payload, so they join that device.
pub fn bridge_discovery(ctx: &DiscoveryContext) -> (String, String) {
    let labels = Labels::embedded(Language::current());
    let payload = json!({
        "dev": {"ids": [BRIDGE_ID], "name": labels.name("LG ThinQ bridge")},
        "o": origin_block(ctx),
        "avty_t": ctx.topics.bridge_availability(),
        "cmps": {
            REFRESH_KEY: {
                "p": "button",
                "uniq_id": format!("{BRIDGE_ID}_{REFRESH_KEY}"),
                "name": labels.name("Refresh energy"),
                "ic": "mdi:lightning-bolt-circle",
                "cmd_t": refresh_command_topic(ctx),
            },
            ACCESS_KEY: {
                "p": "sensor",
                "uniq_id": format!("{BRIDGE_ID}_{ACCESS_KEY}"),
                "name": labels.name("Energy access"),
                "ic": "mdi:lightning-bolt",
                "ent_cat": "diagnostic",
                "stat_t": format!("{}/bridge/{ACCESS_KEY}/state", ctx.topics.base),
            },
        },
    });
    (
        format!(
            "{}/device/{BRIDGE_ID}_energy/config",
            ctx.topics.discovery_prefix
        ),
        payload.to_string(),
    )
}

/// Where Home Assistant sends a press of "Refresh energy". It matches the command filter
/// `<base>/+/+/+/set` the session subscribes to already.
pub fn refresh_command_topic(ctx: &DiscoveryContext) -> String {
    format!(
        "{}/bridge/{REFRESH_KEY}/{REFRESH_FEATURE}/set",
        ctx.topics.base
    )
}

/// Whether `topic` is a press of "Refresh energy".
pub fn is_refresh_command(ctx: &DiscoveryContext, topic: &str) -> bool {
    topic == refresh_command_topic(ctx)
}

/// The "Energy access" state (retained): [`ACCESS_OK`], or what the user must do.
pub fn access_state(ctx: &DiscoveryContext, scope_missing: bool) -> (String, String) {
    let text = if scope_missing {
        SCOPE_MISSING_TEXT
    } else {
        ACCESS_OK
    };
    (
        format!("{}/bridge/{ACCESS_KEY}/state", ctx.topics.base),
        text.to_owned(),
    )
}

/// The messages (all retained) for one tracker update. `device` is the appliance's list
/// entry, needed for a discovery payload; without it a `Supported` update gives nothing
/// (the device left the account meanwhile).
pub fn update_messages(
    ctx: &DiscoveryContext,
    update: &EnergyUpdate,
    device: Option<&DeviceSummary>,
) -> Vec<(String, String)> {
    match update {
        EnergyUpdate::Supported { properties, .. } => device
            .map(|device| vec![device_discovery(ctx, device, properties)])
            .unwrap_or_default(),
        EnergyUpdate::Unsupported { device_id } => vec![device_removal(ctx, device_id)],
        EnergyUpdate::Values(values) => state_messages(ctx, values),
        EnergyUpdate::ScopeMissing => vec![access_state(ctx, true)],
    }
}

/// `washerDryer` → `washer_dryer`; anything outside `[a-z0-9_]` becomes `_`.
fn snake(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hass::discovery::{check_device_payload, device_identifier};
    use crate::thinq::DeviceInfo;
    use serde_json::Value;

    fn ctx() -> DiscoveryContext {
        DiscoveryContext {
            topics: Topics::new("homeassistant", "thinq"),
            sw_version: "test".into(),
        }
    }

    fn tower() -> DeviceSummary {
        DeviceSummary {
            device_id: "tower-1".into(),
            device_info: DeviceInfo {
                device_type: "DEVICE_WASHTOWER".into(),
                model_name: "WKEX300HBA_WT".into(),
                alias: "Laundry tower".into(),
                reportable: true,
                group_id: None,
            },
        }
    }

    #[test]
    fn property_parts() {
        assert_eq!(property_part("energyUsage"), (String::new(), String::new()));
        assert_eq!(
            property_part("energyUsage_washer"),
            ("washer_".into(), "Washer ".into())
        );
        assert_eq!(
            property_part("energyUsage_washerDryer"),
            ("washer_dryer_".into(), "Washer and dryer ".into())
        );
        assert_eq!(property_part("energyUsage_").0, "");
        assert_eq!(property_part("energyUsage_heatPump").0, "heat_pump_");
        assert_eq!(
            property_part("standbyPower"),
            ("standby_power_".into(), "Standby power ".into())
        );
    }

    #[test]
    fn washtower_discovery_passes_the_schema_rules() {
        let ctx = ctx();
        let properties: Vec<String> = [
            "energyUsage_washer",
            "energyUsage_dryer",
            "energyUsage_washerDryer",
        ]
        .map(String::from)
        .to_vec();
        let (topic, payload) = device_discovery(&ctx, &tower(), &properties);
        assert_eq!(topic, "homeassistant/device/thinq_tower-1_energy/config");
        let payload: Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(check_device_payload(&payload), Vec::<String>::new());
        assert_eq!(payload["dev"]["ids"][0], device_identifier("tower-1"));
        let cmps = payload["cmps"].as_object().unwrap();
        assert_eq!(cmps.len(), 9);
        let dryer = &cmps["dryer_energy_total"];
        assert_eq!(dryer["name"], "Dryer energy");
        assert_eq!(dryer["uniq_id"], "thinq_tower-1_dryer_energy_total");
        assert_eq!(dryer["stat_cla"], "total_increasing");
        assert_eq!(dryer["unit_of_meas"], "kWh");
        assert_eq!(dryer["dev_cla"], "energy");
        assert_eq!(dryer["stat_t"], "thinq/tower-1/dryer_energy_total/state");
        assert_eq!(cmps["washer_energy_today"]["name"], "Washer energy today");
        assert_eq!(
            cmps["washer_dryer_energy_this_month"]["name"],
            "Washer and dryer energy this month"
        );
    }

    #[test]
    fn states_are_plain_numbers_on_their_own_topics() {
        let values = EnergyValues {
            device_id: "tower-1".into(),
            property: "energyUsage_dryer".into(),
            total_kwh: 12.345,
            today_kwh: 0.5,
            month_kwh: 3.0,
        };
        assert_eq!(
            state_messages(&ctx(), &values),
            vec![
                (
                    "thinq/tower-1/dryer_energy_total/state".into(),
                    "12.345".into()
                ),
                (
                    "thinq/tower-1/dryer_energy_today/state".into(),
                    "0.5".into()
                ),
                (
                    "thinq/tower-1/dryer_energy_this_month/state".into(),
                    "3".into()
                ),
            ]
        );
    }

    #[test]
    fn the_bridge_gets_a_refresh_button_and_an_access_text() {
        let ctx = ctx();
        let (topic, payload) = bridge_discovery(&ctx);
        assert_eq!(topic, "homeassistant/device/thinq_bridge_energy/config");
        let payload: Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(check_device_payload(&payload), Vec::<String>::new());
        let command = refresh_command_topic(&ctx);
        assert_eq!(payload["cmps"][REFRESH_KEY]["cmd_t"], command.as_str());
        // The session's one command subscription covers it.
        let parsed = ctx.topics.parse_command(&command).unwrap();
        assert_eq!(
            (
                parsed.device.as_str(),
                parsed.entity.as_str(),
                parsed.feature.as_str()
            ),
            ("bridge", REFRESH_KEY, REFRESH_FEATURE)
        );
        assert!(is_refresh_command(&ctx, &command));
        assert!(!is_refresh_command(&ctx, "thinq/bridge/other/press/set"));
        assert_eq!(access_state(&ctx, false).1, "ok");
        let (topic, text) = access_state(&ctx, true);
        assert_eq!(topic, "thinq/bridge/energy_access/state");
        assert!(text.contains("1309") && text.len() <= 255, "{text}");
        assert_eq!(device_removal(&ctx, "tower-1").1, "");
    }

    #[test]
    fn each_update_has_its_messages() {
        let ctx = ctx();
        let supported = EnergyUpdate::Supported {
            device_id: "tower-1".into(),
            properties: vec!["energyUsage_washer".into()],
        };
        let messages = update_messages(&ctx, &supported, Some(&tower()));
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].0, discovery_topic(&ctx, "tower-1"));
        assert!(update_messages(&ctx, &supported, None).is_empty());
        let gone = EnergyUpdate::Unsupported {
            device_id: "oven".into(),
        };
        assert_eq!(
            update_messages(&ctx, &gone, None),
            vec![(
                "homeassistant/device/thinq_oven_energy/config".into(),
                String::new()
            )]
        );
        let scope = update_messages(&ctx, &EnergyUpdate::ScopeMissing, None);
        assert_eq!(scope, vec![access_state(&ctx, true)]);
    }
}
