//! The IAM query API, on the S3 port: what `aws iam --endpoint-url …` and boto3's IAM client
//! send (`POST /`, a form body `Action=CreateUser&UserName=…&Version=2010-05-08`, SigV4 for
//! the `iam` service), answered in IAM's XML.
//!
//! | actions | file |
//! |---|---|
//! | users, their access keys, inline and attached policies | [`users`] |
//! | groups, members, inline and attached policies | [`groups`] |
//! | managed policies and their versions | [`policies`] |
//! | roles, their trust, inline and attached policies | [`roles`] |
//! | STS: GetCallerIdentity, AssumeRole (signed for `sts`) | [`sts`] |
//!
//! This file reads the request, decides whether the signer may make it, and answers in IAM's
//! XML. Each account's IAM is its own: a request acts on the signer's account. Its root user
//! may do all of it; an IAM user what their own policies allow (`iam:CreateUser` on
//! `arn:aws:iam::ACCOUNT:user/NAME`, …). Refusals are IAM's `ErrorResponse`.

mod groups;
mod policies;
mod roles;
mod sts;
mod users;

use std::collections::HashMap;
use std::sync::Arc;

use arca_iam::{ConditionContext, KeySet, Policy, PolicyKind, PrincipalMatch, Request};
use arca_store::{IdentityRefusal, Store, UserRecord};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use s3s::route::S3Route;
use s3s::{Body, S3Request, S3Response, S3Result};

use crate::identity::{FIRST_ACCOUNT, Identities, Signer, signer_keys};
use crate::request_id::RequestId;
use crate::secrets::SecretWrapper;
use crate::sessions::TokenRefusal;
use crate::signed_body::{BodyRefusal, read_bounded};

/// The largest form body an IAM request may have (a policy is at most 6,144 characters, and
/// URL-encoding can triple it).
const MAX_FORM: usize = 64 * 1024;
/// The query APIs this route answers, by the service a request is signed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueryService {
    Iam,
    Sts,
}

impl QueryService {
    /// The service a SigV4 request is signed for (its credential scope says so), if it is
    /// one of these.
    pub(crate) fn of(headers: &HeaderMap) -> Option<QueryService> {
        let auth = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.starts_with("AWS4-"))?;
        if auth.contains("/iam/aws4_request") {
            Some(QueryService::Iam)
        } else if auth.contains("/sts/aws4_request") {
            Some(QueryService::Sts)
        } else {
            None
        }
    }

    fn xmlns(self) -> &'static str {
        match self {
            QueryService::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            QueryService::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        }
    }
}

