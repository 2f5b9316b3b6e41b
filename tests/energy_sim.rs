//! The simulated cloud's energy endpoints over real HTTP, read by the add-on's own client
//! (`ThinqApi::energy_profile` / `energy_usage`): LG's shapes, both row forms, hourly rows for
//! today, 406 for the oven, 1221 for a device without energy, and usage that grows with the
//! simulated clock across midnight.

mod support;

use std::time::Duration;

use support::{start_sim, thinq_api};
use thinq_addon::sim::devices::{AIR_CONDITIONER_ID, WASHER_ID};
use thinq_addon::sim::{DEFAULT_ENERGY_CLOCK, SimHandle};
use thinq_addon::thinq::api::ThinqApi;
use thinq_addon::thinq::energy_api::{Period, UsageRow, UsedDate};
use thinq_addon::thinq::error::ApiError;
use time::Date;
use time::macros::{date, datetime};

const OVEN_ID: &str = "OV-00000000-0000-0000-0000-000000000001";
const KIMCHI_ID: &str = "MW2-FD94EF23-EF86-4D65-92AB-5399A90C228F";
const WASHTOWER_ID: &str = "d5e2a9c4f0b1873e6a4c2d9f8b7e1a3c5d6f0e9b8a7c6d5e4f3a2b1c0d9e8f7a";

/// The simulator with the fixture devices, and the add-on's own client for it.
async fn started() -> (SimHandle, ThinqApi) {
    let sim = start_sim().await.expect("sim");
    let api = thinq_api(&sim, "energy-test-client");
    (sim, api)
}

/// The air conditioner's `energyUsage` rows from `start` to `end`.
async fn ac_usage(
    api: &ThinqApi,
    period: Period,
    start: Date,
    end: Date,
) -> Result<Vec<UsageRow>, ApiError> {
    api.energy_usage(AIR_CONDITIONER_ID, "energyUsage", period, start, end)
        .await
}

fn fixture_rows(name: &str) -> Vec<UsageRow> {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/air_conditioner/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    let value = serde_json::from_str(&text).expect("json");
    thinq_addon::thinq::energy_api::parse_usage(value, "energyUsage").expect("rows")
}

#[tokio::test]
async fn profiles_answer_like_lg() {
    let (sim, api) = started().await;
    assert_eq!(
        api.energy_profile(AIR_CONDITIONER_ID).await.unwrap(),
        vec!["energyUsage"]
    );
    assert_eq!(
        api.energy_profile(KIMCHI_ID).await.unwrap(),
        vec!["energyUsage"]
    );
    assert_eq!(
        api.energy_profile(WASHTOWER_ID).await.unwrap(),
        vec![
            "energyUsage_washer",
            "energyUsage_dryer",
            "energyUsage_washerDryer"
        ]
    );
    // air_conditioner1 (`result: {}`) and the washtower dryer (`property: []`).
    for id in [
        "MW2-5D62FF95-A977-46C7-B364-9A160C2A63A0",
        "MW2-1E7C3325-9C2B-4E1F-8D64-0A5B7C11F203",
    ] {
        assert!(api.energy_profile(id).await.unwrap().is_empty(), "{id}");
    }
    let oven = api.energy_profile(OVEN_ID).await.unwrap_err();
    assert!(oven.is_no_energy(), "{oven:?}");
    let washer = api.energy_profile(WASHER_ID).await.unwrap_err();
    assert!(washer.is_no_energy(), "{washer:?}");
    assert_eq!(washer.code().map(|c| c.as_str()), Some("1221"));
    let unknown = api.energy_profile("no-such-device").await.unwrap_err();
    assert!(!unknown.is_no_energy(), "{unknown:?}");
    // The oven's 406 has no body at all.
    let oven_calls: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path == format!("/devices/energy/{OVEN_ID}/profile"))
        .collect();
    assert_eq!(oven_calls.len(), 1);
    assert_eq!(
        (oven_calls[0].status, oven_calls[0].code.as_deref()),
        (406, Some(""))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn the_air_conditioner_gives_its_fixture_values() {
    let (sim, api) = started().await;
    assert_eq!(sim.energy_clock(), DEFAULT_ENERGY_CLOCK);
    // Today (2024-10-10 10:30): hourly rows for the completed hours, as energy_today.json.
    let today = date!(2024 - 10 - 10);
    let rows = ac_usage(&api, Period::Daily, today, today).await.unwrap();
    assert_eq!(rows, fixture_rows("energy_today.json"));
    // Once the month is over, the whole of October is energy_20241001_20241031.json.
    sim.set_energy_clock(datetime!(2024-11-02 09:00));
    let october = date!(2024 - 10 - 01);
    for (end, fixture) in [
        (date!(2024 - 10 - 31), "energy_20241001_20241031.json"),
        (date!(2024 - 10 - 10), "energy_20241001_20241010.json"),
    ] {
        let rows = ac_usage(&api, Period::Daily, october, end).await.unwrap();
        assert_eq!(rows, fixture_rows(fixture), "{fixture}");
    }
    // MONTHLY: October is the sum of its days.
    let rows = ac_usage(&api, Period::Monthly, october, october).await;
    assert_eq!(
        rows.unwrap(),
        vec![UsageRow {
            used: UsedDate::Month(october),
            wh: 4960.0
        }]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn usage_grows_with_the_clock_across_midnight() {
    let (sim, api) = started().await;
    sim.set_energy_clock(datetime!(2026-03-14 22:30));
    let day = date!(2026 - 03 - 14);
    let read = |start, end| api.energy_usage(KIMCHI_ID, "energyUsage", Period::Daily, start, end);
    let before = read(day, day).await.unwrap();
    assert_eq!(before.len(), 22, "hours 00..21 are complete: {before:?}");
    assert!(
        before
            .iter()
            .all(|r| matches!(r.used, UsedDate::Hour(d, _) if d == day))
    );
    let sum_before: f64 = before.iter().map(|r| r.wh).sum();
    assert!(sum_before > 0.0);
    // Tomorrow is in the future.
    let next = date!(2026 - 03 - 15);
    let future = read(next, next).await.unwrap_err();
    assert_eq!(future.code().map(|c| c.as_str()), Some("1102"));

    sim.advance_energy_clock(Duration::from_secs(2 * 3600));
    assert_eq!(sim.energy_clock(), datetime!(2026-03-15 00:30));
    // Yesterday is now a whole day: more than its first 22 hours.
    let closed = read(day, day).await.unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].used, UsedDate::Day(day));
    assert!(closed[0].wh > sum_before, "{} > {sum_before}", closed[0].wh);
    // Nothing of the new day is complete yet; an hour later one hour is.
    assert!(read(next, next).await.unwrap().is_empty());
    sim.advance_energy_clock(Duration::from_secs(3600));
    let rows = read(next, next).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].used, UsedDate::Hour(next, 0));
    // The demo's clock: the real one, in the user's offset.
    sim.use_wall_energy_clock(time::UtcOffset::UTC);
    let clock = sim.energy_clock();
    let real = time::OffsetDateTime::now_utc();
    assert!((real - clock.assume_utc()).abs() < time::Duration::minutes(1));
    // Its today is not in the future: the read is answered.
    read(clock.date(), clock.date()).await.unwrap();
    sim.shutdown().await;
}

