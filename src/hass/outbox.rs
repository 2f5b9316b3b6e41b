//! What still has to reach the Home Assistant broker: the latest payload per retained topic,
//! and a short queue of non-retained messages.
//!
//! Why not a plain queue: while the broker is away (a Mosquitto add-on update, a crash
//! overnight) appliances keep reporting. A queue of every report grows without bound and,
//! once the broker is back, replays history Home Assistant does not need. Retained topics
//! (discovery, availability, one value each) only ever need their *latest* payload, so this
//! keeps exactly one per topic: memory is bounded by the number of topics, however long the
//! outage, and what arrives after the reconnect is the current truth.
//!
//! It also remembers what was last handed to the broker per topic, so an unchanged value is
//! not sent again ("only what changed"); [`Outbox::resend_all`] forgets that after a
//! reconnect or Home Assistant's birth message, when everything must be sent again.

use std::collections::{HashMap, HashSet, VecDeque};

/// Non-retained messages (events, command errors) kept while the broker is away; beyond this
/// the oldest are dropped — an event minutes old is no longer news.
pub const MAX_TRANSIENT: usize = 64;

/// One message for the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub topic: String,
    pub payload: Vec<u8>,
    pub retain: bool,
}

/// See the module documentation.
#[derive(Debug, Default)]
pub struct Outbox {
    /// The latest wanted payload of every retained topic we own (cleared topics leave).
    wanted: HashMap<String, Vec<u8>>,
    /// What was last handed to the broker, per retained topic.
    sent: HashMap<String, Vec<u8>>,
    /// Retained topics whose wanted payload has not been handed over yet, oldest first.
    dirty: VecDeque<String>,
    dirty_set: HashSet<String>,
    transient: VecDeque<Outgoing>,
    dropped_transient: u64,
}

impl Outbox {
    /// Records the wanted payload of a retained topic. Returns whether it must be sent (false
    /// when the broker already has exactly this payload and nothing newer waits).
    pub fn put_retained(&mut self, topic: &str, payload: Vec<u8>) -> bool {
        let unchanged = self.sent.get(topic) == Some(&payload);
        if unchanged && !self.dirty_set.contains(topic) {
            return false;
        }
        if unchanged {
            // A newer payload was waiting and the value went back to what the broker holds.
            self.dirty_set.remove(topic);
            self.dirty.retain(|t| t != topic);
            self.wanted.insert(topic.to_owned(), payload);
            return false;
        }
        self.wanted.insert(topic.to_owned(), payload);
        if !self.dirty_set.insert(topic.to_owned()) {
            // Waiting already: it now goes after whatever changed since, so the order on the
            // wire is the order of the last changes (a device's `online` after the values it
            // announces, even when an `offline` of it was still waiting).
            self.dirty.retain(|t| t != topic);
        }
        self.dirty.push_back(topic.to_owned());
        true
    }

    /// Queues a non-retained message; the oldest is dropped when [`MAX_TRANSIENT`] wait.
    pub fn put_transient(&mut self, topic: &str, payload: Vec<u8>) {
        if self.transient.len() >= MAX_TRANSIENT {
            self.transient.pop_front();
            self.dropped_transient += 1;
        }
        self.transient.push_back(Outgoing {
            topic: topic.to_owned(),
            payload,
            retain: false,
        });
    }

    /// Marks every retained topic to be sent again (after a reconnect: the broker may have
    /// lost them; after Home Assistant's birth: it wants discovery again).
    pub fn resend_all(&mut self) {
        self.sent.clear();
        let mut topics: Vec<&String> = self.wanted.keys().collect();
        // Discovery first, so Home Assistant knows an entity before its value arrives.
        topics.sort_by_key(|t| (!t.ends_with("/config"), t.as_str()));
        let topics: Vec<String> = topics.into_iter().cloned().collect();
        self.dirty.clear();
        self.dirty_set.clear();
        for topic in topics {
            self.dirty_set.insert(topic.clone());
            self.dirty.push_back(topic);
        }
    }

    /// The next message to hand to the broker, taken out of the outbox: non-retained ones
    /// first (they are few and time-bound), then retained topics in the order they last
    /// changed.
    pub fn take_next(&mut self) -> Option<Outgoing> {
        if let Some(message) = self.transient.pop_front() {
            return Some(message);
        }
        let topic = self.dirty.pop_front()?;
        self.dirty_set.remove(&topic);
        let payload = self.wanted.get(&topic).cloned().unwrap_or_default();
        if payload.is_empty() {
            // A cleared topic: nothing to remember once the clear is on its way.
            self.wanted.remove(&topic);
            self.sent.remove(&topic);
        } else {
            self.sent.insert(topic.clone(), payload.clone());
        }
        Some(Outgoing {
            topic,
            payload,
            retain: true,
        })
    }

    /// Puts back a message [`Self::take_next`] gave out that could not be handed over.
    pub fn give_back(&mut self, message: Outgoing) {
        if !message.retain {
            self.transient.push_front(message);
            return;
        }
        self.sent.remove(&message.topic);
        if message.payload.is_empty() {
            self.wanted.insert(message.topic.clone(), Vec::new());
        }
        // A newer payload may have been put meanwhile: keep it, just mark the topic dirty.
        self.wanted
            .entry(message.topic.clone())
            .or_insert(message.payload);
        if self.dirty_set.insert(message.topic.clone()) {
            self.dirty.push_front(message.topic);
        }
    }

