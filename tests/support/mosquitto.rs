//! Real Mosquitto brokers for tests — the one wrapper every test binary uses.
//!
//! Two kinds, as in production: [`Mosquitto::plain_with_password`] is Home Assistant's side
//! (the Mosquitto add-on: user name and password), [`Mosquitto::mutual_tls`] stands in for
//! AWS IoT Core (`require_certificate true`). Each runs in its own temporary directory on a
//! free loopback port and is stopped, by its PID, when the value is dropped.
//!
//! Fault tests can [`stop`](Mosquitto::stop) a broker and [`start_again`](Mosquitto::start_again)
//! it on the same port with the same configuration, and make the password broker refuse a
//! subscription ([`deny_subscribe`](Mosquitto::deny_subscribe)).
//!
//! A missing Mosquitto is a failure, never a skip: a test that needs it panics with exactly
//! [`INSTALL_HINT`]. Each program's path can be overridden with an environment variable
//! (`THINQ_TEST_MOSQUITTO`, `THINQ_TEST_MOSQUITTO_SUB`, …; see [`tool`]) so CI can show
//! that failure by pointing one at a path that does not exist.

use std::fs::{File, OpenOptions};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// The one line a test prints when Mosquitto (or one of its clients) is not installed.
pub const INSTALL_HINT: &str = "install mosquitto: apt-get install mosquitto mosquitto-clients";
/// How long a broker may take to accept connections (or to free its port) before the test
/// gives up: a bound, not a speed assumption.
const STARTUP_LIMIT: Duration = Duration::from_secs(15);
/// Attempts with a new port when another process took the free one first.
const PORT_ATTEMPTS: usize = 5;
/// The role `mosquitto_ctrl dynsec init` gives its client; our test user gets it.
const DYNSEC_ROLE: &str = "admin";
/// The role of the clients of [`Mosquitto::mutual_tls_with_access_rules`].
const PUSH_ROLE: &str = "push-clients";
/// Priority of a deny rule: above the role's allow-everything rules.
const DENY_PRIORITY: i32 = 100;

/// The path of Mosquitto program `name` (`mosquitto`, `mosquitto_sub`, `mosquitto_pub`,
/// `mosquitto_rr`, `mosquitto_ctrl`).
///
/// `THINQ_TEST_<NAME>` (upper case) overrides it; otherwise the broker is
/// `/usr/sbin/mosquitto` (not on a normal user's PATH) and the clients are looked up on PATH.
/// Panics with [`INSTALL_HINT`] when the program is not there, so the failure says what to do.
pub fn tool(name: &str) -> PathBuf {
    let variable = format!("THINQ_TEST_{}", name.to_uppercase());
    let path = match std::env::var_os(&variable) {
        Some(path) => Some(PathBuf::from(path)),
        None if name == "mosquitto" => Some(PathBuf::from("/usr/sbin/mosquitto")),
        None => std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        }),
    };
    match path {
        Some(path) if path.is_file() => path,
        _ => panic!("{INSTALL_HINT}"),
    }
}

/// A running (or stopped) Mosquitto broker.
pub struct Mosquitto {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    /// The user who may change the access rules (the password broker's own user).
    user: Option<(String, String)>,
    /// Where that user connects when it is not [`port`](Self::port) (the mutual-TLS broker's
    /// plain administration listener), and the dynamic-security role the rules go to.
    admin_port: Option<u16>,
    role: &'static str,
}