/// The IAM API over the store's identities.
pub(crate) struct IamApi {
    store: Arc<Store>,
    identities: Arc<Identities>,
    secrets: Arc<SecretWrapper>,
    /// The shortest session AssumeRole grants, in seconds.
    min_session_seconds: u32,
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

/// `ms` since the epoch as IAM shows dates (RFC 3339).
pub(crate) fn date(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// A form body's fields (`+` is a space, `%XX` a byte).
fn form(body: &[u8]) -> Fields {
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

fn user_xml(account: &str, u: &UserRecord) -> String {
    format!(
        "<Path>{}</Path><UserName>{}</UserName><UserId>{}</UserId><Arn>arn:aws:iam::{account}:user{}{}</Arn><CreateDate>{}</CreateDate>",
        escape(&u.path),
        escape(&u.name),
        escape(&u.id),
        escape(&u.path),
        escape(&u.name),
        date(u.created_ms)
    )
}

fn respond(service: QueryService, action: &str, result: Option<String>, request_id: &str) -> S3Response<Body> {
    let xmlns = service.xmlns();
    let result = result
        .map(|r| format!("<{action}Result>{r}</{action}Result>"))
        .unwrap_or_default();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{xmlns}\">{result}<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
    );
    xml(StatusCode::OK, body)
}

fn error_response(service: QueryService, e: &IamError, request_id: &str) -> S3Response<Body> {
    let xmlns = service.xmlns();
    let kind = if e.status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"{xmlns}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
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

impl IamApi {
    pub(crate) fn new(
        store: Arc<Store>,
        identities: Arc<Identities>,
        secrets: Arc<SecretWrapper>,
        min_session_seconds: u32,
    ) -> Self {
        IamApi {
            store,
            identities,
            secrets,
            min_session_seconds,
        }
    }

    /// Whether `signer` may do IAM `action` on `resource` (an ARN, or `*`).
    fn allowed(&self, signer: &Signer, action: &str, resource: &str) -> bool {
        match signer {
            Signer::Root(_) => true,
            Signer::Anonymous => false,
            Signer::User(_) | Signer::Role(_) => {
                let identity = self.identities.identity(signer);
                let mut context = ConditionContext::new();
                signer_keys(&mut context, identity, signer, KeySet::ALL);
                let action = format!("iam:{action}");
                let request = Request {
                    identity,
                    action: &action,
                    resource,
                    context: &context,
                };
                self.identities
                    .identity_answer(signer, &request, None)
                    .is_some_and(|a| !a.denies && a.allows != PrincipalMatch::No)
            }
        }
    }

    async fn handle(&self, signer: &Signer, action: &str, f: &Fields) -> Result<Option<String>, IamError> {
        let Some((family, accepted)) = action_of(action) else {
            return Err(invalid_action(action));
        };
        // A parameter Arca does not honour yet (tags, permissions boundaries, paging) is
        // refused, never accepted and ignored.
        if let Some(other) = f
            .keys()
            .find(|k| !matches!(k.as_str(), "Action" | "Version") && !accepted.contains(&k.as_str()))
        {
            return Err(IamError::validation(format!(
                "The parameter {other} of {action} is not supported by Arca"
            )));
        }
        let Some(account) = signer.account().map(|a| a.id.as_str()) else {
            return Err(IamError::new(
                "InvalidClientTokenId",
                StatusCode::FORBIDDEN,
                "The security token included in the request is invalid.",
            ));
        };
        let subject = Subject::of(account, family, signer, action, f)?;
        let resource = subject.arn(account);
        if !self.allowed(signer, action, &resource) {
            let who = self
                .identities
                .identity(signer)
                .arn()
                .unwrap_or_else(|| "anonymous".into());
            return Err(IamError::new(
                "AccessDenied",
                StatusCode::FORBIDDEN,
                format!(
                    "User: {who} is not authorized to perform: iam:{action} on resource: {}",
                    resource
                ),
            ));
        }
        match subject {
            Subject::User(user) => users::handle(self, account, action, &user, f).await,
            Subject::RootKeys => users::handle(self, account, action, "", f).await,
            Subject::Group(group) => groups::handle(self, account, action, &group, f).await,
            Subject::Policy(name) => policies::handle(self, account, action, &name, f).await,
            Subject::Role(name) => roles::handle(self, account, action, &name, f).await,
            Subject::Account => match family {
                Family::User => users::handle(self, account, action, "*", f).await,
                Family::Group => groups::handle(self, account, action, "*", f).await,
                Family::Policy => policies::handle(self, account, action, "*", f).await,
                Family::Role => roles::handle(self, account, action, "*", f).await,
            },
        }
    }
}

/// IAM's and STS's answer to a session token that is not valid, or no longer.
fn token_refused(refusal: TokenRefusal) -> IamError {
    match refusal {
        TokenRefusal::Invalid => IamError::new(
            "InvalidClientTokenId",
            StatusCode::FORBIDDEN,
            "The security token included in the request is invalid.",
        ),
        TokenRefusal::Expired => IamError::new(
            "ExpiredToken",
            StatusCode::FORBIDDEN,
            "The security token included in the request is expired",
        ),
    }
}

/// IAM's answer to an action it does not serve.
fn invalid_action(action: &str) -> IamError {
    IamError::new(
        "InvalidAction",
        StatusCode::BAD_REQUEST,
        format!("Could not find operation {action} for version 2010-05-08"),
    )
}

/// A request's form fields.
type Fields = HashMap<String, String>;

/// A field's value, empty when absent.
fn field<'a>(f: &'a Fields, name: &str) -> &'a str {
    f.get(name).map(String::as_str).unwrap_or("")
}

/// Which kind of entity an action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    User,
    Group,
    Policy,
    Role,
}

