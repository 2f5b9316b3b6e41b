//! Event subscriptions (`/event`) with the lifetime LG gives them, and the simulator's clock
//! that decides when they lapse.
//!
//! LG's OpenAPI description of `POST /event/{deviceId}/subscribe` (thinq-api.md §9) takes
//! `expire: {unit: HOUR, timer}` with **min 1, max 24, default 1**, and switches the
//! subscription off when it runs out: from then on no `DEVICE_STATUS` pushes go out for
//! that device and `GET /event` no longer lists it, until the client subscribes again. A
//! bridge that asks once for 4464 hours (what the official SDK sends) goes deaf within a day,
//! and that is what this module reproduces.
//!
//! Time is [`SimClock`]: tokio's clock plus an offset a test can move forward. Under
//! `tokio::time::pause()` the simulator follows tokio's paused clock (so `advance` moves it);
//! [`SimClock::advance`] works without pausing anything, which suits tests that also do real
//! network I/O (a paused clock auto-advances to the next timer whenever the runtime idles,
//! which makes every I/O timeout fire at once).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::envelope::{ApiError, code};

/// Shortest subscription LG accepts, in hours (`timer` minimum).
pub const MIN_EVENT_HOURS: u64 = 1;
/// Longest subscription LG grants, in hours (`timer` maximum). A longer `timer` — the SDK's
/// 4464 — is **granted as 24 hours**, not refused: the official SDK and Home Assistant have
/// sent 4464 for years without an error (§2.3), while LG's description caps the lifetime at
/// 24 (§9). Clamping is the only reading that fits both.
pub const MAX_EVENT_HOURS: u64 = 24;
/// The lifetime when `expire.timer` is absent.
pub const DEFAULT_EVENT_HOURS: u64 = 1;

/// The simulator's notion of "now": tokio's clock moved forward by what tests asked for.
#[derive(Debug, Default, Clone, Copy)]
pub struct SimClock {
    offset: Duration,
}

impl SimClock {
    pub fn now(&self) -> Instant {
        let now = Instant::now();
        now.checked_add(self.offset).unwrap_or(now)
    }

    /// Moves the simulator's time forward by `by` (never back).
    pub fn advance(&mut self, by: Duration) {
        self.offset = self.offset.saturating_add(by);
    }
}

/// Every client's event subscriptions: client id → device id → when it lapses.
#[derive(Debug, Default)]
pub struct EventSubscriptions {
    clock: SimClock,
    until: BTreeMap<String, BTreeMap<String, Instant>>,
}

impl EventSubscriptions {
    pub fn clock(&self) -> SimClock {
        self.clock
    }

    pub fn advance_clock(&mut self, by: Duration) {
        self.clock.advance(by);
        self.prune();
    }

    /// `POST /event/{id}/subscribe` with `{"expire":{"unit":"HOUR","timer":N}}`: subscribes,
    /// or renews for a full new lifetime. Returns the lifetime granted.
    pub fn subscribe(
        &mut self,
        client_id: &str,
        device_id: &str,
        body: &Value,
    ) -> Result<Duration, ApiError> {
        let hours = requested_hours(body)?;
        let lifetime = Duration::from_secs(hours * 3600);
        let now = self.clock.now();
        let until = now.checked_add(lifetime).unwrap_or(now);
        self.until
            .entry(client_id.to_owned())
            .or_default()
            .insert(device_id.to_owned(), until);
        Ok(lifetime)
    }

    /// `DELETE /event/{id}/unsubscribe`; a lapsed subscription is gone already (1204).
    pub fn unsubscribe(&mut self, client_id: &str, device_id: &str) -> Result<(), ApiError> {
        self.prune();
        let removed = self
            .until
            .get_mut(client_id)
            .and_then(|devices| devices.remove(device_id))
            .is_some();
        if removed {
            Ok(())
        } else {
            Err(ApiError::new(code::NOT_SUBSCRIBED_EVENT))
        }
    }

    /// `GET /event`: `[{"deviceId": …}]` for the client's live subscriptions.
    pub fn list(&self, client_id: &str) -> Value {
        let now = self.clock.now();
        Value::Array(
            self.until
                .get(client_id)
                .into_iter()
                .flatten()
                .filter(|(_, until)| **until > now)
                .map(|(id, _)| json!({"deviceId": id}))
                .collect(),
        )
    }

    /// The clients with a live subscription for `device_id`.
    pub fn subscribers(&self, device_id: &str) -> Vec<String> {
        let now = self.clock.now();
        self.until
            .iter()
            .filter(|(_, devices)| devices.get(device_id).is_some_and(|until| *until > now))
            .map(|(client, _)| client.clone())
            .collect()
    }

    /// How long a client's subscription for a device has left (`None`: none, or lapsed).
    pub fn remaining(&self, client_id: &str, device_id: &str) -> Option<Duration> {
        let until = *self.until.get(client_id)?.get(device_id)?;
        let left = until.checked_duration_since(self.clock.now())?;
        (!left.is_zero()).then_some(left)
    }