#[tokio::test]
async fn limits_and_unsupported_devices() {
    let (sim, api) = started().await;
    let today = date!(2024 - 10 - 10);
    let code =
        |r: Result<Vec<UsageRow>, ApiError>| r.unwrap_err().code().map(|c| c.as_str().to_owned());
    // 32 days is one too many; an end before the start is refused; a property the device
    // does not have.
    for (property, start, end, expected) in [
        (
            "energyUsage",
            date!(2024 - 09 - 08),
            date!(2024 - 10 - 09),
            "1102",
        ),
        ("energyUsage", today, date!(2024 - 10 - 01), "1102"),
        ("energyUsage_dryer", today, today, "1220"),
    ] {
        let refused = api
            .energy_usage(AIR_CONDITIONER_ID, property, Period::Daily, start, end)
            .await;
        assert_eq!(
            code(refused),
            Some(expected.into()),
            "{property} {start}..{end}"
        );
    }
    // Devices without energy answer usage the way they answer the profile.
    let oven = api
        .energy_usage(OVEN_ID, "energyUsage", Period::Daily, today, today)
        .await
        .unwrap_err();
    assert!(oven.is_no_energy(), "{oven:?}");
    let washer = api
        .energy_usage(WASHER_ID, "energyUsage", Period::Daily, today, today)
        .await
        .unwrap_err();
    assert_eq!(washer.code().map(|c| c.as_str()), Some("1221"));
    sim.shutdown().await;
}

#[tokio::test]
async fn washtower_properties_and_both_row_forms() {
    let (sim, api) = started().await;
    let day = date!(2024 - 10 - 09);
    let mut sums = Vec::new();
    for property in [
        "energyUsage_washer",
        "energyUsage_dryer",
        "energyUsage_washerDryer",
    ] {
        let rows = api
            .energy_usage(WASHTOWER_ID, property, Period::Daily, day, day)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{property}");
        sums.push(rows[0].wh);
    }
    assert!(sums[0] > 0.0 && sums[1] > 0.0);
    assert_eq!(sums[2], sums[0] + sums[1]);
    // The kimchi refrigerator answers in the documented `useAmount` form: check the raw body.
    let lg = support::LgClient::new(&sim.api_url(), "raw-client");
    let (status, envelope) = lg
        .call(
            "GET",
            &format!(
                "/devices/energy/{KIMCHI_ID}/usage?property=energyUsage&period=DAILY&startDate=20241009&endDate=20241009"
            ),
            None,
        )
        .await
        .expect("call");
    assert_eq!(status, 200);
    let row = &envelope["response"]["result"]["dataList"][0];
    assert_eq!(row["usedDate"], "20241009");
    assert!(
        row["useAmount"].as_f64().is_some_and(|wh| wh > 0.0),
        "{row}"
    );
    assert_eq!(envelope["response"]["resultCode"], "0000");
    sim.shutdown().await;
}
