//! The tracker on its own: meters across midnight, restarts, revised hours, the call plan.
//! (Against the simulated cloud over HTTP: `tests/energy_tracker.rs`.)

use super::*;
use crate::thinq::energy_api::UsedDate;
use crate::thinq::error::ErrorCode;
use proptest::prelude::*;
use time::macros::{date, datetime, offset};

const AC: &str = "ac";
const P: &str = "energyUsage";

fn hour(day: Date, h: u8, wh: f64) -> UsageRow {
    UsageRow {
        used: UsedDate::Hour(day, h),
        wh,
    }
}

fn day_row(day: Date, wh: f64) -> UsageRow {
    UsageRow {
        used: UsedDate::Day(day),
        wh,
    }
}

fn api_error(code: &str) -> ApiError {
    ApiError::Api {
        status: 400,
        code: ErrorCode::from_code(code),
        message: String::new(),
    }
}

/// A tracker kept in `dir`, with the air conditioner's profile answered (energy supported).
fn tracker(dir: &Path, now: OffsetDateTime) -> EnergyTracker {
    let mut t = EnergyTracker::load(dir, offset!(+1));
    t.set_devices([AC]);
    let reads = t.plan(now, false);
    assert_eq!(
        reads,
        vec![EnergyRead::Profile {
            device_id: AC.into()
        }]
    );
    let updates = t.on_profile(now, AC, Ok(vec![P.into()]));
    assert_eq!(
        updates[0],
        EnergyUpdate::Supported {
            device_id: AC.into(),
            properties: vec![P.into()]
        }
    );
    t
}

/// A [`tracker`] in a fresh temp dir, returned with it: the dir lives as long as the caller
/// holds it, and a restart loads from it again.
fn fresh_tracker(now: OffsetDateTime) -> (tempfile::TempDir, EnergyTracker) {
    let dir = tempfile::tempdir().unwrap();
    let t = tracker(dir.path(), now);
    (dir, t)
}

fn usage_reads(reads: Vec<EnergyRead>) -> Vec<UsageRead> {
    reads
        .into_iter()
        .map(|r| match r {
            EnergyRead::Usage(u) => u,
            other => panic!("expected a usage read, got {other:?}"),
        })
        .collect()
}

/// The first usage read `t` plans at `at`; fails the test when it plans none.
fn first_usage_read(t: &mut EnergyTracker, at: OffsetDateTime) -> UsageRead {
    let reads = usage_reads(t.plan(at, false));
    reads.into_iter().next().expect("a usage read is planned")
}

fn values(updates: &[EnergyUpdate]) -> &EnergyValues {
    match updates {
        [EnergyUpdate::Values(v)] => v,
        other => panic!("expected values, got {other:?}"),
    }
}

