//! What the bridge's two MQTT sessions share: LG's push broker ([`crate::thinq::push`]) and
//! Home Assistant's Mosquitto ([`crate::hass::session`]). Here, beside [`crate::tls`], so
//! that neither side reaches into the other for it.

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// TCP_NODELAY on one of the bridge's MQTT connections (the other network options stay).
/// Each MQTT packet is a whole message (a value for Home Assistant, a PUBACK for LG's broker),
/// a few dozen bytes, and one report makes one; Nagle's algorithm could hold one back until
/// the peer acknowledges the previous segment, which is only latency on a connection this
/// sparse.
pub fn no_delay(eventloop: &mut rumqttc::EventLoop) {
    let mut options = eventloop.network_options();
    options.set_tcp_nodelay(true);
    eventloop.set_network_options(options);
}

/// Hands a session's event to the bridge unless shutdown comes first; `false` when the
/// session should end (shutdown, or nobody listens any more). A full channel is waited on,
/// not skipped: an event is never dropped while the bridge runs.
pub async fn send_unless_stopped<T>(
    events: &mpsc::Sender<T>,
    shutdown: &CancellationToken,
    event: T,
) -> bool {
    tokio::select! {
        biased;
        _ = shutdown.cancelled() => false,
        sent = events.send(event) => sent.is_ok(),
    }
}
