//! The KMS audit trail: every KMS operation — through the KMS API, or asked by S3 on a
//! requester's behalf (SSE-KMS) — with who asked, what, on which key, and how it ended.
//!
//! Entries are appended as JSON lines to `kms-audit.log` in the data folder (mode 0600) by a
//! thread of their own that writes what has gathered every tenth of a second, so recording
//! costs a request a push onto a list, not a write nor a wake-up (waking a writer per entry
//! cost a third of GenerateDataKey's throughput on two cores). It survives restarts; the
//! operator reads it whole, or its last entries through the admin API
//! (`GET /?arca-admin=kms-audit`, `arca admin kms-audit`). A queue that fills (a disk far
//! slower than the requests) drops entries rather than stall the KMS, and says how many in
//! the server's log.

use std::collections::VecDeque;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde::Serialize;

/// The file in the data folder.
pub(crate) const FILE: &str = "kms-audit.log";
/// Entries waiting to be written at most.
const QUEUE: usize = 64 * 1024;
/// How often the writer writes what has gathered.
const WRITE_EVERY: Duration = Duration::from_millis(100);
/// Entries the admin API can answer without reading the file.
const RECENT: usize = 1024;

/// One KMS operation.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AuditEntry {
    /// When, RFC 3339 (UTC); written as the entry is serialized, off the request path.
    #[serde(serialize_with = "rfc3339")]
    pub(crate) time: i64,
    /// The principal's ARN (`anonymous` for none).
    pub(crate) principal: String,
    /// The operation, as KMS names it (`GenerateDataKey`).
    pub(crate) operation: String,
    /// The key as the request named it, or the key the ciphertext named.
    pub(crate) key: String,
    /// `ok`, or the error's code.
    pub(crate) result: String,
    /// Who called the KMS: `kms` (the KMS API) or `s3` (SSE-KMS on the requester's behalf).
    pub(crate) via: &'static str,
}

/// The trail: a queue to its writer, and the last entries in memory.
pub(crate) struct KmsAudit {
    /// Entries not yet written; the writer holds it weakly and ends when the trail goes.
    pending: Arc<Mutex<Vec<AuditEntry>>>,
    recent: Mutex<VecDeque<AuditEntry>>,
    dropped: AtomicU64,
}

impl KmsAudit {
    /// The trail of `data_dir`, its writer started on the current runtime.
    pub(crate) fn open(data_dir: &Path) -> std::io::Result<KmsAudit> {
        let path = data_dir.join(FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)?;
        let pending = Arc::new(Mutex::new(Vec::new()));
        let gathered = Arc::downgrade(&pending);
        std::thread::Builder::new()
            .name("kms-audit".into())
            .spawn(move || write_entries(&gathered, file, &path))?;
        Ok(KmsAudit {
            pending,
            recent: Mutex::new(VecDeque::with_capacity(RECENT)),
            dropped: AtomicU64::new(0),
        })
    }

    /// Records one operation.
    pub(crate) fn record(&self, entry: AuditEntry) {
        {
            let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            if recent.len() == RECENT {
                recent.pop_front();
            }
            recent.push_back(entry.clone());
        }
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if pending.len() < QUEUE {
            pending.push(entry);
            return;
        }
        drop(pending);
        let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        if dropped.is_power_of_two() {
            tracing::warn!(dropped, "the KMS audit trail cannot keep up: entries dropped");
        }
    }

    /// The last `limit` entries, oldest first.
    pub(crate) fn recent(&self, limit: usize) -> Vec<AuditEntry> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent
            .iter()
            .skip(recent.len().saturating_sub(limit))
            .cloned()
            .collect()
    }
}

/// Milliseconds since the epoch, as entries keep their time.
pub(crate) fn now() -> i64 {
    arca_store::now_ms()
}

fn rfc3339<S: serde::Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::iam_api::date(*ms))
}

/// Writes what has gathered every [`WRITE_EVERY`]; once the trail is gone, writes the rest
/// and ends.
fn write_entries(gathered: &Weak<Mutex<Vec<AuditEntry>>>, file: std::fs::File, path: &Path) {
    let mut out = std::io::BufWriter::new(file);
    loop {
        std::thread::sleep(WRITE_EVERY);
        let Some(pending) = gathered.upgrade() else {
            return;
        };
        let batch = std::mem::take(&mut *pending.lock().unwrap_or_else(|e| e.into_inner()));
        let last = Arc::strong_count(&pending) == 1;
        drop(pending);
        let written = batch
            .iter()
            .try_for_each(|e| {
                serde_json::to_writer(&mut out, e)?;
                out.write_all(b"\n")
            })
            .and_then(|()| out.flush());
        if let Err(e) = written {
            tracing::error!(error = %e, path = %path.display(), "could not write the KMS audit trail");
        }
        if last {
            return;
        }
    }
}
