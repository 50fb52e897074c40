//! Single-object operations: PUT, GET, HEAD, DELETE, copy, tagging, attributes.

use arca_store::{
    ChecksumType, ContentHeaders, DataKey, DeleteTarget, EncryptionDescriptor, IngestTarget, ObjectChecksum,
    ObjectData, ObjectVersion, VersioningState, WriteCondition, now_ms,
};
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use crate::ArcaS3;
use crate::aws_error::AwsError;
use crate::body::{self, ByteChunks};
use crate::checksum;
use crate::common::*;
use crate::customer_key::{ProvidedKey, Sealed, customer_data_key, echo, etag_of, is_customer_sealed, provided_key};
use crate::encryption::{Requester, Sealing, bucket_key_header, kms_key_header, sse_header};
use crate::error::StoreResultExt;

/// The write condition a PUT or Complete carries.
pub(crate) fn write_condition(
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
) -> S3Result<WriteCondition> {
    match (if_match, if_none_match) {
        (_, Some(c)) if c.is_any() => Ok(WriteCondition::IfAbsent),
        (_, Some(_)) => Err(AwsError::NotImplemented.with_message("If-None-Match on writes accepts only *")),
        (Some(ETagCondition::Any), None) => Ok(WriteCondition::IfPresent),
        (Some(ETagCondition::ETag(e)), None) => Ok(WriteCondition::IfEtag(e.value().to_string())),
        (None, None) => Ok(WriteCondition::Always),
    }
}

/// A write condition that finds no object fails with 404 NoSuchKey on AWS; a mismatch with 412.
fn condition_error(e: arca_store::StoreError) -> S3Error {
    crate::error::store_error(e)
}

/// The read-side inputs GET and HEAD share.
struct ReadRequest<'a> {
    version_id: Option<&'a str>,
    if_match: Option<&'a ETagCondition>,
    if_none_match: Option<&'a ETagCondition>,
    if_modified_since: Option<&'a Timestamp>,
    if_unmodified_since: Option<&'a Timestamp>,
    range: Option<Range>,
    part_number: Option<i32>,
    checksum_mode: bool,
}

/// Every header of a GET or HEAD answer, computed once.
struct ReadHeaders {
    start: u64,
    end: u64,
    partial: bool,
    content_range: Option<String>,
    parts_count: Option<i32>,
    etag: ETag,
    last_modified: Timestamp,
    metadata: Option<Metadata>,
    content_type: Option<String>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    content_language: Option<String>,
    cache_control: Option<String>,
    expires: Option<Timestamp>,
    storage_class: Option<StorageClass>,
    checksum: Checksum,
    version_id: Option<String>,
    /// `x-amz-expiration`: when a lifecycle rule will expire the current version.
    expiration: Option<String>,
    /// `x-amz-restore`: where a restore of an archived version stands.
    restore: Option<String>,
    /// `x-amz-server-side-encryption`.
    server_side_encryption: Option<ServerSideEncryption>,
    /// `x-amz-server-side-encryption-aws-kms-key-id`.
    ssekms_key_id: Option<String>,
    /// `x-amz-server-side-encryption-bucket-key-enabled`.
    bucket_key_enabled: Option<bool>,
    /// SSE-C: `x-amz-server-side-encryption-customer-algorithm`.
    sse_customer_algorithm: Option<String>,
    /// SSE-C: `x-amz-server-side-encryption-customer-key-MD5`, the request's.
    sse_customer_key_md5: Option<String>,
}

/// The [`ReadRequest`] and `response-*` overrides of a GetObjectInput or HeadObjectInput
/// (same field names).
macro_rules! read_request {
    ($i:ident) => {
        (
            ReadRequest {
                version_id: $i.version_id.as_deref(),
                if_match: $i.if_match.as_ref(),
                if_none_match: $i.if_none_match.as_ref(),
                if_modified_since: $i.if_modified_since.as_ref(),
                if_unmodified_since: $i.if_unmodified_since.as_ref(),
                range: $i.range,
                part_number: $i.part_number,
                checksum_mode: $i.checksum_mode.is_some(),
            },
            ContentHeaders {
                content_type: $i.response_content_type,
                content_encoding: $i.response_content_encoding,
                content_disposition: $i.response_content_disposition,
                content_language: $i.response_content_language,
                cache_control: $i.response_cache_control,
                expires: $i.response_expires.as_ref().map(format_http_date),
            },
        )
    };
}

