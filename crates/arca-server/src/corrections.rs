//! Where s3s answers differently from AWS, corrected in one place.
//!
//! s3s turns HTTP into typed S3 calls and back; in a few places what it checks or writes
//! differs from what AWS does. Safety fixes that must sit where s3s decides what a request
//! means are patches of our copy (`vendor/s3s/PATCHES.md`); everything that can be corrected
//! at the edge is here, in two steps the front door runs around every S3 call:
//!
//! - [`refusal`] looks at a request before s3s does and answers what AWS would refuse that
//!   s3s lets through (a presigned URL valid for more than 7 days, a signature for another
//!   region);
//! - [`Corrections::apply`] mends s3s's response (a POST policy failure's status, the
//!   Message and RequestId AWS puts in every error, GetObjectAttributes' bare ETag).
//!
//! Each correction is tested end to end, through a real server and so through s3s's real
//! output: an upgrade of s3s that changes what it writes fails those tests rather than
//! silently changing what clients see. The tests are named at each function.

use arca_s3::aws_error::AwsError;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use s3s::Body;

/// An S3 error response as AWS writes it; `extra` holds further elements (`<Region>`).
pub(crate) fn error_response(status: StatusCode, code: &str, message: &str, extra: &str, id: &str) -> Response<Body> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>{extra}<RequestId>{id}</RequestId><HostId>{id}</HostId></Error>"
    );
    let mut r = Response::new(Body::from(xml));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    r
}

/// A catalogue error as a response.
pub(crate) fn aws_error_response(e: AwsError, id: &str) -> Response<Body> {
    error_response(e.status(), e.code(), e.message(), "", id)
}

/// What AWS refuses before it reads a request and s3s does not check.
pub(crate) fn refusal<B>(req: &Request<B>, region: &str, id: &str) -> Option<Response<Body>> {
    presign_expiry_error(req, id).or_else(|| wrong_region(req, region, id))
}

/// Decodes a query component (borrowing unless it holds an escape).
fn decode(s: &str) -> std::borrow::Cow<'_, str> {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy()
}

/// The value of query parameter `name`, names compared decoded as s3s reads them
/// (`X-Amz-%45xpires` is `X-Amz-Expires`).
fn query_param<'a>(query: &'a str, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    query.split('&').find_map(|kv| {
        let (n, v) = kv.split_once('=').unwrap_or((kv, ""));
        (decode(n) == name).then(|| decode(v))
    })
}

/// AWS caps presigned URLs at seven days and refuses a negative or unreadable lifetime, each
/// with its own message (AWS's text, as its responses carry it); s3s checks none of this. An
/// expiry of 0 passes here and s3s answers it as AWS does: `403 AccessDenied`, expired.
/// Tests: `adversarial::signatures::presign_expiry_cap_applies_to_the_decoded_parameter`,
/// `adversarial::signatures::presign_expiry_out_of_range_answers_as_aws_does`.
fn presign_expiry_error<B>(req: &Request<B>, id: &str) -> Option<Response<Body>> {
    const MAX_EXPIRES: i64 = 7 * 24 * 3600;
    let expires = query_param(req.uri().query()?, "X-Amz-Expires")?;
    let message = match expires.parse::<i64>() {
        Ok(n) if (0..=MAX_EXPIRES).contains(&n) => return None,
        Ok(n) if n < 0 => "X-Amz-Expires must be non-negative",
        Ok(_) => {
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less \
             than 604800 seconds"
        }
        Err(_) => "X-Amz-Expires should be a number",
    };
    Some(error_response(
        StatusCode::BAD_REQUEST,
        "AuthorizationQueryParametersError",
        message,
        "",
        id,
    ))
}

