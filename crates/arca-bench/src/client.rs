//! A minimal S3 client: signed requests over pooled keep-alive HTTP/1.1 connections.

use std::time::{Duration, Instant, SystemTime};

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode,
    sign,
};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientError {
    #[error("http: {0}")]
    Http(String),
    #[error("{method} {path}: status {status}: {body}")]
    Status {
        method: String,
        path: String,
        status: u16,
        body: String,
    },
}

/// What one request took.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub total: Duration,
    pub first_byte: Duration,
    pub bytes: u64,
}

#[derive(Clone)]
pub(crate) struct S3Client {
    http: Client<HttpConnector, Full<Bytes>>,
    endpoint: String,
    access_key: String,
    secret_key: String,
    region: String,
}

impl S3Client {
    pub(crate) fn new(endpoint: &str, access_key: &str, secret_key: &str, region: &str, pool: usize) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(pool)
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        S3Client {
            http,
            endpoint: endpoint.trim_end_matches('/').to_string(),
            access_key: access_key.to_string(),
            secret_key: secret_key.to_string(),
            region: region.to_string(),
        }
    }

    /// Sends one request; returns the status, body and timing. `path_and_query` starts with `/`.
    pub(crate) async fn request(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<(u16, Bytes, Timing), ClientError> {
        let url = format!("{}{}", self.endpoint, path_and_query);
        let mut req = http::Request::builder().method(method).uri(&url);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        req = req.header("content-length", body.len().to_string());
        let mut req = req
            .body(Full::new(body))
            .map_err(|e| ClientError::Http(e.to_string()))?;
        self.sign(&mut req, &url, "s3", None)?;
        self.exchange(req, method, path_and_query).await
    }

    /// Sends one request of KMS's JSON API (`operation` with `body`), signed for `kms`.
    pub(crate) async fn kms(&self, operation: &str, body: &str) -> Result<(u16, Bytes, Timing), ClientError> {
        let url = format!("{}/", self.endpoint);
        let mut req = http::Request::builder()
            .method("POST")
            .uri(&url)
            .header("x-amz-target", format!("TrentService.{operation}"))
            .header("content-type", "application/x-amz-json-1.1")
            .header("content-length", body.len().to_string())
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| ClientError::Http(e.to_string()))?;
        self.sign(&mut req, &url, "kms", Some(body.as_bytes()))?;
        self.exchange(req, "POST", operation).await
    }

    async fn exchange(
        &self,
        req: http::Request<Full<Bytes>>,
        method: &str,
        path_and_query: &str,
    ) -> Result<(u16, Bytes, Timing), ClientError> {
        let started = Instant::now();
        let resp = self
            .http
            .request(req)
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?;
        let first_byte = started.elapsed();
        let status = resp.status().as_u16();
        let mut body = resp.into_body();
        let mut bytes = 0u64;
        let mut kept = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| ClientError::Http(e.to_string()))?;
            if let Some(d) = frame.data_ref() {
                bytes += d.len() as u64;
                // Keep only small bodies (XML answers); object data is counted, not stored.
                if kept.len() < 1 << 20 {
                    kept.extend_from_slice(d);
                }
            }
        }
        let timing = Timing {
            total: started.elapsed(),
            first_byte,
            bytes,
        };
        if status >= 300 {
            return Err(ClientError::Status {
                method: method.to_string(),
                path: path_and_query.to_string(),
                status,
                body: String::from_utf8_lossy(&kept).chars().take(300).collect(),
            });
        }
        Ok((status, Bytes::from(kept), timing))
    }

    /// Signs for `service`: S3 requests with an unsigned payload, others (`body`) with their
    /// body's hash, as the SDKs do.
    fn sign(
        &self,
        req: &mut http::Request<Full<Bytes>>,
        url: &str,
        service: &str,
        body: Option<&[u8]>,
    ) -> Result<(), ClientError> {
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = match body {
            None => PayloadChecksumKind::XAmzSha256,
            Some(_) => PayloadChecksumKind::NoHeader,
        };
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let identity =
            aws_credential_types::Credentials::new(&self.access_key, &self.secret_key, None, None, "bench").into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(service)
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| ClientError::Http(e.to_string()))?
            .into();
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        let signable = SignableRequest::new(
            req.method().as_str(),
            url,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            body.map_or(SignableBody::UnsignedPayload, SignableBody::Bytes),
        )
        .map_err(|e| ClientError::Http(e.to_string()))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| ClientError::Http(e.to_string()))?
            .into_parts();
        instructions.apply_to_request_http1x(req);
        Ok(())
    }
}

/// Extracts the text of the first `<tag>` in an XML answer.
pub(crate) fn xml_value(xml: &[u8], tag: &str) -> Option<String> {
    let text = std::str::from_utf8(xml).ok()?;
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{tag}>"))? + start;
    Some(text[start..end].to_string())
}

/// Counts occurrences of `<tag>` (e.g. `<Key>` in a listing).
pub(crate) fn xml_count(xml: &[u8], tag: &str) -> usize {
    let open = format!("<{tag}>");
    std::str::from_utf8(xml).map(|t| t.matches(&open).count()).unwrap_or(0)
}
