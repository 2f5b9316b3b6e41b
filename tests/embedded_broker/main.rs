//! The embedded demo broker, exercised over real loopback sockets by real clients: rumqttc
//! (what the add-on itself uses), raw bytes where a client library would hide the behaviour,
//! and Mosquitto's own `mosquitto_sub` (a test fails, never skips, when it is missing).
//!
//! Timeouts here are upper bounds that turn a hang into a failure; no test relies on
//! something happening *within* a short time, and absence is checked with a marker message
//! that must arrive first (deliveries to one client are ordered).
//!
//! The tests of plain MQTT are here; `tls`, `wire`, `fuzz` and `interop` hold the others,
//! and `clients` what they all start from.

mod clients;
mod fuzz;
mod interop;
#[allow(dead_code)] // only `tool` is used here
#[path = "../support/mosquitto.rs"]
mod mosquitto;
mod tls;
mod wire;

use clients::*;
use rumqttc::{Packet, QoS, SubscribeReasonCode};

#[tokio::test]
async fn wildcard_subscriptions_receive_only_matching_publishes() {
    let broker = start_plain().await;
    let mut subscriber = broker.client("sub").await;
    for filter in ["home/+/temperature", "device/#", "end"] {
        subscriber.subscribe(filter, QoS::AtMostOnce).await;
    }
    let mut publisher = broker.client("pub").await;
    for topic in [
        "home/kitchen/temperature",
        "home/kitchen/humidity",
        "home/kitchen/temperature/raw",
        "device/washer",
        "device/washer/state/remain",
        "devices/other",
        "$SYS/not-for-wildcards",
        "end",
    ] {
        publisher
            .client
            .publish(topic, QoS::AtMostOnce, false, topic.as_bytes().to_vec())
            .await
            .unwrap();
    }
    let received = collect_until(&mut subscriber, "end").await;
    let topics: Vec<&str> = received.iter().map(|p| p.topic.as_str()).collect();
    assert_eq!(
        topics,
        [
            "home/kitchen/temperature",
            "device/washer",
            "device/washer/state/remain",
            "end"
        ]
    );
    assert!(
        received
            .iter()
            .all(|p| !p.retain && p.payload == p.topic.as_bytes())
    );

    // After UNSUBSCRIBE nothing more arrives on that filter.
    subscriber.client.unsubscribe("device/#").await.unwrap();
    subscriber
        .until("the UNSUBACK", |p| matches!(p, Packet::UnsubAck(_)))
        .await;
    publisher.publish_acked("device/washer", b"x", false).await;
    publisher.publish_acked("end", b"end", false).await;
    let received = collect_until(&mut subscriber, "end").await;
    assert_eq!(
        topics_and_payloads(&received),
        [("end".into(), b"end".to_vec())]
    );
}

#[tokio::test]
async fn retained_messages_are_delivered_on_subscribe_and_deleted_by_an_empty_payload() {
    let broker = start_plain().await;
    let mut publisher = broker.client("pub").await;
    publisher
        .publish_acked("thinq/washer/state", b"RUNNING", true)
        .await;
    publisher
        .publish_acked("thinq/dryer/state", b"OFF", true)
        .await;
    // Replaced, not appended.
    publisher
        .publish_acked("thinq/washer/state", b"END", true)
        .await;

    let mut late = broker
        .subscriber("late", "thinq/+/state", QoS::AtLeastOnce)
        .await;
    let first = late.next_publish().await;
    let second = late.next_publish().await;
    assert!(
        first.retain && second.retain,
        "retained deliveries carry the flag"
    );
    assert_eq!(
        topics_and_payloads(&[first, second]),
        [
            ("thinq/dryer/state".into(), b"OFF".to_vec()),
            ("thinq/washer/state".into(), b"END".to_vec()),
        ]
    );

    // An empty retained payload deletes the stored message; current subscribers still get it.
    publisher
        .publish_acked("thinq/washer/state", b"", true)
        .await;
    let deletion = late.next_publish().await;
    assert_eq!(deletion.topic, "thinq/washer/state");
    assert!(deletion.payload.is_empty() && !deletion.retain);

    let mut later = broker
        .subscriber("later", "thinq/washer/#", QoS::AtMostOnce)
        .await;
    later.subscribe("marker", QoS::AtMostOnce).await;
    publisher.publish_acked("marker", b"m", false).await;
    let received = collect_until(&mut later, "marker").await;
    assert_eq!(
        topics_and_payloads(&received),
        [("marker".into(), b"m".to_vec())],
        "the deleted retained message must not be delivered"
    );
}

