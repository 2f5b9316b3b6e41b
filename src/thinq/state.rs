//! Device state documents and the merge of partial reports.
//!
//! LG's `DEVICE_STATUS` push carries a *partial* `report`, keyed like `GET state`. The bridge
//! keeps the last full state per device and merges each report into it, key by key.

use serde_json::Value;

/// Merges a partial `report` into the cached full state, in place.
///
/// Objects merge key by key (recursively). Arrays of per-location entries (pattern A/B, matched
/// on `location.locationName` or `locationName`) and per-unit entries (pattern C, matched on
/// `unit`) merge entry by entry, so a report about `C` does not wipe `F`. A scalar replaces.
/// A report that is not an object leaves the cache as it was.
pub fn merge_report(cached: &mut Value, report: &Value) {
    let _ = (cached, report);
    todo!()
}