/// Each action Arca serves: what it is about and the parameters it honours.
fn action_of(action: &str) -> Option<(Family, &'static [&'static str])> {
    use Family::*;
    Some(match action {
        "CreateUser" => (User, &["UserName", "Path"]),
        "GetUser"
        | "DeleteUser"
        | "CreateAccessKey"
        | "ListAccessKeys"
        | "ListUserPolicies"
        | "ListGroupsForUser"
        | "ListAttachedUserPolicies" => (User, &["UserName"]),
        "ListUsers" => (User, &[]),
        "UpdateAccessKey" => (User, &["UserName", "AccessKeyId", "Status"]),
        "DeleteAccessKey" => (User, &["UserName", "AccessKeyId"]),
        "PutUserPolicy" => (User, &["UserName", "PolicyName", "PolicyDocument"]),
        "GetUserPolicy" | "DeleteUserPolicy" => (User, &["UserName", "PolicyName"]),
        "AttachUserPolicy" | "DetachUserPolicy" => (User, &["UserName", "PolicyArn"]),
        "CreateLoginProfile" | "UpdateLoginProfile" => (User, &["UserName", "Password", "PasswordResetRequired"]),
        "GetLoginProfile" | "DeleteLoginProfile" => (User, &["UserName"]),
        "CreateGroup" => (Group, &["GroupName", "Path"]),
        "GetGroup" | "DeleteGroup" | "ListGroupPolicies" | "ListAttachedGroupPolicies" => (Group, &["GroupName"]),
        "ListGroups" => (Group, &[]),
        "AddUserToGroup" | "RemoveUserFromGroup" => (Group, &["GroupName", "UserName"]),
        "PutGroupPolicy" => (Group, &["GroupName", "PolicyName", "PolicyDocument"]),
        "GetGroupPolicy" | "DeleteGroupPolicy" => (Group, &["GroupName", "PolicyName"]),
        "AttachGroupPolicy" | "DetachGroupPolicy" => (Group, &["GroupName", "PolicyArn"]),
        "CreatePolicy" => (Policy, &["PolicyName", "PolicyDocument", "Path", "Description"]),
        "GetPolicy" | "DeletePolicy" | "ListPolicyVersions" => (Policy, &["PolicyArn"]),
        "ListPolicies" => (Policy, &["Scope", "OnlyAttached"]),
        "CreatePolicyVersion" => (Policy, &["PolicyArn", "PolicyDocument", "SetAsDefault"]),
        "GetPolicyVersion" | "DeletePolicyVersion" | "SetDefaultPolicyVersion" => (Policy, &["PolicyArn", "VersionId"]),
        "CreateRole" => (
            Role,
            &[
                "RoleName",
                "AssumeRolePolicyDocument",
                "Path",
                "Description",
                "MaxSessionDuration",
            ],
        ),
        "GetRole" | "DeleteRole" | "ListRolePolicies" | "ListAttachedRolePolicies" => (Role, &["RoleName"]),
        "ListRoles" => (Role, &[]),
        "UpdateAssumeRolePolicy" => (Role, &["RoleName", "PolicyDocument"]),
        "PutRolePolicy" => (Role, &["RoleName", "PolicyName", "PolicyDocument"]),
        "GetRolePolicy" | "DeleteRolePolicy" => (Role, &["RoleName", "PolicyName"]),
        "AttachRolePolicy" | "DetachRolePolicy" => (Role, &["RoleName", "PolicyArn"]),
        _ => return None,
    })
}

/// What an action is about: the resource an IAM user's policies must allow it on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Subject {
    User(String),
    Group(String),
    /// A managed policy of the account, by name.
    Policy(String),
    /// A role, by name.
    Role(String),
    /// The account's users, groups or policies as a whole (the `List…` actions).
    Account,
    /// The access keys of the account's root user.
    RootKeys,
}

