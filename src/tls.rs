//! TLS client settings shared by every connection that verifies a public server.
//!
//! ring is always passed explicitly (never the process default), and the trust roots are the
//! Mozilla set compiled in from webpki-roots, so the add-on does not depend on the image's CA
//! bundle. LG's push broker, whose CA is pinned, has its own setup in [`crate::thinq::push`].

use std::sync::Arc;

/// A rustls client config for public servers: ring, safe protocol versions, Mozilla roots,
/// no client certificate.
pub fn public_client_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth())
}