#[test]
fn a_day_its_midnight_and_the_next_day() {
    // On the 1st of a month, so no seed of earlier days is due.
    // 10:30 local (+01:00) on 2024-10-01.
    let now = datetime!(2024-10-01 10:30 +1);
    let (_dir, mut t) = fresh_tracker(now);
    let day = date!(2024 - 10 - 01);
    let reads = usage_reads(t.plan(now, false));
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].need, Need::Today(day));
    assert_eq!((reads[0].start, reads[0].end), (day, day));
    // Nothing more within the hour.
    assert!(t.plan(now + time::Duration::minutes(20), false).is_empty());
    let v = t.on_usage(
        now,
        &reads[0],
        Ok(vec![hour(day, 8, 80.0), hour(day, 9, 70.0)]),
    );
    assert_eq!(
        values(&v),
        &EnergyValues {
            device_id: AC.into(),
            property: P.into(),
            total_kwh: 0.15,
            today_kwh: 0.15,
            month_kwh: 0.15
        }
    );
    // 23:15: the hours up to 22:00.
    let late = datetime!(2024-10-01 23:15 +1);
    let reads = usage_reads(t.plan(late, false));
    let rows: Vec<_> = (8..23).map(|h| hour(day, h, 10.0 * f64::from(h))).collect();
    let v = t.on_usage(late, &reads[0], Ok(rows));
    let evening = values(&v).total_kwh;
    assert!(evening > 0.15);
    // Just after midnight: nothing is read, "today" is zero again, the total stays.
    let midnight = datetime!(2024-10-02 00:20 +1);
    assert!(t.plan(midnight, false).is_empty());
    let now_values = t.values(midnight);
    assert_eq!(now_values[0].today_kwh, 0.0);
    assert_eq!(now_values[0].total_kwh, evening);
    // 01:10: yesterday is closed by its daily row, which includes 23:00.
    let one = datetime!(2024-10-02 01:10 +1);
    let reads = usage_reads(t.plan(one, false));
    assert_eq!(reads[0].need, Need::Close { from: day, to: day });
    let final_wh = evening * 1000.0 + 230.0;
    let v = t.on_usage(one, &reads[0], Ok(vec![day_row(day, final_wh)]));
    assert_eq!(values(&v).total_kwh, final_wh.round() / 1000.0);
    assert_eq!(values(&v).today_kwh, 0.0);
    assert_eq!(values(&v).month_kwh, final_wh.round() / 1000.0);
    // 02:10: today's first hours.
    let two = datetime!(2024-10-02 02:10 +1);
    let reads = usage_reads(t.plan(two, false));
    let next = date!(2024 - 10 - 02);
    assert_eq!(reads[0].need, Need::Today(next));
    let v = t.on_usage(
        two,
        &reads[0],
        Ok(vec![hour(next, 0, 5.0), hour(next, 1, 7.0)]),
    );
    assert_eq!(values(&v).today_kwh, 0.012);
    assert_eq!(values(&v).total_kwh, (final_wh + 12.0).round() / 1000.0);
}

#[test]
fn a_lower_final_row_or_a_revised_hour_never_takes_the_total_back() {
    let now = datetime!(2024-10-01 10:30 +1);
    let (_dir, mut t) = fresh_tracker(now);
    let day = date!(2024 - 10 - 01);
    let read = first_usage_read(&mut t, now);
    for (hours, total, what) in [
        (&[(8, 80.0), (9, 70.0)][..], 0.15, "two hours"),
        (
            &[(8, 80.0), (9, 60.0)],
            0.15,
            "LG revises 09:00 down to 60: the total stays",
        ),
        (
            &[(8, 80.0), (9, 60.0), (10, 50.0)],
            0.19,
            "10:00 adds 50, of which 10 were counted already by the revised hour",
        ),
        (
            &[(8, 80.0), (9, 60.0), (10, 50.0)],
            0.19,
            "the same rows again (a retry) count nothing",
        ),
    ] {
        let rows = hours.iter().map(|&(h, wh)| hour(day, h, wh)).collect();
        let v = t.on_usage(now, &read, Ok(rows));
        assert_eq!(values(&v).total_kwh, total, "{what}");
    }
    // The day's final row is lower than the hours (Home Assistant's fixtures say 100 for a
    // day whose hours add up to 150): no jump back.
    let next_day = datetime!(2024-10-02 01:30 +1);
    let close = first_usage_read(&mut t, next_day);
    let v = t.on_usage(next_day, &close, Ok(vec![day_row(day, 100.0)]));
    assert_eq!(values(&v).total_kwh, 0.19);
}

#[test]
fn a_day_row_for_today_counts_like_its_hours() {
    let now = datetime!(2024-10-01 10:30 +1);
    let day = date!(2024 - 10 - 01);
    let (_dir, mut t) = fresh_tracker(now);
    let read = first_usage_read(&mut t, now);
    let v = t.on_usage(now, &read, Ok(vec![day_row(day, 120.0)]));
    assert_eq!(values(&v).today_kwh, 0.12);
    // Hours that add up to less change nothing; more adds the difference only.
    let v = t.on_usage(now, &read, Ok(vec![hour(day, 8, 100.0)]));
    assert_eq!(values(&v).total_kwh, 0.12);
    let v = t.on_usage(now, &read, Ok(vec![hour(day, 9, 30.0)]));
    assert_eq!(values(&v).total_kwh, 0.13);
}

