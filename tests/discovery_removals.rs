//! Removal markers (a component reduced to `{"p": platform}`) as Home Assistant needs them:
//! only when there is something of ours to remove, seen once, never kept by the broker.
//!
//! Home Assistant removes a device payload's component only on such a marker, and only one it
//! discovered (`mqtt/discovery.py`); a component a payload leaves out stays. So a marker on a
//! fresh install removes nothing and, retained, stays on every install for good; after an
//! upgrade that moved entities (the WashTower's washer and dryer became devices of their own),
//! a Home Assistant that still holds the old ones needs it once, before the payloads that
//! bring their unique ids back on the new devices.
//!
//! Real Mosquitto, the real bridge binary, the simulated LG cloud.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use support::World;
use support::world::{components_of, discovery_payloads, one_device_washtower, wait_until_lg_idle};
use thinq_addon::hass::discovery::{components, is_removal_marker};
use thinq_addon::sim::SimDevice;

/// The removal markers of a discovery payload: component id → platform.
fn markers(payload: &[u8]) -> BTreeMap<String, String> {
    components_of(payload)
        .into_iter()
        .filter(|(_, c)| is_removal_marker(c))
        .map(|(k, c)| (k, c["p"].as_str().unwrap_or("").to_owned()))
        .collect()
}

fn washtower(world: &World) -> &SimDevice {
    world.device("DEVICE_WASHTOWER")
}

/// Waits until every device of the world is online and its values are on the broker.
async fn settled(world: &World) {
    world.assert_ha_matches_sim().await;
    wait_until_lg_idle(&world.sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_start_sends_and_retains_no_removal_marker() {
    let world = World::start(SimDevice::fixture_set()).await;
    let mut ha = world.home_assistant().await;
    let bridge = world.bridge();
    settled(&world).await;
    let seen = ha.collect_for(Duration::from_millis(500)).await;
    let discovery: Vec<&(String, Vec<u8>)> = seen
        .iter()
        .filter(|(t, p)| t.ends_with("/config") && !p.is_empty())
        .collect();
    // The WashTower's tower, washer and dryer are among them.
    for (topic, _) in discovery_payloads(washtower(&world)) {
        assert!(
            discovery.iter().any(|(t, _)| *t == topic),
            "{topic} was not published"
        );
    }
    for (topic, payload) in &discovery {
        assert_eq!(
            markers(payload),
            BTreeMap::new(),
            "{topic}: a removal marker on a fresh install"
        );
    }
    let retained = world.retained_under("homeassistant/#").await;
    let mut payloads = 0;
    for (topic, payload) in &retained {
        if topic.ends_with("/config") && !payload.is_empty() {
            payloads += 1;
            assert!(markers(payload).is_empty(), "{topic} retains a marker");
        }
    }
    assert!(
        payloads > world.devices.len(),
        "{payloads} retained payloads"
    );
    bridge.stop_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_from_the_one_device_washtower_removes_the_moved_components_once() {
    let world = World::start(SimDevice::fixture_set()).await;
    let tower = washtower(&world).clone();
    let payloads = discovery_payloads(&tower);
    let (tower_topic, tower_payload) = payloads[0].clone();
    let units: Vec<String> = payloads[1..].iter().map(|(t, _)| t.clone()).collect();
    assert_eq!(units.len(), 2, "washer and dryer");
    let (_, all) = one_device_washtower(&tower);
    let moved: BTreeMap<String, String> = payloads[1..]
        .iter()
        .flat_map(|(_, p)| components(p))
        .collect();
    assert!(moved.len() > 10, "{moved:?}");
    let mut ha = world.home_assistant().await;
    ha.publish_retained(&tower_topic, &all.to_string()).await;
    ha.wait_for(&tower_topic, |p| p == all.to_string().as_bytes())
        .await;

    let bridge = world.bridge();
    settled(&world).await;
    let seen = ha.collect_for(Duration::from_millis(500)).await;
    let on_tower: Vec<&Vec<u8>> = seen
        .iter()
        .filter(|(t, _)| *t == tower_topic)
        .map(|(_, p)| p)
        .collect();
    let with_markers: Vec<BTreeMap<String, String>> = on_tower
        .iter()
        .map(|p| markers(p))
        .filter(|m| !m.is_empty())
        .collect();
    assert_eq!(
        with_markers,
        [moved],
        "one payload removes exactly the moved components"
    );
    // …before the units bring the same unique ids back, and the plain payload after it.
    let position = |topic: &str, marked: bool| {
        seen.iter()
            .position(|(t, p)| t == topic && !p.is_empty() && markers(p).is_empty() != marked)
    };
    let marker_at = position(&tower_topic, true).unwrap();
    for unit in &units {
        let unit_at = position(unit, false).expect("unit published");
        assert!(marker_at < unit_at, "{unit} came before the removal");
    }
    let plain_at = position(&tower_topic, false).unwrap();
    assert!(marker_at < plain_at);
    // The broker keeps only the plain payload: the tower's own entities.
    let retained = world.retained_under("homeassistant/#").await;
    let kept: Value = serde_json::from_slice(&retained[&tower_topic]).unwrap();
    assert_eq!(kept, tower_payload);
    for unit in &units {
        assert!(markers(&retained[unit]).is_empty());
    }
    bridge.stop_ok().await;

    // The next start finds nothing to remove: no marker at all.
    let mut ha = world.home_assistant().await;
    ha.drain(Duration::from_millis(500)).await;
    let bridge = world.bridge();
    settled(&world).await;
    for (topic, payload) in ha.collect_for(Duration::from_millis(500)).await {
        assert!(
            markers(&payload).is_empty(),
            "{topic}: a marker in the run after the upgrade"
        );
    }
    bridge.stop_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_known_devices_file_remembers_is_removed_when_the_broker_lost_it() {
    let world = World::start(SimDevice::fixture_set()).await;
    let bridge = world.bridge();
    settled(&world).await;
    bridge.stop_ok().await;

    // An earlier run published a component this build no longer makes; the broker lost that
    // payload (a broker without persistence) while Home Assistant may still hold the entity.
    let tower = washtower(&world).clone();
    let (tower_topic, _) = discovery_payloads(&tower).remove(0);
    let path = world.data_dir.join("known-devices.json");
    let mut file: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let remembered = &mut file["devices"][&tower.summary.device_id]["discovery_components"];
    assert!(
        remembered[&tower_topic].get("notification").is_some(),
        "the file remembers what was published: {remembered}"
    );
    remembered[&tower_topic]["old_cycle_count"] = json!("sensor");
    std::fs::write(&path, file.to_string()).unwrap();
    let mut ha = world.home_assistant().await;
    ha.publish_retained(&tower_topic, "").await;
    ha.wait_for(&tower_topic, <[u8]>::is_empty).await;

    let bridge = world.bridge();
    settled(&world).await;
    let removals: Vec<BTreeMap<String, String>> = ha
        .collect_for(Duration::from_millis(500))
        .await
        .iter()
        .filter(|(t, _)| *t == tower_topic)
        .map(|(_, p)| markers(p))
        .filter(|m| !m.is_empty())
        .collect();
    assert_eq!(
        removals,
        [BTreeMap::from([(
            "old_cycle_count".to_owned(),
            "sensor".to_owned()
        )])]
    );
    let retained = world.retained_under("homeassistant/#").await;
    assert!(markers(&retained[&tower_topic]).is_empty());
    bridge.stop_ok().await;
}
