//! How the bridge spends LG's calls in a large home, with real parts (the `thinq-addon`
//! binary, the simulated LG cloud with its optional hourly quota, a mutual-TLS Mosquitto for
//! LG's push broker and a password Mosquitto for Home Assistant's):
//!
//! * a first start makes appliances ready one by one (profile, event subscription, state) in
//!   LG's order, before notification subscriptions and energy, and a restart with stored
//!   credentials asks only what may have changed: one call per appliance and four more;
//! * under an account quota the bridge stays below it (at most one 1314 an hour), every
//!   appliance is ready within the first hour, commands still go through while the bridge
//!   waits, and notifications and energy follow in the second hour;
//! * LG's refusals teach the bridge a lower hourly limit, which survives a restart;
//! * a push broker that moved since the route was stored is found again.
//!
//! Counts, not times: how long a start takes is in the bench (`cargo bench --bench pipeline
//! -- startup`). Intervals are shrunk with `THINQ_TIME_SCALE` where an hour must pass.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use support::world::{fixture_devices, room_temperature};
use support::{BRIDGE_STATE, WAIT, Watcher, World};
use thinq_addon::sim::{Quota, RecordedRequest, SimDevice};

/// Calls of one kind, by device id, in the order they were answered: `("GET", "profile")`
/// matches `GET /devices/{id}/profile`, `("POST", "event")` `POST /event/{id}/subscribe`.
fn device_calls<'a>(
    calls: &'a [RecordedRequest],
    method: &str,
    kind: &str,
) -> Vec<(usize, &'a str)> {
    calls
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            // Answered: a success, "already subscribed", or (energy) "no energy here".
            let answered = c.status == 200
                || c.code.as_deref() == Some("1207")
                || (kind == "energy" && c.status < 500 && c.code.as_deref() != Some("1314"));
            c.method == method && answered
        })
        .filter_map(|(i, c)| {
            let segments: Vec<&str> = c.path.trim_matches('/').split('/').collect();
            let id = match (kind, segments.as_slice()) {
                ("profile", ["devices", id, "profile"])
                | ("state", ["devices", id, "state"])
                | ("event", ["event", id, "subscribe"])
                | ("push", ["push", id, "subscribe"])
                | ("energy", ["devices", "energy", id, "profile"]) => *id,
                _ => return None,
            };
            Some((i, id))
        })
        .collect()
}