/// Fills GetObjectOutput or HeadObjectOutput (same field names) from [`ReadHeaders`].
macro_rules! object_headers {
    ($out:ident, $h:expr, { $($extra:tt)* }) => {{
        let h = $h;
        $out {
            content_length: Some((h.end - h.start) as i64),
            content_range: h.content_range,
            accept_ranges: Some("bytes".into()),
            e_tag: Some(h.etag),
            last_modified: Some(h.last_modified),
            metadata: h.metadata,
            content_type: h.content_type,
            content_encoding: h.content_encoding,
            content_disposition: h.content_disposition,
            content_language: h.content_language,
            cache_control: h.cache_control,
            expires: h.expires,
            storage_class: h.storage_class,
            version_id: h.version_id,
            expiration: h.expiration,
            restore: h.restore,
            server_side_encryption: h.server_side_encryption,
            ssekms_key_id: h.ssekms_key_id,
            bucket_key_enabled: h.bucket_key_enabled,
            sse_customer_algorithm: h.sse_customer_algorithm,
            sse_customer_key_md5: h.sse_customer_key_md5,
            parts_count: h.parts_count,
            checksum_crc32: h.checksum.checksum_crc32,
            checksum_crc32c: h.checksum.checksum_crc32c,
            checksum_crc64nvme: h.checksum.checksum_crc64nvme,
            checksum_sha1: h.checksum.checksum_sha1,
            checksum_sha256: h.checksum.checksum_sha256,
            checksum_type: h.checksum.checksum_type,
            $($extra)*
            ..Default::default()
        }
    }};
}

/// 206 for ranges and part reads, 200 otherwise.
fn with_status<T>(out: T, partial: bool) -> S3Response<T> {
    let mut resp = S3Response::new(out);
    if partial {
        resp.status = Some(http::StatusCode::PARTIAL_CONTENT);
    }
    resp
}