    /// Messages waiting to be handed over.
    pub fn waiting(&self) -> usize {
        self.dirty.len() + self.transient.len()
    }

    /// Retained topics known (bounded by devices × entities, never by outage length).
    pub fn topics(&self) -> usize {
        self.wanted.len()
    }

    /// Non-retained messages dropped so far because too many waited.
    pub fn dropped_transient(&self) -> u64 {
        self.dropped_transient
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(outbox: &mut Outbox) -> Vec<(String, String)> {
        std::iter::from_fn(|| outbox.take_next())
            .map(|m| (m.topic, String::from_utf8(m.payload).unwrap()))
            .collect()
    }

    /// Drains the outbox and checks it gave exactly these (topic, payload) pairs, in order.
    #[track_caller]
    fn assert_drains(outbox: &mut Outbox, expected: &[(&str, &str)]) {
        let drained = drain(outbox);
        let drained: Vec<(&str, &str)> = drained
            .iter()
            .map(|(topic, payload)| (topic.as_str(), payload.as_str()))
            .collect();
        assert_eq!(drained, expected);
    }

    #[test]
    fn only_the_latest_payload_of_a_topic_is_kept_however_many_changes() {
        let mut outbox = Outbox::default();
        for value in 0..10_000 {
            outbox.put_retained("thinq/ac/temp/state", value.to_string().into_bytes());
        }
        outbox.put_retained("thinq/ac/mode/state", b"cool".to_vec());
        assert_eq!(outbox.waiting(), 2);
        assert_drains(
            &mut outbox,
            &[
                ("thinq/ac/temp/state", "9999"),
                ("thinq/ac/mode/state", "cool"),
            ],
        );
    }

    #[test]
    fn a_waiting_topic_that_changes_again_goes_after_those_that_changed_since() {
        let mut outbox = Outbox::default();
        outbox.put_retained("thinq/ac/availability", b"offline".to_vec());
        outbox.put_retained("thinq/ac/temp/state", b"21".to_vec());
        outbox.put_retained("thinq/ac/availability", b"online".to_vec());
        assert_drains(
            &mut outbox,
            &[
                ("thinq/ac/temp/state", "21"),
                ("thinq/ac/availability", "online"),
            ],
        );
    }

    #[test]
    fn an_unchanged_value_is_not_sent_again_until_resend_all() {
        let mut outbox = Outbox::default();
        assert!(outbox.put_retained("t", b"1".to_vec()));
        drain(&mut outbox);
        assert!(!outbox.put_retained("t", b"1".to_vec()));
        assert_eq!(outbox.waiting(), 0);
        outbox.resend_all();
        assert_drains(&mut outbox, &[("t", "1")]);
    }

    #[test]
    fn a_value_that_goes_back_before_it_was_sent_is_not_sent() {
        let mut outbox = Outbox::default();
        outbox.put_retained("t", b"1".to_vec());
        drain(&mut outbox);
        outbox.put_retained("t", b"2".to_vec());
        assert!(!outbox.put_retained("t", b"1".to_vec()));
        assert!(drain(&mut outbox).is_empty());
    }

    #[test]
    fn discovery_goes_first_after_resend_all_and_cleared_topics_are_forgotten() {
        let mut outbox = Outbox::default();
        outbox.put_retained("thinq/a/state", b"x".to_vec());
        outbox.put_retained("homeassistant/device/a/config", b"{}".to_vec());
        outbox.put_retained("thinq/b/state", Vec::new());
        drain(&mut outbox);
        assert_eq!(outbox.topics(), 2);
        outbox.resend_all();
        let order: Vec<String> = drain(&mut outbox).into_iter().map(|(t, _)| t).collect();
        assert_eq!(
            order,
            vec!["homeassistant/device/a/config", "thinq/a/state"]
        );
    }

    #[test]
    fn a_message_given_back_is_sent_next_unless_a_newer_one_came() {
        let mut outbox = Outbox::default();
        outbox.put_retained("t", b"1".to_vec());
        outbox.put_retained("u", b"1".to_vec());
        let first = outbox.take_next().unwrap();
        outbox.give_back(first);
        assert_eq!(outbox.take_next().unwrap().topic, "t");
        let second = outbox.take_next().unwrap();
        outbox.put_retained("u", b"2".to_vec());
        outbox.give_back(second);
        assert_drains(&mut outbox, &[("u", "2")]);
    }

    #[test]
    fn transient_messages_are_bounded_and_go_first() {
        let mut outbox = Outbox::default();
        outbox.put_retained("r", b"1".to_vec());
        for i in 0..(MAX_TRANSIENT + 10) {
            outbox.put_transient("e", i.to_string().into_bytes());
        }
        assert_eq!(outbox.dropped_transient(), 10);
        let all = drain(&mut outbox);
        assert_eq!(all.len(), MAX_TRANSIENT + 1);
        assert_eq!(all[0], ("e".into(), "10".into()));
        assert_eq!(all.last().unwrap().0, "r");
    }
}
