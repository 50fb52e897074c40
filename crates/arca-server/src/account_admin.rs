//! The operator's accounts: what `arca admin account add|ls|rm` asks through the admin API.
//!
//! The first account is the server's own; its root user (the operator) adds the others. Each
//! added account gets a 12-digit id, a canonical user id and its root user's first access
//! key, whose secret is in the answer to the request that made it and nowhere else. From then
//! on the account's root user manages its own users, groups, policies and keys through the
//! IAM API, like the operator does in the first account.

use arca_s3::aws_error::AwsError;
use arca_store::{AccountRecord, IdentityRefusal, Store};
use s3s::S3Result;
use serde::{Deserialize, Serialize};

use crate::identity::FIRST_ACCOUNT;
use crate::ids;
use crate::secrets::SecretWrapper;

/// Most characters of an account name.
const MAX_NAME: usize = 50;

/// An account as the admin API shows it.
#[derive(Debug, Serialize)]
pub(crate) struct AccountView {
    id: String,
    name: String,
    canonical_id: String,
    /// RFC 3339.
    created: String,
    /// The root user's stored access key ids (the first account's root signs with the key
    /// pair the server starts with, not listed here).
    root_access_keys: Vec<String>,
}

impl AccountView {
    fn of(a: &AccountRecord) -> Self {
        AccountView {
            id: a.id.clone(),
            name: a.name.clone(),
            canonical_id: a.canonical_id.clone(),
            created: crate::iam_api::date(a.created_ms),
            root_access_keys: a.access_keys.clone(),
        }
    }
}

/// What `POST ?arca-admin=create-account` asks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAccount {
    name: String,
}

/// The answer to it: the account and its root user's key pair.
#[derive(Debug, Serialize)]
pub(crate) struct CreatedAccount {
    account: AccountView,
    access_key_id: String,
    secret_access_key: String,
}

/// Every account, the first one first.
pub(crate) fn list(store: &Store) -> S3Result<Vec<AccountView>> {
    let all = store.list_accounts().map_err(arca_s3::error::store_error)?;
    Ok(all.iter().map(AccountView::of).collect())
}

/// Adds an account named `asked.name`.
pub(crate) async fn create(store: &Store, secrets: &SecretWrapper, asked: NewAccount) -> S3Result<CreatedAccount> {
    let name = asked.name;
    let valid = (1..=MAX_NAME).contains(&name.chars().count())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !valid {
        return Err(AwsError::InvalidRequest.with_message(format!(
            "An account name is 1 to {MAX_NAME} of the characters [A-Za-z0-9_+=,.@-]"
        )));
    }
    let record = AccountRecord {
        id: ids::account_id(),
        name,
        canonical_id: ids::canonical_id(),
        created_ms: arca_store::now_ms(),
        access_keys: Vec::new(),
        public_access_block: None,
    };
    let (key, secret) = secrets.new_access_key(&record.id, "");
    let key_id = key.id.clone();
    let record = store
        .create_account(record, key)
        .await
        .map_err(arca_s3::error::store_error)?
        .map_err(refusal)?;
    Ok(CreatedAccount {
        account: AccountView::of(&record),
        access_key_id: key_id,
        secret_access_key: secret,
    })
}

/// Deletes account `id` (not the first).
pub(crate) async fn delete(store: &Store, id: &str) -> S3Result<()> {
    if id == FIRST_ACCOUNT {
        return Err(AwsError::InvalidRequest.with_message("The first account is the server's own and stays"));
    }
    store
        .delete_account(id)
        .await
        .map_err(arca_s3::error::store_error)?
        .map_err(refusal)
}

fn refusal(r: IdentityRefusal) -> s3s::S3Error {
    match r {
        IdentityRefusal::NoSuchEntity(m)
        | IdentityRefusal::EntityAlreadyExists(m)
        | IdentityRefusal::DeleteConflict(m)
        | IdentityRefusal::LimitExceeded(m) => AwsError::InvalidRequest.with_message(m),
    }
}
