//! The front door: one service per connection that gives every request an id, answers
//! `/health`, CORS preflights and CORS response headers, and hands everything else to s3s.

use std::sync::Arc;

use arca_s3::cors;
use arca_store::Store;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use s3s::Body;
use s3s::service::S3Service;
use tracing::Instrument;

use crate::request_id::new_request_id;

/// Shared by every connection.
pub struct FrontDoor {
    pub s3: S3Service,
    pub store: Arc<Store>,
    /// Base domain for virtual-hosted-style requests.
    pub domain: Option<crate::host::BaseDomain>,
    /// How long a request body may stall before `400 RequestTimeout`.
    pub idle_timeout: std::time::Duration,
}

impl FrontDoor {
    pub async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Result<Response<Body>, s3s::HttpError> {
        let id = new_request_id();
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
            let is_attributes = method == Method::GET
                && req
                    .uri()
                    .query()
                    .is_some_and(|q| q.split('&').any(|p| p == "attributes" || p.starts_with("attributes=")));
            let mut resp = if is_health_check(&req) {
                text(StatusCode::OK, "ok\n")
            } else if let Some(resp) = presign_expiry_error(&req, &id) {
                resp
            } else if method == Method::OPTIONS {
                self.preflight(&req, bucket.as_deref(), origin.as_deref(), &id)
            } else {
                let (parts, incoming) = req.into_parts();
                let (body, handle) = crate::request_body::shared(incoming, self.idle_timeout);
                let req = Request::from_parts(parts, Body::http_body(body));
                let mut resp = self.s3.call(req).await?;
                if handle.timed_out() {
                    // Whatever s3s made of the failed read, the cause is a stalled client.
                    resp = s3_error_response(
                        StatusCode::BAD_REQUEST,
                        "RequestTimeout",
                        "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.",
                        &id,
                    );
                    resp.headers_mut()
                        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
                }
                if resp.status().is_client_error() || resp.status().is_server_error() {
                    handle.drain();
                }
                if method == Method::POST && resp.status() == StatusCode::BAD_REQUEST {
                    resp = post_policy_denial(resp, &id);
                }
                if is_attributes && resp.status() == StatusCode::OK {
                    resp = unquote_attributes_etag(resp);
                }
                if resp.status().is_client_error() || resp.status().is_server_error() {
                    resp = complete_error_body(resp, &id);
                }
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
            return s3_error_response(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Insufficient information. Origin request header needed.",
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
            return s3_error_response(
                StatusCode::FORBIDDEN,
                "AccessForbidden",
                "CORSResponse: CORS is not enabled for this bucket.",
                id,
            );
        }
        match cors::matching_rule(&rules, origin, method, &headers) {
            None => s3_error_response(
                StatusCode::FORBIDDEN,
                "AccessForbidden",
                "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
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

fn s3_error_response(status: StatusCode, code: &str, message: &str, id: &str) -> Response<Body> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{id}</RequestId></Error>"
    );
    let mut r = Response::new(Body::from(xml));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    r
}

/// AWS caps presigned URLs at seven days; s3s does not check the upper bound.
fn presign_expiry_error<B>(req: &Request<B>, id: &str) -> Option<Response<Body>> {
    const MAX_EXPIRES: u64 = 7 * 24 * 3600;
    let query = req.uri().query()?;
    // Names are compared decoded, as s3s reads them: `X-Amz-%45xpires` is `X-Amz-Expires`.
    // (Decoding borrows unless there is an escape: no allocation on the common path.)
    let decode = |s| percent_encoding::percent_decode_str(s).decode_utf8_lossy();
    let expires = query.split('&').find_map(|kv| {
        let (name, value) = kv.split_once('=').unwrap_or((kv, ""));
        (decode(name) == "X-Amz-Expires").then(|| decode(value))
    })?;
    match expires.parse::<u64>() {
        Ok(n) if n <= MAX_EXPIRES => None,
        Ok(_) => Some(s3_error_response(
            StatusCode::BAD_REQUEST,
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
            id,
        )),
        Err(_) => Some(s3_error_response(
            StatusCode::BAD_REQUEST,
            "AuthorizationQueryParametersError",
            "X-Amz-Expires should be a number",
            id,
        )),
    }
}

/// A browser POST whose form breaks a policy condition is `403 AccessDenied` on AWS ("Invalid
/// according to Policy"); s3s reports it as `400 InvalidPolicyDocument`.
fn post_policy_denial(mut resp: Response<Body>, id: &str) -> Response<Body> {
    let Some(bytes) = resp.body_mut().bytes() else {
        return resp;
    };
    let text = String::from_utf8_lossy(&bytes);
    if text.contains("<Code>InvalidPolicyDocument</Code>") && text.contains("Policy condition") {
        let detail = xml_element(&text, "Message").unwrap_or("");
        return s3_error_response(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            &format!("Invalid according to Policy: {detail}"),
            id,
        );
    }
    resp
}

/// AWS error bodies always carry a Message and the RequestId; s3s leaves out the RequestId,
/// and the Message of errors it raises with a code only (`InvalidBucketName`, …).
fn complete_error_body(mut resp: Response<Body>, id: &str) -> Response<Body> {
    let Some(bytes) = resp.body_mut().bytes() else {
        return resp;
    };
    let text = String::from_utf8_lossy(&bytes);
    let Some(code) = xml_element(&text, "Code").map(str::to_string) else {
        return resp;
    };
    let mut fixed = text.into_owned();
    if !fixed.contains("<Message>")
        && let Some(message) = arca_s3::error::default_message(&code)
    {
        fixed = fixed.replacen("</Code>", &format!("</Code><Message>{message}</Message>"), 1);
    }
    if !fixed.contains("<RequestId>")
        && let Some(at) = fixed.rfind("</Error>")
    {
        fixed.insert_str(at, &format!("<RequestId>{id}</RequestId><HostId>{id}</HostId>"));
    }
    with_body(resp, fixed)
}

/// The text of the first `<name>` element of an error body.
fn xml_element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let (_, rest) = xml.split_once(&format!("<{name}>"))?;
    rest.split_once(&format!("</{name}>")).map(|(text, _)| text)
}

/// `resp` with `body` in place of its own, and the Content-Length to match.
fn with_body(mut resp: Response<Body>, body: String) -> Response<Body> {
    let len = body.len();
    *resp.body_mut() = Body::from(body);
    if let Ok(v) = HeaderValue::from_str(&len.to_string()) {
        resp.headers_mut().insert(http::header::CONTENT_LENGTH, v);
    }
    resp
}

/// GetObjectAttributes returns the ETag without quotes on AWS; s3s always quotes ETags.
fn unquote_attributes_etag(mut resp: Response<Body>) -> Response<Body> {
    let Some(bytes) = resp.body_mut().bytes() else {
        return resp;
    };
    let text = String::from_utf8_lossy(&bytes);
    let fixed = text
        .replace("<ETag>&quot;", "<ETag>")
        .replace("&quot;</ETag>", "</ETag>")
        .replace("<ETag>\"", "<ETag>")
        .replace("\"</ETag>", "</ETag>");
    with_body(resp, fixed)
}

/// `GET /health` without credentials. A signed request for `/health` is a ListObjects on a
/// bucket named "health" and goes to S3 like any other.
fn is_health_check<B>(req: &Request<B>) -> bool {
    req.method() == Method::GET
        && req.uri().path() == "/health"
        && req.uri().query().is_none()
        && !req.headers().contains_key(http::header::AUTHORIZATION)
}