impl Mosquitto {
    /// A broker that accepts only `user` with `password` (no TLS).
    ///
    /// Users and access rules live in Mosquitto's dynamic-security plugin rather than a
    /// password file and `acl_file`, because Mosquitto 2.0's `acl_file` never checks
    /// SUBSCRIBE (it grants every subscription); only the plugin can refuse one in the
    /// SUBACK, which [`deny_subscribe`](Mosquitto::deny_subscribe) needs.
    pub fn plain_with_password(user: &str, password: &str) -> anyhow::Result<Mosquitto> {
        let plugin = dynamic_security_plugin(&tool("mosquitto"));
        let dir = tempfile::tempdir()?;
        let (store, rules) = open_rules(dir.path(), user, password)?;
        std::fs::write(&store, serde_json::to_vec_pretty(&rules)?)?;
        let settings = format!(
            "allow_anonymous false\nplugin {}\nplugin_opt_config_file {}\n",
            plugin.display(),
            store.display()
        );
        let mut started = Mosquitto::start(dir, settings)?;
        started.user = Some((user.to_owned(), password.to_owned()));
        Ok(started)
    }

    /// A broker that speaks TLS with `server_cert_pem`/`server_key_pem`, requires a client
    /// certificate signed by `ca_pem`, and uses the certificate's CN as the user name.
    pub fn mutual_tls(
        ca_pem: &str,
        server_cert_pem: &str,
        server_key_pem: &str,
    ) -> anyhow::Result<Mosquitto> {
        tool("mosquitto");
        let dir = tempfile::tempdir()?;
        let settings = mutual_tls_settings(dir.path(), ca_pem, server_cert_pem, server_key_pem)?;
        Mosquitto::start(dir, settings)
    }

    /// [`mutual_tls`](Self::mutual_tls) with access rules, as AWS IoT Core has in each
    /// certificate's policy: `clients` (certificate common names, such as `lg_thinq` for the
    /// bridge and `thinq-sim` for the simulator) may publish and subscribe anywhere, until
    /// [`deny_subscribe`](Self::deny_subscribe) makes the broker refuse a filter in the SUBACK.
    /// Rules are changed on a second, plain loopback listener by an administrator only.
    pub fn mutual_tls_with_access_rules(
        ca_pem: &str,
        server_cert_pem: &str,
        server_key_pem: &str,
        clients: &[&str],
    ) -> anyhow::Result<Mosquitto> {
        let plugin = dynamic_security_plugin(&tool("mosquitto"));
        let (admin, password) = ("rules-admin", "rules-admin-secret-5d1e");
        let dir = tempfile::tempdir()?;
        let (store, mut rules) = open_rules(dir.path(), admin, password)?;
        // Known clients only: one a certificate names but the rules do not is refused
        // every subscription, as an AWS IoT certificate without a policy.
        rules["roles"]
            .as_array_mut()
            .context("dynsec roles")?
            .push(serde_json::json!({"rolename": PUSH_ROLE, "acls": []}));
        let clients_json = rules["clients"].as_array_mut().context("dynsec clients")?;
        for client in clients {
            clients_json.push(serde_json::json!({
                "username": client, "roles": [{"rolename": PUSH_ROLE}]
            }));
        }
        std::fs::write(&store, serde_json::to_vec_pretty(&rules)?)?;
        let tls = mutual_tls_settings(dir.path(), ca_pem, server_cert_pem, server_key_pem)?;
        let admin_port = free_port()?;
        // TLS options belong to the listener above them; the plugin and the refusal of
        // anonymous clients are global (`per_listener_settings false`).
        let settings = format!(
            "{tls}listener {admin_port} 127.0.0.1\n\
             per_listener_settings false\nallow_anonymous false\nplugin {}\nplugin_opt_config_file {}\n",
            plugin.display(),
            store.display()
        );
        let mut started = Mosquitto::start(dir, settings)?;
        started.user = Some((admin.to_owned(), password.to_owned()));
        started.admin_port = Some(admin_port);
        started.role = PUSH_ROLE;
        Ok(started)
    }

    /// The loopback port the broker listens on (the same across [`start_again`](Self::start_again)).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The broker's log of every run so far (for failure messages and assertions).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }

    /// Stops the broker with SIGTERM, as a Supervisor or an orderly host shutdown would, and
    /// waits for it to exit. Clients see their connection closed. Does nothing when stopped.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = libc::pid_t::try_from(child.id()).expect("a PID fits pid_t");
            // SAFETY: kill(2) with a PID we spawned and have not yet waited for, so it cannot
            // have been reused by another process.
            unsafe { libc::kill(pid, libc::SIGTERM) };
            let _ = child.wait();
        }
    }

    /// Starts a new Mosquitto on the same port with the same configuration (password and
    /// access rules, or TLS files) after [`stop`](Self::stop). Retries while the old socket
    /// still holds the port, up to a generous bound.
    pub fn start_again(&mut self) -> anyhow::Result<()> {
        self.stop();
        let config = self.dir.path().join("mosquitto.conf");
        let started = Instant::now();
        loop {
            match spawn_and_wait(&config, self.dir.path(), self.port) {
                Ok(child) => {
                    self.child = Some(child);
                    return Ok(());
                }
                Err(err) if started.elapsed() > STARTUP_LIMIT => return Err(err),
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    /// Makes the broker (the password one, or the mutual-TLS one with access rules) refuse
    /// (SUBACK failure, 0x80) any SUBSCRIBE whose filter is
    /// exactly `filter`, from now on and across [`start_again`](Self::start_again). Other
    /// filters and existing subscriptions are untouched. Takes effect before it returns.
    pub fn deny_subscribe(&self, filter: &str) -> anyhow::Result<()> {
        self.dynsec(serde_json::json!({
            "command": "addRoleACL", "rolename": self.role, "acltype": "subscribeLiteral",
            "topic": filter, "priority": DENY_PRIORITY, "allow": false
        }))
    }

    /// Undoes [`deny_subscribe`](Self::deny_subscribe) for `filter`.
    pub fn allow_subscribe(&self, filter: &str) -> anyhow::Result<()> {
        self.dynsec(serde_json::json!({
            "command": "removeRoleACL", "rolename": self.role,
            "acltype": "subscribeLiteral", "topic": filter
        }))
    }

    /// Publishes `payload` at QoS 1 with `mosquitto_pub` to the mutual-TLS broker, as
    /// another client presenting `identity` (certificate PEM, key PEM) from the same CA.
    pub fn publish(
        &self,
        identity: (&str, &str),
        topic: &str,
        payload: &[u8],
    ) -> anyhow::Result<()> {
        let dir = self.dir.path();
        let (cert, key, message) = (
            dir.join("pub.pem"),
            dir.join("pub.key"),
            dir.join("message.bin"),
        );
        std::fs::write(&cert, identity.0)?;
        std::fs::write(&key, identity.1)?;
        std::fs::write(&message, payload)?;
        run(Command::new(tool("mosquitto_pub"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-q",
                "1",
                "-t",
                topic,
            ])
            .arg("--cafile")
            .arg(dir.join("ca.pem"))
            .arg("--cert")
            .arg(&cert)
            .arg("--key")
            .arg(&key)
            .arg("-f")
            .arg(&message))
        .context("mosquitto_pub")
    }

    /// One dynamic-security command, sent as the password broker's user with `mosquitto_rr`
    /// (request and response), so it has been applied when this returns. Not
    /// `mosquitto_ctrl`: in Mosquitto 2.0 it spins a CPU for ten seconds per command.
    fn dynsec(&self, command: serde_json::Value) -> anyhow::Result<()> {
        let Some((user, password)) = &self.user else {
            bail!("only the password broker has access rules");
        };
        let request = serde_json::json!({ "commands": [command] }).to_string();
        let output = Command::new(tool("mosquitto_rr"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.admin_port.unwrap_or(self.port).to_string(),
                "-u",
                user,
                "-P",
                password,
            ])
            .args(["-t", "$CONTROL/dynamic-security/v1"])
            .args(["-e", "$CONTROL/dynamic-security/v1/response"])
            .args(["-W", "10", "-m", &request])
            .stdin(Stdio::null())
            .output()?;
        let response = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() || response.contains("\"error\"") {
            bail!(
                "dynamic-security command {request} failed ({}): {response} {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
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
                Ok(child) => {
                    return Ok(Mosquitto {
                        child: Some(child),
                        port,
                        dir,
                        user: None,
                        admin_port: None,
                        role: DYNSEC_ROLE,
                    });
                }
                Err(err) => last_error = Some(err),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("mosquitto did not start")))
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts Mosquitto with `config` (its log appended to `dir/mosquitto.log`) and waits until
/// it accepts connections on `port`.
fn spawn_and_wait(config: &Path, dir: &Path, port: u16) -> anyhow::Result<Child> {
    let log_path = dir.join("mosquitto.log");
    let log: File = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)?;
    let mut child = Command::new(tool("mosquitto"))
        .arg("-c")
        .arg(config)
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .spawn()
        .context("starting mosquitto")?;
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
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

/// The settings of a listener that speaks TLS with the server certificate and key, requires
/// a client certificate signed by `ca_pem`, and takes the certificate's CN as the client's
/// name, without a password, as AWS IoT identifies a device; the PEM files go to `dir`.
fn mutual_tls_settings(
    dir: &Path,
    ca_pem: &str,
    server_cert_pem: &str,
    server_key_pem: &str,
) -> anyhow::Result<String> {
    let write = |name: &str, text: &str| -> anyhow::Result<PathBuf> {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        Ok(path)
    };
    let ca = write("ca.pem", ca_pem)?;
    let cert = write("server.pem", server_cert_pem)?;
    let key = write("server.key", server_key_pem)?;
    Ok(format!(
        "cafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate true\nuse_identity_as_username true\n",
        ca.display(),
        cert.display(),
        key.display()
    ))
}

/// A dynamic-security store in `dir` whose administrator is `admin` with `password`, and its
/// rules (not yet written back): `mosquitto_ctrl dynsec init` hashes the password the
/// plugin's way; the administrator may only manage the plugin, and every topic is open to
/// every client, as the Mosquitto add-on does for its users.
fn open_rules(
    dir: &Path,
    admin: &str,
    password: &str,
) -> anyhow::Result<(PathBuf, serde_json::Value)> {
    let store = dir.join("dynamic-security.json");
    run(Command::new(tool("mosquitto_ctrl"))
        .args(["dynsec", "init"])
        .arg(&store)
        .args([admin, password]))
    .context("mosquitto_ctrl dynsec init")?;
    let mut rules: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&store)?)?;
    rules["defaultACLAccess"] = serde_json::json!({
        "publishClientSend": true, "publishClientReceive": true,
        "subscribe": true, "unsubscribe": true
    });
    Ok((store, rules))
}

/// Runs a Mosquitto client program to completion; its stderr becomes the error.
fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command.stdin(Stdio::null()).output()?;
    if !output.status.success() {
        bail!(
            "{}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Mosquitto's dynamic-security plugin, installed by the same package as the broker: next to
/// a broker under an override's prefix, else in the distribution's library directories.
fn dynamic_security_plugin(broker: &Path) -> PathBuf {
    const NAME: &str = "mosquitto_dynamic_security.so";
    let prefix = broker
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("/usr"));
    let mut dirs = vec![
        prefix.join("lib"),
        PathBuf::from("/usr/lib"),
        PathBuf::from("/usr/local/lib"),
    ];
    for base in dirs.clone() {
        if let Ok(entries) = std::fs::read_dir(&base) {
            dirs.extend(
                entries
                    .flatten()
                    .map(|entry| entry.path())
                    .filter(|p| p.is_dir()),
            );
        }
    }
    dirs.into_iter()
        .map(|dir| dir.join(NAME))
        .find(|path| path.is_file())
        .unwrap_or_else(|| panic!("{INSTALL_HINT}"))
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