/// How many calls of each kind (`GET /devices/{id}/state`, with its answer's code).
fn call_kinds<'a>(calls: impl IntoIterator<Item = &'a RecordedRequest>) -> BTreeMap<String, usize> {
    let mut kinds = BTreeMap::new();
    for call in calls {
        let path = call
            .path
            .split('/')
            .map(|s| {
                if s.len() > 20 || s.starts_with("LGDEV-") {
                    "{id}"
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let code = call
            .code
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        *kinds
            .entry(format!("{} {path}{code}", call.method))
            .or_default() += 1;
    }
    kinds
}

fn ids(calls: &[(usize, &str)]) -> std::collections::HashSet<String> {
    calls.iter().map(|(_, id)| (*id).to_owned()).collect()
}

/// Waits up to `within` until the bridge device says every appliance of `world` is ready;
/// otherwise fails with what LG was asked and what each appliance not ready lacks.
async fn all_ready(world: &World, ha: &mut Watcher, within: Duration) -> Value {
    let n = world.devices.len() as u64;
    if let Some(state) = ha
        .wait_json_within(BRIDGE_STATE, within, |v| {
            bridge_value(v, "devices_ready") == n
        })
        .await
    {
        return state;
    }
    let calls = world.sim.requests();
    let states = ids(&device_calls(&calls, "GET", "state"));
    let events = ids(&device_calls(&calls, "POST", "event"));
    let profiles = ids(&device_calls(&calls, "GET", "profile"));
    let lacking: Vec<String> = world
        .devices
        .iter()
        .map(|d| d.id().to_owned())
        .filter(|id| !(states.contains(id) && events.contains(id)))
        .map(|id| {
            format!(
                "{id}: profile {}, event subscription {}, state {}",
                profiles.contains(&id),
                events.contains(&id),
                states.contains(&id)
            )
        })
        .collect();
    panic!(
        "not every appliance was ready within {within:?}; bridge device: {:?}\nlacking: {lacking:#?}\ncalls: {:#?}",
        ha.last
            .get(BRIDGE_STATE)
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        call_kinds(&calls)
    );
}

/// A Home Assistant stand-in that has taken in the broker's retained messages and forgotten
/// them, so that only what the bridge publishes from now on counts.
async fn fresh_watcher(world: &World) -> Watcher {
    let mut ha = world.home_assistant().await;
    ha.drain(Duration::from_millis(500)).await;
    ha.last.clear();
    ha
}

/// Every interval of the bridge (and the quota's hour) times this: an hour is 36 s.
const SCALE: f64 = 0.01;
const HOUR: Duration = Duration::from_secs(36);

/// LG's 59 examples on an account that LG allows `per_hour` calls an hour, every interval
/// at [`SCALE`], and a [`fresh_watcher`] on it.
async fn under_a_quota(per_hour: usize) -> (World, Watcher) {
    let world = World::with(SimDevice::lg_examples())
        .scaled(SCALE)
        .start()
        .await;
    world
        .sim
        .set_quota(Some(Quota::per_hour(per_hour).scaled(SCALE)));
    let ha = fresh_watcher(&world).await;
    (world, ha)
}

fn bridge_value(state: &Value, key: &str) -> u64 {
    state[key].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_home_is_ready_appliance_by_appliance_and_a_restart_costs_one_call_each() {
    let devices = SimDevice::lg_examples();
    let n = devices.len();
    let world = World::with(devices).scaled(SCALE).start().await;
    // LG's answers take a while, as over the internet: the loop has handled an answer before
    // the next call is chosen, so the order shows the plan and not loopback's speed.
    world.sim.set_latency(Duration::from_millis(40));
    let mut ha = fresh_watcher(&world).await;
    let bridge = world.bridge();
    let state = all_ready(&world, &mut ha, WAIT).await;
    let calls = world.sim.requests();
    println!("bridge device when every appliance was ready: {state}");
    println!("calls until then: {}", calls.len());
    let profiles = device_calls(&calls, "GET", "profile");
    let events = device_calls(&calls, "POST", "event");
    let states = device_calls(&calls, "GET", "state");
    assert_eq!(profiles.len(), n, "each profile read once");
    assert_eq!(events.len(), n, "each event subscription made once");
    // A state read before the push session first connected (its certificate is made at the
    // first start) is read again once it has: changes in between would have been missed.
    assert_eq!(ids(&states).len(), n, "every state read");
    let reread = states.len() - n;
    println!("states read again once the push session was up: {reread}");
    // One by one: when an appliance's event subscription goes out, the profiles of only a
    // few appliances behind it have been read (two calls are in flight, and the loop may be
    // a little behind the answers). All profiles first would be a lead of up to 58.
    let order: Vec<&str> = world.devices.iter().map(|d| d.id()).collect();
    let at =
        |list: &[(usize, &str)], id: &str| list.iter().find(|(_, d)| *d == id).map(|(i, _)| *i);
    let mut lead = 0;
    for (k, id) in order.iter().enumerate() {
        let subscribed = at(&events, id).expect("subscribed");
        assert!(
            at(&profiles, id).unwrap() < subscribed,
            "{id}: profile first"
        );
        let profiles_before = profiles.iter().filter(|(i, _)| *i < subscribed).count();
        lead = lead.max(profiles_before - (k + 1));
    }
    println!("profiles read ahead of the appliance being subscribed: at most {lead}");
    assert!(
        lead <= 6,
        "{lead} profiles were read ahead of an appliance's subscription"
    );
    // Energy comes after every appliance is ready (notification subscriptions may fill the
    // gaps while states wait for the push session, within what the appliances leave).
    let first_energy = calls
        .iter()
        .position(|c| c.path.starts_with("/devices/energy/"));
    let last_ready_call = [&profiles, &events, &states]
        .iter()
        .filter_map(|l| l.last().map(|(i, _)| *i))
        .max()
        .unwrap();
    // The calls that made them ready: per appliance a profile, an event subscription and a
    // state; for the account the device list, the route, the client, its certificate and the
    // event subscription list. Notification subscriptions that fitted meanwhile are apart.
    let until_ready = call_kinds(&calls[..=last_ready_call]);
    let upkeep: usize = until_ready
        .iter()
        .filter(|(kind, _)| kind.starts_with("POST /push"))
        .map(|(_, count)| count)
        .sum();
    let ready_calls = last_ready_call + 1 - upkeep - reread;
    println!(
        "calls that made {n} appliances ready: {ready_calls} (and {upkeep} notification subscriptions in between): {until_ready:?}"
    );
    assert!(
        ready_calls <= 3 * n + 5,
        "{ready_calls} calls to get {n} appliances ready: {until_ready:?}"
    );
    if let Some(first_energy) = first_energy {
        assert!(
            first_energy > last_ready_call,
            "energy was read before every appliance was ready"
        );
    }
    world.assert_ha_matches_sim().await;
    // The rest of the start, notification subscriptions and energy for every appliance: it
    // does not fit the first limit with the rest and waits for the hour to free calls.
    let deadline = Instant::now() + 3 * HOUR;
    let calls = loop {
        let calls = world.sim.requests();
        let pushes = ids(&device_calls(&calls, "POST", "push")).len();
        let energy = ids(&device_calls(&calls, "GET", "energy")).len();
        if pushes == n && energy == n {
            break calls;
        }
        assert!(
            Instant::now() < deadline,
            "after three hours: {pushes} notification subscriptions, {energy} energy profiles"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let energy_profile_calls = calls
        .iter()
        .filter(|c| c.path.starts_with("/devices/energy/") && c.path.ends_with("/profile"))
        .count();
    assert_eq!(energy_profile_calls, n, "each energy profile asked once");
    bridge.stop_ok().await;

    // A restart with stored credentials, profiles and energy answers.
    let mut ha = fresh_watcher(&world).await;
    let mark = world.sim.call_mark();
    let bridge = world.bridge();
    all_ready(&world, &mut ha, WAIT).await;
    world.assert_ha_matches_sim().await;
    // What the restart asks after the appliances are ready (the subscription list and the
    // device-list subscription), before any periodic check is due.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let restart = world.sim.calls_since(mark);
    let (usage, others): (Vec<_>, Vec<_>) = restart
        .iter()
        .partition(|c| c.path.starts_with("/devices/energy/") && c.path.ends_with("/usage"));
    println!(
        "restart: {} calls for {n} appliances, and {} energy usage reads on their own schedule",
        others.len(),
        usage.len()
    );
    let kinds = call_kinds(others.iter().copied());
    println!("  {kinds:?}");
    assert!(
        others.len() <= n + 4,
        "a restart took {} calls for {n} appliances: {kinds:?}",
        others.len()
    );
    assert!(
        !others.iter().any(|c| c.path.ends_with("/profile")),
        "a restart asked for a profile LG had answered: {kinds:?}"
    );
    world.assert_command_round_trip(&ha).await;
    bridge.stop_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_device_is_ready_within_the_first_limit() {
    let devices = SimDevice::every_fixture();
    let n = devices.len();
    let world = World::with(devices).scaled(0.05).start().await;
    let mut ha = fresh_watcher(&world).await;
    let bridge = world.bridge();
    let state = all_ready(&world, &mut ha, WAIT).await;
    let calls = world.sim.requests();
    println!("{n} appliances ready after {} calls: {state}", calls.len());
    assert_eq!(state["rate_limited_for_s"], 0);
    assert_eq!(world.sim.quota_refusals(), 0);
    world.assert_ha_matches_sim().await;
    bridge.stop_ok().await;
}

/// The first start of 59 appliances under an account quota of 300 calls an hour: about 180
/// calls make every appliance ready, about 360 more or less with notifications and energy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_quota_of_300_an_hour_every_appliance_is_ready_in_the_first_hour() {
    let (world, mut ha) = under_a_quota(300).await;
    let n = world.devices.len();
    let started = Instant::now();
    let bridge = world.bridge();
    all_ready(&world, &mut ha, HOUR).await;
    println!(
        "every appliance ready {:.1} (scaled) minutes into the first hour",
        started.elapsed().as_secs_f64() / SCALE / 60.0
    );
    // The bridge reaches its own limit within the first hour and waits: a command then
    // still goes through.
    let waiting = ha
        .wait_json_within(BRIDGE_STATE, HOUR.saturating_sub(started.elapsed()), |v| {
            v["api_waits_for"]
                .as_str()
                .is_some_and(|w| w.contains("hourly limit"))
        })
        .await
        .expect("the bridge never waited for its hourly limit in the first hour");
    println!("while it waits: {waiting}");
    world.assert_command_round_trip(&ha).await;
    // Within the second hour: notifications and energy for every appliance.
    let deadline = started + 2 * HOUR;
    loop {
        let calls = world.sim.requests();
        let pushes = ids(&device_calls(&calls, "POST", "push")).len();
        let energy = ids(&device_calls(&calls, "GET", "energy")).len();
        if pushes == n && energy == n {
            println!(
                "notifications and energy for every appliance {:.1} (scaled) minutes after the start",
                started.elapsed().as_secs_f64() / SCALE / 60.0
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after two hours: {pushes} of {n} notification subscriptions, {energy} of {n} energy profiles"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let refusals = world.sim.most_quota_refusals_in_a_window();
    println!(
        "LG's 1314 answers: {} in all, at most {refusals} within an hour",
        world.sim.quota_refusals()
    );
    assert!(refusals <= 1, "{refusals} refusals within one hour");
    world.assert_ha_matches_sim().await;
    bridge.stop_ok().await;
}

/// An account whose quota is below the bridge's first limit: LG refuses once, the bridge
/// learns to stay below, and remembers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lg_refusals_teach_a_lower_limit_that_survives_a_restart() {
    let (world, mut ha) = under_a_quota(150).await;
    let started = Instant::now();
    let bridge = world.bridge();
    let learned = ha
        .wait_json_within(BRIDGE_STATE, HOUR, |v| {
            bridge_value(v, "api_limit") > 0 && bridge_value(v, "api_limit") < 150
        })
        .await
        .expect("the bridge did not lower its limit below LG's quota");
    let limit = bridge_value(&learned, "api_limit");
    println!("after LG's refusal: {learned}");
    all_ready(
        &world,
        &mut ha,
        (started + 2 * HOUR).saturating_duration_since(Instant::now()),
    )
    .await;
    println!(
        "every appliance ready {:.1} (scaled) minutes after the start; LG refused {} call(s)",
        started.elapsed().as_secs_f64() / SCALE / 60.0,
        world.sim.quota_refusals()
    );
    // Another hour of notifications and energy, without another refusal.
    tokio::time::sleep((started + 3 * HOUR).saturating_duration_since(Instant::now())).await;
    let refusals = world.sim.most_quota_refusals_in_a_window();
    assert!(refusals <= 1, "{refusals} refusals within one hour");
    world.assert_ha_matches_sim().await;
    bridge.stop_ok().await;

    let stored: Value = serde_json::from_slice(
        &std::fs::read(world.data_dir.join("call-budget.json")).expect("call-budget.json"),
    )
    .expect("JSON");
    println!("call-budget.json: limit {}", stored["hourly_limit"]);
    assert!(
        stored["hourly_limit"].as_u64().is_some_and(|l| l < 150),
        "{stored}"
    );
    let mut ha = fresh_watcher(&world).await;
    let bridge = world.bridge();
    let state = all_ready(&world, &mut ha, WAIT).await;
    assert!(
        bridge_value(&state, "api_limit") <= limit.max(stored["hourly_limit"].as_u64().unwrap()),
        "the restart forgot the learned limit: {state}"
    );
    let output = bridge.stop_ok().await;
    assert!(output.contains("as learned before"), "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_broker_that_moved_since_the_route_was_stored_is_found_again() {
    let world = World::with(fixture_devices(3)).scaled(0.02).start().await;
    let mut ha = fresh_watcher(&world).await;
    let bridge = world.bridge();
    ha.wait_json(BRIDGE_STATE, |v| v["lg_push"] == "ON").await;
    bridge.stop_ok().await;

    // LG moved its broker while the add-on was stopped: the stored route is stale.
    let dead = support::mosquitto::free_port().unwrap();
    std::fs::write(
        world.data_dir.join("thinq-route.json"),
        json!({"mqtt_server": format!("mqtts://127.0.0.1:{dead}"), "read": 0}).to_string(),
    )
    .unwrap();
    let mut ha = fresh_watcher(&world).await;
    let mark = world.sim.call_mark();
    let bridge = world.bridge();
    ha.wait_json(BRIDGE_STATE, |v| v["lg_push"] == "ON").await;
    let routes = world
        .sim
        .calls_since(mark)
        .iter()
        .filter(|c| c.path == "/route")
        .count();
    assert_eq!(
        routes, 1,
        "the route is read once, after the broker stayed away"
    );
    let ac = world.device_id("DEVICE_AIR_CONDITIONER");
    world.sim.report(&ac, room_temperature(19)).await;
    world.assert_ha_matches_sim().await;
    let output = bridge.stop_ok().await;
    assert!(output.contains("reading LG's route again"), "{output}");
}

/// A start that needs more calls than the hour allows says so once, and gets there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_longer_than_the_hours_calls_says_so_once_and_gets_there() {
    let devices = SimDevice::clones(30);
    let world = World::with(devices).scaled(SCALE).start().await;
    // A limit learned in an earlier run: 60 calls an hour, for 30 appliances that need 90.
    std::fs::write(
        world.data_dir.join("call-budget.json"),
        json!({"hourly_limit": 60, "recent_calls": []}).to_string(),
    )
    .unwrap();
    let mut ha = fresh_watcher(&world).await;
    let bridge = world.bridge();
    let waiting = ha
        .wait_json(BRIDGE_STATE, |v| {
            v["api_waits_for"]
                .as_str()
                .is_some_and(|w| w.contains("hourly limit of 60"))
        })
        .await;
    println!("while the hour's calls are spent: {waiting}");
    assert!(bridge_value(&waiting, "devices_ready") < 30);
    all_ready(&world, &mut ha, 3 * HOUR).await;
    let output = bridge.stop_ok().await;
    let told: Vec<&str> = output
        .lines()
        .filter(|l| l.contains("become ready one by one"))
        .collect();
    println!("{told:#?}");
    assert_eq!(told.len(), 1, "said {} times", told.len());
    assert!(told[0].contains("hour(s)"), "{}", told[0]);
    assert!(output.contains("as learned before"));
}
