//! The client id, private key and certificate kept under the data dir.
//!
//! LG asks clients not to register ids excessively (calls may be blocked), and every fresh
//! certificate costs three API calls, so both are made once and kept: the client id forever,
//! the key and certificate until they expire, belong to another client id, or the broker
//! rejects them ([`CredentialStore::forget_certificate`]). HA makes a new key at every start;
//! we do not. Files are written atomically (temp file, fsync, rename) so a power cut never
//! leaves half a key, and the key is created with mode 0600.
//!
//! Files in the data dir:
//! * `thinq-client-id`: the generated client id (one line).
//! * `thinq-mqtt-key.pem`: the RSA-2048 private key, PKCS#8 PEM, mode 0600.
//! * `thinq-mqtt-identity.json`: the client id the certificate was issued for, the
//!   certificate PEM and the topic. Written after the key, so a crash in between leaves a
//!   certificate that does not match the key, which is detected and reissued.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_RSA_SHA512, PublicKeyData,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use serde::{Deserialize, Serialize};

use super::api::ThinqApi;
use super::error::ApiError;
use crate::secret::Secret;

const CLIENT_ID_FILE: &str = "thinq-client-id";
const KEY_FILE: &str = "thinq-mqtt-key.pem";
const IDENTITY_FILE: &str = "thinq-mqtt-identity.json";

/// Prefix of generated client ids (HA uses `home-assistant-`), so LG's side can tell us apart.
pub const CLIENT_ID_PREFIX: &str = "thinq-addon-";

/// A certificate this close to its end is replaced before connecting.
const RENEW_BEFORE_EXPIRY: Duration = Duration::from_secs(24 * 3600);

/// The subject LG's SDKs put in the CSR.
const CSR_COMMON_NAME: &str = "lg_thinq";

/// Everything the push session needs to log in to LG's broker.
#[derive(Debug, Clone, PartialEq)]
pub struct MqttIdentity {
    /// The MQTT client id: the same string as the REST `x-client-id`.
    pub client_id: String,
    /// PKCS#8 PEM of the RSA key.
    pub private_key_pem: Secret,
    /// The certificate LG issued for the key (PEM, possibly with its chain).
    pub certificate_pem: String,
    /// Every topic in the certificate answer's `subscriptions` (live answers list more
    /// than one; pushes may arrive on any of them, thinq-api.md §9).
    pub topics: Vec<String>,
    /// The certificate's `notAfter`: it is renewed a day before.
    pub not_after: SystemTime,
}

/// Why credentials could not be read, made or kept.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("key or certificate: {0}")]
    Key(String),
    #[error("LG issued a certificate without any topic to subscribe to")]
    NoSubscription,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> CredentialError + '_ {
    move |source| CredentialError::Io {
        path: path.to_owned(),
        source,
    }
}

#[derive(Serialize, Deserialize)]
struct StoredIdentity {
    client_id: String,
    certificate_pem: String,
    /// Written by earlier versions: the first subscription only.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    topic: String,
    #[serde(default)]
    topics: Vec<String>,
}

/// The credential files under one data dir.
#[derive(Debug, Clone)]
pub struct CredentialStore {
    dir: PathBuf,
}

