//! Multipart uploads. Parts are blobs; Complete turns them into the object's extents in one
//! commit, without copying a byte.

use std::collections::BTreeMap;

use arca_store::{
    ChecksumAlgorithm as Algorithm, ChecksumType, DataKey, EncryptionDescriptor, Extent, IngestTarget, MultipartUpload,
    ObjectChecksum, ObjectData, ObjectVersion, PartRecord, PartSummary, StoreError, UploadQuery, now_ms,
};
use md5_many::Md5State;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use crate::ArcaS3;
use crate::aws_error::AwsError;
use crate::body;
use crate::checksum;
use crate::common::*;
use crate::customer_key::{Sealed, customer_data_key, echo, etag_of, provided_key};
use crate::encryption::{Requester, bucket_key_header, kms_key_header, sse_header};
use crate::error::StoreResultExt;
use crate::object::{check_copy_conditions, copy_source, write_condition};

fn check_part_number(n: i32) -> S3Result<u32> {
    if !(1..=MAX_PART_NUMBER).contains(&n) {
        return Err(
            AwsError::InvalidArgument.with_message("Part number must be an integer between 1 and 10000, inclusive")
        );
    }
    Ok(n as u32)
}

/// The ETag of a part whose bytes arrived as `ingested`, sealed under `data_key` as the
/// upload's `descriptor` says.
fn part_etag(
    descriptor: Option<&EncryptionDescriptor>,
    data_key: Option<&DataKey>,
    ingested: &body::Ingested,
) -> String {
    match (descriptor, data_key) {
        (Some(d), Some(k)) => etag_of(d, k, &ingested.md5),
        _ => ingested.etag(),
    }
}

fn new_upload_id() -> String {
    // Time first, so ids sort roughly by initiation like AWS's listing.
    format!("{:013x}{:016x}", now_ms(), rand::random::<u64>())
}

