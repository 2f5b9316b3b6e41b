//! The appliances the simulated account holds.
//!
//! They are the real-shaped fixtures in `tests/fixtures/`, embedded in the binary so that
//! `thinq-addon demo` needs no files: the eleven Home Assistant test devices, plus a few of
//! LG's developer-site examples (refrigerator, water heater, dish washer, robot cleaner,
//! washtower) for which the list entry (`device.json`) is made up here, since LG publishes
//! only their profile and state.

use serde_json::Value;

use crate::thinq::{DeviceInfo, DeviceSummary};

/// One appliance: its entry in `GET /devices`, its profile and its current state.
#[derive(Debug, Clone, PartialEq)]
pub struct SimDevice {
    pub summary: DeviceSummary,
    pub profile: Value,
    pub state: Value,
}

/// The air conditioner whose room temperature drifts in the demo.
pub const AIR_CONDITIONER_ID: &str = "MW2-2E247F93-B570-46A6-B827-920E9E10F966";
/// The washer that runs cycles in the demo.
pub const WASHER_ID: &str = "MW2-0B530EFD-1ADF-4F54-A2C3-46C37F94C689";
/// The refrigerator whose door opens and closes in the demo (made-up id).
pub const REFRIGERATOR_ID: &str = "MW2-7A1C9E42-3B8D-4F61-A5C2-9D0E4B7F1A36";
/// The hood's own id. Home Assistant's hood fixture reuses the air conditioner's device id
/// (`MW2-2E247F93-…-920E9E10F966`), which cannot happen on a real account and would make
/// two appliances collide; the simulator gives the hood this id instead.
pub const HOOD_ID: &str = "MW2-8C6B0D1E-47A2-4F3B-9E55-3D2A1C0B9F84";

/// Embeds one Home Assistant fixture folder.
macro_rules! ha_fixture {
    ($dir:literal) => {
        (
            include_str!(concat!("../../tests/fixtures/", $dir, "/device.json")),
            include_str!(concat!("../../tests/fixtures/", $dir, "/profile.json")),
            include_str!(concat!("../../tests/fixtures/", $dir, "/status.json")),
        )
    };
}

/// Embeds one LG developer-site example (profile and state only).
macro_rules! lg_example {
    ($dir:literal) => {
        (
            include_str!(concat!(
                "../../tests/fixtures/lg-developer/",
                $dir,
                "/profile.json"
            )),
            include_str!(concat!(
                "../../tests/fixtures/lg-developer/",
                $dir,
                "/status.json"
            )),
        )
    };
}

const HA_FIXTURES: [(&str, &str, &str); 11] = [
    ha_fixture!("air_conditioner"),
    ha_fixture!("air_conditioner1"),
    ha_fixture!("air_conditioner2"),
    ha_fixture!("air_conditioner_step"),
    ha_fixture!("air_purifier"),
    ha_fixture!("dehumidifier"),
    ha_fixture!("hood"),
    ha_fixture!("kimchi_refrigerator"),
    ha_fixture!("oven"),
    ha_fixture!("washer"),
    ha_fixture!("washtower_dryer"),
];

/// An LG example with a made-up but realistic list entry.
struct LgExample {
    id: &'static str,
    device_type: &'static str,
    model: &'static str,
    alias: &'static str,
    /// (profile, state) JSON.
    documents: (&'static str, &'static str),
}

const LG_EXAMPLES: [LgExample; 5] = [
    LgExample {
        id: REFRIGERATOR_ID,
        device_type: "DEVICE_REFRIGERATOR",
        model: "GBB92STAXP_WIFI",
        alias: "Kitchen refrigerator",
        documents: lg_example!("refrigerator"),
    },
    LgExample {
        id: "TQS-51D0A6C3-2E8B-4C7F-B1A9-6F3E2D8C4B05",
        device_type: "DEVICE_WATER_HEATER",
        model: "APHWC501M_HP",
        alias: "Water heater",
        documents: lg_example!("water_heater"),
    },
    LgExample {
        id: "MW2-3F9B6E21-C04D-4A8E-8B7F-12E5D9A3C6F0",
        device_type: "DEVICE_DISH_WASHER",
        model: "DF425HSS_WIFI",
        alias: "Dish washer",
        documents: lg_example!("dish_washer"),
    },
    LgExample {
        id: "MW2-6D2E8A14-97B3-4C5F-A0E1-7B4C3D2F8E19",
        device_type: "DEVICE_ROBOT_CLEANER",
        model: "R9MASTER_WIFI",
        alias: "Robot cleaner",
        documents: lg_example!("robot_cleaner"),
    },
    LgExample {
        id: "d5e2a9c4f0b1873e6a4c2d9f8b7e1a3c5d6f0e9b8a7c6d5e4f3a2b1c0d9e8f7a",
        device_type: "DEVICE_WASHTOWER",
        model: "WKEX300HBA_WT",
        alias: "Laundry tower",
        documents: lg_example!("washtower"),
    },
];

impl SimDevice {
    /// Every fixture device, with unique ids (see [`HOOD_ID`]).
    pub fn fixture_set() -> Vec<SimDevice> {
        let mut devices = Vec::with_capacity(HA_FIXTURES.len() + LG_EXAMPLES.len());
        for (device, profile, state) in HA_FIXTURES {
            let mut summary: DeviceSummary =
                serde_json::from_str(device).expect("embedded fixture device.json is valid");
            if summary.device_info.device_type == "DEVICE_HOOD" {
                summary.device_id = HOOD_ID.to_owned();
            }
            devices.push(SimDevice {
                summary,
                profile: parse_embedded(profile),
                state: parse_embedded(state),
            });
        }
        for example in LG_EXAMPLES {
            let (profile, state) = example.documents;
            devices.push(SimDevice {
                summary: DeviceSummary {
                    device_id: example.id.to_owned(),
                    device_info: DeviceInfo {
                        device_type: example.device_type.to_owned(),
                        model_name: example.model.to_owned(),
                        alias: example.alias.to_owned(),
                        reportable: true,
                        group_id: None,
                    },
                },
                profile: parse_embedded(profile),
                state: parse_embedded(state),
            });
        }
        devices
    }

    /// The device id (shorthand for `summary.device_id`).
    pub fn id(&self) -> &str {
        &self.summary.device_id
    }

    /// The device type (shorthand for `summary.device_info.device_type`).
    pub fn device_type(&self) -> &str {
        &self.summary.device_info.device_type
    }
}

/// The fixtures are compiled in and checked by the tests below, so a parse failure is a
/// build defect, not input from the network.
fn parse_embedded(text: &str) -> Value {
    serde_json::from_str(text).expect("embedded fixture JSON is valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_the_hood_has_its_own() {
        let devices = SimDevice::fixture_set();
        assert_eq!(devices.len(), 16);
        let ids: HashSet<&str> = devices.iter().map(|d| d.id()).collect();
        assert_eq!(ids.len(), devices.len());
        let hood = devices
            .iter()
            .find(|d| d.device_type() == "DEVICE_HOOD")
            .expect("hood");
        assert_eq!(hood.id(), HOOD_ID);
        for id in [AIR_CONDITIONER_ID, WASHER_ID, REFRIGERATOR_ID] {
            assert!(ids.contains(id), "{id}");
        }
    }

    #[test]
    fn every_device_has_a_profile_and_a_state() {
        for device in SimDevice::fixture_set() {
            assert!(device.profile.is_object(), "{}", device.id());
            assert!(
                device.state.is_object() || device.state.is_array(),
                "{}",
                device.id()
            );
        }
    }
}
