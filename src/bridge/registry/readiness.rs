//! How far each appliance is from ready — shown with its values and kept live by LG's
//! pushes — and the order in which they are made ready: what the call plan needs from the
//! registry ([`Priority::Ready`], the budget's reserve, the bridge device's "Appliances
//! ready"), and LG's energy answers kept for the next start.

use super::{Entry, Registry};
use crate::bridge::calls::Priority;

impl Registry {
    /// The priority of the calls that make `device_id` ready: its rank in LG's list.
    pub fn priority(&self, device_id: &str) -> Priority {
        Priority::Ready(self.ranks.get(device_id).copied().unwrap_or(u32::MAX))
    }

    /// Every listed device is shown with its values and kept live (the start is over).
    pub fn all_ready(&self) -> bool {
        self.listed && self.pending.is_empty() && self.devices.values().all(Entry::ready)
    }

    /// Appliances ready (shown with values, kept live), and appliances LG lists.
    pub fn ready_count(&self) -> (usize, usize) {
        let ready = self.devices.values().filter(|e| e.ready()).count();
        (ready, self.devices.len() + self.pending.len())
    }

    /// The calls still to come before every listed appliance is ready: a profile, an event
    /// subscription and a state for one not shown yet, and what each shown one lacks.
    pub fn calls_to_ready(&self) -> usize {
        self.pending.len() * 3
            + self
                .devices
                .values()
                .map(|e| usize::from(!e.has_state) + usize::from(!e.live))
                .sum::<usize>()
    }

    /// LG sends (`true`) or stopped sending (`false`, its event subscription lapsed) the
    /// device's state changes.
    pub fn set_live(&mut self, device_id: &str, live: bool) {
        if let Some(entry) = self.devices.get_mut(device_id) {
            entry.live = live;
        }
    }

    /// The energy properties LG named for a device in an earlier answer (empty: it has no
    /// energy data), while that answer is recent enough to be trusted.
    pub fn known_energy(&self, device_id: &str) -> Option<Vec<String>> {
        self.known.energy(device_id)
    }

    /// Remembers LG's energy answer for a device for the next starts.
    pub fn remember_energy(&mut self, device_id: &str, properties: Vec<String>) {
        self.known.set_energy(device_id, properties);
    }
}
