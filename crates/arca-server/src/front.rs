//! The front door: one service per connection that gives every request an id, answers
//! `/health`, CORS preflights and CORS response headers, and hands everything else to s3s.

use std::sync::Arc;

use arca_s3::aws_error::AwsError;
use arca_s3::cors;
use arca_store::Store;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use s3s::Body;
use s3s::service::S3Service;
use tracing::Instrument;

use crate::corrections::{self, Corrections};
use crate::request_id::RequestId;

/// Shared by every connection.
pub struct FrontDoor {
    /// The S3 service (s3s over `ArcaS3`).
    pub s3: S3Service,
    /// The store, for CORS rules.
    pub store: Arc<Store>,
    /// Base domain for virtual-hosted-style requests.
    pub domain: Option<crate::host::BaseDomain>,
    /// How long a request body may stall before `400 RequestTimeout`.
    pub idle_timeout: std::time::Duration,
    /// The server's region: requests signed for another are refused.
    pub region: String,
    /// `https` when serving TLS, else `http`: for the absolute URLs of objects.
    pub scheme: &'static str,
}

impl FrontDoor {
    /// Answers one request.
    pub async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Result<Response<Body>, s3s::HttpError> {
        let request_id = RequestId::new();
        let id = request_id.text();
        let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
        async move {
            let started = std::time::Instant::now();
            let origin = req
                .headers()
                .get(http::header::ORIGIN)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            // Only CORS needs the bucket name; most requests carry no Origin.
            let bucket = if origin.is_some() || req.method() == Method::OPTIONS {
                self.bucket_of(&req)
            } else {
                None
            };
            let method = req.method().clone();
            let mut resp = if is_health_check(&req) {
                text(StatusCode::OK, "ok\n")
            } else if let Some(resp) = corrections::refusal(&req, &self.region, &id) {
                resp
            } else if method == Method::OPTIONS {
                self.preflight(&req, bucket.as_deref(), origin.as_deref(), &id)
            } else {
                let corrections = Corrections::for_request(&req);
                let expects_continue = req
                    .headers()
                    .get(http::header::EXPECT)
                    .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
                let (parts, incoming) = req.into_parts();
                let (body, handle) = crate::request_body::shared(incoming, self.idle_timeout);
                let mut req = Request::from_parts(parts, Body::http_body(body));
                // For the access hook: a denial is explained under this id.
                req.extensions_mut().insert(request_id);
                // Only POSTs (CompleteMultipartUpload, browser uploads) answer with an object's
                // URL; other requests skip the extension map's allocation.
                if method == Method::POST {
                    req.extensions_mut().insert(arca_s3::location::Scheme(self.scheme));
                }
                let mut resp = self.s3.call(req).await?;
                if handle.timed_out() {
                    // Whatever s3s made of the failed read, the cause is a stalled client.
                    resp = corrections::aws_error_response(AwsError::RequestTimeout, &id);
                    resp.headers_mut()
                        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
                }
                if resp.status().is_client_error() || resp.status().is_server_error() {
                    if handle.body_never_asked_for(expects_continue) {
                        // The client will not send the body it announced. hyper learns that
                        // the body was dropped only when it next polls the connection, which
                        // may be after the client, having read this answer, sent its next
                        // request: hyper would then take that request's first bytes for the
                        // announced body (a `GET` read as `ET`). The connection ends here.
                        resp.headers_mut()
                            .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
                    }
                    handle.drain(expects_continue);
                }
                resp = corrections.apply(resp, &id);
                if let (Some(o), Some(b)) = (origin.as_deref(), bucket.as_deref()) {
                    self.add_cors_headers(&mut resp, b, o, method.as_str());
                }
                resp
            };
            let h = resp.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&id) {
                h.insert("x-amz-request-id", v.clone());
                h.insert("x-amz-id-2", v);
            }
            h.insert(http::header::SERVER, HeaderValue::from_static("Arca"));
            tracing::debug!(
                status = resp.status().as_u16(),
                elapsed_us = started.elapsed().as_micros() as u64,
                "done"
            );
            Ok(resp)
        }
        .instrument(span)
        .await
    }

    /// The bucket a request addresses: from the Host under `--domain`, else the first path segment.
    fn bucket_of<B>(&self, req: &Request<B>) -> Option<String> {
        if let Some(domain) = &self.domain
            && let Some(host) = req.headers().get(http::header::HOST).and_then(|h| h.to_str().ok())
            && let Some(bucket) = domain.bucket_of(host)
        {
            return Some(bucket.to_string());
        }
        let seg = req.uri().path().trim_start_matches('/').split('/').next()?;
        (!seg.is_empty()).then(|| {
            percent_encoding::percent_decode_str(seg)
                .decode_utf8_lossy()
                .into_owned()
        })
    }

    fn preflight<B>(&self, req: &Request<B>, bucket: Option<&str>, origin: Option<&str>, id: &str) -> Response<Body> {
        let method = req
            .headers()
            .get("access-control-request-method")
            .and_then(|v| v.to_str().ok());
        let (Some(bucket), Some(origin), Some(method)) = (bucket, origin, method) else {
            return corrections::error_response(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Insufficient information. Origin request header needed.",
                "",
                id,
            );
        };
        let requested = req
            .headers()
            .get("access-control-request-headers")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let headers: Vec<&str> = requested
            .as_deref()
            .map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        // A missing bucket answers as one without CORS: a preflight is anonymous, and must not
        // tell anyone which bucket names exist.
        let rules = self
            .store
            .get_bucket(bucket)
            .ok()
            .and_then(|b| b.cors)
            .unwrap_or_default();
        if rules.is_empty() {
            return corrections::error_response(
                StatusCode::FORBIDDEN,
                "AccessForbidden",
                "CORSResponse: CORS is not enabled for this bucket.",
                "",
                id,
            );
        }
        match cors::matching_rule(&rules, origin, method, &headers) {
            None => corrections::error_response(
                StatusCode::FORBIDDEN,
                "AccessForbidden",
                "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
                "",
                id,
            ),
            Some(rule) => {
                let mut resp = text(StatusCode::OK, "");
                for (k, v) in cors::response_headers(rule, origin, requested.as_deref()) {
                    if let Ok(v) = HeaderValue::from_str(&v) {
                        resp.headers_mut().insert(k, v);
                    }
                }
                resp
            }
        }
    }

    fn add_cors_headers(&self, resp: &mut Response<Body>, bucket: &str, origin: &str, method: &str) {
        let Ok(b) = self.store.get_bucket(bucket) else {
            return;
        };
        let Some(rules) = b.cors else { return };
        if let Some(rule) = cors::matching_rule(&rules, origin, method, &[]) {
            for (k, v) in cors::response_headers(rule, origin, None) {
                if let Ok(v) = HeaderValue::from_str(&v) {
                    resp.headers_mut().insert(k, v);
                }
            }
        }
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r
}

/// `GET /health` without credentials. A signed request for `/health` is a ListObjects on a
/// bucket named "health" and goes to S3 like any other.
fn is_health_check<B>(req: &Request<B>) -> bool {
    req.method() == Method::GET
        && req.uri().path() == "/health"
        && req.uri().query().is_none()
        && !req.headers().contains_key(http::header::AUTHORIZATION)
}