impl ArcaS3 {
    /// Records an ingested blob as part `part_number` with ETag `etag`; returns its ETag,
    /// time and checksum.
    async fn store_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        (ingested, etag): (&body::Ingested, String),
        algorithm: Option<Algorithm>,
    ) -> S3Result<(String, i64, Option<String>)> {
        let ObjectData::Extents(ext) = &ingested.data else {
            return Err(AwsError::InternalError.with_message("part was not stored as a blob"));
        };
        let value = algorithm.and_then(|a| checksum::value_of(&ingested.checksum, a).cloned());
        let part = PartRecord {
            part_number,
            size: ingested.size,
            etag,
            last_modified_ms: now_ms(),
            checksum: algorithm.zip(value.clone()).map(|(algorithm, value)| ObjectChecksum {
                algorithm,
                value,
                kind: ChecksumType::FullObject,
            }),
            blob: ext[0].blob,
            tier: ext[0].tier,
            sealed_as: ext[0].sealed_as,
        };
        let (etag, time) = (part.etag.clone(), part.last_modified_ms);
        if let Err(e) = self.store.put_part(bucket, key, upload_id, part).await {
            self.discard(&ingested.data).await;
            return Err(crate::error::store_error(e));
        }
        Ok((etag, time, value))
    }

    pub(crate) async fn create_multipart_upload_impl(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let writer = crate::requester::writer(&req);
        let requester = Requester::of(&req);
        let customer = provided_key(crate::customer_key_headers!(req.input), &req.extensions)?;
        let input = req.input;
        check_key(&input.key)?;
        crate::unhonoured::refuse_object_write(&crate::object_write_options!(input))?;
        let sse = crate::sse_request!(input);
        // Decided now, kept with the upload, given to the object at completion.
        let (owner, acl) = self.new_object_acl(&input.bucket, writer.as_ref(), &crate::requested_object_acl!(input))?;
        let algorithm = input
            .checksum_algorithm
            .as_ref()
            .map(checksum::parse_algorithm)
            .transpose()?;
        let kind = match (input.checksum_type.as_ref().map(|t| t.as_str()), algorithm) {
            (Some(ChecksumType_::FULL_OBJECT), Some(a)) if !a.is_crc() => {
                return Err(AwsError::InvalidRequest.with_message(
                    "The FULL_OBJECT checksum type cannot be used with the SHA1 or SHA256 checksum algorithms.",
                ));
            }
            (Some(ChecksumType_::FULL_OBJECT), _) => Some(ChecksumType::FullObject),
            (Some(ChecksumType_::COMPOSITE), Some(Algorithm::Crc64Nvme)) => {
                return Err(AwsError::InvalidRequest.with_message(
                    "The COMPOSITE checksum type cannot be used with the CRC64NVME checksum algorithm.",
                ));
            }
            (Some(_), _) => Some(ChecksumType::Composite),
            (None, Some(Algorithm::Crc64Nvme)) => Some(ChecksumType::FullObject),
            (None, Some(_)) => Some(ChecksumType::Composite),
            (None, None) => None,
        };
        let upload = MultipartUpload {
            acl,
            bucket: input.bucket.clone(),
            key: input.key.clone(),
            upload_id: new_upload_id(),
            initiated_ms: now_ms(),
            owner,
            storage_class: storage_class(input.storage_class.as_ref())?,
            content: content_headers(
                input.content_type,
                input.content_encoding,
                input.content_disposition,
                input.content_language,
                input.cache_control,
                input.expires,
            ),
            user_metadata: user_metadata(input.metadata)?,
            tags: parse_tagging_header(input.tagging.as_deref())?,
            checksum_algorithm: algorithm,
            checksum_type: kind,
            encryption: Some(
                self.new_sealing(&requester, &input.bucket, &input.key, &sse, customer.as_ref())
                    .await?
                    .1,
            ),
        };
        let upload_id = upload.upload_id.clone();
        let server_side_encryption = sse_header(upload.encryption.as_ref());
        let ssekms_key_id = kms_key_header(upload.encryption.as_ref());
        let bucket_key_enabled = bucket_key_header(upload.encryption.as_ref());
        let (sse_customer_algorithm, sse_customer_key_md5) = echo(upload.encryption.as_ref(), customer.as_ref());
        self.store.create_upload(upload).await.s3()?;
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(upload_id),
            server_side_encryption,
            ssekms_key_id,
            bucket_key_enabled,
            sse_customer_algorithm,
            sse_customer_key_md5,
            checksum_algorithm: algorithm.map(checksum::algorithm_dto),
            checksum_type: kind.map(checksum::checksum_type_dto),
            ..Default::default()
        }))
    }

    pub(crate) async fn upload_part_impl(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let trailers = req.trailing_headers.clone();
        let requester = Requester::of(&req);
        let customer = provided_key(crate::customer_key_headers!(req.input), &req.extensions)?;
        let input = req.input;
        let part_number = check_part_number(input.part_number)?;
        let upload = self
            .store
            .get_upload(&input.bucket, &input.key, &input.upload_id)
            .s3()?;
        // Before the body is read: a part without its upload's key is refused unread.
        let data_key = self
            .data_key(
                &requester,
                upload.encryption.as_ref(),
                (customer.as_ref(), Sealed::Upload),
            )
            .await?;
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
        let algorithm: Option<Algorithm> = match upload.checksum_algorithm {
            Some(a) => Some(a),
            None if input.checksum_algorithm.is_some() || declared != Checksum::default() => Some(
                checksum::requested_algorithm(&declared, input.checksum_algorithm.as_ref())?,
            ),
            None => None,
        };
        let hasher = algorithm.map(checksum::hasher_for).unwrap_or_default();
        let chunks = match input.body {
            Some(b) => body::request_chunks(b),
            None => futures::StreamExt::boxed(futures::stream::empty()),
        };
        let target = IngestTarget::Part { number: part_number };
        let ingested = body::ingest(
            &self.store,
            &self.md5,
            chunks,
            hasher,
            MAX_PUT_SIZE,
            (target, upload.storage_class, data_key.clone()),
        )
        .await?;
        let verdict = ingested.verify(
            content_md5,
            input.content_length,
            declared,
            trailers.as_ref(),
            algorithm,
        );
        if let Err(e) = verdict {
            self.discard(&ingested.data).await;
            return Err(e);
        }
        let (etag, _, value) = self
            .store_part(
                &input.bucket,
                &input.key,
                &input.upload_id,
                part_number,
                (
                    &ingested,
                    part_etag(upload.encryption.as_ref(), data_key.as_ref(), &ingested),
                ),
                algorithm,
            )
            .await?;
        let mut c = checksum::value_dto(algorithm, value.as_ref());
        let (sse_customer_algorithm, sse_customer_key_md5) = echo(upload.encryption.as_ref(), customer.as_ref());
        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(etag_dto(&etag)),
            server_side_encryption: sse_header(upload.encryption.as_ref()),
            ssekms_key_id: kms_key_header(upload.encryption.as_ref()),
            bucket_key_enabled: bucket_key_header(upload.encryption.as_ref()),
            sse_customer_algorithm,
            sse_customer_key_md5,
            checksum_crc32: c.checksum_crc32.take(),
            checksum_crc32c: c.checksum_crc32c.take(),
            checksum_crc64nvme: c.checksum_crc64nvme.take(),
            checksum_sha1: c.checksum_sha1.take(),
            checksum_sha256: c.checksum_sha256.take(),
            ..Default::default()
        }))
    }

    pub(crate) async fn upload_part_copy_impl(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        let requester = Requester::of(&req);
        let customer = provided_key(crate::customer_key_headers!(req.input), &req.extensions)?;
        let src_customer = provided_key(crate::customer_key_headers!(req.input, copy_source), &req.extensions)?;
        let input = req.input;
        let part_number = check_part_number(input.part_number)?;
        let upload = self
            .store
            .get_upload(&input.bucket, &input.key, &input.upload_id)
            .s3()?;
        let (sb, sk, sv) = copy_source(&input.copy_source)?;
        let src = self.read_version(&sb, &sk, sv.as_deref())?;
        // The source's key before its conditions, which would tell about its ETag.
        customer_data_key(src.encryption.as_ref(), src_customer.as_ref(), Sealed::Object)?;
        check_copy_conditions(
            &src,
            input.copy_source_if_match.as_ref(),
            input.copy_source_if_none_match.as_ref(),
            input.copy_source_if_modified_since.as_ref(),
            input.copy_source_if_unmodified_since.as_ref(),
        )?;
        let (start, end) = match input.copy_source_range.as_deref() {
            None => (0, src.size),
            Some(r) => parse_copy_range(r, src.size)?,
        };
        if end - start > MAX_PUT_SIZE {
            return Err(copy_source_too_large());
        }
        let algorithm = upload.checksum_algorithm;
        let data_key = self
            .data_key(
                &requester,
                upload.encryption.as_ref(),
                (customer.as_ref(), Sealed::Upload),
            )
            .await?;
        let src_key = self.data_key_of(&requester, &src, src_customer.as_ref()).await?;
        let chunks = body::object_stream(
            &self.store,
            crate::restore::readable(&src)?,
            src_key.as_ref(),
            start,
            end,
        )?;
        let ingested = body::ingest(
            &self.store,
            &self.md5,
            chunks,
            algorithm.map(checksum::hasher_for).unwrap_or_default(),
            u64::MAX,
            (
                IngestTarget::Part { number: part_number },
                upload.storage_class,
                data_key.clone(),
            ),
        )
        .await?;
        let (etag, last_modified_ms, value) = self
            .store_part(
                &input.bucket,
                &input.key,
                &input.upload_id,
                part_number,
                (
                    &ingested,
                    part_etag(upload.encryption.as_ref(), data_key.as_ref(), &ingested),
                ),
                algorithm,
            )
            .await?;
        let mut c = checksum::value_dto(algorithm, value.as_ref());
        let (sse_customer_algorithm, sse_customer_key_md5) = echo(upload.encryption.as_ref(), customer.as_ref());
        Ok(S3Response::new(UploadPartCopyOutput {
            server_side_encryption: sse_header(upload.encryption.as_ref()),
            ssekms_key_id: kms_key_header(upload.encryption.as_ref()),
            bucket_key_enabled: bucket_key_header(upload.encryption.as_ref()),
            sse_customer_algorithm,
            sse_customer_key_md5,
            copy_part_result: Some(CopyPartResult {
                e_tag: Some(etag_dto(&etag)),
                last_modified: Some(timestamp(last_modified_ms)),
                checksum_crc32: c.checksum_crc32.take(),
                checksum_crc32c: c.checksum_crc32c.take(),
                checksum_crc64nvme: c.checksum_crc64nvme.take(),
                checksum_sha1: c.checksum_sha1.take(),
                checksum_sha256: c.checksum_sha256.take(),
            }),
            ..Default::default()
        }))
    }

    pub(crate) async fn complete_multipart_upload_impl(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let customer = provided_key(crate::customer_key_headers!(req.input), &req.extensions)?;
        let S3Request {
            input,
            headers,
            extensions,
            ..
        } = req;
        let condition = write_condition(input.if_match.as_ref(), input.if_none_match.as_ref())?;
        let location = crate::location::object_url(&headers, &extensions, &input.bucket, &input.key);
        let upload = match self.store.get_upload(&input.bucket, &input.key, &input.upload_id) {
            Ok(u) => u,
            Err(StoreError::NoSuchUpload { .. }) => {
                return self.completed_before(&input.bucket, &input.key, &input.upload_id, location);
            }
            Err(e) => return Err(crate::error::store_error(e)),
        };
        // Completing needs no key, but one brought must be the upload's.
        if customer.is_some() {
            customer_data_key(upload.encryption.as_ref(), customer.as_ref(), Sealed::Upload)?;
        }
        let requested: Vec<CompletedPart> = input.multipart_upload.and_then(|m| m.parts).unwrap_or_default();
        if requested.is_empty() {
            return Err(AwsError::MalformedXML.error());
        }
        let (stored, _) = self.store.list_parts(&input.upload_id, 0, usize::MAX).s3()?;
        let stored: BTreeMap<u32, PartRecord> = stored.into_iter().map(|p| (p.part_number, p)).collect();

        // Validate against a snapshot first, for AWS's precise error codes.
        let mut last = 0i32;
        for p in &requested {
            let n = p.part_number.unwrap_or(0);
            if n <= last {
                return Err(AwsError::InvalidPartOrder.error());
            }
            last = n;
        }
        let mut chosen: Vec<(u32, String)> = Vec::with_capacity(requested.len());
        for p in &requested {
            let n = p.part_number.unwrap_or(0) as u32;
            let want = p.e_tag.as_ref().map(|e| e.value().to_string()).unwrap_or_default();
            let Some(sp) = stored.get(&n).filter(|sp| sp.etag == want) else {
                return Err(AwsError::InvalidPart.error());
            };
            if let (Some(alg), Some(c)) = (upload.checksum_algorithm, &sp.checksum) {
                let sent = part_sent_checksum(p, alg);
                if let Some(sent) = sent
                    && sent != &c.value
                {
                    return Err(AwsError::InvalidPart
                        .with_message(format!("The checksum of part {n} does not match the uploaded part.")));
                }
            }
            chosen.push((n, want));
        }
        for (n, _) in &chosen[..chosen.len() - 1] {
            if stored[n].size < MIN_PART_SIZE {
                return Err(AwsError::EntityTooSmall.error());
            }
        }
        let total: u64 = chosen.iter().map(|(n, _)| stored[n].size).sum();
        if total > MAX_OBJECT_SIZE {
            return Err(AwsError::EntityTooLarge.error());
        }
        let checksum = match (upload.checksum_algorithm, upload.checksum_type) {
            (Some(alg), Some(kind)) => {
                let parts: Vec<(u64, &str)> = chosen
                    .iter()
                    .map(|(n, _)| {
                        let sp = &stored[n];
                        (sp.size, sp.checksum.as_ref().map(|c| c.value.as_str()).unwrap_or(""))
                    })
                    .collect();
                if parts.iter().any(|(_, v)| v.is_empty()) {
                    None
                } else {
                    Some(checksum::multipart_checksum(alg, kind, &parts)?)
                }
            }
            _ => None,
        };
        if let Some(c) = &checksum {
            let declared = Checksum {
                checksum_crc32: input.checksum_crc32.clone(),
                checksum_crc32c: input.checksum_crc32c.clone(),
                checksum_crc64nvme: input.checksum_crc64nvme.clone(),
                checksum_sha1: input.checksum_sha1.clone(),
                checksum_sha256: input.checksum_sha256.clone(),
                checksum_type: None,
            };
            if let Some(want) = checksum::value_of(&declared, c.algorithm)
                && want != &c.value
                && want.split('-').next() != c.value.split('-').next()
            {
                return Err(AwsError::BadDigest.with_message(format!(
                    "The {} you specified did not match the calculated checksum.",
                    c.algorithm
                )));
            }
        }
        // S3's multipart ETag: the MD5 of the parts' binary MD5s, then "-" and the part count.
        let mut md5 = Md5State::new();
        for (_, etag) in &chosen {
            md5.update(&hex::decode(etag).unwrap_or_default());
        }
        let etag = format!("{}-{}", hex::encode(md5.finalize()), chosen.len());
        let etag_c = etag.clone();
        let checksum_c = checksum.clone();
        let version =
            self.store
                .complete_upload(
                    &input.bucket,
                    &input.key,
                    &input.upload_id,
                    condition,
                    move |up, parts| {
                        let mut extents = Vec::with_capacity(chosen.len());
                        let mut summaries = Vec::with_capacity(chosen.len());
                        for (n, want) in &chosen {
                            // Re-check inside the commit: a part may have been replaced meanwhile.
                            let p = parts.get(n).filter(|p| &p.etag == want).ok_or_else(|| {
                                StoreError::InvalidPart(format!("part {n} changed during completion"))
                            })?;
                            extents.push(Extent {
                                blob: p.blob,
                                len: p.size,
                                tier: p.tier,
                                sealed_as: p.sealed_as,
                            });
                            summaries.push(PartSummary {
                                part_number: *n,
                                size: p.size,
                                etag: p.etag.clone(),
                                checksum: p.checksum.as_ref().map(|c| c.value.clone()),
                            });
                        }
                        Ok(ObjectVersion {
                            acl: up.acl.clone(),
                            version_id: None,
                            is_delete_marker: false,
                            size: total,
                            etag: etag_c,
                            last_modified_ms: now_ms(),
                            storage_class: up.storage_class,
                            owner: up.owner.clone(),
                            content: up.content.clone(),
                            user_metadata: up.user_metadata.clone(),
                            tags: up.tags.clone(),
                            checksum: checksum_c,
                            parts: summaries,
                            data: ObjectData::Extents(extents),
                            encryption: up.encryption.clone(),
                            completed_upload: Some(up.upload_id.clone()),
                            stamp: 0,
                            restore: None,
                        })
                    },
                )
                .await;
        let version = match version {
            Ok(v) => v,
            // A concurrent Complete of the same upload won the race.
            Err(StoreError::NoSuchUpload { .. }) => {
                return self.completed_before(&input.bucket, &input.key, &input.upload_id, location);
            }
            Err(e) => return Err(crate::error::store_error(e)),
        };
        Ok(S3Response::new(complete_output(
            &input.bucket,
            &input.key,
            &version,
            location,
        )))
    }

    /// The answer to a Complete of an upload that is already complete: the same as the first
    /// time, when the current object is what that upload made; otherwise `NoSuchUpload`.
    fn completed_before(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        location: String,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        match self.store.get_object(bucket, key) {
            Ok(v) if v.completed_upload.as_deref() == Some(upload_id) => {
                Ok(S3Response::new(complete_output(bucket, key, &v, location)))
            }
            _ => Err(AwsError::NoSuchUpload.error()),
        }
    }

    pub(crate) async fn abort_multipart_upload_impl(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let input = req.input;
        self.store
            .abort_upload(&input.bucket, &input.key, &input.upload_id)
            .await
            .s3()?;
        Ok(S3Response::with_status(
            AbortMultipartUploadOutput::default(),
            http::StatusCode::NO_CONTENT,
        ))
    }

    pub(crate) async fn list_parts_impl(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let customer = provided_key(crate::customer_key_headers!(req.input), &req.extensions)?;
        let input = req.input;
        let upload = self
            .store
            .get_upload(&input.bucket, &input.key, &input.upload_id)
            .s3()?;
        // Listing needs no key, but one brought must be the upload's.
        if customer.is_some() {
            customer_data_key(upload.encryption.as_ref(), customer.as_ref(), Sealed::Upload)?;
        }
        let marker = input.part_number_marker.unwrap_or(0).max(0) as u32;
        let max = input.max_parts.unwrap_or(1000).clamp(0, 1000) as usize;
        let (parts, truncated) = self.store.list_parts(&input.upload_id, marker, max).s3()?;
        let alg = upload.checksum_algorithm;
        let next = parts.last().map(|p| p.part_number as i32);
        let parts: Vec<Part> = parts
            .iter()
            .map(|p| {
                let mut c = checksum::value_dto(alg, p.checksum.as_ref().map(|c| &c.value));
                Part {
                    part_number: Some(p.part_number as i32),
                    size: Some(p.size as i64),
                    e_tag: Some(etag_dto(&p.etag)),
                    last_modified: Some(timestamp(p.last_modified_ms)),
                    checksum_crc32: c.checksum_crc32.take(),
                    checksum_crc32c: c.checksum_crc32c.take(),
                    checksum_crc64nvme: c.checksum_crc64nvme.take(),
                    checksum_sha1: c.checksum_sha1.take(),
                    checksum_sha256: c.checksum_sha256.take(),
                }
            })
            .collect();
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(input.upload_id),
            part_number_marker: Some(marker as i32),
            next_part_number_marker: next,
            max_parts: Some(max as i32),
            is_truncated: Some(truncated),
            parts: (!parts.is_empty()).then_some(parts),
            initiator: Some(Initiator {
                id: Some(upload.owner.id.clone()),
                display_name: Some(upload.owner.display_name.clone()),
            }),
            owner: Some(owner_dto(&upload.owner)),
            storage_class: Some(StorageClass::from_static(upload.storage_class.as_str())),
            checksum_algorithm: upload.checksum_algorithm.map(checksum::algorithm_dto),
            checksum_type: upload.checksum_type.map(checksum::checksum_type_dto),
            ..Default::default()
        }))
    }

    pub(crate) async fn list_multipart_uploads_impl(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let input = req.input;
        let max = input.max_uploads.unwrap_or(1000).clamp(0, 1000) as usize;
        let prefix = input.prefix.clone().unwrap_or_default();
        let key_marker = input.key_marker.clone().filter(|k| !k.is_empty());
        let id_marker = input
            .upload_id_marker
            .clone()
            .filter(|k| !k.is_empty() && key_marker.is_some());
        let page = self
            .store
            .list_uploads(
                &input.bucket,
                &UploadQuery {
                    prefix: prefix.clone(),
                    delimiter: input.delimiter.clone(),
                    key_marker: key_marker.clone(),
                    upload_id_marker: id_marker.clone(),
                    max_uploads: max,
                },
            )
            .s3()?;
        let (next_key, next_id) = if page.is_truncated {
            match (page.uploads.last(), page.common_prefixes.last()) {
                (Some(u), Some(p)) if p.as_str() > u.key.as_str() => (Some(p.clone()), None),
                (Some(u), _) => (Some(u.key.clone()), Some(u.upload_id.clone())),
                (None, Some(p)) => (Some(p.clone()), None),
                (None, None) => (None, None),
            }
        } else {
            (None, None)
        };
        let uploads: Vec<s3s::dto::MultipartUpload> = page
            .uploads
            .iter()
            .map(|u| s3s::dto::MultipartUpload {
                key: Some(u.key.clone()),
                upload_id: Some(u.upload_id.clone()),
                initiated: Some(timestamp(u.initiated_ms)),
                initiator: Some(Initiator {
                    id: Some(u.owner.id.clone()),
                    display_name: Some(u.owner.display_name.clone()),
                }),
                owner: Some(owner_dto(&u.owner)),
                storage_class: Some(StorageClass::from_static(u.storage_class.as_str())),
                checksum_algorithm: u.checksum_algorithm.map(checksum::algorithm_dto),
                checksum_type: u.checksum_type.map(checksum::checksum_type_dto),
            })
            .collect();
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: Some(prefix),
            delimiter: input.delimiter,
            key_marker: Some(input.key_marker.unwrap_or_default()),
            upload_id_marker: Some(input.upload_id_marker.unwrap_or_default()),
            next_key_marker: next_key,
            next_upload_id_marker: next_id,
            max_uploads: Some(max as i32),
            is_truncated: Some(page.is_truncated),
            uploads: (!uploads.is_empty()).then_some(uploads),
            common_prefixes: (!page.common_prefixes.is_empty()).then(|| {
                page.common_prefixes
                    .into_iter()
                    .map(|p| CommonPrefix { prefix: Some(p) })
                    .collect()
            }),
            encoding_type: input.encoding_type,
            ..Default::default()
        }))
    }
}

