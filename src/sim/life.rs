//! The demo's live behaviour: appliances that change on their own, so that a Home Assistant
//! watching the demo sees pushes arrive without anyone touching anything.
//!
//! Each step is a pure function from the current state to the report the appliance sends,
//! so it can be tested without a clock.

use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use super::SimHandle;
use super::control::{convert, number_value};
use super::devices::{AIR_CONDITIONER_ID, REFRIGERATOR_ID, WASHER_ID};

/// Ticks the washer stays off before it starts again.
const WASHER_IDLE_TICKS: u32 = 3;
/// Ticks the washer shows END before switching off.
const WASHER_END_TICKS: u32 = 2;
/// Minutes of the programme that pass per tick.
const WASHER_MINUTES_PER_TICK: i64 = 5;
/// Programme length when the state gives none.
const WASHER_DEFAULT_MINUTES: i64 = 50;
/// The refrigerator door opens every this many ticks (and closes on the next).
const DOOR_PERIOD: u64 = 4;

/// Runs until `cancel` fires.
pub async fn run(handle: SimHandle, tick: Duration, cancel: CancellationToken) {
    let mut interval = tokio::time::interval(tick.max(Duration::from_millis(1)));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await; // the first tick is immediate
    let mut washer = WasherCycle::default();
    let mut ticks: u64 = 0;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = interval.tick() => {}
        }
        ticks += 1;
        if let Some(state) = online_state(&handle, AIR_CONDITIONER_ID)
            && let Some(report) = drift_toward_target(&state)
        {
            handle.report(AIR_CONDITIONER_ID, report).await;
        }
        if let Some(state) = online_state(&handle, WASHER_ID) {
            let (report, push) = washer.step(&state);
            if let Some(report) = report {
                handle.report(WASHER_ID, report).await;
            }
            if let Some(push) = push {
                handle.notify(WASHER_ID, push).await;
            }
        }
        if let Some(state) = online_state(&handle, REFRIGERATOR_ID)
            && let Some(report) = door_step(&state, ticks)
        {
            handle.report(REFRIGERATOR_ID, report).await;
        }
    }
}

fn online_state(handle: &SimHandle, id: &str) -> Option<Value> {
    if !handle.shared.with_cloud(|c| c.is_online(id)) {
        return None;
    }
    handle.device_state(id)
}

/// The air conditioner, when on, moves its room temperature one degree toward the target;
/// the report carries the Celsius and Fahrenheit entries and the older `temperature` view.
pub fn drift_toward_target(state: &Value) -> Option<Value> {
    if state
        .pointer("/operation/airConOperationMode")
        .and_then(Value::as_str)
        != Some("POWER_ON")
    {
        return None;
    }
    let entries = state.get("temperatureInUnits")?.as_array()?;
    let celsius = entries
        .iter()
        .find(|e| e.get("unit").and_then(Value::as_str) == Some("C"))?;
    let current = celsius.get("currentTemperature")?.as_f64()?;
    let target = celsius.get("targetTemperature")?.as_f64()?;
    let next = step_toward(current, target, 1.0);
    if next == current {
        return None;
    }
    let per_unit: Vec<Value> = entries
        .iter()
        .filter_map(|e| e.get("unit").and_then(Value::as_str))
        .map(|unit| json!({"currentTemperature": number_value(convert(next, "C", unit)), "unit": unit}))
        .collect();
    let mut report = Map::new();
    report.insert("temperatureInUnits".into(), Value::Array(per_unit));
    if let Some(legacy) = state.get("temperature").filter(|t| t.is_object()) {
        let unit = legacy.get("unit").and_then(Value::as_str).unwrap_or("C");
        report.insert(
            "temperature".into(),
            json!({"currentTemperature": number_value(convert(next, "C", unit))}),
        );
    }
    Some(Value::Object(report))
}

/// What an air conditioner reports when its room temperature becomes `celsius` (a test or a
/// benchmark saying when, rather than [`drift_toward_target`]): the value in both units of
/// `temperatureInUnits` (°F rounded, as LG does) and in the older `temperature` resource, which
/// the fixture air conditioner keeps in °C. One value changed, three places in LG's report.
pub fn room_temperature_report(celsius: i64) -> Value {
    let fahrenheit = (celsius as f64 * 9.0 / 5.0 + 32.0).round() as i64;
    json!({
        "temperatureInUnits": [
            {"currentTemperature": celsius, "unit": "C"},
            {"currentTemperature": fahrenheit, "unit": "F"}
        ],
        "temperature": {"currentTemperature": celsius}
    })
}

fn step_toward(current: f64, target: f64, step: f64) -> f64 {
    if (target - current).abs() <= step {
        target
    } else if target > current {
        current + step
    } else {
        current - step
    }
}

/// Where the washer is between cycles.
#[derive(Debug, Default)]
pub struct WasherCycle {
    waiting: u32,
}