/// A SigV4 request signed for another region than the server's. s3s verifies the signature
/// with whatever region the credential scope names; AWS refuses it and names the region to
/// use, which the SDKs read to re-sign and retry.
/// Test: `integration::auth::a_request_signed_for_another_region_names_the_right_one`.
fn wrong_region<B>(req: &Request<B>, region: &str, id: &str) -> Option<Response<Body>> {
    let expecting = || format!("<Region>{region}</Region>");
    if let Some(auth) = req.headers().get(http::header::AUTHORIZATION)
        && let Ok(auth) = auth.to_str()
        && let Some(scope) = auth.strip_prefix("AWS4-HMAC-SHA256 ")
    {
        let credential = scope.split(',').find_map(|p| p.trim().strip_prefix("Credential="))?;
        let asked = credential.split('/').nth(2)?;
        return (asked != region).then(|| {
            error_response(
                StatusCode::BAD_REQUEST,
                "AuthorizationHeaderMalformed",
                &format!("The authorization header is malformed; the region '{asked}' is wrong; expecting '{region}'"),
                &expecting(),
                id,
            )
        });
    }
    let credential = query_param(req.uri().query()?, "X-Amz-Credential")?;
    let asked = credential.split('/').nth(2)?;
    (asked != region).then(|| {
        error_response(
            StatusCode::BAD_REQUEST,
            "AuthorizationQueryParametersError",
            &format!(
                "Error parsing the X-Amz-Credential parameter; the region '{asked}' is wrong; expecting '{region}'"
            ),
            &expecting(),
            id,
        )
    })
}

/// What a response correction needs to know of its request.
pub(crate) struct Corrections {
    method: Method,
    /// `GET ?attributes`: GetObjectAttributes.
    is_attributes: bool,
}

impl Corrections {
    pub(crate) fn for_request<B>(req: &Request<B>) -> Self {
        let method = req.method().clone();
        let is_attributes = method == Method::GET
            && req
                .uri()
                .query()
                .is_some_and(|q| q.split('&').any(|p| p == "attributes" || p.starts_with("attributes=")));
        Corrections { method, is_attributes }
    }

    /// Mends s3s's response to this request.
    pub(crate) fn apply(&self, mut resp: Response<Body>, id: &str) -> Response<Body> {
        let failed = resp.status().is_client_error() || resp.status().is_server_error();
        if self.method == Method::POST && resp.status() == StatusCode::BAD_REQUEST {
            resp = post_policy_denial(resp, id);
        }
        if self.is_attributes && resp.status() == StatusCode::OK {
            resp = unquote_attributes_etag(resp);
        }
        if failed {
            resp = complete_error_body(resp, id);
        }
        resp
    }
}

/// A browser POST whose form breaks a policy condition is `403 AccessDenied` on AWS ("Invalid
/// according to Policy"); s3s reports it as `400 InvalidPolicyDocument`.
/// Test: the client suite's `test_presigned_post_form_and_policy_violations`.
fn post_policy_denial(mut resp: Response<Body>, id: &str) -> Response<Body> {
    let Some(bytes) = resp.body_mut().bytes() else {
        return resp;
    };
    let text = String::from_utf8_lossy(&bytes);
    if text.contains("<Code>InvalidPolicyDocument</Code>") && text.contains("Policy condition") {
        let detail = xml_element(&text, "Message").unwrap_or("");
        return error_response(
            StatusCode::FORBIDDEN,
            AwsError::AccessDenied.code(),
            &format!("Invalid according to Policy: {detail}"),
            "",
            id,
        );
    }
    resp
}

/// AWS error bodies always carry a Message and the RequestId; s3s leaves out the RequestId,
/// and the Message of errors it raises with a code only (`InvalidBucketName`, …).
/// Test: `integration::negative::error_bodies_have_a_message_and_the_request_id`.
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
        && let Some(e) = AwsError::from_code(&code)
    {
        fixed = fixed.replacen("</Code>", &format!("</Code><Message>{}</Message>", e.message()), 1);
    }
    if !fixed.contains("<RequestId>")
        && let Some(at) = fixed.rfind("</Error>")
    {
        fixed.insert_str(at, &format!("<RequestId>{id}</RequestId><HostId>{id}</HostId>"));
    }
    with_body(resp, fixed)
}

/// GetObjectAttributes returns the ETag without quotes on AWS; s3s always quotes ETags.
/// Test: `integration::objects::object_tagging_and_attributes` and the client suite's
/// `test_get_object_attributes_several_at_once`.
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