#[test]
fn a_restart_keeps_the_total_and_the_hour() {
    // On the 1st of a month, so no seed of earlier days is due.
    let now = datetime!(2024-10-01 10:30 +1);
    let day = date!(2024 - 10 - 01);
    let rows = vec![hour(day, 8, 80.0), hour(day, 9, 70.0)];
    let (dir, mut t) = fresh_tracker(now);
    let read = first_usage_read(&mut t, now);
    t.on_usage(now, &read, Ok(rows.clone()));
    t.save().unwrap();
    drop(t);
    let mode = std::fs::metadata(dir.path().join(STATE_FILE)).unwrap();
    assert!(mode.is_file());
    let later = now + time::Duration::minutes(5);
    let mut t = EnergyTracker::load(dir.path(), offset!(+1));
    t.set_devices([AC]);
    t.plan(later, false);
    // The kept figures come with the profile's answer, before any usage read.
    let updates = t.on_profile(later, AC, Ok(vec![P.into()]));
    assert_eq!(updates.len(), 2, "{updates:?}");
    assert_eq!(values(&updates[1..]).total_kwh, 0.15);
    // Read this hour already (before the restart): nothing until the next hour.
    assert!(t.plan(later, false).is_empty());
    assert_eq!(t.values(later)[0].total_kwh, 0.15);
    let eleven = datetime!(2024-10-01 11:10 +1);
    let read = first_usage_read(&mut t, eleven);
    let mut more = rows.clone();
    more.push(hour(day, 10, 30.0));
    let v = t.on_usage(eleven, &read, Ok(more));
    assert_eq!(values(&v).total_kwh, 0.18);
    // A damaged file is set aside; the tracker starts empty.
    std::fs::write(dir.path().join(STATE_FILE), b"{not json").unwrap();
    let t = EnergyTracker::load(dir.path(), offset!(+1));
    assert!(t.values(eleven).is_empty());
    assert!(dir.path().join("energy.json.bad").exists());
}

#[test]
fn days_missed_while_down_are_counted_once_and_the_month_is_seeded() {
    let now = datetime!(2024-10-10 10:30 +1);
    let day = date!(2024 - 10 - 10);
    let (dir, mut t) = fresh_tracker(now);
    let read = first_usage_read(&mut t, now);
    t.on_usage(now, &read, Ok(vec![hour(day, 9, 100.0)]));
    // Next hour: the month's days before tracking, for "this month" only.
    let eleven = datetime!(2024-10-10 11:10 +1);
    let seed = first_usage_read(&mut t, eleven);
    assert_eq!(
        seed.need,
        Need::Seed {
            from: date!(2024 - 10 - 01),
            to: date!(2024 - 10 - 09)
        }
    );
    let rows: Vec<_> = (1..=9)
        .map(|d| {
            day_row(
                Date::from_calendar_date(2024, time::Month::October, d).unwrap(),
                10.0,
            )
        })
        .collect();
    let v = t.on_usage(eleven, &seed, Ok(rows));
    assert_eq!(values(&v).total_kwh, 0.1, "the seed is not in the total");
    assert_eq!(values(&v).month_kwh, 0.19);
    t.save().unwrap();
    drop(t);
    // Down for three days; back on the 13th at 09:00.
    let back = datetime!(2024-10-13 09:15 +1);
    let mut t = tracker(dir.path(), back);
    let close = first_usage_read(&mut t, back);
    assert_eq!(
        close.need,
        Need::Close {
            from: day,
            to: date!(2024 - 10 - 12)
        }
    );
    let v = t.on_usage(
        back,
        &close,
        Ok(vec![
            day_row(day, 300.0),
            day_row(date!(2024 - 10 - 11), 1000.0),
            day_row(date!(2024 - 10 - 12), 2000.0),
        ]),
    );
    assert_eq!(values(&v).total_kwh, 3.3);
    assert_eq!(values(&v).month_kwh, 3.39);
    // The same answer again counts nothing.
    let v = t.on_usage(
        back,
        &close,
        Ok(vec![day_row(date!(2024 - 10 - 12), 2000.0)]),
    );
    assert_eq!(values(&v).total_kwh, 3.3);
}

