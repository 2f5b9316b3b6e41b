//! Appliance energy for Home Assistant's Energy dashboard, as a sans-IO tracker.
//!
//! The bridge loop owns an [`EnergyTracker`] and never awaits the network for it: it asks
//! [`EnergyTracker::plan`] which calls are due, runs them within the process's one REST call
//! budget, and hands each answer back ([`EnergyTracker::on_profile`],
//! [`EnergyTracker::on_usage`], or both through [`EnergyTracker::on_answer`]), publishing the
//! [`EnergyUpdate`]s that come out (`hass::energy::update_messages`). The tracker's only I/O
//! is the state file, `energy.json` in the data dir, read by [`EnergyTracker::load`] and
//! written atomically by [`EnergyTracker::save`]; the REST calls are made outside it, by
//! [`call::run`] in the bridge's REST worker. Time is always passed in, so tests drive
//! midnights, restarts and hours at will.
//!
//! Why the rules are what they are (issue 11; `thinq-api.md` §6.1, §9):
//!
//! * LG throttles per hour without saying how much, so a device gets **at most one usage
//!   read per clock hour**, none in the first [`READ_MINUTE`] minutes of an hour (LG needs a
//!   moment to have the last hour), and one every [`TIGHT_HOURS`] hours while the budget is
//!   tight. A device with several properties (WashTower) reads one property per hour, in
//!   turn. "Refresh energy" makes every device due again, at most once per [`REFRESH_GAP`].
//! * A device whose energy profile is empty, 406, 1220, 1221 or 1307 is never asked again
//!   in that run; the bridge remembers every profile answer for a week (`known-devices.json`)
//!   and hands it to the next start ([`EnergyTracker::on_profile`]), which costs no call.
//! * 1309/1305 on an energy call means the token may not read energy: every energy call stops
//!   for the run and the user is told once ([`EnergyUpdate::ScopeMissing`]).
//! * Other failures (timeouts, rate limits, 5xx) are retried at the next due hour: the read
//!   was already counted for its hour when it was planned, so a failure never adds calls.
//! * LG's dates are the user's local dates: the tracker works in the UTC offset it is given.

pub mod call;
mod meter;
mod store;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use time::{Date, OffsetDateTime, UtcOffset};

use crate::thinq::energy_api::{Period, UsageRow};
use crate::thinq::error::ApiError;

pub use call::EnergyAnswer;
pub use meter::{Meter, Need};

/// The state file in the data dir.
pub const STATE_FILE: &str = "energy.json";
/// Scheduled reads wait this many minutes into the hour, so the hour just ended is in.
pub const READ_MINUTE: u8 = 10;
/// While the call budget is tight, a device is read once in this many hours.
pub const TIGHT_HOURS: i64 = 3;
/// "Refresh energy" reads a device again only if its last read is at least this old.
pub const REFRESH_GAP: Duration = Duration::from_secs(15 * 60);
/// How long before an energy profile that failed for a passing reason is asked again.
pub const PROFILE_RETRY: Duration = Duration::from_secs(3600);

/// What the user is told once when the token may not read energy.
pub const SCOPE_MISSING_TEXT: &str = "The LG token (PAT) may not read energy data (ThinQ error 1309). \
     Create a new token at https://connect-pat.lgthinq.com with every permission ticked.";

/// A call the tracker wants made.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EnergyRead {
    /// `ThinqApi::energy_profile(device_id)`; the answer goes to [`EnergyTracker::on_profile`].
    Profile { device_id: String },
    /// A usage read; the answer goes to [`EnergyTracker::on_usage`].
    Usage(UsageRead),
}

/// One usage call: `ThinqApi::energy_usage(&device_id, &property, period, start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UsageRead {
    pub device_id: String,
    pub property: String,
    pub period: Period,
    pub start: Date,
    pub end: Date,
    /// Why it is read (and how the answer is folded in).
    pub need: Need,
}

/// One property's figures, ready for Home Assistant.
#[derive(Debug, Clone, PartialEq)]
pub struct EnergyValues {
    pub device_id: String,
    /// LG's property name (`energyUsage`, `energyUsage_dryer`, …).
    pub property: String,
    /// The running total; never lower than any value published before.
    pub total_kwh: f64,
    /// Today so far (local day), from midnight.
    pub today_kwh: f64,
    /// This month so far, from the 1st.
    pub month_kwh: f64,
}

