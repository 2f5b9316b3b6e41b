//! The push session's topics: every topic of the certificate answer in one SUBSCRIBE, a
//! refused SUBACK asked again with back-off, and the jitter every wait of the session uses.

use rumqttc::{AsyncClient, QoS};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// `base` scaled by a random factor in [0.5, 1): clients that lost the broker together do
/// not all come back in the same second.
pub fn jittered(base: Duration) -> Duration {
    let random = uuid::Uuid::new_v4().as_bytes()[0] as f64 / 256.0;
    base.mul_f64(0.5 + random / 2.0)
}

/// Subscribes to every topic in one SUBSCRIBE (so the SUBACK's return codes line up with
/// the topics); when any is refused, all are asked for again after a growing wait, from a
/// small timer task — the poller itself never sleeps while connected.
pub(super) struct TopicSubscriptions {
    topics: Vec<String>,
    retry_wait: Duration,
    first_wait: Duration,
}

impl TopicSubscriptions {
    pub(super) fn new(topics: Vec<String>, first_wait: Duration) -> Self {
        TopicSubscriptions {
            topics,
            retry_wait: first_wait,
            first_wait,
        }
    }

    fn filters(&self) -> Vec<rumqttc::SubscribeFilter> {
        self.topics
            .iter()
            .map(|t| rumqttc::SubscribeFilter::new(t.clone(), QoS::AtLeastOnce))
            .collect()
    }

    /// After CONNACK: the broker may have dropped the session, so subscribe to all again.
    pub(super) fn subscribe_all(&mut self, client: &AsyncClient) {
        if let Err(e) = client.try_subscribe_many(self.filters()) {
            tracing::warn!("could not queue the subscription to the ThinQ push topics: {e}");
        }
    }

    /// The topics a SUBACK refused.
    pub(super) fn refused(&self, ack: &rumqttc::SubAck) -> Vec<String> {
        let mut refused: Vec<String> = ack
            .return_codes
            .iter()
            .zip(&self.topics)
            .filter(|(code, _)| matches!(code, rumqttc::SubscribeReasonCode::Failure))
            .map(|(_, topic)| topic.clone())
            .collect();
        if refused.is_empty() && ack.return_codes.len() < self.topics.len() {
            refused = self.topics[ack.return_codes.len()..].to_vec();
        }
        refused
    }

    pub(super) fn accepted(&mut self) {
        self.retry_wait = self.first_wait;
    }

    /// Asks for every topic again after the current wait (doubling, at most 10 minutes).
    pub(super) fn retry_later(
        &mut self,
        client: &AsyncClient,
        shutdown: &CancellationToken,
    ) -> Duration {
        let wait = jittered(self.retry_wait);
        self.retry_wait = (self.retry_wait * 2).min(Duration::from_secs(600));
        let client = client.clone();
        let shutdown = shutdown.clone();
        let filters = self.filters();
        tokio::spawn(async move {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = tokio::time::sleep(wait) => {
                    let _ = client.try_subscribe_many(filters);
                }
            }
        });
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suback_names_the_refused_topics_and_a_short_one_refuses_the_rest() {
        let subs = TopicSubscriptions::new(
            vec!["app/push".into(), "app/inbox".into()],
            Duration::from_secs(1),
        );
        let ack = |codes: Vec<rumqttc::SubscribeReasonCode>| rumqttc::SubAck::new(1, codes);
        use rumqttc::SubscribeReasonCode::{Failure, Success};
        assert!(
            subs.refused(&ack(vec![Success(QoS::AtLeastOnce); 2]))
                .is_empty()
        );
        assert_eq!(
            subs.refused(&ack(vec![Success(QoS::AtLeastOnce), Failure])),
            vec!["app/inbox".to_owned()]
        );
        assert_eq!(
            subs.refused(&ack(vec![Success(QoS::AtLeastOnce)])),
            vec!["app/inbox".to_owned()]
        );
    }

    #[test]
    fn jitter_stays_between_half_and_the_whole_wait() {
        for _ in 0..200 {
            let j = jittered(Duration::from_secs(10));
            assert!(
                j >= Duration::from_secs(5) && j < Duration::from_secs(10),
                "{j:?}"
            );
        }
    }
}
