//! A Home Assistant stand-in on Home Assistant's broker: it subscribes as Home Assistant
//! does, remembers the last message per topic and the order they came in, waits for what a
//! test expects, and publishes commands as Home Assistant's entities would.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;
use tokio::sync::mpsc;

use super::WAIT;
use super::world::{HA_PASS, HA_USER};

/// A subscriber on the Home Assistant broker that remembers the last message per topic.
pub struct Watcher {
    client: AsyncClient,
    rx: mpsc::UnboundedReceiver<(String, Vec<u8>, Instant)>,
    pub last: HashMap<String, Vec<u8>>,
    /// The topic of every message taken in, in order of arrival.
    pub received: Vec<String>,
}

impl Watcher {
    pub async fn connect(port: u16, filters: &[&str]) -> Watcher {
        let id = format!("watcher-{}", uuid::Uuid::new_v4().simple());
        let mut options = MqttOptions::new(id, "127.0.0.1", port);
        options
            .set_credentials(HA_USER, HA_PASS)
            .set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        for filter in filters {
            client.subscribe(*filter, QoS::AtLeastOnce).await.unwrap();
        }
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        if tx
                            .send((p.topic.clone(), p.payload.to_vec(), Instant::now()))
                            .is_err()
                        {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        Watcher {
            client,
            rx,
            last: HashMap::new(),
            received: Vec::new(),
        }
    }

    /// The next message to arrive before `deadline`, taken in (remembered as the topic's
    /// last, its topic appended to [`received`](Self::received)); `None` when none came.
    async fn take_next(
        &mut self,
        deadline: tokio::time::Instant,
    ) -> Option<(String, Vec<u8>, Instant)> {
        let (topic, payload, at) = tokio::time::timeout_at(deadline, self.rx.recv())
            .await
            .ok()
            .flatten()?;
        self.last.insert(topic.clone(), payload.clone());
        self.received.push(topic.clone());
        Some((topic, payload, at))
    }

    /// Waits for a message on `topic` that satisfies `check`.
    pub async fn wait_for(&mut self, topic: &str, check: impl Fn(&[u8]) -> bool) -> Vec<u8> {
        self.wait_for_arrival(topic, check).await.0
    }

    /// [`wait_for`](Self::wait_for), with the instant the message arrived (now, when the
    /// last one already satisfies `check`).
    pub async fn wait_for_arrival(
        &mut self,
        topic: &str,
        check: impl Fn(&[u8]) -> bool,
    ) -> (Vec<u8>, Instant) {
        if let Some(payload) = self.last.get(topic)
            && check(payload)
        {
            return (payload.clone(), Instant::now());
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let Some((t, payload, at)) = self.take_next(deadline).await else {
                panic!(
                    "no matching message on {topic} within {WAIT:?}; last: {:?}",
                    self.last
                        .get(topic)
                        .map(|p| String::from_utf8_lossy(p).into_owned())
                )
            };
            if t == topic && check(&payload) {
                return (payload, at);
            }
        }
    }

    pub async fn wait_json(&mut self, topic: &str, check: impl Fn(&Value) -> bool) -> Value {
        let payload = self
            .wait_for(topic, |p| {
                serde_json::from_slice::<Value>(p)
                    .map(|v| check(&v))
                    .unwrap_or(false)
            })
            .await;
        serde_json::from_slice(&payload).unwrap()
    }

    /// Waits up to `within` for a JSON message on `topic` that satisfies `check`; `None`
    /// when none came (for bounds other than [`WAIT`], such as "within the first hour").
    pub async fn wait_json_within(
        &mut self,
        topic: &str,
        within: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let matches = |p: &[u8]| serde_json::from_slice::<Value>(p).ok().filter(|v| check(v));
        if let Some(value) = self.last.get(topic).and_then(|p| matches(p)) {
            return Some(value);
        }
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let (t, payload, _) = self.take_next(deadline).await?;
            if t == topic
                && let Some(value) = matches(&payload)
            {
                return Some(value);
            }
        }
    }

    /// Takes in what arrives until nothing has for `quiet` (bounded by [`WAIT`]).
    pub async fn drain(&mut self, quiet: Duration) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            let next = tokio::time::Instant::now() + quiet;
            if self.take_next(next).await.is_none() {
                return;
            }
        }
    }

    /// Every message that arrives within `window`, in order (also remembered as `last`).
    pub async fn collect_for(&mut self, window: Duration) -> Vec<(String, Vec<u8>)> {
        let deadline = tokio::time::Instant::now() + window;
        let mut out = Vec::new();
        while let Some((topic, payload, _)) = self.take_next(deadline).await {
            out.push((topic, payload));
        }
        out
    }

    /// Every message until one on `topic` satisfies `check` (bounded by [`WAIT`]), in the
    /// order they arrived, that one last.
    pub async fn collect_until(
        &mut self,
        topic: &str,
        check: impl Fn(&[u8]) -> bool,
    ) -> Vec<(String, Vec<u8>)> {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut out = Vec::new();
        loop {
            let Some((t, payload, _)) = self.take_next(deadline).await else {
                panic!("no matching message on {topic} within {WAIT:?}");
            };
            let done = t == topic && check(&payload);
            out.push((t, payload));
            if done {
                return out;
            }
        }
    }

    pub async fn publish(&self, topic: &str, payload: &str) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .unwrap();
    }

    /// Publishes a retained message (what an older build, or a user, left on the broker).
    pub async fn publish_retained(&self, topic: &str, payload: &str) {
        self.client
            .publish(topic, QoS::AtLeastOnce, true, payload)
            .await
            .unwrap();
    }
}
