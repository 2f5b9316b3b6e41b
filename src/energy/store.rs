//! The energy state file, `energy.json` in the data dir: the only I/O of the energy tracker.
//!
//! It holds each meter (so a restart neither loses nor double counts) and when each device
//! was last read (so restarting the add-on does not buy extra calls within the hour). It is
//! written atomically (temp file, fsync, rename) because a half-written file would cost the
//! user their running totals. A file that cannot be read is moved aside, not deleted, and
//! the tracker starts afresh: Home Assistant treats a total that starts again as a meter
//! reset, which is better than an add-on that does not start.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::STATE_FILE;
use super::meter::Meter;

/// The file's format version; a file with another version is set aside.
const VERSION: u32 = 1;

/// One device as the file keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedDevice {
    pub meters: BTreeMap<String, Meter>,
    pub last_read: Option<OffsetDateTime>,
}

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    devices: BTreeMap<String, FileDevice>,
}

#[derive(Serialize, Deserialize)]
struct FileDevice {
    #[serde(default)]
    meters: BTreeMap<String, Meter>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_read: Option<i64>,
}

/// The saved devices; empty when there is no file or it cannot be read (then it is renamed
/// to `energy.json.bad`).
pub fn load(dir: &Path) -> BTreeMap<String, SavedDevice> {
    let path = dir.join(STATE_FILE);
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return BTreeMap::new(),
        Err(err) => {
            tracing::warn!(path = %path.display(), %err, "cannot read the energy state; starting afresh");
            return BTreeMap::new();
        }
    };
    match serde_json::from_slice::<File>(&text) {
        Ok(file) if file.version == VERSION => file
            .devices
            .into_iter()
            .map(|(id, d)| {
                let last_read = d
                    .last_read
                    .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok());
                (
                    id,
                    SavedDevice {
                        meters: d.meters,
                        last_read,
                    },
                )
            })
            .collect(),
        outcome => {
            let why = match outcome {
                Ok(file) => format!("unknown version {}", file.version),
                Err(err) => err.to_string(),
            };
            let aside = dir.join(format!("{STATE_FILE}.bad"));
            let moved = std::fs::rename(&path, &aside);
            tracing::warn!(
                path = %path.display(),
                %why,
                moved_to = %aside.display(),
                moved = moved.is_ok(),
                "the energy state file is unreadable; energy totals start again"
            );
            BTreeMap::new()
        }
    }
}

/// Writes every device atomically, mode 0644 (nothing secret in it).
pub fn save(dir: &Path, devices: &BTreeMap<String, SavedDevice>) -> std::io::Result<()> {
    let file = File {
        version: VERSION,
        devices: devices
            .iter()
            .map(|(id, d)| {
                (
                    id.clone(),
                    FileDevice {
                        meters: d.meters.clone(),
                        last_read: d.last_read.map(OffsetDateTime::unix_timestamp),
                    },
                )
            })
            .collect(),
    };
    let text = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
    crate::thinq::credentials::write_atomic(dir, STATE_FILE, &text, 0o644)
        .map_err(std::io::Error::other)
}
