//! The bridge's health, as a small file the container `HEALTHCHECK` reads.
//!
//! The Supervisor's watchdog restarts an add-on whose container turns `unhealthy`. "The process
//! exists" says little for a bridge; what matters is that both MQTT sessions are up and the
//! main loop is still turning. The loop rewrites this file every [`WRITE_INTERVAL`]; the
//! `thinq-addon health` command calls it healthy when it is fresh and both sessions are up.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How often the bridge rewrites the file even when nothing changed (it also writes on every
/// connect and disconnect). Rare on purpose: `/data` often lives on an SD card.
pub const WRITE_INTERVAL: Duration = Duration::from_secs(300);
/// Older than this (three missed rewrites), the main loop is considered stuck.
pub const STALE_AFTER: Duration = Duration::from_secs(900);

/// What the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Health {
    /// Connected to the Home Assistant broker.
    pub home_assistant: bool,
    /// Connected to LG's push broker.
    pub lg_push: bool,
    /// Unix seconds of the last write.
    pub updated: u64,
}

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("health.json")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Writes the current health (atomically: a reader never sees half a file).
pub fn write(data_dir: &Path, home_assistant: bool, lg_push: bool) -> std::io::Result<()> {
    let health = Health {
        home_assistant,
        lg_push,
        updated: now(),
    };
    let tmp = data_dir.join(".health.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec(&health).unwrap_or_default())?;
    std::fs::rename(tmp, path(data_dir))
}

/// Why the bridge is not healthy, or `Ok` when it is.
pub fn check(data_dir: &Path) -> Result<Health, String> {
    let text = std::fs::read(path(data_dir)).map_err(|e| format!("no health file: {e}"))?;
    let health: Health =
        serde_json::from_slice(&text).map_err(|e| format!("unreadable health file: {e}"))?;
    let age = now().saturating_sub(health.updated);
    if age > STALE_AFTER.as_secs() {
        return Err(format!(
            "health file is {age} s old: the bridge loop is stuck"
        ));
    }
    if !health.home_assistant {
        return Err("not connected to the Home Assistant MQTT broker".into());
    }
    if !health.lg_push {
        return Err("not connected to LG's push broker".into());
    }
    Ok(health)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_and_connected_is_healthy_otherwise_not() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check(dir.path()).unwrap_err().contains("no health file"));
        write(dir.path(), true, false).unwrap();
        assert!(check(dir.path()).unwrap_err().contains("LG's push"));
        write(dir.path(), true, true).unwrap();
        assert!(check(dir.path()).is_ok());
        let stale = Health {
            home_assistant: true,
            lg_push: true,
            updated: now() - 3600,
        };
        std::fs::write(path(dir.path()), serde_json::to_vec(&stale).unwrap()).unwrap();
        assert!(check(dir.path()).unwrap_err().contains("stuck"));
    }
}
