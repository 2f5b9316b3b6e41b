//! The simulated cloud's appliance energy: `GET /devices/energy/{id}/profile` and
//! `GET /devices/energy/{id}/usage`, the way LG answers them (reference `thinq-api.md` §2.1 and
//! §9 "Energy profile" / "Energy usage").
//!
//! Which appliance has energy data, and how it answers, is the table [`ENERGY`]: the Home
//! Assistant fixtures say it for three devices (the kimchi refrigerator has `energyUsage`, one
//! air conditioner answers `result: {}`, the washtower dryer `property: []`), a third-party
//! project saw HTTP 406 with no body for an oven, and Home Assistant's most discussed energy
//! issue is 1221 for washers. The rest is chosen so that every answer LG gives occurs.
//!
//! Usage grows with a simulated local clock (LG uses the user's local dates) that tests set
//! and advance ([`SimHandle::set_energy_clock`], [`SimHandle::advance_energy_clock`]); it
//! never moves by itself. Each property has a deterministic Wh per hour; a day is the sum of
//! its hours; only completed hours count. The air conditioner's October 2024 is Home
//! Assistant's fixtures (`energy_20241001_20241031.json` per day and `energy_today.json` per
//! hour on the 10th). Those hand-written files disagree (the 10th's hours add up to 150 Wh,
//! its day row says 100), and the simulator keeps both, as LG revising a day would.

use std::time::Duration;

use reqwest::Url;
use serde_json::{Map, Value, json};
use time::macros::datetime;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::envelope::{ApiError, code};
use super::{Shared, SimHandle};
use crate::thinq::energy_api::{Period, format_day};

/// Where the simulated clock starts: during the air conditioner's fixture day.
pub const DEFAULT_ENERGY_CLOCK: PrimitiveDateTime = datetime!(2024-10-10 10:30);

const NOT_SUPPORTED_FEATURE: &str = "1220";
const NOT_SUPPORTED_PRODUCT: &str = "1221";
/// Longest DAILY and MONTHLY ranges LG accepts.
const MAX_DAYS: i64 = 31;
const MAX_MONTHS: i32 = 12;

/// How one property's usage is made.
#[derive(Debug, Clone, Copy)]
enum Meter {
    /// About this many Wh per hour, shaped by [`DAY_SHAPE`].
    Mean(f64),
    /// The sum of the device's other properties (WashTower `energyUsage_washerDryer`).
    SumOfOthers,
}

/// Which row form a device answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowForm {
    /// `{"energyUsage": 80.0, "usedDate": "…"}`: what deployed servers send.
    PropertyKeyed,
    /// `{"usedDate": "…", "useAmount": 80.0}`: LG's OpenAPI description.
    UseAmount,
}

/// How a device answers the energy endpoints.
#[derive(Debug, Clone, Copy)]
enum Support {
    Properties {
        properties: &'static [(&'static str, Meter)],
        form: RowForm,
    },
    /// `result: {}`.
    EmptyResult,
    /// `result: {property: []}`.
    EmptyList,
    /// HTTP 406 with no body at all.
    NotAcceptable,
    /// 1221, not supported product.
    NotSupported,
}

const ONE: &[(&str, Meter); 1] = &[("energyUsage", Meter::Mean(60.0))];

