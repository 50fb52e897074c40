//! Request ids: one per request, in the logs and in `x-amz-request-id`.

/// 16 uppercase hex digits, like AWS's.
pub(crate) fn new_request_id() -> String {
    format!("{:016X}", rand::random::<u64>())
}
