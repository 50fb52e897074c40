//! ListObjects (v1), ListObjectsV2 and ListObjectVersions over the store's ordered index.

use arca_store::{ListEntry, ListPage, ListQuery, ListedVersion, VersionEntry, VersionQuery};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as TOKEN;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use crate::ArcaS3;
use crate::aws_error::AwsError;
use crate::common::*;
use crate::error::StoreResultExt;

/// Maps keys, prefixes and markers through URL encoding when the client asked for it.
struct Encoder(bool);

impl Encoder {
    fn new(e: Option<&EncodingType>) -> S3Result<Self> {
        match e.map(|e| e.as_str()) {
            None => Ok(Encoder(false)),
            Some("url") => Ok(Encoder(true)),
            Some(_) => Err(AwsError::InvalidArgument.with_message("Invalid Encoding Method specified in Request")),
        }
    }
    fn enc(&self, s: String) -> String {
        if self.0 { url_encode(&s) } else { s }
    }
    fn opt(&self, s: Option<String>) -> Option<String> {
        s.map(|s| self.enc(s))
    }
}

fn max_keys(m: Option<i32>) -> S3Result<usize> {
    match m {
        None => Ok(1000),
        Some(n) if n < 0 => Err(AwsError::InvalidArgument.with_message("max-keys cannot be negative")),
        Some(n) => Ok((n as usize).min(1000)),
    }
}

impl ArcaS3 {
    fn list_page(
        &self,
        bucket: &str,
        prefix: Option<&str>,
        delimiter: Option<&str>,
        after: Option<String>,
        max: usize,
    ) -> S3Result<ListPage> {
        let q = ListQuery {
            prefix: prefix.unwrap_or_default().to_string(),
            delimiter: delimiter.map(str::to_string),
            start_after: after,
            max_keys: max,
        };
        self.store.list_objects(bucket, &q).s3()
    }

    fn object_dto(&self, key: String, v: &ListedVersion, owner: bool, enc: &Encoder) -> Object {
        Object {
            key: Some(enc.enc(key)),
            e_tag: Some(etag_dto(&v.etag)),
            last_modified: Some(timestamp(v.last_modified_ms)),
            size: Some(v.size as i64),
            storage_class: Some(ObjectStorageClass::from_static(v.storage_class.as_str())),
            owner: owner.then(|| owner_dto(&v.owner)),
            checksum_algorithm: v
                .checksum
                .as_ref()
                .map(|c| vec![crate::checksum::algorithm_dto(c.algorithm)]),
            checksum_type: v.checksum.as_ref().map(|c| crate::checksum::checksum_type_dto(c.kind)),
            restore_status: None,
        }
    }

