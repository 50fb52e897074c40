//! A remote tier's S3 calls, made with the AWS SDK for Rust: the store's
//! [`ObjectEndpoint`](arca_store::blob::ObjectEndpoint) for a bucket on another
//! S3-compatible server (another Arca, MinIO, AWS itself).
//!
//! The store calls these from blocking threads (blob writes, reads and removals never run on
//! the async workers), so each call drives the SDK's future to completion on the server's
//! runtime with `Handle::block_on`.

use std::future::Future;

use arca_store::StoreError;
use arca_store::StoreResult;
use arca_store::blob::ObjectEndpoint;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;

/// Where a remote tier lives, as the configuration says.
#[derive(Debug, Clone, serde::Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RemoteTierConfig {
    /// The S3 endpoint, e.g. `http://10.0.0.5:9000`.
    pub endpoint: String,
    /// The bucket that holds the tier's objects (it must exist).
    pub bucket: String,
    /// Access key id on the remote.
    pub access_key: String,
    /// Its secret.
    pub secret_key: String,
    /// Region to sign for (default `us-east-1`).
    #[serde(default = "default_region")]
    pub region: String,
    /// Prefix of the objects' names in the bucket (default none).
    #[serde(default)]
    pub prefix: String,
}

fn default_region() -> String {
    "us-east-1".into()
}

/// One bucket on a remote S3 endpoint.
pub(crate) struct SdkEndpoint {
    client: Client,
    bucket: String,
    runtime: tokio::runtime::Handle,
}

impl SdkEndpoint {
    /// A client for `config`'s endpoint; must be made inside the server's runtime.
    pub(crate) fn new(config: &RemoteTierConfig) -> Self {
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&config.endpoint)
            .region(Region::new(config.region.clone()))
            .credentials_provider(Credentials::new(
                &config.access_key,
                &config.secret_key,
                None,
                None,
                "arca-remote-tier",
            ))
            .force_path_style(true)
            .build();
        SdkEndpoint {
            client: Client::from_conf(conf),
            bucket: config.bucket.clone(),
            runtime: tokio::runtime::Handle::current(),
        }
    }

    /// Checks, at start, that the bucket is there and the keys work.
    pub(crate) async fn check(&self) -> Result<(), String> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map(drop)
            .map_err(|e| match service_code(&e) {
                Some(code) => format!("bucket {}: {code}", self.bucket),
                None => format!("bucket {}: {e}", self.bucket),
            })
    }

    fn call<T, E: std::fmt::Display>(&self, what: &str, fut: impl Future<Output = Result<T, E>>) -> StoreResult<T> {
        self.runtime
            .block_on(fut)
            .map_err(|e| StoreError::Remote(format!("{what} on {}: {e}", self.bucket)))
    }
}

/// The code of an SDK service error (`NoSuchKey`, …), if it is one.
fn service_code<E: aws_sdk_s3::error::ProvideErrorMetadata, R>(e: &aws_sdk_s3::error::SdkError<E, R>) -> Option<&str> {
    e.as_service_error().and_then(|s| s.code())
}

impl ObjectEndpoint for SdkEndpoint {
    fn put(&self, name: &str, body: Bytes) -> StoreResult<()> {
        let req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(name)
            .body(ByteStream::from(body));
        self.call("PutObject", req.send()).map(drop)
    }

    fn start_upload(&self, name: &str) -> StoreResult<String> {
        let req = self.client.create_multipart_upload().bucket(&self.bucket).key(name);
        let out = self.call("CreateMultipartUpload", req.send())?;
        out.upload_id
            .ok_or_else(|| StoreError::Remote("CreateMultipartUpload answered no upload id".into()))
    }

    fn upload_part(&self, name: &str, upload_id: &str, number: u32, body: Bytes) -> StoreResult<String> {
        let req = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(name)
            .upload_id(upload_id)
            .part_number(number as i32)
            .body(ByteStream::from(body));
        let out = self.call("UploadPart", req.send())?;
        out.e_tag
            .ok_or_else(|| StoreError::Remote("UploadPart answered no ETag".into()))
    }

    fn complete_upload(&self, name: &str, upload_id: &str, parts: &[(u32, String)]) -> StoreResult<()> {
        let parts = parts
            .iter()
            .map(|(n, etag)| CompletedPart::builder().part_number(*n as i32).e_tag(etag).build())
            .collect();
        let req = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(name)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build());
        self.call("CompleteMultipartUpload", req.send()).map(drop)
    }

    fn abort_upload(&self, name: &str, upload_id: &str) -> StoreResult<()> {
        let req = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(name)
            .upload_id(upload_id);
        self.call("AbortMultipartUpload", req.send()).map(drop)
    }

    fn get_range(&self, name: &str, start: u64, len: u64) -> StoreResult<Bytes> {
        let range = format!("bytes={start}-{}", start + len.max(1) - 1);
        let req = self.client.get_object().bucket(&self.bucket).key(name).range(range);
        self.runtime.block_on(async {
            let out = req
                .send()
                .await
                .map_err(|e| StoreError::Remote(format!("GetObject {name}: {e}")))?;
            let body = out
                .body
                .collect()
                .await
                .map_err(|e| StoreError::Remote(format!("GetObject {name}: {e}")))?;
            Ok(body.into_bytes())
        })
    }

    fn delete(&self, name: &str) -> StoreResult<()> {
        let req = self.client.delete_object().bucket(&self.bucket).key(name);
        match self.runtime.block_on(req.send()) {
            Ok(_) => Ok(()),
            Err(e) if service_code(&e) == Some("NoSuchKey") => Ok(()),
            Err(e) => Err(StoreError::Remote(format!("DeleteObject {name}: {e}"))),
        }
    }
}
