//! The Mosquitto harness itself: the password broker lets the right user in and keeps the
//! wrong one out, the broker process goes away with the value, a stopped broker comes back on
//! its port with its users, a denied filter is refused in the SUBACK, and a missing program
//! fails with the install hint.

mod support;

use support::mosquitto::{INSTALL_HINT, tool};
use support::{Mosquitto, Subscriber};

const USER: (&str, &str) = ("homeassistant", "s3cret");

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

#[tokio::test]
async fn a_stopped_broker_starts_again_on_its_port_with_its_users() {
    thinq_addon::install_crypto_provider();
    let mut broker = Mosquitto::plain_with_password(USER.0, USER.1).expect("broker");
    let port = broker.port();
    let before = Subscriber::connect(port, "before", "t/#", None, Some(USER))
        .await
        .expect("connects before the stop");
    drop(before);

    broker.stop();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "a stopped broker must not listen"
    );
    assert!(
        Subscriber::connect(port, "during", "t/#", None, Some(USER))
            .await
            .is_err()
    );

    broker.start_again().expect("starts again");
    assert_eq!(broker.port(), port);
    Subscriber::connect(port, "after", "t/#", None, Some(USER))
        .await
        .unwrap_or_else(|err| panic!("{err:#}\n{}", broker.log()));
    let wrong = Subscriber::connect(port, "wrong", "t/#", None, Some((USER.0, "wrong"))).await;
    assert!(wrong.is_err(), "the password survives the restart");
}

#[tokio::test]
async fn a_denied_filter_is_refused_in_the_suback_across_a_restart() {
    thinq_addon::install_crypto_provider();
    let mut broker = Mosquitto::plain_with_password(USER.0, USER.1).expect("broker");
    broker.deny_subscribe("homeassistant/status").expect("deny");

    let refused = Subscriber::connect(
        broker.port(),
        "denied",
        "homeassistant/status",
        None,
        Some(USER),
    )
    .await
    .err()
    .expect("the denied filter must be refused");
    assert!(refused.to_string().contains("refused"), "{refused:#}");
    Subscriber::connect(broker.port(), "other", "homeassistant/#", None, Some(USER))
        .await
        .expect("another filter is still granted");

    broker.start_again().expect("starts again");
    let again = Subscriber::connect(
        broker.port(),
        "denied2",
        "homeassistant/status",
        None,
        Some(USER),
    )
    .await;
    assert!(again.is_err(), "the rule survives start_again");

    broker
        .allow_subscribe("homeassistant/status")
        .expect("allow");
    Subscriber::connect(
        broker.port(),
        "allowed",
        "homeassistant/status",
        None,
        Some(USER),
    )
    .await
    .expect("granted again once allowed");
}

#[test]
fn a_missing_program_fails_with_the_install_hint() {
    let panic = std::panic::catch_unwind(|| tool("mosquitto_no_such_program"))
        .expect_err("a missing program must fail, not be skipped");
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .expect("a text panic");
    assert_eq!(message, INSTALL_HINT);
}
