//! LG's appliance energy endpoints: which energy properties a device has, and its usage rows.
//!
//! Kept apart from [`super::api`] because the answers need their own parsing and their own
//! error meaning (reference `thinq-api.md` §2.1 and §9 "Energy profile" / "Energy usage"):
//!
//! * `GET /devices/energy/{id}/profile` → `{resultCode, result: {property: [...]}}`. A device
//!   without energy answers `result: {}`, `property: []`, 1220, 1221, 1307, or — the oven —
//!   **HTTP 406 with an empty body**, which [`super::api::parse_envelope`] turns into
//!   [`ApiError::InvalidResponse`] with status 406 (there is no code to read).
//! * `GET /devices/energy/{id}/usage?property=&period=DAILY|MONTHLY&startDate=&endDate=` →
//!   `{resultCode, result: {dataList: [...]}}`. Rows come in two forms, the documented
//!   `{usedDate, useAmount}` and the deployed `{usedDate, <property>: n}`; both are read.
//!   A DAILY query for today gives hourly rows (`usedDate` `YYYYMMDDHH`). Values are Wh.
//!
//! A token without the energy scope: LG documents no energy scope of its own; a call outside
//! the PAT's scopes answers 1309 (or 1305) — §6.3. So 1309/1305 on an energy call means
//! "this token may not read energy" ([`ApiError::is_permission_denied`]): stop energy calls
//! for the run and say so once; it is not a fault of the device.

use serde_json::Value;
use time::{Date, Month};

use super::api::{ThinqApi, unwrap_result};
use super::error::{ApiError, ErrorCode};

/// The granularity of a usage query (LG's `period`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// `YYYYMMDD` dates, at most 31 days; a query for today alone gives hourly rows.
    Daily,
    /// `YYYYMM` dates, at most 12 months.
    Monthly,
}

impl Period {
    /// The query value LG expects.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Daily => "DAILY",
            Period::Monthly => "MONTHLY",
        }
    }

    /// A date formatted for this period (`20241010` or `202410`).
    pub fn format(self, date: Date) -> String {
        match self {
            Period::Daily => format_day(date),
            Period::Monthly => format!("{:04}{:02}", date.year(), u8::from(date.month())),
        }
    }
}

/// What a usage row's `usedDate` covers, in the user's local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UsedDate {
    /// One hour (`YYYYMMDDHH`): the hour starting at `hour`.
    Hour(Date, u8),
    /// One day (`YYYYMMDD`).
    Day(Date),
    /// One month (`YYYYMM`), given as its first day.
    Month(Date),
}

impl UsedDate {
    /// Parses LG's `usedDate`; `None` for anything that is not one of the three forms.
    pub fn parse(text: &str) -> Option<UsedDate> {
        let text = text.trim();
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
        let year = i32::try_from(number(0..4)?).ok()?;
        let month = Month::try_from(u8::try_from(number(4..6)?).ok()?).ok()?;
        match text.len() {
            6 => Date::from_calendar_date(year, month, 1)
                .ok()
                .map(UsedDate::Month),
            8 | 10 => {
                let day = u8::try_from(number(6..8)?).ok()?;
                let date = Date::from_calendar_date(year, month, day).ok()?;
                if text.len() == 8 {
                    return Some(UsedDate::Day(date));
                }
                let hour = u8::try_from(number(8..10)?).ok().filter(|h| *h < 24)?;
                Some(UsedDate::Hour(date, hour))
            }
            _ => None,
        }
    }
}

/// One row of a usage answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsageRow {
    pub used: UsedDate,
    /// Energy in Wh (finite, not negative).
    pub wh: f64,
}

