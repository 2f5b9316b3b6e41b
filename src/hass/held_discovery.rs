//! What the Home Assistant broker held of this bridge's discovery when the session started:
//! the components of every retained device payload an earlier run (or an older version)
//! left there.
//!
//! Why: Home Assistant removes a component of a device payload only when it sees the
//! component reduced to its platform (`{"p": "sensor"}`); a component the next payload just
//! leaves out stays, entity and all (`mqtt/discovery.py`, device discovery). So the bridge
//! must know what was published before on a topic to remove what it no longer shows — such
//! as the WashTower entities that moved from the tower to its washer and dryer devices. The
//! known-devices file says what this bridge published; the broker also knows what a build
//! before that file did, and what an install whose data directory was wiped left behind.
//!
//! How: right after the connection is up and before anything of ours is handed to the
//! client, subscribe to `<prefix>/device/+/config` and publish a probe to ourselves. The
//! broker handles one connection's packets in order, so every retained payload arrives
//! before the probe comes back (with the retain flag, unlike live ones); then the
//! subscription is dropped, so nobody else's discovery traffic reaches the bridge afterwards.

use super::discovery::{ORIGIN_NAME, components};
use super::topics::Topics;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Discovery topic → its components (id → platform), as the broker held them.
pub type HeldDiscovery = HashMap<String, BTreeMap<String, String>>;

/// The reading of the retained discovery payloads, once per run.
#[derive(Debug)]
pub struct DiscoveryRead {
    filter: String,
    probe_topic: String,
    /// Told apart from a probe of an earlier connection, which may still be on its way.
    token: String,
    found: HeldDiscovery,
    done: bool,
}

impl DiscoveryRead {
    pub fn new(topics: &Topics) -> DiscoveryRead {
        DiscoveryRead {
            filter: format!("{}/device/+/config", topics.discovery_prefix),
            probe_topic: format!("{}/bridge/discovery_read", topics.base),
            token: String::new(),
            found: HashMap::new(),
            done: false,
        }
    }

    /// Whether the reading is still to be done (or under way).
    pub fn pending(&self) -> bool {
        !self.done
    }

    /// Starts (again) on a new connection: the filters to subscribe to, then the probe to
    /// publish (topic, payload), in that order, before anything else is sent.
    pub fn start(&mut self) -> ([String; 2], (String, String)) {
        self.found.clear();
        self.token = uuid::Uuid::new_v4().simple().to_string();
        (
            [self.filter.clone(), self.probe_topic.clone()],
            (self.probe_topic.clone(), self.token.clone()),
        )
    }

    /// Takes in a message; `true` when it belonged to the reading (the session looks no
    /// further at it). When the probe is back, [`Self::finish`] gives the result.
    pub fn on_publish(&mut self, topic: &str, payload: &[u8], retain: bool) -> Reading {
        if topic == self.probe_topic {
            return if !self.done && payload == self.token.as_bytes() {
                Reading::Complete
            } else {
                Reading::Taken
            };
        }
        if !is_device_discovery(&self.filter, topic) {
            return Reading::NotOurs;
        }
        // Live payloads (ours, echoed, or another integration's) are not what was held.
        if retain
            && !self.done
            && let Ok(value) = serde_json::from_slice::<Value>(payload)
            && ours(&value)
        {
            self.found.insert(topic.to_owned(), components(&value));
        }
        Reading::Taken
    }

    /// Ends the reading (the probe came back, the broker refused the subscription, or it took
    /// too long): what was found, and the filters to unsubscribe from.
    pub fn finish(&mut self) -> (HeldDiscovery, [String; 2]) {
        self.done = true;
        (
            std::mem::take(&mut self.found),
            [self.filter.clone(), self.probe_topic.clone()],
        )
    }
}

/// What a message meant for the reading.
#[derive(Debug, PartialEq, Eq)]
pub enum Reading {
    /// Not a discovery or probe message: the session handles it as usual.
    NotOurs,
    /// Part of the reading.
    Taken,
    /// The probe came back: everything the broker held has arrived.
    Complete,
}

/// `<prefix>/device/<object id>/config`.
fn is_device_discovery(filter: &str, topic: &str) -> bool {
    let Some(prefix) = filter.strip_suffix("+/config") else {
        return false;
    };
    topic
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix("/config"))
        .is_some_and(|object_id| !object_id.is_empty() && !object_id.contains('/'))
}

/// A payload this bridge published (any version): its origin says so.
fn ours(payload: &Value) -> bool {
    payload
        .get("o")
        .or_else(|| payload.get("origin"))
        .and_then(|o| o.get("name"))
        .and_then(Value::as_str)
        == Some(ORIGIN_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_retained_payloads_of_this_bridge_count_and_the_probe_ends_the_reading() {
        let mut read = DiscoveryRead::new(&Topics::new("homeassistant", "thinq"));
        assert!(read.pending());
        let (filters, (probe, token)) = read.start();
        assert_eq!(
            filters,
            [
                "homeassistant/device/+/config",
                "thinq/bridge/discovery_read"
            ]
        );
        let tower = json!({"o": {"name": "thinq-addon"}, "cmps": {
            "washer_state": {"p": "sensor"}, "notification": {"p": "event", "uniq_id": "n"},
            "washer_remaining": {"p": "sensor", "uniq_id": "r"}}});
        let other = json!({"o": {"name": "Zigbee2MQTT"}, "cmps": {"x": {"p": "light"}}});
        let topic = "homeassistant/device/thinq_T/config";
        assert_eq!(
            read.on_publish(topic, tower.to_string().as_bytes(), true),
            Reading::Taken
        );
        read.on_publish(
            "homeassistant/device/z2m_1/config",
            other.to_string().as_bytes(),
            true,
        );
        read.on_publish(
            "homeassistant/device/thinq_live/config",
            tower.to_string().as_bytes(),
            false,
        );
        read.on_publish("homeassistant/device/thinq_junk/config", b"\xff{", true);
        assert_eq!(
            read.on_publish("thinq/T/washer_state/state", b"1", false),
            Reading::NotOurs
        );
        assert_eq!(
            read.on_publish(&probe, b"an older probe", false),
            Reading::Taken
        );
        assert_eq!(
            read.on_publish(&probe, token.as_bytes(), false),
            Reading::Complete
        );
        let (found, unsubscribe) = read.finish();
        assert_eq!(unsubscribe, filters);
        assert!(!read.pending());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[topic],
            BTreeMap::from([
                ("notification".to_owned(), "event".to_owned()),
                ("washer_remaining".to_owned(), "sensor".to_owned())
            ]),
            "a removal marker stands for no component"
        );
        // After the reading nothing is taken in any more.
        read.on_publish(topic, tower.to_string().as_bytes(), true);
        assert!(read.finish().0.is_empty());
    }
}
