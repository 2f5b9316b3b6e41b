//! The bridge's side of appliance energy: the [tracker](crate::energy) plans reads, the call
//! budget makes them at the lowest priority (fewer when the budget is tight), and what comes
//! back is published for Home Assistant's Energy dashboard.

use super::budget::Budget;
use super::calls::{Call, Priority};
use crate::energy::call::EnergyAnswer;
use crate::energy::{EnergyTracker, EnergyUpdate, SCOPE_MISSING_TEXT};
use crate::hass::session::HassPublisher;
use crate::hass::topics::CommandTopic;
use crate::hass::{DiscoveryContext, energy as hass_energy};
use crate::thinq::DeviceSummary;
use std::path::Path;
use time::{OffsetDateTime, UtcOffset};
use tracing::{error, info, warn};

pub struct EnergyLink {
    tracker: EnergyTracker,
    /// Devices whose energy discovery was published this run: only those are cleared when
    /// they turn out to have none or leave (clearing a config Home Assistant never had makes
    /// it warn).
    shown: std::collections::HashSet<String>,
    offset: UtcOffset,
    ctx: DiscoveryContext,
    publisher: HassPublisher,
}

impl EnergyLink {
    pub fn new(
        data_dir: &Path,
        offset: UtcOffset,
        ctx: DiscoveryContext,
        publisher: HassPublisher,
        refresh_gap: std::time::Duration,
    ) -> EnergyLink {
        let mut tracker = EnergyTracker::load(data_dir, offset);
        tracker.set_refresh_gap(refresh_gap);
        EnergyLink {
            tracker,
            shown: Default::default(),
            offset,
            ctx,
            publisher,
        }
    }

    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc().to_offset(self.offset)
    }

    /// The bridge's "Refresh energy" button and "Energy access" text, and every figure known.
    pub fn publish_all(&self) {
        let (topic, payload) = hass_energy::bridge_discovery(&self.ctx);
        self.publisher.retained(&topic, payload);
        let (topic, payload) = hass_energy::access_state(&self.ctx, self.tracker.scope_missing());
        self.publisher.retained(&topic, payload);
        for values in self.tracker.values(self.now()) {
            for (topic, payload) in hass_energy::state_messages(&self.ctx, &values) {
                self.publisher.retained(&topic, payload);
            }
        }
    }

    /// The appliances on the account now.
    pub fn set_devices(&mut self, ids: &[String]) {
        self.tracker.set_devices(ids.iter().map(String::as_str));
    }

    /// Submits the reads that are due.
    pub fn plan(&mut self, budget: &Budget) {
        let tight = budget.status().is_tight();
        for read in self.tracker.plan(self.now(), tight) {
            budget.submit(Priority::Periodic, Call::Energy(read));
        }
    }

    /// A press of "Refresh energy": read now, within the budget.
    pub fn is_refresh(&self, topic: &CommandTopic) -> bool {
        topic.device == "bridge" && topic.entity == hass_energy::REFRESH_KEY
    }

    pub fn refresh(&mut self, budget: &Budget) {
        info!("energy refresh asked for");
        self.tracker.request_refresh();
        self.plan(budget);
    }

    /// An energy read answered: fold it in, publish what changed, keep the totals. Returns
    /// what LG said about devices' energy support (their properties; none for a device
    /// without energy data), for the known-devices file.
    pub fn on_answer(
        &mut self,
        answer: EnergyAnswer,
        device: impl Fn(&str) -> Option<DeviceSummary>,
    ) -> Vec<(String, Vec<String>)> {
        let updates = self.tracker.on_answer(self.now(), answer);
        self.apply(&updates, device, true)
    }

    /// LG's energy answer for a device from an earlier start: the same as its answer now,
    /// without the call.
    pub fn seed(&mut self, device_id: &str, properties: Vec<String>, summary: DeviceSummary) {
        let updates = self
            .tracker
            .on_profile(self.now(), device_id, Ok(properties));
        self.apply(&updates, |_| Some(summary.clone()), false);
    }

    fn apply(
        &mut self,
        updates: &[EnergyUpdate],
        device: impl Fn(&str) -> Option<DeviceSummary>,
        from_lg: bool,
    ) -> Vec<(String, Vec<String>)> {
        let mut learned = Vec::new();
        for update in updates {
            let summary = match update {
                EnergyUpdate::Supported { device_id, .. } => device(device_id),
                _ => None,
            };
            match update {
                EnergyUpdate::ScopeMissing => error!("{SCOPE_MISSING_TEXT}"),
                EnergyUpdate::Unsupported { device_id } => {
                    learned.push((device_id.clone(), Vec::new()));
                    if from_lg {
                        info!(device = %device_id, "LG has no energy data for this appliance; it is not asked again for a week");
                    }
                    if !self.shown.remove(device_id) {
                        continue;
                    }
                }
                EnergyUpdate::Supported {
                    device_id,
                    properties,
                } if summary.is_some() => {
                    learned.push((device_id.clone(), properties.clone()));
                    self.shown.insert(device_id.clone());
                }
                _ => {}
            }
            for (topic, payload) in
                hass_energy::update_messages(&self.ctx, update, summary.as_ref())
            {
                self.publisher.retained(&topic, payload);
            }
        }
        if let Err(err) = self.tracker.save() {
            warn!(%err, "cannot keep the energy totals in the data directory");
        }
        learned
    }

    /// The appliance left the account: its energy entities go with it, and their retained
    /// values. Also when it left while the add-on was stopped (not shown in this run yet): the
    /// tracker's file still knows its figures, and Home Assistant still has the entities.
    pub fn removed(&mut self, device_id: &str) {
        self.shown.remove(device_id);
        let (topic, payload) = hass_energy::device_removal(&self.ctx, device_id);
        self.publisher.retained(&topic, payload);
        for property in self.tracker.remembered_properties(device_id) {
            let figures = crate::energy::EnergyValues {
                device_id: device_id.to_owned(),
                property,
                total_kwh: 0.0,
                today_kwh: 0.0,
                month_kwh: 0.0,
            };
            for (topic, _) in hass_energy::state_messages(&self.ctx, &figures) {
                self.publisher.retained(&topic, Vec::new());
            }
        }
    }
}