impl CredentialStore {
    pub fn new(data_dir: &Path) -> Self {
        CredentialStore {
            dir: data_dir.to_owned(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The client id to use: the one from the options when given, else the stored one, else a
    /// new `thinq-addon-<uuid4>` that is stored (atomically) and kept for every later start.
    ///
    /// An id from the options is not written down, so removing it from the options falls back
    /// to the stored (or a newly generated) id. A stored file that is empty or not a plausible
    /// id is replaced with a warning.
    pub fn client_id(&self, from_options: Option<&str>) -> Result<String, CredentialError> {
        if let Some(id) = from_options.map(str::trim).filter(|id| !id.is_empty()) {
            return Ok(id.to_owned());
        }
        let path = self.path(CLIENT_ID_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => match std::str::from_utf8(&bytes).map(str::trim) {
                Ok(id) if is_plausible_client_id(id) => return Ok(id.to_owned()),
                _ => tracing::warn!(
                    "{} is unreadable; generating a new client id",
                    path.display()
                ),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&path)(e)),
        }
        let id = format!("{CLIENT_ID_PREFIX}{}", uuid::Uuid::new_v4());
        write_atomic(
            &self.dir,
            CLIENT_ID_FILE,
            format!("{id}\n").as_bytes(),
            0o600,
        )?;
        tracing::info!("generated ThinQ client id {id}");
        Ok(id)
    }

    /// The MQTT identity for `api`'s client id, and whether it was newly issued: the stored
    /// one when usable ([`Self::stored_identity`]), else a new one ([`Self::issue_identity`]).
    pub async fn identity(&self, api: &ThinqApi) -> Result<(MqttIdentity, bool), CredentialError> {
        if let Some(identity) = self.stored_identity(api.client_id()) {
            return Ok((identity, false));
        }
        Ok((self.issue_identity(api).await?, true))
    }

    /// The stored identity when it parses, its key and certificate belong together, it was
    /// issued for this client id and it is not within a day of expiry. No network.
    pub fn stored_identity(&self, client_id: &str) -> Option<MqttIdentity> {
        match self.load_identity(client_id) {
            Ok(Some(identity)) => {
                tracing::info!("reusing the stored ThinQ MQTT certificate");
                Some(identity)
            }
            Ok(None) => {
                tracing::info!("no usable ThinQ MQTT certificate stored; requesting one");
                None
            }
            Err(reason) => {
                tracing::warn!(
                    "stored ThinQ MQTT certificate not usable ({reason}); requesting a new one"
                );
                None
            }
        }
    }

    /// A new identity: `POST /client`, a new RSA-2048 key, a CSR (CN=lg_thinq),
    /// `POST /client/certificate`, and both stored (the key with mode 0600).
    pub async fn issue_identity(&self, api: &ThinqApi) -> Result<MqttIdentity, CredentialError> {
        let client_id = api.client_id().to_owned();
        api.register_client().await?;
        let (key_pem, csr_base64) = tokio::task::spawn_blocking(generate_key_and_csr)
            .await
            .map_err(|e| CredentialError::Key(format!("key generation task failed: {e}")))??;
        let issued = api.issue_certificate(&csr_base64).await?;
        let topics: Vec<String> = issued
            .subscriptions
            .into_iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        if topics.is_empty() {
            return Err(CredentialError::NoSubscription);
        }
        let not_after =
            check_certificate(&issued.certificate_pem, key_pem.expose()).map_err(|e| {
                CredentialError::Key(format!("LG's certificate does not fit our key: {e}"))
            })?;

        write_atomic(&self.dir, KEY_FILE, key_pem.expose().as_bytes(), 0o600)?;
        let stored = StoredIdentity {
            client_id: client_id.clone(),
            certificate_pem: issued.certificate_pem.clone(),
            topic: String::new(),
            topics: topics.clone(),
        };
        let json = serde_json::to_vec_pretty(&stored)
            .map_err(|e| CredentialError::Key(format!("serializing the identity: {e}")))?;
        write_atomic(&self.dir, IDENTITY_FILE, &json, 0o600)?;
        tracing::info!("stored a new ThinQ MQTT certificate");
        Ok(MqttIdentity {
            client_id,
            private_key_pem: key_pem,
            certificate_pem: issued.certificate_pem,
            topics,
            not_after,
        })
    }

    /// Drops the stored key and certificate (the broker rejected them); the next
    /// [`Self::identity`] issues new ones. The client id is kept.
    pub fn forget_certificate(&self) -> Result<(), CredentialError> {
        for name in [IDENTITY_FILE, KEY_FILE] {
            let path = self.path(name);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error(&path)(e)),
            }
        }
        Ok(())
    }

