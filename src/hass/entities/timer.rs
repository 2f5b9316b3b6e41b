//! Timers as users think of them: one entity per timer, not one per hour and minute attribute.
//!
//! * [`TimerNumber`]: a writable timer (`timer.relativeHourToStart` + `relativeMinuteToStart`)
//!   as one `number` in minutes, device class `duration`. A delay is an amount of time, not a
//!   time of day, so a number is what Home Assistant users set it with (a `time` entity would
//!   ask for a clock time, and the MQTT `time` platform is newer than the Home Assistant this
//!   add-on supports). A command writes hour and minute in one control body, as LG's SDK does.
//! * [`FinishesAtSensor`]: when a running cycle ends, a `timestamp` sensor computed from the
//!   remaining time at the bridge's clock, what a user asks ("when is the wash done?").

use super::Commands;
use super::common::{self, EntityBase, entity_kind};
use super::component::Component;
use super::one_value::OneValue;
use crate::thinq::profile::{CommandError, Property};
use serde_json::{Value, json};
use std::sync::Mutex;

/// The command feature of a timer (`<base>/<device>/<key>/value/set`), as for any number.
pub const FEATURE: &str = "value";

/// The state topic of a time of day (`<base>/<device>/<key>/time`), not `…/state`: versions
/// before one entity per time of day published the hour alone on `…/state` of the same key,
/// and a Home Assistant that still has that number (or sensor) until it reads the new
/// discovery would take `07:30` for a broken number. A new topic never meets the old kind.
pub const CLOCK_TOPIC: &str = "time";

/// Limits of one attribute: the profile's write range, else its read range, else the
/// catalog's (`fallback`).
fn limits(property: &Property, fallback: (f64, f64, f64)) -> (f64, f64, f64) {
    match property.spec.range() {
        Some(r) => (r.min, r.max, if r.step > 0.0 { r.step } else { 1.0 }),
        None => fallback,
    }
}

/// One duration as LG spreads it over the hour, minute and second attributes of a resource
/// (`timer.remainHour` + `remainMinute`); a member the profile lacks is `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DurationParts {
    pub hour: Option<Property>,
    pub minute: Option<Property>,
    pub second: Option<Property>,
}

impl DurationParts {
    /// The members the profile has, hour first.
    pub fn members(&self) -> impl Iterator<Item = &Property> {
        [&self.hour, &self.minute, &self.second]
            .into_iter()
            .flatten()
    }

    /// The duration in seconds, a part LG does not report (or the profile lacks) counted as 0;
    /// `None` when LG reports none of them: the duration is unknown, not zero.
    pub fn seconds(&self, state: &Value) -> Option<f64> {
        let parts = [&self.hour, &self.minute, &self.second]
            .map(|p| p.as_ref().and_then(|p| common::read_number(p, state)));
        let [h, m, s] = parts.map(|p| p.unwrap_or(0.0));
        parts
            .iter()
            .any(Option::is_some)
            .then_some(h * 3600.0 + m * 60.0 + s)
    }
}

/// A writable timer: hour and minute attributes shown and set as one number of minutes.
#[derive(Debug, Clone, PartialEq)]
pub struct TimerNumber {
    pub base: EntityBase,
    /// Hour and minute; a timer is never set in seconds, so `second` is `None`.
    pub parts: DurationParts,
    /// Limits of the hour and the minute (min, max, step) when the profile gives none.
    pub hour_limits: (f64, f64, f64),
    pub minute_limits: (f64, f64, f64),
}

impl TimerNumber {
    fn writable(p: &Option<Property>) -> Option<&Property> {
        p.as_ref().filter(|p| p.writable)
    }

    /// (min, max, step) in minutes. The minimum is 0, LG's "not set", so what the appliance
    /// reports always shows (a washer reports 0 against a writable range of 1..=19 hours); a
    /// command below LG's write range is refused with LG's range in the error. The minutes are
    /// settable only when LG lets us write them; otherwise the timer moves in whole hours.
    fn range(&self) -> (f64, f64, f64) {
        let hour = self
            .parts
            .hour
            .as_ref()
            .map(|h| limits(h, self.hour_limits));
        let minute = self
            .parts
            .minute
            .as_ref()
            .map(|m| limits(m, self.minute_limits));
        let max = hour.map_or(0.0, |h| h.1 * 60.0) + minute.map_or(0.0, |m| m.1);
        let step = match (
            Self::writable(&self.parts.hour),
            Self::writable(&self.parts.minute),
            hour,
            minute,
        ) {
            (_, Some(_), _, Some(m)) => m.2,
            (Some(_), None, Some(h), _) => h.2 * 60.0,
            _ => 1.0,
        };
        (0.0, max, step)
    }
}

