//! The requests on the S3 port that are not S3 operations, routed before s3s resolves one:
//! the admin API (`/?arca-admin=…`) and the IAM and STS query APIs (`POST /` signed for `iam`
//! or `sts`).

use http::{HeaderMap, Method, Uri};
use s3s::route::S3Route;
use s3s::{Body, S3Request, S3Response, S3Result};

use crate::admin::AdminApi;
use crate::iam_api::{IamApi, QueryService};

/// Both routes, as the one route s3s takes.
pub(crate) struct Routes {
    pub(crate) admin: AdminApi,
    pub(crate) iam: IamApi,
}

impl Routes {
    fn is_iam(req: &S3Request<Body>) -> bool {
        req.method == Method::POST && QueryService::of(&req.headers).is_some()
    }
}

#[async_trait::async_trait]
impl S3Route for Routes {
    fn is_match(&self, method: &Method, uri: &Uri, headers: &HeaderMap, ext: &mut http::Extensions) -> bool {
        self.iam.is_match(method, uri, headers, ext) || self.admin.is_match(method, uri, headers, ext)
    }

    async fn check_access(&self, req: &mut S3Request<Body>) -> S3Result<()> {
        if Self::is_iam(req) {
            self.iam.check_access(req).await
        } else {
            self.admin.check_access(req).await
        }
    }

    async fn call(&self, req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        if Self::is_iam(&req) {
            self.iam.call(req).await
        } else {
            self.admin.call(req).await
        }
    }
}
