//! Speed and memory of the bridge: `cargo bench --bench pipeline [-- SECTION…]`.
//!
//! The project's performance figures live here, never in timed tests (tests must not depend
//! on the machine's speed). Stable Rust has no `#[bench]`, so this is a plain `main`
//! (`harness = false`) with a small, explicit measuring loop: warm-up, then each iteration
//! timed on its own, reported as min / median / p99 / throughput (see `measure`).
//!
//! Sections, all run when none is named:
//!
//! * `micro` — the in-memory work per push, per device at start-up, and per command;
//! * `e2e` — `bridge::run` in this process against the simulated cloud and embedded
//!   brokers on loopback: push-to-state latency and cold start to all discovery;
//! * `rss` — the real `thinq-addon run` binary as a child process: resident memory after
//!   start-up and after 1000 pushes, CPU time, and push-to-state latency across processes;
//! * `startup` — first start and restart of 10, 59 and 200 appliances against an LG that
//!   answers in 100 ms: time until every appliance is ready, and LG calls.
//!
//! The results are printed as Markdown tables; `BENCHMARKS.md` holds a reviewed copy.

#[path = "pipeline/e2e.rs"]
mod e2e;
#[path = "pipeline/measure.rs"]
mod measure;
#[path = "pipeline/micro.rs"]
mod micro;
#[path = "pipeline/rss.rs"]
mod rss;
#[path = "pipeline/startup.rs"]
mod startup;
#[path = "pipeline/world.rs"]
mod world;

use measure::{format_duration, print_table};
use std::process::ExitCode;
use std::time::Instant;

const SECTIONS: [&str; 4] = ["micro", "e2e", "rss", "startup"];

fn main() -> ExitCode {
    thinq_addon::install_crypto_provider();
    // Cargo passes `--bench`; flags are not ours, every other word names a section.
    let asked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    if let Some(unknown) = asked.iter().find(|a| !SECTIONS.contains(&a.as_str())) {
        eprintln!("unknown section {unknown:?}; choose from {SECTIONS:?}");
        return ExitCode::from(2);
    }
    let wants = |section: &str| asked.is_empty() || asked.iter().any(|a| a == section);

    let began = Instant::now();
    print_machine();
    let mut result = Ok(());
    if wants("micro") {
        result = result.and_then(|()| micro_section());
    }
    if wants("e2e") || wants("rss") || wants("startup") {
        result = result.and_then(|()| async_sections(wants("e2e"), wants("rss"), wants("startup")));
    }
    println!("\ntotal bench time: {:.1} s", began.elapsed().as_secs_f64());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench failed: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The date, CPU and core count, so a table can be told apart from another machine's.
fn print_machine() {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
        .map(|(_, m)| m.trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let date = time::OffsetDateTime::now_utc().date();
    // The load at the start: on a shared machine it explains noisy end-to-end figures.
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned());
    println!(
        "# thinq-addon pipeline bench — {date} UTC, {model}, {cores} core(s) available, load {load}"
    );
    println!("(build profile: bench, i.e. the release settings of Cargo.toml)");
}

fn micro_section() -> anyhow::Result<()> {
    let (push_rows, push_bytes, state_bytes) = micro::push_path()?;
    print_table(
        &format!(
            "1. Push handling, per DEVICE_STATUS message (air conditioner; push {push_bytes} B, all state messages {state_bytes} B of topic + payload)"
        ),
        &push_rows,
    );

    let (startup_rows, per_device) = micro::startup()?;
    print_table("2. Start-up work over every fixture device", &startup_rows);
    println!("\n#### Per device (medians)\n");
    println!(
        "| {:<20} | {:>8} | {:>15} | {:>22} | {:>15} |",
        "device", "entities", "DeviceModel::new", "discovery_payload+JSON", "discovery bytes"
    );
    println!(
        "|{}|{}:|{}:|{}:|{}:|",
        "-".repeat(22),
        "-".repeat(9),
        "-".repeat(17),
        "-".repeat(23),
        "-".repeat(16)
    );
    for row in &per_device {
        println!(
            "| {:<20} | {:>8} | {:>16} | {:>22} | {:>15} |",
            row.device_type,
            row.entities,
            format_duration(row.new.median),
            format_duration(row.discovery.median),
            row.discovery_bytes
        );
    }

    print_table(
        "3. Command path (air conditioner climate temperature → control body)",
        &micro::command_path()?,
    );
    Ok(())
}

fn async_sections(e2e: bool, rss: bool, startup: bool) -> anyhow::Result<()> {
    // Two workers, like the add-on's own runtime (src/main.rs).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        if e2e {
            let started = Instant::now();
            let figures = e2e::run().await?;
            print_table(
                &format!(
                    "4. End to end, in process (bridge::run + simulator + embedded brokers, {} devices; {} timed reports after {} warm-up)",
                    figures.devices,
                    e2e::LATENCY_REPORTS,
                    e2e::LATENCY_WARMUP
                ),
                &[
                    figures.latency,
                    figures.fresh_discovery,
                    figures.fresh_push_on,
                    figures.restart_discovery,
                    figures.restart_push_on,
                ],
            );
            println!(
                "(throughput column: 1/mean, i.e. sequential round trips per second; section took {:.1} s)",
                started.elapsed().as_secs_f64()
            );
            println!(
                "\nOn the HA broker, per single-value report (air conditioner room temperature): {:.2} MQTT messages, {:.1} bytes of topic + payload",
                figures.messages_per_report, figures.bytes_per_report
            );
        }
        if rss {
            rss_report(rss::run().await?);
        }
        if startup {
            startup_report(&startup::run().await?);
        }
        anyhow::Ok(())
    })
}

