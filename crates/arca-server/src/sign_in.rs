//! Sign-in with a password: an IAM user whose administrator set a login profile exchanges
//! account, user name and password for temporary credentials, so that a person (or the web
//! console) works without holding long-lived access keys.
//!
//! `POST /?arca-sign-in` with `{"account": "000000000000", "user": "alice", "password": "…"}`
//! (unsigned: the password is the proof) answers
//! `{"access_key_id", "secret_access_key", "session_token", "expiration"}`: a session of the
//! user, as STS sessions are (see [`crate::sessions`]), for twelve hours. The session has the
//! user's permissions as they are at each request. A wrong account, user or password is the
//! same `403 AccessDenied`, after the same Argon2 work, so that neither the answer nor its time
//! tells which was wrong.

use std::sync::{Arc, OnceLock};

use arca_s3::aws_error::AwsError;
use arca_store::Store;
use http::{HeaderMap, HeaderValue, Method, Uri};
use s3s::route::S3Route;
use s3s::{Body, S3Request, S3Response, S3Result};
use serde::{Deserialize, Serialize};

use crate::passwords;
use crate::sessions::{Session, SessionKeys, SessionPrincipal};
use crate::signed_body::read_bounded;

/// The query parameter that marks a sign-in.
const PARAM: &str = "arca-sign-in";

/// How long a signed-in session lasts (as the AWS console's).
const SESSION_SECONDS: i64 = 12 * 3600;

/// The largest sign-in request.
const MAX_BODY: usize = 4 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    account: String,
    user: String,
    password: String,
}

#[derive(Serialize)]
struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    /// RFC 3339.
    expiration: String,
}

/// The sign-in route.
pub(crate) struct SignInApi {
    store: Arc<Store>,
    sessions: Arc<SessionKeys>,
}

impl SignInApi {
    pub(crate) fn new(store: Arc<Store>, sessions: Arc<SessionKeys>) -> Self {
        SignInApi { store, sessions }
    }

    /// The password hash of `user` in `account`, if it has one.
    fn stored_hash(&self, account: &str, user: &str) -> S3Result<Option<String>> {
        let user = self
            .store
            .get_user(account, user)
            .map_err(arca_s3::error::store_error)?;
        Ok(user.and_then(|u| u.login_profile).map(|p| p.password_hash))
    }
}

/// A hash no password matches, verified against when there is no user, so that an unknown
/// user costs the same time as a wrong password.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| passwords::hash(&format!("{:032x}", rand::random::<u128>())))
}

fn refused() -> s3s::S3Error {
    AwsError::AccessDenied.with_message("The account, user name or password is incorrect")
}

#[async_trait::async_trait]
impl S3Route for SignInApi {
    fn is_match(&self, method: &Method, uri: &Uri, _headers: &HeaderMap, _ext: &mut http::Extensions) -> bool {
        method == Method::POST && uri.path() == "/" && uri.query() == Some(PARAM)
    }

    async fn check_access(&self, _req: &mut S3Request<Body>) -> S3Result<()> {
        // The password is the proof; the request needs no signature.
        Ok(())
    }

    async fn call(&self, mut req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let body = read_bounded(&mut req, MAX_BODY)
            .await
            .map_err(|_| AwsError::InvalidRequest.with_message("The sign-in request is too large"))?;
        let asked: SignIn = serde_json::from_slice(&body)
            .map_err(|e| AwsError::InvalidRequest.with_message(format!("Not a sign-in request: {e}")))?;
        let known = arca_iam::is_account_id(&asked.account) && !asked.user.is_empty() && asked.user.len() <= 64;
        let stored = if known {
            self.stored_hash(&asked.account, &asked.user)?
        } else {
            None
        };
        // Verify against something either way: the work is the same for every refusal.
        let against = stored.clone().unwrap_or_else(|| decoy().to_string());
        let matches = passwords::verify_apart(asked.password.clone(), against).await;
        if stored.is_none() || !matches {
            tracing::info!(account = asked.account, user = asked.user, "sign-in refused");
            return Err(refused());
        }
        let expires_ms = arca_store::now_ms() + SESSION_SECONDS * 1000;
        let c = self.sessions.issue(&Session {
            account: asked.account.clone(),
            principal: SessionPrincipal::User {
                name: asked.user.clone(),
            },
            expires_ms,
        });
        tracing::info!(account = asked.account, user = asked.user, "signed in");
        let answer = Credentials {
            access_key_id: c.access_key_id,
            secret_access_key: c.secret_access_key,
            session_token: c.session_token,
            expiration: crate::iam_api::date(expires_ms),
        };
        let text =
            serde_json::to_string_pretty(&answer).map_err(|e| AwsError::InternalError.with_message(e.to_string()))?;
        let mut resp = S3Response::new(Body::from(text + "\n"));
        resp.headers
            .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(resp)
    }
}
