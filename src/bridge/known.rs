//! What the bridge remembers between runs, in `known-devices.json` and `thinq-route.json`.
//!
//! * The devices of the last run, with their profiles: a device removed from the account
//!   while the add-on was stopped is removed from Home Assistant at the next start (nobody
//!   sends a `DEVICE_UNREGISTERED` for it), and a restart needs no profile reads — profiles
//!   are re-read daily instead, which keeps a restart at about one call per device.
//! * LG's energy answer per device (its energy properties, or none: `result: {}`, 406,
//!   1221…): it does not change from one start to the next, so a restart does not ask it
//!   again while it is younger than [`ENERGY_TRUSTED`]. With the profiles, this keeps a
//!   restart with stored credentials at one call per device and four for the account.
//! * LG's route (the push broker's address): it does not change from one start to the next;
//!   it is re-read daily, and when the push broker cannot be reached for a few minutes.

use crate::thinq::DeviceSummary;
use crate::thinq::api::Route;
use crate::thinq::credentials::write_atomic;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

const DEVICES_FILE: &str = "known-devices.json";
const ROUTE_FILE: &str = "thinq-route.json";
/// How long LG's energy answer for a device is trusted: after that a start asks again (a
/// firmware update may bring energy data).
pub const ENERGY_TRUSTED: u64 = 7 * 24 * 3600;

/// LG's energy answer for a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownEnergy {
    /// The energy properties (`energyUsage`, …); empty when the device has no energy data.
    pub properties: Vec<String>,
    /// Unix seconds of the answer.
    pub read: u64,
}

/// One device as last seen.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KnownDevice {
    pub summary: DeviceSummary,
    pub profile: Value,
    /// Unix seconds of the profile read.
    pub profile_read: u64,
    /// Every value topic published for it: cleared when the device leaves the account, even
    /// while the add-on was stopped.
    #[serde(default)]
    pub value_topics: Vec<String>,
    /// Every discovery topic published for it (the appliance's, and one per sub-device such as
    /// a WashTower's washer and dryer): cleared when the device leaves the account. Empty in a
    /// file of an older version, which published only the appliance's.
    #[serde(default)]
    pub discovery_topics: Vec<String>,
    /// LG's energy answer, once there was one (absent in files of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy: Option<KnownEnergy>,
    /// The components last published on each of those topics (component id → platform), so
    /// that one the next payload lacks is removed in Home Assistant even when the broker lost
    /// the retained payload. Empty in a file of an older version.
    #[serde(default)]
    pub discovery_components: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    devices: BTreeMap<String, KnownDevice>,
}

