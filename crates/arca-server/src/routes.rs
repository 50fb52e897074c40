//! The requests on the S3 port that are not S3 operations, routed before s3s resolves one:
//! the admin API (`/?arca-admin=…`), the IAM and STS query APIs (`POST /` signed for `iam`
//! or `sts`), the KMS JSON API (`POST /` with `X-Amz-Target: TrentService.*`), S3 Control's
//! account-level Block Public Access, and password sign-in (`POST /?arca-sign-in`).

use http::{HeaderMap, Method, Uri};
use s3s::route::S3Route;
use s3s::{Body, S3Request, S3Response, S3Result};

use crate::account_blocks::AccountBlocks;
use crate::admin::AdminApi;
use crate::iam_api::{IamApi, QueryService};
use crate::kms_api::KmsApi;
use crate::sign_in::SignInApi;

/// The routes, as the one route s3s takes.
pub(crate) struct Routes {
    pub(crate) admin: AdminApi,
    pub(crate) iam: IamApi,
    pub(crate) account_blocks: AccountBlocks,
    pub(crate) sign_in: SignInApi,
    pub(crate) kms: KmsApi,
}

/// Which route a request is for.
enum Which {
    Iam,
    Kms,
    AccountBlocks,
    SignIn,
    Admin,
}

impl Routes {
    fn which(req: &S3Request<Body>) -> Which {
        if req.method == Method::POST && QueryService::of(&req.headers).is_some() {
            Which::Iam
        } else if req.method == Method::POST && KmsApi::is_kms(&req.headers) {
            Which::Kms
        } else if req.uri.path() == crate::account_blocks::PATH {
            Which::AccountBlocks
        } else if req.uri.query() == Some("arca-sign-in") {
            Which::SignIn
        } else {
            Which::Admin
        }
    }
}

#[async_trait::async_trait]
impl S3Route for Routes {
    fn is_match(&self, method: &Method, uri: &Uri, headers: &HeaderMap, ext: &mut http::Extensions) -> bool {
        self.iam.is_match(method, uri, headers, ext)
            || self.kms.is_match(method, uri, headers, ext)
            || self.account_blocks.is_match(method, uri, headers, ext)
            || self.sign_in.is_match(method, uri, headers, ext)
            || self.admin.is_match(method, uri, headers, ext)
    }

    async fn check_access(&self, req: &mut S3Request<Body>) -> S3Result<()> {
        match Self::which(req) {
            Which::Iam => self.iam.check_access(req).await,
            Which::Kms => self.kms.check_access(req).await,
            Which::AccountBlocks => self.account_blocks.check_access(req).await,
            Which::SignIn => self.sign_in.check_access(req).await,
            Which::Admin => self.admin.check_access(req).await,
        }
    }

    async fn call(&self, req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        match Self::which(&req) {
            Which::Iam => self.iam.call(req).await,
            Which::Kms => self.kms.call(req).await,
            Which::AccountBlocks => self.account_blocks.call(req).await,
            Which::SignIn => self.sign_in.call(req).await,
            Which::Admin => self.admin.call(req).await,
        }
    }
}
