//! The real `thinq-addon` binary as a user runs it: started with an options file and a data
//! directory against the world's simulated cloud ([`super::World::bridge`]), its output
//! collected, stopped with SIGTERM.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use super::WAIT;

/// Where the bridge runs: the files and addresses it is started with.
pub struct Launch<'a> {
    pub options: &'a Path,
    pub data_dir: &'a Path,
    pub api_url: &'a str,
    pub root_ca: &'a Path,
    /// `THINQ_TIME_SCALE`: every interval the bridge keeps, times this.
    pub time_scale: Option<f64>,
    /// The Supervisor's address and token (none outside Home Assistant OS).
    pub supervisor: &'a str,
    pub supervisor_token: Option<&'a str>,
    /// The bridge's local time zone (`TZ`), whole hours east of UTC: the dates it asks LG's
    /// energy endpoints for, which the simulator answers by the same clock.
    pub utc_offset_hours: i8,
}

/// The bridge binary, with its output collected.
pub struct Bridge {
    child: Child,
    output: mpsc::UnboundedReceiver<String>,
}

impl Bridge {
    pub fn spawn(launch: Launch<'_>) -> Bridge {
        let mut command = Command::new(env!("CARGO_BIN_EXE_thinq-addon"));
        if let Some(scale) = launch.time_scale {
            command.env("THINQ_TIME_SCALE", scale.to_string());
        }
        match launch.supervisor_token {
            Some(token) => command.env("SUPERVISOR_TOKEN", token),
            None => command.env_remove("SUPERVISOR_TOKEN"),
        };
        let mut child = command
            .arg("run")
            .arg("--options")
            .arg(launch.options)
            .arg("--data-dir")
            .arg(launch.data_dir)
            .env("THINQ_API_URL", launch.api_url)
            .env("THINQ_ROOT_CA", launch.root_ca)
            .env("SUPERVISOR_URL", launch.supervisor)
            // POSIX spells east of UTC with a minus: `UTC-6` is +06:00.
            .env("TZ", format!("UTC{}", -launch.utc_offset_hours))
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let (tx, output) = mpsc::unbounded_channel();
        for mut stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let _ = stream.read_to_end(&mut buf).await;
                let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
            });
        }
        Bridge { child, output }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap()
    }

    /// Resident memory in KiB, from `/proc`.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// SIGTERM; asserts exit 0 within 10 s; returns everything the process printed.
    pub async fn stop_ok(mut self) -> String {
        let pid = self.pid();
        let started = Instant::now();
        // With the `kill` command: the crate forbids unsafe code, tests included.
        let status = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .unwrap();
        assert!(status.success());
        let status = tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("the bridge did not exit within 15 s of SIGTERM")
            .unwrap();
        let took = started.elapsed();
        let output = self.collect().await;
        assert_eq!(
            status.code(),
            Some(0),
            "exit after SIGTERM; output:\n{output}"
        );
        assert!(took < Duration::from_secs(10), "SIGTERM took {took:?}");
        output
    }

    /// Waits for the bridge to exit by itself; its exit code and everything it printed.
    pub async fn wait_exit(mut self) -> (Option<i32>, String) {
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("the bridge did not exit")
            .unwrap();
        (status.code(), self.collect().await)
    }

    async fn collect(&mut self) -> String {
        let mut all = String::new();
        for _ in 0..2 {
            if let Ok(Some(part)) =
                tokio::time::timeout(Duration::from_secs(5), self.output.recv()).await
            {
                all.push_str(&part);
            }
        }
        all
    }
}