/// Every fixture device's energy behaviour, by device id. Devices not listed (added by tests)
/// answer 1221.
const ENERGY: &[(&str, Support)] = &[
    // air_conditioner: Home Assistant's energy fixtures.
    (
        super::devices::AIR_CONDITIONER_ID,
        Support::Properties {
            properties: ONE,
            form: RowForm::PropertyKeyed,
        },
    ),
    // air_conditioner1: its energy_profile.json.
    (
        "MW2-5D62FF95-A977-46C7-B364-9A160C2A63A0",
        Support::EmptyResult,
    ),
    (
        "MW2-5E747ABC-6542-4DEF-AA89-4EC4353B2E89",
        Support::Properties {
            properties: &[("energyUsage", Meter::Mean(45.0))],
            form: RowForm::UseAmount,
        },
    ),
    (
        "MW2-A3F84FBB-469E-4E68-810B-55C3C8A4AB69",
        Support::Properties {
            properties: &[("energyUsage", Meter::Mean(50.0))],
            form: RowForm::PropertyKeyed,
        },
    ),
    (
        "MW2-5E747ABC-6542-4DEF-AA89-4EC4353B2E90",
        Support::NotSupported,
    ),
    (
        "TQS-25A89504-EF8E-4C4E-99F3-3956ED3BD397",
        Support::NotSupported,
    ),
    (super::devices::HOOD_ID, Support::NotSupported),
    // kimchi_refrigerator: its energy_profile.json.
    (
        "MW2-FD94EF23-EF86-4D65-92AB-5399A90C228F",
        Support::Properties {
            properties: &[("energyUsage", Meter::Mean(30.0))],
            form: RowForm::UseAmount,
        },
    ),
    (
        "OV-00000000-0000-0000-0000-000000000001",
        Support::NotAcceptable,
    ),
    (super::devices::WASHER_ID, Support::NotSupported),
    // washtower_dryer: its energy_profile.json.
    (
        "MW2-1E7C3325-9C2B-4E1F-8D64-0A5B7C11F203",
        Support::EmptyList,
    ),
    (
        super::devices::REFRIGERATOR_ID,
        Support::Properties {
            properties: &[("energyUsage", Meter::Mean(40.0))],
            form: RowForm::PropertyKeyed,
        },
    ),
    (
        "TQS-51D0A6C3-2E8B-4C7F-B1A9-6F3E2D8C4B05",
        Support::Properties {
            properties: &[("energyUsage", Meter::Mean(120.0))],
            form: RowForm::PropertyKeyed,
        },
    ),
    (
        "MW2-3F9B6E21-C04D-4A8E-8B7F-12E5D9A3C6F0",
        Support::Properties {
            properties: &[("energyUsage", Meter::Mean(35.0))],
            form: RowForm::UseAmount,
        },
    ),
    (
        "MW2-6D2E8A14-97B3-4C5F-A0E1-7B4C3D2F8E19",
        Support::NotSupported,
    ),
    (
        "d5e2a9c4f0b1873e6a4c2d9f8b7e1a3c5d6f0e9b8a7c6d5e4f3a2b1c0d9e8f7a",
        Support::Properties {
            properties: &[
                ("energyUsage_washer", Meter::Mean(30.0)),
                ("energyUsage_dryer", Meter::Mean(80.0)),
                ("energyUsage_washerDryer", Meter::SumOfOthers),
            ],
            form: RowForm::PropertyKeyed,
        },
    ),
];

/// Relative use over a day (mean 1): low at night, peaks in the evening.
const DAY_SHAPE: [f64; 24] = [
    0.4, 0.3, 0.3, 0.3, 0.3, 0.4, 0.7, 1.0, 1.2, 1.1, 1.0, 1.0, 1.1, 1.1, 1.0, 1.0, 1.1, 1.3, 1.5,
    1.6, 1.5, 1.3, 1.2, 1.3,
];

/// The air conditioner's fixture days: October 2024, day `d` used `10·d` Wh
/// (`energy_20241001_20241031.json`).
fn fixture_day(device_id: &str, date: Date) -> Option<f64> {
    (device_id == super::devices::AIR_CONDITIONER_ID
        && date.year() == 2024
        && date.month() == time::Month::October)
        .then(|| 10.0 * f64::from(date.day()))
}

/// The air conditioner's fixture hours on 2024-10-10 (`energy_today.json`): nothing before
/// 08:00, 80 Wh from 08:00, 70 Wh from 09:00; later hours follow the usual shape.
fn fixture_hour(device_id: &str, date: Date, hour: u8) -> Option<f64> {
    if device_id != super::devices::AIR_CONDITIONER_ID
        || date != time::macros::date!(2024 - 10 - 10)
    {
        return None;
    }
    match hour {
        0..=7 => Some(0.0),
        8 => Some(80.0),
        9 => Some(70.0),
        _ => None,
    }
}

