//! Built-in HTTPS (`TLS_CERT`, `TLS_KEY`): the certificate chain checked at start-up and by
//! `server check-deploy`, and a rustls listener for `axum::serve` whose requests are `https`.
//!
//! `TLS_CERT` must hold the full chain: the leaf first, then each intermediate, every
//! certificate issued by the one after it (the root may be left out). Browsers often repair a
//! missing or misplaced intermediate from their cache; curl, Python, mobile apps and strict TLS
//! 1.2 stacks do not. Such a file "works in the browser" and fails everywhere else, so the check
//! names the problem before the first client meets it.
//!
//! Renewed files are picked up while the server runs (see [`reloading`]): new connections get
//! the new certificate, open ones keep theirs.

use std::{future::Future, io, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Extension, Router,
    serve::{Listener, ListenerExt},
};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{mpsc, watch},
    task::JoinHandle,
};
use tokio_rustls::{
    TlsAcceptor,
    rustls::{
        self, ServerConfig,
        client::verify_server_name,
        crypto::CryptoProvider,
        pki_types::{CertificateDer, PrivateKeyDer, ServerName, pem::PemObject},
        server::ParsedCertificate,
        sign::CertifiedKey,
    },
    server::TlsStream,
};
use x509_parser::{
    certificate::X509Certificate, error::X509Error, extensions::GeneralName, prelude::FromDer,
    time::ASN1Time,
};

use crate::{config::TlsFiles, config::hosts::AllowedHosts, http::origin::ServedOverTls};

/// A client that has not finished its handshake by then is dropped (it holds a socket).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// A certificate this close to its end is reported, so renewal is not discovered by an outage.
const EXPIRY_WARNING_DAYS: i64 = 14;

/// Why the certificate files cannot be served. Each message is one line that names the file
/// and the certificate concerned.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    #[error("{var} {path} cannot be read: {reason}")]
    Unreadable {
        var: &'static str,
        path: String,
        reason: String,
    },
    #[error("{var} {path} is not valid PEM: {reason}")]
    BadPem {
        var: &'static str,
        path: String,
        reason: String,
    },
    #[error(
        "TLS_CERT {0} holds no certificate: expected PEM blocks \
         (-----BEGIN CERTIFICATE-----), the leaf first, then its intermediates"
    )]
    NoCertificate(String),
    #[error("TLS_KEY {0} holds no private key: expected a PEM PKCS#8, PKCS#1 or SEC1 key")]
    NoKey(String),
    #[error("certificate #{index} in TLS_CERT cannot be parsed: {reason}")]
    Unparsable { index: usize, reason: String },
    #[error(
        "TLS_CERT is out of order: certificate #{index} ({subject}) is issued by {issuer}, but \
         certificate #{next} is {next_subject}; list the leaf first, then the certificate that \
         issued it, and so on up the chain"
    )]
    OutOfOrder {
        index: usize,
        subject: String,
        issuer: String,
        next: usize,
        next_subject: String,
    },
    #[error(
        "TLS_CERT: the signature of certificate #{index} ({subject}) does not verify with the \
         key of certificate #{next} ({issuer}), although the names match: the chain mixes \
         certificates from different issuances"
    )]
    BadSignature {
        index: usize,
        subject: String,
        next: usize,
        issuer: String,
    },
    #[error("certificate #{index} in TLS_CERT ({subject}) expired on {date}")]
    Expired {
        index: usize,
        subject: String,
        date: String,
    },
    #[error("certificate #{index} in TLS_CERT ({subject}) is not valid before {date}")]
    NotYetValid {
        index: usize,
        subject: String,
        date: String,
    },
    #[error(
        "the leaf certificate ({subject}) is not for TLS servers: its extended key usage lacks \
         serverAuth"
    )]
    NotForServers { subject: String },
    #[error(
        "TLS_KEY does not match the leaf certificate ({subject}), the first certificate in \
         TLS_CERT: use the key the certificate was issued for"
    )]
    KeyMismatch { subject: String },
    #[error("TLS_KEY cannot be used: {0}")]
    KeyUnusable(String),
    #[error(
        "the leaf certificate ({subject}) does not cover ALLOWED_HOSTS entry {host:?}; it names: \
         {names}"
    )]
    HostNotCovered {
        subject: String,
        host: String,
        names: String,
    },
}

