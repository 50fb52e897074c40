//! The IAM query API, on the S3 port: what `aws iam --endpoint-url …` and boto3's IAM client
//! send (`POST /`, a form body `Action=CreateUser&UserName=…&Version=2010-05-08`, SigV4 for
//! the `iam` service), answered in IAM's XML.
//!
//! | actions | |
//! |---|---|
//! | users | CreateUser, GetUser, ListUsers, DeleteUser |
//! | access keys | CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey |
//! | inline policies | PutUserPolicy, GetUserPolicy, DeleteUserPolicy, ListUserPolicies |
//!
//! The root user may do all of it; an IAM user what their own policies allow (`iam:CreateUser`
//! on `arn:aws:iam::000000000000:user/NAME`, …). Refusals are IAM's `ErrorResponse`.

use std::collections::HashMap;
use std::sync::Arc;

use arca_iam::{ConditionContext, Policy, PolicyKind, PrincipalMatch, Request};
use arca_store::{AccessKeyRecord, IdentityRefusal, Store, UserRecord};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use s3s::route::S3Route;
use s3s::{Body, S3Request, S3Response, S3Result};

use crate::identity::{Identities, ROOT_ACCOUNT, Signer, signer_keys};
use crate::secrets::SecretWrapper;

/// The largest form body an IAM request may have (a policy is at most 6,144 characters, and
/// URL-encoding can triple it).
const MAX_FORM: usize = 64 * 1024;
const XMLNS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// The IAM API over the store's identities.
pub(crate) struct IamApi {
    store: Arc<Store>,
    identities: Arc<Identities>,
    secrets: Arc<SecretWrapper>,
}

/// An IAM error: its code, status and message.
struct IamError {
    code: &'static str,
    status: StatusCode,
    message: String,
}

impl IamError {
    fn new(code: &'static str, status: StatusCode, message: impl Into<String>) -> Self {
        IamError {
            code,
            status,
            message: message.into(),
        }
    }

    fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationError", StatusCode::BAD_REQUEST, message)
    }
}

impl From<IdentityRefusal> for IamError {
    fn from(r: IdentityRefusal) -> Self {
        let (code, status) = match &r {
            IdentityRefusal::NoSuchEntity(_) => ("NoSuchEntity", StatusCode::NOT_FOUND),
            IdentityRefusal::EntityAlreadyExists(_) => ("EntityAlreadyExists", StatusCode::CONFLICT),
            IdentityRefusal::DeleteConflict(_) => ("DeleteConflict", StatusCode::CONFLICT),
            IdentityRefusal::LimitExceeded(_) => ("LimitExceeded", StatusCode::CONFLICT),
        };
        IamError::new(code, status, r.to_string())
    }
}