/// `YYYYMMDD`.
pub fn format_day(date: Date) -> String {
    format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

impl ApiError {
    /// The device has no energy data: HTTP 406 (the oven, empty body), 1220 (feature not
    /// supported), 1221 (product not supported), 1307 (not supported in the country). The
    /// answer does not change within a run, so the device is not asked again until restart.
    pub fn is_no_energy(&self) -> bool {
        match self {
            ApiError::Api { status, code, .. } => {
                *status == 406
                    || matches!(
                        code,
                        ErrorCode::NotSupportedFeature
                            | ErrorCode::NotSupportedProduct
                            | ErrorCode::NotSupportedCountry
                    )
            }
            ApiError::InvalidResponse { status, .. } => *status == 406,
            _ => false,
        }
    }
}

impl ThinqApi {
    /// `GET /devices/energy/{id}/profile`: the device's energy properties (`energyUsage`,
    /// `energyUsage_washer`, …). An empty list means no energy data.
    pub async fn energy_profile(&self, device_id: &str) -> Result<Vec<String>, ApiError> {
        let response = self
            .get_with_query(&["devices", "energy", device_id, "profile"], &[])
            .await?;
        parse_energy_profile(response)
    }

    /// `GET /devices/energy/{id}/usage` for one property and a date range (local dates,
    /// formatted for `period`). Rows LG sends in an unknown shape are skipped, not fatal.
    pub async fn energy_usage(
        &self,
        device_id: &str,
        property: &str,
        period: Period,
        start: Date,
        end: Date,
    ) -> Result<Vec<UsageRow>, ApiError> {
        let (start, end) = (period.format(start), period.format(end));
        let query = [
            ("property", property),
            ("period", period.as_str()),
            ("startDate", start.as_str()),
            ("endDate", end.as_str()),
        ];
        let response = self
            .get_with_query(&["devices", "energy", device_id, "usage"], &query)
            .await?;
        parse_usage(response, property)
    }
}

/// The property list of an energy profile `response` (with or without the inner
/// `resultCode`/`result` wrapper). `{}` and `{"property": []}` are an empty list.
pub fn parse_energy_profile(response: Value) -> Result<Vec<String>, ApiError> {
    let result = unwrap_result(response)?;
    match result.get("property") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items
            .iter()
            .filter_map(Value::as_str)
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()),
        Some(other) => Err(ApiError::InvalidResponse {
            status: 200,
            detail: format!("energy profile: property is not a list: {other}"),
        }),
    }
}

/// The rows of a usage `response` for `property`. Each row gives its value as `useAmount`
/// (documented) or under the property's name (deployed); a number or a numeric string.
/// Rows without a readable date or value are skipped.
pub fn parse_usage(response: Value, property: &str) -> Result<Vec<UsageRow>, ApiError> {
    let result = unwrap_result(response)?;
    let rows = match result.get("dataList") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(rows)) => rows,
        Some(other) => {
            return Err(ApiError::InvalidResponse {
                status: 200,
                detail: format!("energy usage: dataList is not a list: {other}"),
            });
        }
    };
    Ok(rows
        .iter()
        .filter_map(|row| parse_row(row, property))
        .collect())
}

