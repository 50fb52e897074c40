//! Requests no SDK would send: written byte by byte over a socket, signed by hand (SigV4 with
//! any set of signed headers, aws-chunked chunk signatures, SigV2, POST policies).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime};

use base64::Engine;
use sha2::Digest;

use crate::harness::{ACCESS_KEY, SECRET_KEY};

/// What the server answered.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Reply {
    /// The `<Code>` of an S3 error body.
    pub(crate) fn code(&self) -> &str {
        crate::harness::xml_code(&self.body)
    }

    /// The status and error code, for one assertion that prints the body when it fails.
    pub(crate) fn status_code(&self) -> (u16, &str) {
        (self.status, self.code())
    }
}

/// `host:port` of an `http://` endpoint.
pub(crate) fn addr(endpoint: &str) -> &str {
    endpoint.trim_start_matches("http://")
}

/// Sends a request over a new connection: the request line, `headers` (a `host` header is
/// added unless given), then `body`, and reads the whole reply.
pub(crate) fn exchange(endpoint: &str, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut sock = connect(endpoint);
    write_head(&mut sock, endpoint, method, target, headers);
    sock.write_all(body).unwrap();
    read_reply(&mut sock)
}

pub(crate) fn connect(endpoint: &str) -> TcpStream {
    let sock = TcpStream::connect(addr(endpoint)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    sock
}

pub(crate) fn write_head(sock: &mut TcpStream, endpoint: &str, method: &str, target: &str, headers: &[(&str, &str)]) {
    let mut head = format!("{method} {target} HTTP/1.1\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("host: {}\r\n", addr(endpoint)));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    sock.write_all(head.as_bytes()).unwrap();
}

/// Reads one response: its head, then a body of its Content-Length (or to the end).
pub(crate) fn read_reply(sock: &mut TcpStream) -> Reply {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = sock.read(&mut chunk).expect("the server answered in time");
        assert!(
            n > 0,
            "connection closed before a response: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = sock.read(&mut chunk).unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
    Reply { status, head, body }
}

pub(crate) fn hex_sha256(data: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(data))
}

pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

pub(crate) fn hmac_sha1_base64(key: &[u8], data: &[u8]) -> String {
    use hmac::Mac;
    let mut m = hmac::Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
    m.update(data);
    base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
}

pub(crate) fn base64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// `20260101T000000Z` and `20260101` for a time.
pub(crate) fn amz_dates(t: SystemTime) -> (String, String) {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    let dt = time_from_unix(secs);
    let long = format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", dt.0, dt.1, dt.2, dt.3, dt.4, dt.5);
    (long.clone(), long[..8].to_string())
}

/// An HTTP date (`Tue, 27 Mar 2007 19:36:42 GMT`) for a time.
pub(crate) fn http_date(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    let (y, mo, d, h, mi, s) = time_from_unix(secs);
    let days = secs.div_euclid(86_400);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(mo - 1) as usize];
    format!("{weekday}, {d:02} {month} {y:04} {h:02}:{mi:02}:{s:02} GMT")
}

/// Civil date and time (UTC) of a Unix time.
fn time_from_unix(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The SigV4 signing key for the test's secret, a day, us-east-1 and s3.
pub(crate) fn signing_key(date: &str) -> Vec<u8> {
    let k = hmac_sha256(format!("AWS4{SECRET_KEY}").as_bytes(), date.as_bytes());
    let k = hmac_sha256(&k, b"us-east-1");
    let k = hmac_sha256(&k, b"s3");
    hmac_sha256(&k, b"aws4_request")
}

/// A SigV4 header-auth request signed by hand: exactly `signed` of `headers` are signed.
pub(crate) struct HandSigned {
    pub headers: Vec<(String, String)>,
    pub seed_signature: String,
    pub amz_date: String,
    pub date: String,
}

/// Signs `method target` with the given headers (`host`, `x-amz-date` and
/// `x-amz-content-sha256` are added) and payload hash; only the headers named in `signed`
/// are signed.
pub(crate) fn sign_v4(
    endpoint: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    signed: &[&str],
    payload_hash: &str,
    time: SystemTime,
) -> HandSigned {
    let (amz_date, date) = amz_dates(time);
    let mut all: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_lowercase(), v.to_string())).collect();
    all.push(("host".into(), addr(endpoint).to_string()));
    all.push(("x-amz-date".into(), amz_date.clone()));
    all.push(("x-amz-content-sha256".into(), payload_hash.to_string()));
    let (authorization, signature) = authorization_v4(method, target, &all, signed, payload_hash, &amz_date);
    all.push(("authorization".into(), authorization));
    HandSigned {
        headers: all,
        seed_signature: signature,
        amz_date,
        date,
    }
}

