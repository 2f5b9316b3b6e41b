//! Control payloads for `POST /devices/{id}/control`, built with the SDK's rules
//! (`reference/thinq-api.md` §4.5).

use super::profile::{CommandError, Profile, PropertyPath};
use serde_json::Value;

/// One attribute to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub path: PropertyPath,
    pub value: Value,
}

/// Builds one control body for several writes to the same device.
///
/// Each write is checked with [`super::profile::Property::check_write`] first. Then the
/// shape rules apply: `{resource: {attribute: value}}` merged per resource; pattern A adds a
/// top-level `location`; pattern B puts `locationName` inside the resource and keeps the C/F
/// suffix; pattern C drops the unit entry and adds `"unit"` beside the value; pattern D wraps
/// in the sub-device key; hood/microwave send `fanSpeed` and `lampBrightness` together and
/// AC two-set sends heat+cool+unit together (the missing side from `state`); wind strength
/// goes to `windStrengthDetail` when the profile has it.
pub fn build_control(
    profile: &Profile,
    device_type: &str,
    state: &Value,
    writes: &[Write],
) -> Result<Value, CommandError> {
    let _ = (profile, device_type, state, writes);
    todo!()
}
