//! STS on the same query API (requests signed for `sts`): GetCallerIdentity, the question
//! tools ask first to check their credentials, and AssumeRole, which hands out temporary
//! credentials for a role (see [`crate::sessions`]). Every other action is `InvalidAction`.
//!
//! AssumeRole is decided as AWS decides it. The role's trust policy must allow the caller
//! `sts:AssumeRole`, naming them or their account (or everyone); when it names only the
//! account, or the caller is of another account, the caller's own policies must allow
//! `sts:AssumeRole` on the role too (a root user's always do). An explicit `Deny` on either
//! side refuses. A session lasts `DurationSeconds` (900 — or the server's
//! `--sts-min-session-seconds`, for tests — up to the role's maximum, 3600 by default); a
//! session that assumes a role again gets at most an hour, as in AWS.

use std::sync::Arc;

use arca_iam::{ConditionContext, KeySet, Policy, PolicyKind, PrincipalMatch, Request};
use arca_store::ROLE_SESSION_SECONDS;
use http::StatusCode;

use super::{Fields, IamApi, IamError, date, escape, field, valid_name};
use crate::identity::{Signer, signer_keys};
use crate::sessions::{Session, SessionPrincipal};

/// The longest session a session may start (role chaining), in seconds.
const CHAINED_SESSION_SECONDS: u32 = 3600;

fn invalid_action(action: &str) -> IamError {
    IamError::new(
        "InvalidAction",
        StatusCode::BAD_REQUEST,
        format!("Could not find operation {action} for version 2011-06-15"),
    )
}

/// Answers an STS action for `signer`.
pub(super) async fn handle(
    api: &IamApi,
    signer: &Signer,
    action: &str,
    f: &Fields,
) -> Result<Option<String>, IamError> {
    let accepted: &[&str] = match action {
        "GetCallerIdentity" => &[],
        "AssumeRole" => &["RoleArn", "RoleSessionName", "DurationSeconds"],
        other => return Err(invalid_action(other)),
    };
    if let Some(other) = f
        .keys()
        .find(|k| !matches!(k.as_str(), "Action" | "Version") && !accepted.contains(&k.as_str()))
    {
        return Err(IamError::validation(format!(
            "The parameter {other} of {action} is not supported by Arca"
        )));
    }
    if matches!(signer, Signer::Anonymous) {
        // The route refuses unsigned requests; a key deactivated since its signature was
        // checked is no one.
        return Err(IamError::new(
            "InvalidClientTokenId",
            StatusCode::FORBIDDEN,
            "The security token included in the request is invalid.",
        ));
    }
    match action {
        "AssumeRole" => assume_role(api, signer, f).await.map(Some),
        _ => Ok(Some(caller_identity(signer))),
    }
}

fn caller_identity(signer: &Signer) -> String {
    let (arn, user_id, account) = match signer {
        Signer::Root(a) => (format!("arn:aws:iam::{}:root", a.id), a.id.clone(), &a.id),
        Signer::User(u) => (
            format!("arn:aws:iam::{}:user{}{}", u.account.id, u.record.path, u.record.name),
            u.record.id.clone(),
            &u.account.id,
        ),
        Signer::Role(r) => (
            format!(
                "arn:aws:sts::{}:assumed-role/{}/{}",
                r.account.id, r.record.name, r.session
            ),
            format!("{}:{}", r.record.id, r.session),
            &r.account.id,
        ),
        Signer::Anonymous => unreachable!("refused above"),
    };
    format!(
        "<Arn>{}</Arn><UserId>{}</UserId><Account>{account}</Account>",
        escape(&arn),
        escape(&user_id)
    )
}

/// The account and name of the role `arn` names (`arn:aws:iam::ACCOUNT:role/PATH/NAME`).
fn role_of(arn: &str) -> Result<(&str, &str), IamError> {
    let invalid = || IamError::validation(format!("{arn} is invalid"));
    let (account, resource) = arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|r| r.split_once(':'))
        .ok_or_else(invalid)?;
    let name = resource
        .strip_prefix("role/")
        .and_then(|r| r.rsplit('/').next())
        .filter(|n| valid_name(n, 64))
        .ok_or_else(invalid)?;
    if !arca_iam::is_account_id(account) {
        return Err(invalid());
    }
    Ok((account, name))
}