fn rss_report(figures: rss::Figures) {
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "\n### 5. Memory of the real binary (`thinq-addon run` as a child process; {}, {} bytes)\n",
        figures.binary.display(),
        figures.binary_bytes
    );
    println!(
        "| {:<38} | {:>9} | {:>9} | {:>9} | {:>9} | {:>7} | {:>26} |",
        "when", "VmRSS", "VmHWM", "RssAnon", "RssFile", "threads", "CPU since start-up"
    );
    println!(
        "|{}|{}:|{}:|{}:|{}:|{}:|{}:|",
        "-".repeat(40),
        "-".repeat(10),
        "-".repeat(10),
        "-".repeat(10),
        "-".repeat(10),
        "-".repeat(8),
        "-".repeat(27)
    );
    let row = |when: &str, s: &rss::ProcStatus, cpu: String| {
        println!(
            "| {:<38} | {:>5.1} MiB | {:>5.1} MiB | {:>5.1} MiB | {:>5.1} MiB | {:>7} | {:>26} |",
            when,
            mib(s.vm_rss),
            mib(s.vm_hwm),
            mib(s.rss_anon),
            mib(s.rss_file),
            s.threads,
            cpu
        );
    };
    row(
        "after start-up (all discovery, +1 s)",
        &figures.after_start,
        "-".to_owned(),
    );
    for checkpoint in &figures.checkpoints {
        let per_push = checkpoint.cpu / checkpoint.pushes.max(1) as u32;
        row(
            &format!("after {} pushes", checkpoint.pushes),
            &checkpoint.status,
            format!(
                "{} ({}/push)",
                format_duration(checkpoint.cpu),
                format_duration(per_push)
            ),
        );
    }
    println!(
        "\nstart-up to all discovery: {}; CPU time of the start-up: {} (CPU times from /proc, resolution 1/{} s)",
        format_duration(figures.startup_to_discovery),
        format_duration(figures.startup_cpu),
        figures.clock_ticks
    );
    print_table("Push → state across processes", &[figures.latency]);
}

fn startup_report(rows: &[startup::Row]) {
    println!(
        "\n### 7. Start-up of a large home (bridge::run in process; the simulated LG answers each call in {} ms)\n",
        startup::LG_LATENCY.as_millis()
    );
    println!(
        "| appliances | first start → all ready | LG calls | 1314s | restart → all ready | restart's own calls (at ready / +2 s) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let time = |d: std::time::Duration| match row.scale {
            None => format_duration(d),
            // LG's answer time is real; only the bridge's intervals (its hour) are scaled.
            Some(scale) => format!("{} (intervals ×{scale})", format_duration(d)),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} / {} |",
            row.devices,
            time(row.first_ready),
            row.first_calls,
            row.first_refusals,
            time(row.restart_ready),
            row.restart_calls.0,
            row.restart_calls.1
        );
    }
}
