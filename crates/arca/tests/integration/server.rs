use std::os::unix::fs::PermissionsExt;

use crate::harness::*;

#[tokio::test]
async fn health_and_request_ids() {
    let s = TestServer::start();
    let r = reqwest::get(s.url("/health")).await.unwrap();
    assert_eq!(r.status(), 200);
    let a = reqwest::get(s.url("/")).await.unwrap();
    let b = reqwest::get(s.url("/")).await.unwrap();
    let id = |r: &reqwest::Response| {
        r.headers()
            .get("x-amz-request-id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    assert_ne!(id(&a), id(&b));
    let body = b.text().await.unwrap();
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
}

#[tokio::test]
async fn second_server_on_same_folder_refuses_to_start() {
    let s = TestServer::start();
    make_bucket(&s.client(), "locked").await;
    let err = spawn(&s.data, &[], true)
        .map(|_| ())
        .expect_err("second start must fail");
    assert!(err.contains("locked"), "{err}");
    // The first server is unharmed.
    s.client().head_bucket().bucket("locked").send().await.unwrap();
}

#[tokio::test]
async fn sigterm_exits_cleanly_and_data_survives_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let mut s = TestServer::start_on(&dir, &[]);
    make_bucket(&s.client(), "keep").await;
    s.client()
        .put_object()
        .bucket("keep")
        .key("k")
        .body(bytes_of(100_000, 1).into())
        .send()
        .await
        .unwrap();
    let status = s.terminate();
    assert!(status.success(), "{status:?}");
    let s = TestServer::start_on(&dir, &[]);
    assert_eq!(get_bytes(&s.client(), "keep", "k").await, bytes_of(100_000, 1));
}

#[tokio::test]
async fn generated_root_credentials_are_private_and_stable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let (mut child, endpoint) = spawn(&dir, &[], false).unwrap();
    let file = dir.join("root-credentials.toml");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split('"').nth(1))
            .unwrap()
            .to_string()
    };
    let (ak, sk) = (field("access_key"), field("secret_key"));
    let c = client_with(&endpoint, &ak, &sk);
    c.create_bucket().bucket("mine").send().await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let (mut child, endpoint) = spawn(&dir, &[], false).unwrap();
    let c = client_with(&endpoint, &ak, &sk);
    c.head_bucket().bucket("mine").send().await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A server on HTTPS with a fresh self-signed certificate, a client that trusts it, and the
/// certificate's PEM.
pub(crate) fn https_server() -> (TestServer, aws_sdk_s3::Client, String) {
    let tmp = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let cert_path = tmp.path().join("cert.pem");
    let key_path = tmp.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let mut s = TestServer::start_on(
        &tmp.path().join("d"),
        &[
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
    );
    s.keep(tmp);
    assert!(s.endpoint.starts_with("https://"), "{}", s.endpoint);
    use aws_smithy_http_client::tls;
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
        .tls_context(
            tls::TlsContext::builder()
                .with_trust_store(tls::TrustStore::empty().with_pem_certificate(cert.cert.pem().into_bytes()))
                .build()
                .unwrap(),
        )
        .build_https();
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .endpoint_url(&s.endpoint)
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "t",
        ))
        .force_path_style(true)
        .http_client(http_client)
        .build();
    (s, aws_sdk_s3::Client::from_conf(conf), cert.cert.pem())
}

#[tokio::test]
async fn https_with_rustls() {
    let (s, c, pem) = https_server();
    c.create_bucket().bucket("secure").send().await.unwrap();
    c.put_object()
        .bucket("secure")
        .key("k")
        .body(b"over tls".to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&c, "secure", "k").await, b"over tls");

    // HTTP/1.1 only, as S3: a client offering h2 first is answered in HTTP/1.1.
    let endpoint = s.endpoint.clone();
    tokio::task::spawn_blocking(move || alpn_answer(&endpoint, &pem))
        .await
        .unwrap();
}

/// Connects offering ALPN `h2, http/1.1`; checks the server picks HTTP/1.1 and speaks it.
fn alpn_answer(endpoint: &str, ca_pem: &str) {
    use rustls::pki_types::pem::PemObject;
    use std::io::{Read, Write};
    let mut roots = rustls::RootCertStore::empty();
    let der = rustls::pki_types::CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap();
    roots.add(der).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let addr = endpoint.trim_start_matches("https://");
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, std::net::TcpStream::connect(addr).unwrap());
    tls.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let _ = tls.read_to_string(&mut answer);
    assert_eq!(tls.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn settings_precedence_flag_env_file() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("arca.toml");
    std::fs::write(&cfg, "region = \"eu-west-2\"\n").unwrap();
    let region_of = |extra: Vec<String>, env_region: Option<&str>| {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_arca"));
        cmd.arg("server")
            .arg("--data")
            .arg(dir.path())
            .arg("--address")
            .arg("127.0.0.1:0")
            .args(&extra);
        cmd.env("ARCA_ROOT_ACCESS_KEY", ACCESS_KEY)
            .env("ARCA_ROOT_SECRET_KEY", SECRET_KEY);
        match env_region {
            Some(r) => cmd.env("ARCA_REGION", r),
            None => cmd.env_remove("ARCA_REGION"),
        };
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        let mut child = cmd.spawn().unwrap();
        use std::io::BufRead;
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        let region = out
            .lines()
            .map_while(Result::ok)
            .find(|l| l.trim_start().starts_with("region:"))
            .map(|l| l.split_whitespace().last().unwrap().to_string());
        child.kill().unwrap();
        child.wait().unwrap();
        region.unwrap()
    };
    let c = cfg.to_str().unwrap().to_string();
    assert_eq!(region_of(vec!["--config".into(), c.clone()], None), "eu-west-2");
    assert_eq!(
        region_of(vec!["--config".into(), c.clone()], Some("ap-south-1")),
        "ap-south-1"
    );
    assert_eq!(
        region_of(
            vec!["--config".into(), c, "--region".into(), "sa-east-1".into()],
            Some("ap-south-1")
        ),
        "sa-east-1"
    );
}
