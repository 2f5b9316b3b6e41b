//! The embedded broker's shared state: which client is connected, what it subscribed to, what
//! is retained, and the will it left behind.
//!
//! Everything here is synchronous and runs under one mutex: the demo has a handful of clients,
//! so a linear scan over sessions per publish is cheaper to read than a topic trie and fast
//! enough. Nothing here awaits, so the lock is never held across a suspension point; delivery
//! into a client's bounded queue is `try_send`, and a client whose queue is full is kicked
//! instead of slowing every publisher down.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::LastWill;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio_util::sync::CancellationToken;

/// A message on its way to one subscriber. The connection task turns it into a PUBLISH
/// (choosing the packet id), so the router never needs to know about packet ids.
#[derive(Debug, Clone)]
pub(super) struct Outgoing {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
}

/// Retained topics kept at most; beyond this a new retained topic is routed but not stored,
/// so a client inventing topics cannot grow the broker without bound.
pub(super) const MAX_RETAINED: usize = 10_000;
/// Subscriptions one client may hold; further filters are refused in the SUBACK.
pub(super) const MAX_SUBSCRIPTIONS_PER_CLIENT: usize = 1_000;

/// Identifies one network connection, so a connection that was taken over cannot remove or
/// publish the will of the session that replaced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ConnectionId(u64);

/// What the router keeps for a connected client.
struct Session {
    connection: ConnectionId,
    queue: mpsc::Sender<Outgoing>,
    /// Cancelled to make the connection task close the socket (takeover, slow consumer).
    kick: CancellationToken,
    will: Option<LastWill>,
    /// Filter → granted QoS. Re-subscribing to the same filter replaces its QoS (MQTT-3.8.4-3).
    subscriptions: HashMap<String, QoS>,
}

/// A retained message as stored; delivered with the retain flag to each new subscriber.
struct Retained {
    payload: Bytes,
    qos: QoS,
}

/// Sessions, subscriptions and retained messages of the embedded broker.
#[derive(Default)]
pub(super) struct Router {
    sessions: HashMap<String, Session>,
    /// Ordered so that a subscriber sees retained messages in a stable (topic) order.
    retained: BTreeMap<String, Retained>,
    next_connection: u64,
}

impl Router {
    /// Registers a freshly connected client. A session already holding the same client id is
    /// taken over (MQTT-3.1.4-2): its connection is closed and its will published *now*,
    /// before the new client gets its CONNACK, so a stale "offline" will can never overwrite
    /// the "online" the new connection is about to publish.
    pub fn connect(
        &mut self,
        client_id: &str,
        queue: mpsc::Sender<Outgoing>,
        kick: CancellationToken,
        will: Option<LastWill>,
    ) -> ConnectionId {
        self.next_connection += 1;
        let connection = ConnectionId(self.next_connection);
        let session = Session {
            connection,
            queue,
            kick,
            will,
            subscriptions: HashMap::new(),
        };
        if let Some(previous) = self.sessions.insert(client_id.to_owned(), session) {
            tracing::info!(
                client_id,
                "client id connected again: closing the older connection"
            );
            previous.kick.cancel();
            if let Some(will) = previous.will {
                self.publish_will(will);
            }
        }
        connection
    }

    /// Forgets a connection's session. Its will is published when `publish_will` is true
    /// (anything but a clean DISCONNECT or broker shutdown) and the session still belongs to
    /// this connection — a connection that was taken over had its will handled already.
    pub fn disconnect(&mut self, client_id: &str, connection: ConnectionId, publish_will: bool) {
        let owned = self
            .sessions
            .get(client_id)
            .is_some_and(|session| session.connection == connection);
        if !owned {
            return;
        }
        let will = self
            .sessions
            .remove(client_id)
            .and_then(|session| session.will);
        if let Some(will) = will.filter(|_| publish_will) {
            self.publish_will(will);
        }
    }

    /// Records a subscription and returns the retained messages it matches, to be sent right
    /// after the SUBACK (MQTT-3.3.1-6). `None` refuses the subscription: the client already
    /// holds [`MAX_SUBSCRIPTIONS_PER_CLIENT`], or this connection no longer owns the session.
    pub fn subscribe(
        &mut self,
        client_id: &str,
        connection: ConnectionId,
        filter: &str,
        granted: QoS,
    ) -> Option<Vec<Outgoing>> {
        let session = self
            .sessions
            .get_mut(client_id)
            .filter(|session| session.connection == connection)?;
        if session.subscriptions.len() >= MAX_SUBSCRIPTIONS_PER_CLIENT
            && !session.subscriptions.contains_key(filter)
        {
            tracing::warn!(client_id, filter, "too many subscriptions: refusing one");
            return None;
        }
        session.subscriptions.insert(filter.to_owned(), granted);
        let retained = self
            .retained
            .iter()
            .filter(|(topic, _)| topic_matches(filter, topic))
            .map(|(topic, retained)| Outgoing {
                topic: topic.clone(),
                payload: retained.payload.clone(),
                qos: lower_qos(retained.qos, granted),
                retain: true,
            })
            .collect();
        Some(retained)
    }

