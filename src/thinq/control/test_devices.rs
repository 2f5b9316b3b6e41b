//! Test fixtures for the control rules: a device's profile, state and type from
//! `tests/fixtures`, writes built from property keys, and tables of builds with what each
//! should give. Shared by the tests of every file of [`super`], which test the same entry
//! point from the side of the rule they own.

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

    /// Builds each case's writes and checks the outcome, see [`Self::expect`].
    #[track_caller]
    pub(super) fn check(&self, cases: &[(&[(&str, Value)], Expect)]) {
        for (writes, expected) in cases {
            self.expect(writes, expected);
        }
    }

    /// Builds the writes and checks the outcome. A failure names the writes and points at the
    /// test that called, since the cases of a table share these lines.
    #[track_caller]
    pub(super) fn expect(&self, writes: &[(&str, Value)], expected: &Expect) {
        let built = self.build(writes);
        match expected {
            Expect::Body(body) => assert_eq!(built.as_ref(), Ok(body), "{writes:?}"),
            Expect::Text(text) => {
                let body = match built {
                    Ok(body) => body,
                    Err(e) => panic!("{writes:?}: {e}"),
                };
                let wanted: Value = serde_json::from_str(text).expect("the expected text is JSON");
                assert_eq!(body, wanted, "{writes:?}");
                assert_eq!(body.to_string(), *text, "{writes:?}: key order");
            }
            Expect::Refused(error) => assert_eq!(built.as_ref(), Err(error), "{writes:?}"),
            Expect::RefusedAs(kind) => assert!(
                built.as_ref().is_err_and(*kind),
                "{writes:?}: got {built:?}, not the refusal the case names"
            ),
        }
    }
}

/// What one build should give.
pub(super) enum Expect {
    /// This body, as JSON (key order aside).
    Body(Value),
    /// This body to the letter: LG's examples fix the key order (the location first, the unit
    /// after the value), so these compare the text as well.
    Text(&'static str),
    /// This refusal, message and all.
    Refused(CommandError),
    /// A refusal of this kind; its fields are the profile checks' business, tested there.
    RefusedAs(fn(&CommandError) -> bool),
}

pub(super) fn ac() -> Device {
    device("air_conditioner", "DEVICE_AIR_CONDITIONER")
}
