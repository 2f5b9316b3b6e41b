//! `thinq-addon`: the command line. Thin by design; the work is in the library.
//!
//! ```text
//! thinq-addon run [--options PATH] [--data-dir DIR]     the add-on (defaults /data/options.json, /data)
//! thinq-addon demo [--duration SECONDS] [--mqtt HOST:PORT] [--all-fixtures] [--language en|ko]
//!                                                        (with the `demo` feature only)
//! thinq-addon health [--data-dir DIR]                    exit 0 when the running bridge is healthy
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use thinq_addon::bridge::{self, BridgeConfig, Fatal};
#[cfg(feature = "demo")]
use thinq_addon::demo;
#[cfg(feature = "demo")]
use thinq_addon::labels::Language;
use thinq_addon::options::Options;
use thinq_addon::supervisor::Supervisor;
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

#[cfg(feature = "demo")]
const USAGE: &str = "usage:
  thinq-addon run [--options PATH] [--data-dir DIR]
  thinq-addon demo [--duration SECONDS] [--mqtt HOST:PORT] [--all-fixtures] [--language en|ko] [--quota CALLS_PER_HOUR]
  thinq-addon health [--data-dir DIR]
  thinq-addon --version";
/// The add-on build (no `demo` feature) has no demo command, so its usage names none.
#[cfg(not(feature = "demo"))]
const USAGE: &str = "usage:
  thinq-addon run [--options PATH] [--data-dir DIR]
  thinq-addon health [--data-dir DIR]
  thinq-addon --version";

/// Exit codes other tools can rely on.
const EXIT_FAILURE: u8 = 1;
const EXIT_BAD_OPTIONS: u8 = 2;

fn main() -> ExitCode {
    thinq_addon::install_crypto_provider();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("run", &[][..]),
    };
    let flags = match Flags::parse(rest) {
        Ok(flags) => flags,
        Err(message) => {
            eprintln!("thinq-addon: {message}\n{USAGE}");
            return ExitCode::from(EXIT_BAD_OPTIONS);
        }
    };
    match command {
        "run" => run(flags),
        #[cfg(feature = "demo")]
        "demo" => demo(flags),
        "health" => health(flags),
        "--version" | "-V" | "version" => {
            println!("thinq-addon {}", thinq_addon::VERSION);
            ExitCode::SUCCESS
        }
        "--help" | "-h" | "help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("thinq-addon: unknown command {other:?}\n{USAGE}");
            ExitCode::from(EXIT_BAD_OPTIONS)
        }
    }
}

/// The flags every command may take; each command reads the ones it knows.
#[derive(Debug, Default)]
struct Flags {
    options: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    duration: Option<u64>,
    mqtt: Option<String>,
    /// Demo only: every fixture device (70) instead of the demo's 16.
    all_fixtures: bool,
    /// Demo only: `en` or `ko`.
    language: Option<String>,
    /// Demo only: the simulated account's hourly call quota.
    quota: Option<usize>,
}

impl Flags {
    fn parse(args: &[String]) -> Result<Flags, String> {
        let mut flags = Flags::default();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            match flag.as_str() {
                "--options" => flags.options = Some(value()?.into()),
                "--data-dir" => flags.data_dir = Some(value()?.into()),
                "--duration" => {
                    let text = value()?;
                    flags.duration =
                        Some(text.parse().map_err(|_| {
                            format!("--duration {text:?} is not a number of seconds")
                        })?)
                }
                "--mqtt" => flags.mqtt = Some(value()?),
                "--all-fixtures" => flags.all_fixtures = true,
                "--language" => flags.language = Some(value()?),
                "--quota" => {
                    let text = value()?;
                    flags.quota = Some(text.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        format!("--quota {text:?} is not a number of calls per hour")
                    })?)
                }
                other => return Err(format!("unknown flag {other:?}")),
            }
        }
        Ok(flags)
    }
}

/// Runs `job` to its end on a new runtime; SIGTERM or SIGINT cancels the token it is given, so
/// it shuts down gracefully (see [`cancel_on_signal`]).
fn until_signal<F: Future>(job: impl FnOnce(CancellationToken) -> F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("cannot start the async runtime");
    let shutdown = CancellationToken::new();
    runtime.block_on(async {
        cancel_on_signal(shutdown.clone());
        job(shutdown).await
    })
}

/// Cancels the token on SIGTERM (the Supervisor's stop) or SIGINT (Ctrl-C).
fn cancel_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(err) => {
                    error!(%err, "cannot listen for SIGTERM");
                    return;
                }
            };
        tokio::select! {
            _ = term.recv() => info!("SIGTERM: stopping"),
            _ = tokio::signal::ctrl_c() => info!("interrupted: stopping"),
        }
        token.cancel();
    });
}

fn run(flags: Flags) -> ExitCode {
    let options_path = flags
        .options
        .unwrap_or_else(|| PathBuf::from("/data/options.json"));
    let data_dir = flags.data_dir.unwrap_or_else(|| PathBuf::from("/data"));
    let options = match Options::load(&options_path) {
        Ok(options) => options,
        Err(err) => {
            thinq_addon::logging::init("info");
            error!("{err}");
            return ExitCode::from(EXIT_BAD_OPTIONS);
        }
    };
    thinq_addon::logging::init(&options.log_level);
    thinq_addon::labels::Language::set_current(options.language);
    // Before the runtime: reading the local offset needs a single-threaded process.
    let utc_offset = time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC);
    let config = BridgeConfig {
        options,
        data_dir,
        supervisor: Supervisor::from_env(),
        api_base_url: None,
        push_root_ca_pem: None,
        timings: bridge::timings::Timings::from_env().0,
        utc_offset,
    };
    let result = until_signal(|shutdown| bridge::run(config, shutdown));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            error!("{err}");
            ExitCode::from(match err {
                Fatal::Options(_) => EXIT_BAD_OPTIONS,
                _ => EXIT_FAILURE,
            })
        }
    }
}

#[cfg(feature = "demo")]
fn demo(flags: Flags) -> ExitCode {
    // Before the runtime: reading the local time zone needs a single-threaded process.
    let args = match demo::DemoArgs::from_flags(flags.duration, flags.mqtt.as_deref()) {
        Ok(mut args) => {
            args.all_fixtures = flags.all_fixtures;
            args.quota = flags.quota;
            match flags.language.as_deref().map(|l| (l, Language::parse(l))) {
                None => {}
                Some((_, Some(language))) => Language::set_current(language),
                Some((text, None)) => {
                    eprintln!("thinq-addon: --language {text:?} must be en or ko\n{USAGE}");
                    return ExitCode::from(EXIT_BAD_OPTIONS);
                }
            }
            args
        }
        Err(message) => {
            eprintln!("thinq-addon: {message}\n{USAGE}");
            return ExitCode::from(EXIT_BAD_OPTIONS);
        }
    };
    thinq_addon::logging::init(demo::LOG_LEVEL);
    let result = until_signal(|shutdown| demo::run(args, shutdown));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("thinq-addon demo: {err:#}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn health(flags: Flags) -> ExitCode {
    let data_dir = flags.data_dir.unwrap_or_else(|| PathBuf::from("/data"));
    match bridge::health::check(&data_dir) {
        Ok(_) => {
            println!("healthy");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            println!("unhealthy: {reason}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}
