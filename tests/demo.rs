//! `thinq-addon demo` as a person runs it: the built binary, its printed output, its exit code.
//!
//! The demo runs the real bridge against the simulated cloud and embedded brokers, so these
//! tests cover the whole product end to end on loopback, with nothing installed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;
use thinq_addon::sim::SimDevice;

const BINARY: &str = env!("CARGO_BIN_EXE_thinq-addon");
/// Only a safety net against a hung demo; the tests wait for output, not for time.
const HANG_LIMIT: Duration = Duration::from_secs(180);

/// `HH:MM:SS  Device · entity: old → new`
fn is_change_line(line: &str) -> bool {
    let Some((time, rest)) = line.split_once("  ") else {
        return false;
    };
    let time_ok = time.len() == 8
        && time.char_indices().all(|(i, c)| {
            if i == 2 || i == 5 {
                c == ':'
            } else {
                c.is_ascii_digit()
            }
        });
    let Some((what, values)) = rest.split_once(": ") else {
        return false;
    };
    time_ok && what.contains(" · ") && values.contains(" → ")
}

fn aliases() -> Vec<String> {
    SimDevice::fixture_set()
        .into_iter()
        .map(|d| d.summary.device_info.alias)
        .collect()
}

/// Kills the demo if a test fails before it exits, so no process outlives the test.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Streams the demo's stdout lines to a channel.
fn spawn_demo(args: &[&str]) -> (Demo, mpsc::Receiver<String>) {
    let mut child = Command::new(BINARY)
        .arg("demo")
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start thinq-addon demo");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (Demo(child), rx)
}

/// Asserts that some line of `output` is one `wanted` accepts; fails naming what is
/// missing, with the whole output.
fn assert_line(output: &[String], wanted: fn(&str) -> bool, missing: &str) {
    let text = output.join("\n");
    assert!(output.iter().any(|l| wanted(l)), "{missing}:\n{text}");
}

#[test]
fn demo_for_a_fixed_duration_shows_every_appliance_and_live_changes_then_exits_0() {
    let (mut demo, lines) = spawn_demo(&["--duration", "12"]);
    let mut output = Vec::new();
    while let Ok(line) = lines.recv_timeout(HANG_LIMIT) {
        output.push(line);
    }
    let status = demo.0.wait().expect("demo exit status");
    let text = output.join("\n");
    assert!(status.success(), "demo exited with {status}:\n{text}");

    let table_start = output
        .iter()
        .position(|l| l.starts_with("What Home Assistant sees"))
        .unwrap_or_else(|| panic!("no device table:\n{text}"));
    let table = &output[table_start..];
    for alias in aliases() {
        assert!(
            table
                .iter()
                .any(|l| l.starts_with(&format!("{alias}  ·  "))),
            "appliance {alias:?} missing from the table:\n{text}"
        );
    }
    assert_line(
        &output,
        |l| l.contains("mosquitto_sub -h 127.0.0.1 -p "),
        "no mosquitto_sub line",
    );
    assert_line(&output, is_change_line, "no live change line");
    assert_line(
        &output,
        |l| l.starts_with("Stopped cleanly"),
        "no clean stop",
    );
}

#[test]
fn ctrl_c_stops_the_demo_cleanly_with_exit_0() {
    let (mut demo, lines) = spawn_demo(&[]);
    let mut output = Vec::new();
    // Wait for the bridge to be doing real work: the first live change.
    loop {
        let line = lines
            .recv_timeout(HANG_LIMIT)
            .unwrap_or_else(|_| panic!("no live change before the limit:\n{}", output.join("\n")));
        let done = is_change_line(&line);
        output.push(line);
        if done {
            break;
        }
    }
    let interrupted = Command::new("kill")
        .args(["-INT", &demo.0.id().to_string()])
        .status()
        .expect("run kill");
    assert!(interrupted.success());
    while let Ok(line) = lines.recv_timeout(HANG_LIMIT) {
        output.push(line);
    }
    let status = demo.0.wait().expect("demo exit status");
    let text = output.join("\n");
    assert!(
        status.success(),
        "demo exited with {status} after SIGINT:\n{text}"
    );
    assert_line(
        &output,
        |l| l.ends_with("ThinQ bridge · availability: offline"),
        "the bridge did not publish offline",
    );
    assert_line(
        &output,
        |l| l.starts_with("Stopped cleanly"),
        "no clean stop",
    );
}

#[test]
fn a_bad_mqtt_address_is_refused_with_exit_2() {
    let output = Command::new(BINARY)
        .args(["demo", "--mqtt", "no-port-here"])
        .output()
        .expect("run thinq-addon demo");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("HOST:PORT"), "{stderr}");
}

#[test]
fn change_lines_are_recognised() {
    assert!(is_change_line(
        "12:00:03  Living room AC · current temperature: 25 °C → 24 °C"
    ));
    assert!(!is_change_line(
        "12:00:03  Home Assistant → AC · target: 22"
    ));
    assert!(!is_change_line(
        "Test washer  ·  FAFXU22027  ·  13 entities"
    ));
}
