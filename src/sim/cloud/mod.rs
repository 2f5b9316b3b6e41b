//! The simulated account: its devices, the MQTT clients registered on it, their event and
//! push subscriptions, and what each REST operation does to them.
//!
//! Everything here is synchronous and lives behind one mutex; the HTTP layer checks headers
//! and faults, then calls one operation. Operations that make the cloud send pushes return
//! them as [`Outgoing`] messages for the caller to publish after releasing the lock.
//!
//! The account model is here: its devices, clients and subscriptions, looked up by id. What
//! the operations do is apart, one concern a file: `appliances.rs` (the device routes, the
//! changes tests make to the account's appliances, and the pushes they cause),
//! `clients.rs` (MQTT client registration and certificates) and `subscriptions.rs` (event,
//! push and device-list subscriptions).

mod appliances;
mod clients;
mod subscriptions;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::ca;
use super::certificate::subscription_topics;
use super::devices::SimDevice;
use super::envelope::{ApiError, code};
use super::events::EventSubscriptions;
use super::faults::Faults;
use super::quota::QuotaLedger;

/// One call the simulator answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    /// The path without query string.
    pub path: String,
    pub status: u16,
    /// The ThinQ error code, for error answers.
    pub code: Option<String>,
    /// The `x-client-id` header, when sent.
    pub client_id: Option<String>,
}

/// A push the cloud sends to one client's topic.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub client_id: String,
    pub payload: Value,
}

struct Device {
    sim: SimDevice,
    online: bool,
}

/// The account and everything registered on it.
pub struct Cloud {
    pats: HashSet<String>,
    devices: Vec<Device>,
    clients: BTreeSet<String>,
    /// Event subscriptions and the clock they lapse by.
    pub events: EventSubscriptions,
    /// client id → device ids with push (pushCode) subscriptions.
    push_subscriptions: BTreeMap<String, BTreeSet<String>>,
    /// Clients told about devices added, removed and renamed.
    device_list_subscribers: BTreeSet<String>,
    pub requests: Vec<RecordedRequest>,
    pub controls: Vec<(String, Value)>,
    pub faults: Faults,
    /// The account's hourly call quota (none unless a test or the demo sets one).
    pub quota: QuotaLedger,
    /// How long every answer takes (none by default; LG's take 100–300 ms).
    pub latency: Duration,
    /// Send pushes in the `{messageId,timestamp,event|push}` wrapper instead of flat.
    pub wrapped_pushes: bool,
    /// Index into [`subscription_topics`] of the topic pushes are published on.
    pub push_topic_index: usize,
    /// How long issued certificates are valid (their `notAfter` = issue time + this).
    pub certificate_validity: Duration,
    /// Calls refused because of an injected token fault (either form).
    pub token_rejections: usize,
}

impl Cloud {
    pub fn new(pats: Vec<String>, devices: Vec<SimDevice>) -> Cloud {
        Cloud {
            pats: pats.into_iter().collect(),
            devices: devices
                .into_iter()
                .map(|sim| Device { sim, online: true })
                .collect(),
            clients: BTreeSet::new(),
            events: EventSubscriptions::default(),
            push_subscriptions: BTreeMap::new(),
            device_list_subscribers: BTreeSet::new(),
            requests: Vec::new(),
            controls: Vec::new(),
            faults: Faults::default(),
            quota: QuotaLedger::default(),
            latency: Duration::ZERO,
            wrapped_pushes: false,
            push_topic_index: 0,
            certificate_validity: ca::DEFAULT_VALIDITY,
            token_rejections: 0,
        }
    }

    /// The topic a push to `client_id` is published on: the configured entry of its
    /// certificate answer's `subscriptions` (the last one when the index is beyond them).
    pub fn push_topic_for(&self, client_id: &str) -> String {
        let mut topics = subscription_topics(client_id);
        let index = self.push_topic_index.min(topics.len().saturating_sub(1));
        topics.swap_remove(index)
    }

    pub fn accepts_pat(&self, pat: &str) -> bool {
        !self.faults.token_revoked() && self.pats.contains(pat)
    }

    fn device(&self, id: &str) -> Result<&Device, ApiError> {
        self.devices
            .iter()
            .find(|d| d.sim.id() == id)
            .ok_or_else(|| ApiError::new(code::NOT_EXIST_DEVICE))
    }

    fn device_mut(&mut self, id: &str) -> Result<&mut Device, ApiError> {
        self.devices
            .iter_mut()
            .find(|d| d.sim.id() == id)
            .ok_or_else(|| ApiError::new(code::NOT_EXIST_DEVICE))
    }

    /// A copy of a device as it is now.
    pub fn sim_device(&self, id: &str) -> Option<SimDevice> {
        self.device(id).ok().map(|d| d.sim.clone())
    }

    /// Whether a device exists and is on the network.
    pub fn is_online(&self, id: &str) -> bool {
        self.device(id).is_ok_and(|d| d.online)
    }

    pub fn device_ids(&self) -> Vec<String> {
        self.devices.iter().map(|d| d.sim.id().to_owned()).collect()
    }
}

/// The account every test of the parts starts from: one PAT and the fixture devices.
#[cfg(test)]
fn test_cloud() -> Cloud {
    Cloud::new(vec!["pat".into()], SimDevice::fixture_set())
}
