//! Device state documents and the merge of partial reports.
//!
//! LG's `DEVICE_STATUS` push carries a *partial* `report`, keyed like `GET state`. The bridge
//! keeps the last full state per device and merges each report into it, key by key.
//!
//! Two jobs, one file each: `merge.rs` merges a partial report into the cached state (what
//! the bridge does with every push), and `put.rs` writes one property into a state document
//! (how a command's effect or a test's report is built). `proptests.rs` holds them to each
//! other and to the profile model's reading over every fixture.

mod merge;
#[cfg(test)]
mod proptests;
mod put;

pub use merge::merge_report;
pub use put::put;

/// A fixture document from `tests/fixtures`, for the tests of every part.
#[cfg(test)]
fn load_fixture(relative: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