/// Certificate files that passed [`check`]: what to serve, and what is worth a warning.
pub struct CheckedChain {
    pub certs: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// Problems that do not stop the server but will stop some clients (a leaf-only file, a
    /// self-signed leaf, a certificate about to expire).
    pub warnings: Vec<String>,
}

/// Reads `files` and checks the chain: PEM present; each certificate issued (name and
/// signature) by the next; none expired or not yet valid; the key matches the leaf; the
/// leaf names every `hosts` entry (`*` is skipped; `.example.com` needs a name in that
/// domain).
pub fn check(files: &TlsFiles, hosts: Option<&AllowedHosts>) -> Result<CheckedChain, TlsError> {
    check_at(files, hosts, ASN1Time::now())
}

fn check_at(
    files: &TlsFiles,
    hosts: Option<&AllowedHosts>,
    now: ASN1Time,
) -> Result<CheckedChain, TlsError> {
    let cert_path = files.cert.display().to_string();
    let key_path = files.key.display().to_string();
    let cert_pem = read("TLS_CERT", &files.cert)?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| TlsError::BadPem {
            var: "TLS_CERT",
            path: cert_path.clone(),
            reason: pem_reason(&error),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(cert_path));
    }
    let key_pem = read("TLS_KEY", &files.key)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|error| match error {
        rustls::pki_types::pem::Error::NoItemsFound => TlsError::NoKey(key_path.clone()),
        other => TlsError::BadPem {
            var: "TLS_KEY",
            path: key_path.clone(),
            reason: pem_reason(&other),
        },
    })?;

    let parsed = certs
        .iter()
        .enumerate()
        .map(|(i, der)| {
            X509Certificate::from_der(der.as_ref())
                .map(|(_, cert)| cert)
                .map_err(|error| TlsError::Unparsable {
                    index: i + 1,
                    reason: error.to_string(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut warnings = Vec::new();
    check_order(&parsed)?;
    check_dates(&parsed, now, &mut warnings)?;
    let leaf = &parsed[0];
    check_server_usage(leaf)?;
    check_key(&certs, &key, leaf)?;
    if let Some(hosts) = hosts {
        check_names(&certs[0], leaf, hosts)?;
    }

    let self_signed = leaf.issuer().as_raw() == leaf.subject().as_raw();
    if self_signed {
        warnings.push(format!(
            "TLS_CERT is self-signed ({}): only clients told to trust this very certificate \
             will connect",
            describe(leaf)
        ));
    } else if parsed.len() == 1 {
        warnings.push(format!(
            "TLS_CERT holds only the leaf certificate ({}, issued by {}): clients that trust \
             only the root will fail to connect unless that issuer is itself a root; append \
             the intermediate certificate(s) after the leaf (the \"full chain\" file)",
            describe(leaf),
            leaf.issuer()
        ));
    }
    Ok(CheckedChain {
        certs,
        key,
        warnings,
    })
}

/// [`check`], then the rustls configuration that serves the chain (HTTP/1.1, TLS 1.2 and 1.3).
pub fn load(
    files: &TlsFiles,
    hosts: Option<&AllowedHosts>,
) -> Result<(Arc<ServerConfig>, Vec<String>), TlsError> {
    let CheckedChain {
        certs,
        key,
        warnings,
    } = check(files, hosts)?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|error| TlsError::KeyUnusable(error.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|error| TlsError::KeyUnusable(error.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(config), warnings))
}

/// ring: the provider rustls already uses in this binary (through sqlx).
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(var: &'static str, path: &std::path::Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|error| TlsError::Unreadable {
        var,
        path: path.display().to_string(),
        reason: error.to_string(),
    })
}

fn pem_reason(error: &rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error;
    match error {
        Error::MissingSectionEnd { .. } => "a PEM block has no END line".into(),
        Error::IllegalSectionStart { .. } => "a BEGIN line is malformed".into(),
        Error::Base64Decode(_) => "a PEM block is not valid base64".into(),
        other => other.to_string(),
    }
}

/// How a certificate is named in messages: its subject, e.g. `CN=scrum.example.com`.
fn describe(cert: &X509Certificate<'_>) -> String {
    let subject = cert.subject().to_string();
    if subject.is_empty() {
        "no subject name".into()
    } else {
        subject
    }
}

/// Each certificate must be issued by the next: the issuer's name, then its signature.
fn check_order(chain: &[X509Certificate<'_>]) -> Result<(), TlsError> {
    for (i, pair) in chain.windows(2).enumerate() {
        let (cert, issuer) = (&pair[0], &pair[1]);
        if cert.issuer().as_raw() != issuer.subject().as_raw() {
            return Err(TlsError::OutOfOrder {
                index: i + 1,
                subject: describe(cert),
                issuer: cert.issuer().to_string(),
                next: i + 2,
                next_subject: describe(issuer),
            });
        }
        match cert.verify_signature(Some(issuer.public_key())) {
            // An algorithm ring does not verify: the names matched, which is what clients
            // build the chain by; leave the signature to them.
            Ok(()) | Err(X509Error::SignatureUnsupportedAlgorithm) => {}
            Err(_) => {
                return Err(TlsError::BadSignature {
                    index: i + 1,
                    subject: describe(cert),
                    next: i + 2,
                    issuer: describe(issuer),
                });
            }
        }
    }
    Ok(())
}

fn check_dates(
    chain: &[X509Certificate<'_>],
    now: ASN1Time,
    warnings: &mut Vec<String>,
) -> Result<(), TlsError> {
    for (i, cert) in chain.iter().enumerate() {
        let validity = cert.validity();
        if now < validity.not_before {
            return Err(TlsError::NotYetValid {
                index: i + 1,
                subject: describe(cert),
                date: date(validity.not_before),
            });
        }
        if now > validity.not_after {
            return Err(TlsError::Expired {
                index: i + 1,
                subject: describe(cert),
                date: date(validity.not_after),
            });
        }
        let days_left = (validity.not_after.timestamp() - now.timestamp()) / 86_400;
        if days_left < EXPIRY_WARNING_DAYS {
            warnings.push(format!(
                "certificate #{} in TLS_CERT ({}) expires on {} (in {days_left} days): renew it",
                i + 1,
                describe(cert),
                date(validity.not_after)
            ));
        }
    }
    Ok(())
}

fn date(time: ASN1Time) -> String {
    chrono::DateTime::from_timestamp(time.timestamp(), 0)
        .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| time.to_string())
}

/// A leaf restricted to other uses (client auth, code signing) is refused by every client.
fn check_server_usage(leaf: &X509Certificate<'_>) -> Result<(), TlsError> {
    match leaf.extended_key_usage() {
        Ok(Some(usage)) if !(usage.value.server_auth || usage.value.any) => {
            Err(TlsError::NotForServers {
                subject: describe(leaf),
            })
        }
        _ => Ok(()),
    }
}

fn check_key(
    certs: &[CertificateDer<'static>],
    key: &PrivateKeyDer<'static>,
    leaf: &X509Certificate<'_>,
) -> Result<(), TlsError> {
    let signing_key = provider()
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(|error| TlsError::KeyUnusable(error.to_string()))?;
    match CertifiedKey::new(certs.to_vec(), signing_key).keys_match() {
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            Err(TlsError::KeyMismatch {
                subject: describe(leaf),
            })
        }
        // `Unknown`: this kind of key cannot tell its public half; rustls serves it anyway.
        _ => Ok(()),
    }
}

/// Every allowed host must be a name the leaf is valid for, as a client checks it. A
/// `.example.com` entry (the domain and any subdomain) cannot be checked name by name: the
/// leaf must at least name something in that domain.
fn check_names(
    leaf_der: &CertificateDer<'static>,
    leaf: &X509Certificate<'_>,
    hosts: &AllowedHosts,
) -> Result<(), TlsError> {
    let for_client =
        ParsedCertificate::try_from(leaf_der).map_err(|error| TlsError::Unparsable {
            index: 1,
            reason: error.to_string(),
        })?;
    let names = san_names(leaf);
    for host in hosts.entries() {
        if host == "*" {
            continue;
        }
        let covered = match host.strip_prefix('.') {
            Some(domain) => names.iter().any(|name| {
                let name = name.strip_prefix("*.").unwrap_or(name);
                name == domain || name.ends_with(&format!(".{domain}"))
            }),
            None => {
                let bare = host.trim_start_matches('[').trim_end_matches(']');
                ServerName::try_from(bare.to_owned())
                    .is_ok_and(|name| verify_server_name(&for_client, &name).is_ok())
            }
        };
        if !covered {
            return Err(TlsError::HostNotCovered {
                subject: describe(leaf),
                host: host.to_owned(),
                names: if names.is_empty() {
                    "no subject alternative names".into()
                } else {
                    names.join(", ")
                },
            });
        }
    }
    Ok(())
}

/// The DNS names and IP addresses of the leaf's subject alternative names.
fn san_names(leaf: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = leaf.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some(dns.to_ascii_lowercase()),
            GeneralName::IPAddress(bytes) => match bytes.len() {
                4 => <[u8; 4]>::try_from(*bytes)
                    .ok()
                    .map(|octets| std::net::Ipv4Addr::from(octets).to_string()),
                16 => <[u8; 16]>::try_from(*bytes)
                    .ok()
                    .map(|octets| std::net::Ipv6Addr::from(octets).to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// A TCP listener that hands `axum::serve` only connections whose TLS handshake finished.
/// Handshakes run in their own tasks (with a timeout), so a slow client never holds up the
/// others.
pub struct TlsListener {
    local_addr: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    accepting: JoinHandle<()>,
}

impl TlsListener {
    /// Serves each new connection with the newest of `configs` (see [`reloading`]): a renewed
    /// certificate is used from the next handshake on, and connections already open keep
    /// theirs.
    pub fn new(
        listener: TcpListener,
        configs: watch::Receiver<Arc<ServerConfig>>,
    ) -> io::Result<Self> {
        let local_addr = listener.local_addr()?;
        let (sender, ready) = mpsc::channel(64);
        let accepting = tokio::spawn(accept_loop(listener, configs, sender));
        Ok(Self {
            local_addr,
            ready,
            accepting,
        })
    }
}

impl Drop for TlsListener {
    /// `axum::serve` drops the listener when shutting down: stop accepting then.
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accepting task only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

async fn accept_loop(
    listener: TcpListener,
    configs: watch::Receiver<Arc<ServerConfig>>,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // As axum's own listener: a connection that died in the backlog is nothing;
                // anything else (out of file descriptors) is worth a pause.
                if !matches!(
                    error.kind(),
                    io::ErrorKind::ConnectionRefused
                        | io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::ConnectionReset
                ) {
                    tracing::error!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let acceptor = TlsAcceptor::from(configs.borrow().clone());
        let ready = ready.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(connection)) => {
                    let _ = ready.send((connection, peer)).await;
                }
                Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

/// How often the certificate files are looked at for a renewal.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(2);

/// The rustls configuration of `files`, starting from `initial` and replaced whenever the files
/// change (a renewal by certbot, an ACME client or a person): the files' modification times
/// and sizes are compared every [`RELOAD_INTERVAL`]. A new chain is checked exactly as at
/// start-up; one that fails the check (a renewal caught half-written: the new certificate
/// beside the old key) is not served, the reason is logged, and it is tried again once the
/// files change again.
pub fn reloading(
    files: TlsFiles,
    hosts: Option<AllowedHosts>,
    initial: Arc<ServerConfig>,
) -> watch::Receiver<Arc<ServerConfig>> {
    let (sender, receiver) = watch::channel(initial);
    tokio::spawn(async move {
        let stamp = |files: &TlsFiles| {
            [&files.cert, &files.key].map(|path| {
                std::fs::metadata(path)
                    .ok()
                    .map(|meta| (meta.modified().ok(), meta.len()))
            })
        };
        let mut seen = stamp(&files);
        loop {
            tokio::time::sleep(RELOAD_INTERVAL).await;
            if sender.is_closed() {
                return;
            }
            let now = stamp(&files);
            if now == seen {
                continue;
            }
            seen = now;
            match load(&files, hosts.as_ref()) {
                Ok((config, warnings)) => {
                    for warning in warnings {
                        tracing::warn!("{warning}");
                    }
                    tracing::info!(cert = %files.cert.display(), "TLS certificate reloaded");
                    sender.send_replace(config);
                }
                Err(error) => tracing::warn!(
                    %error,
                    "the changed TLS files are not served (the previous certificate stays)"
                ),
            }
        }
    });
    receiver
}

/// Serves `app` over `listener` until `shutdown` resolves, then lets in-flight requests
/// finish, as `axum::serve` does over plain TCP. Every request is marked `https`
/// ([`ServedOverTls`]), so cookies are `Secure`, HSTS is sent and links use `https`/`wss`.
pub async fn serve(
    listener: TlsListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let app = app.layer(Extension(ServedOverTls));
    // `tap_io` (here a no-op) is how a custom listener's address becomes the request's
    // `ConnectInfo<SocketAddr>`: axum implements `Connected` for it.
    axum::serve(
        listener.tap_io(|_| {}),
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
