//! RequestBody: the request body as handed to s3s, which the front door can take back.
//!
//! s3s answers some errors — an invalid bucket name, a bad signature, a failed precondition —
//! without reading the request body. If nobody reads the rest, hyper closes the connection
//! while the client is still sending, and the client sees a broken pipe or a reset instead of
//! the S3 error. So the front door keeps a [`BodyHandle`] and, after an error response,
//! drains what is left of the body (up to [`DRAIN_LIMIT`]) while hyper sends the response.
//!
//! The body also has an idle deadline: a client that stops sending mid-body would otherwise
//! hold its connection, its file descriptor and whatever the upload holds forever. When no
//! bytes arrive for the idle timeout, reading fails and the handle reports it, so the front
//! door answers `400 RequestTimeout` as AWS does.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;

/// Most bytes read and thrown away to let a client finish sending before it reads an error;
/// past it the connection is closed, as AWS does with large bodies it refuses.
const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;
/// Longest a drain may take: a client that stalls gets its connection closed.
const DRAIN_TIME: Duration = Duration::from_secs(30);

type Slot = Arc<Mutex<Option<Incoming>>>;

/// The body s3s reads.
pub(crate) struct RequestBody {
    slot: Slot,
    idle_timeout: Duration,
    /// Fires when no frame has arrived for `idle_timeout` while waiting for one. Made at the
    /// first wait (most requests, GETs, never wait on a body). A mutex only to make the body
    /// `Sync`, as s3s requires: it is polled through `&mut` and never locked.
    idle: Mutex<Option<Pin<Box<tokio::time::Sleep>>>>,
    /// The last poll found no frame ready: the idle deadline is running.
    waiting: bool,
    timed_out: Arc<AtomicBool>,
    /// s3s asked for the body at least once (so hyper has sent `100 Continue` if asked to).
    polled: Arc<AtomicBool>,
}

/// The front door's handle on the same body.
pub(crate) struct BodyHandle {
    slot: Slot,
    timed_out: Arc<AtomicBool>,
    polled: Arc<AtomicBool>,
}

/// The body stalled for longer than the idle timeout.
#[derive(Debug, thiserror::Error)]
#[error("request body idle for longer than {0:?}")]
pub(crate) struct BodyIdle(Duration);

/// Splits an incoming body into the part s3s reads and the front door's handle on it.
pub(crate) fn shared(body: Incoming, idle_timeout: Duration) -> (RequestBody, BodyHandle) {
    let slot = Arc::new(Mutex::new(Some(body)));
    let timed_out = Arc::new(AtomicBool::new(false));
    let polled = Arc::new(AtomicBool::new(false));
    let body = RequestBody {
        slot: slot.clone(),
        idle_timeout,
        idle: Mutex::new(None),
        waiting: false,
        timed_out: timed_out.clone(),
        polled: polled.clone(),
    };
    (
        body,
        BodyHandle {
            slot,
            timed_out,
            polled,
        },
    )
}

impl BodyHandle {
    /// Reads and discards whatever s3s left unread, in the background. A client that asked
    /// `Expect: 100-continue` and was never told to continue has sent no body: it gets the
    /// error at once, and reading would only make hyper tell it to send the body after all.
    pub(crate) fn drain(self, expects_continue: bool) {
        if self.timed_out() {
            // The client stopped sending; waiting for the rest would only wait again.
            return;
        }
        if expects_continue && !self.polled.load(Ordering::Relaxed) {
            return;
        }
        let Some(mut body) = self.slot.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return;
        };
        if body.is_end_stream() {
            return;
        }
        tokio::spawn(async move {
            let drained = tokio::time::timeout(DRAIN_TIME, async {
                let mut read = 0u64;
                while read <= DRAIN_LIMIT {
                    match body.frame().await {
                        Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len() as u64),
                        _ => return read,
                    }
                }
                read
            })
            .await;
            tracing::debug!(?drained, "drained an unread request body after an error");
        });
    }

    /// Whether the client waits for `100 Continue` before sending its body and was never
    /// told to send it (nothing polled the body).
    pub(crate) fn body_never_asked_for(&self, expects_continue: bool) -> bool {
        expects_continue && !self.polled.load(Ordering::Relaxed)
    }

    /// Did reading the body fail because the client stopped sending?
    pub(crate) fn timed_out(&self) -> bool {
        self.timed_out.load(Ordering::Relaxed)
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        this.polled.store(true, Ordering::Relaxed);
        let polled = {
            let mut slot = this.slot.lock().unwrap_or_else(|p| p.into_inner());
            match slot.as_mut() {
                Some(body) => Pin::new(body).poll_frame(cx),
                None => Poll::Ready(None),
            }
        };
        let idle = this.idle.get_mut().unwrap_or_else(|p| p.into_inner());
        match polled {
            Poll::Ready(frame) => {
                this.waiting = false;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            // Only time spent waiting on the client counts: a server busy elsewhere between
            // two reads does not make the client idle.
            Poll::Pending => {
                if !this.waiting {
                    this.waiting = true;
                    let deadline = tokio::time::Instant::now() + this.idle_timeout;
                    match idle {
                        Some(sleep) => sleep.as_mut().reset(deadline),
                        None => *idle = Some(Box::pin(tokio::time::sleep_until(deadline))),
                    }
                }
                let Some(idle) = idle.as_mut() else {
                    unreachable!("the timer is set when the wait starts");
                };
                match idle.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        this.timed_out.store(true, Ordering::Relaxed);
                        Poll::Ready(Some(Err(Box::new(BodyIdle(this.idle_timeout)))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        let slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        slot.as_ref().is_none_or(|b| b.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        let slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        slot.as_ref()
            .map(|b| b.size_hint())
            .unwrap_or_else(|| SizeHint::with_exact(0))
    }
}
