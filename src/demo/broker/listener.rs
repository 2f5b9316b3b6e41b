//! The embedded broker's listeners: accepting TCP connections under the connection cap, and
//! the mutual-TLS handshake that admits only clients with a certificate from the given CA.
//!
//! Apart from the packet loop ([`super::connection`]) because nothing here knows MQTT: a
//! listener hands a byte stream, plain or TLS, to [`serve`] and is done with it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;
use tracing::Instrument;

use super::connection::serve;
use super::{BrokerError, BrokerTls, Shared, TLS_HANDSHAKE_TIMEOUT};

/// How a listener admits clients.
#[derive(Clone)]
pub(super) enum Access {
    Plain,
    Tls(TlsAcceptor),
}

/// Binds `addr` and accepts clients on it in the background until shutdown. Returns the address
/// bound: the real port when 0 was asked for.
pub(super) async fn listen(
    addr: SocketAddr,
    access: Access,
    shared: Arc<Shared>,
) -> Result<SocketAddr, BrokerError> {
    let bind_error = |source| BrokerError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
    let bound = listener.local_addr().map_err(bind_error)?;
    let kind = match access {
        Access::Plain => "plain",
        Access::Tls(_) => "mutual TLS",
    };
    tracing::info!(%bound, "embedded MQTT broker listening ({kind})");
    tokio::spawn(accept_loop(listener, access, shared));
    Ok(bound)
}

/// A rustls server config that requires a client certificate chaining to `tls.ca_pem`.
pub(super) fn tls_acceptor(tls: &BrokerTls) -> Result<TlsAcceptor, BrokerError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(tls.ca_pem.as_bytes()) {
        let cert = cert.map_err(|source| BrokerError::Pem {
            what: "the client CA",
            source,
        })?;
        roots.add(cert)?;
    }
    if roots.is_empty() {
        return Err(BrokerError::NoCertificate("the client CA"));
    }
    // The builder requires authentication unless told otherwise: a client without a
    // certificate fails the handshake.
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
            .build()?;
    let chain = CertificateDer::pem_slice_iter(tls.server_cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| BrokerError::Pem {
            what: "the server certificate",
            source,
        })?;
    if chain.is_empty() {
        return Err(BrokerError::NoCertificate("the server certificate"));
    }
    let key = PrivateKeyDer::from_pem_slice(tls.server_key_pem.as_bytes()).map_err(|source| {
        BrokerError::Pem {
            what: "the server key",
            source,
        }
    })?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts connections until shutdown; each one is served by its own task.
async fn accept_loop(listener: TcpListener, access: Access, shared: Arc<Shared>) {
    loop {
        let accepted = tokio::select! {
            () = shared.shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(pair) => pair,
            Err(error) => {
                // Typically out of file descriptors: pause instead of spinning.
                tracing::warn!(%error, "accepting an MQTT connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&shared.connections).try_acquire_owned() else {
            tracing::warn!(%peer, "too many MQTT connections: refusing one");
            continue;
        };
        // Small control packets (PUBACK, PINGRESP) should not wait for Nagle.
        let _ = tcp.set_nodelay(true);
        let access = access.clone();
        let shared = Arc::clone(&shared);
        let listener_kind = match access {
            Access::Plain => "plain",
            Access::Tls(_) => "tls",
        };
        let span = tracing::debug_span!("mqtt", %peer, listener = listener_kind);
        tokio::spawn(
            async move {
                let _permit = permit;
                serve_tcp(tcp, access, &shared).await;
            }
            .instrument(span),
        );
    }
}

async fn serve_tcp(tcp: TcpStream, access: Access, shared: &Shared) {
    match access {
        Access::Plain => serve(tcp, shared).await,
        Access::Tls(acceptor) => {
            let handshake = tokio::select! {
                () = shared.shutdown.cancelled() => return,
                handshake = timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)) => handshake,
            };
            match handshake {
                Ok(Ok(tls)) => serve(tls, shared).await,
                Ok(Err(error)) => tracing::info!(%error, "TLS handshake refused"),
                Err(_) => tracing::info!("TLS handshake timed out"),
            }
        }
    }
}