    /// Removes one subscription; unknown filters are fine (MQTT-3.10.4-5 still wants UNSUBACK).
    pub fn unsubscribe(&mut self, client_id: &str, connection: ConnectionId, filter: &str) {
        if let Some(session) = self
            .sessions
            .get_mut(client_id)
            .filter(|session| session.connection == connection)
        {
            session.subscriptions.remove(filter);
        }
    }

    /// Stores or deletes the retained message (an empty retained payload deletes it) and
    /// delivers the message to every matching subscriber, at the lower of the publish QoS and
    /// the QoS granted to the subscription. Live deliveries never carry the retain flag
    /// (MQTT-3.3.1-9).
    pub fn publish(&mut self, topic: &str, payload: Bytes, qos: QoS, retain: bool) {
        if retain {
            if payload.is_empty() {
                self.retained.remove(topic);
            } else if self.retained.len() >= MAX_RETAINED && !self.retained.contains_key(topic) {
                tracing::warn!(
                    topic,
                    "retained message store is full: not keeping this one"
                );
            } else {
                self.retained.insert(
                    topic.to_owned(),
                    Retained {
                        payload: payload.clone(),
                        qos,
                    },
                );
            }
        }
        for (client_id, session) in &self.sessions {
            // Overlapping subscriptions deliver once, at the highest granted QoS.
            let granted = session
                .subscriptions
                .iter()
                .filter(|(filter, _)| topic_matches(filter, topic))
                .map(|(_, granted)| *granted)
                .reduce(higher_qos);
            let Some(granted) = granted else { continue };
            let message = Outgoing {
                topic: topic.to_owned(),
                payload: payload.clone(),
                qos: lower_qos(qos, granted),
                retain: false,
            };
            match session.queue.try_send(message) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    if !session.kick.is_cancelled() {
                        tracing::warn!(
                            client_id = client_id.as_str(),
                            "client does not keep up with its messages: disconnecting it"
                        );
                    }
                    session.kick.cancel();
                }
                // The connection task is already gone; its `disconnect` is on the way.
                Err(TrySendError::Closed(_)) => {}
            }
        }
    }

    fn publish_will(&mut self, will: LastWill) {
        tracing::debug!(topic = will.topic.as_str(), "publishing last will");
        self.publish(&will.topic, will.message, will.qos, will.retain);
    }
}

/// Numeric order of QoS levels (`QoS` is only `PartialOrd`).
fn qos_level(qos: QoS) -> u8 {
    qos as u8
}

/// The lower of two QoS levels: what a subscriber gets is capped by its grant.
pub(super) fn lower_qos(a: QoS, b: QoS) -> QoS {
    if qos_level(a) <= qos_level(b) { a } else { b }
}

fn higher_qos(a: QoS, b: QoS) -> QoS {
    if qos_level(a) >= qos_level(b) { a } else { b }
}