#[test]
fn unsupported_devices_and_a_missing_scope() {
    let dir = tempfile::tempdir().unwrap();
    let now = datetime!(2024-10-10 10:30 +1);
    let mut t = EnergyTracker::load(dir.path(), offset!(+1));
    t.set_devices(["oven", "washer", "empty", "flaky"]);
    assert_eq!(t.plan(now, false).len(), 4);
    let oven_406 = crate::thinq::api::parse_envelope(406, b"").unwrap_err();
    assert_eq!(
        t.on_profile(now, "oven", Err(oven_406)),
        vec![EnergyUpdate::Unsupported {
            device_id: "oven".into()
        }]
    );
    assert_eq!(t.on_profile(now, "washer", Err(api_error("1221"))).len(), 1);
    assert_eq!(t.on_profile(now, "empty", Ok(vec![])).len(), 1);
    assert!(
        t.on_profile(now, "flaky", Err(ApiError::Timeout))
            .is_empty()
    );
    // Unsupported devices are never asked again; the flaky one after an hour.
    for minutes in [10, 50] {
        assert!(
            t.plan(now + time::Duration::minutes(minutes), false)
                .is_empty()
        );
    }
    assert_eq!(
        t.plan(now + time::Duration::minutes(61), false),
        vec![EnergyRead::Profile {
            device_id: "flaky".into()
        }]
    );
    // The token may not read energy: said once, and no energy call any more.
    assert_eq!(
        t.on_profile(now, "flaky", Err(api_error("1309"))),
        vec![EnergyUpdate::ScopeMissing]
    );
    assert!(t.scope_missing());
    assert!(
        t.on_profile(now, "flaky", Err(api_error("1309")))
            .is_empty()
    );
    t.set_devices(["oven", "washer", "empty", "flaky", "new"]);
    assert!(t.plan(now + time::Duration::hours(5), false).is_empty());
}

#[test]
fn tight_budget_and_refresh() {
    let now = datetime!(2024-10-10 10:30 +1);
    let (_dir, mut t) = fresh_tracker(now);
    assert_eq!(
        t.plan(now, true).len(),
        1,
        "the first read is not held back"
    );
    // Tight: the next read three hours later.
    for h in [11, 12] {
        let at = datetime!(2024-10-10 10:30 +1).replace_hour(h).unwrap();
        assert!(t.plan(at, true).is_empty(), "{h}");
    }
    assert_eq!(t.plan(datetime!(2024-10-10 13:30 +1), true).len(), 1);
    // Refresh: due at once unless read in the last 15 minutes.
    t.request_refresh();
    assert!(t.plan(datetime!(2024-10-10 13:40 +1), false).is_empty());
    // The user asked: even a tight budget makes the refresh read (through the budget's queue).
    t.request_refresh();
    assert_eq!(
        t.plan(datetime!(2024-10-10 13:50 +1), true).len(),
        1,
        "tight"
    );
    t.request_refresh();
    assert!(t.plan(datetime!(2024-10-10 13:55 +1), false).is_empty());
}

#[test]
fn properties_take_turns() {
    let dir = tempfile::tempdir().unwrap();
    let now = datetime!(2024-10-10 10:30 +1);
    let mut t = EnergyTracker::load(dir.path(), offset!(+1));
    t.set_devices(["tower"]);
    t.plan(now, false);
    let props: Vec<String> = [
        "energyUsage_washer",
        "energyUsage_dryer",
        "energyUsage_washerDryer",
    ]
    .map(String::from)
    .to_vec();
    t.on_profile(now, "tower", Ok(props.clone()));
    let mut seen = Vec::new();
    for h in 10..13 {
        let at = datetime!(2024-10-10 10:30 +1).replace_hour(h).unwrap();
        let reads = usage_reads(t.plan(at, false));
        assert_eq!(reads.len(), 1, "one read per device per hour");
        seen.push(reads[0].property.clone());
    }
    seen.sort();
    let mut expected = props;
    expected.sort();
    assert_eq!(seen, expected);
}

