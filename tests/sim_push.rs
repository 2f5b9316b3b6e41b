//! Pushes from the simulated cloud travel over mutual TLS through a real Mosquitto to a
//! client holding a certificate the cloud signed, and only to subscribed clients.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{PushCloud, Subscriber, WAIT, tls_client_config};
use thinq_addon::sim::SimDevice;
use thinq_addon::sim::devices::{AIR_CONDITIONER_ID, WASHER_ID};

/// The next push of `kind` about `device` that `subscriber` receives, other messages skipped;
/// fails when none comes within [`WAIT`].
async fn next_push(subscriber: &mut Subscriber, kind: &str, device: &str) -> Value {
    subscriber
        .next_json(|v| v["pushType"] == kind && v["deviceId"] == device)
        .await
        .unwrap_or_else(|| panic!("no {kind} push about {device} within {WAIT:?}"))
}

#[tokio::test]
async fn a_valid_control_comes_back_as_device_status_over_mtls() {
    let (cloud, lg, mut subscriber) = PushCloud::watching_ac("home-assistant-one").await;

    let body = json!({"airFlow": {"windStrength": "HIGH"}});
    lg.ok(
        "POST",
        &format!("/devices/{AIR_CONDITIONER_ID}/control"),
        Some(&body),
    )
    .await
    .expect("control");
    let status = next_push(&mut subscriber, "DEVICE_STATUS", AIR_CONDITIONER_ID).await;
    assert_eq!(status["deviceType"], "DEVICE_AIR_CONDITIONER");
    assert_eq!(
        status["report"],
        json!({"airFlow": {"windStrength": "HIGH"}})
    );
    assert!(status["userList"].is_array());
    assert_eq!(
        cloud.sim.device_state(AIR_CONDITIONER_ID).expect("state")["airFlow"]["windStrength"],
        "HIGH"
    );

    // A refused control sends nothing; a report from the device does.
    let refused = json!({"airFlow": {"windStrength": "TURBO"}});
    let (status_code, _) = lg
        .control(AIR_CONDITIONER_ID, &refused)
        .await
        .expect("call");
    assert_eq!(status_code, 400);
    cloud
        .sim
        .report(
            AIR_CONDITIONER_ID,
            json!({"powerSave": {"powerSaveEnabled": true}}),
        )
        .await;
    let next = next_push(&mut subscriber, "DEVICE_STATUS", AIR_CONDITIONER_ID).await;
    assert_eq!(
        next["report"],
        json!({"powerSave": {"powerSaveEnabled": true}})
    );
    cloud.sim.shutdown().await;
}

#[tokio::test]
async fn pushes_reach_only_subscribed_clients_in_both_shapes() {
    let cloud = PushCloud::with_fixtures().await;
    let (lg, mut subscribed) = cloud.client("client-subscribed").await;
    let (_other, mut bystander) = cloud.client("client-bystander").await;
    lg.ok("POST", &format!("/push/{WASHER_ID}/subscribe"), None)
        .await
        .expect("push subscribe");
    lg.ok("POST", "/push/devices", None)
        .await
        .expect("device list subscribe");

    cloud.sim.notify(WASHER_ID, "WASHING_IS_COMPLETE").await;
    let push = next_push(&mut subscribed, "DEVICE_PUSH", WASHER_ID).await;
    assert_eq!(push["pushCode"], "WASHING_IS_COMPLETE");
    assert_eq!(push["deviceType"], "DEVICE_WASHER");

    cloud.sim.rename_device(WASHER_ID, "Laundry").await;
    let renamed = next_push(&mut subscribed, "DEVICE_ALIAS_CHANGED", WASHER_ID).await;
    assert_eq!(renamed["alias"], "Laundry");

    cloud.sim.set_wrapped_pushes(true);
    cloud.sim.notify(WASHER_ID, "ERROR_DURING_WASHING").await;
    let wrapped = subscribed
        .next_json(|v| v["push"]["pushType"] == "DEVICE_PUSH")
        .await
        .expect("wrapped push");
    assert_eq!(wrapped["push"]["pushCode"], "ERROR_DURING_WASHING");
    assert!(wrapped["messageId"].is_string());

    cloud
        .sim
        .publish_raw("client-subscribed", b"{not json".to_vec())
        .await;
    let (topic, raw) = subscribed.next(WAIT).await.expect("raw payload");
    assert_eq!(topic, "app/clients/client-subscribed/push");
    assert_eq!(raw, b"{not json");

    // Nothing of that was for the bystander; a raw push to it arrives first and alone.
    cloud
        .sim
        .publish_raw("client-bystander", b"ping".to_vec())
        .await;
    let (_, first) = bystander.next(WAIT).await.expect("bystander's own push");
    assert_eq!(first, b"ping");
    let sent = cloud.sim.pushes();
    assert_eq!(
        sent.iter()
            .filter(|p| p.client_id == "client-bystander")
            .count(),
        1
    );
    cloud.sim.shutdown().await;
}

#[tokio::test]
async fn device_list_changes_and_life_send_pushes() {
    let cloud = PushCloud::with_fixtures().await;
    let (lg, mut subscriber) = cloud.client("client-life").await;
    lg.ok("POST", "/push/devices", None)
        .await
        .expect("device list subscribe");
    lg.event_subscribe(AIR_CONDITIONER_ID, 1)
        .await
        .expect("event subscribe");

    let mut extra = SimDevice::fixture_set()
        .into_iter()
        .find(|d| d.id() == WASHER_ID)
        .expect("washer");
    extra.summary.device_id = "MW2-NEW-WASHER".to_owned();
    cloud.sim.add_device(extra).await;
    let registered = subscriber
        .next_json(|v| v["pushType"] == "DEVICE_REGISTERED")
        .await
        .expect("registered");
    assert_eq!(registered["deviceId"], "MW2-NEW-WASHER");
    assert_eq!(registered["modelName"], "FAFXU22027");
    cloud.sim.remove_device("MW2-NEW-WASHER").await;
    next_push(&mut subscriber, "DEVICE_UNREGISTERED", "MW2-NEW-WASHER").await;

    let life = cloud.sim.start_life(Duration::from_millis(20));
    // The room temperature drifts.
    let drift = next_push(&mut subscriber, "DEVICE_STATUS", AIR_CONDITIONER_ID).await;
    assert_eq!(
        drift["report"]["temperatureInUnits"][0]["currentTemperature"],
        24
    );
    cloud.sim.shutdown().await;
    life.await.expect("life ends with the simulator");
}

#[tokio::test]
async fn the_broker_refuses_a_client_without_a_certificate() {
    let cloud = PushCloud::empty().await;
    let tls = tls_client_config(&cloud.ca.ca_pem(), None).expect("tls");
    let result = Subscriber::connect(cloud.broker.port(), "anonymous", "#", Some(tls), None).await;
    assert!(
        result.is_err(),
        "a client without a certificate must not connect"
    );
    cloud.sim.shutdown().await;
}
