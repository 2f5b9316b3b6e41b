//! Faults as users meet them, over time, with real parts: the `thinq-addon` binary, the
//! simulated LG cloud, a mutual-TLS Mosquitto for LG's push broker and a password Mosquitto
//! for Home Assistant's. Every scenario ends the same way: what Home Assistant's broker holds
//! for every device equals what the simulator holds, a command still reaches the appliance,
//! and SIGTERM exits 0 within 10 s.
//!
//! Intervals are shrunk with `THINQ_TIME_SCALE` (the bridge's own mechanism), so "every
//! 30 minutes" passes in 18 s; nothing here asserts a speed.

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::bridge::Bridge;
use support::world::{discovery_topic, fixture_devices, room_temperature};
use support::{BRIDGE_STATE, PAT, Watcher, World, wait_until};
use thinq_addon::hass::topics::Topics;
use thinq_addon::sim::{Fault, SimDevice};

/// 1/100 of every production interval: LG's first rate-limit pause 0.6 s, the channel check
/// 18 s, the token probe 18 s.
const SCALE: f64 = 0.01;

/// A world of `devices` with the bridge's intervals at [`SCALE`].
async fn started(devices: Vec<SimDevice>) -> World {
    World::with(devices).scaled(SCALE).start().await
}

/// [`started`], with the bridge running and Home Assistant's broker holding what the
/// simulator holds: the scene before a fault.
async fn running(devices: Vec<SimDevice>) -> (World, Bridge) {
    let world = started(devices).await;
    let bridge = world.bridge();
    world.assert_ha_matches_sim().await;
    (world, bridge)
}

const AC: &str = "DEVICE_AIR_CONDITIONER";

/// Waits until Home Assistant's broker holds what the simulator holds, and prints the figures
/// for the fault table: seconds from the end of the fault, REST calls since it began.
async fn recovered(world: &World, fault: &str, calls_from: usize, fault_ended: Instant) {
    world.assert_ha_matches_sim().await;
    println!(
        "RECOVERED {fault}: {:.1} s after the fault ended, {} REST calls since it began",
        fault_ended.elapsed().as_secs_f64(),
        world.sim.calls_since(calls_from).len()
    );
}

