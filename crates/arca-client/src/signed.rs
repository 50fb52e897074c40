//! Signed HTTP requests the AWS SDK does not model: Arca's admin API, its IAM query API
//! (`arca admin user …`), its KMS JSON API (`arca kms …`), and bucket configuration
//! documents sent exactly as the user wrote them (`arca lifecycle set`).
//!
//! The request is signed with SigV4 as the SDK would sign it, for the same endpoint, keys
//! and region the other commands use (an alias, or the SDK's profile chain and flags), and
//! sent over the same trust settings (`--ca-bundle`).

use std::time::SystemTime;

use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode,
    sign,
};
use base64::Engine;
use md5::Digest;

use crate::alias::Aliases;
use crate::connect::ConnectArgs;
use crate::error::ClientError;

/// An endpoint and the keys to sign for it.
pub(crate) struct SignedEndpoint {
    url: String,
    region: String,
    credentials: aws_credential_types::Credentials,
    http: reqwest::Client,
}

impl SignedEndpoint {
    /// The endpoint of `alias`, or else the one `--endpoint-url` and the SDK's chain name.
    pub(crate) async fn new(args: &ConnectArgs, aliases: &Aliases, alias: Option<&str>) -> Result<Self, ClientError> {
        let region = args.region.clone().unwrap_or_else(|| "us-east-1".into());
        let (url, credentials, region) = match alias {
            Some(name) => {
                let a = aliases
                    .get(name)
                    .ok_or_else(|| ClientError::Usage(format!("no alias named {name}")))?;
                let creds =
                    aws_credential_types::Credentials::new(&a.access_key, &a.secret_key, None, None, "arca-alias");
                (a.url.clone(), creds, region)
            }
            None => {
                let sdk = crate::connect::sdk_config(args).await?;
                let url = sdk
                    .endpoint_url()
                    .ok_or_else(|| ClientError::Usage("no endpoint: give an alias or --endpoint-url".into()))?
                    .to_string();
                let provider = sdk
                    .credentials_provider()
                    .ok_or_else(|| ClientError::Usage("no credentials found".into()))?;
                let creds = provider
                    .provide_credentials()
                    .await
                    .map_err(|e| ClientError::Usage(format!("no credentials: {e}")))?;
                let region = sdk.region().map_or(region, |r| r.to_string());
                (url, creds, region)
            }
        };
        let mut http = reqwest::Client::builder().use_rustls_tls();
        if let Some(bundle) = args.ca_bundle() {
            let pem = std::fs::read(&bundle).map_err(|e| ClientError::io(bundle.display(), e))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| ClientError::Usage(format!("{}: {e}", bundle.display())))?;
            http = http.tls_built_in_root_certs(false);
            for cert in certs {
                http = http.add_root_certificate(cert);
            }
        }
        let http = http.build().map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(SignedEndpoint {
            url: url.trim_end_matches('/').to_string(),
            region,
            credentials,
            http,
        })
    }

    /// Sends `method path_and_query` with `body`, signed; returns the answer's body. An S3
    /// error answer becomes [`ClientError::S3`].
    pub(crate) async fn send(&self, method: &str, path_and_query: &str, body: Vec<u8>) -> Result<String, ClientError> {
        self.send_for(("s3", Vec::new()), method, path_and_query, body).await
    }

    /// Calls IAM action `action` with `params` (the IAM query API on the same endpoint);
    /// returns IAM's XML answer. An IAM error answer becomes [`ClientError::S3`] with its code.
    pub(crate) async fn iam(&self, action: &str, params: &[(&str, &str)]) -> Result<String, ClientError> {
        use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
        let mut form = format!("Action={action}&Version=2010-05-08");
        for (k, v) in params {
            form.push_str(&format!("&{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)));
        }
        self.send_for(("iam", Vec::new()), "POST", "/", form.into_bytes()).await
    }

    /// Calls KMS operation `operation` with the JSON `body` (KMS's JSON 1.1 API on the same
    /// endpoint); returns its JSON answer. A KMS error becomes [`ClientError::S3`] with its
    /// `__type` as the code.
    pub(crate) async fn kms(
        &self,
        operation: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, ClientError> {
        let headers = vec![
            ("content-type".to_string(), "application/x-amz-json-1.1".to_string()),
            ("x-amz-target".to_string(), format!("TrentService.{operation}")),
        ];
        let answer = self
            .send_for(("kms", headers), "POST", "/", body.to_string().into_bytes())
            .await;
        let text = match answer {
            Ok(text) => text,
            // KMS answers errors in JSON, not S3's XML.
            Err(ClientError::S3 { code, message, hint }) if code.starts_with("HTTP ") => {
                let error: serde_json::Value = serde_json::from_str(&message).unwrap_or_default();
                return Err(ClientError::S3 {
                    code: error["__type"].as_str().map_or(code, str::to_string),
                    message: error["message"].as_str().unwrap_or_default().to_string(),
                    hint,
                });
            }
            Err(e) => return Err(e),
        };
        serde_json::from_str(&text).map_err(|e| ClientError::Transport(format!("the KMS answer is not JSON: {e}")))
    }

    async fn send_for(
        &self,
        (service, extra_headers): (&str, Vec<(String, String)>),
        method: &str,
        path_and_query: &str,
        body: Vec<u8>,
    ) -> Result<String, ClientError> {
        let url = format!("{}{}", self.url, path_and_query);
        let mut headers = extra_headers;
        if service == "iam" {
            headers.push((
                "content-type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            ));
        } else if service == "s3" && !body.is_empty() {
            // S3 requires an integrity header on configuration uploads.
            let md5 = md5::Md5::digest(&body);
            headers.push((
                "content-md5".into(),
                base64::engine::general_purpose::STANDARD.encode(md5),
            ));
        }
        let mut settings = SigningSettings::default();
        // IAM, like AWS's IAM, signs the body's hash without an `x-amz-content-sha256` header.
        if service == "s3" {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let identity = self.credentials.clone().into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(service)
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| ClientError::Transport(e.to_string()))?
            .into();
        let signable = SignableRequest::new(
            method,
            &url,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(&body),
        )
        .map_err(|e| ClientError::Transport(e.to_string()))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| ClientError::Transport(e.to_string()))?
            .into_parts();
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| ClientError::Usage(e.to_string()))?;
        let mut req = self.http.request(method, &url);
        for (k, v) in headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(instructions.headers())
        {
            req = req.header(k, v);
        }
        let resp = req
            .body(body)
            .send()
            .await
            .map_err(|e| ClientError::Transport(format!("{url}: {e}")))?;
        let status = resp.status().as_u16();
        let body = resp.text().await.map_err(|e| ClientError::Transport(e.to_string()))?;
        if status >= 300 {
            return Err(match xml_text(&body, "Code") {
                Some(code) => ClientError::S3 {
                    code,
                    message: xml_text(&body, "Message").unwrap_or_default(),
                    hint: String::new(),
                },
                // Not S3's XML (KMS answers JSON): the whole body, for the caller to read.
                None => ClientError::S3 {
                    code: format!("HTTP {status}"),
                    message: body,
                    hint: String::new(),
                },
            });
        }
        Ok(body)
    }
}

/// The text of the first `<tag>` of an XML document (enough for an S3 error's code and message).
pub(crate) fn xml_text(xml: &str, tag: &str) -> Option<String> {
    xml_texts(xml, tag).into_iter().next()
}

/// The text of every `<tag>` of an XML document, in order, with the five XML escapes undone.
pub(crate) fn xml_texts(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(
            after[..end]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        );
        rest = &after[end + close.len()..];
    }
    out
}
