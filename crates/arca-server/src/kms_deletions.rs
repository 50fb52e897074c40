//! Scheduled KMS key deletions, completed when their waiting period ends: a task that looks
//! once a minute (and at start, so a deletion due while the server was stopped completes
//! then). Once deleted, a key's material is gone, and so is every ciphertext made with it.

use std::sync::Arc;
use std::time::Duration;

use arca_kms::Kms;

/// How often due deletions are looked for.
const EVERY: Duration = Duration::from_secs(60);

/// Starts the task; it ends with the runtime.
pub(crate) fn spawn(kms: Arc<Kms>) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = kms.delete_due(arca_store::now_ms()).await {
                tracing::warn!(error = %e, "could not complete the due KMS key deletions; next minute again");
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}
