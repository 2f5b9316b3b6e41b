//! The energy tracker against the simulated LG cloud over real HTTP, with the add-on's own
//! client, for the 16 fixture devices: which devices get energy and with which values, the
//! calls per hour, a midnight, a restart, and "Refresh energy".

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use support::{start_sim, thinq_api};
use thinq_addon::energy::{EnergyRead, EnergyTracker, EnergyUpdate, EnergyValues};
use thinq_addon::hass::DiscoveryContext;
use thinq_addon::hass::topics::Topics;
use thinq_addon::sim::SimHandle;
use thinq_addon::sim::devices::AIR_CONDITIONER_ID;
use thinq_addon::thinq::api::ThinqApi;
use time::macros::{datetime, offset};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// The user's local offset; the simulated clock is local time.
const LOCAL: UtcOffset = offset!(+1);
const STEP: time::Duration = time::Duration::minutes(5);

/// The devices that have energy in the simulator, and their properties.
const WITH_ENERGY: [(&str, &[&str]); 8] = [
    (AIR_CONDITIONER_ID, &["energyUsage"]),
    ("MW2-5E747ABC-6542-4DEF-AA89-4EC4353B2E89", &["energyUsage"]),
    ("MW2-A3F84FBB-469E-4E68-810B-55C3C8A4AB69", &["energyUsage"]),
    ("MW2-FD94EF23-EF86-4D65-92AB-5399A90C228F", &["energyUsage"]),
    ("MW2-7A1C9E42-3B8D-4F61-A5C2-9D0E4B7F1A36", &["energyUsage"]),
    ("TQS-51D0A6C3-2E8B-4C7F-B1A9-6F3E2D8C4B05", &["energyUsage"]),
    ("MW2-3F9B6E21-C04D-4A8E-8B7F-12E5D9A3C6F0", &["energyUsage"]),
    (
        "d5e2a9c4f0b1873e6a4c2d9f8b7e1a3c5d6f0e9b8a7c6d5e4f3a2b1c0d9e8f7a",
        &[
            "energyUsage_washer",
            "energyUsage_dryer",
            "energyUsage_washerDryer",
        ],
    ),
];

fn api(sim: &SimHandle) -> ThinqApi {
    thinq_api(sim, "energy-tracker-test")
}

/// One bridge-loop pass: set the simulated clock, plan, make the calls, hand back the answers.
struct Harness {
    sim: SimHandle,
    api: ThinqApi,
    tracker: EnergyTracker,
    /// Supported devices and their properties, as the updates said.
    supported: BTreeMap<String, Vec<String>>,
    unsupported: BTreeSet<String>,
    /// The latest values per (device, property).
    latest: BTreeMap<(String, String), EnergyValues>,
}

impl Harness {
    async fn start(sim: SimHandle, dir: &Path) -> Harness {
        let mut tracker = EnergyTracker::load(dir, LOCAL);
        tracker.set_devices(sim.device_ids().iter().map(String::as_str));
        Harness {
            api: api(&sim),
            sim,
            tracker,
            supported: BTreeMap::new(),
            unsupported: BTreeSet::new(),
            latest: BTreeMap::new(),
        }
    }

    /// A simulator with the fixture devices, an empty data directory, a tracker over both.
    async fn fresh() -> (SimHandle, tempfile::TempDir, Harness) {
        let sim = start_sim().await.expect("sim");
        let dir = tempfile::tempdir().unwrap();
        let harness = Harness::start(sim.clone(), dir.path()).await;
        (sim, dir, harness)
    }

    fn now(local: PrimitiveDateTime) -> OffsetDateTime {
        // Handed over in UTC on purpose: the tracker must find the local day itself.
        local.assume_offset(LOCAL).to_offset(time::UtcOffset::UTC)
    }

    /// Runs one pass at `local`; returns the usage reads made, by device.
    async fn pass(&mut self, local: PrimitiveDateTime) -> BTreeMap<String, usize> {
        self.sim.set_energy_clock(local);
        let now = Self::now(local);
        let mut usage = BTreeMap::new();
        // Plan again until nothing is due: profile answers make usage reads due at once.
        loop {
            let reads = self.tracker.plan(now, false);
            if reads.is_empty() {
                break;
            }
            self.run(now, reads, &mut usage).await;
        }
        self.tracker.save().expect("save");
        usage
    }

    async fn run(
        &mut self,
        now: OffsetDateTime,
        reads: Vec<EnergyRead>,
        usage: &mut BTreeMap<String, usize>,
    ) {
        for read in reads {
            if let EnergyRead::Usage(read) = &read {
                *usage.entry(read.device_id.clone()).or_default() += 1;
            }
            // What the bridge's REST worker does, then the loop.
            let answer = thinq_addon::energy::call::run(&self.api, read).await;
            for update in self.tracker.on_answer(now, answer) {
                self.take(update);
            }
        }
    }

