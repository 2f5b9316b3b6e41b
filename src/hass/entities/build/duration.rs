//! Durations: an hour/minute/second triple of one timer shown as one value.
//!
//! * Read-only (remaining, total time): one `sensor` in minutes (seconds when LG counts them).
//! * With a writable member (a delayed start): one `number` in minutes that sets hour and
//!   minute together ([`TimerNumber`]); it takes the key the writable hour had as a number of
//!   its own, so the entity users had keeps its unique id.
//! * A countdown whose catalog entry asks for it also gets a "finishes at" timestamp.
//! * A time of day (`time_of_day`, "start at 07:30") with both members writable: one `text`
//!   taking `HH:MM` ([`ClockTimeText`]), again on the writable hour's key; with both only
//!   readable, one `sensor` reading `HH:MM` ([`ClockTimeSensor`]) on the hour's key (the hour
//!   sensor it replaces keeps its unique id).

use super::scope::*;
use crate::catalog::{DurationSpec, FinishesAtSpec};
use crate::hass::entities::Entity;
use crate::hass::entities::common::{self, EntityBase};
use crate::hass::entities::sensor::DurationSensor;
use crate::hass::entities::timer::{
    ClockTimeSensor, ClockTimeText, DurationParts, FinishesAtSensor, TimerNumber,
};
use crate::thinq::profile::{Property, PropertyPath};

pub(super) fn build_durations<'a>(scope: &Scope<'a>, spec: &DurationSpec) -> Vec<Box<dyn Entity>> {
    let members =
        |name: &Option<String>| name.as_ref().map(|n| scope.find_all(n)).unwrap_or_default();
    let (hours, minutes, seconds) = (
        members(&spec.hour),
        members(&spec.minute),
        members(&spec.second),
    );
    let mut locations: Vec<Option<String>> = Vec::new();
    for p in hours.iter().chain(&minutes).chain(&seconds) {
        if !locations.contains(&p.path.location) {
            locations.push(p.path.location.clone());
        }
    }
    let mut out: Vec<Box<dyn Entity>> = Vec::new();
    for location in locations {
        let pick = |list: &Vec<&'a Property>| -> Option<&'a Property> {
            list.iter()
                .copied()
                .find(|p| p.path.location == location && (p.readable || p.writable))
        };
        let (hour, minute, second) = (pick(&hours), pick(&minutes), pick(&seconds));
        let Some(first) = hour.or(minute).or(second) else {
            continue;
        };
        let (keys, prefix) = scope.prefix(Some(&first.path));
        let name = common::prefixed_name(&prefix, &scope.labels.name(&spec.name));
        let writable = [hour, minute].into_iter().flatten().find(|p| p.writable);
        if spec.time_of_day
            && let (Some(h), Some(m)) = (hour, minute)
        {
            let writable = h.writable && m.writable;
            let read_only = h.readable && m.readable && !h.writable && !m.writable;
            if writable || read_only {
                scope.consume(h);
                scope.consume(m);
                let base = entity_base(spec, property_key(&keys, &h.path), name);
                let (hour, minute) = (h.clone(), m.clone());
                if writable {
                    out.push(Box::new(ClockTimeText { base, hour, minute }));
                } else {
                    out.push(Box::new(ClockTimeSensor { base, hour, minute }));
                }
                continue;
            }
        }
        if let Some(writable) = writable {
            for p in [hour, minute, second].into_iter().flatten() {
                scope.consume(p);
            }
            out.push(Box::new(TimerNumber {
                base: entity_base(spec, property_key(&keys, &writable.path), name),
                parts: parts(hour, minute, None),
                hour_limits: catalog_limits(scope, hour, (0.0, 24.0, 1.0)),
                minute_limits: catalog_limits(scope, minute, (0.0, 59.0, 1.0)),
            }));
            continue;
        }
        let readable = |p: Option<&'a Property>| p.filter(|p| p.readable);
        let (hour, minute, second) = (readable(hour), readable(minute), readable(second));
        if hour.or(minute).or(second).is_none() {
            continue;
        }
        for p in [hour, minute, second].into_iter().flatten() {
            scope.consume(p);
        }
        let mut key = keys.clone();
        key.push(spec.key.clone());
        let parts = parts(hour, minute, second);
        out.push(Box::new(DurationSensor {
            base: entity_base(spec, key.join("_"), name),
            parts: parts.clone(),
        }));
        if let Some(finish) = &spec.finishes_at {
            out.push(Box::new(finishes_at(
                scope, finish, &keys, &prefix, &location, parts,
            )));
        }
    }
    out
}

/// The members picked for one entity, as it keeps them.
fn parts(
    hour: Option<&Property>,
    minute: Option<&Property>,
    second: Option<&Property>,
) -> DurationParts {
    DurationParts {
        hour: hour.cloned(),
        minute: minute.cloned(),
        second: second.cloned(),
    }
}

/// The key of the entity LG's `path` had on its own (`<keys>_<resource>_<attribute>`): a timer
/// that replaces a writable hour takes it, so the entity users had keeps its unique id.
fn property_key(keys: &[String], path: &PropertyPath) -> String {
    let mut key = keys.to_vec();
    key.push(common::snake(&path.resource));
    key.push(common::snake(&path.attribute));
    key.join("_")
}

/// An entity of this catalog entry: its key and name, the entry's icon and category.
fn entity_base(spec: &DurationSpec, key: String, name: String) -> EntityBase {
    let mut base = EntityBase::new(key, Some(name));
    base.icon = spec.icon.clone();
    base.entity_category = spec.entity_category.clone();
    base
}

/// The limits the catalog gives a timer member whose profile has no range (the air
/// conditioner's `number` timers), else `default`.
fn catalog_limits(
    scope: &Scope,
    property: Option<&Property>,
    default: (f64, f64, f64),
) -> (f64, f64, f64) {
    let meta = property.and_then(|p| scope.meta(p));
    (
        meta.and_then(|m| m.min).unwrap_or(default.0),
        meta.and_then(|m| m.max).unwrap_or(default.1),
        meta.and_then(|m| m.step).unwrap_or(default.2),
    )
}

/// The "finishes at" sensor of a remaining time, at the same location; the run state is read
/// at that location too (an oven's upper and lower cavity run apart).
fn finishes_at(
    scope: &Scope,
    spec: &FinishesAtSpec,
    keys: &[String],
    prefix: &str,
    location: &Option<String>,
    remaining: DurationParts,
) -> FinishesAtSensor {
    let run_state = spec.run_state.as_ref().and_then(|name| {
        let all = scope.find_all(name);
        all.iter()
            .find(|p| p.path.location == *location)
            .or_else(|| all.first())
            .map(|p| (*p).clone())
    });
    let mut key = keys.to_vec();
    key.push(spec.key.clone());
    let name = common::prefixed_name(prefix, &scope.labels.name(&spec.name));
    let mut base = EntityBase::new(key.join("_"), Some(name));
    base.icon = spec.icon.clone();
    FinishesAtSensor::new(base, remaining, run_state, spec.idle_states.clone())
}