entity_kind!(TimerNumber, "number");

impl OneValue for TimerNumber {
    /// The timer in minutes; unknown when LG reports neither member, or a value past the
    /// maximum, which Home Assistant would refuse.
    fn value(&self, state: &Value) -> Value {
        let Some(minutes) = self.parts.seconds(state).map(|s| s / 60.0) else {
            return Value::Null;
        };
        let (min, max, _) = self.range();
        if minutes < min || minutes > max {
            return Value::Null;
        }
        common::json_number(minutes)
    }

    fn readable(&self) -> bool {
        self.parts.members().any(|p| p.readable)
    }

    fn unit(&self) -> Option<&str> {
        Some("min")
    }

    fn component(&self, c: &mut Component<'_>) {
        c.value_control(FEATURE, self.readable());
        let (min, max, step) = self.range();
        c.insert("min", common::json_number(min));
        c.insert("max", common::json_number(max));
        c.insert("step", common::json_number(step));
        c.insert_some("unit_of_meas", self.unit());
        c.insert("dev_cla", json!("duration"));
        c.insert("mode", json!("box"));
    }

    /// Minutes → hour and minute, both in one body. A remainder of minutes LG does not let us
    /// write is refused rather than rounded: the timer would run for another time than asked.
    /// LG's SDK leaves a minute of 0 out of a relative stop timer; so does this.
    fn command(&self, feature: &str, payload: &str, _state: &Value) -> Commands {
        self.base.expect_feature(feature, FEATURE)?;
        let value = common::parse_number(&self.base.key, payload)?;
        let total = value.round();
        let (hours, minutes) = ((total / 60.0).floor(), total.rem_euclid(60.0));
        let mut writes = Vec::new();
        match (
            Self::writable(&self.parts.hour),
            Self::writable(&self.parts.minute),
        ) {
            (Some(hour), minute) => {
                writes.push(common::write_to(hour, common::json_number(hours)));
                match minute {
                    Some(m) if minutes != 0.0 || !m.path.attribute.contains("ToStop") => {
                        writes.push(common::write_to(m, common::json_number(minutes)));
                    }
                    Some(_) => {}
                    None if minutes != 0.0 => {
                        let key = self
                            .parts
                            .minute
                            .as_ref()
                            .map_or_else(|| self.base.key.clone(), |m| m.path.key());
                        return Err(CommandError::NotWritable(key));
                    }
                    None => {}
                }
            }
            (None, Some(minute)) => {
                writes.push(common::write_to(minute, common::json_number(total)));
            }
            (None, None) => return Err(self.base.unknown_feature(feature)),
        }
        Ok(writes)
    }
}

/// When the running cycle finishes: now + the remaining time, as an ISO 8601 timestamp.
///
/// Home Assistant shows it as "in 42 minutes" / a clock time and automations can trigger on
/// it. The moment is kept while it moves by a minute or less: LG counts the remaining time in
/// whole minutes, so every report would otherwise shift it back and forth by one. Cleared
/// (unknown) when nothing runs: no remaining time, or a run state the catalog lists as idle
/// (a washer that is off still reports the last cycle's 45 minutes).
#[derive(Debug)]
pub struct FinishesAtSensor {
    pub base: EntityBase,
    /// The remaining time.
    pub remaining: DurationParts,
    pub run_state: Option<Property>,
    /// Run states in which nothing counts down (LG's values).
    pub idle_states: Vec<String>,
    /// The moment last published (Unix seconds).
    last: Mutex<Option<i64>>,
}

/// How far the moment may move before it is published again, in seconds.
const STEADY: i64 = 90;

impl FinishesAtSensor {
    pub fn new(
        base: EntityBase,
        remaining: DurationParts,
        run_state: Option<Property>,
        idle_states: Vec<String>,
    ) -> FinishesAtSensor {
        FinishesAtSensor {
            base,
            remaining,
            run_state,
            idle_states,
            last: Mutex::new(None),
        }
    }

