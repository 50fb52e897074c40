//! RestoreObject and what reads say about archived objects: a GLACIER or DEEP_ARCHIVE version
//! is readable only through a restored copy (`403 InvalidObjectState` otherwise), and
//! `x-amz-restore` tells where its restore stands. The state machine itself is the store's
//! (`arca_store`'s `store/restore.rs`).

use arca_store::{ObjectData, ObjectVersion, RestoreStarted, RetrievalTier, StorageClass};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use crate::ArcaS3;
use crate::aws_error::AwsError;
use crate::common::{check_version_id, http_date};
use crate::error::StoreResultExt;

/// The bytes a read of `v` may return: an archived version's restored copy, or its own.
pub(crate) fn readable(v: &ObjectVersion) -> S3Result<&ObjectData> {
    v.readable_data().ok_or_else(|| AwsError::InvalidObjectState.error())
}

/// `x-amz-restore` for `v`: `ongoing-request="true"` while the copy is being made, then
/// `ongoing-request="false", expiry-date="…"` while it lasts.
pub(crate) fn restore_header(v: &ObjectVersion) -> Option<String> {
    let r = v.restore.as_ref()?;
    Some(match (&r.copy, r.expiry_ms) {
        (Some(_), Some(expiry)) => format!("ongoing-request=\"false\", expiry-date=\"{}\"", http_date(expiry)),
        _ => "ongoing-request=\"true\"".to_string(),
    })
}

impl ArcaS3 {
    pub(crate) async fn restore_object_impl(
        &self,
        req: S3Request<RestoreObjectInput>,
    ) -> S3Result<S3Response<RestoreObjectOutput>> {
        let input = req.input;
        check_version_id(input.version_id.as_deref())?;
        let request = input.restore_request.unwrap_or_default();
        // S3 Select over archives and restores into another location are not built.
        if request.type_.is_some() || request.select_parameters.is_some() || request.output_location.is_some() {
            return Err(
                AwsError::NotImplemented.with_message("Only restores of a temporary copy (Days) are supported.")
            );
        }
        let days = match request.days {
            Some(d) if d > 0 => d as u32,
            Some(_) => return Err(AwsError::InvalidArgument.with_message("Days must be a positive integer")),
            None => return Err(AwsError::MalformedXML.error()),
        };
        let tier = request
            .glacier_job_parameters
            .map(|p| p.tier)
            .or(request.tier)
            .map(|t| t.as_str().to_string());
        let tier = match tier.as_deref() {
            None | Some(Tier::STANDARD) => RetrievalTier::Standard,
            Some(Tier::EXPEDITED) => RetrievalTier::Expedited,
            Some(Tier::BULK) => RetrievalTier::Bulk,
            Some(other) => return Err(AwsError::MalformedXML.with_message(format!("Unknown retrieval tier {other}"))),
        };
        if tier == RetrievalTier::Expedited {
            let v = match input.version_id.as_deref() {
                Some(id) => self.store.get_version(&input.bucket, &input.key, id).s3()?,
                None => self.store.get_object(&input.bucket, &input.key).s3()?,
            };
            if v.storage_class == StorageClass::DeepArchive {
                return Err(AwsError::InvalidArgument
                    .with_message("Expedited retrieval is not available for the DEEP_ARCHIVE storage class"));
            }
        }
        let started = self
            .store
            .request_restore(&input.bucket, &input.key, input.version_id.as_deref(), days, tier)
            .await
            .s3()?;
        let mut resp = S3Response::new(RestoreObjectOutput::default());
        resp.status = Some(match started {
            RestoreStarted::Started => http::StatusCode::ACCEPTED,
            RestoreStarted::Extended => http::StatusCode::OK,
        });
        Ok(resp)
    }
}
