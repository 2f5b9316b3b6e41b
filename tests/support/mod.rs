//! The one test world every integration test starts from, in layers a test takes as far as
//! it needs:
//!
//! * LG's side ([`cloud`]): the simulated ThinQ cloud ([`start_sim`]), alone or with its push
//!   broker, a real mutual-TLS Mosquitto standing in for AWS IoT Core ([`PushCloud`]), and an
//!   MQTT [`Subscriber`] holding a certificate the cloud signed;
//! * a REST client that talks to it the way LG's SDK does ([`LgClient`]), or the add-on's
//!   own ([`thinq_api`]);
//! * the whole house ([`world`]): that cloud, Home Assistant's broker (a password Mosquitto),
//!   the real `thinq-addon` binary between them ([`bridge`]), a Home Assistant stand-in on
//!   its broker ([`watcher`]) and a reader that lists what Home Assistant would show
//!   ([`ha_reader`]);
//! * the brokers themselves ([`mosquitto`]): a missing Mosquitto fails a test with the
//!   install hint, never skips it.
#![allow(dead_code, unused_imports)] // each test binary uses a different part of this

pub mod bridge;
pub mod cloud;
pub mod ha_reader;
pub mod lg;
pub mod mosquitto;
pub mod watcher;
pub mod world;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

pub use cloud::{PushCloud, Subscriber, sim_and_client, start_sim};
pub use lg::{LgClient, code, thinq_api};
pub use mosquitto::Mosquitto;
pub use watcher::Watcher;
pub use world::{BRIDGE_STATE, World};

/// The PAT the simulated clouds accept.
pub const PAT: &str = "thinqpat_test_0123456789abcdef0123456789abcdef";
/// The API key LG's Python SDK sends.
pub const API_KEY: &str = "v6GFvkweNo7DK7yD3ylIZ9w52aKBU0eJ7wLXkSR3";
/// Generous bound for anything asynchronous to happen; a test fails only if it is exceeded.
pub const WAIT: Duration = Duration::from_secs(60);

/// Waits until `check` holds, looking every 20 ms; fails after [`WAIT`] naming `what`.
pub async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `127.0.0.1:0`.
pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// `ids`, sorted (LG lists them in no promised order).
pub fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// A rustls client config (ring) trusting `ca_pem`, optionally presenting a certificate.
pub fn tls_client_config(
    ca_pem: &str,
    identity: Option<(&str, &str)>,
) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert?)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots);
    let config = match identity {
        Some((cert_pem, key_pem)) => {
            let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()?;
            let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())?;
            builder.with_client_auth_cert(chain, key)?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}
