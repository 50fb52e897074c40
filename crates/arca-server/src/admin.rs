//! The admin API: what an operator asks of the server that is not an S3 operation.
//!
//! Requests go to the S3 endpoint itself, `/?arca-admin=<action>`, signed with SigV4 like any
//! S3 request; only the operator (the first account's root user) may make them. Answers are
//! JSON. (`arca admin …` is the client; the IAM API is another route on the same endpoint.)
//!
//! | method | action | does |
//! |---|---|---|
//! | `GET` | `jobs` | every background job's progress |
//! | `POST` | `run-lifecycle` | runs a lifecycle pass now (resuming one a restart interrupted) and answers the lifecycle job's progress |
//! | `GET` | `explain&request-id=ID` | why request `ID` was denied: each policy's statements, and the layer that decided (recent denials only) |
//! | `POST` | `simulate` | the decision for a made-up request (JSON body: `principal`, `action`, `resource`, `context`), explained the same way |
//! | `GET` | `accounts` | every account (see [`crate::account_admin`]) |
//! | `POST` | `create-account` | adds an account (JSON body: `name`) and answers its root user's key pair |
//! | `POST` | `delete-account&id=ID` | deletes an account that owns no bucket and holds no user, group or policy |
//! | `GET` | `kms-audit[&limit=N]` | the last KMS operations (at most 1,024 kept; the whole trail is `kms-audit.log` in the data folder): time, principal, operation, key, result, via `kms` or `s3` |
//! | `POST` | `rotate-root-key[&new-key-file=PATH]` | rotates the root key of encryption at rest (see [`crate::root_key`]); `PATH`, on the server's machine, only when the operator keeps the key |

use std::sync::Arc;

use arca_iam::ConditionContext;
use arca_s3::aws_error::AwsError;
use arca_store::{INTELLIGENT_TIERING_JOB, JobProgress, LIFECYCLE_JOB, RESTORE_JOB, Store};
use http::{HeaderMap, HeaderValue, Method, Uri};
use s3s::route::S3Route;
use s3s::{Body, S3Request, S3Response, S3Result};

use crate::access::{Access, Simulated};
use crate::account_admin;
use crate::identity::Identities;
use crate::kms_audit::KmsAudit;
use crate::root_key::{RootKeys, RotationError};
use crate::secrets::SecretWrapper;
use crate::signed_body::{BodyRefusal, read_bounded};

/// The query parameter that marks an admin request.
pub(crate) const ADMIN_PARAM: &str = "arca-admin";

/// The jobs `GET ?arca-admin=jobs` reports.
const JOBS: [&str; 4] = ["gc", LIFECYCLE_JOB, RESTORE_JOB, INTELLIGENT_TIERING_JOB];

/// The largest simulation request: a principal, an action, a resource and a few keys.
const MAX_SIMULATION: usize = 64 * 1024;

/// The largest account creation request: a name.
const MAX_NEW_ACCOUNT: usize = 4 * 1024;

/// The admin routes, for the root user.
pub(crate) struct AdminApi {
    store: Arc<Store>,
    root_access_key: String,
    access: Access,
    identities: Arc<Identities>,
    secrets: Arc<SecretWrapper>,
    root_keys: RootKeys,
    audit: Arc<KmsAudit>,
}

impl AdminApi {
    pub(crate) fn new(
        store: Arc<Store>,
        root_access_key: String,
        access: Access,
        identities: Arc<Identities>,
        secrets: Arc<SecretWrapper>,
        (root_keys, audit): (RootKeys, Arc<KmsAudit>),
    ) -> Self {
        AdminApi {
            store,
            root_access_key,
            access,
            identities,
            secrets,
            root_keys,
            audit,
        }
    }

    /// `POST ?arca-admin=create-account`: reads the name, answers the account and its key.
    async fn create_account(&self, mut req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let body = read_bounded(&mut req, MAX_NEW_ACCOUNT)
            .await
            .map_err(|refusal| match refusal {
                BodyRefusal::TooLarge => AwsError::InvalidRequest.with_message("The account request is too large"),
                BodyRefusal::NotSigned => AwsError::SignatureDoesNotMatch.error(),
            })?;
        let asked = serde_json::from_slice(&body)
            .map_err(|e| AwsError::InvalidRequest.with_message(format!("Not an account request: {e}")))?;
        json(&account_admin::create(&self.store, &self.secrets, asked).await?)
    }

    /// `POST ?arca-admin=simulate`: reads the question, answers the explained decision.
    async fn simulate(&self, mut req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let body = read_bounded(&mut req, MAX_SIMULATION)
            .await
            .map_err(|refusal| match refusal {
                BodyRefusal::TooLarge => AwsError::InvalidRequest.with_message("The simulation request is too large"),
                BodyRefusal::NotSigned => AwsError::SignatureDoesNotMatch.error(),
            })?;
        let question: Simulation = serde_json::from_slice(&body)
            .map_err(|e| AwsError::InvalidRequest.with_message(format!("Not a simulation request: {e}")))?;
        if question
            .action
            .split_once(':')
            .is_none_or(|(s, a)| s.is_empty() || a.is_empty())
        {
            return Err(AwsError::InvalidRequest.with_message("action must be service:Action, e.g. s3:GetObject"));
        }
        let signer = self.identities.signer_named(&question.principal).ok_or_else(|| {
            AwsError::InvalidRequest.with_message(format!(
                "No such principal: {} (give the ARN of an account's root, a user or a role, or anonymous)",
                question.principal
            ))
        })?;
        let bucket = question
            .resource
            .strip_prefix("arn:aws:s3:::")
            .and_then(|r| r.split('/').next())
            .filter(|b| !b.is_empty() && !b.contains('*'));
        let mut context = ConditionContext::new();
        for (key, value) in question.context {
            context.set(key, value);
        }
        json(&self.access.simulate(&Simulated {
            signer: &signer,
            action: &question.action,
            resource: &question.resource,
            bucket,
            context,
        }))
    }
}