/// The remembered devices; saved whenever they change.
#[derive(Debug)]
pub struct KnownDevices {
    dir: PathBuf,
    file: File,
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl KnownDevices {
    /// Loads the file; a missing or unreadable one is an empty list (logged), never an error:
    /// the worst outcome is a stale device left in Home Assistant, as before this file existed.
    pub fn load(dir: &Path) -> KnownDevices {
        let path = dir.join(DEVICES_FILE);
        let file = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(
                    "{} is unreadable ({e}); starting without it",
                    path.display()
                );
                File::default()
            }),
            Err(_) => File::default(),
        };
        KnownDevices {
            dir: dir.to_owned(),
            file,
        }
    }

    pub fn get(&self, device_id: &str) -> Option<&KnownDevice> {
        self.file.devices.get(device_id)
    }

    pub fn ids(&self) -> Vec<String> {
        self.file.devices.keys().cloned().collect()
    }

    pub fn put(&mut self, summary: DeviceSummary, profile: Value) {
        let (value_topics, discovery_topics, energy, discovery_components) = self
            .file
            .devices
            .get(&summary.device_id)
            .map(|k| {
                (
                    k.value_topics.clone(),
                    k.discovery_topics.clone(),
                    k.energy.clone(),
                    k.discovery_components.clone(),
                )
            })
            .unwrap_or_default();
        self.file.devices.insert(
            summary.device_id.clone(),
            KnownDevice {
                summary,
                profile,
                profile_read: unix_now(),
                value_topics,
                discovery_topics,
                energy,
                discovery_components,
            },
        );
        self.save();
    }

    /// LG's energy answer for a device, while it is trusted ([`ENERGY_TRUSTED`]).
    pub fn energy(&self, device_id: &str) -> Option<Vec<String>> {
        let energy = self.file.devices.get(device_id)?.energy.as_ref()?;
        (unix_now().saturating_sub(energy.read) < ENERGY_TRUSTED).then(|| energy.properties.clone())
    }

    /// Remembers LG's energy answer for a device (saved only when it changes or has aged).
    pub fn set_energy(&mut self, device_id: &str, properties: Vec<String>) {
        let Some(known) = self.file.devices.get_mut(device_id) else {
            return;
        };
        let now = unix_now();
        let same = known.energy.as_ref().is_some_and(|e| {
            e.properties == properties && now.saturating_sub(e.read) < ENERGY_TRUSTED / 2
        });
        if !same {
            known.energy = Some(KnownEnergy {
                properties,
                read: now,
            });
            self.save();
        }
    }

    /// Remembers the discovery topics published for a device (saved only when they change).
    pub fn set_discovery_topics(&mut self, device_id: &str, topics: Vec<String>) {
        if let Some(known) = self.file.devices.get_mut(device_id)
            && known.discovery_topics != topics
        {
            known.discovery_topics = topics;
            self.save();
        }
    }

    /// Remembers the components published on each discovery topic of a device (saved only
    /// when they change).
    pub fn set_discovery_components(
        &mut self,
        device_id: &str,
        components: BTreeMap<String, BTreeMap<String, String>>,
    ) {
        if let Some(known) = self.file.devices.get_mut(device_id)
            && known.discovery_components != components
        {
            known.discovery_components = components;
            self.save();
        }
    }

    pub fn set_value_topics(&mut self, device_id: &str, topics: Vec<String>) {
        if let Some(known) = self.file.devices.get_mut(device_id) {
            known.value_topics = topics;
            self.save();
        }
    }

    pub fn rename(&mut self, device_id: &str, alias: &str) {
        if let Some(known) = self.file.devices.get_mut(device_id) {
            known.summary.device_info.alias = alias.to_owned();
            self.save();
        }
    }

    pub fn remove(&mut self, device_id: &str) {
        if self.file.devices.remove(device_id).is_some() {
            self.save();
        }
    }

    fn save(&self) {
        match serde_json::to_vec(&self.file) {
            Ok(json) => {
                if let Err(e) = write_atomic(&self.dir, DEVICES_FILE, &json, 0o644) {
                    tracing::warn!("cannot remember the devices in the data directory: {e}");
                }
            }
            Err(e) => tracing::warn!("cannot serialize the known devices: {e}"),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct StoredRoute {
    mqtt_server: String,
    read: u64,
}

/// The stored route, when there is one.
pub fn load_route(dir: &Path) -> Option<Route> {
    let bytes = std::fs::read(dir.join(ROUTE_FILE)).ok()?;
    let stored: StoredRoute = serde_json::from_slice(&bytes).ok()?;
    let route = Route {
        mqtt_server: stored.mqtt_server,
        ..Route::default()
    };
    route.mqtt_host_port().map(|_| route)
}

pub fn save_route(dir: &Path, route: &Route) {
    let stored = StoredRoute {
        mqtt_server: route.mqtt_server.clone(),
        read: unix_now(),
    };
    if let Ok(json) = serde_json::to_vec(&stored)
        && let Err(e) = write_atomic(dir, ROUTE_FILE, &json, 0o644)
    {
        tracing::warn!("cannot keep LG's route in the data directory: {e}");
    }
}

/// Where the devices file lives (tests look at it).
pub fn devices_path(dir: &Path) -> PathBuf {
    dir.join(DEVICES_FILE)
}