impl Subject {
    fn of(account: &str, family: Family, signer: &Signer, action: &str, f: &Fields) -> Result<Subject, IamError> {
        let named = |param: &str, constraint: &str, max: usize| -> Result<String, IamError> {
            let name = field(f, param);
            if !valid_name(name, max) {
                return Err(IamError::validation(format!(
                    "1 validation error detected: Value '{name}' at '{constraint}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
                )));
            }
            Ok(name.to_string())
        };
        if matches!(action, "ListUsers" | "ListGroups" | "ListPolicies" | "ListRoles") {
            return Ok(Subject::Account);
        }
        Ok(match family {
            Family::User => match (f.get("UserName"), signer) {
                (Some(_), _) => Subject::User(named("UserName", "userName", 64)?),
                // An IAM user acts on themselves when no user is named, as in IAM.
                (None, Signer::User(u)) => Subject::User(u.record.name.clone()),
                // So does the root user of an account the operator added, for its own keys.
                // (The first account's root signs with the key pair the server starts with.)
                (None, Signer::Root(a)) if action.contains("AccessKey") && a.id != FIRST_ACCOUNT => Subject::RootKeys,
                (None, _) => return Err(IamError::validation("UserName is required for the root user in Arca")),
            },
            Family::Group => {
                if f.contains_key("UserName") {
                    named("UserName", "userName", 64)?;
                }
                Subject::Group(named("GroupName", "groupName", 128)?)
            }
            Family::Policy if action == "CreatePolicy" => Subject::Policy(named("PolicyName", "policyName", 128)?),
            Family::Policy => Subject::Policy(policy_name_of(account, field(f, "PolicyArn"))?),
            Family::Role => Subject::Role(named("RoleName", "roleName", 64)?),
        })
    }

    /// The resource's ARN in `account` (`*` for the account as a whole).
    fn arn(&self, account: &str) -> String {
        match self {
            Subject::User(n) => format!("arn:aws:iam::{account}:user/{n}"),
            Subject::Group(n) => format!("arn:aws:iam::{account}:group/{n}"),
            Subject::Policy(n) => format!("arn:aws:iam::{account}:policy/{n}"),
            Subject::Role(n) => format!("arn:aws:iam::{account}:role/{n}"),
            Subject::Account => "*".to_string(),
            Subject::RootKeys => format!("arn:aws:iam::{account}:root"),
        }
    }
}

/// The name of `own_account`'s managed policy `arn` names
/// (`arn:aws:iam::ACCOUNT:policy/PATH/NAME`).
fn policy_name_of(own_account: &str, arn: &str) -> Result<String, IamError> {
    let invalid = || {
        IamError::new(
            "InvalidInput",
            StatusCode::BAD_REQUEST,
            format!("ARN {arn} is not valid."),
        )
    };
    let rest = arn.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
    let (account, resource) = rest.split_once(':').ok_or_else(invalid)?;
    let path_and_name = resource.strip_prefix("policy/").ok_or_else(invalid)?;
    let name = path_and_name.rsplit('/').next().unwrap_or("");
    if !valid_name(name, 128) {
        return Err(invalid());
    }
    if account != own_account {
        // AWS managed policies (`arn:aws:iam::aws:policy/…`) and other accounts' are not
        // Arca's to attach.
        return Err(IamError::from(IdentityRefusal::NoSuchEntity(format!(
            "Policy {arn} does not exist or is not attachable."
        ))));
    }
    Ok(name.to_string())
}

/// The ARN of `account`'s managed policy `name` on `path`.
fn policy_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:policy{path}{name}")
}

/// `path` if it is one IAM accepts (`/`, or `/a/b/`), else IAM's error.
fn valid_path(f: &Fields) -> Result<String, IamError> {
    let path = f.get("Path").cloned().unwrap_or_else(|| "/".into());
    let ok = path.starts_with('/')
        && path.ends_with('/')
        && path.len() <= 512
        && path.chars().all(|c| c.is_ascii() && !c.is_ascii_control());
    if !ok {
        return Err(IamError::validation(
            "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.",
        ));
    }
    Ok(path)
}

/// An identity policy document, checked as IAM checks it before storing it.
fn identity_policy(f: &Fields) -> Result<String, IamError> {
    let text = field(f, "PolicyDocument");
    Policy::parse(text, &PolicyKind::Identity)
        .map_err(|e| IamError::new("MalformedPolicyDocument", StatusCode::BAD_REQUEST, e.to_string()))?;
    Ok(text.to_string())
}