/// The simulated energy clock: the user's local date and time as LG sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnergyClock {
    /// Stands still where a test put it.
    Fixed(PrimitiveDateTime),
    /// The real time in this offset (`thinq-addon demo`, where the bridge reads the real
    /// clock too).
    Wall(UtcOffset),
}

impl Default for EnergyClock {
    fn default() -> Self {
        EnergyClock::Fixed(DEFAULT_ENERGY_CLOCK)
    }
}

impl EnergyClock {
    fn now(self) -> PrimitiveDateTime {
        match self {
            EnergyClock::Fixed(local) => local,
            EnergyClock::Wall(offset) => {
                let now = OffsetDateTime::now_utc().to_offset(offset);
                PrimitiveDateTime::new(now.date(), now.time())
            }
        }
    }
}

impl SimHandle {
    /// Sets the simulated local clock the energy endpoints answer by; it stands still there.
    pub fn set_energy_clock(&self, local: PrimitiveDateTime) {
        *self.shared.energy_clock() = EnergyClock::Fixed(local);
    }

    /// Moves the simulated local clock forward (across midnight as well); usage grows with it.
    pub fn advance_energy_clock(&self, by: Duration) {
        let mut clock = self.shared.energy_clock();
        let by = time::Duration::try_from(by).unwrap_or(time::Duration::ZERO);
        let now = clock.now();
        *clock = EnergyClock::Fixed(now.checked_add(by).unwrap_or(now));
    }

    /// Makes the energy endpoints follow the real clock in `offset` (for the demo).
    pub fn use_wall_energy_clock(&self, offset: UtcOffset) {
        *self.shared.energy_clock() = EnergyClock::Wall(offset);
    }

    /// The simulated local clock now.
    pub fn energy_clock(&self) -> PrimitiveDateTime {
        self.shared.energy_clock().now()
    }
}

impl Shared {
    fn energy_clock(&self) -> std::sync::MutexGuard<'_, EnergyClock> {
        self.energy
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The device's energy behaviour; 1205 for a device not on the account.
    fn energy_support(&self, id: &str) -> Result<Support, ApiError> {
        if self.with_cloud(|c| c.sim_device(id)).is_none() {
            return Err(ApiError::new(code::NOT_EXIST_DEVICE));
        }
        Ok(ENERGY
            .iter()
            .find(|(device, _)| *device == id)
            .map_or(Support::NotSupported, |(_, support)| *support))
    }

    /// `GET /devices/energy/{id}/profile`.
    pub(crate) fn energy_profile(&self, id: &str) -> Result<Value, ApiError> {
        let result = match self.energy_support(id)? {
            Support::Properties { properties, .. } => {
                json!({"property": properties.iter().map(|(p, _)| *p).collect::<Vec<_>>()})
            }
            Support::EmptyResult => json!({}),
            Support::EmptyList => json!({"property": []}),
            Support::NotAcceptable => return Err(not_acceptable()),
            Support::NotSupported => return Err(not_supported_product()),
        };
        Ok(json!({"resultCode": "0000", "result": result}))
    }