/// One step of the random history: a read of today's hours or a final day row.
#[derive(Debug, Clone)]
enum Step {
    Hours(Vec<(u8, u16)>),
    NextDay(u16),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => prop::collection::vec((0u8..24, 0u16..500), 0..6).prop_map(Step::Hours),
        1 => (0u16..5000).prop_map(Step::NextDay),
    ]
}

proptest! {
    /// Whatever LG sends (revisions up and down, final rows above or below the hours), the
    /// total never decreases, never exceeds the highest figure seen per day (no double
    /// count), and is at least every final day row (nothing lost).
    #[test]
    fn the_total_never_decreases(steps in prop::collection::vec(step(), 1..40)) {
        let mut meter = Meter::new(date!(2024 - 10 - 30));
        let mut day = date!(2024 - 10 - 30);
        let mut hours: BTreeMap<u8, f64> = BTreeMap::new();
        let mut highest: BTreeMap<Date, f64> = BTreeMap::new();
        let mut finals = 0.0;
        let mut last_total = 0.0;
        for step in steps {
            match step {
                Step::Hours(rows) => {
                    for (h, wh) in &rows {
                        hours.insert(*h, f64::from(*wh));
                    }
                    let rows: Vec<_> = rows.iter().map(|(h, wh)| hour(day, *h, f64::from(*wh))).collect();
                    meter.apply(Need::Today(day), &rows);
                    let sum: f64 = hours.values().sum();
                    let e = highest.entry(day).or_insert(0.0);
                    *e = e.max(sum);
                }
                Step::NextDay(final_wh) => {
                    let final_wh = f64::from(final_wh);
                    meter.apply(Need::Close { from: day, to: day }, &[day_row(day, final_wh)]);
                    let e = highest.entry(day).or_insert(0.0);
                    *e = e.max(final_wh);
                    finals += final_wh;
                    day = day.next_day().unwrap();
                    hours.clear();
                }
            }
            let total = meter.total_wh();
            prop_assert!(total >= last_total, "{total} < {last_total}");
            prop_assert!(total <= highest.values().sum::<f64>() + 1e-6);
            prop_assert!(total + 1e-6 >= finals);
            last_total = total;
        }
    }
}

proptest! {
    /// However often the loop plans, with the budget tight or not, a device gets at most one
    /// usage read per local clock hour, and none while it is unsupported.
    #[test]
    fn at_most_one_read_per_device_per_hour(
        gaps in prop::collection::vec((1i64..90, any::<bool>()), 1..120),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut now = datetime!(2024-10-30 21:00 +1);
        let mut t = EnergyTracker::load(dir.path(), offset!(+1));
        t.set_devices(["a", "b", "none"]);
        t.plan(now, false);
        t.on_profile(now, "a", Ok(vec![P.into()]));
        t.on_profile(now, "b", Ok(vec!["energyUsage_washer".into(), "energyUsage_dryer".into()]));
        t.on_profile(now, "none", Err(api_error("1221")));
        let mut per_hour: BTreeMap<(String, i64), usize> = BTreeMap::new();
        for (gap, tight) in gaps {
            now += time::Duration::minutes(gap);
            for read in t.plan(now, tight) {
                let EnergyRead::Usage(read) = read else {
                    prop_assert!(false, "a profile read after the profiles answered");
                    continue;
                };
                prop_assert_ne!(read.device_id.as_str(), "none");
                let local = now.to_offset(offset!(+1));
                let hour = i64::from(local.date().to_julian_day()) * 24 + i64::from(local.hour());
                let n = per_hour.entry((read.device_id.clone(), hour)).or_default();
                *n += 1;
                prop_assert!(*n <= 1, "{} read twice in one hour", read.device_id);
                // Answer with nothing: the calls are what is checked here.
                t.on_usage(now, &read, Ok(Vec::new()));
            }
        }
    }
}