    /// Lapses every subscription for `device_id` (all of them with `None`) now, as if its
    /// time had run out. Returns how many lapsed.
    pub fn lapse(&mut self, device_id: Option<&str>) -> usize {
        self.prune();
        let mut lapsed = 0;
        for devices in self.until.values_mut() {
            match device_id {
                Some(id) => lapsed += usize::from(devices.remove(id).is_some()),
                None => {
                    lapsed += devices.len();
                    devices.clear();
                }
            }
        }
        lapsed
    }

    /// Forgets a client (on `DELETE /client`).
    pub fn remove_client(&mut self, client_id: &str) {
        self.until.remove(client_id);
    }

    /// Forgets a device (removed from the account).
    pub fn remove_device(&mut self, device_id: &str) {
        for devices in self.until.values_mut() {
            devices.remove(device_id);
        }
    }

    /// Drops what has lapsed: LG switches a lapsed subscription off.
    fn prune(&mut self) {
        let now = self.clock.now();
        for devices in self.until.values_mut() {
            devices.retain(|_, until| *until > now);
        }
        self.until.retain(|_, devices| !devices.is_empty());
    }
}

/// The hours asked for: `unit` must be `HOUR`; `timer` absent → 1, 0 or not a whole number
/// → 1102, above 24 → 24 (see [`MAX_EVENT_HOURS`]).
fn requested_hours(body: &Value) -> Result<u64, ApiError> {
    let expire = body
        .get("expire")
        .filter(|e| !e.is_null())
        .ok_or_else(|| ApiError::with_message(code::MISSING_PARAMETERS, "expire is required"))?;
    match expire.get("unit") {
        None | Some(Value::Null) => {
            return Err(ApiError::with_message(
                code::MISSING_PARAMETERS,
                "expire.unit is required",
            ));
        }
        Some(unit) if unit.as_str() != Some("HOUR") => {
            return Err(unacceptable("expire.unit must be HOUR"));
        }
        Some(_) => {}
    }
    match expire.get("timer") {
        None | Some(Value::Null) => Ok(DEFAULT_EVENT_HOURS),
        Some(timer) => timer
            .as_u64()
            .filter(|h| *h >= MIN_EVENT_HOURS)
            .map(|h| h.min(MAX_EVENT_HOURS))
            .ok_or_else(|| unacceptable("expire.timer must be a whole number of hours, 1 to 24")),
    }
}

fn unacceptable(message: &str) -> ApiError {
    ApiError::with_message(code::UNACCEPTABLE_PARAMETERS, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(timer: Value) -> Value {
        json!({"expire": {"unit": "HOUR", "timer": timer}})
    }

    #[test]
    fn lifetimes_follow_lgs_bounds() {
        let mut events = EventSubscriptions::default();
        let hour = Duration::from_secs(3600);
        assert_eq!(events.subscribe("c", "d", &body(json!(24))), Ok(24 * hour));
        assert_eq!(
            events.subscribe("c", "d", &body(json!(4464))),
            Ok(24 * hour)
        );
        assert_eq!(events.subscribe("c", "d", &body(json!(3))), Ok(3 * hour));
        let no_timer = json!({"expire": {"unit": "HOUR"}});
        assert_eq!(events.subscribe("c", "d", &no_timer), Ok(hour));
        for bad in [json!(0), json!(-1), json!(1.5), json!("24")] {
            let refused = events.subscribe("c", "d", &body(bad.clone()));
            assert_eq!(refused.map_err(|e| e.code), Err("1102".into()), "{bad}");
        }
        let day = json!({"expire": {"unit": "DAY", "timer": 1}});
        assert_eq!(
            events.subscribe("c", "d", &day).map_err(|e| e.code),
            Err("1102".into())
        );
        assert_eq!(
            events.subscribe("c", "d", &json!({})).map_err(|e| e.code),
            Err("1101".into())
        );
    }

    #[test]
    fn a_subscription_lapses_when_its_time_is_up() {
        let mut events = EventSubscriptions::default();
        events
            .subscribe("c", "d", &body(json!(2)))
            .expect("subscribe");
        events
            .subscribe("c", "e", &body(json!(24)))
            .expect("subscribe");
        assert_eq!(events.subscribers("d"), vec!["c".to_owned()]);
        events.advance_clock(Duration::from_secs(2 * 3600 - 1));
        assert_eq!(events.subscribers("d"), vec!["c".to_owned()]);
        let left = events.remaining("c", "d").expect("still live");
        assert!(left <= Duration::from_secs(1), "{left:?}");
        events.advance_clock(Duration::from_secs(1));
        assert!(events.subscribers("d").is_empty());
        assert_eq!(events.list("c"), json!([{"deviceId": "e"}]));
        assert_eq!(
            events.unsubscribe("c", "d").map_err(|e| e.code),
            Err("1204".into())
        );
        // Subscribing again renews it for a full lifetime.
        events.subscribe("c", "d", &body(json!(1))).expect("renew");
        assert_eq!(events.subscribers("d"), vec!["c".to_owned()]);
        assert_eq!(events.lapse(Some("d")), 1);
        assert_eq!(events.list("c"), json!([{"deviceId": "e"}]));
        assert_eq!(events.lapse(None), 1);
        assert_eq!(events.list("c"), json!([]));
    }
}