    /// The remaining seconds while running, else `None`.
    pub fn remaining_seconds(&self, state: &Value) -> Option<i64> {
        if let Some(run) = self.run_state.as_ref()
            && let Some(run) = common::read_text(run, state)
            && self
                .idle_states
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&run))
        {
            return None;
        }
        let seconds = self.remaining.seconds(state)?.clamp(0.0, 7.0 * 86_400.0) as i64;
        (seconds > 0).then_some(seconds)
    }

    /// The moment published for `state` at `now` (Unix seconds), keeping the last one while
    /// the new one is within [`STEADY`] of it.
    pub fn finishes_at(&self, state: &Value, now: i64) -> Option<i64> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let moment = self.remaining_seconds(state).map(|r| {
            let exact = now + r;
            match *last {
                Some(previous) if (previous - exact).abs() <= STEADY => previous,
                _ => exact - exact.rem_euclid(60),
            }
        });
        *last = moment;
        moment
    }
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// `2026-12-03T13:05:00Z`, what Home Assistant's timestamp sensors take.
pub fn rfc3339(unix: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

entity_kind!(FinishesAtSensor, "sensor");

impl OneValue for FinishesAtSensor {
    fn value(&self, state: &Value) -> Value {
        self.finishes_at(state, unix_now())
            .and_then(rfc3339)
            .map_or(Value::Null, Value::String)
    }

    fn component(&self, c: &mut Component<'_>) {
        c.value_state();
        c.insert("dev_cla", json!("timestamp"));
    }
}

/// A time of day LG keeps as hour and minute attributes (`timer.absoluteHourToStart` +
/// `absoluteMinuteToStart`, "start at 07:30"): one `text` entity reading and taking `HH:MM`.
///
/// Home Assistant's `time` entity would be the natural form, but its MQTT platform is newer
/// than the Home Assistant this add-on supports; a text with a pattern lets the user type the
/// time and automations set it, and a command writes hour and minute in one body.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockTimeText {
    pub base: EntityBase,
    pub hour: Property,
    pub minute: Property,
}

/// `H:MM` or `HH:MM`, 00:00 to 23:59, or nothing (not set).
pub const CLOCK_PATTERN: &str = "^(([01]?[0-9]|2[0-3]):[0-5][0-9])?$";

/// `HH:MM` of an hour and a minute attribute, or `None` when LG reports no valid hour.
fn clock_time(hour: &Property, minute: &Property, state: &Value) -> Option<String> {
    let read = |p: &Property| common::read_number(p, state);
    match (read(hour), read(minute)) {
        (Some(h), m) if (0.0..24.0).contains(&h) => {
            let m = m.unwrap_or(0.0).clamp(0.0, 59.0);
            Some(format!("{:02}:{:02}", h as u32, m as u32))
        }
        _ => None,
    }
}

entity_kind!(ClockTimeText, "text");

impl OneValue for ClockTimeText {
    const TOPIC: &'static str = CLOCK_TOPIC;

    /// `HH:MM`, or empty when LG reports no time: Home Assistant checks a text's state against
    /// the pattern and would log an error for anything else (`None` included).
    fn value(&self, state: &Value) -> Value {
        json!(clock_time(&self.hour, &self.minute, state).unwrap_or_default())
    }

    fn readable(&self) -> bool {
        self.hour.readable || self.minute.readable
    }

    fn component(&self, c: &mut Component<'_>) {
        c.command("cmd_t", FEATURE);
        if self.readable() {
            c.state("stat_t", CLOCK_TOPIC);
        }
        c.insert("min", json!(0));
        c.insert("max", json!(5));
        c.insert("pattern", json!(CLOCK_PATTERN));
    }

    fn command(&self, feature: &str, payload: &str, _state: &Value) -> Commands {
        self.base.expect_feature(feature, FEATURE)?;
        let wrong = || CommandError::WrongType {
            property: self.base.key.clone(),
            expected: "a time as HH:MM",
            got: payload.trim().to_owned(),
        };
        let (h, m) = payload.trim().split_once(':').ok_or_else(wrong)?;
        let (h, m): (u32, u32) = (
            h.trim().parse().map_err(|_| wrong())?,
            m.trim().parse().map_err(|_| wrong())?,
        );
        if h > 23 || m > 59 {
            return Err(wrong());
        }
        Ok(vec![
            common::write_to(&self.hour, json!(h)),
            common::write_to(&self.minute, json!(m)),
        ])
    }
}

/// A time of day LG only reports (a robot cleaner's scheduled start): one `sensor` reading
/// `HH:MM`, instead of an hour sensor and a minute sensor a user has to put together.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockTimeSensor {
    pub base: EntityBase,
    pub hour: Property,
    pub minute: Property,
}

entity_kind!(ClockTimeSensor, "sensor");

impl OneValue for ClockTimeSensor {
    const TOPIC: &'static str = CLOCK_TOPIC;

    /// `HH:MM`, or no value (Home Assistant shows "unknown") when no time is set.
    fn value(&self, state: &Value) -> Value {
        clock_time(&self.hour, &self.minute, state).map_or(Value::Null, Value::String)
    }

    fn component(&self, c: &mut Component<'_>) {
        c.state("stat_t", CLOCK_TOPIC);
    }
}
