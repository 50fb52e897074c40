//! Limits on connections: how many are served at once, and how a failing `accept` backs off.
//!
//! Every connection holds a file descriptor, and so does every blob file the store has open.
//! Without a cap, enough clients that connect and stall (each waiting out its timeouts) take
//! every descriptor, and then the store cannot open a file and `/health` cannot accept. At
//! the cap, new connections wait in the kernel's listen backlog until a slot frees.

use std::time::{Duration, Instant};

/// First pause after a failed `accept`; doubled on each failure in a row.
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
/// Longest pause between two `accept` attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// The connection cap to use: `requested`, but at most half the open-file limit, so the
/// store keeps the other half. Raises the soft limit to the hard one first, as servers do.
pub(crate) fn cap(requested: usize) -> usize {
    let limit = raise_open_file_limit();
    let cap = requested.min((limit / 2).max(16));
    if cap < requested {
        tracing::info!(
            requested,
            cap,
            open_file_limit = limit,
            "connection cap lowered to half the open-file limit"
        );
    }
    cap
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the soft limit in force.
fn raise_open_file_limit() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 1024;
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: `raised` is a valid rlimit that only reads are made from.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            lim = raised;
        }
    }
    usize::try_from(lim.rlim_cur).unwrap_or(usize::MAX)
}

/// Failed `accept`s in a row: how long to pause, and when to say so in the log.
pub(crate) struct AcceptErrors {
    log_interval: Duration,
    last_logged: Option<Instant>,
    /// Failures since the last log line.
    unlogged: u64,
    backoff: Duration,
}

impl AcceptErrors {
    pub(crate) fn new(log_interval: Duration) -> Self {
        AcceptErrors {
            log_interval,
            last_logged: None,
            unlogged: 0,
            backoff: FIRST_BACKOFF,
        }
    }

    /// Records a failure; returns how long to pause before accepting again.
    pub(crate) fn failed(&mut self, error: &std::io::Error) -> Duration {
        if let Some(unlogged) = self.record(Instant::now()) {
            tracing::warn!(%error, failures_since_last_report = unlogged, "accept failed; backing off");
        }
        let pause = self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        pause
    }

    /// An `accept` succeeded: the next failure starts from the shortest pause again.
    pub(crate) fn recovered(&mut self) {
        self.backoff = FIRST_BACKOFF;
    }

    /// Counts a failure at `now`; `Some(failures not yet reported)` when it is time to log.
    fn record(&mut self, now: Instant) -> Option<u64> {
        self.unlogged += 1;
        let due = self
            .last_logged
            .is_none_or(|t| now.duration_since(t) >= self.log_interval);
        if !due {
            return None;
        }
        self.last_logged = Some(now);
        Some(std::mem::take(&mut self.unlogged))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_failures_are_logged_once_per_interval() {
        let mut errors = AcceptErrors::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(errors.record(t0), Some(1), "the first failure is reported");
        for i in 1..100 {
            assert_eq!(errors.record(t0 + Duration::from_millis(i * 50)), None);
        }
        assert_eq!(errors.record(t0 + Duration::from_secs(10)), Some(100));
    }

    #[test]
    fn accept_backoff_doubles_up_to_a_ceiling_and_resets() {
        let mut errors = AcceptErrors::new(Duration::from_secs(10));
        let e = std::io::Error::other("EMFILE");
        let pauses: Vec<Duration> = (0..10).map(|_| errors.failed(&e)).collect();
        assert_eq!(pauses[0], FIRST_BACKOFF);
        assert_eq!(pauses[1], FIRST_BACKOFF * 2);
        assert_eq!(*pauses.last().unwrap(), MAX_BACKOFF);
        errors.recovered();
        assert_eq!(errors.failed(&e), FIRST_BACKOFF);
    }

    #[test]
    fn cap_leaves_half_the_descriptors_to_the_store() {
        let limit = raise_open_file_limit();
        assert!(cap(usize::MAX) <= (limit / 2).max(16));
        assert_eq!(cap(3), 3);
    }
}
