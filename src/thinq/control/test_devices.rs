//! Test fixtures for the control rules: a device's profile, state and type from
//! `tests/fixtures`, and writes built from property keys. Shared by the tests of every file
//! of [`super`], which test the same entry point from the side of the rule they own.

use super::{Write, build_control};
use crate::thinq::profile::{CommandError, Profile};
use serde_json::Value;

pub(super) fn load(relative: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(super) struct Device {
    pub(super) profile: Profile,
    pub(super) state: Value,
    pub(super) device_type: &'static str,
}

pub(super) fn device(dir: &str, device_type: &'static str) -> Device {
    let profile = Profile::parse(&load(&format!("{dir}/profile.json"))).expect("profile");
    Device {
        profile,
        state: load(&format!("{dir}/status.json")),
        device_type,
    }
}

impl Device {
    pub(super) fn write(&self, key: &str, value: Value) -> Write {
        let property = self
            .profile
            .get(key)
            .unwrap_or_else(|| panic!("no property {key}"));
        Write {
            path: property.path.clone(),
            value,
        }
    }

    pub(super) fn build(&self, writes: &[(&str, Value)]) -> Result<Value, CommandError> {
        let writes: Vec<Write> = writes
            .iter()
            .map(|(k, v)| self.write(k, v.clone()))
            .collect();
        build_control(&self.profile, self.device_type, &self.state, &writes)
    }
}

pub(super) fn ac() -> Device {
    device("air_conditioner", "DEVICE_AIR_CONDITIONER")
}
