//! The measuring itself: warm up, time each iteration, summarise, print a table.
//!
//! Each iteration is timed on its own with [`Instant`], so the figures carry the clock's own
//! cost (some 20–30 ns per reading on Linux); every operation measured here takes
//! microseconds, so that is at most a few per cent and is said in BENCHMARKS.md. Percentiles
//! are nearest-rank over the recorded samples, without interpolation: a p99 is a time some
//! iteration really took.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// How long to warm up and how much to measure. Measuring stops at whichever limit comes
/// first, the time or the count, so a slow operation cannot stretch the run.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub warmup: Duration,
    pub measure: Duration,
    pub max_iterations: usize,
}

impl Budget {
    /// The budget for the in-memory operations (push handling, start-up, commands).
    pub const MICRO: Budget = Budget {
        warmup: Duration::from_millis(300),
        measure: Duration::from_millis(1500),
        max_iterations: 200_000,
    };

    /// A shorter one, for the per-device table (32 rows).
    pub const SHORT: Budget = Budget {
        warmup: Duration::from_millis(50),
        measure: Duration::from_millis(250),
        max_iterations: 50_000,
    };
}

/// One row of a table: what was measured and how long it took.
#[derive(Debug, Clone)]
pub struct Summary {
    pub name: String,
    pub iterations: usize,
    pub min: Duration,
    pub median: Duration,
    pub p99: Duration,
    /// Total measured time, for the throughput (iterations per second of busy time).
    pub total: Duration,
}

impl Summary {
    /// Summarises samples (need not be sorted). `None` without samples.
    pub fn from_samples(name: &str, mut samples: Vec<Duration>) -> Option<Summary> {
        samples.sort_unstable();
        let min = *samples.first()?;
        Some(Summary {
            name: name.to_owned(),
            iterations: samples.len(),
            min,
            median: percentile(&samples, 50.0),
            p99: percentile(&samples, 99.0),
            total: samples.iter().sum(),
        })
    }

    /// Operations per second, from the mean time per iteration.
    pub fn per_second(&self) -> f64 {
        let secs = self.total.as_secs_f64();
        if secs > 0.0 {
            self.iterations as f64 / secs
        } else {
            f64::INFINITY
        }
    }
}

/// Nearest-rank percentile of sorted samples (`p` in 0..=100); zero for no samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    sorted.get(index).copied().unwrap_or_default()
}

/// Runs `op` for the warm-up, then times it iteration by iteration within `budget`.
/// The result of every call goes through [`black_box`] so the work cannot be optimised away.
pub fn run<R>(name: &str, budget: Budget, mut op: impl FnMut() -> R) -> Summary {
    let warmup_end = Instant::now() + budget.warmup;
    while Instant::now() < warmup_end {
        black_box(op());
    }
    let mut samples = Vec::with_capacity(budget.max_iterations.min(1 << 16));
    let measure_end = Instant::now() + budget.measure;
    while samples.len() < budget.max_iterations && Instant::now() < measure_end {
        let start = Instant::now();
        black_box(op());
        samples.push(start.elapsed());
    }
    // At least one sample was taken: the loop runs once unless the budget is zero.
    Summary::from_samples(name, samples).unwrap_or(Summary {
        name: name.to_owned(),
        iterations: 0,
        min: Duration::ZERO,
        median: Duration::ZERO,
        p99: Duration::ZERO,
        total: Duration::ZERO,
    })
}

/// A duration with a unit that keeps three significant digits or so.
pub fn format_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{:.2} µs", ns as f64 / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else {
        format!("{:.2} s", ns as f64 / 1e9)
    }
}

/// A rate per second with a k/M suffix.
pub fn format_rate(per_second: f64) -> String {
    if !per_second.is_finite() {
        "-".to_owned()
    } else if per_second >= 1e6 {
        format!("{:.2} M/s", per_second / 1e6)
    } else if per_second >= 1e3 {
        format!("{:.1} k/s", per_second / 1e3)
    } else {
        format!("{per_second:.1} /s")
    }
}

/// Prints rows as a Markdown table (pasteable into BENCHMARKS.md as it is).
pub fn print_table(title: &str, rows: &[Summary]) {
    println!("\n### {title}\n");
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    println!(
        "| {:<width$} | {:>7} | {:>10} | {:>10} | {:>10} | {:>11} |",
        "what", "n", "min", "median", "p99", "throughput"
    );
    println!(
        "|{}|{}:|{}:|{}:|{}:|{}:|",
        "-".repeat(width + 2),
        "-".repeat(8),
        "-".repeat(11),
        "-".repeat(11),
        "-".repeat(11),
        "-".repeat(12)
    );
    for row in rows {
        println!(
            "| {:<width$} | {:>7} | {:>10} | {:>10} | {:>10} | {:>11} |",
            row.name,
            row.iterations,
            format_duration(row.min),
            format_duration(row.median),
            format_duration(row.p99),
            format_rate(row.per_second()),
        );
    }
}
