//! aws-chunked uploads with per-chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), built
//! by hand as the Java SDK and others send them, including a tampered chunk.

use std::time::SystemTime;

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode,
    sign,
};

use crate::harness::*;

const STREAMING: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

/// Builds a signed aws-chunked PUT of `data` in chunks of `chunk`; `tamper` flips a byte in
/// the second chunk after signing.
fn chunked_put(url: &str, data: &[u8], chunk: usize, tamper: bool) -> http::Request<Vec<u8>> {
    let time = SystemTime::now();
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    let identity = aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "t").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let chunks: Vec<&[u8]> = data.chunks(chunk).collect();
    let mut body_len = 0;
    for c in chunks.iter().map(|c| c.len()).chain([0]) {
        body_len += format!("{c:x};chunk-signature=").len() + 64 + 2 + c + 2;
    }
    let headers = [
        ("content-encoding".to_string(), "aws-chunked".to_string()),
        ("x-amz-decoded-content-length".to_string(), data.len().to_string()),
        ("content-length".to_string(), body_len.to_string()),
    ];
    let signable = SignableRequest::new(
        "PUT",
        url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Precomputed(STREAMING.to_string()),
    )
    .unwrap();
    let (instructions, seed) = sign(signable, &params).unwrap().into_parts();
    let mut req = http::Request::builder().method("PUT").uri(url);
    for (k, v) in &headers {
        req = req.header(k, v);
    }
    let mut req = req.body(Vec::new()).unwrap();
    instructions.apply_to_request_http1x(&mut req);
    let amz_date = req.headers()["x-amz-date"].to_str().unwrap().to_string();
    let scope = format!("{}/us-east-1/s3/aws4_request", &amz_date[..8]);
    let key = aws_sigv4::sign::v4::generate_signing_key(SECRET_KEY, time, "us-east-1", "s3");
    let mut prev = seed;
    let mut body = Vec::with_capacity(body_len);
    for c in chunks.iter().copied().chain([&b""[..]]) {
        let to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{prev}\n{}\n{}",
            sha256_hex(b""),
            sha256_hex(c)
        );
        let sig = aws_sigv4::sign::v4::calculate_signature(key.as_ref(), to_sign.as_bytes());
        body.extend_from_slice(format!("{:x};chunk-signature={sig}\r\n", c.len()).as_bytes());
        body.extend_from_slice(c);
        body.extend_from_slice(b"\r\n");
        prev = sig;
    }
    assert_eq!(body.len(), body_len);
    if tamper {
        let second = format!("{:x};chunk-signature=", chunk).len() + 64 + 2 + chunk + 2;
        let at = second + format!("{:x};chunk-signature=", chunk).len() + 64 + 2 + 10;
        body[at] ^= 0xff;
    }
    *req.body_mut() = body;
    req
}

#[tokio::test]
async fn signed_chunks_upload_and_tampering_is_refused() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "chunks").await;
    let data = bytes_of(200_000, 21);
    let (st, _, body) = send(chunked_put(&s.url("/chunks/good"), &data, 65_536, false)).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(get_bytes(&c, "chunks", "good").await, data);
    let (st, _, body) = send(chunked_put(&s.url("/chunks/bad"), &data, 65_536, true)).await;
    assert_eq!((st, xml_code(&body)), (403, "SignatureDoesNotMatch"), "{body}");
    let e = c.head_object().bucket("chunks").key("bad").send().await.unwrap_err();
    assert_eq!(status(&e), 404, "a tampered upload left an object");
}