    /// The stored identity if it is usable; `Ok(None)` when nothing is stored, `Err(reason)`
    /// when something is stored but unusable.
    fn load_identity(&self, client_id: &str) -> Result<Option<MqttIdentity>, String> {
        let identity_path = self.path(IDENTITY_FILE);
        let key_path = self.path(KEY_FILE);
        let identity_bytes = match std::fs::read(&identity_path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", identity_path.display())),
        };
        let key_pem = match std::fs::read_to_string(&key_path) {
            Ok(pem) => pem,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err("the key file is missing".into());
            }
            Err(e) => return Err(format!("{}: {e}", key_path.display())),
        };
        let stored: StoredIdentity = serde_json::from_slice(&identity_bytes)
            .map_err(|e| format!("{}: {e}", identity_path.display()))?;
        if stored.client_id != client_id {
            return Err(format!("it was issued for client id {}", stored.client_id));
        }
        let mut topics = stored.topics.clone();
        if topics.is_empty() && !stored.topic.trim().is_empty() {
            topics.push(stored.topic.trim().to_owned());
        }
        if topics.is_empty() {
            return Err("no topic stored".into());
        }
        let not_after = check_certificate(&stored.certificate_pem, &key_pem)?;
        let remaining = not_after
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        if remaining < RENEW_BEFORE_EXPIRY {
            return Err("it expires within a day or has expired".into());
        }
        Ok(Some(MqttIdentity {
            client_id: stored.client_id,
            private_key_pem: Secret::new(key_pem),
            certificate_pem: stored.certificate_pem,
            topics,
            not_after,
        }))
    }
}

/// A client id read back from disk must be one line of visible ASCII, as we wrote it.
fn is_plausible_client_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic())
}

/// A new RSA-2048 key (PKCS#8 PEM) and a CSR for it with CN=lg_thinq, signed with SHA-512
/// like the Python SDK, as the base64 of its DER (the PEM body without armour or newlines,
/// which is what the SDK sends).
///
/// ring cannot generate RSA keys, so the `rsa` crate makes the key and ring (through rcgen)
/// signs. Takes tens of milliseconds in release builds: call it off the async threads.
pub fn generate_key_and_csr() -> Result<(Secret, String), CredentialError> {
    use rsa::pkcs8::EncodePrivateKey;

    let private = rsa::PrivateKey::new(&mut crypto_common::getrandom::SysRng, 2048)
        .map_err(|e| CredentialError::Key(format!("RSA key generation: {e}")))?;
    let der = private
        .to_pkcs8_der()
        .map_err(|e| CredentialError::Key(format!("PKCS#8 encoding: {e}")))?;
    let key_pair = KeyPair::from_pkcs8_der_and_sign_algo(
        &PrivatePkcs8KeyDer::from(der.as_bytes()),
        &PKCS_RSA_SHA512,
    )
    .map_err(|e| CredentialError::Key(format!("loading the RSA key: {e}")))?;
    let csr_base64 = csr_for(&key_pair)?;
    Ok((Secret::new(key_pair.serialize_pem()), csr_base64))
}

/// The base64 DER of a CSR with subject CN=lg_thinq (and nothing else) for this key.
pub fn csr_for(key_pair: &KeyPair) -> Result<String, CredentialError> {
    let mut params = CertificateParams::default();
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, CSR_COMMON_NAME);
    // Replace the whole name: the default carries a placeholder CN.
    params.distinguished_name = subject;
    let csr = params
        .serialize_request(key_pair)
        .map_err(|e| CredentialError::Key(format!("building the CSR: {e}")))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(csr.der()))
}

/// Checks that the first certificate of `certificate_pem` parses and carries the public key of
/// `key_pem`; returns its end of validity.
fn check_certificate(certificate_pem: &str, key_pem: &str) -> Result<SystemTime, String> {
    let key = KeyPair::from_pem(key_pem).map_err(|e| format!("the key does not parse: {e}"))?;
    let der = CertificateDer::pem_slice_iter(certificate_pem.as_bytes())
        .next()
        .ok_or("no certificate in the PEM")?
        .map_err(|e| format!("the certificate PEM does not parse: {e}"))?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der)
        .map_err(|e| format!("the certificate does not parse: {e}"))?;
    if cert.tbs_certificate.subject_pki.raw != key.subject_public_key_info().as_slice() {
        return Err("the certificate is for another key".into());
    }
    let not_after = cert.validity().not_after.timestamp();
    let not_after = u64::try_from(not_after).map_err(|_| "the certificate expired before 1970")?;
    Ok(UNIX_EPOCH + Duration::from_secs(not_after))
}

