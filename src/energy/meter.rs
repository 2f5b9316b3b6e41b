//! One energy property of one appliance as a meter that never runs backwards.
//!
//! LG gives usage per local day (final once the day is over) and, for today, per completed
//! hour — and it may revise an hour it already gave. Home Assistant's Energy dashboard wants
//! one number that only grows. The meter keeps, per local day, the Wh already counted into
//! the total; a new reading for a day only ever adds what exceeds the counted amount:
//!
//! * today: the sum of the hourly rows seen so far (a revised hour replaces the old value;
//!   the sum may dip, the counted amount does not);
//! * a finished day: its daily row, when it is higher than what the hours gave;
//! * a restart: the state is in the data dir, so the same rows count nothing twice;
//! * a day while the add-on was down: the catch-up daily read counts it then.
//!
//! When LG revises downwards, the total keeps the higher figure and absorbs the difference
//! from later use: it never goes back and never counts the same Wh twice.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::thinq::energy_api::{UsageRow, UsedDate, format_day};

/// A local date that serializes as LG writes it (`"20241010"`), so the state file reads well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub Date);

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_day(self.0))
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match UsedDate::parse(&text) {
            Some(UsedDate::Day(date)) => Ok(Day(date)),
            _ => Err(serde::de::Error::custom(format!(
                "not a YYYYMMDD date: {text}"
            ))),
        }
    }
}

/// The running state of one property; this is what the data dir keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meter {
    /// The running total in Wh. Only [`Meter::count`] changes it, and only upwards.
    total_wh: f64,
    /// The first local day whose use is in the total (the day tracking began). Earlier days
    /// are read only for "this month".
    started: Day,
    /// Every day up to this one is final: its daily row has been read.
    closed_through: Day,
    /// Whether the days of the first month before `started` have been read.
    seeded: bool,
    /// Wh counted per local day (this month and the last; older days are dropped).
    days: BTreeMap<Day, f64>,
    /// The day the hourly rows below belong to.
    hours_day: Option<Day>,
    /// The latest value LG gave for each completed hour of `hours_day`.
    hours: BTreeMap<u8, f64>,
}

/// What a meter needs read next, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Need {
    /// Daily rows for finished days not yet final (`from..=to`, `to` is yesterday).
    Close { from: Date, to: Date },
    /// Daily rows for the start of the first month, before tracking began.
    Seed { from: Date, to: Date },
    /// Today's hourly rows.
    Today(Date),
}

/// Longest DAILY range LG accepts.
const MAX_RANGE_DAYS: i64 = 31;

impl Meter {
    /// A meter that starts counting on `today` (local).
    pub fn new(today: Date) -> Meter {
        Meter {
            total_wh: 0.0,
            started: Day(today),
            closed_through: Day(today.previous_day().unwrap_or(today)),
            seeded: today.day() == 1,
            days: BTreeMap::new(),
            hours_day: None,
            hours: BTreeMap::new(),
        }
    }

    pub fn total_wh(&self) -> f64 {
        self.total_wh
    }

    /// Whether LG has given this meter anything yet.
    pub fn has_readings(&self) -> bool {
        !self.days.is_empty()
    }

    /// Wh counted for `day` so far.
    pub fn day_wh(&self, day: Date) -> f64 {
        self.days.get(&Day(day)).copied().unwrap_or(0.0)
    }

    /// Wh counted in the month of `today`, up to and including it.
    pub fn month_wh(&self, today: Date) -> f64 {
        let first = Day(first_of_month(today));
        self.days.range(first..=Day(today)).map(|(_, wh)| wh).sum()
    }

    /// The reads this meter would like now, in order of urgency: closing finished days
    /// (only from 01:00, when LG has the last hour of yesterday), the first month's seed,
    /// today's hours (from 01:00; before, no hour of today is complete).
    pub fn needs(&self, today: Date, hour: u8) -> Vec<Need> {
        let mut needs = Vec::new();
        if let Some(yesterday) = today.previous_day()
            && self.closed_through.0 < yesterday
            && hour >= 1
        {
            let earliest = today
                .checked_sub(time::Duration::days(MAX_RANGE_DAYS))
                .unwrap_or(today);
            let from = self
                .closed_through
                .0
                .next_day()
                .unwrap_or(yesterday)
                .max(earliest);
            needs.push(Need::Close {
                from,
                to: yesterday,
            });
        }
        // The seed waits for the first hourly read, so "today" and the total show first.
        let first = first_of_month(self.started.0);
        if !self.seeded
            && self.hours_day.is_some()
            && first_of_month(today) == first
            && let Some(before) = self.started.0.previous_day()
        {
            needs.push(Need::Seed {
                from: first,
                to: before,
            });
        }
        // In the first hour of a day no hour is complete yet: nothing to read.
        if hour >= 1 {
            needs.push(Need::Today(today));
        }
        needs
    }

    /// Takes the answer to a read this meter asked for.
    pub fn apply(&mut self, need: Need, rows: &[UsageRow]) {
        match need {
            Need::Today(day) => self.apply_hours(day, rows),
            Need::Close { from, to } => {
                self.apply_days(from, to, rows);
                if to > self.closed_through.0 {
                    self.closed_through = Day(to);
                }
            }
            Need::Seed { from, to } => {
                self.apply_days(from, to, rows);
                self.seeded = true;
            }
        }
        self.prune();
    }

    fn apply_hours(&mut self, day: Date, rows: &[UsageRow]) {
        match self.hours_day {
            // An answer for an older day than the one we count by hours now: too late.
            Some(current) if current.0 > day => return,
            Some(current) if current.0 == day => {}
            _ => {
                self.hours.clear();
                self.hours_day = Some(Day(day));
            }
        }
        let mut whole_day = None;
        for row in rows {
            match row.used {
                // The latest value wins: LG revises hours.
                UsedDate::Hour(date, hour) if date == day => {
                    self.hours.insert(hour, row.wh);
                }
                // A device that answers today with one day row instead of hours.
                UsedDate::Day(date) if date == day => whole_day = Some(row.wh),
                _ => {}
            }
        }
        let sum = self.hours.values().sum();
        self.count(day, sum);
        if let Some(wh) = whole_day {
            self.count(day, wh);
        }
    }

    fn apply_days(&mut self, from: Date, to: Date, rows: &[UsageRow]) {
        for row in rows {
            if let UsedDate::Day(date) = row.used
                && (from..=to).contains(&date)
            {
                self.count(date, row.wh);
            }
        }
    }

    /// Raises the amount counted for `day` to `wh` when that is more; days since tracking
    /// began add the difference to the total.
    fn count(&mut self, day: Date, wh: f64) {
        if !wh.is_finite() {
            return;
        }
        let counted = self.days.entry(Day(day)).or_insert(0.0);
        if wh > *counted {
            let added = wh - *counted;
            *counted = wh;
            if day >= self.started.0 {
                self.total_wh += added;
            }
        }
    }

    /// Keeps this month and the last: "this month" needs no more, closing needs at most 31
    /// days back.
    fn prune(&mut self) {
        let Some(newest) = self.days.keys().next_back().copied() else {
            return;
        };
        let keep_from = first_of_month(first_of_month(newest.0).previous_day().unwrap_or(newest.0));
        self.days.retain(|day, _| day.0 >= keep_from);
    }
}

/// The first day of `date`'s month.
pub fn first_of_month(date: Date) -> Date {
    date.replace_day(1).unwrap_or(date)
}
