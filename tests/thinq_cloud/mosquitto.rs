//! A real mosquitto with mutual TLS (`require_certificate true`), the stand-in for AWS IoT
//! Core. Started on a free loopback port, stopped by its PID.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::pki::{Leaf, TestCa};

pub const BINARY: &str = "/usr/sbin/mosquitto";

pub fn available() -> bool {
    if Path::new(BINARY).exists() {
        true
    } else {
        eprintln!("SKIPPED: {BINARY} is not installed; the mutual-TLS push tests need it");
        false
    }
}

pub struct Mosquitto {
    pub port: u16,
    pub dir: PathBuf,
    child: Option<Child>,
}

impl Mosquitto {
    /// Writes CA, server certificate and config into `dir` and starts the broker.
    pub async fn start(dir: &Path, ca: &TestCa, port: Option<u16>) -> Mosquitto {
        let server: Leaf = ca.server_cert();
        std::fs::write(dir.join("ca.pem"), &ca.pem).unwrap();
        std::fs::write(dir.join("server.pem"), &server.cert_pem).unwrap();
        std::fs::write(dir.join("server.key"), &server.key_pem).unwrap();
        let port = port.unwrap_or_else(free_port);
        let config = format!(
            "user root\n\
             persistence false\n\
             log_dest file {log}\n\
             log_type all\n\
             listener {port} 127.0.0.1\n\
             allow_anonymous true\n\
             cafile {dir}/ca.pem\n\
             certfile {dir}/server.pem\n\
             keyfile {dir}/server.key\n\
             require_certificate true\n",
            log = dir.join("mosquitto.log").display(),
            dir = dir.display(),
        );
        std::fs::write(dir.join("mosquitto.conf"), config).unwrap();
        let mut broker = Mosquitto {
            port,
            dir: dir.to_owned(),
            child: None,
        };
        broker.spawn().await;
        broker
    }

    async fn spawn(&mut self) {
        let child = Command::new(BINARY)
            .arg("-c")
            .arg(self.dir.join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto starts");
        self.child = Some(child);
        // Wait until it listens (an upper bound, not a speed assumption).
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("mosquitto did not listen on port {}", self.port);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub async fn restart(&mut self) {
        self.stop();
        self.spawn().await;
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("mosquitto.log")).unwrap_or_default()
    }

    /// Publishes `payload` at QoS 1 with `mosquitto_pub`, as another client of the same CA.
    pub fn publish(&self, publisher: &Leaf, topic: &str, payload: &[u8]) {
        let cert = self.dir.join("pub.pem");
        let key = self.dir.join("pub.key");
        let message = self.dir.join("message.bin");
        std::fs::write(&cert, &publisher.cert_pem).unwrap();
        std::fs::write(&key, &publisher.key_pem).unwrap();
        std::fs::write(&message, payload).unwrap();
        let status = Command::new("mosquitto_pub")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-i",
                "lg-publisher",
                "-q",
                "1",
                "-t",
                topic,
            ])
            .arg("--cafile")
            .arg(self.dir.join("ca.pem"))
            .arg("--cert")
            .arg(&cert)
            .arg("--key")
            .arg(&key)
            .arg("-f")
            .arg(&message)
            .status()
            .expect("mosquitto_pub runs");
        assert!(status.success(), "mosquitto_pub failed: {status}");
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