    /// `GET /devices/energy/{id}/usage?property=&period=&startDate=&endDate=`.
    pub(crate) fn energy_usage(&self, id: &str, query: Option<&str>) -> Result<Value, ApiError> {
        let (properties, form) = match self.energy_support(id)? {
            Support::Properties { properties, form } => (properties, form),
            Support::EmptyResult | Support::EmptyList => {
                return Err(ApiError::with_message(
                    NOT_SUPPORTED_FEATURE,
                    "Not supported feature",
                ));
            }
            Support::NotAcceptable => return Err(not_acceptable()),
            Support::NotSupported => return Err(not_supported_product()),
        };
        let query = UsageQuery::parse(query)?;
        let asked: Vec<usize> = match &query.property {
            Some(name) => {
                vec![
                    properties
                        .iter()
                        .position(|(p, _)| p == name)
                        .ok_or_else(|| {
                            ApiError::with_message(NOT_SUPPORTED_FEATURE, "Not supported property")
                        })?,
                ]
            }
            None => (0..properties.len()).collect(),
        };
        let now = self.energy_clock().now();
        let rows = query.rows(now)?;
        let data_list: Vec<Value> = rows
            .into_iter()
            .filter_map(|(label, span)| {
                let values: Vec<f64> = asked
                    .iter()
                    .map(|&index| span_wh(id, properties, index, span, now))
                    .collect();
                // Hours without use are left out, as in `energy_today.json`.
                if matches!(span, Span::Hour(..)) && values.iter().all(|v| *v == 0.0) {
                    return None;
                }
                let mut row = Map::new();
                if form == RowForm::UseAmount && asked.len() == 1 {
                    row.insert("usedDate".into(), json!(label));
                    row.insert("useAmount".into(), json!(values[0]));
                } else {
                    for (&index, value) in asked.iter().zip(&values) {
                        row.insert(properties[index].0.into(), json!(value));
                    }
                    row.insert("usedDate".into(), json!(label));
                }
                Some(Value::Object(row))
            })
            .collect();
        let names: Vec<&str> = asked.iter().map(|&i| properties[i].0).collect();
        Ok(json!({"resultCode": "0000", "result": {"dataList": data_list, "property": names}}))
    }
}

/// HTTP 406 with no body: the HTTP layer sends an empty body for an error without a code.
fn not_acceptable() -> ApiError {
    ApiError {
        status: 406,
        code: String::new(),
        message: String::new(),
    }
}

fn not_supported_product() -> ApiError {
    ApiError::with_message(NOT_SUPPORTED_PRODUCT, "Not supported product")
}

fn unacceptable(message: &str) -> ApiError {
    ApiError::with_message(code::UNACCEPTABLE_PARAMETERS, message)
}

/// A parsed usage query.
struct UsageQuery {
    property: Option<String>,
    period: Period,
    start: Date,
    end: Date,
}

/// What one row covers.
#[derive(Debug, Clone, Copy)]
enum Span {
    Hour(Date, u8),
    Day(Date),
    Month(Date),
}

impl UsageQuery {
    fn parse(query: Option<&str>) -> Result<UsageQuery, ApiError> {
        let url = Url::parse(&format!("http://sim/?{}", query.unwrap_or_default()))
            .map_err(|_| unacceptable("malformed query"))?;
        let get = |name: &str| {
            url.query_pairs()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.into_owned())
        };
        let missing = |name: &str| {
            ApiError::with_message(code::MISSING_PARAMETERS, format!("{name} is required"))
        };
        let period = match get("period").ok_or_else(|| missing("period"))?.as_str() {
            "DAILY" => Period::Daily,
            "MONTHLY" => Period::Monthly,
            _ => return Err(unacceptable("period must be DAILY or MONTHLY")),
        };
        let date = |name: &str| -> Result<Date, ApiError> {
            let text = get(name).ok_or_else(|| missing(name))?;
            parse_date(&text, period).ok_or_else(|| unacceptable("startDate/endDate format"))
        };
        Ok(UsageQuery {
            property: get("property").filter(|p| !p.is_empty()),
            period,
            start: date("startDate")?,
            end: date("endDate")?,
        })
    }

    /// The rows to answer, with their `usedDate`, checked against LG's limits and `now`.
    fn rows(&self, now: PrimitiveDateTime) -> Result<Vec<(String, Span)>, ApiError> {
        let today = now.date();
        if self.end < self.start {
            return Err(unacceptable("endDate is before startDate"));
        }
        match self.period {
            Period::Daily => {
                if self.end > today {
                    return Err(unacceptable("endDate is in the future"));
                }
                if (self.end - self.start).whole_days() >= MAX_DAYS {
                    return Err(unacceptable("at most 31 days"));
                }
                if self.start == today {
                    // Today alone: one row per completed hour.
                    return Ok((0..now.hour())
                        .map(|hour| {
                            (
                                format!("{}{hour:02}", format_day(today)),
                                Span::Hour(today, hour),
                            )
                        })
                        .collect());
                }
                let mut rows = Vec::new();
                let mut day = self.start;
                while day <= self.end {
                    rows.push((format_day(day), Span::Day(day)));
                    match day.next_day() {
                        Some(next) => day = next,
                        None => break,
                    }
                }
                Ok(rows)
            }
            Period::Monthly => {
                let index = |d: Date| d.year() * 12 + i32::from(u8::from(d.month())) - 1;
                if index(self.end) > index(today) {
                    return Err(unacceptable("endDate is in the future"));
                }
                if index(self.end) - index(self.start) >= MAX_MONTHS {
                    return Err(unacceptable("at most 12 months"));
                }
                Ok((index(self.start)..=index(self.end))
                    .filter_map(|i| {
                        let month = time::Month::try_from(u8::try_from(i % 12 + 1).ok()?).ok()?;
                        let first = Date::from_calendar_date(i / 12, month, 1).ok()?;
                        Some((Period::Monthly.format(first), Span::Month(first)))
                    })
                    .collect())
            }
        }
    }
}

