//! Real Mosquitto brokers for tests: one plain with a password file (the Home Assistant
//! side), one with mutual TLS (the stand-in for AWS IoT Core). Each runs `/usr/sbin/mosquitto`
//! on a free loopback port in its own temporary directory and is killed, by its PID, when
//! the value is dropped.

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

const MOSQUITTO: &str = "/usr/sbin/mosquitto";
/// How long a broker may take to accept connections before the test gives up.
const STARTUP_LIMIT: Duration = Duration::from_secs(15);
/// Attempts with a new port when another process took the free one first.
const PORT_ATTEMPTS: usize = 5;

/// A running Mosquitto broker.
pub struct Mosquitto {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Mosquitto {
    /// A broker that accepts only `user` with `password` (no TLS).
    pub fn plain_with_password(user: &str, password: &str) -> anyhow::Result<Mosquitto> {
        let dir = tempfile::tempdir()?;
        let password_file = dir.path().join("passwd");
        let status = Command::new("mosquitto_passwd")
            .arg("-b")
            .arg("-c")
            .arg(&password_file)
            .arg(user)
            .arg(password)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .context("running mosquitto_passwd")?;
        if !status.success() {
            bail!("mosquitto_passwd failed: {status}");
        }
        let settings = format!(
            "allow_anonymous false\npassword_file {}\n",
            password_file.display()
        );
        Mosquitto::start(dir, settings)
    }

    /// A broker that speaks TLS with `server_cert_pem`/`server_key_pem`, requires a client
    /// certificate signed by `ca_pem`, and uses the certificate's CN as the user name.
    pub fn mutual_tls(
        ca_pem: &str,
        server_cert_pem: &str,
        server_key_pem: &str,
    ) -> anyhow::Result<Mosquitto> {
        let dir = tempfile::tempdir()?;
        let write = |name: &str, text: &str| -> anyhow::Result<std::path::PathBuf> {
            let path = dir.path().join(name);
            std::fs::write(&path, text)?;
            Ok(path)
        };
        let ca = write("ca.pem", ca_pem)?;
        let cert = write("server.pem", server_cert_pem)?;
        let key = write("server.key", server_key_pem)?;
        let settings = format!(
            "cafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate true\nuse_identity_as_username true\n",
            ca.display(),
            cert.display(),
            key.display()
        );
        Mosquitto::start(dir, settings)
    }

    /// The loopback port the broker listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The broker's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }

    /// Stops the broker (as a crash would); [`Self::start_again`] brings it back.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A new Mosquitto on the same port with the same configuration.
    pub fn start_again(&mut self) -> anyhow::Result<()> {
        self.stop();
        let config = self.dir.path().join("mosquitto.conf");
        let started = std::time::Instant::now();
        loop {
            match spawn_and_wait(&config, self.dir.path(), self.port) {
                Ok(child) => {
                    self.child = child;
                    return Ok(());
                }
                Err(err) if started.elapsed() > Duration::from_secs(15) => return Err(err),
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    fn start(dir: tempfile::TempDir, settings: String) -> anyhow::Result<Mosquitto> {
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            // `user root`: mosquitto started as root otherwise drops to user `mosquitto`,
            // which cannot read the files in our root-owned temp dir. Ignored when not root.
            let config = format!(
                "listener {port} 127.0.0.1\n{settings}persistence false\nuser root\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\nconnection_messages true\n"
            );
            let config_path = dir.path().join("mosquitto.conf");
            std::fs::write(&config_path, config)?;
            match spawn_and_wait(&config_path, dir.path(), port) {
                Ok(child) => return Ok(Mosquitto { child, port, dir }),
                Err(err) => last_error = Some(err),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("mosquitto did not start")))
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_and_wait(config: &Path, dir: &Path, port: u16) -> anyhow::Result<Child> {
    let log = File::create(dir.join("mosquitto.log"))?;
    let mut child = Command::new(MOSQUITTO)
        .arg("-c")
        .arg(config)
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .spawn()
        .context("starting /usr/sbin/mosquitto")?;
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            let log = std::fs::read_to_string(dir.join("mosquitto.log")).unwrap_or_default();
            bail!("mosquitto exited with {status}: {log}");
        }
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return Ok(child);
        }
        if started.elapsed() > STARTUP_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            bail!("mosquitto did not accept connections on port {port}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
