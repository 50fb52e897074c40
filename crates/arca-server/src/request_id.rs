//! Request ids: one per request, made by the front door and put into the request's
//! extensions, so that the logs, `x-amz-request-id`, IAM's `<RequestId>` and the explanation
//! of a denial all name the request the same way.

/// A request's id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestId(pub(crate) u64);

impl RequestId {
    /// A fresh, random id.
    pub(crate) fn new() -> Self {
        RequestId(rand::random())
    }

    /// As clients see it: 16 uppercase hex digits, like AWS's.
    pub(crate) fn text(self) -> String {
        format!("{:016X}", self.0)
    }
}