#[tokio::test]
async fn last_will_is_published_on_abrupt_drop_and_retained_when_asked() {
    let (broker, mut watcher) = start_plain_watching("status/#", QoS::AtLeastOnce).await;

    let will = ("status/bridge", "offline", QoS::AtLeastOnce, true);
    let mut bridge = broker.client_with_will("bridge", will).await;
    bridge.publish_acked("status/bridge", b"online", true).await;
    let online = watcher.next_publish().await;
    assert_eq!(online.payload, "online");

    bridge.drop_abruptly();
    let will = watcher.next_publish().await;
    assert_eq!(
        (will.topic.as_str(), &will.payload[..], will.qos),
        ("status/bridge", &b"offline"[..], QoS::AtLeastOnce)
    );

    // The will was retained: it replaced "online" for anyone who subscribes later.
    let mut late = broker
        .subscriber("late", "status/bridge", QoS::AtMostOnce)
        .await;
    let retained = late.next_publish().await;
    assert!(retained.retain);
    assert_eq!(retained.payload, "offline");
    assert_eq!(
        retained.qos,
        QoS::AtMostOnce,
        "delivered at the subscription's QoS"
    );

    // A clean DISCONNECT discards the will.
    let will = ("status/polite", "offline", QoS::AtMostOnce, false);
    let mut polite = broker.client_with_will("polite", will).await;
    polite.client.disconnect().await.unwrap();
    polite.expect_closed().await;
    let mut publisher = broker.client("pub").await;
    publisher.publish_acked("status/marker", b"m", false).await;
    let next = watcher.next_publish().await;
    assert_eq!(
        next.topic, "status/marker",
        "no will after a clean DISCONNECT"
    );
}

#[tokio::test]
async fn qos1_round_trip_is_acknowledged_and_delivered_at_the_lower_qos() {
    let broker = start_plain().await;
    let mut at_least_once = broker.client("q1").await;
    assert_eq!(
        at_least_once.subscribe("cmd/#", QoS::AtLeastOnce).await,
        SubscribeReasonCode::Success(QoS::AtLeastOnce)
    );
    let mut at_most_once = broker.subscriber("q0", "cmd/#", QoS::AtMostOnce).await;
    let mut exactly_once = broker.client("q2").await;
    assert_eq!(
        exactly_once.subscribe("cmd/#", QoS::ExactlyOnce).await,
        SubscribeReasonCode::Success(QoS::AtLeastOnce),
        "QoS 2 subscriptions are granted QoS 1"
    );

    let mut publisher = broker.client("pub").await;
    publisher.publish_acked("cmd/power", b"ON", false).await;

    let delivered = at_least_once.next_publish().await;
    assert_eq!(
        (delivered.qos, &delivered.payload[..]),
        (QoS::AtLeastOnce, &b"ON"[..])
    );
    assert_ne!(delivered.pkid, 0);
    assert_eq!(at_most_once.next_publish().await.qos, QoS::AtMostOnce);
    assert_eq!(exactly_once.next_publish().await.qos, QoS::AtLeastOnce);

    // A QoS 2 publish completes its PUBREC/PUBREL/PUBCOMP handshake and is delivered once.
    publisher
        .client
        .publish("cmd/mode", QoS::ExactlyOnce, false, b"COOL".to_vec())
        .await
        .unwrap();
    publisher
        .until("the PUBCOMP", |p| matches!(p, Packet::PubComp(_)))
        .await;
    publisher.publish_acked("cmd/marker", b"m", false).await;
    let received = collect_until(&mut at_least_once, "cmd/marker").await;
    assert_eq!(
        topics_and_payloads(&received),
        [
            ("cmd/mode".into(), b"COOL".to_vec()),
            ("cmd/marker".into(), b"m".to_vec())
        ]
    );
    assert_eq!(received[0].qos, QoS::AtLeastOnce);
}

#[tokio::test]
async fn a_second_connection_with_the_same_client_id_takes_over() {
    let (broker, mut watcher) = start_plain_watching("dup/#", QoS::AtMostOnce).await;
    let port = broker.plain_port();

    let will = ("dup/will", "first gone", QoS::AtMostOnce, false);
    let mut first = broker.client_with_will("same-id", will).await;
    first.subscribe("dup/#", QoS::AtMostOnce).await;

    let mut second = TestClient::connect(plain_options("same-id", port)).await;
    first.expect_closed().await;
    // The replaced connection did not say goodbye: its will goes out (as Mosquitto does).
    let will = watcher.next_publish().await;
    assert_eq!(
        (will.topic.as_str(), &will.payload[..]),
        ("dup/will", &b"first gone"[..])
    );

    // The new connection has a fresh session and works.
    second.subscribe("dup/#", QoS::AtMostOnce).await;
    second.publish_acked("dup/hello", b"hi", false).await;
    assert_eq!(second.next_publish().await.payload, "hi");
}
