//! Block Public Access for a whole account: S3 Control's Put/Get/DeletePublicAccessBlock
//! (`/v20180820/configuration/publicAccessBlock`, the account in `x-amz-account-id`), what
//! `aws s3control … --account-id` and boto3's `s3control` client send (SigV4 for `s3`).
//!
//! An account's blocks apply to every bucket it owns, on top of each bucket's own: a block is
//! on where either turns it on. Only a principal of the account may read or change them: its
//! root user, or a user or role whose policies allow `s3:GetAccountPublicAccessBlock` /
//! `s3:PutAccountPublicAccessBlock`.

use std::sync::Arc;

use arca_iam::{ConditionContext, KeySet, PrincipalMatch, Request};
use arca_s3::aws_error::AwsError;
use arca_store::{PublicAccessBlock, Store};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use s3s::dto::PublicAccessBlockConfiguration;
use s3s::route::S3Route;
use s3s::xml::Deserialize;
use s3s::{Body, S3Request, S3Response, S3Result};

use crate::identity::{Identities, Signer, signer_keys};
use crate::signed_body::{BodyRefusal, read_bounded};

/// The one path S3 Control answers here.
pub(crate) const PATH: &str = "/v20180820/configuration/publicAccessBlock";

const ACCOUNT_HEADER: &str = "x-amz-account-id";

/// The largest configuration body: four booleans.
const MAX_BODY: usize = 4 * 1024;

/// The account-level Block Public Access route.
pub(crate) struct AccountBlocks {
    store: Arc<Store>,
    identities: Arc<Identities>,
}

impl AccountBlocks {
    pub(crate) fn new(store: Arc<Store>, identities: Arc<Identities>) -> Self {
        AccountBlocks { store, identities }
    }

    /// Refuses `signer` unless it is of `account` and may do `action`.
    fn authorize(&self, signer: &Signer, account: &str, action: &str) -> S3Result<()> {
        if signer.account().is_none_or(|a| a.id != account) {
            return Err(AwsError::AccessDenied.error());
        }
        if matches!(signer, Signer::Root(_)) {
            return Ok(());
        }
        let identity = self.identities.identity(signer);
        let mut context = ConditionContext::new();
        signer_keys(&mut context, identity, signer, KeySet::ALL);
        let request = Request {
            identity,
            action,
            resource: "*",
            context: &context,
        };
        match self.identities.identity_answer(signer, &request, None) {
            Some(a) if !a.denies && a.allows != PrincipalMatch::No => Ok(()),
            _ => Err(AwsError::AccessDenied.error()),
        }
    }
}

impl AccountBlocks {
    async fn set(&self, account: &str, block: Option<PublicAccessBlock>) -> S3Result<()> {
        self.store
            .set_account_public_access_block(account, block)
            .await
            .map_err(arca_s3::error::store_error)?
            .map_err(|_| AwsError::AccessDenied.error())
    }
}

/// The configuration as S3 Control writes it.
fn xml(b: PublicAccessBlock) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PublicAccessBlockConfiguration xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\"><BlockPublicAcls>{}</BlockPublicAcls><IgnorePublicAcls>{}</IgnorePublicAcls><BlockPublicPolicy>{}</BlockPublicPolicy><RestrictPublicBuckets>{}</RestrictPublicBuckets></PublicAccessBlockConfiguration>",
        b.block_public_acls, b.ignore_public_acls, b.block_public_policy, b.restrict_public_buckets
    )
}

/// The configuration a PUT body gives; `MalformedXML` if it is not one.
fn parse(body: &[u8]) -> S3Result<PublicAccessBlock> {
    let mut d = s3s::xml::Deserializer::new(body);
    let c = PublicAccessBlockConfiguration::deserialize(&mut d).map_err(|_| AwsError::MalformedXML.error())?;
    Ok(PublicAccessBlock {
        block_public_acls: c.block_public_acls.unwrap_or(false),
        ignore_public_acls: c.ignore_public_acls.unwrap_or(false),
        block_public_policy: c.block_public_policy.unwrap_or(false),
        restrict_public_buckets: c.restrict_public_buckets.unwrap_or(false),
    })
}

#[async_trait::async_trait]
impl S3Route for AccountBlocks {
    fn is_match(&self, _method: &Method, uri: &Uri, headers: &HeaderMap, _ext: &mut http::Extensions) -> bool {
        // The account header tells it from an object `configuration/publicAccessBlock` of a
        // bucket named `v20180820`.
        uri.path() == PATH && headers.contains_key(ACCOUNT_HEADER)
    }

    async fn check_access(&self, req: &mut S3Request<Body>) -> S3Result<()> {
        match req.credentials {
            Some(_) => Ok(()),
            None => Err(AwsError::AccessDenied.error()),
        }
    }

    async fn call(&self, mut req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let account = req
            .headers
            .get(ACCOUNT_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|a| arca_iam::is_account_id(a))
            .ok_or_else(|| AwsError::InvalidRequest.with_message("x-amz-account-id must be a 12-digit account id"))?
            .to_string();
        let access_key = req.credentials.as_ref().map(|c| c.access_key.as_str());
        let token = crate::sessions::token_of(&req.headers, &req.uri);
        let signer = self
            .identities
            .signer(access_key, token.as_deref())
            .map_err(|refusal| refusal.error())?;
        let store_error = arca_s3::error::store_error;
        match req.method.clone() {
            Method::GET => {
                self.authorize(&signer, &account, "s3:GetAccountPublicAccessBlock")?;
                let block = self
                    .store
                    .get_account(&account)
                    .map_err(store_error)?
                    .and_then(|a| a.public_access_block)
                    .ok_or_else(|| AwsError::NoSuchPublicAccessBlockConfiguration.error())?;
                let mut resp = S3Response::new(Body::from(xml(block)));
                resp.headers
                    .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
                Ok(resp)
            }
            Method::PUT => {
                self.authorize(&signer, &account, "s3:PutAccountPublicAccessBlock")?;
                let body = read_bounded(&mut req, MAX_BODY)
                    .await
                    .map_err(|refusal| match refusal {
                        BodyRefusal::TooLarge => AwsError::MalformedXML.error(),
                        BodyRefusal::NotSigned => AwsError::SignatureDoesNotMatch.error(),
                    })?;
                self.set(&account, Some(parse(&body)?)).await?;
                Ok(S3Response::new(Body::empty()))
            }
            Method::DELETE => {
                self.authorize(&signer, &account, "s3:PutAccountPublicAccessBlock")?;
                self.set(&account, None).await?;
                Ok(S3Response::with_status(Body::empty(), StatusCode::NO_CONTENT))
            }
            _ => Err(AwsError::MethodNotAllowed.error()),
        }
    }
}
