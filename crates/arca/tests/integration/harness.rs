//! Starts and stops real servers for the tests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{Credentials, Region};

pub(crate) const ACCESS_KEY: &str = "AKIDARCATEST0000001";
pub(crate) const SECRET_KEY: &str = "arca-test-secret-key-0123456789abcdefghij";

/// A running `arca server` on an ephemeral loopback port.
pub(crate) struct TestServer {
    child: Option<Child>,
    pub endpoint: String,
    pub data: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl TestServer {
    /// A fresh server on a new temporary data folder.
    pub(crate) fn start() -> TestServer {
        Self::start_with(&[])
    }

    /// A fresh server on a new temporary data folder, with extra flags.
    pub(crate) fn start_with(extra: &[&str]) -> TestServer {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("data");
        let mut s = Self::start_on(&data, extra);
        s._tmp = Some(tmp);
        s
    }

    /// A server on `data` (kept by the caller), with extra flags.
    pub(crate) fn start_on(data: &Path, extra: &[&str]) -> TestServer {
        let (child, endpoint) = spawn(data, extra, true).unwrap_or_else(|e| panic!("server did not start: {e}"));
        TestServer {
            child: Some(child),
            endpoint,
            data: data.to_path_buf(),
            _tmp: None,
        }
    }

    /// Keeps `tmp` (holding the data folder) until the server is dropped.
    pub(crate) fn keep(&mut self, tmp: tempfile::TempDir) {
        self._tmp = Some(tmp);
    }

    pub(crate) fn client(&self) -> Client {
        client_for(&self.endpoint)
    }

    /// `kill -9`: no chance to flush anything.
    pub(crate) fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then the exit status.
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("running");
        let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
        c.wait().expect("wait")
    }

    /// The server's process id (the adversarial suite counts its descriptors).
    #[allow(dead_code)]
    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.endpoint, path)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The server under test: this build's, or `ARCA_TEST_SERVER` (to show that a test fails
/// against an earlier build, as the adversarial suite's tests must).
pub(crate) fn server_binary() -> std::ffi::OsString {
    std::env::var_os("ARCA_TEST_SERVER").unwrap_or_else(|| env!("CARGO_BIN_EXE_arca").into())
}

/// Spawns the binary and waits for its "listening" line. With `root_env`, the test keys are
/// passed through the environment.
pub(crate) fn spawn(data: &Path, extra: &[&str], root_env: bool) -> Result<(Child, String), String> {
    let mut cmd = Command::new(server_binary());
    cmd.arg("server")
        .arg("--data")
        .arg(data)
        .arg("--address")
        .arg("127.0.0.1:0")
        .args(extra)
        .env("ARCA_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if root_env {
        cmd.env("ARCA_ROOT_ACCESS_KEY", ACCESS_KEY)
            .env("ARCA_ROOT_SECRET_KEY", SECRET_KEY);
    } else {
        cmd.env_remove("ARCA_ROOT_ACCESS_KEY")
            .env_remove("ARCA_ROOT_SECRET_KEY");
    }
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next();
    match first {
        Some(Ok(line)) if line.starts_with("arca listening on ") => {
            let endpoint = line.trim_start_matches("arca listening on ").trim().to_string();
            // Keep draining stdout so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            if let Some(err) = child.stderr.take() {
                std::thread::spawn(move || {
                    for l in BufReader::new(err).lines().map_while(Result::ok) {
                        eprintln!("[arca] {l}");
                    }
                });
            }
            Ok((child, endpoint))
        }
        _ => {
            let status = child.wait().map_err(|e| e.to_string())?;
            let mut stderr = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut stderr);
            }
            Err(format!("exit {status}: {stderr}"))
        }
    }
}

pub(crate) fn client_for(endpoint: &str) -> Client {
    client_with(endpoint, ACCESS_KEY, SECRET_KEY)
}

pub(crate) fn client_with(endpoint: &str, access: &str, secret: &str) -> Client {
    client_in(endpoint, access, secret, "us-east-1")
}

/// A client that signs for `region` (a server refuses requests signed for another than its own).
pub(crate) fn client_in(endpoint: &str, access: &str, secret: &str, region: &str) -> Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .endpoint_url(endpoint)
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new(access, secret, None, None, "arca-test"))
        .force_path_style(true)
        .build();
    Client::from_conf(conf)
}

/// A client signing with temporary credentials (an STS session's key pair and token).
pub(crate) fn client_with_session(endpoint: &str, access: &str, secret: &str, token: &str) -> Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            access,
            secret,
            Some(token.to_string()),
            None,
            "arca-test",
        ))
        .force_path_style(true)
        .build();
    Client::from_conf(conf)
}

/// Deterministic pseudo-random bytes.
pub(crate) fn bytes_of(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

pub(crate) async fn get_bytes(c: &Client, bucket: &str, key: &str) -> Vec<u8> {
    c.get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e:?}"))
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec()
}

pub(crate) async fn make_bucket(c: &Client, name: &str) {
    c.create_bucket()
        .bucket(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e:?}"));
}

