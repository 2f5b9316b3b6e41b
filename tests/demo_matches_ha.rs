//! The demo's table is what Home Assistant would list, for every fixture device and both
//! languages: the same devices, entity kinds, names, states and attributes.
//!
//! The real bridge publishes every fixture device to real Mosquitto; one subscriber takes
//! every message the demo's watcher would (device discovery and `thinq/#`), in order, and
//! hands each to the demo's view and to a reader written from Home Assistant's code
//! (`support/ha_reader.rs`), which share nothing. The broker starts with the payload a build
//! with the one-device WashTower left, so the removal of its moved entities is read too. The
//! two listings must be equal, and the
//! demo's must hold what the issue asked for: no removal marker drawn as an entity ("(main)"),
//! no entity without a name, the WashTower's washer and dryer with their values.

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::ha_reader::{HaReader, ListedDevice, ListedEntity};
use support::world::{one_device_washtower, wait_until_lg_idle};
use support::{Watcher, World};
use thinq_addon::demo::table::{self, DeviceRow};
use thinq_addon::demo::view::HaView;
use thinq_addon::hass::topics::Topics;
use thinq_addon::sim::SimDevice;

/// The demo's rows in the reader's shape, sorted the same way.
fn as_listed(rows: Vec<DeviceRow>) -> Vec<ListedDevice> {
    let mut devices: Vec<ListedDevice> = rows
        .into_iter()
        .map(|d| {
            let mut entities: Vec<ListedEntity> = d
                .entities
                .into_iter()
                .map(|e| ListedEntity {
                    platform: e.platform,
                    name: e.name,
                    state: e.state,
                    attributes: e.attributes,
                })
                .collect();
            entities.sort();
            ListedDevice {
                name: d.name,
                model: d.model,
                entities,
            }
        })
        .collect();
    devices.sort();
    devices
}

/// Lines naming what differs between two listings (devices by name and model).
fn differences(demo: &[ListedDevice], ha: &[ListedDevice]) -> Vec<String> {
    let mut out = Vec::new();
    for device in ha {
        match demo
            .iter()
            .find(|d| d.name == device.name && d.model == device.model)
        {
            None => out.push(format!("the demo lacks device {:?}", device.name)),
            Some(shown) => {
                for e in &device.entities {
                    if !shown.entities.contains(e) {
                        out.push(format!("{}: Home Assistant lists {e:?}", device.name));
                    }
                }
                for e in &shown.entities {
                    if !device.entities.contains(e) {
                        out.push(format!("{}: the demo shows {e:?}", device.name));
                    }
                }
            }
        }
    }
    for device in demo {
        if !ha
            .iter()
            .any(|d| d.name == device.name && d.model == device.model)
        {
            out.push(format!(
                "the demo shows device {:?} Home Assistant has not",
                device.name
            ));
        }
    }
    out
}

/// Waits until the broker holds `online` for the bridge and every device: the bridge read
/// each one's state (a device goes online only after its values).
async fn every_device_online(world: &World) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let held = world.retained().await;
        let offline: Vec<&str> = world
            .devices
            .iter()
            .map(|d| d.summary.device_id.as_str())
            .filter(|id| {
                let topic = format!("thinq/{}/availability", Topics::object_id(id));
                held.get(&topic).map(Vec::as_slice) != Some(b"online".as_slice())
            })
            .collect();
        let bridge_online =
            held.get("thinq/bridge/availability").map(Vec::as_slice) == Some(b"online".as_slice());
        if offline.is_empty() && bridge_online {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not online in time: {offline:?} (bridge online: {bridge_online})"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn compare(language: &str) {
    let mut world = World::start(SimDevice::every_fixture()).await;
    // 70 devices need about 280 LG calls; the budget's hour passes in 36 s.
    world.time_scale = Some(0.01);
    let mut options: Value =
        serde_json::from_slice(&std::fs::read(&world.options_path).unwrap()).unwrap();
    options["language"] = json!(language);
    std::fs::write(&world.options_path, options.to_string()).unwrap();

    // The broker still holds what a build with the one-device WashTower published: the
    // bridge removes the moved entities once, and both readers must see them go.
    let tower = world.device("DEVICE_WASHTOWER").clone();
    let (tower_topic, old_tower) = one_device_washtower(&tower);
    let mut seed = Watcher::connect(world.ha_broker.port(), &[tower_topic.as_str()]).await;
    seed.publish_retained(&tower_topic, &old_tower.to_string())
        .await;
    seed.wait_for(&tower_topic, |p| !p.is_empty()).await;

    let topics = Topics::new("homeassistant", "thinq");
    let mut ha = Watcher::connect(
        world.ha_broker.port(),
        &["homeassistant/device/+/config", "thinq/#"],
    )
    .await;
    let bridge = world.bridge();
    every_device_online(&world).await;
    wait_until_lg_idle(&world.sim).await;
    let messages = ha.collect_for(Duration::from_secs(1)).await;
    assert!(messages.len() > 1000, "{} messages", messages.len());

    let mut view = HaView::new(&topics.discovery_prefix, &topics.base);
    let mut reader = HaReader::new(&topics.discovery_prefix);
    for (topic, payload) in &messages {
        view.on_message(topic, payload);
        reader.take(topic, payload);
    }
    let rows = table::rows(&view, &topics.bridge_discovery());
    let demo = as_listed(rows.clone());
    let listed = reader.listing();
    let differences = differences(&demo, &listed);
    assert!(
        differences.is_empty(),
        "{language}: the demo differs from Home Assistant's listing:\n{}",
        differences.join("\n")
    );
    assert_eq!(demo, listed);

    // Every fixture device, the WashTower's washer and dryer and the bridge are listed.
    assert!(
        listed.len() >= world.devices.len() + 3,
        "{} devices listed",
        listed.len()
    );
    for row in &rows {
        for entity in &row.entities {
            assert!(
                !entity.name.is_empty() && entity.name != "(main)",
                "{}: an entity without a name",
                row.name
            );
            assert_ne!(entity.state, "unavailable", "{}: {entity:?}", row.name);
        }
    }
    let alias = &tower.summary.device_info.alias;
    let own = rows.iter().find(|r| r.name == *alias).expect("the tower");
    assert_eq!(
        own.entities.len(),
        1,
        "the old copies are gone from the tower: {:?}",
        own.entities
    );
    let units: Vec<&DeviceRow> = rows
        .iter()
        .filter(|r| r.name.starts_with(alias.as_str()) && r.name != *alias)
        .collect();
    assert_eq!(units.len(), 2, "washer and dryer under {alias}");
    for unit in units {
        // Of the entities with a state topic (not a button or an event, not disabled), most
        // have a value; a "finishes at" of an idle machine is rightly unknown.
        let stateful: Vec<_> = unit
            .entities
            .iter()
            .filter(|e| !matches!(e.platform.as_str(), "button" | "event") && e.state != "disabled")
            .collect();
        let valued = stateful.iter().filter(|e| e.state != "unknown").count();
        assert!(
            stateful.len() >= 4 && valued * 2 > stateful.len(),
            "{}: most entities have a value: {:?}",
            unit.name,
            unit.entities
        );
    }
    println!(
        "{language}: {} devices, {} entities listed alike",
        listed.len(),
        listed.iter().map(|d| d.entities.len()).sum::<usize>()
    );
    bridge.stop_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_lists_what_home_assistant_lists_in_english() {
    compare("en").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_lists_what_home_assistant_lists_in_korean() {
    compare("ko").await;
}