impl WasherCycle {
    /// One tick of the washer: off → INITIAL → DETECTING → RUNNING → RINSING → SPINNING →
    /// END (with `WASHING_IS_COMPLETE`) → off, the remaining time counting down meanwhile.
    /// A paused or failed washer stays as it is.
    pub fn step(&mut self, state: &Value) -> (Option<Value>, Option<&'static str>) {
        let entry = match state {
            Value::Array(entries) => entries.first().unwrap_or(&Value::Null),
            other => other,
        };
        let current = entry
            .pointer("/runState/currentState")
            .and_then(Value::as_str)
            .unwrap_or("POWER_OFF");
        let timer = entry.get("timer");
        let minutes = |hour: &str, minute: &str| {
            let h = timer
                .and_then(|t| t.get(hour))
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let m = timer
                .and_then(|t| t.get(minute))
                .and_then(Value::as_i64)
                .unwrap_or(0);
            h * 60 + m
        };
        let total = Some(minutes("totalHour", "totalMinute"))
            .filter(|t| *t > 0)
            .unwrap_or(WASHER_DEFAULT_MINUTES);
        let remain = minutes("remainHour", "remainMinute");

        let mut push = None;
        let (next, next_remain) = match current {
            "POWER_OFF" => {
                self.waiting += 1;
                if self.waiting < WASHER_IDLE_TICKS {
                    return (None, None);
                }
                self.waiting = 0;
                ("INITIAL", total)
            }
            "INITIAL" => ("DETECTING", total),
            "DETECTING" => ("RUNNING", total),
            "RUNNING" | "RINSING" | "SPINNING" => {
                let left = (remain - WASHER_MINUTES_PER_TICK).max(0);
                let phase = if left == 0 {
                    push = Some("WASHING_IS_COMPLETE");
                    "END"
                } else if left * 100 > total * 40 {
                    "RUNNING"
                } else if left * 100 > total * 15 {
                    "RINSING"
                } else {
                    "SPINNING"
                };
                (phase, left)
            }
            "END" => {
                self.waiting += 1;
                if self.waiting < WASHER_END_TICKS {
                    return (None, None);
                }
                self.waiting = 0;
                ("POWER_OFF", 0)
            }
            _ => return (None, None),
        };
        let mut changes = Map::new();
        changes.insert("runState".into(), json!({"currentState": next}));
        changes.insert(
            "timer".into(),
            json!({"remainHour": next_remain / 60, "remainMinute": next_remain % 60}),
        );
        if let Some(location) = entry.get("location") {
            changes.insert("location".into(), location.clone());
        }
        let report = match state {
            Value::Array(_) => Value::Array(vec![Value::Object(changes)]),
            _ => Value::Object(changes),
        };
        (Some(report), push)
    }
}

/// The refrigerator door: open every few ticks, shut again on the next.
pub fn door_step(state: &Value, tick: u64) -> Option<Value> {
    let doors = state.get("doorStatus")?.as_array()?;
    let door = doors.first()?;
    let location = door
        .get("locationName")
        .and_then(Value::as_str)
        .unwrap_or("MAIN");
    let open = door.get("doorState").and_then(Value::as_str) == Some("OPEN");
    let next = if open {
        "CLOSE"
    } else if tick.is_multiple_of(DOOR_PERIOD) {
        "OPEN"
    } else {
        return None;
    };
    Some(json!({"doorStatus": [{"locationName": location, "doorState": next}]}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::devices::SimDevice;
    use crate::sim::state::merge;

    fn state_of(id: &str) -> Value {
        SimDevice::fixture_set()
            .into_iter()
            .find(|d| d.id() == id)
            .map(|d| d.state)
            .expect("fixture")
    }

    #[test]
    fn the_room_cools_down_to_the_target_and_stays() {
        let mut state = state_of(AIR_CONDITIONER_ID);
        let first = drift_toward_target(&state).expect("drift");
        assert_eq!(
            first,
            json!({
                "temperatureInUnits": [
                    {"currentTemperature": 24, "unit": "C"},
                    {"currentTemperature": 75, "unit": "F"}
                ],
                "temperature": {"currentTemperature": 24}
            })
        );
        let mut steps = 0;
        while let Some(report) = drift_toward_target(&state) {
            merge(&mut state, &report);
            steps += 1;
            assert!(steps < 100);
        }
        assert_eq!(steps, 6);
        assert_eq!(state["temperatureInUnits"][0]["currentTemperature"], 19);
        assert_eq!(state["temperature"]["currentTemperature"], 19);
    }

    #[test]
    fn the_washer_runs_a_whole_cycle_and_says_so() {
        let mut state = state_of(WASHER_ID);
        let mut washer = WasherCycle::default();
        let mut seen = Vec::new();
        let mut pushes = Vec::new();
        for _ in 0..40 {
            let (report, push) = washer.step(&state);
            if let Some(report) = report {
                merge(&mut state, &report);
                seen.push(
                    state["runState"]["currentState"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned(),
                );
            }
            pushes.extend(push);
        }
        for phase in [
            "INITIAL",
            "DETECTING",
            "RUNNING",
            "RINSING",
            "SPINNING",
            "END",
            "POWER_OFF",
        ] {
            assert!(
                seen.iter().any(|s| s == phase),
                "{phase} missing from {seen:?}"
            );
        }
        assert!(pushes.contains(&"WASHING_IS_COMPLETE"));
        assert_eq!(state["location"]["locationName"], "MAIN");
    }

    #[test]
    fn the_fridge_door_opens_and_closes() {
        let mut state = state_of(REFRIGERATOR_ID);
        assert_eq!(door_step(&state, 1), None);
        let open = door_step(&state, 4).expect("opens");
        merge(&mut state, &open);
        assert_eq!(state["doorStatus"][0]["doorState"], "OPEN");
        let close = door_step(&state, 5).expect("closes");
        merge(&mut state, &close);
        assert_eq!(state["doorStatus"][0]["doorState"], "CLOSE");
    }
}