impl ArcaS3 {
    pub(crate) async fn put_object_impl(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let trailers = req.trailing_headers.clone();
        let writer = crate::requester::writer(&req);
        let requester = Requester::of(&req);
        let customer = provided_key(crate::customer_key_headers!(req.input), &req.extensions)?;
        let input = req.input;
        check_key(&input.key)?;
        crate::unhonoured::refuse_object_write(&crate::unhonoured::ObjectWriteOptions {
            write_offset: input.write_offset_bytes.is_some(),
            ..crate::object_write_options!(input)
        })?;
        // Also fails fast on a missing bucket, before the body is read.
        let (owner, acl) = self.new_object_acl(&input.bucket, writer.as_ref(), &crate::requested_object_acl!(input))?;
        let storage_class = storage_class(input.storage_class.as_ref())?;
        let user_metadata = user_metadata(input.metadata)?;
        let tags = parse_tagging_header(input.tagging.as_deref())?;
        let condition = write_condition(input.if_match.as_ref(), input.if_none_match.as_ref())?;
        if let Some(len) = input.content_length
            && len as u64 > MAX_PUT_SIZE
        {
            return Err(AwsError::EntityTooLarge.error());
        }
        let content_md5 = body::decode_content_md5(input.content_md5.as_deref())?;

        let declared = Checksum {
            checksum_crc32: input.checksum_crc32,
            checksum_crc32c: input.checksum_crc32c,
            checksum_crc64nvme: input.checksum_crc64nvme,
            checksum_sha1: input.checksum_sha1,
            checksum_sha256: input.checksum_sha256,
            checksum_type: None,
        };
        let algorithm = checksum::requested_algorithm(&declared, input.checksum_algorithm.as_ref())?;
        let chunks = match input.body {
            Some(b) => body::request_chunks(b),
            None => futures::stream::empty().boxed_chunks(),
        };
        let (data_key, encryption) = self
            .new_sealing(
                &requester,
                &input.bucket,
                &input.key,
                &crate::sse_request!(input),
                customer.as_ref(),
            )
            .await?;
        let ingested = body::ingest(
            &self.store,
            &self.md5,
            chunks,
            checksum::hasher_for(algorithm),
            MAX_PUT_SIZE,
            (IngestTarget::Object, storage_class, Some(data_key.clone())),
        )
        .await?;

        let verdict = ingested.verify(
            content_md5,
            input.content_length,
            declared,
            trailers.as_ref(),
            Some(algorithm),
        );
        if let Err(e) = verdict {
            self.discard(&ingested.data).await;
            return Err(e);
        }

        let stored_checksum = checksum::value_of(&ingested.checksum, algorithm).map(|v| ObjectChecksum {
            algorithm,
            value: v.clone(),
            kind: ChecksumType::FullObject,
        });
        let version = ObjectVersion {
            acl,
            version_id: None,
            is_delete_marker: false,
            size: ingested.size,
            etag: etag_of(&encryption, &data_key, &ingested.md5),
            last_modified_ms: now_ms(),
            storage_class,
            owner,
            content: content_headers(
                input.content_type,
                input.content_encoding,
                input.content_disposition,
                input.content_language,
                input.cache_control,
                input.expires,
            ),
            user_metadata,
            tags,
            checksum: stored_checksum.clone(),
            parts: Vec::new(),
            data: ingested.data.clone(),
            encryption: Some(encryption),
            completed_upload: None,
            stamp: 0,
            restore: None,
        };
        let etag = version.etag.clone();
        let server_side_encryption = sse_header(version.encryption.as_ref());
        let ssekms_key_id = kms_key_header(version.encryption.as_ref());
        let bucket_key_enabled = bucket_key_header(version.encryption.as_ref());
        let (sse_customer_algorithm, sse_customer_key_md5) = echo(version.encryption.as_ref(), customer.as_ref());
        let expiration = self.expiration_header(&input.bucket, &input.key, &version);
        let version_id = match self
            .store
            .put_object(&input.bucket, &input.key, version, condition)
            .await
        {
            Ok(id) => id,
            Err(e) => {
                self.discard(&ingested.data).await;
                return Err(condition_error(e));
            }
        };
        let mut c = checksum::to_dto(stored_checksum.as_ref());
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(etag_dto(&etag)),
            version_id,
            checksum_crc32: c.checksum_crc32.take(),
            checksum_crc32c: c.checksum_crc32c.take(),
            checksum_crc64nvme: c.checksum_crc64nvme.take(),
            checksum_sha1: c.checksum_sha1.take(),
            checksum_sha256: c.checksum_sha256.take(),
            checksum_type: c.checksum_type.take(),
            size: Some(ingested.size as i64),
            expiration,
            server_side_encryption,
            ssekms_key_id,
            bucket_key_enabled,
            sse_customer_algorithm,
            sse_customer_key_md5,
            ..Default::default()
        }))
    }

    /// Returns the blobs of an upload that will not be committed to the GC queue.
    pub(crate) async fn discard(&self, data: &ObjectData) {
        if let Err(e) = self.store.discard_data(data).await {
            tracing::warn!(error = %e, "could not queue discarded bytes; the next start will");
        }
    }

    pub(crate) async fn get_object_impl(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let requester = Requester::of(&req);
        let customer = provided_key(crate::customer_key_headers!(req.input), &req.extensions)?;
        let i = req.input;
        let (read, overrides) = read_request!(i);
        let (v, h, customer_key) = self.prepare_read(&i.bucket, &i.key, &read, overrides, customer.as_ref())?;
        // An SSE-C object's key came from checking the customer's; any other is looked up.
        let key = match customer_key {
            Some(k) => Some(k),
            None => self.data_key_of(&requester, &v, None).await?,
        };
        let chunks = body::object_stream(&self.store, crate::restore::readable(&v)?, key.as_ref(), h.start, h.end)?;
        if i.version_id.is_none() {
            // INTELLIGENT_TIERING objects move by when they were last read.
            self.store.note_access(&i.bucket, &i.key, &v);
        }
        let partial = h.partial;
        let out = object_headers!(GetObjectOutput, h, {
            body: Some(body::response_body(chunks)),
            tag_count: (!v.tags.is_empty()).then_some(v.tags.len() as i32),
        });
        Ok(with_status(out, partial))
    }

    pub(crate) async fn head_object_impl(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let customer = provided_key(crate::customer_key_headers!(req.input), &req.extensions)?;
        let i = req.input;
        let (read, overrides) = read_request!(i);
        let (v, h, _) = self.prepare_read(&i.bucket, &i.key, &read, overrides, customer.as_ref())?;
        let partial = h.partial;
        let mut resp = with_status(object_headers!(HeadObjectOutput, h, {}), partial);
        // HEAD reports the tag count as GET does; s3s's HeadObjectOutput has no field for it.
        if !v.tags.is_empty() {
            resp.headers
                .insert("x-amz-tagging-count", http::HeaderValue::from(v.tags.len()));
        }
        Ok(resp)
    }

    /// What GET and HEAD share: find the version, check the customer's key (before any
    /// condition, which would tell about an ETag), check conditions, resolve the range or
    /// part, and compute every response header. Also answers an SSE-C object's data key.
    fn prepare_read(
        &self,
        bucket: &str,
        key: &str,
        r: &ReadRequest<'_>,
        overrides: ContentHeaders,
        customer: Option<&ProvidedKey>,
    ) -> S3Result<(ObjectVersion, ReadHeaders, Option<DataKey>)> {
        let v = self.read_version(bucket, key, r.version_id)?;
        let customer_key = customer_data_key(v.encryption.as_ref(), customer, Sealed::Object)?;
        let (sse_customer_algorithm, sse_customer_key_md5) = echo(v.encryption.as_ref(), customer);
        check_read_conditions(
            &v,
            r.if_match,
            r.if_none_match,
            r.if_modified_since,
            r.if_unmodified_since,
        )?;
        let (start, end, content_range, parts_count) = select_range(&v, r.range, r.part_number)?;
        let whole = start == 0 && end == v.size && r.part_number.is_none();
        let checksum = if whole && r.checksum_mode {
            checksum::to_dto(v.checksum.as_ref())
        } else {
            Checksum::default()
        };
        let c = &v.content;
        let expiration = match r.version_id {
            None => self.expiration_header(bucket, key, &v),
            Some(_) => None,
        };
        let h = ReadHeaders {
            expiration,
            restore: crate::restore::restore_header(&v),
            server_side_encryption: sse_header(v.encryption.as_ref()),
            ssekms_key_id: kms_key_header(v.encryption.as_ref()),
            bucket_key_enabled: bucket_key_header(v.encryption.as_ref()),
            sse_customer_algorithm,
            sse_customer_key_md5,
            start,
            end,
            partial: r.part_number.is_some() || start != 0 || end != v.size,
            content_range,
            parts_count,
            etag: etag_dto(&v.etag),
            last_modified: timestamp(v.last_modified_ms),
            metadata: metadata_dto(&v.user_metadata),
            content_type: overrides.content_type.or_else(|| c.content_type.clone()),
            content_encoding: overrides.content_encoding.or_else(|| c.content_encoding.clone()),
            content_disposition: overrides.content_disposition.or_else(|| c.content_disposition.clone()),
            content_language: overrides.content_language.or_else(|| c.content_language.clone()),
            cache_control: overrides.cache_control.or_else(|| c.cache_control.clone()),
            expires: overrides
                .expires
                .or_else(|| c.expires.clone())
                .as_deref()
                .and_then(parse_http_date),
            storage_class: storage_class_out(v.storage_class),
            checksum,
            // The null version of a versioned bucket is named `null`, as AWS names it (and a
            // read that named it hears its name back).
            version_id: v
                .version_id
                .clone()
                .or_else(|| (r.version_id.is_some() || self.store.is_versioned(bucket)).then(|| "null".to_string())),
        };
        Ok((v, h, customer_key))
    }

    pub(crate) async fn delete_object_impl(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let input = req.input;
        check_version_id(input.version_id.as_deref())?;
        if let Some(cond) = &input.if_match {
            // The condition is on the version the request deletes: the current one, or the
            // one it names.
            let target = match input.version_id.as_deref() {
                Some(id) => self.store.get_version(&input.bucket, &input.key, id),
                None => self.store.get_object(&input.bucket, &input.key),
            };
            match target {
                Ok(v) if etag_matches(cond, &v.etag) => {}
                Ok(_) => {
                    return Err(AwsError::PreconditionFailed.error());
                }
                Err(e) => return Err(crate::error::store_error(e)),
            }
        }
        let target = DeleteTarget {
            key: input.key,
            version_id: input.version_id,
        };
        let mut outcomes = self
            .store
            .delete_objects(&input.bucket, vec![target], self.bucket_owner(&input.bucket)?)
            .await
            .s3()?;
        let outcome = outcomes.pop().unwrap_or_default();
        Ok(S3Response::new(DeleteObjectOutput {
            version_id: outcome.version_id,
            delete_marker: outcome.delete_marker.then_some(true),
            ..Default::default()
        }))
    }

    pub(crate) async fn delete_objects_impl(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        // AWS requires an integrity check on a request that can delete a thousand keys: a
        // body changed in transit must not delete other objects.
        let has_digest = req.headers.keys().any(|name| {
            name == "content-md5" || (name.as_str().starts_with("x-amz-checksum-") && name != "x-amz-checksum-type")
        });
        if !has_digest {
            return Err(AwsError::InvalidRequest.with_message("Missing required header for this request: Content-MD5"));
        }
        let denied = req
            .extensions
            .get::<crate::denied_keys::DeniedKeys>()
            .map(|d| d.0.clone())
            .unwrap_or_default();
        let input = req.input;
        let objects = input.delete.objects;
        if objects.len() + denied.len() > 1000 {
            return Err(AwsError::MalformedXML.error());
        }
        let quiet = input.delete.quiet.unwrap_or(false);
        // Keys the requester may not delete are reported, as S3 does, not deleted.
        let mut errors: Vec<Error> = denied
            .into_iter()
            .map(|(key, version_id)| Error {
                code: Some("AccessDenied".to_string()),
                key: Some(key),
                message: Some("Access Denied".to_string()),
                version_id,
            })
            .collect();
        let mut targets = Vec::new();
        for o in objects {
            match check_version_id(o.version_id.as_deref()).and_then(|()| check_key(&o.key)) {
                Ok(()) => targets.push(DeleteTarget {
                    key: o.key,
                    version_id: o.version_id,
                }),
                Err(e) => errors.push(Error {
                    code: Some(e.code().as_str().to_string()),
                    key: Some(o.key),
                    message: e.message().map(str::to_string),
                    version_id: o.version_id,
                }),
            }
        }
        let asked: Vec<(String, Option<String>)> =
            targets.iter().map(|t| (t.key.clone(), t.version_id.clone())).collect();
        let outcomes = self
            .store
            .delete_objects(&input.bucket, targets, self.bucket_owner(&input.bucket)?)
            .await
            .s3()?;
        let deleted: Vec<DeletedObject> = if quiet {
            Vec::new()
        } else {
            asked
                .into_iter()
                .zip(outcomes)
                .map(|((key, version_id), outcome)| match version_id {
                    // A version removed for good: AWS echoes it, and says if it was a marker.
                    Some(id) => DeletedObject {
                        key: Some(key),
                        version_id: Some(id),
                        delete_marker: outcome.delete_marker.then_some(true),
                        ..Default::default()
                    },
                    // A delete that made a marker names the marker.
                    None => DeletedObject {
                        key: Some(key),
                        delete_marker: outcome.delete_marker.then_some(true),
                        delete_marker_version_id: outcome
                            .delete_marker
                            .then(|| outcome.version_id.clone().unwrap_or_else(|| "null".into())),
                        ..Default::default()
                    },
                })
                .collect()
        };
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..Default::default()
        }))
    }

    pub(crate) async fn copy_object_impl(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let writer = crate::requester::writer(&req);
        let requester = Requester::of(&req);
        let customer = provided_key(crate::customer_key_headers!(req.input), &req.extensions)?;
        let src_customer = provided_key(crate::customer_key_headers!(req.input, copy_source), &req.extensions)?;
        let input = req.input;
        check_key(&input.key)?;
        crate::unhonoured::refuse_object_write(&crate::object_write_options!(input))?;
        // A copy's ACL and owner are the request's, never the source's (as in S3).
        let (owner, acl) = self.new_object_acl(&input.bucket, writer.as_ref(), &crate::requested_object_acl!(input))?;
        let sse = crate::sse_request!(input);
        let (src_bucket, src_key, src_version) = copy_source(&input.copy_source)?;
        let src = self.read_version(&src_bucket, &src_key, src_version.as_deref())?;
        // The source's key before its conditions, which would tell about its ETag.
        customer_data_key(src.encryption.as_ref(), src_customer.as_ref(), Sealed::Object)?;
        check_copy_conditions(
            &src,
            input.copy_source_if_match.as_ref(),
            input.copy_source_if_none_match.as_ref(),
            input.copy_source_if_modified_since.as_ref(),
            input.copy_source_if_unmodified_since.as_ref(),
        )?;
        if src.size > MAX_PUT_SIZE {
            return Err(copy_source_too_large());
        }
        let replace_meta = input
            .metadata_directive
            .as_ref()
            .is_some_and(|d| d.as_str() == MetadataDirective::REPLACE);
        let replace_tags = input
            .tagging_directive
            .as_ref()
            .is_some_and(|d| d.as_str() == TaggingDirective::REPLACE);
        let storage_class = match &input.storage_class {
            Some(_) => storage_class(input.storage_class.as_ref())?,
            None => src.storage_class,
        };
        // Onto itself, from its current version (a copy of an older version onto its key is how
        // S3 users restore it, and needs no change).
        let same = src_bucket == input.bucket && src_key == input.key && src_version.is_none();
        if same
            && !replace_meta
            && !replace_tags
            && input.storage_class.is_none()
            && input.website_redirect_location.is_none()
            && input.server_side_encryption.is_none()
            && customer.is_none()
        {
            return Err(AwsError::InvalidRequest.with_message("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."));
        }
        let (content, user_metadata) = if replace_meta {
            (
                content_headers(
                    input.content_type,
                    input.content_encoding,
                    input.content_disposition,
                    input.content_language,
                    input.cache_control,
                    input.expires,
                ),
                crate::common::user_metadata(input.metadata)?,
            )
        } else {
            (src.content.clone(), src.user_metadata.clone())
        };
        let tags = if replace_tags {
            parse_tagging_header(input.tagging.as_deref())?
        } else {
            src.tags.clone()
        };
        let last_modified_ms = now_ms();
        let mut etag = src.etag.clone();
        let mut version_id = None;
        // A copy made in place keeps the source's sealing; one into new bytes has its own.
        let mut encryption = src.encryption.clone();
        // In place only where no version must be kept: a versioned bucket gets a new version.
        // A copy onto itself that changes the class to one on another tier moves the bytes.
        // An object stored before encryption is resealed, never changed in place; so is an
        // SSE-C one (its copy is SSE-C only if the request brings a key for it).
        let in_place = same
            && src.encryption.is_some()
            && !is_customer_sealed(src.encryption.as_ref())
            && sse.algorithm.is_none()
            && customer.is_none()
            && !self.store.moves_bytes(&src, storage_class)
            && self.store.get_bucket(&input.bucket).s3()?.versioning == VersioningState::Unversioned;
        if in_place {
            // Metadata-only change: the bytes (and their blobs) stay where they are.
            let src_etag = src.etag.clone();
            self.store
                .update_object(&input.bucket, &input.key, move |v| {
                    if v.etag == src_etag {
                        v.owner = owner;
                        v.acl = acl;
                        v.content = content;
                        v.user_metadata = user_metadata;
                        v.tags = tags;
                        v.storage_class = storage_class;
                        v.last_modified_ms = last_modified_ms;
                    }
                })
                .await
                .s3()?;
        } else {
            let sealing = self
                .new_sealing(&requester, &input.bucket, &input.key, &sse, customer.as_ref())
                .await?;
            let (data, sealing, copied_etag) = self
                .copy_bytes(
                    (&requester, src_customer.as_ref()),
                    &src,
                    (0, src.size),
                    (storage_class, sealing),
                )
                .await?;
            // An SSE-C ETag is keyed by its object's data key: neither side's may be kept.
            if is_customer_sealed(src.encryption.as_ref()) || is_customer_sealed(Some(&sealing)) {
                etag = copied_etag;
            }
            encryption = Some(sealing.clone());
            let version = ObjectVersion {
                acl,
                version_id: None,
                is_delete_marker: false,
                size: src.size,
                etag: etag.clone(),
                last_modified_ms,
                storage_class,
                owner,
                content,
                user_metadata,
                tags,
                checksum: src.checksum.clone(),
                parts: src.parts.clone(),
                data: data.clone(),
                encryption: Some(sealing),
                completed_upload: None,
                stamp: 0,
                restore: None,
            };
            match self
                .store
                .put_object(&input.bucket, &input.key, version, WriteCondition::Always)
                .await
            {
                Ok(id) => version_id = id,
                Err(e) => {
                    self.discard(&data).await;
                    return Err(crate::error::store_error(e));
                }
            }
        }
        let mut c = checksum::to_dto(src.checksum.as_ref());
        let (sse_customer_algorithm, sse_customer_key_md5) = echo(encryption.as_ref(), customer.as_ref());
        Ok(S3Response::new(CopyObjectOutput {
            version_id,
            copy_source_version_id: src.version_id.clone().or_else(|| src_version.clone()),
            server_side_encryption: sse_header(encryption.as_ref()),
            ssekms_key_id: kms_key_header(encryption.as_ref()),
            bucket_key_enabled: bucket_key_header(encryption.as_ref()),
            sse_customer_algorithm,
            sse_customer_key_md5,
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(etag_dto(&etag)),
                last_modified: Some(timestamp(last_modified_ms)),
                checksum_crc32: c.checksum_crc32.take(),
                checksum_crc32c: c.checksum_crc32c.take(),
                checksum_crc64nvme: c.checksum_crc64nvme.take(),
                checksum_sha1: c.checksum_sha1.take(),
                checksum_sha256: c.checksum_sha256.take(),
                checksum_type: c.checksum_type.take(),
            }),
            ..Default::default()
        }))
    }

    /// Copies object bytes `[start, end)` into new storage for an object of `class` (blobs are
    /// owned by one record), sealed as `sealing` says; returns them, how their record keeps
    /// that key, and the ETag they would have as one upload. The source is opened as
    /// `requester` may, with the customer key the request brought for it.
    pub(crate) async fn copy_bytes(
        &self,
        (requester, src_customer): (&Requester, Option<&ProvidedKey>),
        src: &ObjectVersion,
        (start, end): (u64, u64),
        (class, sealing): (arca_store::StorageClass, Sealing),
    ) -> S3Result<(ObjectData, EncryptionDescriptor, String)> {
        let src_key = self.data_key_of(requester, src, src_customer).await?;
        let chunks = body::object_stream(
            &self.store,
            crate::restore::readable(src)?,
            src_key.as_ref(),
            start,
            end,
        )?;
        let (data_key, encryption) = sealing;
        let ingested = body::ingest(
            &self.store,
            &self.md5,
            chunks,
            s3s::checksum::ChecksumHasher::default(),
            u64::MAX,
            (IngestTarget::Object, class, Some(data_key.clone())),
        )
        .await?;
        let etag = etag_of(&encryption, &data_key, &ingested.md5);
        Ok((ingested.data, encryption, etag))
    }

    /// A browser POST upload is a PUT of the form's file. Its answer carries the object's
    /// quoted ETag and absolute URL in `ETag` and `Location`, as AWS's does (s3s writes the
    /// same URL into a 201 body: see `vendor/s3s/PATCHES.md`).
    pub(crate) async fn post_object_impl(
        &self,
        req: S3Request<PostObjectInput>,
    ) -> S3Result<S3Response<PostObjectOutput>> {
        // A form's credential is read by s3s inside the body, past the front door that refuses
        // other requests signed for another region (`corrections::wrong_region`); AWS
        // answers a form with `400 InvalidArgument` instead.
        if let Some(asked) = &req.region
            && asked.as_str() != self.region
        {
            return Err(AwsError::InvalidArgument.with_message(format!(
                "the region '{}' is wrong; expecting '{}'",
                asked.as_str(),
                self.region
            )));
        }
        let location = crate::location::object_url(&req.headers, &req.extensions, &req.input.bucket, &req.input.key);
        let put = self
            .put_object_impl(req.map_input(s3s::dto::post_object_input_into_put_object_input))
            .await?;
        let mut resp = put.map_output(s3s::dto::put_object_output_into_post_object_output);
        if let Some(etag) = &resp.output.e_tag
            && let Ok(v) = http::HeaderValue::from_str(&format!("\"{}\"", etag.value()))
        {
            resp.headers.insert(http::header::ETAG, v);
        }
        if let Ok(v) = http::HeaderValue::from_str(&location) {
            resp.headers.insert(http::header::LOCATION, v);
        }
        Ok(resp)
    }

    pub(crate) async fn get_object_attributes_impl(
        &self,
        req: S3Request<GetObjectAttributesInput>,
    ) -> S3Result<S3Response<GetObjectAttributesOutput>> {
        let customer = provided_key(crate::customer_key_headers!(req.input), &req.extensions)?;
        let input = req.input;
        let v = self.read_version(&input.bucket, &input.key, input.version_id.as_deref())?;
        customer_data_key(v.encryption.as_ref(), customer.as_ref(), Sealed::Object)?;
        let asked = requested_attributes(&input.object_attributes)?;
        let wants = |a: &str| asked.contains(&a);
        let mut out = GetObjectAttributesOutput {
            last_modified: Some(timestamp(v.last_modified_ms)),
            ..Default::default()
        };
        if wants(ObjectAttributes::ETAG) {
            out.e_tag = Some(etag_dto(&v.etag));
        }
        if wants(ObjectAttributes::OBJECT_SIZE) {
            out.object_size = Some(v.size as i64);
        }
        if wants(ObjectAttributes::STORAGE_CLASS) {
            out.storage_class = Some(StorageClass::from_static(v.storage_class.as_str()));
        }
        if wants(ObjectAttributes::CHECKSUM) && v.checksum.is_some() {
            out.checksum = Some(checksum::to_dto(v.checksum.as_ref()));
        }
        if wants(ObjectAttributes::OBJECT_PARTS) && !v.parts.is_empty() {
            let marker = input.part_number_marker.unwrap_or(0);
            let max = input.max_parts.unwrap_or(1000).max(0) as usize;
            let after: Vec<_> = v.parts.iter().filter(|p| p.part_number as i32 > marker).collect();
            let page: Vec<_> = after.iter().take(max).collect();
            let alg = v.checksum.as_ref().map(|c| c.algorithm);
            out.object_parts = Some(GetObjectAttributesParts {
                is_truncated: Some(after.len() > page.len()),
                max_parts: Some(max as i32),
                next_part_number_marker: page.last().map(|p| p.part_number as i32),
                part_number_marker: Some(marker),
                total_parts_count: Some(v.parts.len() as i32),
                parts: Some(
                    page.iter()
                        .map(|p| {
                            let c = checksum::value_dto(alg, p.checksum.as_ref());
                            ObjectPart {
                                part_number: Some(p.part_number as i32),
                                size: Some(p.size as i64),
                                checksum_crc32: c.checksum_crc32,
                                checksum_crc32c: c.checksum_crc32c,
                                checksum_crc64nvme: c.checksum_crc64nvme,
                                checksum_sha1: c.checksum_sha1,
                                checksum_sha256: c.checksum_sha256,
                            }
                        })
                        .collect(),
                ),
            });
        }
        Ok(S3Response::new(out))
    }

    pub(crate) async fn put_object_tagging_impl(
        &self,
        req: S3Request<PutObjectTaggingInput>,
    ) -> S3Result<S3Response<PutObjectTaggingOutput>> {
        let input = req.input;
        let tags = tags_from_dto(input.tagging, 10)?;
        let v = self
            .update_named_version(&input.bucket, &input.key, input.version_id.as_deref(), move |v| {
                v.tags = tags
            })
            .await?;
        Ok(S3Response::new(PutObjectTaggingOutput {
            version_id: v.version_id.or(input.version_id),
        }))
    }

    pub(crate) async fn get_object_tagging_impl(
        &self,
        req: S3Request<GetObjectTaggingInput>,
    ) -> S3Result<S3Response<GetObjectTaggingOutput>> {
        let input = req.input;
        let v = self.read_version(&input.bucket, &input.key, input.version_id.as_deref())?;
        Ok(S3Response::new(GetObjectTaggingOutput {
            tag_set: tags_dto(&v.tags),
            version_id: v.version_id,
        }))
    }

    pub(crate) async fn delete_object_tagging_impl(
        &self,
        req: S3Request<DeleteObjectTaggingInput>,
    ) -> S3Result<S3Response<DeleteObjectTaggingOutput>> {
        let input = req.input;
        let v = self
            .update_named_version(&input.bucket, &input.key, input.version_id.as_deref(), |v| {
                v.tags.clear()
            })
            .await?;
        Ok(S3Response::new(DeleteObjectTaggingOutput {
            version_id: v.version_id.or(input.version_id),
        }))
    }
}

