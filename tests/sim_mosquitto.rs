//! The Mosquitto harness itself: the password broker lets the right user in and keeps the
//! wrong one out, and the broker process goes away with the value.

mod support;

use support::{Mosquitto, Subscriber};

#[tokio::test]
async fn password_broker_checks_credentials() {
    thinq_addon::install_crypto_provider();
    let broker = Mosquitto::plain_with_password("homeassistant", "s3cret").expect("broker");
    let port = broker.port();
    let mut good =
        Subscriber::connect(port, "good", "t/#", None, Some(("homeassistant", "s3cret")))
            .await
            .unwrap_or_else(|err| panic!("{err:#}\n{}", broker.log()));
    let bad = Subscriber::connect(port, "bad", "t/#", None, Some(("homeassistant", "wrong"))).await;
    assert!(bad.is_err(), "a wrong password must be refused");

    // A message published by another client reaches the subscriber.
    let mut options = rumqttc::MqttOptions::new("publisher", "127.0.0.1", port);
    options.set_credentials("homeassistant", "s3cret");
    let (client, mut eventloop) = rumqttc::AsyncClient::new(options, 8);
    client
        .publish("t/x", rumqttc::QoS::AtLeastOnce, false, b"hello".to_vec())
        .await
        .expect("queue");
    let pump = tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
    let (topic, payload) = good.next(support::WAIT).await.expect("message");
    assert_eq!(
        (topic.as_str(), payload.as_slice()),
        ("t/x", b"hello".as_slice())
    );
    pump.abort();

    drop(good);
    drop(broker);
    let reachable = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
    assert!(!reachable, "the broker must be gone after drop");
}
