//! Log setup: one line per event on stdout, which the Supervisor shows in the add-on's Log tab.

use tracing_subscriber::EnvFilter;

/// Starts the global subscriber at `level` (trace|debug|info|warning|error). `RUST_LOG`, when
/// set, wins, so a developer can turn up one module without touching the options.
pub fn init(level: &str) {
    let level = match level {
        "warning" => "warn",
        other => other,
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!("{level},rumqttc=warn,hyper=warn,reqwest=warn"))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(false)
        .try_init();
}
