//! Bucket operations: create, head, list, delete, location, tagging, CORS.

use arca_store::{BucketRecord, CorsRule, StoreError, now_ms};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use crate::ArcaS3;
use crate::aws_error::AwsError;
use crate::common::*;
use crate::error::StoreResultExt;
use crate::requester::requester;

impl ArcaS3 {
    pub(crate) async fn create_bucket_impl(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let owner = requester(&req)?;
        let input = req.input;
        check_bucket_name(&input.bucket)?;
        crate::unhonoured::refuse_bucket_create(&input)?;
        let (ownership, acl) = self.new_bucket_acl(&input, &owner)?;
        let requested = input
            .create_bucket_configuration
            .as_ref()
            .and_then(|c| c.location_constraint.as_ref())
            .map(|l| l.as_str().to_string())
            .filter(|l| !l.is_empty());
        // AWS: us-east-1 takes no constraint; any other region must be named and match.
        let region = match requested {
            None => self.region.clone(),
            Some(r) if r == self.region && r != "us-east-1" => r,
            Some(r) => {
                return Err(AwsError::InvalidLocationConstraint
                    .with_message(format!("The specified location-constraint is not valid: {r}")));
            }
        };
        let record = BucketRecord {
            encryption: None,
            acl,
            ownership: Some(ownership),
            name: input.bucket.clone(),
            created_at_ms: now_ms(),
            region,
            owner,
            tags: None,
            cors: None,
            lifecycle: None,
            versioning: Default::default(),
            policy: None,
            public_access_block: Some(arca_store::PublicAccessBlock::ALL),
        };
        match self.store.create_bucket(record).await {
            // AWS's legacy rule: in us-east-1, creating a bucket you already own succeeds.
            Err(StoreError::BucketAlreadyOwnedByYou(_)) if self.region == "us-east-1" => {}
            other => other.s3()?,
        }
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{}", input.bucket)),
        }))
    }

    pub(crate) async fn head_bucket_impl(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        let b = self.store.get_bucket(&req.input.bucket).s3()?;
        Ok(S3Response::new(HeadBucketOutput {
            bucket_region: Some(b.region),
            ..Default::default()
        }))
    }

    pub(crate) async fn list_buckets_impl(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let owner = requester(&req)?;
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let after = input.continuation_token.clone();
        let max = input.max_buckets.unwrap_or(10_000).clamp(1, 10_000) as usize;
        let all = self.store.list_buckets().s3()?;
        let matching: Vec<_> = all
            .into_iter()
            .filter(|b| b.owner.id == owner.id)
            .filter(|b| b.name.starts_with(&prefix))
            .filter(|b| input.bucket_region.as_ref().is_none_or(|r| &b.region == r))
            .filter(|b| after.as_ref().is_none_or(|a| &b.name > a))
            .collect();
        let truncated = matching.len() > max;
        let page: Vec<Bucket> = matching
            .into_iter()
            .take(max)
            .map(|b| Bucket {
                name: Some(b.name),
                creation_date: Some(timestamp(b.created_at_ms)),
                bucket_region: Some(b.region),
            })
            .collect();
        let next = if truncated {
            page.last().and_then(|b| b.name.clone())
        } else {
            None
        };
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(page),
            owner: Some(owner_dto(&owner)),
            continuation_token: next,
            prefix: input.prefix,
        }))
    }

    pub(crate) async fn delete_bucket_impl(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.store.delete_bucket(&req.input.bucket).await.s3()?;
        Ok(S3Response::new(DeleteBucketOutput {}))
    }

    pub(crate) async fn get_bucket_location_impl(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        let b = self.store.get_bucket(&req.input.bucket).s3()?;
        // us-east-1 is reported as an empty LocationConstraint, as AWS does.
        let lc = (b.region != "us-east-1").then(|| BucketLocationConstraint::from(b.region));
        Ok(S3Response::new(GetBucketLocationOutput {
            location_constraint: lc,
        }))
    }

    pub(crate) async fn put_bucket_tagging_impl(
        &self,
        req: S3Request<PutBucketTaggingInput>,
    ) -> S3Result<S3Response<PutBucketTaggingOutput>> {
        let input = req.input;
        let tags = tags_from_dto(input.tagging, 50)?;
        self.store
            .update_bucket(&input.bucket, move |b| b.tags = Some(tags))
            .await
            .s3()?;
        Ok(S3Response::new(PutBucketTaggingOutput {}))
    }

    pub(crate) async fn get_bucket_tagging_impl(
        &self,
        req: S3Request<GetBucketTaggingInput>,
    ) -> S3Result<S3Response<GetBucketTaggingOutput>> {
        let b = self.store.get_bucket(&req.input.bucket).s3()?;
        match b.tags {
            Some(tags) if !tags.is_empty() => Ok(S3Response::new(GetBucketTaggingOutput {
                tag_set: tags_dto(&tags),
            })),
            _ => Err(AwsError::NoSuchTagSet.error()),
        }
    }

    pub(crate) async fn delete_bucket_tagging_impl(
        &self,
        req: S3Request<DeleteBucketTaggingInput>,
    ) -> S3Result<S3Response<DeleteBucketTaggingOutput>> {
        self.store
            .update_bucket(&req.input.bucket, |b| b.tags = None)
            .await
            .s3()?;
        Ok(S3Response::new(DeleteBucketTaggingOutput {}))
    }

    pub(crate) async fn put_bucket_cors_impl(
        &self,
        req: S3Request<PutBucketCorsInput>,
    ) -> S3Result<S3Response<PutBucketCorsOutput>> {
        let input = req.input;
        let rules = input.cors_configuration.cors_rules;
        if rules.is_empty() || rules.len() > 100 {
            return Err(AwsError::MalformedXML.error());
        }
        let mut stored = Vec::with_capacity(rules.len());
        for r in rules {
            for m in &r.allowed_methods {
                if !["GET", "PUT", "POST", "DELETE", "HEAD"].contains(&m.as_str()) {
                    return Err(AwsError::InvalidRequest.with_message(format!(
                        "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
                    )));
                }
            }
            for o in &r.allowed_origins {
                if o.matches('*').count() > 1 {
                    return Err(AwsError::InvalidRequest
                        .with_message(format!("AllowedOrigin \"{o}\" can not have more than one wildcard.")));
                }
            }
            stored.push(CorsRule {
                id: r.id,
                allowed_origins: r.allowed_origins,
                allowed_methods: r.allowed_methods,
                allowed_headers: r.allowed_headers.unwrap_or_default(),
                expose_headers: r.expose_headers.unwrap_or_default(),
                max_age_seconds: r.max_age_seconds,
            });
        }
        self.store
            .update_bucket(&input.bucket, move |b| b.cors = Some(stored))
            .await
            .s3()?;
        Ok(S3Response::new(PutBucketCorsOutput {}))
    }

    pub(crate) async fn get_bucket_cors_impl(
        &self,
        req: S3Request<GetBucketCorsInput>,
    ) -> S3Result<S3Response<GetBucketCorsOutput>> {
        let b = self.store.get_bucket(&req.input.bucket).s3()?;
        let Some(rules) = b.cors.filter(|r| !r.is_empty()) else {
            return Err(AwsError::NoSuchCORSConfiguration.error());
        };
        let rules = rules
            .into_iter()
            .map(|r| CORSRule {
                id: r.id,
                allowed_origins: r.allowed_origins,
                allowed_methods: r.allowed_methods,
                allowed_headers: (!r.allowed_headers.is_empty()).then_some(r.allowed_headers),
                expose_headers: (!r.expose_headers.is_empty()).then_some(r.expose_headers),
                max_age_seconds: r.max_age_seconds,
            })
            .collect();
        Ok(S3Response::new(GetBucketCorsOutput {
            cors_rules: Some(rules),
        }))
    }

    pub(crate) async fn delete_bucket_cors_impl(
        &self,
        req: S3Request<DeleteBucketCorsInput>,
    ) -> S3Result<S3Response<DeleteBucketCorsOutput>> {
        self.store
            .update_bucket(&req.input.bucket, |b| b.cors = None)
            .await
            .s3()?;
        Ok(S3Response::new(DeleteBucketCorsOutput {}))
    }
}

/// AWS's bucket naming rules (general purpose buckets).
pub fn check_bucket_name(name: &str) -> S3Result<()> {
    let bad = || AwsError::InvalidBucketName.error();
    let b = name.as_bytes();
    if !(3..=63).contains(&b.len()) {
        return Err(bad());
    }
    if !b
        .iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
    {
        return Err(bad());
    }
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return Err(bad());
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return Err(bad());
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(bad());
    }
    for p in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(p) {
            return Err(bad());
        }
    }
    for s in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(s) {
            return Err(bad());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_bucket_name;

    #[test]
    fn bucket_names_follow_aws_rules() {
        for ok in ["abc", "my-bucket", "my.bucket.1", "a1b"] {
            assert!(check_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "ABC",
            "my_bucket",
            "-abc",
            "abc-",
            "a..b",
            "192.168.5.4",
            "xn--abc",
            "abc-s3alias",
            &"a".repeat(64),
        ] {
            assert!(check_bucket_name(bad).is_err(), "{bad}");
        }
    }
}