/// What the bridge does after an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum EnergyUpdate {
    /// The device has these energy properties: publish its energy entities.
    Supported {
        device_id: String,
        properties: Vec<String>,
    },
    /// The device has no energy data: publish no energy entity for it (remove any).
    Unsupported { device_id: String },
    /// New figures to publish.
    Values(EnergyValues),
    /// The token may not read energy: log [`SCOPE_MISSING_TEXT`] once, show it on the bridge
    /// device. Sent once per run.
    ScopeMissing,
}

#[derive(Debug, Clone, PartialEq)]
enum Support {
    /// Not known yet; the last profile attempt, if any.
    Unknown {
        tried: Option<OffsetDateTime>,
    },
    Supported(Vec<String>),
    NoEnergy,
}

/// One appliance.
#[derive(Debug)]
struct Device {
    /// On the account in this run ([`EnergyTracker::set_devices`]).
    present: bool,
    support: Support,
    /// Kept in the state file.
    meters: BTreeMap<String, Meter>,
    /// When a usage read was last planned (kept in the state file).
    last_read: Option<OffsetDateTime>,
    /// When each property was last planned, to take them in turn.
    property_reads: BTreeMap<String, OffsetDateTime>,
}

impl Device {
    fn new() -> Device {
        Device {
            present: false,
            support: Support::Unknown { tried: None },
            meters: BTreeMap::new(),
            last_read: None,
            property_reads: BTreeMap::new(),
        }
    }
}

/// Energy state of every appliance; see the module documentation.
#[derive(Debug)]
pub struct EnergyTracker {
    dir: PathBuf,
    offset: UtcOffset,
    devices: BTreeMap<String, Device>,
    scope_missing: bool,
    refresh_requested: bool,
    /// At most one refresh read per device this often ([`REFRESH_GAP`] unless set).
    refresh_gap: Duration,
    dirty: bool,
}

impl EnergyTracker {
    /// Loads `energy.json` from `data_dir` (missing: a fresh start; unreadable: set aside as
    /// `energy.json.bad` and a fresh start, so a damaged file never stops the add-on).
    /// `offset` is the user's local UTC offset: LG counts in local days.
    pub fn load(data_dir: &Path, offset: UtcOffset) -> EnergyTracker {
        let mut tracker = EnergyTracker {
            dir: data_dir.to_owned(),
            offset,
            devices: BTreeMap::new(),
            scope_missing: false,
            refresh_requested: false,
            refresh_gap: REFRESH_GAP,
            dirty: false,
        };
        for (id, saved) in store::load(data_dir) {
            let mut device = Device::new();
            device.meters = saved.meters;
            device.last_read = saved.last_read;
            tracker.devices.insert(id, device);
        }
        tracker
    }