fn parse_date(text: &str, period: Period) -> Option<Date> {
    let wanted = match period {
        Period::Daily => 8,
        Period::Monthly => 6,
    };
    if text.len() != wanted {
        return None;
    }
    match crate::thinq::energy_api::UsedDate::parse(text)? {
        crate::thinq::energy_api::UsedDate::Day(d)
        | crate::thinq::energy_api::UsedDate::Month(d) => Some(d),
        crate::thinq::energy_api::UsedDate::Hour(..) => None,
    }
}

/// Wh of property `index` over `span`, counting only what has happened by `now`.
fn span_wh(
    id: &str,
    properties: &[(&str, Meter)],
    index: usize,
    span: Span,
    now: PrimitiveDateTime,
) -> f64 {
    match span {
        Span::Hour(date, hour) => hour_wh(id, properties, index, date, hour),
        Span::Day(date) => day_wh(id, properties, index, date, now),
        Span::Month(first) => {
            let mut total = 0.0;
            let mut day = first;
            while day.month() == first.month() && day <= now.date() {
                total += day_wh(id, properties, index, day, now);
                match day.next_day() {
                    Some(next) => day = next,
                    None => break,
                }
            }
            total
        }
    }
}

/// A day's Wh: the fixture's day row when there is one, else its completed hours.
fn day_wh(
    id: &str,
    properties: &[(&str, Meter)],
    index: usize,
    date: Date,
    now: PrimitiveDateTime,
) -> f64 {
    if date < now.date()
        && let Some(fixed) = fixture_day(id, date)
    {
        return fixed;
    }
    let hours = if date < now.date() { 24 } else { now.hour() };
    (0..hours)
        .map(|hour| hour_wh(id, properties, index, date, hour))
        .sum()
}

/// One hour's Wh, whole numbers like LG's `80.0`.
fn hour_wh(id: &str, properties: &[(&str, Meter)], index: usize, date: Date, hour: u8) -> f64 {
    match properties.get(index).map(|(_, meter)| *meter) {
        Some(Meter::Mean(mean)) => {
            if let Some(fixed) = fixture_hour(id, date, hour) {
                return fixed;
            }
            // A fixed pseudo-random factor in 0.6..=1.4 per (property, day, hour).
            let seed = u64::try_from(date.to_julian_day()).unwrap_or(0);
            let mixed = seed
                .wrapping_mul(2_654_435_761)
                .wrapping_add(u64::from(hour).wrapping_mul(40_503))
                .wrapping_add(index as u64 * 7_919);
            let factor = 0.6 + (mixed % 81) as f64 / 100.0;
            (mean * DAY_SHAPE[usize::from(hour) % 24] * factor).round()
        }
        Some(Meter::SumOfOthers) => (0..properties.len())
            .filter(|&other| other != index && matches!(properties[other].1, Meter::Mean(_)))
            .map(|other| hour_wh(id, properties, other, date, hour))
            .sum(),
        None => 0.0,
    }
}