/// How every scenario ends once its fault is over: [`recovered`], a command from a Home
/// Assistant that connects now still reaches the appliance, and SIGTERM exits 0 in 10 s.
async fn ends_well(
    world: &World,
    bridge: Bridge,
    fault: &str,
    calls_from: usize,
    fault_ended: Instant,
) {
    recovered(world, fault, calls_from, fault_ended).await;
    let ha = world.home_assistant().await;
    world.assert_command_round_trip(&ha).await;
    bridge.stop_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_assistant_broker_away_while_1000_reports_arrive() {
    let (mut world, bridge) = running(fixture_devices(6)).await;
    let ac = world.device_id(AC);
    let rss_before = bridge.rss_kib();

    let mark = world.sim.call_mark();
    world.ha_broker.stop();
    for i in 0..1000 {
        world.sim.report(&ac, room_temperature(16 + i % 15)).await;
    }
    world.sim.report(&ac, room_temperature(27)).await;
    let rss_outage = bridge.rss_kib();
    println!(
        "RSS before the outage {rss_before} KiB, after 1000 reports during it {rss_outage} KiB"
    );
    assert!(
        rss_outage < rss_before + 8 * 1024,
        "memory grew from {rss_before} to {rss_outage} KiB during the outage"
    );

    world.ha_broker.start_again().unwrap();
    let back = Instant::now();
    ends_well(&world, bridge, "HA broker away, 1000 reports", mark, back).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn started_while_home_assistant_broker_is_down_and_stopped_mid_outage() {
    let mut world = started(fixture_devices(4)).await;
    let ac = world.device_id(AC);
    world.ha_broker.stop();
    let mark = world.sim.call_mark();
    let bridge = world.bridge();
    wait_until("the bridge's first calls to LG", || {
        world.sim.count("GET", "/devices") >= 1
    })
    .await;
    for t in [18, 19, 20] {
        world.sim.report(&ac, room_temperature(t)).await;
    }
    world.ha_broker.start_again().unwrap();
    recovered(
        &world,
        "started while the HA broker is down",
        mark,
        Instant::now(),
    )
    .await;
    let ha = world.home_assistant().await;
    world.assert_command_round_trip(&ha).await;

    // SIGTERM while Home Assistant's broker is away: still exit 0 within 10 s.
    world.ha_broker.stop();
    world.sim.report(&ac, room_temperature(25)).await;
    bridge.stop_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_missed_while_lg_broker_was_away_arrive_once_the_rate_limit_lifts() {
    let (mut world, bridge) = running(fixture_devices(6)).await;
    let ac = world.device_id(AC);

    let mark = world.sim.call_mark();
    world.push_broker.stop();
    // The appliance changes while nobody can push.
    assert!(world.sim.set_state_silently(&ac, room_temperature(29)));
    world.sim.inject(Fault::RateLimitUntilCleared);
    let limited_from = world.sim.call_mark();
    world.push_broker.start_again().unwrap();
    // The bridge reconnects and tries to re-read: LG says 1314, for a while.
    wait_until("a re-read refused with 1314", || {
        world.sim.calls_since(limited_from).len() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let refused = world.sim.calls_since(limited_from).len();
    world.sim.lift_rate_limit();
    let lifted = Instant::now();
    println!("calls refused while LG rate-limited: {refused}");
    assert!(
        refused <= 12,
        "{refused} calls in 3 s of rate limiting: the bridge does not back off"
    );
    let fault = "LG broker away + 1314 at reconnect";
    ends_well(&world, bridge, fault, mark, lifted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lapsed_event_subscriptions_are_noticed_and_renewed() {
    let (world, bridge) = running(fixture_devices(4)).await;
    let ac = world.device_id(AC);

    let mark = world.sim.call_mark();
    let lapsed_at = Instant::now();
    let lapsed = world.sim.lapse_event_subscriptions();
    assert!(lapsed >= 4, "{lapsed} subscriptions lapsed");
    // LG no longer pushes this change: only the bridge's check can find it.
    world.sim.report(&ac, room_temperature(17)).await;
    wait_until("the event subscriptions renewed", || {
        world.sim.event_subscribers(&ac).len() == 1
    })
    .await;
    ends_well(
        &world,
        bridge,
        "event subscriptions lapsed",
        mark,
        lapsed_at,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_whose_profile_fails_at_start_appears_once_it_can_be_read() {
    let world = started(fixture_devices(4)).await;
    let ac = world.device_id(AC);
    world.sim.inject(Fault::ProfileFails {
        device_id: ac.clone(),
        times: 4,
    });
    let started_at = Instant::now();
    let bridge = world.bridge();
    world.assert_ha_matches_sim().await;
    assert!(world.sim.count("GET", &format!("/devices/{ac}/profile")) >= 5);
    ends_well(
        &world,
        bridge,
        "profile read failing at start",
        0,
        started_at,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_removed_while_stopped_leaves_home_assistant_and_restart_costs_few_calls() {
    let devices = SimDevice::fixture_set();
    let count = devices.len();
    let (world, bridge) = running(devices).await;
    let washer = world.device_id("DEVICE_WASHER");
    // The first run ends once it has its certificate and push session, as a real one would.
    world.wait_lg_push().await;
    bridge.stop_ok().await;

    world.sim.remove_device_silently(&washer);
    let mark = world.sim.call_mark();
    let restarted = Instant::now();
    let bridge = world.bridge();
    let mut ha = world.home_assistant().await;
    ha.wait_for(&discovery_topic(&washer), |p| p.is_empty())
        .await;
    recovered(&world, "device removed while stopped", mark, restarted).await;
    // Energy reads begin once every device is live: they are not part of the restart.
    let (energy, calls): (Vec<_>, Vec<_>) = world
        .sim
        .calls_since(mark)
        .into_iter()
        .partition(|c| c.path.starts_with("/devices/energy/"));
    println!("energy calls after the devices were live: {}", energy.len());
    println!(
        "REST calls from restart to {} devices live: {}",
        count - 1,
        calls.len()
    );
    for call in &calls {
        println!("  {} {}", call.method, call.path);
    }
    assert!(
        calls.len() <= count - 1 + 4,
        "a restart with stored credentials took {} calls",
        calls.len()
    );
    let left = world.topics_left(&washer).await;
    assert!(left.is_empty(), "left behind: {left:?}");
    world.assert_command_round_trip(&ha).await;
    bridge.stop_ok().await;
}

/// LG takes the token again: the bridge device's problem clears, Home Assistant's broker
/// comes to hold what the simulator holds, and a command goes through.
async fn token_accepted_again(world: &World, ha: &mut Watcher, fault: &str) {
    let mark = world.sim.call_mark();
    world.sim.accept_token_again();
    let accepted = Instant::now();
    ha.wait_json(BRIDGE_STATE, |v| v["problem"] == "OFF").await;
    recovered(world, fault, mark, accepted).await;
    world.assert_command_round_trip(ha).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_is_shown_costs_few_calls_and_heals() {
    let world = started(fixture_devices(4)).await;
    world.sim.inject(Fault::TokenRejectedEmptyBody);
    let bridge = world.bridge();
    let mut ha = world.home_assistant().await;
    let state = ha.wait_json(BRIDGE_STATE, |v| v["problem"] == "ON").await;
    println!("bridge device while the token is rejected: {state}");
    assert!(
        state["problem_reason"]
            .as_str()
            .is_some_and(|r| r.contains("token")),
        "{state}"
    );
    // Token probes: one per 30 (scaled) minutes.
    let rejected_at = world.sim.rejected_token_calls();
    tokio::time::sleep(Duration::from_secs(36)).await;
    let in_an_hour = world.sim.rejected_token_calls() - rejected_at;
    println!("calls in one (scaled) hour while the token is rejected: {in_an_hour}");
    assert!(in_an_hour <= 3, "{in_an_hour} calls in an hour");

    token_accepted_again(&world, &mut ha, "PAT rejected at start").await;

    // Later: LG rejects the token in the middle of the run (a command finds out).
    world.sim.inject(Fault::TokenRejectedEmptyBody);
    let ac = world.device_id(AC);
    ha.publish(
        &format!("thinq/{}/climate/temperature/set", Topics::object_id(&ac)),
        "24",
    )
    .await;
    ha.wait_json(BRIDGE_STATE, |v| v["problem"] == "ON").await;
    token_accepted_again(&world, &mut ha, "PAT rejected mid-run").await;
    let output = bridge.stop_ok().await;
    assert!(output.contains("connect-pat.lgthinq.com"), "{output}");
    assert!(!output.contains(PAT));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_the_broker_refuses_are_replaced_with_back_off_and_commands_still_work() {
    let world = started(fixture_devices(4)).await;
    world.sim.inject(Fault::UntrustedCertificate { times: 3 });
    let started_at = Instant::now();
    let bridge = world.bridge();
    let ha = world.home_assistant().await;
    // Commands work while the push channel cannot be set up.
    world.assert_command_round_trip(&ha).await;
    let mut watcher = world.home_assistant().await;
    watcher
        .wait_json(BRIDGE_STATE, |v| v["lg_push"] == "ON")
        .await;
    let certificates = world.sim.count("POST", "/client/certificate");
    println!("certificates asked for: {certificates}");
    assert_eq!(certificates, 4, "three refused, the fourth works");
    recovered(&world, "certificate refused 3 times", 0, started_at).await;
    bridge.stop_ok().await;
}

/// Another client with our client id (a second bridge, a restored backup) keeps connecting:
/// the bridge says so, backs off instead of fighting, spends no REST calls on it, and
/// recovers once the other client is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_client_with_our_id_is_reported_and_not_fought() {
    // Production intervals: the back-off is what is being tested.
    let world = World::start(fixture_devices(4)).await;
    let bridge = world.bridge();
    let mut ha = world.home_assistant().await;
    world.assert_ha_matches_sim().await;
    ha.wait_json(BRIDGE_STATE, |v| v["lg_push"] == "ON").await;

    let client_id = std::fs::read_to_string(world.data_dir.join("thinq-client-id")).unwrap();
    let identity: Value = serde_json::from_slice(
        &std::fs::read(world.data_dir.join("thinq-mqtt-identity.json")).unwrap(),
    )
    .unwrap();
    let key = std::fs::read_to_string(world.data_dir.join("thinq-mqtt-key.pem")).unwrap();
    let tls = support::tls_client_config(
        &std::fs::read_to_string(&world.ca_path).unwrap(),
        Some((identity["certificate_pem"].as_str().unwrap(), &key)),
    )
    .unwrap();
    let mut options =
        rumqttc::MqttOptions::new(client_id.trim(), "127.0.0.1", world.push_broker.port());
    options
        .set_clean_session(false)
        .set_keep_alive(Duration::from_secs(30))
        .set_transport(rumqttc::Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(tls),
        ));
    let (_client, mut eventloop) = rumqttc::AsyncClient::new(options, 10);
    let mark = world.sim.call_mark();
    let intruder = tokio::spawn(async move {
        loop {
            if eventloop.poll().await.is_err() {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    });
    let state = ha.wait_json(BRIDGE_STATE, |v| v["problem"] == "ON").await;
    println!("bridge device: {}", state["problem_reason"]);
    tokio::time::sleep(Duration::from_secs(40)).await;
    let calls = world.sim.calls_since(mark).len();
    intruder.abort();
    let gone = Instant::now();
    println!("REST calls while the other client held our id: {calls}");
    assert!(calls <= 3, "{calls} REST calls while being kicked");

    // The other client is gone: the bridge gets its session back by itself.
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let held = world.retained().await;
        let state: Value = serde_json::from_slice(held.get(BRIDGE_STATE).unwrap()).unwrap();
        if state["lg_push"] == "ON" && state["problem"] == "OFF" {
            break;
        }
        assert!(Instant::now() < deadline, "no recovery: {state}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let ac = world.device_id(AC);
    world.sim.report(&ac, room_temperature(26)).await;
    recovered(&world, "second client with our id (40 s)", mark, gone).await;
    world.assert_command_round_trip(&ha).await;
    let output = bridge.stop_ok().await;
    let connects = output
        .matches("ThinQ push broker accepted the connection")
        .count();
    println!("push connections over the whole run: {connects}");
    assert!(connects <= 12, "{connects} connections: the bridge fought");
}

/// Live certificate answers list more than one topic, and LG may push on any of them: a
/// push on the second topic (`…/inbox`) reaches Home Assistant too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_on_every_certificate_topic_are_heard() {
    let (world, bridge) = running(fixture_devices(4)).await;
    let ac = world.device_id(AC);
    world.wait_lg_push().await;
    // The push session may come up after the first reads, and then everything is read
    // again (changes in between were not pushed to us): let that finish first.
    world.wait_until_lg_idle().await;
    let reads = world.sim.count("GET", &format!("/devices/{ac}/state"));
    world.sim.set_push_topic_index(1);
    world.sim.report(&ac, room_temperature(19)).await;
    world.assert_ha_matches_sim().await;
    assert_eq!(
        world.sim.count("GET", &format!("/devices/{ac}/state")),
        reads,
        "the change came by a state read, not by the push on the second topic"
    );
    bridge.stop_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_lgs_broker_refuses_is_shown_retried_and_heals() {
    const CLIENT: &str = "thinq-addon-suback-refused";
    let world = World::with(fixture_devices(4))
        .scaled(SCALE)
        .push_access_rules()
        .start()
        .await;
    world.set_option("client_id", json!(CLIENT));
    // LG's broker will not let this client subscribe to its push topic (an AWS IoT policy
    // without it): the connection is accepted, the SUBACK refuses.
    let push_topic = format!("app/clients/{CLIENT}/push");
    world.push_broker.deny_subscribe(&push_topic).unwrap();
    let bridge = world.bridge();
    let mut ha = world.home_assistant().await;
    let refused = ha
        .wait_json(BRIDGE_STATE, |v| {
            v["problem"] == "ON"
                && v["problem_reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("refused the subscription"))
        })
        .await;
    println!("bridge device while LG's broker refuses: {refused}");
    assert_eq!(refused["lg_push"], "OFF");
    // Appliances are shown meanwhile (their states are read without the push session).
    world.assert_ha_matches_sim().await;
    // A few refusals, each asked again after a longer wait.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mark = world.sim.call_mark();
    world.push_broker.allow_subscribe(&push_topic).unwrap();
    let healed = Instant::now();
    ha.wait_json(BRIDGE_STATE, |v| {
        v["problem"] == "OFF" && v["lg_push"] == "ON"
    })
    .await;
    let ac = world.device_id(AC);
    world.sim.report(&ac, room_temperature(17)).await;
    recovered(&world, "subscription refused by LG's broker", mark, healed).await;
    world.assert_command_round_trip(&ha).await;
    let output = bridge.stop_ok().await;
    let waits: Vec<f64> = output
        .lines()
        .filter(|l| l.contains("refused the subscription"))
        .filter_map(|l| l.split("asking again in ").nth(1))
        .filter_map(|rest| {
            let text = rest.split_whitespace().next()?;
            let (number, unit) = text.split_at(text.find(|c: char| c.is_alphabetic())?);
            let number: f64 = number.parse().ok()?;
            Some(if unit.starts_with("ms") {
                number / 1000.0
            } else {
                number
            })
        })
        .collect();
    println!("waits before asking again (s): {waits:?}");
    assert!(
        waits.len() >= 2,
        "refused {} time(s): {output}",
        waits.len()
    );
    assert!(
        waits.windows(2).all(|w| w[1] >= w[0]),
        "the waits did not grow: {waits:?}"
    );
    assert!(
        output.contains("accepts the subscription again"),
        "{output}"
    );
}
