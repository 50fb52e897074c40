//! What the IAM tables share: each holds one account's users, groups or managed policies by
//! `account \0 name`, created under a free name, listed by account, and changed by reading,
//! changing and writing back one record in one commit — a change that may refuse in IAM's
//! terms, leaving the record as it was.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Store;
use super::identities::{IdentityRefusal, user_key};
use crate::error::StoreResult;
use crate::kv::{KvRead, Table};
use crate::record::{decode, encode};

/// A change to one record: refuse, or change it.
pub(crate) type RecordChange<T> = Box<dyn FnOnce(&mut T) -> Result<(), IdentityRefusal> + Send>;

/// The record named `name` in `account`, if there is one.
pub(crate) fn read_record<T: DeserializeOwned>(
    txn: &dyn KvRead,
    table: Table,
    account: &str,
    name: &str,
) -> StoreResult<Option<T>> {
    txn.get(table, &user_key(account, name))?
        .map(|v| decode(&v))
        .transpose()
}

impl Store {
    /// Stores `record` as `name`; `taken` if the name is taken in the account.
    pub(crate) async fn create_record<T: Serialize + Send + 'static>(
        &self,
        table: Table,
        account: &str,
        name: &str,
        record: T,
        taken: IdentityRefusal,
    ) -> StoreResult<Result<T, IdentityRefusal>> {
        let k = user_key(account, name);
        let outcome = self
            .meta
            .write(move |txn| {
                if txn.get(table, &k)?.is_some() {
                    return Ok(Err(taken));
                }
                txn.put(table, &k, &encode(&record)?)?;
                Ok(Ok(record))
            })
            .await;
        self.identities_changed();
        outcome
    }

    /// The record named `name` in `account`, if there is one.
    pub(crate) fn get_record<T: DeserializeOwned>(
        &self,
        table: Table,
        account: &str,
        name: &str,
    ) -> StoreResult<Option<T>> {
        self.meta.read(|txn| read_record(txn, table, account, name))
    }

    /// The account's records, by name.
    pub(crate) fn list_records<T: DeserializeOwned>(&self, table: Table, account: &str) -> StoreResult<Vec<T>> {
        self.meta
            .read(|txn| super::records::records_under(txn, table, &user_key(account, "")))
    }

    /// Changes record `name` through `change`, which may refuse; `missing` if there is none.
    pub(crate) async fn change_record<T>(
        &self,
        table: Table,
        account: &str,
        name: &str,
        missing: IdentityRefusal,
        change: RecordChange<T>,
    ) -> StoreResult<Result<T, IdentityRefusal>>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
    {
        let k = user_key(account, name);
        let (account, name) = (account.to_string(), name.to_string());
        let outcome = self
            .meta
            .write(move |txn| {
                let Some(mut record) = read_record::<T>(txn, table, &account, &name)? else {
                    return Ok(Err(missing));
                };
                if let Err(e) = change(&mut record) {
                    return Ok(Err(e));
                }
                txn.put(table, &k, &encode(&record)?)?;
                Ok(Ok(record))
            })
            .await;
        self.identities_changed();
        outcome
    }

    /// Deletes record `name` if `deletable` agrees (IAM's rules for what must go first);
    /// `missing` if there is none.
    pub(crate) async fn delete_record<T>(
        &self,
        table: Table,
        account: &str,
        name: &str,
        missing: IdentityRefusal,
        deletable: impl FnOnce(&T) -> Result<(), IdentityRefusal> + Send + 'static,
    ) -> StoreResult<Result<(), IdentityRefusal>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let k = user_key(account, name);
        let (account, name) = (account.to_string(), name.to_string());
        let outcome = self
            .meta
            .write(move |txn| {
                let Some(record) = read_record::<T>(txn, table, &account, &name)? else {
                    return Ok(Err(missing));
                };
                if let Err(e) = deletable(&record) {
                    return Ok(Err(e));
                }
                txn.delete(table, &k)?;
                Ok(Ok(()))
            })
            .await;
        self.identities_changed();
        outcome
    }
}