fn parse_row(row: &Value, property: &str) -> Option<UsageRow> {
    let used = match row.get("usedDate")? {
        Value::String(text) => UsedDate::parse(text)?,
        Value::Number(n) => UsedDate::parse(&n.to_string())?,
        _ => return None,
    };
    let value = row.get("useAmount").or_else(|| row.get(property))?;
    let wh = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(text) => text.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (wh.is_finite() && wh >= 0.0).then_some(UsageRow { used, wh })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::date;

    fn fixture(path: &str) -> Value {
        let text = std::fs::read_to_string(format!(
            "{}/tests/fixtures/{path}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture");
        serde_json::from_str(&text).expect("fixture json")
    }

    #[test]
    fn fixture_profiles_parse() {
        assert_eq!(
            parse_energy_profile(fixture("kimchi_refrigerator/energy_profile.json")).unwrap(),
            vec!["energyUsage"]
        );
        assert!(
            parse_energy_profile(fixture("air_conditioner1/energy_profile.json"))
                .unwrap()
                .is_empty()
        );
        assert!(
            parse_energy_profile(fixture("washtower_dryer/energy_profile.json"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn fixture_usage_parses_daily_hourly_and_monthly_rows() {
        let today = parse_usage(fixture("air_conditioner/energy_today.json"), "energyUsage");
        assert_eq!(
            today.unwrap(),
            vec![
                UsageRow {
                    used: UsedDate::Hour(date!(2024 - 10 - 10), 8),
                    wh: 80.0
                },
                UsageRow {
                    used: UsedDate::Hour(date!(2024 - 10 - 10), 9),
                    wh: 70.0
                },
            ]
        );
        let days = parse_usage(
            fixture("air_conditioner/energy_20241001_20241031.json"),
            "energyUsage",
        )
        .unwrap();
        assert_eq!(days.len(), 31);
        assert_eq!(days[30].used, UsedDate::Day(date!(2024 - 10 - 31)));
        assert_eq!(days.iter().map(|r| r.wh).sum::<f64>(), 4960.0);
        let month = parse_usage(
            fixture("air_conditioner/energy_this_month.json"),
            "energyUsage",
        )
        .unwrap();
        assert_eq!(month[0].used, UsedDate::Month(date!(2024 - 10 - 01)));
        assert_eq!(month[0].wh, 500.0);
    }

    #[test]
    fn both_row_forms_and_bad_rows() {
        let response = json!({"resultCode": "0000", "result": {"dataList": [
            {"usedDate": "20240101", "useAmount": 12.5},
            {"usedDate": "20240102", "energyUsage_dryer": "7"},
            {"usedDate": "20240103", "energyUsage_washer": 3},
            {"usedDate": "2024013", "useAmount": 1},
            {"usedDate": "20240230", "useAmount": 1},
            {"usedDate": "2024010224", "useAmount": 1},
            {"usedDate": "20240104", "useAmount": -1},
            {"usedDate": "20240105", "useAmount": null},
            "not a row",
        ]}});
        let rows = parse_usage(response, "energyUsage_dryer").unwrap();
        assert_eq!(
            rows,
            vec![
                UsageRow {
                    used: UsedDate::Day(date!(2024 - 01 - 01)),
                    wh: 12.5
                },
                UsageRow {
                    used: UsedDate::Day(date!(2024 - 01 - 02)),
                    wh: 7.0
                },
            ]
        );
        assert!(
            parse_usage(json!({"resultCode": "0000", "result": {}}), "x")
                .unwrap()
                .is_empty()
        );
        assert!(parse_usage(json!({"result": {"dataList": 5}}), "x").is_err());
        let err = parse_usage(json!({"resultCode": "1221", "result": {}}), "x").unwrap_err();
        assert!(err.is_no_energy(), "{err}");
    }

    #[test]
    fn no_energy_classification() {
        let api = |status, code: &str| ApiError::Api {
            status,
            code: ErrorCode::from_code(code),
            message: String::new(),
        };
        // The oven: 406 with an empty body is not LG's envelope.
        let empty_406 = super::super::api::parse_envelope(406, b"").unwrap_err();
        assert!(empty_406.is_no_energy(), "{empty_406:?}");
        for code in ["1220", "1221", "1307"] {
            assert!(api(400, code).is_no_energy(), "{code}");
        }
        for code in ["1309", "1314", "1222", "2000"] {
            assert!(!api(400, code).is_no_energy(), "{code}");
        }
        assert!(api(403, "1309").is_permission_denied());
        assert!(!ApiError::Timeout.is_no_energy());
        let other_status = super::super::api::parse_envelope(502, b"").unwrap_err();
        assert!(!other_status.is_no_energy());
    }

    #[test]
    fn dates_format_per_period() {
        assert_eq!(Period::Daily.format(date!(2024 - 03 - 07)), "20240307");
        assert_eq!(Period::Monthly.format(date!(2024 - 03 - 07)), "202403");
        assert_eq!(
            UsedDate::parse("20241010"),
            Some(UsedDate::Day(date!(2024 - 10 - 10)))
        );
        assert_eq!(UsedDate::parse("+2024101"), None);
        assert_eq!(UsedDate::parse(""), None);
    }
}