async fn assume_role(api: &IamApi, signer: &Signer, f: &Fields) -> Result<String, IamError> {
    let role_arn = field(f, "RoleArn");
    let session_name = field(f, "RoleSessionName");
    if !(2..=64).contains(&session_name.len()) || !valid_name(session_name, 64) {
        return Err(IamError::validation(format!(
            "1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )));
    }
    let (account_id, role_name) = role_of(role_arn)?;
    let who = api
        .identities
        .identity(signer)
        .arn()
        .unwrap_or_else(|| "anonymous".into());
    let refused = || {
        IamError::new(
            "AccessDenied",
            StatusCode::FORBIDDEN,
            format!("User: {who} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"),
        )
    };
    // A role that does not exist is refused like one that does not trust the caller.
    let Some(account) = api.identities.account_by_id(account_id) else {
        return Err(refused());
    };
    let Some(role) = api.store.get_role(account_id, role_name)? else {
        return Err(refused());
    };
    let (default, _, _) = ROLE_SESSION_SECONDS;
    let longest = match signer {
        Signer::Role(_) => CHAINED_SESSION_SECONDS,
        _ => role.max_session_seconds,
    };
    let seconds = match f.get("DurationSeconds") {
        None => default.min(longest),
        Some(d) => d
            .parse::<u32>()
            .ok()
            .filter(|d| (api.min_session_seconds..=longest).contains(d))
            .ok_or_else(|| {
                IamError::validation(format!(
                    "The requested DurationSeconds exceeds the MaxSessionDuration set for this role, or is below {}: {d}",
                    api.min_session_seconds
                ))
            })?,
    };
    if !trusts(api, signer, &role.trust_policy, &account.id, role_arn) {
        tracing::info!(caller = who, role = role_arn, "AssumeRole refused");
        return Err(refused());
    }
    let expires_ms = arca_store::now_ms() + i64::from(seconds) * 1000;
    let session = Session {
        account: account.id.clone(),
        principal: SessionPrincipal::Role {
            role: role.name.clone(),
            name: session_name.to_string(),
        },
        expires_ms,
    };
    let c = api.identities.sessions().issue(&session);
    Ok(format!(
        "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>{}:{}</AssumedRoleId><Arn>arn:aws:sts::{}:assumed-role/{}/{}</Arn></AssumedRoleUser><PackedPolicySize>0</PackedPolicySize>",
        c.access_key_id,
        escape(&c.secret_access_key),
        c.session_token,
        date(expires_ms),
        role.id,
        escape(session_name),
        account.id,
        escape(&role.name),
        escape(session_name),
    ))
}

/// Whether `trust_policy` (of a role of `role_account`) and, where it must, the caller's own
/// policies let `signer` assume role `role_arn` (see the module docs).
fn trusts(api: &IamApi, signer: &Signer, trust_policy: &str, role_account: &str, role_arn: &str) -> bool {
    let Ok(trust) = Policy::parse(trust_policy, &PolicyKind::Trust).map(Arc::new) else {
        tracing::warn!(role = role_arn, "a stored trust policy no longer parses; refusing");
        return false;
    };
    let identity = api.identities.identity(signer);
    let mut context = ConditionContext::new();
    signer_keys(&mut context, identity, signer, KeySet::ALL);
    let request = Request {
        identity,
        action: "sts:AssumeRole",
        resource: role_arn,
        context: &context,
    };
    let by_trust = trust.evaluate(&request);
    let own = api.identities.identity_answer(signer, &request, None);
    if by_trust.denies || own.as_ref().is_some_and(|a| a.denies) {
        return false;
    }
    // A root user's own account allows it everything; a user's or a session's, what its
    // policies do.
    let by_identity = own.is_none_or(|a| a.allows != PrincipalMatch::No);
    let same_account = signer.account().is_some_and(|a| a.id == role_account);
    match by_trust.allows {
        PrincipalMatch::Direct if same_account => true,
        PrincipalMatch::Direct | PrincipalMatch::Account => by_identity,
        PrincipalMatch::No => false,
    }
}
