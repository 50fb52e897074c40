//! Many transfers at once, at most N at a time: parts of one file, files of a tree, actions
//! of a sync. A task starts only when a slot is free, so what is in flight — and the memory it
//! holds — stays bounded however many tasks there are.

use std::future::Future;
use std::sync::Arc;

use indicatif::ProgressBar;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::error::ClientError;

/// Tasks running with at most a fixed number in flight.
pub(crate) struct Bounded<T> {
    slots: Arc<Semaphore>,
    tasks: JoinSet<Result<T, ClientError>>,
}

impl<T: Send + 'static> Bounded<T> {
    /// At most `at_once` tasks in flight (at least one).
    pub(crate) fn new(at_once: usize) -> Self {
        Bounded {
            slots: Arc::new(Semaphore::new(at_once.max(1))),
            tasks: JoinSet::new(),
        }
    }

    /// Waits for a free slot, then starts `task`; the slot frees when it ends.
    pub(crate) async fn spawn<F>(&mut self, task: F) -> Result<(), ClientError>
    where
        F: Future<Output = Result<T, ClientError>> + Send + 'static,
    {
        let slot = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        self.tasks.spawn(async move {
            let _slot = slot;
            task.await
        });
        Ok(())
    }

    /// The result of the next task to end; `None` when all have.
    pub(crate) async fn next(&mut self) -> Option<Result<T, ClientError>> {
        let done = self.tasks.join_next().await?;
        Some(done.map_err(|e| ClientError::Transport(e.to_string())).and_then(|r| r))
    }

    /// Every result, failing with the first error.
    pub(crate) async fn all(mut self) -> Result<Vec<T>, ClientError> {
        let mut out = Vec::new();
        while let Some(done) = self.next().await {
            out.push(done?);
        }
        Ok(out)
    }

    /// Waits for every task, printing each failure above `bar`; how many failed.
    pub(crate) async fn failures(mut self, bar: &ProgressBar) -> usize {
        let mut failed = 0;
        while let Some(done) = self.next().await {
            if let Err(e) = done {
                failed += 1;
                bar.suspend(|| eprintln!("arca: {e}"));
            }
        }
        bar.finish_and_clear();
        failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn never_more_than_the_bound_in_flight() {
        let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut b = Bounded::new(3);
        for i in 0..20 {
            let (now, peak) = (now.clone(), peak.clone());
            b.spawn(async move {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                if i == 7 {
                    Err(ClientError::Usage("seven".into()))
                } else {
                    Ok(i)
                }
            })
            .await
            .unwrap();
        }
        assert_eq!(b.failures(&ProgressBar::hidden()).await, 1);
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }
}