/// A bucket whose ACLs count (Object Ownership `ObjectWriter`) and whose Block Public Access
/// is off: where public ACLs can be set.
pub(crate) async fn make_acl_bucket(s: &TestServer, name: &str) {
    let c = s.client();
    make_bucket(&c, name).await;
    let controls =
        b"<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>";
    let (status, _, body) = send(signed(
        "PUT",
        &s.url(&format!("/{name}?ownershipControls")),
        &[],
        controls,
        Sign::default(),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    c.delete_public_access_block().bucket(name).send().await.unwrap();
}

/// Turns versioning on (`Enabled`) or off (`Suspended`) for `bucket`.
pub(crate) async fn set_versioning(c: &Client, bucket: &str, status: aws_sdk_s3::types::BucketVersioningStatus) {
    let config = aws_sdk_s3::types::VersioningConfiguration::builder()
        .status(status)
        .build();
    c.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(config)
        .send()
        .await
        .unwrap();
}

/// The S3 error code of an SDK error.
pub(crate) fn code<E, R>(e: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    use aws_sdk_s3::error::ProvideErrorMetadata;
    e.code()
        .map(str::to_string)
        .unwrap_or_else(|| format!("<no code: {e:?}>"))
}

/// HTTP status of an SDK error.
pub(crate) fn status<E>(e: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> u16 {
    match e {
        aws_sdk_s3::error::SdkError::ServiceError(s) => s.raw().status().as_u16(),
        _ => 0,
    }
}

/// Options for a hand-signed request.
pub(crate) struct Sign<'a> {
    pub access: &'a str,
    pub secret: &'a str,
    pub time: std::time::SystemTime,
    /// Presign (signature in the query) with this expiry instead of an Authorization header.
    pub presign: Option<std::time::Duration>,
    pub unsigned_payload: bool,
    /// The service of the credential scope (`s3`; `iam` for the IAM API).
    pub service: &'a str,
}

impl Default for Sign<'_> {
    fn default() -> Self {
        Sign {
            access: ACCESS_KEY,
            secret: SECRET_KEY,
            time: std::time::SystemTime::now(),
            presign: None,
            unsigned_payload: false,
            service: "s3",
        }
    }
}

/// Builds a SigV4-signed request by hand, so tests can send what the SDK never would.
pub(crate) fn signed(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    opts: Sign<'_>,
) -> http::Request<Vec<u8>> {
    use aws_sigv4::http_request::{
        PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
        UriPathNormalizationMode, sign,
    };
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    if let Some(exp) = opts.presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(exp);
    }
    let identity = aws_credential_types::Credentials::new(opts.access, opts.secret, None, None, "test").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(opts.service)
        .time(opts.time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let mut req = http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req.body(body.to_vec()).unwrap();
    let signable_body = if opts.unsigned_payload || opts.presign.is_some() {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(body)
    };
    let hdrs: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap().to_string()))
        .collect();
    let signable = SignableRequest::new(
        method,
        url,
        hdrs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        signable_body,
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut req);
    req
}

/// Sends an `http::Request` with reqwest; returns status, headers and body text.
pub(crate) async fn send(req: http::Request<Vec<u8>>) -> (u16, http::HeaderMap, String) {
    let client = reqwest::Client::new();
    let (parts, body) = req.into_parts();
    let mut r = client.request(parts.method, parts.uri.to_string()).body(body);
    for (k, v) in parts.headers.iter() {
        r = r.header(k, v);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.unwrap())
}

/// The `<Code>` of an S3 error body.
/// Adds an account as the operator (`POST /?arca-admin=create-account`): the answer (the
/// account, and its root user's `access_key_id` and `secret_access_key`).
pub(crate) async fn create_account(s: &TestServer, name: &str) -> serde_json::Value {
    let body = serde_json::json!({ "name": name }).to_string();
    let (status, _, answer) = send(signed(
        "POST",
        &s.url("/?arca-admin=create-account"),
        &[],
        body.as_bytes(),
        Sign::default(),
    ))
    .await;
    assert_eq!(status, 200, "{answer}");
    serde_json::from_str(&answer).unwrap()
}

/// The text of the first `<name>` element of `xml`.
pub(crate) fn element<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let start = xml.find(&open).unwrap_or_else(|| panic!("no {name} in {xml}")) + open.len();
    let end = xml[start..].find(&format!("</{name}>")).unwrap() + start;
    &xml[start..end]
}

pub(crate) fn xml_code(body: &str) -> &str {
    body.split("<Code>")
        .nth(1)
        .and_then(|s| s.split("</Code>").next())
        .unwrap_or("")
}

/// Writes a signed request's head and then `body` over a raw socket (so the body may be
/// shorter than its Content-Length), half-closes if `close`, and returns what the server said.
pub(crate) fn raw_exchange(endpoint: &str, req: &http::Request<Vec<u8>>, body: &[u8], close: bool) -> String {
    use std::io::{Read, Write};
    let addr = endpoint.trim_start_matches("http://");
    let mut sock = std::net::TcpStream::connect(addr).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut head = format!("{} {path} HTTP/1.1\r\nhost: {addr}\r\n", req.method());
    for (k, v) in req.headers() {
        if k != "host" {
            head.push_str(&format!("{}: {}\r\n", k, v.to_str().unwrap()));
        }
    }
    head.push_str("\r\n");
    sock.write_all(head.as_bytes()).unwrap();
    sock.write_all(body).unwrap();
    if close {
        sock.shutdown(std::net::Shutdown::Write).unwrap();
    }
    let mut buf = vec![0u8; 8192];
    let n = sock.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).to_string()
}