/// What `POST ?arca-admin=simulate` asks.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Simulation {
    /// `arn:aws:iam::000000000000:user/alice`, `…:root` or `anonymous`.
    principal: String,
    /// `s3:GetObject`, `iam:CreateUser`, …
    action: String,
    /// The resource's ARN.
    resource: String,
    /// Request keys, e.g. `{"aws:SourceIp": "203.0.113.9"}`.
    #[serde(default)]
    context: std::collections::BTreeMap<String, String>,
}

/// The value of query parameter `name`, percent-decoded.
fn param(uri: &Uri, name: &str) -> Option<String> {
    let query = uri.query()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
    })
}

/// The action named in the query, if this is an admin request.
fn action(uri: &Uri) -> Option<String> {
    param(uri, ADMIN_PARAM)
}

#[derive(serde::Serialize)]
struct JobReport<'a> {
    job: &'a str,
    passes: u64,
    items: u64,
    last_pass_ms: i64,
    in_progress: bool,
    counts: &'a std::collections::BTreeMap<String, u64>,
}

fn report<'a>(job: &'a str, p: &'a JobProgress) -> JobReport<'a> {
    JobReport {
        job,
        passes: p.passes,
        items: p.items,
        last_pass_ms: p.last_pass_ms,
        in_progress: p.cursor.is_some(),
        counts: &p.counts,
    }
}

fn json(value: &impl serde::Serialize) -> S3Result<S3Response<Body>> {
    let text = serde_json::to_string_pretty(value).map_err(|e| AwsError::InternalError.with_message(e.to_string()))?;
    let mut resp = S3Response::new(Body::from(text + "\n"));
    resp.headers
        .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(resp)
}

#[async_trait::async_trait]
impl S3Route for AdminApi {
    fn is_match(&self, _method: &Method, uri: &Uri, _headers: &HeaderMap, _ext: &mut http::Extensions) -> bool {
        uri.path() == "/" && action(uri).is_some()
    }

    async fn check_access(&self, req: &mut S3Request<Body>) -> S3Result<()> {
        match &req.credentials {
            Some(c) if c.access_key == self.root_access_key => Ok(()),
            _ => Err(AwsError::AccessDenied.error()),
        }
    }

    async fn call(&self, req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let action = action(&req.uri).unwrap_or_default();
        match (req.method.clone(), action.as_str()) {
            (Method::GET, "jobs") => {
                let progress = JOBS
                    .iter()
                    .map(|name| {
                        Ok((
                            *name,
                            self.store.job_progress(name).map_err(arca_s3::error::store_error)?,
                        ))
                    })
                    .collect::<S3Result<Vec<_>>>()?;
                let reports: Vec<JobReport<'_>> = progress.iter().map(|(n, p)| report(n, p)).collect();
                json(&reports)
            }
            (Method::POST, "run-lifecycle") => {
                let progress = self
                    .store
                    .run_lifecycle_now()
                    .await
                    .map_err(arca_s3::error::store_error)?;
                json(&report(LIFECYCLE_JOB, &progress))
            }
            (Method::GET, "explain") => {
                let id = param(&req.uri, "request-id")
                    .ok_or_else(|| AwsError::InvalidRequest.with_message("explain needs request-id=ID"))?;
                let found = self.access.denials().find(&id);
                if found.is_empty() {
                    return Err(AwsError::InvalidRequest.with_message(format!(
                        "No denial of request {id} is remembered: only recent denials are kept"
                    )));
                }
                json(&found)
            }
            (Method::POST, "simulate") => self.simulate(req).await,
            (Method::GET, "accounts") => json(&account_admin::list(&self.store)?),
            (Method::POST, "create-account") => self.create_account(req).await,
            (Method::POST, "delete-account") => {
                let id = param(&req.uri, "id")
                    .ok_or_else(|| AwsError::InvalidRequest.with_message("delete-account needs id=ACCOUNT"))?;
                account_admin::delete(&self.store, &id).await?;
                json(&serde_json::json!({ "deleted": id }))
            }
            (Method::GET, "kms-audit") => {
                let limit = param(&req.uri, "limit").and_then(|l| l.parse().ok()).unwrap_or(100);
                json(&self.audit.recent(limit))
            }
            (Method::POST, "rotate-root-key") => {
                let new_file = param(&req.uri, "new-key-file").map(std::path::PathBuf::from);
                match self.root_keys.rotate(&self.store, new_file.as_deref()).await {
                    Ok(rotated) => json(&rotated),
                    Err(RotationError::Failed(why)) => {
                        tracing::error!(why, "root key rotation failed");
                        Err(AwsError::InternalError.error())
                    }
                    Err(refused) => Err(AwsError::InvalidRequest.with_message(refused.to_string())),
                }
            }
            _ => Err(AwsError::InvalidRequest.with_message(format!("Unknown admin action: {action}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_admin_parameter_marks_an_admin_request() {
        let uri: Uri = "/?arca-admin=jobs".parse().unwrap();
        assert_eq!(action(&uri).as_deref(), Some("jobs"));
        let uri: Uri = "/?list-type=2&arca-admin=run-lifecycle".parse().unwrap();
        assert_eq!(action(&uri).as_deref(), Some("run-lifecycle"));
        let uri: Uri = "/?arca-administrator=x".parse().unwrap();
        assert_eq!(action(&uri), None);
        let uri: Uri = "/bucket?arca-admin=jobs".parse().unwrap();
        assert!(action(&uri).is_some() && uri.path() != "/");
    }
}