    /// Writes `energy.json` when something changed since the last save (atomically, 0644).
    pub fn save(&mut self) -> std::io::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let saved = self
            .devices
            .iter()
            .filter(|(_, d)| !d.meters.is_empty())
            .map(|(id, d)| {
                (
                    id.clone(),
                    store::SavedDevice {
                        meters: d.meters.clone(),
                        last_read: d.last_read,
                    },
                )
            })
            .collect();
        store::save(&self.dir, &saved)?;
        self.dirty = false;
        Ok(())
    }

    /// The user's local offset changed (daylight saving time).
    pub fn set_utc_offset(&mut self, offset: UtcOffset) {
        self.offset = offset;
    }

    /// The appliances on the account now. New ones get their energy profile asked; ones no
    /// longer listed are no longer read (their meters stay in the file).
    pub fn set_devices<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) {
        for device in self.devices.values_mut() {
            device.present = false;
        }
        for id in ids {
            self.devices
                .entry(id.to_owned())
                .or_insert_with(Device::new)
                .present = true;
        }
    }

    /// "Refresh energy" was pressed: every supported device is due at the next
    /// [`plan`](Self::plan), unless it was read in the last [`REFRESH_GAP`].
    pub fn set_refresh_gap(&mut self, gap: Duration) {
        self.refresh_gap = gap;
    }

    pub fn request_refresh(&mut self) {
        self.refresh_requested = true;
    }

    /// Whether the token was found to lack the energy permission (for the bridge device).
    pub fn scope_missing(&self) -> bool {
        self.scope_missing
    }

    /// The calls due at `now`. Each planned usage read counts for its hour at once, so
    /// calling `plan` again before the answers come back plans nothing twice. With
    /// `budget_tight`, a device is read only once in [`TIGHT_HOURS`] (a refresh the user asked
    /// for is still made).
    pub fn plan(&mut self, now: OffsetDateTime, budget_tight: bool) -> Vec<EnergyRead> {
        if self.scope_missing {
            return Vec::new();
        }
        let now = now.to_offset(self.offset);
        // The user asked: a refresh is made even when the budget is tight (it still goes
        // through the budget's queue, behind everything more urgent).
        let refresh = std::mem::take(&mut self.refresh_requested);
        let refresh_gap = self.refresh_gap;
        let mut reads = Vec::new();
        for (id, device) in self.devices.iter_mut().filter(|(_, d)| d.present) {
            match &device.support {
                Support::Unknown { tried } => {
                    if tried.is_none_or(|t| now - t >= PROFILE_RETRY) {
                        device.support = Support::Unknown { tried: Some(now) };
                        reads.push(EnergyRead::Profile {
                            device_id: id.clone(),
                        });
                    }
                }
                Support::NoEnergy => {}
                Support::Supported(properties) => {
                    if !usage_due(device.last_read, now, budget_tight, refresh, refresh_gap) {
                        continue;
                    }
                    let properties = properties.clone();
                    if let Some(read) = next_read(id, device, &properties, now, refresh) {
                        device.last_read = Some(now);
                        device.property_reads.insert(read.property.clone(), now);
                        self.dirty = true;
                        reads.push(EnergyRead::Usage(read));
                    }
                }
            }
        }
        reads
    }

    /// The answer to an [`EnergyRead::Profile`].
    pub fn on_profile(
        &mut self,
        now: OffsetDateTime,
        device_id: &str,
        result: Result<Vec<String>, ApiError>,
    ) -> Vec<EnergyUpdate> {
        let today = now.to_offset(self.offset).date();
        match result {
            Ok(properties) if !properties.is_empty() => {
                let device = self
                    .devices
                    .entry(device_id.to_owned())
                    .or_insert_with(Device::new);
                for property in &properties {
                    if !device.meters.contains_key(property) {
                        device.meters.insert(property.clone(), Meter::new(today));
                        self.dirty = true;
                    }
                }
                device.support = Support::Supported(properties.clone());
                // After a restart, the kept figures are shown at once, not an hour later.
                let kept = properties.iter().filter_map(|p| {
                    let meter = device.meters.get(p).filter(|m| m.has_readings())?;
                    Some(EnergyUpdate::Values(values_of(device_id, p, meter, today)))
                });
                let mut updates: Vec<EnergyUpdate> = kept.collect();
                updates.insert(
                    0,
                    EnergyUpdate::Supported {
                        device_id: device_id.to_owned(),
                        properties,
                    },
                );
                updates
            }
            Ok(_) => self.no_energy(device_id),
            Err(err) => self.on_error(device_id, &err),
        }
    }

    /// The answer to an [`EnergyRead::Usage`]: the property's new figures, when it had any.
    pub fn on_usage(
        &mut self,
        now: OffsetDateTime,
        read: &UsageRead,
        result: Result<Vec<UsageRow>, ApiError>,
    ) -> Vec<EnergyUpdate> {
        let rows = match result {
            Ok(rows) => rows,
            Err(err) => return self.on_error(&read.device_id, &err),
        };
        let today = now.to_offset(self.offset).date();
        let Some(meter) = self
            .devices
            .get_mut(&read.device_id)
            .and_then(|d| d.meters.get_mut(&read.property))
        else {
            return Vec::new();
        };
        meter.apply(read.need, &rows);
        self.dirty = true;
        let values = values_of(&read.device_id, &read.property, meter, today);
        vec![EnergyUpdate::Values(values)]
    }

    /// The energy properties remembered for a device (its meters, kept in the state file):
    /// what was shown for it, also in an earlier run.
    pub fn remembered_properties(&self, device_id: &str) -> Vec<String> {
        self.devices
            .get(device_id)
            .map(|d| d.meters.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Every supported property's figures at `now`: for republishing after Home Assistant
    /// restarts, and at midnight when "today" starts again from zero.
    pub fn values(&self, now: OffsetDateTime) -> Vec<EnergyValues> {
        let today = now.to_offset(self.offset).date();
        self.devices
            .iter()
            .filter_map(|(id, d)| match &d.support {
                Support::Supported(properties) => Some((id, d, properties)),
                _ => None,
            })
            .flat_map(|(id, d, properties)| {
                properties.iter().filter_map(move |p| {
                    d.meters.get(p).map(|meter| values_of(id, p, meter, today))
                })
            })
            .collect()
    }

    fn no_energy(&mut self, device_id: &str) -> Vec<EnergyUpdate> {
        let device = self
            .devices
            .entry(device_id.to_owned())
            .or_insert_with(Device::new);
        let was = std::mem::replace(&mut device.support, Support::NoEnergy);
        if was == Support::NoEnergy {
            return Vec::new();
        }
        vec![EnergyUpdate::Unsupported {
            device_id: device_id.to_owned(),
        }]
    }

    fn on_error(&mut self, device_id: &str, err: &ApiError) -> Vec<EnergyUpdate> {
        if err.is_no_energy() {
            return self.no_energy(device_id);
        }
        if err.is_permission_denied() && !self.scope_missing {
            self.scope_missing = true;
            return vec![EnergyUpdate::ScopeMissing];
        }
        // Anything else passes: the next due hour asks again.
        Vec::new()
    }
}

/// Whether a device's usage read is due: once per clock hour after [`READ_MINUTE`] (the
/// first read of a run at once), every [`TIGHT_HOURS`] when tight, or after a refresh.
fn usage_due(
    last: Option<OffsetDateTime>,
    now: OffsetDateTime,
    budget_tight: bool,
    refresh: bool,
    refresh_gap: Duration,
) -> bool {
    let Some(last) = last else {
        return true;
    };
    let last = last.to_offset(now.offset());
    if refresh && now - last >= refresh_gap {
        return true;
    }
    let hours_between = hour_index(now) - hour_index(last);
    let wanted = if budget_tight { TIGHT_HOURS } else { 1 };
    hours_between >= wanted && now.minute() >= READ_MINUTE
}

/// Whole hours since the epoch, in local time: the "clock hour" a read belongs to.
fn hour_index(t: OffsetDateTime) -> i64 {
    i64::from(t.date().to_julian_day()) * 24 + i64::from(t.hour())
}

/// The one read for a device now: the most urgent need of any property, then the property
/// read longest ago. A refresh is for today's figures, so it skips the month's seed.
fn next_read(
    id: &str,
    device: &Device,
    properties: &[String],
    now: OffsetDateTime,
    refresh: bool,
) -> Option<UsageRead> {
    properties
        .iter()
        .filter_map(|p| {
            let meter = device.meters.get(p)?;
            let need = meter
                .needs(now.date(), now.hour())
                .into_iter()
                .find(|n| !(refresh && matches!(n, Need::Seed { .. })))?;
            let last = device.property_reads.get(p).copied();
            Some((need_rank(&need), last, p, need))
        })
        .min_by_key(|(rank, last, _, _)| (*rank, *last))
        .map(|(_, _, property, need)| {
            let (start, end) = match need {
                Need::Close { from, to } | Need::Seed { from, to } => (from, to),
                Need::Today(day) => (day, day),
            };
            UsageRead {
                device_id: id.to_owned(),
                property: property.clone(),
                period: Period::Daily,
                start,
                end,
                need,
            }
        })
}

fn need_rank(need: &Need) -> u8 {
    match need {
        Need::Close { .. } => 0,
        Need::Seed { .. } => 1,
        Need::Today(_) => 2,
    }
}

fn values_of(device_id: &str, property: &str, meter: &Meter, today: Date) -> EnergyValues {
    EnergyValues {
        device_id: device_id.to_owned(),
        property: property.to_owned(),
        total_kwh: kwh(meter.total_wh()),
        today_kwh: kwh(meter.day_wh(today)),
        month_kwh: kwh(meter.month_wh(today)),
    }
}

/// Wh to kWh, to the Wh (LG's precision).
fn kwh(wh: f64) -> f64 {
    (wh.max(0.0)).round() / 1000.0
}