fn storage_class_out(sc: arca_store::StorageClass) -> Option<StorageClass> {
    // AWS omits the header for STANDARD.
    (sc != arca_store::StorageClass::Standard).then(|| StorageClass::from_static(sc.as_str()))
}

pub(crate) fn copy_source(cs: &CopySource) -> S3Result<(String, String, Option<String>)> {
    match cs {
        CopySource::Bucket {
            bucket,
            key,
            version_id,
        } => Ok((
            bucket.to_string(),
            key.to_string(),
            version_id.as_ref().map(|v| v.to_string()),
        )),
        _ => Err(AwsError::NotImplemented.with_message("Access point copy sources are not supported")),
    }
}

/// Conditional read headers in AWS's order of precedence (RFC 9110 §13.2.2).
fn check_read_conditions(
    v: &ObjectVersion,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> S3Result<()> {
    let modified = whole_seconds(v.last_modified_ms);
    if let Some(c) = if_match {
        if !etag_matches(c, &v.etag) {
            return Err(precondition_failed());
        }
    } else if let Some(t) = if_unmodified_since
        && modified > timestamp_secs(t)
    {
        return Err(precondition_failed());
    }
    if let Some(c) = if_none_match {
        if etag_matches(c, &v.etag) {
            return Err(not_modified(v));
        }
    } else if let Some(t) = if_modified_since
        && modified <= timestamp_secs(t)
    {
        return Err(not_modified(v));
    }
    Ok(())
}

pub(crate) fn check_copy_conditions(
    v: &ObjectVersion,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> S3Result<()> {
    let modified = whole_seconds(v.last_modified_ms);
    if let Some(c) = if_match {
        if !etag_matches(c, &v.etag) {
            return Err(precondition_failed());
        }
    } else if let Some(t) = if_unmodified_since
        && modified > timestamp_secs(t)
    {
        return Err(precondition_failed());
    }
    if let Some(c) = if_none_match {
        if etag_matches(c, &v.etag) {
            return Err(precondition_failed());
        }
    } else if let Some(t) = if_modified_since
        && modified <= timestamp_secs(t)
    {
        return Err(precondition_failed());
    }
    Ok(())
}

/// The attributes of `x-amz-object-attributes`. SDKs send them comma-separated in one
/// header, others as repeated headers; s3s hands over one item per header.
fn requested_attributes(items: &[ObjectAttributes]) -> S3Result<Vec<&str>> {
    const KNOWN: [&str; 5] = [
        ObjectAttributes::CHECKSUM,
        ObjectAttributes::ETAG,
        ObjectAttributes::OBJECT_PARTS,
        ObjectAttributes::OBJECT_SIZE,
        ObjectAttributes::STORAGE_CLASS,
    ];
    let mut asked = Vec::new();
    for name in items.iter().flat_map(|x| x.as_str().split(',')).map(str::trim) {
        if !KNOWN.contains(&name) {
            return Err(AwsError::InvalidArgument.with_message("Invalid attribute name specified."));
        }
        asked.push(name);
    }
    Ok(asked)
}

fn precondition_failed() -> S3Error {
    AwsError::PreconditionFailed.error()
}

/// 304 has no body, so no message (s3s writes none for it).
fn not_modified(v: &ObjectVersion) -> S3Error {
    let mut e = S3Error::new(S3ErrorCode::NotModified);
    let mut h = http::HeaderMap::new();
    if let Ok(val) = http::HeaderValue::from_str(&format!("\"{}\"", v.etag)) {
        h.insert(http::header::ETAG, val);
    }
    e.set_headers(h);
    e
}

/// Resolves `Range` or `partNumber` to `[start, end)`, a Content-Range value and the part
/// count AWS reports for part reads.
fn select_range(
    v: &ObjectVersion,
    range: Option<Range>,
    part_number: Option<i32>,
) -> S3Result<(u64, u64, Option<String>, Option<i32>)> {
    if let Some(n) = part_number {
        if range.is_some() {
            return Err(AwsError::InvalidRequest
                .with_message("Cannot specify both Range header and partNumber query parameter"));
        }
        if !(1..=MAX_PART_NUMBER).contains(&n) {
            return Err(
                AwsError::InvalidArgument.with_message("Part number must be an integer between 1 and 10000, inclusive")
            );
        }
        if v.parts.is_empty() {
            if n != 1 {
                return Err(invalid_part_number());
            }
            let cr = (v.size > 0).then(|| format!("bytes 0-{}/{}", v.size - 1, v.size));
            return Ok((0, v.size, cr, Some(1)));
        }
        let idx = (n - 1) as usize;
        if idx >= v.parts.len() {
            return Err(invalid_part_number());
        }
        let start: u64 = v.parts[..idx].iter().map(|p| p.size).sum();
        let end = start + v.parts[idx].size;
        let cr = format!("bytes {}-{}/{}", start, end.saturating_sub(1), v.size);
        return Ok((start, end, Some(cr), Some(v.parts.len() as i32)));
    }
    match range {
        None => Ok((0, v.size, None, None)),
        Some(r) => {
            let rr = r.check(v.size).map_err(|_| {
                let mut e = AwsError::InvalidRange.error();
                let mut h = http::HeaderMap::new();
                if let Ok(val) = http::HeaderValue::from_str(&format!("bytes */{}", v.size)) {
                    h.insert(http::header::CONTENT_RANGE, val);
                }
                e.set_headers(h);
                e
            })?;
            let cr = format!("bytes {}-{}/{}", rr.start, rr.end - 1, v.size);
            Ok((rr.start, rr.end, Some(cr), None))
        }
    }
}

/// A `partNumber` beyond the object's parts: 400 on AWS (a range past the end is 416).
fn invalid_part_number() -> S3Error {
    AwsError::InvalidPartNumber.error()
}

trait BoxedChunks {
    fn boxed_chunks(self) -> ByteChunks;
}

impl<S> BoxedChunks for S
where
    S: futures::Stream<Item = Result<bytes::Bytes, S3Error>> + Send + 'static,
{
    fn boxed_chunks(self) -> ByteChunks {
        futures::StreamExt::boxed(self)
    }
}
