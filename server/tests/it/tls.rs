//! Built-in HTTPS: the real `server` binary serving a root → intermediate → leaf chain made
//! with rcgen, clients that trust only the root, and the start-up check of the chain (order,
//! signatures, dates, key, names, a missing intermediate).

use std::{
    io::BufRead,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, mpsc},
    time::Duration,
};

use futures_util::StreamExt;
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, date_time_ymd,
};
use server::{config::TlsFiles, config::hosts::AllowedHosts, startup::tls};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::{
    TlsConnector,
    rustls::{ClientConfig, RootCertStore, crypto::ring, pki_types::ServerName},
};

use crate::harness::{SERVER_BINARY, create_superuser};

/// A key the server accepts without a warning (the harness's is published, so it warns).
const STRONG_KEY: &str = "tls-Hq3vT8zW1nR6yL0cJ4kP9sB2xF7mD5gA";

/// A certificate authority: its certificate and what signs with its key.
pub struct Ca {
    pub cert: Certificate,
    issuer: Issuer<'static, KeyPair>,
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name
}

fn ca_params(common_name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn root(common_name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let params = ca_params(common_name);
    let cert = params.self_signed(&key).unwrap();
    Ca {
        cert,
        issuer: Issuer::new(params, key),
    }
}

fn intermediate(common_name: &str, parent: &Ca, params: Option<CertificateParams>) -> Ca {
    let key = KeyPair::generate().unwrap();
    let params = params.unwrap_or_else(|| ca_params(common_name));
    let cert = params.signed_by(&key, &parent.issuer).unwrap();
    Ca {
        cert,
        issuer: Issuer::new(params, key),
    }
}

fn leaf_params(names: &[&str]) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name = name(names[0]);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params
}

/// A server certificate issued by `parent`, and its key.
fn leaf(parent: &Ca, params: CertificateParams) -> (Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &parent.issuer).unwrap();
    (cert, key)
}

/// A root, an intermediate it issued, and a leaf for `localhost` and `127.0.0.1` issued by
/// the intermediate: the usual shape of a public certificate.
pub struct Pki {
    pub root: Ca,
    pub intermediate: Ca,
    pub leaf: Certificate,
    pub leaf_key: KeyPair,
    dir: tempfile::TempDir,
}