/// Whether `topic` (a topic name, no wildcards) matches `filter` (MQTT 3.1.1 §4.7).
///
/// Written here rather than using `rumqttc::mqttbytes::matches`, which slices the topic at
/// byte 1 and panics on a topic that starts with a multi-byte UTF-8 character.
pub(super) fn topic_matches(filter: &str, topic: &str) -> bool {
    // Wildcards at the first level never match `$SYS`-style topics (MQTT-4.7.2-1).
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut filter_levels = filter.split('/');
    let mut topic_levels = topic.split('/');
    loop {
        match (filter_levels.next(), topic_levels.next()) {
            // "#" also matches the parent level: "a/#" matches "a".
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(wanted), Some(level)) if wanted == level => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// A topic filter is valid when "#" appears only as the whole last level and "+" only as a
/// whole level (MQTT 3.1.1 §4.7.1), and it is non-empty without NUL (MQTT-4.7.3-1/-2).
pub(super) fn valid_filter(filter: &str) -> bool {
    if filter.is_empty() || filter.contains('\0') {
        return false;
    }
    let levels: Vec<&str> = filter.split('/').collect();
    let last = levels.len().saturating_sub(1);
    levels
        .iter()
        .enumerate()
        .all(|(index, level)| match *level {
            "#" => index == last,
            "+" => true,
            other => !other.contains(['#', '+']),
        })
}

/// A topic name (what PUBLISH and wills use) is non-empty and has no wildcard or NUL.
pub(super) fn valid_topic_name(topic: &str) -> bool {
    !topic.is_empty() && !topic.contains(['#', '+', '\0'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_topics_per_the_spec() {
        assert!(topic_matches("a/b/c", "a/b/c"));
        assert!(!topic_matches("a/b/c", "a/b"));
        assert!(!topic_matches("a/b", "a/b/c"));
        assert!(topic_matches("a/+/c", "a/b/c"));
        assert!(!topic_matches("a/+/c", "a/b/d"));
        assert!(topic_matches("a/#", "a"));
        assert!(topic_matches("a/#", "a/b/c"));
        assert!(topic_matches("#", "a/b"));
        assert!(topic_matches("+/+", "/x"));
        assert!(!topic_matches("+", "a/b"));
        assert!(!topic_matches("#", "$SYS/broker"));
        assert!(!topic_matches("+/broker", "$SYS/broker"));
        assert!(topic_matches("$SYS/#", "$SYS/broker"));
        // A multi-byte first character must not panic.
        assert!(topic_matches("é/+", "é/x"));
        assert!(!topic_matches("é", "ü"));
    }

    #[test]
    fn filter_validation_follows_the_wildcard_rules() {
        for good in ["a", "a/b", "#", "+", "a/+/c", "a/#", "+/+/#", "/", "$SYS/#"] {
            assert!(valid_filter(good), "{good} should be valid");
        }
        for bad in ["", "a#", "a/#/b", "a+", "a/b+/c", "#/a", "a\0b"] {
            assert!(!valid_filter(bad), "{bad:?} should be invalid");
        }
        assert!(valid_topic_name("a/b"));
        assert!(!valid_topic_name("a/+"));
        assert!(!valid_topic_name(""));
    }

    fn session(router: &mut Router, client_id: &str) -> (ConnectionId, mpsc::Receiver<Outgoing>) {
        let (queue, queued) = mpsc::channel(16);
        let id = router.connect(client_id, queue, CancellationToken::new(), None);
        (id, queued)
    }

    #[test]
    fn subscriptions_and_retained_messages_are_capped() {
        let mut router = Router::default();
        let (id, _queued) = session(&mut router, "c");
        for n in 0..MAX_SUBSCRIPTIONS_PER_CLIENT {
            assert!(
                router
                    .subscribe("c", id, &format!("t/{n}"), QoS::AtMostOnce)
                    .is_some()
            );
        }
        assert!(
            router
                .subscribe("c", id, "one/more", QoS::AtMostOnce)
                .is_none()
        );
        // Re-subscribing to a held filter is still fine.
        assert!(router.subscribe("c", id, "t/0", QoS::AtLeastOnce).is_some());

        for n in 0..MAX_RETAINED {
            router.publish(
                &format!("r/{n}"),
                Bytes::from_static(b"x"),
                QoS::AtMostOnce,
                true,
            );
        }
        router.publish("r/extra", Bytes::from_static(b"x"), QoS::AtMostOnce, true);
        assert_eq!(router.retained.len(), MAX_RETAINED);
        assert!(!router.retained.contains_key("r/extra"));
        // Replacing a stored topic still works when full.
        router.publish("r/0", Bytes::from_static(b"y"), QoS::AtMostOnce, true);
        assert_eq!(
            router.retained.get("r/0").map(|r| &r.payload[..]),
            Some(&b"y"[..])
        );
    }

    #[test]
    fn a_taken_over_connection_cannot_touch_the_new_session() {
        let mut router = Router::default();
        let (watcher, mut watched) = session(&mut router, "watcher");
        router.subscribe("watcher", watcher, "will/#", QoS::AtMostOnce);

        let (queue, _old_queue) = mpsc::channel(16);
        let old_kick = CancellationToken::new();
        let will = LastWill::new("will/dup", "gone", QoS::AtMostOnce, false);
        let old = router.connect("dup", queue, old_kick.clone(), Some(will));
        let (new, _new_queue) = session(&mut router, "dup");

        assert!(old_kick.is_cancelled());
        let will = watched.try_recv().expect("will of the replaced connection");
        assert_eq!(will.topic, "will/dup");
        // The old connection ending later neither removes the new session nor re-sends a will.
        router.disconnect("dup", old, true);
        assert!(watched.try_recv().is_err());
        assert!(router.subscribe("dup", old, "x", QoS::AtMostOnce).is_none());
        assert!(router.subscribe("dup", new, "x", QoS::AtMostOnce).is_some());
    }

    #[test]
    fn qos_is_capped_by_the_lower_side() {
        assert_eq!(
            lower_qos(QoS::AtLeastOnce, QoS::AtMostOnce),
            QoS::AtMostOnce
        );
        assert_eq!(
            lower_qos(QoS::ExactlyOnce, QoS::AtLeastOnce),
            QoS::AtLeastOnce
        );
        assert_eq!(
            higher_qos(QoS::AtMostOnce, QoS::AtLeastOnce),
            QoS::AtLeastOnce
        );
    }
}