/// The SigV4 `Authorization` header (and its signature) of a request whose headers are
/// `headers`, signing those named in `signed`.
pub(crate) fn authorization_v4(
    method: &str,
    target: &str,
    headers: &[(String, String)],
    signed: &[&str],
    payload_hash: &str,
    amz_date: &str,
) -> (String, String) {
    let date = &amz_date[..8];
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut pairs: Vec<(&str, &str)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    pairs.sort();
    let canonical_query = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut signed: Vec<String> = signed.iter().map(|s| s.to_lowercase()).collect();
    signed.sort();
    let canonical_headers: String = signed
        .iter()
        .map(|name| {
            let value = headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim())
                .unwrap_or("");
            format!("{name}:{value}\n")
        })
        .collect();
    let signed_list = signed.join(";");
    let canonical = format!("{method}\n{path}\n{canonical_query}\n{canonical_headers}\n{signed_list}\n{payload_hash}");
    let scope = format!("{date}/us-east-1/s3/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex_sha256(canonical.as_bytes())
    );
    let signature = hex::encode(hmac_sha256(&signing_key(date), to_sign.as_bytes()));
    (
        format!("AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, SignedHeaders={signed_list}, Signature={signature}"),
        signature,
    )
}

/// A request's headers as owned pairs, to add to and send with [`exchange`].
pub(crate) fn owned_headers(req: &http::Request<Vec<u8>>) -> Vec<(String, String)> {
    req.headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
        .collect()
}

/// Borrowed pairs of owned headers.
pub(crate) fn refs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

impl HandSigned {
    pub(crate) fn header_refs(&self) -> Vec<(&str, &str)> {
        refs(&self.headers)
    }

    /// One aws-chunked chunk (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`), signed after `prev`.
    pub(crate) fn chunk(&self, prev: &str, data: &[u8]) -> (Vec<u8>, String) {
        let scope = format!("{}/us-east-1/s3/aws4_request", self.date);
        let to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{scope}\n{prev}\n{}\n{}",
            self.amz_date,
            hex_sha256(b""),
            hex_sha256(data)
        );
        let signature = hex::encode(hmac_sha256(&signing_key(&self.date), to_sign.as_bytes()));
        let mut out = format!("{:x};chunk-signature={signature}\r\n", data.len()).into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
        (out, signature)
    }
}

/// SigV2 string to sign for header auth with the given date header and resource.
pub(crate) fn sign_v2_header(
    method: &str,
    content_type: &str,
    date: &str,
    amz_headers: &str,
    resource: &str,
) -> String {
    let to_sign = format!("{method}\n\n{content_type}\n{date}\n{amz_headers}{resource}");
    format!(
        "AWS {ACCESS_KEY}:{}",
        hmac_sha1_base64(SECRET_KEY.as_bytes(), to_sign.as_bytes())
    )
}

/// A SigV2 presigned URL target for `resource` (path plus signed sub-resources).
pub(crate) fn presign_v2(method: &str, resource: &str, expires: u64) -> String {
    let to_sign = format!("{method}\n\n\n{expires}\n{resource}");
    let signature = hmac_sha1_base64(SECRET_KEY.as_bytes(), to_sign.as_bytes());
    let signature: String = percent_encode(&signature);
    let sep = if resource.contains('?') { '&' } else { '?' };
    format!("{resource}{sep}AWSAccessKeyId={ACCESS_KEY}&Expires={expires}&Signature={signature}")
}

pub(crate) fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A browser POST form (SigV4 policy) for `bucket`; `conditions` are extra JSON conditions.
pub(crate) fn post_form(bucket: &str, key: &str, conditions: &str, file: &[u8], boundary: &str) -> Vec<u8> {
    let now = SystemTime::now();
    let (amz_date, date) = amz_dates(now);
    let credential = format!("{ACCESS_KEY}/{date}/us-east-1/s3/aws4_request");
    let expiration = {
        let (y, mo, d, h, mi, s) = time_from_unix(unix_now() as i64 + 3600);
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.000Z")
    };
    let policy = format!(
        r#"{{"expiration":"{expiration}","conditions":[{{"bucket":"{bucket}"}},["starts-with","$key",""],{{"x-amz-algorithm":"AWS4-HMAC-SHA256"}},{{"x-amz-credential":"{credential}"}},{{"x-amz-date":"{amz_date}"}}{conditions}]}}"#
    );
    let policy = base64(policy.as_bytes());
    let signature = hex::encode(hmac_sha256(&signing_key(&date), policy.as_bytes()));
    form(
        &[
            ("key", key),
            ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
            ("x-amz-credential", &credential),
            ("x-amz-date", &amz_date),
            ("policy", &policy),
            ("x-amz-signature", &signature),
        ],
        file,
        boundary,
    )
}

/// A multipart/form-data body: the fields, then the file.
pub(crate) fn form(fields: &[(&str, &str)], file: &[u8], boundary: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in fields {
        out.extend_from_slice(
            format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    out.extend_from_slice(
        format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\ncontent-type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(file);
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}