fn part_sent_checksum(p: &CompletedPart, alg: Algorithm) -> Option<&String> {
    match alg {
        Algorithm::Crc32 => p.checksum_crc32.as_ref(),
        Algorithm::Crc32c => p.checksum_crc32c.as_ref(),
        Algorithm::Crc64Nvme => p.checksum_crc64nvme.as_ref(),
        Algorithm::Sha1 => p.checksum_sha1.as_ref(),
        Algorithm::Sha256 => p.checksum_sha256.as_ref(),
    }
}

/// `bytes=first-last` (inclusive), within the source object.
fn parse_copy_range(r: &str, size: u64) -> S3Result<(u64, u64)> {
    let bad = || {
        AwsError::InvalidArgument.with_message("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
    };
    let spec = r.strip_prefix("bytes=").ok_or_else(bad)?;
    let (a, b) = spec.split_once('-').ok_or_else(bad)?;
    let first: u64 = a.trim().parse().map_err(|_| bad())?;
    let last: u64 = b.trim().parse().map_err(|_| bad())?;
    if first > last {
        return Err(bad());
    }
    if last >= size {
        return Err(AwsError::InvalidRange.error());
    }
    Ok((first, last + 1))
}

#[allow(non_camel_case_types)]
type ChecksumType_ = s3s::dto::ChecksumType;

fn complete_output(bucket: &str, key: &str, v: &ObjectVersion, location: String) -> CompleteMultipartUploadOutput {
    let mut c = checksum::to_dto(v.checksum.as_ref());
    CompleteMultipartUploadOutput {
        bucket: Some(bucket.to_string()),
        key: Some(key.to_string()),
        e_tag: Some(etag_dto(&v.etag)),
        location: Some(location),
        version_id: v.version_id.clone(),
        server_side_encryption: sse_header(v.encryption.as_ref()),
        ssekms_key_id: kms_key_header(v.encryption.as_ref()),
        bucket_key_enabled: bucket_key_header(v.encryption.as_ref()),
        checksum_crc32: c.checksum_crc32.take(),
        checksum_crc32c: c.checksum_crc32c.take(),
        checksum_crc64nvme: c.checksum_crc64nvme.take(),
        checksum_sha1: c.checksum_sha1.take(),
        checksum_sha256: c.checksum_sha256.take(),
        checksum_type: c.checksum_type.take(),
        ..Default::default()
    }
}
