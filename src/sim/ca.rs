//! A throw-away certificate authority that plays LG's (and Amazon's) part in tests and in
//! the demo.
//!
//! On the real service, `POST /client/certificate` has LG sign our CSR and AWS IoT trusts the
//! result, while the broker presents a certificate under Amazon Root CA 1. Here one test CA
//! does all of that: it signs the broker's server certificate, the simulator's own client
//! certificate, and every CSR the bridge sends, so pushes really travel over mutual TLS.

use anyhow::Context as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use rustls_pki_types::CertificateSigningRequestDer;
use time::{Duration, OffsetDateTime};

/// How long the certificates the test CA issues are valid. Long enough for any demo run;
/// the start lies a day back so clock skew between processes never matters.
const VALIDITY_DAYS: i64 = 3650;

/// The default validity of the certificates the test CA issues (see [`VALIDITY_DAYS`]).
pub const DEFAULT_VALIDITY: std::time::Duration =
    std::time::Duration::from_secs(VALIDITY_DAYS as u64 * 24 * 3600);

/// A test CA: its certificate (PEM) and the key that signs with it.
pub struct TestCa {
    ca_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the CA key.
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

impl TestCa {
    /// Makes a new CA with a fresh P-256 key.
    pub fn generate() -> anyhow::Result<TestCa> {
        let key = KeyPair::generate().context("generating the test CA key")?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name = common_name("thinq-addon test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        set_validity(&mut params);
        let cert = params
            .self_signed(&key)
            .context("self-signing the test CA")?;
        Ok(TestCa {
            ca_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA certificate, PEM: what clients trust (in place of Amazon Root CA 1).
    pub fn ca_pem(&self) -> String {
        self.ca_pem.clone()
    }

    /// A server certificate for `names` (DNS names or IP addresses, e.g. `127.0.0.1`), with
    /// its new key. Returns `(certificate PEM, PKCS#8 key PEM)`.
    pub fn server_cert(&self, names: &[&str]) -> anyhow::Result<(String, String)> {
        let cn = names.first().copied().unwrap_or("localhost");
        self.leaf(
            names.iter().map(|n| n.to_string()).collect(),
            cn,
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    /// A client certificate with common name `cn`, with its new key.
    /// Returns `(certificate PEM, PKCS#8 key PEM)`.
    pub fn client_cert(&self, cn: &str) -> anyhow::Result<(String, String)> {
        self.leaf(Vec::new(), cn, ExtendedKeyUsagePurpose::ClientAuth)
    }

    /// Signs a PKCS#10 CSR (DER) the way LG's `/client/certificate` does: the CSR is parsed
    /// and its signature verified, and the subject and public key from it go into a client
    /// certificate. Returns the certificate PEM.
    pub fn sign_csr_der(&self, csr_der: &[u8]) -> anyhow::Result<String> {
        self.sign_csr_der_valid_for(csr_der, DEFAULT_VALIDITY)
    }

    /// [`sign_csr_der`](Self::sign_csr_der) with `notAfter` = now + `validity` (whole
    /// seconds, as X.509 counts), so tests can have a certificate run out. LG documents no
    /// validity; a client must read `notAfter` from what it gets (thinq-api.md §9).
    pub fn sign_csr_der_valid_for(
        &self,
        csr_der: &[u8],
        validity: std::time::Duration,
    ) -> anyhow::Result<String> {
        let seconds = i64::try_from(validity.as_secs()).unwrap_or(i64::MAX / 2);
        let not_after = OffsetDateTime::now_utc()
            .checked_add(Duration::seconds(seconds))
            .unwrap_or_else(|| OffsetDateTime::now_utc() + Duration::days(VALIDITY_DAYS));
        self.sign_csr_der_until(csr_der, not_after)
    }

    /// [`sign_csr_der`](Self::sign_csr_der) with the certificate valid only until
    /// `not_after`: tests of certificate renewal need one that is about to expire.
    pub fn sign_csr_der_until(
        &self,
        csr_der: &[u8],
        not_after: OffsetDateTime,
    ) -> anyhow::Result<String> {
        let der = CertificateSigningRequestDer::from(csr_der);
        let mut csr = CertificateSigningRequestParams::from_der(&der)
            .context("the CSR cannot be parsed or its signature does not verify")?;
        // Whatever the CSR asked for, LG issues a plain client certificate.
        csr.params.is_ca = IsCa::ExplicitNoCa;
        csr.params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        csr.params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        csr.params.serial_number = Some(random_serial());
        set_validity(&mut csr.params);
        csr.params.not_after = not_after;
        let cert = csr
            .signed_by(&self.issuer)
            .context("signing the CSR with the test CA")?;
        Ok(cert.pem())
    }

    fn leaf(
        &self,
        names: Vec<String>,
        cn: &str,
        usage: ExtendedKeyUsagePurpose,
    ) -> anyhow::Result<(String, String)> {
        let key = KeyPair::generate().context("generating a certificate key")?;
        let mut params = CertificateParams::new(names).context("certificate names")?;
        params.distinguished_name = common_name(cn);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![usage];
        params.serial_number = Some(random_serial());
        set_validity(&mut params);
        let cert = params
            .signed_by(&key, &self.issuer)
            .context("signing a certificate with the test CA")?;
        Ok((cert.pem(), key.serialize_pem()))
    }
}

fn common_name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

fn set_validity(params: &mut CertificateParams) {
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(VALIDITY_DAYS);
}

/// A random positive 16-byte serial, so that no two certificates share one.
fn random_serial() -> SerialNumber {
    let mut bytes = *uuid::Uuid::new_v4().as_bytes();
    bytes[0] &= 0x7f;
    SerialNumber::from_slice(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_a_csr_and_keeps_its_subject() {
        let ca = TestCa::generate().expect("ca");
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name = common_name("lg_thinq");
        let csr = params.serialize_request(&key).expect("csr");
        let pem = ca.sign_csr_der(csr.der()).expect("signed");
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let der = <rustls_pki_types::CertificateDer<'static> as rustls_pki_types::pem::PemObject>::from_pem_slice(pem.as_bytes()).expect("pem");
        verify_client_cert(&ca, &der).expect("the signed certificate verifies against the CA");
        // The subject comes from the CSR (CN as a UTF8String).
        assert!(der.windows(8).any(|w| w == b"lg_thinq"));
    }

    /// Checks `der` the way a TLS server would: chain to the CA, validity, client-auth EKU.
    fn verify_client_cert(
        ca: &TestCa,
        der: &rustls_pki_types::CertificateDer<'static>,
    ) -> Result<(), rustls::Error> {
        use rustls_pki_types::pem::PemObject as _;
        let mut roots = rustls::RootCertStore::empty();
        let ca_der = rustls_pki_types::CertificateDer::from_pem_slice(ca.ca_pem().as_bytes())
            .expect("ca pem");
        roots.add(ca_der).expect("root");
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                .build()
                .expect("verifier");
        verifier
            .verify_client_cert(der, &[], rustls_pki_types::UnixTime::now())
            .map(|_| ())
    }

    #[test]
    fn client_certificates_verify_against_the_ca() {
        let ca = TestCa::generate().expect("ca");
        let (pem, key) = ca.client_cert("thinq-sim").expect("client cert");
        assert!(key.contains("PRIVATE KEY"));
        let der = <rustls_pki_types::CertificateDer<'static> as rustls_pki_types::pem::PemObject>::from_pem_slice(pem.as_bytes()).expect("pem");
        verify_client_cert(&ca, &der).expect("verifies");
        let other = TestCa::generate().expect("other ca");
        let (foreign, _) = other.client_cert("x").expect("foreign");
        let foreign = <rustls_pki_types::CertificateDer<'static> as rustls_pki_types::pem::PemObject>::from_pem_slice(foreign.as_bytes()).expect("pem");
        assert!(
            verify_client_cert(&ca, &foreign).is_err(),
            "a certificate from another CA must not verify"
        );
    }

    #[test]
    fn refuses_garbage() {
        let ca = TestCa::generate().expect("ca");
        assert!(ca.sign_csr_der(b"not a csr").is_err());
    }
}
