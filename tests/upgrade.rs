//! An upgrade as Home Assistant meets it: the bridge's new discovery replaces an older
//! version's in a Home Assistant that keeps running.
//!
//! * Home Assistant keeps an MQTT sensor's value template (and any JSON-attributes template)
//!   when a discovery update drops it, so until it restarts, every discovery payload is
//!   followed by a non-retained copy with pass-through templates; the broker keeps only the
//!   plain payload. Home Assistant's birth ends that, for this run and the next
//!   (`hass::stale_templates`).
//! * A device is announced `online` only after its values: an entity whose kind of value
//!   changed is never shown with an old value of the other kind still retained.

mod support;

use serde_json::Value;
use std::time::Duration;
use support::world::{components_of, fixture_devices, wait_until_lg_idle};
use support::{World, wait_until};
use thinq_addon::hass::stale_templates::{LAYOUT, MARKER_FILE, PASS_THROUGH};
use thinq_addon::hass::topics::Topics;

fn topics() -> Topics {
    Topics::new("homeassistant", "thinq")
}

/// Components of a discovery payload that carry a template.
fn templated(payload: &[u8]) -> Vec<String> {
    components_of(payload)
        .into_iter()
        .filter(|(_, c)| {
            c.as_object()
                .is_some_and(|c| c.keys().any(|k| k.ends_with("_tpl")))
        })
        .map(|(k, _)| k)
        .collect()
}

/// Asserts that none of `seen` (topic, payload) carries a template.
fn assert_no_template(seen: &[(String, Vec<u8>)], when: &str) {
    for (topic, payload) in seen {
        assert!(templated(payload).is_empty(), "{topic} {when}: a template");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_templates_are_replaced_until_home_assistant_restarts_and_never_retained() {
    let world = World::start(fixture_devices(3)).await;
    let mut ha = world.home_assistant().await;
    let bridge = world.bridge();
    let bridge_discovery = topics().bridge_discovery();

    // First start of this version: the bridge's sensors come with pass-through templates in
    // a copy, then plain.
    let seen = ha
        .collect_until(&bridge_discovery, |p| templated(p).is_empty())
        .await;
    let copies: Vec<&Vec<u8>> = seen
        .iter()
        .filter(|(t, _)| *t == bridge_discovery)
        .map(|(_, p)| p)
        .collect();
    assert_eq!(copies.len(), 2, "a copy and the plain payload");
    let copy: Value = serde_json::from_slice(copies[0]).unwrap();
    assert_eq!(copy["cmps"]["devices"]["val_tpl"], PASS_THROUGH);
    assert_eq!(copy["cmps"]["problem"]["json_attr_tpl"], PASS_THROUGH);
    assert!(
        copy["cmps"]["problem"].get("val_tpl").is_none(),
        "a binary sensor resets its own"
    );
    world.assert_ha_matches_sim().await;
    wait_until_lg_idle(&world.sim).await;

    // The broker never keeps a template: Home Assistant's next start builds plain entities.
    let retained = world.retained_under("homeassistant/#").await;
    let device_payloads: Vec<_> = retained
        .iter()
        .filter(|(t, p)| t.ends_with("/config") && !p.is_empty())
        .collect();
    // The bridge, three appliances, and the energy payloads of those that have energy.
    assert!(
        device_payloads.len() >= 4,
        "{} payloads",
        device_payloads.len()
    );
    for (topic, payload) in &device_payloads {
        assert!(templated(payload).is_empty(), "{topic} retained a template");
    }
    assert!(!world.data_dir.join(MARKER_FILE).exists());

    // Home Assistant restarts: it built its entities from the plain payloads, so the copies
    // stop, now and in the next run.
    ha.publish("homeassistant/status", "online").await;
    let marker = world.data_dir.join(MARKER_FILE);
    wait_until(
        "the discovery-layout marker after Home Assistant's birth",
        || marker.exists(),
    )
    .await;
    assert_eq!(
        std::fs::read_to_string(world.data_dir.join(MARKER_FILE))
            .unwrap()
            .trim(),
        LAYOUT.to_string()
    );
    ha.drain(Duration::from_millis(500)).await;
    ha.publish("homeassistant/status", "online").await;
    let after_birth = ha.collect_until(&bridge_discovery, |_| true).await;
    assert_no_template(&after_birth, "after the birth");
    bridge.stop_ok().await;

    let mut ha = world.home_assistant().await;
    ha.drain(Duration::from_millis(500)).await;
    let bridge = world.bridge();
    let restart = ha.collect_until(&bridge_discovery, |_| true).await;
    assert_no_template(&restart, "in the next run");
    world.assert_ha_matches_sim().await;
    bridge.stop_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_goes_online_only_after_its_values() {
    let world = World::start(fixture_devices(3)).await;
    let mut ha = world.home_assistant().await;
    let bridge = world.bridge();
    let online = |stream: &[(String, Vec<u8>)], availability: &str| {
        stream
            .iter()
            .position(|(t, p)| t == availability && p == b"online")
    };
    let mut stream = Vec::new();
    for device in &world.devices {
        let availability = topics().device_availability(&device.summary.device_id);
        if online(&stream, &availability).is_none() {
            stream.extend(ha.collect_until(&availability, |p| p == b"online").await);
        }
    }
    for device in &world.devices {
        let availability = topics().device_availability(&device.summary.device_id);
        let online_at = online(&stream, &availability).expect("online seen");
        let before: Vec<&str> = stream[..online_at]
            .iter()
            .map(|(t, _)| t.as_str())
            .collect();
        let late: Vec<String> = world
            .expected(device)
            .into_iter()
            .map(|(topic, _)| topic)
            .filter(|topic| !before.contains(&topic.as_str()))
            .collect();
        assert!(
            late.is_empty(),
            "{} went online before its values {late:?}",
            device.summary.device_info.alias
        );
    }
    world.assert_ha_matches_sim().await;
    bridge.stop_ok().await;
}