impl Pki {
    pub fn new() -> Pki {
        let root = root("Test Root CA");
        let intermediate = intermediate("Test Intermediate CA", &root, None);
        let (leaf, leaf_key) = leaf(&intermediate, leaf_params(&["localhost", "127.0.0.1"]));
        Pki {
            root,
            intermediate,
            leaf,
            leaf_key,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Writes `certs` (PEM, in this order) and `key` to files; returns them as configured.
    pub fn files(&self, label: &str, certs: &[&Certificate], key: &KeyPair) -> TlsFiles {
        let chain: String = certs.iter().map(|cert| cert.pem()).collect();
        TlsFiles {
            cert: self.write(&format!("{label}-chain.pem"), &chain),
            key: self.write(&format!("{label}-key.pem"), &key.serialize_pem()),
        }
    }

    /// The leaf then the intermediate: what `TLS_CERT` should hold.
    pub fn full_chain(&self) -> TlsFiles {
        self.files(
            "full",
            &[&self.leaf, &self.intermediate.cert],
            &self.leaf_key,
        )
    }

    /// The leaf alone: the classic mistake.
    pub fn leaf_only(&self) -> TlsFiles {
        self.files("leaf-only", &[&self.leaf], &self.leaf_key)
    }

    fn write(&self, file: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(file);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

fn hosts(list: &str) -> AllowedHosts {
    AllowedHosts::parse(list).unwrap()
}

/// The start-up check's error for `files` with the test hosts (panics if it passes).
fn refusal(files: &TlsFiles) -> String {
    match tls::check(files, Some(&hosts("localhost, 127.0.0.1"))) {
        Ok(_) => panic!("the chain in {} was accepted", files.cert.display()),
        Err(error) => error.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// The real binary over TLS.

/// `server serve` with `TLS_CERT`/`TLS_KEY` on a port the system picks; its log is read
/// until it says where it listens. Killed when dropped.
struct TlsServer {
    addr: SocketAddr,
    child: Child,
    /// Log lines up to and including the "listening" one.
    log: Vec<String>,
    _data: tempfile::TempDir,
}

impl TlsServer {
    async fn start(files: &TlsFiles) -> TlsServer {
        Self::start_with(files, &[]).await
    }

    async fn start_with(files: &TlsFiles, extra_env: &[(&str, &str)]) -> TlsServer {
        let data = tempfile::tempdir().unwrap();
        let database_url = format!("sqlite://{}/scrum.db?mode=rwc", data.path().display());
        create_superuser(&database_url, "demo", "tls-test-password").await;
        let mut child = command(files, &database_url, data.path())
            .envs(extra_env.iter().copied())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn the server binary");
        let stdout = child.stdout.take().unwrap();
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // Keep draining after the test stops listening: a closed pipe would make the
                // server's later log lines fail.
                let _ = lines.send(line);
            }
        });
        let mut log = Vec::new();
        let addr = loop {
            let line =
                tokio::task::block_in_place(|| received.recv_timeout(Duration::from_secs(30)))
                    .unwrap_or_else(|_| panic!("no \"listening\" line; log so far: {log:#?}"));
            log.push(line.clone());
            if let Some((_, addr)) = line.split_once("listening on https://") {
                break addr.trim().parse().expect("an address in the log");
            }
        };
        TlsServer {
            addr,
            child,
            log,
            _data: data,
        }
    }

    /// Sends SIGTERM and returns whether the server then exited successfully.
    fn terminate(mut self) -> bool {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        for _ in 0..100 {
            if let Ok(Some(exit)) = self.child.try_wait() {
                return exit.success();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(files: &TlsFiles, database_url: &str, dir: &Path) -> Command {
    let mut command = Command::new(SERVER_BINARY);
    command
        .arg("serve")
        .current_dir(dir)
        .env("DATABASE_URL", database_url)
        .env("SECRET_KEY", STRONG_KEY)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("ALLOWED_HOSTS", "localhost, 127.0.0.1")
        .env("TLS_CERT", &files.cert)
        .env("TLS_KEY", &files.key)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env_remove("SCRUM_ENV")
        .env_remove("PUBLIC_URL")
        .env_remove("TRUSTED_PROXIES")
        .stdin(Stdio::null());
    command
}

/// A TLS connection to `localhost` (SNI and name check) from a client whose only trust anchor
/// is `root`.
async fn connect(
    addr: SocketAddr,
    root: &Certificate,
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, std::io::Error> {
    let mut roots = RootCertStore::empty();
    roots.add(root.der().clone()).unwrap();
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
}

/// One HTTP/1.1 exchange over [`connect`]; the raw response text.
async fn https(
    addr: SocketAddr,
    root: &Certificate,
    request: &str,
) -> Result<String, std::io::Error> {
    let mut stream = connect(addr, root).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    // The response is complete once the server closes (`Connection: close`), whether or not it
    // says goodbye at the TLS level first.
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw)).await;
    Ok(String::from_utf8_lossy(&raw).into_owned())
}

/// A JSON `POST` with optional extra header lines.
fn post(path: &str, extra: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn json_of(response: &str) -> serde_json::Value {
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {response}"))
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split("\r\n\r\n").next()?;
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// Sends `request` over plain TCP and returns the whole answer.
async fn plain_http(addr: SocketAddr, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("an answer in time")
        .unwrap();
    String::from_utf8_lossy(&raw).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_redirected_to_https_for_allowed_hosts_only() {
    let pki = Pki::new();
    let server =
        TlsServer::start_with(&pki.full_chain(), &[("HTTP_REDIRECT_ADDR", "127.0.0.1:0")]).await;
    let plain: SocketAddr = server
        .log
        .iter()
        .find_map(|line| {
            let (_, rest) = line.split_once("redirecting plain HTTP on http://")?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("no redirect listener in the log: {:#?}", server.log));

    let response = plain_http(
        plain,
        "POST /sprint/4?tab=1 HTTP/1.1\r\nHost: localhost:80\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 308"), "{response}");
    let location = format!("https://localhost:{}/sprint/4?tab=1", server.addr.port());
    assert_eq!(header(&response, "location"), Some(location.as_str()));
    // Where it points, the HTTPS listener answers.
    let followed = https(server.addr, &pki.root.cert, &get("/healthz"))
        .await
        .unwrap();
    assert!(followed.starts_with("HTTP/1.1 200"), "{followed}");

    // Not an open redirect: a host this site does not serve goes nowhere.
    let response = plain_http(
        plain,
        "GET / HTTP/1.1\r\nHost: evil.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert_eq!(header(&response, "location"), None);
}

/// Also: a Secure session cookie, a `wss://` channel link that opens over the same listener,
/// and a clean exit on SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trusting_only_the_root_gets_healthz_with_hsts_over_the_full_chain() {
    // Arrange
    let pki = Pki::new();
    let server = TlsServer::start(&pki.full_chain()).await;
    assert!(
        // (The test site has no bundle, which is a warning of its own.)
        !server
            .log
            .iter()
            .any(|line| line.contains("WARN") && !line.contains("wasm bundle")),
        "a full chain is served without warnings: {:#?}",
        server.log
    );

    // Act
    let response = https(server.addr, &pki.root.cert, &get("/healthz"))
        .await
        .expect("the TLS handshake succeeds with only the root trusted");

    // Assert
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert_eq!(
        header(&response, "strict-transport-security"),
        Some("max-age=63072000; includeSubDomains"),
        "{response}"
    );
    // Signing in over the built-in TLS gives a Secure cookie.
    let credentials = r#"{"username":"demo","password":"tls-test-password"}"#;
    let login = post("/api/session", "", credentials);
    let response = https(server.addr, &pki.root.cert, &login).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let cookie = header(&response, "set-cookie").expect("a session cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
    // A sprint's live stream is a wss:// link, and it opens over the same listener.
    let response = https(
        server.addr,
        &pki.root.cert,
        &post("/api/token/", "", credentials),
    )
    .await
    .unwrap();
    let token = json_of(&response)["token"].as_str().unwrap().to_owned();
    let create = post(
        "/api/sprints",
        &format!("Authorization: Token {token}\r\n"),
        r#"{"name":"Over TLS","end":"2099-01-01"}"#,
    );
    let response = https(server.addr, &pki.root.cert, &create).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let channel = json_of(&response)["links"]["channel"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        channel.starts_with("wss://localhost/socket?channel="),
        "{channel}"
    );
    let stream = connect(server.addr, &pki.root.cert).await.unwrap();
    let (mut socket, _) = tokio_tungstenite::client_async(channel.as_str(), stream)
        .await
        .expect("the websocket opens over TLS");
    let hello = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .expect("a frame in time")
        .expect("a frame")
        .expect("no error");
    assert!(hello.to_string().contains(r#""action":"hello""#), "{hello}");
    drop(socket);
    assert!(server.terminate(), "SIGTERM stops the TLS server cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaf_only_file_is_reported_at_start_up_and_fails_root_only_clients() {
    // Arrange
    let pki = Pki::new();
    let files = pki.leaf_only();

    // Act
    let checked = tls::check(&files, Some(&hosts("localhost, 127.0.0.1"))).unwrap();
    let server = TlsServer::start(&files).await;
    let attempt = https(server.addr, &pki.root.cert, &get("/healthz")).await;

    // Assert
    assert_eq!(checked.warnings.len(), 1, "{:#?}", checked.warnings);
    let warning = &checked.warnings[0];
    assert!(
        warning.contains("holds only the leaf certificate")
            && warning.contains("CN=Test Intermediate CA")
            && warning.contains("clients that trust only the root will fail"),
        "{warning}"
    );
    assert!(
        server
            .log
            .iter()
            .any(|line| line.contains("WARN") && line.contains("holds only the leaf")),
        "the warning is logged at start-up: {:#?}",
        server.log
    );
    let error = attempt.expect_err("a root-only client cannot build the chain");
    assert!(
        error.to_string().contains("UnknownIssuer"),
        "the client fails for want of the intermediate: {error}"
    );
}

#[test]
fn a_self_signed_leaf_is_reported_as_such_not_as_a_missing_intermediate() {
    let pki = Pki::new();
    let key = KeyPair::generate().unwrap();
    let cert = leaf_params(&["localhost"]).self_signed(&key).unwrap();
    let files = pki.files("self-signed", &[&cert], &key);
    let checked = tls::check(&files, Some(&hosts("localhost"))).unwrap();
    assert_eq!(checked.warnings.len(), 1, "{:#?}", checked.warnings);
    assert!(
        checked.warnings[0].starts_with("TLS_CERT is self-signed (CN=localhost)"),
        "{:#?}",
        checked.warnings
    );
}

#[tokio::test]
async fn a_key_that_does_not_match_the_leaf_stops_the_server_with_a_clear_error() {
    let pki = Pki::new();
    let other_key = KeyPair::generate().unwrap();
    let files = pki.files("mismatch", &[&pki.leaf, &pki.intermediate.cert], &other_key);

    let error = refusal(&files);
    assert!(
        error.starts_with("TLS_KEY does not match the leaf certificate (CN=localhost)"),
        "{error}"
    );

    // The binary refuses to start, with that one line.
    let data = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/scrum.db?mode=rwc", data.path().display());
    let output = command(&files, &url, data.path()).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: TLS_KEY does not match the leaf certificate"),
        "{stderr}"
    );
}

#[test]
fn certificates_out_of_order_are_refused() {
    let pki = Pki::new();
    let reversed = pki.files(
        "reversed",
        &[&pki.intermediate.cert, &pki.leaf],
        &pki.leaf_key,
    );
    let error = refusal(&reversed);
    assert!(
        error.starts_with(
            "TLS_CERT is out of order: certificate #1 (CN=Test Intermediate CA) is issued by \
             CN=Test Root CA, but certificate #2 is CN=localhost"
        ),
        "{error}"
    );

    let root_in_the_middle = pki.files(
        "middle",
        &[&pki.leaf, &pki.root.cert, &pki.intermediate.cert],
        &pki.leaf_key,
    );
    let error = refusal(&root_in_the_middle);
    assert!(
        error.starts_with("TLS_CERT is out of order: certificate #1 (CN=localhost)"),
        "{error}"
    );

    // The root may follow the intermediate: that order is right.
    let with_root = pki.files(
        "with-root",
        &[&pki.leaf, &pki.intermediate.cert, &pki.root.cert],
        &pki.leaf_key,
    );
    let checked = tls::check(&with_root, Some(&hosts("localhost"))).unwrap();
    assert!(checked.warnings.is_empty(), "{:#?}", checked.warnings);
}

#[test]
fn an_issuer_with_the_right_name_but_another_key_is_refused() {
    let pki = Pki::new();
    // Same name as the real intermediate, different key: names chain, signatures do not.
    let impostor = intermediate("Test Intermediate CA", &pki.root, None);
    let files = pki.files("impostor", &[&pki.leaf, &impostor.cert], &pki.leaf_key);
    let error = refusal(&files);
    assert!(
        error.starts_with(
            "TLS_CERT: the signature of certificate #1 (CN=localhost) does not verify with the \
             key of certificate #2 (CN=Test Intermediate CA)"
        ),
        "{error}"
    );
}

#[test]
fn an_expired_or_not_yet_valid_certificate_is_refused() {
    let pki = Pki::new();
    let mut params = leaf_params(&["localhost", "127.0.0.1"]);
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2021, 1, 1);
    let (expired, key) = leaf(&pki.intermediate, params);
    let files = pki.files("expired", &[&expired, &pki.intermediate.cert], &key);
    let error = refusal(&files);
    assert_eq!(
        error,
        "certificate #1 in TLS_CERT (CN=localhost) expired on 2021-01-01 00:00 UTC"
    );

    let mut params = ca_params("Old Intermediate CA");
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2021, 1, 1);
    let old = intermediate("Old Intermediate CA", &pki.root, Some(params));
    let (cert, key) = leaf(&old, leaf_params(&["localhost"]));
    let files = pki.files("old-intermediate", &[&cert, &old.cert], &key);
    let error = refusal(&files);
    assert_eq!(
        error,
        "certificate #2 in TLS_CERT (CN=Old Intermediate CA) expired on 2021-01-01 00:00 UTC"
    );

    let mut params = leaf_params(&["localhost"]);
    params.not_before = date_time_ymd(2090, 1, 1);
    params.not_after = date_time_ymd(2091, 1, 1);
    let (future, key) = leaf(&pki.intermediate, params);
    let files = pki.files("future", &[&future, &pki.intermediate.cert], &key);
    let error = refusal(&files);
    assert_eq!(
        error,
        "certificate #1 in TLS_CERT (CN=localhost) is not valid before 2090-01-01 00:00 UTC"
    );
}

#[test]
fn every_allowed_host_must_be_named_by_the_leaf() {
    let pki = Pki::new();
    let files = pki.full_chain();
    let check = |list: &str| tls::check(&files, Some(&hosts(list))).map(|_| ());

    assert_eq!(check("localhost, 127.0.0.1, *"), Ok(()));
    assert_eq!(check("LOCALHOST"), Ok(()));
    let error = check("localhost, scrum.example.com")
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "the leaf certificate (CN=localhost) does not cover ALLOWED_HOSTS entry \
         \"scrum.example.com\"; it names: localhost, 127.0.0.1"
    );
    let error = check("[::1]").unwrap_err().to_string();
    assert!(error.contains("entry \"[::1]\""), "{error}");
    // A domain entry needs some name in that domain.
    let error = check(".example.com").unwrap_err().to_string();
    assert!(error.contains("entry \".example.com\""), "{error}");

    let (wildcard, key) = leaf(
        &pki.intermediate,
        leaf_params(&["*.example.com", "example.com"]),
    );
    let files = pki.files("wildcard", &[&wildcard, &pki.intermediate.cert], &key);
    let check = |list: &str| tls::check(&files, Some(&hosts(list))).map(|_| ());
    assert_eq!(
        check("scrum.example.com, example.com, .example.com"),
        Ok(())
    );
    assert!(
        check("a.b.example.com").is_err(),
        "a wildcard covers one label"
    );
}

#[test]
fn unreadable_or_empty_files_are_refused() {
    let pki = Pki::new();
    let good = pki.full_chain();

    let missing = TlsFiles {
        cert: pki.dir.path().join("nope.pem"),
        key: good.key.clone(),
    };
    let error = refusal(&missing);
    assert!(
        error.starts_with(&format!(
            "TLS_CERT {} cannot be read:",
            missing.cert.display()
        )),
        "{error}"
    );

    let empty = TlsFiles {
        cert: pki.write("empty.pem", ""),
        key: good.key.clone(),
    };
    assert!(
        refusal(&empty).contains("holds no certificate"),
        "{}",
        refusal(&empty)
    );

    let truncated = TlsFiles {
        cert: pki.write("truncated.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n"),
        key: good.key.clone(),
    };
    let error = refusal(&truncated);
    assert!(error.contains("is not valid PEM"), "{error}");

    // A certificate where the key should be.
    let no_key = TlsFiles {
        cert: good.cert.clone(),
        key: good.cert.clone(),
    };
    let error = refusal(&no_key);
    assert!(
        error.starts_with("TLS_KEY") && error.contains("holds no private key"),
        "{error}"
    );
}

/// The leaf certificate a fresh connection is served.
async fn served_leaf(addr: SocketAddr, root: &Certificate) -> Vec<u8> {
    let stream = connect(addr, root).await.expect("a handshake");
    let (_, session) = stream.get_ref();
    session.peer_certificates().expect("certificates")[0].to_vec()
}

/// One keep-alive request on an open connection; the status line.
async fn again(stream: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>) -> String {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    // A small JSON answer: read until its body (it ends with `}`).
    while !answer.ends_with(b"}") {
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer))
            .await
            .expect("an answer in time")
            .unwrap();
        assert!(read > 0, "the connection was closed");
        answer.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_certificate_is_served_without_dropping_open_connections() {
    let pki = Pki::new();
    let files = pki.full_chain();
    let server = TlsServer::start(&files).await;
    let before = served_leaf(server.addr, &pki.root.cert).await;
    assert_eq!(before, pki.leaf.der().to_vec());
    let mut open = connect(server.addr, &pki.root.cert).await.unwrap();
    assert!(again(&mut open).await.starts_with("HTTP/1.1 200"));

    // A half-done renewal (the new certificate beside the old key) is not served.
    let (renewed, renewed_key) = leaf(&pki.intermediate, leaf_params(&["localhost", "127.0.0.1"]));
    let chain = format!("{}{}", renewed.pem(), pki.intermediate.cert.pem());
    std::fs::write(&files.cert, &chain).unwrap();
    tokio::time::sleep(tls::RELOAD_INTERVAL * 2).await;
    assert_eq!(
        served_leaf(server.addr, &pki.root.cert).await,
        before,
        "a certificate without its key is not served"
    );
    // Then the key arrives: the next connections get the new certificate.
    std::fs::write(&files.key, renewed_key.serialize_pem()).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if served_leaf(server.addr, &pki.root.cert).await == renewed.der().to_vec() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the renewal was not picked up"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The connection opened before the renewal still answers.
    assert!(again(&mut open).await.starts_with("HTTP/1.1 200"));
    assert!(server.terminate());
}