/// A policy document as IAM answers it: URL-encoded (clients decode it).
fn url_encoded(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `<member>` elements for names.
fn name_members(names: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    names
        .into_iter()
        .map(|n| format!("<member>{}</member>", escape(n.as_ref())))
        .collect()
}

/// `<AttachedPolicies>` of a user or group.
fn attached_policies_xml(api: &IamApi, account: &str, names: &[String]) -> Result<String, IamError> {
    let mut members = String::new();
    for name in names {
        let path = api
            .store
            .get_policy(account, name)?
            .map_or_else(|| "/".to_string(), |p| p.path);
        members.push_str(&format!(
            "<member><PolicyName>{}</PolicyName><PolicyArn>{}</PolicyArn></member>",
            escape(name),
            escape(&policy_arn(account, &path, name))
        ));
    }
    Ok(format!(
        "<AttachedPolicies>{members}</AttachedPolicies><IsTruncated>false</IsTruncated>"
    ))
}

#[async_trait::async_trait]
impl S3Route for IamApi {
    fn is_match(&self, method: &Method, uri: &Uri, headers: &HeaderMap, _ext: &mut http::Extensions) -> bool {
        method == Method::POST && uri.path() == "/" && QueryService::of(headers).is_some()
    }

    async fn check_access(&self, req: &mut S3Request<Body>) -> S3Result<()> {
        // Decided per action in `call`, where IAM's own error format can answer.
        match req.credentials {
            Some(_) => Ok(()),
            None => Err(arca_s3::aws_error::AwsError::AccessDenied.error()),
        }
    }

    async fn call(&self, mut req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        // The front door's id, the one `x-amz-request-id` carries.
        let request_id = req
            .extensions
            .get::<RequestId>()
            .copied()
            .unwrap_or_else(RequestId::new)
            .text();
        let service = QueryService::of(&req.headers).unwrap_or(QueryService::Iam);
        let body = match read_bounded(&mut req, MAX_FORM).await {
            Ok(b) => b,
            Err(refusal) => {
                let e = match refusal {
                    BodyRefusal::TooLarge => IamError::validation("The request body is too large."),
                    BodyRefusal::NotSigned => IamError::new(
                        "SignatureDoesNotMatch",
                        StatusCode::FORBIDDEN,
                        "The request signature we calculated does not match the signature you provided.",
                    ),
                };
                return Ok(error_response(service, &e, &request_id));
            }
        };
        let fields = form(&body);
        let action = fields.get("Action").cloned().unwrap_or_default();
        let access_key = req.credentials.as_ref().map(|c| c.access_key.as_str());
        let token = crate::sessions::token_of(&req.headers, &req.uri);
        let answer = match self.identities.signer(access_key, token.as_deref()) {
            Err(refusal) => Err(token_refused(refusal)),
            Ok(signer) => match service {
                QueryService::Iam => self.handle(&signer, &action, &fields).await,
                QueryService::Sts => sts::handle(self, &signer, &action, &fields).await,
            },
        };
        match answer {
            Ok(result) => Ok(respond(service, &action, result, &request_id)),
            Err(e) => {
                tracing::info!(?service, action, code = e.code, message = %e.message, "IAM/STS request refused");
                Ok(error_response(service, &e, &request_id))
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
    fn policy_arns_name_the_accounts_policies() {
        assert_eq!(
            policy_name_of("000000000000", "arn:aws:iam::000000000000:policy/team/read").ok(),
            Some("read".to_string())
        );
        assert_eq!(
            policy_name_of("000000000000", "arn:aws:iam::aws:policy/AmazonS3FullAccess")
                .err()
                .map(|e| e.code),
            Some("NoSuchEntity")
        );
        assert_eq!(
            policy_name_of("000000000000", "read").err().map(|e| e.code),
            Some("InvalidInput")
        );
        assert_eq!(
            policy_name_of("111122223333", "arn:aws:iam::000000000000:policy/read")
                .err()
                .map(|e| e.code),
            Some("NoSuchEntity"),
            "another account's policy is not this account's to attach"
        );
    }

    #[test]
    fn names_follow_iams_pattern() {
        assert!(valid_name("alice.b-c_d@e+f=g,h", 64));
        assert!(!valid_name("", 64));
        assert!(!valid_name("a/b", 64));
        assert!(!valid_name(&"a".repeat(65), 64));
    }
}