    pub(crate) async fn list_objects_v2_impl(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let mut input = req.input;
        // An empty delimiter is no delimiter: not applied, not echoed.
        input.delimiter = input.delimiter.filter(|d| !d.is_empty());
        let enc = Encoder::new(input.encoding_type.as_ref())?;
        let max = max_keys(input.max_keys)?;
        let token_key = match &input.continuation_token {
            Some(t) => Some(
                TOKEN
                    .decode(t)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| {
                        AwsError::InvalidArgument.with_message("The continuation token provided is incorrect")
                    })?,
            ),
            None => None,
        };
        let after = token_key.or_else(|| input.start_after.clone());
        let page = self.list_page(
            &input.bucket,
            input.prefix.as_deref(),
            input.delimiter.as_deref(),
            after,
            max,
        )?;
        let next = page.next_marker().map(|k| TOKEN.encode(k.as_bytes()));
        let fetch_owner = input.fetch_owner.unwrap_or(false);
        let mut contents = Vec::new();
        let mut prefixes = Vec::new();
        let count = page.entries.len();
        for e in page.entries {
            match e {
                ListEntry::Object { key, version } => contents.push(self.object_dto(key, &version, fetch_owner, &enc)),
                ListEntry::CommonPrefix(p) => prefixes.push(CommonPrefix {
                    prefix: Some(enc.enc(p)),
                }),
            }
        }
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(enc.enc(input.prefix.unwrap_or_default())),
            delimiter: enc.opt(input.delimiter),
            max_keys: Some(input.max_keys.unwrap_or(1000)),
            key_count: Some(count as i32),
            is_truncated: Some(page.is_truncated),
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            continuation_token: input.continuation_token,
            next_continuation_token: next,
            start_after: enc.opt(input.start_after),
            encoding_type: input.encoding_type,
            ..Default::default()
        }))
    }

    pub(crate) async fn list_objects_impl(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let mut input = req.input;
        // An empty delimiter is no delimiter: not applied, not echoed.
        input.delimiter = input.delimiter.filter(|d| !d.is_empty());
        let enc = Encoder::new(input.encoding_type.as_ref())?;
        let max = max_keys(input.max_keys)?;
        let page = self.list_page(
            &input.bucket,
            input.prefix.as_deref(),
            input.delimiter.as_deref(),
            input.marker.clone().filter(|m| !m.is_empty()),
            max,
        )?;
        // AWS returns NextMarker only when a delimiter was given.
        let next = if input.delimiter.is_some() {
            page.next_marker().map(str::to_string)
        } else {
            None
        };
        let mut contents = Vec::new();
        let mut prefixes = Vec::new();
        for e in page.entries {
            match e {
                ListEntry::Object { key, version } => contents.push(self.object_dto(key, &version, true, &enc)),
                ListEntry::CommonPrefix(p) => prefixes.push(CommonPrefix {
                    prefix: Some(enc.enc(p)),
                }),
            }
        }
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket),
            prefix: Some(enc.enc(input.prefix.unwrap_or_default())),
            delimiter: enc.opt(input.delimiter),
            marker: Some(enc.enc(input.marker.unwrap_or_default())),
            next_marker: enc.opt(next),
            max_keys: Some(input.max_keys.unwrap_or(1000)),
            is_truncated: Some(page.is_truncated),
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            encoding_type: input.encoding_type,
            ..Default::default()
        }))
    }

    /// On an unversioned bucket every object is its own `null` version, as on AWS.
    pub(crate) async fn list_object_versions_impl(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        let mut input = req.input;
        // An empty delimiter is no delimiter: not applied, not echoed.
        input.delimiter = input.delimiter.filter(|d| !d.is_empty());
        let enc = Encoder::new(input.encoding_type.as_ref())?;
        let max = max_keys(input.max_keys)?;
        let key_marker = input.key_marker.clone().filter(|m| !m.is_empty());
        let version_id_marker = input.version_id_marker.clone().filter(|v| !v.is_empty());
        if let Some(vm) = &version_id_marker {
            if key_marker.is_none() {
                return Err(AwsError::InvalidArgument
                    .with_message("A version-id marker cannot be specified without a key marker."));
            }
            check_version_id(Some(vm))?;
        }
        let query = VersionQuery {
            prefix: input.prefix.clone().unwrap_or_default(),
            delimiter: input.delimiter.clone(),
            key_marker,
            version_id_marker,
            max_keys: max,
        };
        let page = self.store.list_versions(&input.bucket, &query).s3()?;
        let mut versions = Vec::new();
        let mut markers = Vec::new();
        let mut prefixes = Vec::new();
        for e in page.entries {
            match e {
                VersionEntry::Version {
                    key,
                    version: v,
                    is_latest,
                } => {
                    let version_id = Some(v.version_id.clone().unwrap_or_else(|| "null".into()));
                    if v.is_delete_marker {
                        markers.push(DeleteMarkerEntry {
                            key: Some(enc.enc(key)),
                            version_id,
                            is_latest: Some(is_latest),
                            last_modified: Some(timestamp(v.last_modified_ms)),
                            owner: Some(owner_dto(&v.owner)),
                        });
                        continue;
                    }
                    versions.push(ObjectVersion {
                        key: Some(enc.enc(key)),
                        version_id,
                        is_latest: Some(is_latest),
                        e_tag: Some(etag_dto(&v.etag)),
                        last_modified: Some(timestamp(v.last_modified_ms)),
                        size: Some(object_size(&v)),
                        storage_class: Some(ObjectVersionStorageClass::from_static(v.storage_class.as_str())),
                        owner: Some(owner_dto(&v.owner)),
                        checksum_algorithm: v
                            .checksum
                            .as_ref()
                            .map(|c| vec![crate::checksum::algorithm_dto(c.algorithm)]),
                        checksum_type: v.checksum.as_ref().map(|c| crate::checksum::checksum_type_dto(c.kind)),
                        restore_status: None,
                    });
                }
                VersionEntry::CommonPrefix(p) => prefixes.push(CommonPrefix {
                    prefix: Some(enc.enc(p)),
                }),
            }
        }
        let (next_key, next_version) = match page.is_truncated {
            true => (page.next_key_marker, page.next_version_id_marker),
            false => (None, None),
        };
        Ok(S3Response::new(ListObjectVersionsOutput {
            name: Some(input.bucket),
            prefix: Some(enc.enc(input.prefix.unwrap_or_default())),
            delimiter: enc.opt(input.delimiter),
            key_marker: Some(enc.enc(input.key_marker.unwrap_or_default())),
            version_id_marker: Some(input.version_id_marker.unwrap_or_default()),
            next_version_id_marker: next_version,
            next_key_marker: enc.opt(next_key),
            max_keys: Some(input.max_keys.unwrap_or(1000)),
            is_truncated: Some(page.is_truncated),
            versions: (!versions.is_empty()).then_some(versions),
            delete_markers: (!markers.is_empty()).then_some(markers),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            encoding_type: input.encoding_type,
            ..Default::default()
        }))
    }
}
