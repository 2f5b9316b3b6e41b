//! Appliance energy through the real bridge: the simulated cloud's energy endpoints, the
//! call budget, Home Assistant's broker. The tracker's arithmetic (midnight, revised hours,
//! never backwards) is tested without I/O in tests/energy_tracker.rs; this is the wiring.

mod support;

use std::time::{Duration, Instant};
use support::{WAIT, World};
use thinq_addon::hass::topics::Topics;
use thinq_addon::sim::SimDevice;

fn total_topic(device_id: &str) -> String {
    format!("thinq/{}/energy_total/state", Topics::object_id(device_id))
}

async fn total(world: &World, device_id: &str) -> Option<f64> {
    let held = world.retained().await;
    held.get(&total_topic(device_id))
        .and_then(|p| String::from_utf8_lossy(p).trim().parse().ok())
}

async fn wait_total(world: &World, device_id: &str, above: f64) -> f64 {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(kwh) = total(world, device_id).await
            && kwh > above
        {
            return kwh;
        }
        assert!(
            Instant::now() < deadline,
            "no energy total above {above} for {device_id}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn energy_sensors_appear_survive_a_restart_and_cost_few_calls() {
    let world = World::with(SimDevice::fixture_set())
        .scaled(0.01)
        .start()
        .await;
    let ac = world.device_id("DEVICE_AIR_CONDITIONER");
    let oven = world.device_id("DEVICE_OVEN");
    let bridge = world.bridge();
    let mut ha = world.home_assistant().await;

    // The energy device payload of the air conditioner: a total usable in the Energy dashboard.
    let discovery = ha
        .wait_json(
            &format!(
                "homeassistant/device/thinq_{}_energy/config",
                Topics::object_id(&ac)
            ),
            |v| v.get("cmps").is_some(),
        )
        .await;
    let components = discovery["cmps"].as_object().unwrap();
    let total_component = components
        .values()
        .find(|c| c["stat_t"] == total_topic(&ac))
        .expect("a total energy sensor");
    assert_eq!(total_component["dev_cla"], "energy");
    assert_eq!(total_component["stat_cla"], "total_increasing");
    let first = wait_total(&world, &ac, 0.0).await;
    println!("air conditioner energy total: {first} kWh");

    // The oven has no energy (HTTP 406): asked once, no entity.
    let oven_profile = format!("/devices/energy/{oven}/profile");
    assert_eq!(world.sim.count("GET", &oven_profile), 1);
    let held = world.retained().await;
    assert!(!held.contains_key(&total_topic(&oven)));

    // "Refresh energy" reads again, within the budget (at most once per 15 scaled minutes).
    tokio::time::sleep(Duration::from_secs(10)).await;
    let usage_before = world.sim.count_prefix("GET", "/devices/energy/");
    ha.publish("thinq/bridge/refresh_energy/press/set", "PRESS")
        .await;
    let deadline = Instant::now() + WAIT;
    while world.sim.count_prefix("GET", "/devices/energy/") == usage_before {
        assert!(Instant::now() < deadline, "the refresh button read nothing");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A restart: the total is kept and never goes back; LG's answers are remembered, so
    // neither the oven (406) nor the air conditioner is asked for its energy profile again.
    bridge.stop_ok().await;
    let profiles_before = energy_profile_calls(&world);
    let bridge = world.bridge();
    let after = wait_total(&world, &ac, 0.0).await;
    assert!(
        after >= first,
        "the total went back from {first} to {after} kWh"
    );
    world.wait_until_lg_idle().await;
    assert_eq!(world.sim.count("GET", &oven_profile), 1);
    assert_eq!(
        energy_profile_calls(&world),
        profiles_before,
        "a restart asked for an energy profile LG had answered"
    );
    let held = world.retained().await;
    assert!(!held.contains_key(&total_topic(&oven)));
    let energy_calls = world.sim.count_prefix("GET", "/devices/energy/");
    println!("energy calls over two starts and one refresh: {energy_calls}");
    bridge.stop_ok().await;
}

/// Energy profile reads so far, every device.
fn energy_profile_calls(world: &World) -> usize {
    world
        .sim
        .requests()
        .iter()
        .filter(|c| c.path.starts_with("/devices/energy/") && c.path.ends_with("/profile"))
        .count()
}