    fn take(&mut self, update: EnergyUpdate) {
        match update {
            EnergyUpdate::Supported {
                device_id,
                properties,
            } => {
                self.supported.insert(device_id, properties);
            }
            EnergyUpdate::Unsupported { device_id } => {
                self.unsupported.insert(device_id);
            }
            EnergyUpdate::Values(values) => {
                let key = (values.device_id.clone(), values.property.clone());
                if let Some(before) = self.latest.get(&key) {
                    assert!(
                        values.total_kwh >= before.total_kwh,
                        "{key:?}: {} after {}",
                        values.total_kwh,
                        before.total_kwh
                    );
                }
                self.latest.insert(key, values);
            }
            EnergyUpdate::ScopeMissing => panic!("the test token may read energy"),
        }
    }

    fn values(&self, device: &str, property: &str) -> &EnergyValues {
        &self.latest[&(device.to_owned(), property.to_owned())]
    }
}

fn usage_calls(sim: &SimHandle) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.path.ends_with("/usage"))
        .count()
}

fn profile_calls(sim: &SimHandle, device: &str) -> usize {
    sim.count("GET", &format!("/devices/energy/{device}/profile"))
}

#[tokio::test]
async fn a_day_and_a_restart_for_the_fixture_devices() {
    let (sim, dir, mut h) = Harness::fresh().await;
    let mut local = datetime!(2024-10-10 10:30);

    // The first pass: every energy profile, then the first read of each supported device.
    h.pass(local).await;
    let expected: BTreeMap<String, Vec<String>> = WITH_ENERGY
        .iter()
        .map(|(id, props)| {
            (
                id.to_string(),
                props.iter().map(|p| p.to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(h.supported, expected);
    assert_eq!(h.unsupported.len(), 8, "{:?}", h.unsupported);
    // The air conditioner's values are Home Assistant's fixture (energy_today.json).
    let ac = h.values(AIR_CONDITIONER_ID, "energyUsage");
    assert_eq!(
        (ac.today_kwh, ac.total_kwh, ac.month_kwh),
        (0.15, 0.15, 0.15)
    );
    // As Home Assistant receives them.
    let ctx = DiscoveryContext {
        topics: Topics::new("homeassistant", "thinq"),
        sw_version: "test".into(),
    };
    let messages = thinq_addon::hass::energy::state_messages(&ctx, ac);
    assert_eq!(
        messages[1],
        (
            format!("thinq/{AIR_CONDITIONER_ID}/energy_today/state"),
            "0.15".to_owned()
        )
    );
    // Every supported device's discovery passes Home Assistant's rules, three sensors a
    // property, each with a state message.
    let devices = h.api.devices().await.expect("devices");
    for (device_id, properties) in &h.supported {
        let device = devices.iter().find(|d| &d.device_id == device_id);
        let update = EnergyUpdate::Supported {
            device_id: device_id.clone(),
            properties: properties.clone(),
        };
        let messages = thinq_addon::hass::energy::update_messages(&ctx, &update, device);
        assert_eq!(messages.len(), 1, "{device_id}");
        let payload: serde_json::Value = serde_json::from_str(&messages[0].1).unwrap();
        assert_eq!(
            thinq_addon::hass::discovery::check_device_payload(&payload),
            Vec::<String>::new(),
            "{device_id}"
        );
        let cmps = payload["cmps"].as_object().unwrap();
        assert_eq!(cmps.len(), 3 * properties.len(), "{device_id}");
        // The WashTower reads one property an hour: the others have no figures yet.
        let read: Vec<_> = properties
            .iter()
            .filter_map(|p| h.latest.get(&(device_id.clone(), p.clone())))
            .collect();
        assert!(!read.is_empty(), "{device_id}");
        for values in read {
            let states = thinq_addon::hass::energy::state_messages(&ctx, values);
            for (topic, value) in states {
                assert!(
                    cmps.values().any(|c| c["stat_t"] == topic.as_str()),
                    "{topic} has no sensor"
                );
                assert!(value.parse::<f64>().is_ok_and(|v| v >= 0.0), "{value}");
            }
        }
    }

    // 27 hours in 5-minute passes, across midnight, with a restart at 03:02.
    let mut per_hour: BTreeMap<(String, i64), usize> = BTreeMap::new();
    let mut restarted = false;
    let end = datetime!(2024-10-11 13:30);
    let mut checked_seed = false;
    while local < end {
        local += STEP;
        if !restarted && local >= datetime!(2024-10-11 03:02) {
            restarted = true;
            let latest = std::mem::take(&mut h.latest);
            h = Harness::start(sim.clone(), dir.path()).await;
            h.latest = latest;
        }
        let hour = i64::from(local.date().to_julian_day()) * 24 + i64::from(local.hour());
        for (device, n) in h.pass(local).await {
            *per_hour.entry((device, hour)).or_default() += n;
        }
        if !checked_seed && local >= datetime!(2024-10-10 11:30) {
            // The month's first nine days (10 + 20 + … + 90 Wh) are in "this month" only.
            checked_seed = true;
            let ac = h.values(AIR_CONDITIONER_ID, "energyUsage");
            assert!((ac.month_kwh - ac.today_kwh - 0.45).abs() < 1e-9, "{ac:?}");
            assert_eq!(ac.total_kwh, ac.today_kwh);
        }
    }
    assert!(restarted);
    // At most one usage read per device per clock hour, none for devices without energy.
    let worst = per_hour.values().max().copied().unwrap_or(0);
    assert_eq!(worst, 1, "{per_hour:?}");
    for (device, _) in per_hour.keys() {
        assert!(expected.contains_key(device), "{device} was read");
    }
    // Devices without energy cost one profile call per start: two starts.
    for device in sim.device_ids() {
        assert_eq!(profile_calls(&sim, &device), 2, "{device}");
    }
    // 8 devices over 27 hours (nothing in the hour after midnight): at most 8 calls an hour.
    let calls = usage_calls(&sim);
    assert!(calls <= 8 * 28, "{calls}");
    assert!(calls >= 8 * 24, "{calls}: the devices were read every hour");

    // The next day: yesterday closed, today from its hours.
    let ac = h.values(AIR_CONDITIONER_ID, "energyUsage");
    assert!(ac.today_kwh > 0.0);
    assert!(ac.total_kwh > ac.today_kwh + 0.15, "{ac:?}");
    let tower = h.values(
        "d5e2a9c4f0b1873e6a4c2d9f8b7e1a3c5d6f0e9b8a7c6d5e4f3a2b1c0d9e8f7a",
        "energyUsage_washerDryer",
    );
    assert!(tower.total_kwh > 0.0);
    sim.shutdown().await;
}

#[tokio::test]
async fn refresh_reads_now_within_its_gap() {
    let (sim, _dir, mut h) = Harness::fresh().await;
    h.pass(datetime!(2024-10-10 10:30)).await;
    let before = usage_calls(&sim);
    let ac_before = h.values(AIR_CONDITIONER_ID, "energyUsage").today_kwh;
    // 11:05: the scheduled read waits for 11:10; a refresh reads every device now, and the
    // hour that just ended is in.
    h.tracker.request_refresh();
    let reads = h.pass(datetime!(2024-10-10 11:05)).await;
    assert_eq!(reads.len(), 8);
    assert_eq!(usage_calls(&sim), before + 8);
    assert!(h.values(AIR_CONDITIONER_ID, "energyUsage").today_kwh > ac_before);
    // Pressed again five minutes later: nothing (each device was just read).
    h.tracker.request_refresh();
    assert!(h.pass(datetime!(2024-10-10 11:10)).await.is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn a_throttled_hour_costs_no_extra_calls_and_loses_nothing() {
    let (sim, _dir, mut h) = Harness::fresh().await;
    h.pass(datetime!(2024-10-10 10:30)).await;
    let ac_at_start = h.values(AIR_CONDITIONER_ID, "energyUsage").today_kwh;
    // 11:10: LG answers the first three calls with 1314 (HTTP 401, "Exceeded User API calls").
    sim.inject(thinq_addon::sim::Fault::RateLimit { times: 3 });
    let before = usage_calls(&sim);
    assert_eq!(h.pass(datetime!(2024-10-10 11:10)).await.len(), 8);
    let throttled = sim
        .requests()
        .iter()
        .filter(|r| r.code.as_deref() == Some("1314"))
        .count();
    assert_eq!(throttled, 3);
    // The failed reads are not retried within the hour.
    assert!(h.pass(datetime!(2024-10-10 11:40)).await.is_empty());
    assert_eq!(usage_calls(&sim), before + 8);
    // 12:10 and 13:10: one read per device each hour; what the throttled hour missed (the
    // air conditioner's month before tracking, then today's hours) arrives, nothing is lost.
    assert_eq!(h.pass(datetime!(2024-10-10 12:10)).await.len(), 8);
    assert_eq!(h.pass(datetime!(2024-10-10 13:10)).await.len(), 8);
    assert_eq!(usage_calls(&sim), before + 24);
    let ac = h.values(AIR_CONDITIONER_ID, "energyUsage");
    assert!(ac.today_kwh > ac_at_start, "{ac:?}");
    assert!((ac.month_kwh - ac.today_kwh - 0.45).abs() < 1e-9, "{ac:?}");
    sim.shutdown().await;
}
