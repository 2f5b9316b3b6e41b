//! Property tests of the merge and `put` together, over every fixture device: a report built
//! with `put` and merged reads back as the report where it has a value and as before
//! elsewhere, and no JSON at all makes merge, `put` or a profile read panic.
//!
//! Apart from the unit tests of each part because they test the two, and the profile model,
//! as one contract.

use super::load_fixture as load;
use super::{merge_report, put};
use crate::thinq::profile::Profile;
use proptest::prelude::*;
use serde_json::Value;
use std::sync::OnceLock;

/// Every fixture's (folder, profile, state).
fn fixtures() -> &'static [(String, Profile, Value)] {
    static ALL: OnceLock<Vec<(String, Profile, Value)>> = OnceLock::new();
    ALL.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut out = Vec::new();
        for base in ["", "lg-developer/"] {
            let mut dirs: Vec<String> = std::fs::read_dir(root.join(base))
                .expect("fixtures")
                .filter_map(|e| e.ok())
                .filter(|e| e.path().join("profile.json").is_file())
                .map(|e| format!("{base}{}", e.file_name().to_string_lossy()))
                .collect();
            dirs.sort();
            for dir in dirs {
                let profile =
                    Profile::parse(&load(&format!("{dir}/profile.json"))).expect("profile");
                let state = load(&format!("{dir}/status.json"));
                out.push((dir, profile, state));
            }
        }
        out
    })
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(Value::from),
        "[A-Z_]{1,10}".prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        (-1000.0f64..1000.0)
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
    ]
    .prop_filter("no null", |v| !v.is_null())
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(vec!["C", "F", "MAIN", "UPPER", "FRIDGE", "x"]).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop::sample::select(vec![
            "location",
            "locationName",
            "switchName",
            "unit",
            "temperatureInUnits",
            "runState",
            "currentState",
            "washer",
            "targetTemperature",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((keys, inner), 0..5).prop_map(|pairs| Value::Object(
                pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Merging a report built from some properties' new values, then reading every
    /// property, gives the report's value where the report has one and the old value
    /// elsewhere, for every fixture device.
    #[test]
    fn merge_then_read_gives_report_else_old(
        fixture in 0usize..70,
        picks in prop::collection::vec((any::<prop::sample::Index>(), scalar()), 1..6),
    ) {
        let all = fixtures();
        let (dir, profile, state) = &all[fixture % all.len()];
        let readable: Vec<_> = profile.properties.iter().filter(|p| p.readable).collect();
        prop_assume!(!readable.is_empty());
        let mut report = Value::Null;
        for (index, value) in &picks {
            put(&mut report, &readable[index.index(readable.len())].path, value.clone());
        }
        let mut merged = state.clone();
        merge_report(&mut merged, &report);
        for property in &readable {
            let key = property.path.key();
            match property.read(&report) {
                Some(new) => prop_assert_eq!(property.read(&merged), Some(new), "{}: {}", dir, key),
                None => {
                    // A unit-keyed object in a location (the oven) holds one unit at a
                    // time: a report in the other unit replaces it, by design.
                    let same_nested_resource = property.path.nested_unit().is_some()
                        && readable.iter().any(|p| {
                            p.path.nested_unit().is_some()
                                && p.path.location == property.path.location
                                && p.path.resource == property.path.resource
                                && p.read(&report).is_some()
                        });
                    if !same_nested_resource {
                        prop_assert_eq!(property.read(&merged), property.read(state), "{}: {}", dir, key);
                    }
                }
            }
        }
    }

    #[test]
    fn merge_put_and_read_never_panic_on_arbitrary_json(
        mut cached in arbitrary_json(),
        report in arbitrary_json(),
        fixture in 0usize..70,
        pick in any::<prop::sample::Index>(),
        value in scalar(),
    ) {
        merge_report(&mut cached, &report);
        let all = fixtures();
        let (_, profile, _) = &all[fixture % all.len()];
        for property in &profile.properties {
            let _ = property.read(&cached);
            let _ = property.check_write(&report);
        }
        if !profile.properties.is_empty() {
            let property = &profile.properties[pick.index(profile.properties.len())];
            put(&mut cached, &property.path, value.clone());
            prop_assert_eq!(property.read(&cached), Some(value));
        }
    }
}