/// Writes `dir/name` so that readers see the old content or the new, never a mix: a temp
/// file in the same dir created with `mode`, fsynced, renamed over the target, dir fsynced.
pub fn write_atomic(
    dir: &Path,
    name: &str,
    contents: &[u8],
    mode: u32,
) -> Result<(), CredentialError> {
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let target = dir.join(name);
    let temp = dir.join(format!(".{name}.tmp-{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&temp)
            .map_err(io_error(&temp))?;
        // The mode given at creation is reduced by the umask; make it exact.
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(io_error(&temp))?;
        file.write_all(contents).map_err(io_error(&temp))?;
        file.sync_all().map_err(io_error(&temp))?;
        std::fs::rename(&temp, &target).map_err(io_error(&target))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result?;
    // Persist the rename itself; not every filesystem allows fsync on a dir, so best effort.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_is_generated_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = CredentialStore::new(dir.path());
        let first = store.client_id(None).unwrap();
        assert!(first.starts_with(CLIENT_ID_PREFIX), "{first}");
        let uuid = first.strip_prefix(CLIENT_ID_PREFIX).unwrap();
        assert_eq!(uuid::Uuid::parse_str(uuid).unwrap().get_version_num(), 4);
        assert_eq!(store.client_id(Some("  ")).unwrap(), first);
        assert_eq!(
            CredentialStore::new(dir.path()).client_id(None).unwrap(),
            first
        );
        let mode = std::fs::metadata(dir.path().join(CLIENT_ID_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn client_id_from_options_wins_and_is_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = CredentialStore::new(dir.path());
        let stored = store.client_id(None).unwrap();
        assert_eq!(store.client_id(Some(" mine ")).unwrap(), "mine");
        assert_eq!(store.client_id(None).unwrap(), stored);
    }

    #[test]
    fn corrupt_client_id_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CLIENT_ID_FILE), b"\xff\xfe not utf8").unwrap();
        let id = CredentialStore::new(dir.path()).client_id(None).unwrap();
        assert!(id.starts_with(CLIENT_ID_PREFIX));
        std::fs::write(dir.path().join(CLIENT_ID_FILE), b"   \n").unwrap();
        let again = CredentialStore::new(dir.path()).client_id(None).unwrap();
        assert!(again.starts_with(CLIENT_ID_PREFIX));
        assert_ne!(again, id);
    }

    #[test]
    fn atomic_write_replaces_content_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), "f", b"one", 0o600).unwrap();
        write_atomic(dir.path(), "f", b"two", 0o644).unwrap();
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"two");
        let mode = std::fs::metadata(dir.path().join("f"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["f"]);
    }

    #[test]
    fn atomic_write_creates_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        write_atomic(&nested, "f", b"x", 0o600).unwrap();
        assert_eq!(std::fs::read(nested.join("f")).unwrap(), b"x");
    }

    #[test]
    fn csr_is_rsa_2048_with_cn_lg_thinq() {
        let (key_pem, csr_base64) = generate_key_and_csr().unwrap();
        assert!(key_pem.expose().starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(!csr_base64.contains('\n') && !csr_base64.contains("BEGIN"));
        let der = base64::engine::general_purpose::STANDARD
            .decode(&csr_base64)
            .unwrap();
        let csr = rcgen::CertificateSigningRequestParams::from_der(&der.into()).unwrap();
        let subject: Vec<_> = csr.params.distinguished_name.iter().collect();
        assert_eq!(subject.len(), 1);
        assert_eq!(subject[0].0, &DnType::CommonName);
        assert_eq!(
            subject[0].1,
            &rcgen::DnValue::Utf8String(CSR_COMMON_NAME.into())
        );
        let key = KeyPair::from_pem(key_pem.expose()).unwrap();
        assert_eq!(csr.public_key.der_bytes(), key.der_bytes());
        // 2048-bit modulus: the PKCS#1 public key DER of RSA-2048 is 270 bytes.
        assert_eq!(key.der_bytes().len(), 270);
    }
}
