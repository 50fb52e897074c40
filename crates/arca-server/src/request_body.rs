//! RequestBody: the request body as handed to s3s, which the front door can take back.
//!
//! s3s answers some errors — an invalid bucket name, a bad signature, a failed precondition —
//! without reading the request body. If nobody reads the rest, hyper closes the connection
//! while the client is still sending, and the client sees a broken pipe or a reset instead of
//! the S3 error. So the front door keeps a [`BodyHandle`] and, after an error response,
//! drains what is left of the body (up to [`DRAIN_LIMIT`]) while hyper sends the response.

use std::pin::Pin;
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
pub struct RequestBody(Slot);

/// The front door's handle on the same body.
pub struct BodyHandle(Slot);

/// Splits an incoming body into the part s3s reads and the front door's handle on it.
pub fn shared(body: Incoming) -> (RequestBody, BodyHandle) {
    let slot = Arc::new(Mutex::new(Some(body)));
    (RequestBody(slot.clone()), BodyHandle(slot))
}

impl BodyHandle {
    /// Reads and discards whatever s3s left unread, in the background.
    pub fn drain(self) {
        let Some(mut body) = self.0.lock().unwrap_or_else(|p| p.into_inner()).take() else {
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
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match slot.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        let slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        slot.as_ref().is_none_or(|b| b.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        let slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        slot.as_ref()
            .map(|b| b.size_hint())
            .unwrap_or_else(|| SizeHint::with_exact(0))
    }
}