impl From<arca_store::StoreError> for IamError {
    fn from(e: arca_store::StoreError) -> Self {
        tracing::error!(error = %e, "IAM request failed in the store");
        IamError::new(
            "ServiceFailure",
            StatusCode::INTERNAL_SERVER_ERROR,
            "An internal error occurred.",
        )
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn date(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

fn random(prefix: &str, len: usize, alphabet: &[u8]) -> String {
    let tail: String = (0..len)
        .map(|_| alphabet[rand::random_range(0..alphabet.len())] as char)
        .collect();
    format!("{prefix}{tail}")
}

const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A form body's fields (`+` is a space, `%XX` a byte).
fn form(body: &[u8]) -> HashMap<String, String> {
    let decode = |s: &str| {
        let spaced = s.replace('+', " ");
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8_lossy()
            .into_owned()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// IAM's name rule for users and policies: `[\w+=,.@-]`, 1 to `max` characters.
fn valid_name(name: &str, max: usize) -> bool {
    (1..=max).contains(&name.chars().count())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

fn user_xml(u: &UserRecord) -> String {
    format!(
        "<Path>{}</Path><UserName>{}</UserName><UserId>{}</UserId><Arn>arn:aws:iam::{ROOT_ACCOUNT}:user{}{}</Arn><CreateDate>{}</CreateDate>",
        escape(&u.path),
        escape(&u.name),
        escape(&u.id),
        escape(&u.path),
        escape(&u.name),
        date(u.created_ms)
    )
}

fn respond(action: &str, result: Option<String>, request_id: &str) -> S3Response<Body> {
    let result = result
        .map(|r| format!("<{action}Result>{r}</{action}Result>"))
        .unwrap_or_default();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{XMLNS}\">{result}<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
    );
    xml(StatusCode::OK, body)
}

fn error_response(e: &IamError, request_id: &str) -> S3Response<Body> {
    let kind = if e.status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"{XMLNS}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
        e.code,
        escape(&e.message)
    );
    xml(e.status, body)
}

fn xml(status: StatusCode, body: String) -> S3Response<Body> {
    let mut resp = S3Response::with_status(Body::from(body), status);
    resp.headers
        .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    resp
}

/// The parameters Arca honours for each action it serves (`None`: not an action it serves).
fn accepted_parameters(action: &str) -> Option<&'static [&'static str]> {
    Some(match action {
        "CreateUser" => &["UserName", "Path"],
        "GetUser" | "DeleteUser" | "CreateAccessKey" | "ListAccessKeys" | "ListUserPolicies" => &["UserName"],
        "ListUsers" => &[],
        "UpdateAccessKey" => &["UserName", "AccessKeyId", "Status"],
        "DeleteAccessKey" => &["UserName", "AccessKeyId"],
        "PutUserPolicy" => &["UserName", "PolicyName", "PolicyDocument"],
        "GetUserPolicy" | "DeleteUserPolicy" => &["UserName", "PolicyName"],
        _ => return None,
    })
}

/// Whether a request is signed for the `iam` service (its credential scope says so).
fn signed_for_iam(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS4-") && v.contains("/iam/aws4_request"))
}

impl IamApi {
    pub(crate) fn new(store: Arc<Store>, identities: Arc<Identities>, secrets: Arc<SecretWrapper>) -> Self {
        IamApi {
            store,
            identities,
            secrets,
        }
    }

    /// Whether `signer` may do IAM `action` on the user named `user` (or `*`).
    fn allowed(&self, signer: &Signer, action: &str, user: &str) -> bool {
        match signer {
            Signer::Root => true,
            Signer::Anonymous => false,
            Signer::User(_) => {
                let identity = self.identities.identity(signer);
                let resource = if user == "*" {
                    "*".to_string()
                } else {
                    format!("arn:aws:iam::{ROOT_ACCOUNT}:user/{user}")
                };
                let mut context = ConditionContext::new();
                signer_keys(&mut context, identity, signer, &|_| true);
                let action = format!("iam:{action}");
                let request = Request {
                    identity,
                    action: &action,
                    resource: &resource,
                    context: &context,
                };
                self.identities
                    .identity_answer(signer, &request)
                    .is_some_and(|a| !a.denies && a.allows != PrincipalMatch::No)
            }
        }
    }

    async fn handle(
        &self,
        signer: &Signer,
        action: &str,
        f: &HashMap<String, String>,
    ) -> Result<Option<String>, IamError> {
        // A parameter Arca does not honour yet (tags, permissions boundaries, paging) is
        // refused, never accepted and ignored.
        if let Some(accepted) = accepted_parameters(action)
            && let Some(other) = f
                .keys()
                .find(|k| !matches!(k.as_str(), "Action" | "Version") && !accepted.contains(&k.as_str()))
        {
            return Err(IamError::validation(format!(
                "The parameter {other} of {action} is not supported by Arca"
            )));
        }
        let field = |name: &str| f.get(name).map(String::as_str).unwrap_or("");
        // The user an action is about: the named one, or (for an IAM user) themselves.
        let target = match (f.get("UserName"), signer) {
            (Some(n), _) => n.clone(),
            (None, Signer::User(u)) => u.record.name.clone(),
            (None, _) if action == "ListUsers" => "*".to_string(),
            (None, _) => return Err(IamError::validation("UserName is required for the root user in Arca")),
        };
        if target != "*" && !valid_name(&target, 64) {
            return Err(IamError::validation(format!(
                "1 validation error detected: Value '{target}' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
            )));
        }
        if !self.allowed(signer, action, &target) {
            let who = self
                .identities
                .identity(signer)
                .arn()
                .unwrap_or_else(|| "anonymous".into());
            return Err(IamError::new(
                "AccessDenied",
                StatusCode::FORBIDDEN,
                format!("User: {who} is not authorized to perform: iam:{action} on resource: user {target}"),
            ));
        }
        let a = ROOT_ACCOUNT;
        let user_or_404 = |u: Option<UserRecord>| {
            u.ok_or_else(|| {
                IamError::from(IdentityRefusal::NoSuchEntity(format!(
                    "The user with name {target} cannot be found."
                )))
            })
        };
        Ok(match action {
            "CreateUser" => {
                let path = f.get("Path").cloned().unwrap_or_else(|| "/".into());
                if !path.starts_with('/') || !path.ends_with('/') {
                    return Err(IamError::validation(
                        "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.",
                    ));
                }
                let user = UserRecord {
                    name: target.clone(),
                    id: random("AIDA", 17, UPPER_DIGITS),
                    path,
                    created_ms: arca_store::now_ms(),
                    access_keys: Vec::new(),
                    inline_policies: Default::default(),
                };
                let user = self.store.create_user(a, user).await??;
                Some(format!("<User>{}</User>", user_xml(&user)))
            }
            "GetUser" => Some(format!(
                "<User>{}</User>",
                user_xml(&user_or_404(self.store.get_user(a, &target)?)?)
            )),
            "ListUsers" => {
                let members: String = self
                    .store
                    .list_users(a)?
                    .iter()
                    .map(|u| format!("<member>{}</member>", user_xml(u)))
                    .collect();
                Some(format!("<IsTruncated>false</IsTruncated><Users>{members}</Users>"))
            }
            "DeleteUser" => {
                self.store.delete_user(a, &target).await??;
                None
            }
            "CreateAccessKey" => {
                let id = random("AKIA", 16, UPPER_DIGITS);
                let secret = random(
                    "",
                    40,
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                );
                let key = AccessKeyRecord {
                    wrapped_secret: self.secrets.wrap(&id, &secret),
                    id,
                    account: a.to_string(),
                    user: target.clone(),
                    active: true,
                    created_ms: arca_store::now_ms(),
                };
                let key = self.store.create_access_key(key).await??;
                Some(format!(
                    "<AccessKey><UserName>{}</UserName><AccessKeyId>{}</AccessKeyId><Status>Active</Status><SecretAccessKey>{}</SecretAccessKey><CreateDate>{}</CreateDate></AccessKey>",
                    escape(&key.user),
                    key.id,
                    escape(&secret),
                    date(key.created_ms)
                ))
            }
            "ListAccessKeys" => {
                let user = user_or_404(self.store.get_user(a, &target)?)?;
                let mut members = String::new();
                for id in &user.access_keys {
                    if let Some(k) = self.store.get_access_key(id)? {
                        members.push_str(&format!(
                            "<member><UserName>{}</UserName><AccessKeyId>{}</AccessKeyId><Status>{}</Status><CreateDate>{}</CreateDate></member>",
                            escape(&k.user),
                            k.id,
                            if k.active { "Active" } else { "Inactive" },
                            date(k.created_ms)
                        ));
                    }
                }
                Some(format!(
                    "<UserName>{}</UserName><AccessKeyMetadata>{members}</AccessKeyMetadata><IsTruncated>false</IsTruncated>",
                    escape(&target)
                ))
            }
            "UpdateAccessKey" => {
                let active = match field("Status") {
                    "Active" => true,
                    "Inactive" => false,
                    other => {
                        return Err(IamError::validation(format!(
                            "1 validation error detected: Value '{other}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
                        )));
                    }
                };
                self.store
                    .set_access_key_active(a, &target, field("AccessKeyId"), active)
                    .await??;
                None
            }
            "DeleteAccessKey" => {
                self.store.delete_access_key(a, &target, field("AccessKeyId")).await??;
                None
            }
            "PutUserPolicy" => {
                let name = field("PolicyName");
                if !valid_name(name, 128) {
                    return Err(IamError::validation("The specified value for policyName is invalid."));
                }
                Policy::parse(field("PolicyDocument"), &PolicyKind::Identity)
                    .map_err(|e| IamError::new("MalformedPolicyDocument", StatusCode::BAD_REQUEST, e.to_string()))?;
                self.store
                    .put_user_policy(a, &target, name, field("PolicyDocument").to_string())
                    .await??;
                None
            }
            "GetUserPolicy" => {
                let user = user_or_404(self.store.get_user(a, &target)?)?;
                let name = field("PolicyName");
                let text = user.inline_policies.get(name).ok_or_else(|| {
                    IamError::from(IdentityRefusal::NoSuchEntity(format!(
                        "The user policy with name {name} cannot be found."
                    )))
                })?;
                // IAM answers policy documents URL-encoded; clients decode them.
                let encoded =
                    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string();
                Some(format!(
                    "<UserName>{}</UserName><PolicyName>{}</PolicyName><PolicyDocument>{encoded}</PolicyDocument>",
                    escape(&target),
                    escape(name)
                ))
            }
            "DeleteUserPolicy" => {
                self.store.delete_user_policy(a, &target, field("PolicyName")).await??;
                None
            }
            "ListUserPolicies" => {
                let user = user_or_404(self.store.get_user(a, &target)?)?;
                let members: String = user
                    .inline_policies
                    .keys()
                    .map(|n| format!("<member>{}</member>", escape(n)))
                    .collect();
                Some(format!(
                    "<PolicyNames>{members}</PolicyNames><IsTruncated>false</IsTruncated>"
                ))
            }
            other => {
                return Err(IamError::new(
                    "InvalidAction",
                    StatusCode::BAD_REQUEST,
                    format!("Could not find operation {other} for version 2010-05-08"),
                ));
            }
        })
    }
}

#[async_trait::async_trait]
impl S3Route for IamApi {
    fn is_match(&self, method: &Method, uri: &Uri, headers: &HeaderMap, _ext: &mut http::Extensions) -> bool {
        method == Method::POST && uri.path() == "/" && signed_for_iam(headers)
    }

    async fn check_access(&self, req: &mut S3Request<Body>) -> S3Result<()> {
        // Decided per action in `call`, where IAM's own error format can answer.
        match req.credentials {
            Some(_) => Ok(()),
            None => Err(arca_s3::aws_error::AwsError::AccessDenied.error()),
        }
    }

    async fn call(&self, mut req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let request_id = crate::request_id::new_request_id();
        let declared = req
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let body = match req.input.store_all_limited(MAX_FORM).await {
            Ok(b) => b,
            Err(_) => {
                // Too large, or (with `x-amz-content-sha256`) not the body that was signed.
                let e = if declared.is_none_or(|n| n > MAX_FORM) {
                    IamError::validation("The request body is too large.")
                } else {
                    IamError::new(
                        "SignatureDoesNotMatch",
                        StatusCode::FORBIDDEN,
                        "The request signature we calculated does not match the signature you provided.",
                    )
                };
                return Ok(error_response(&e, &request_id));
            }
        };
        let fields = form(&body);
        let action = fields.get("Action").cloned().unwrap_or_default();
        let signer = self
            .identities
            .signer(req.credentials.as_ref().map(|c| c.access_key.as_str()));
        match self.handle(&signer, &action, &fields).await {
            Ok(result) => Ok(respond(&action, result, &request_id)),
            Err(e) => {
                tracing::info!(action, code = e.code, message = %e.message, "IAM request refused");
                Ok(error_response(&e, &request_id))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_plus_and_percent() {
        let f = form(b"Action=PutUserPolicy&PolicyDocument=%7B%22a%22%3A+1%7D&UserName=alice");
        assert_eq!(f["PolicyDocument"], "{\"a\": 1}");
        assert_eq!(f["UserName"], "alice");
    }

    #[test]
    fn every_action_served_lists_its_parameters() {
        for action in [
            "CreateUser",
            "GetUser",
            "ListUsers",
            "DeleteUser",
            "CreateAccessKey",
            "ListAccessKeys",
            "UpdateAccessKey",
            "DeleteAccessKey",
            "PutUserPolicy",
            "GetUserPolicy",
            "DeleteUserPolicy",
            "ListUserPolicies",
        ] {
            assert!(accepted_parameters(action).is_some(), "{action}");
        }
        assert!(accepted_parameters("CreateRole").is_none());
    }

    #[test]
    fn names_follow_iams_pattern() {
        assert!(valid_name("alice.b-c_d@e+f=g,h", 64));
        assert!(!valid_name("", 64));
        assert!(!valid_name("a/b", 64));
        assert!(!valid_name(&"a".repeat(65), 64));
    }
}
