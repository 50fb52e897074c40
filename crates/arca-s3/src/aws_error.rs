//! The catalogue of S3 errors Arca returns: each AWS error code once, with its HTTP status
//! and AWS's own message (from the S3 API reference, "Error responses").
//!
//! Code raises `AwsError::NoSuchKey.error()` for AWS's message, or
//! `AwsError::InvalidArgument.with_message(…)` where AWS words the error for the case (it
//! does for `InvalidArgument`, `InvalidRequest` and `InvalidTag`). The status always comes
//! from here, so an error can never reach the wire with a status AWS does not use for it —
//! s3s's own table disagrees with AWS for a few codes, which `status_is_awss` pins.

use std::borrow::Cow;

use http::StatusCode;
use s3s::{S3Error, S3ErrorCode};

macro_rules! catalogue {
    ($($code:ident => $status:ident, $message:literal;)*) => {
        /// An S3 error code Arca returns.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum AwsError {
            $(#[doc = $message] $code,)*
        }

        impl AwsError {
            /// Every code in the catalogue.
            pub const ALL: &'static [AwsError] = &[$(AwsError::$code,)*];

            /// The code as it appears in `<Code>`.
            pub const fn code(self) -> &'static str {
                match self {
                    $(AwsError::$code => stringify!($code),)*
                }
            }

            /// The HTTP status AWS answers with.
            pub const fn status(self) -> StatusCode {
                match self {
                    $(AwsError::$code => StatusCode::$status,)*
                }
            }

            /// AWS's general message for the code.
            pub const fn message(self) -> &'static str {
                match self {
                    $(AwsError::$code => $message,)*
                }
            }
        }
    };
}

catalogue! {
    AccessControlListNotSupported => BAD_REQUEST, "The bucket does not allow ACLs";
    AccessDenied => FORBIDDEN, "Access Denied";
    AuthorizationHeaderMalformed => BAD_REQUEST, "The authorization header is malformed";
    BadDigest => BAD_REQUEST, "The Content-MD5 you specified did not match what we received.";
    BucketAlreadyExists => CONFLICT,
        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.";
    BucketAlreadyOwnedByYou => CONFLICT,
        "Your previous request to create the named bucket succeeded and you already own it.";
    BucketNotEmpty => CONFLICT, "The bucket you tried to delete is not empty";
    EntityTooLarge => BAD_REQUEST, "Your proposed upload exceeds the maximum allowed object size.";
    EntityTooSmall => BAD_REQUEST, "Your proposed upload is smaller than the minimum allowed object size.";
    IncompleteBody => BAD_REQUEST,
        "You did not provide the number of bytes specified by the Content-Length HTTP header.";
    InternalError => INTERNAL_SERVER_ERROR, "We encountered an internal error. Please try again.";
    InvalidAccessKeyId => FORBIDDEN, "The AWS Access Key Id you provided does not exist in our records.";
    ExpiredToken => BAD_REQUEST, "The provided token has expired.";
    InvalidArgument => BAD_REQUEST, "Invalid Argument";
    InvalidBucketAclWithBlockPublicAccessError => BAD_REQUEST,
        "Bucket cannot have public ACLs set with BlockPublicAccess enabled";
    InvalidBucketAclWithObjectOwnership => BAD_REQUEST,
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting";
    InvalidBucketName => BAD_REQUEST, "The specified bucket is not valid.";
    InvalidDigest => BAD_REQUEST, "The Content-MD5 you specified was invalid.";
    InvalidEncryptionAlgorithmError => BAD_REQUEST,
        "The encryption request you specified is not valid. The valid value is AES256.";
    InvalidObjectState => FORBIDDEN, "The operation is not valid for the object's storage class";
    InvalidLocationConstraint => BAD_REQUEST, "The specified location-constraint is not valid";
    InvalidPart => BAD_REQUEST,
        "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.";
    InvalidPartNumber => BAD_REQUEST, "The requested partnumber is not satisfiable";
    InvalidPartOrder => BAD_REQUEST,
        "The list of parts was not in ascending order. The parts list must be specified in order by part number.";
    InvalidRange => RANGE_NOT_SATISFIABLE, "The requested range is not satisfiable";
    InvalidRequest => BAD_REQUEST, "Invalid Request";
    InvalidStorageClass => BAD_REQUEST, "The storage class you specified is not valid";
    InvalidTag => BAD_REQUEST, "The TagKey you have provided is invalid";
    InvalidToken => BAD_REQUEST, "The provided token is malformed or otherwise invalid.";
    InvalidURI => BAD_REQUEST, "Couldn't parse the specified URI.";
    KeyTooLongError => BAD_REQUEST, "Your key is too long";
    MalformedACLError => BAD_REQUEST,
        "The XML you provided was not well-formed or did not validate against our published schema.";
    MalformedXML => BAD_REQUEST,
        "The XML you provided was not well-formed or did not validate against our published schema";
    MalformedPolicy => BAD_REQUEST, "Policies must be valid JSON and the first byte must be '{'";
    MaxPostPreDataLengthExceededError => BAD_REQUEST,
        "Your POST request fields preceding the upload file were too large.";
    MetadataTooLarge => BAD_REQUEST, "Your metadata headers exceed the maximum allowed metadata size.";
    MethodNotAllowed => METHOD_NOT_ALLOWED, "The specified method is not allowed against this resource.";
    MissingSecurityHeader => BAD_REQUEST, "Your request was missing a required header";
    MissingContentLength => LENGTH_REQUIRED, "You must provide the Content-Length HTTP header.";
    NoSuchBucket => NOT_FOUND, "The specified bucket does not exist";
    NoSuchBucketPolicy => NOT_FOUND, "The bucket policy does not exist";
    NoSuchCORSConfiguration => NOT_FOUND, "The CORS configuration does not exist";
    NoSuchKey => NOT_FOUND, "The specified key does not exist.";
    NoSuchLifecycleConfiguration => NOT_FOUND, "The lifecycle configuration does not exist";
    NoSuchPublicAccessBlockConfiguration => NOT_FOUND, "The public access block configuration was not found";
    NoSuchTagSet => NOT_FOUND, "The TagSet does not exist";
    NoSuchUpload => NOT_FOUND,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.";
    NoSuchVersion => NOT_FOUND, "The specified version does not exist.";
    NoSuchWebsiteConfiguration => NOT_FOUND, "The specified bucket does not have a website configuration";
    NotImplemented => NOT_IMPLEMENTED, "A header you provided implies functionality that is not implemented";
    NotModified => NOT_MODIFIED, "Not Modified";
    ObjectLockConfigurationNotFoundError => NOT_FOUND, "Object Lock configuration does not exist for this bucket";
    OwnershipControlsNotFoundError => NOT_FOUND, "The bucket ownership controls were not found";
    PreconditionFailed => PRECONDITION_FAILED, "At least one of the pre-conditions you specified did not hold";
    ReplicationConfigurationNotFoundError => NOT_FOUND, "The replication configuration was not found";
    RestoreAlreadyInProgress => CONFLICT, "Object restore is already in progress";
    RequestTimeout => BAD_REQUEST,
        "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.";
    RequestTimeTooSkewed => FORBIDDEN, "The difference between the request time and the current time is too large.";
    ServerSideEncryptionConfigurationNotFoundError => NOT_FOUND, "The server side encryption configuration was not found";
    SignatureDoesNotMatch => FORBIDDEN,
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
    UnresolvableGrantByEmailAddress => BAD_REQUEST,
        "The email address you provided does not match any account on record.";
    XAmzContentSHA256Mismatch => BAD_REQUEST, "The provided 'x-amz-content-sha256' header does not match what was computed.";
}

impl AwsError {
    /// The error with AWS's general message.
    pub fn error(self) -> S3Error {
        self.with_message(self.message())
    }

    /// The error with a message for the case at hand.
    pub fn with_message(self, message: impl Into<Cow<'static, str>>) -> S3Error {
        let mut e = S3Error::with_message(
            S3ErrorCode::from_bytes(self.code().as_bytes()).unwrap_or(S3ErrorCode::InternalError),
            message,
        );
        e.set_status_code(self.status());
        e
    }

    /// The catalogue entry for a code from the wire (s3s raises some errors itself).
    pub fn from_code(code: &str) -> Option<AwsError> {
        AwsError::ALL.iter().copied().find(|e| e.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_one_s3s_knows_and_round_trips() {
        for e in AwsError::ALL {
            let code = S3ErrorCode::from_bytes(e.code().as_bytes()).unwrap();
            assert_eq!(code.as_str(), e.code(), "{e:?}");
            assert_eq!(AwsError::from_code(e.code()), Some(*e));
            let err = e.error();
            assert_eq!(err.status_code(), Some(e.status()), "{e:?}");
            assert_eq!(err.message(), Some(e.message()));
        }
    }

    #[test]
    fn status_is_awss_where_s3s_differs() {
        // s3s's table says 400 for this; AWS answers 404 (as for every "not configured").
        let code = S3ErrorCode::ServerSideEncryptionConfigurationNotFoundError;
        assert_eq!(code.status_code(), Some(StatusCode::BAD_REQUEST));
        assert_eq!(
            AwsError::ServerSideEncryptionConfigurationNotFoundError
                .error()
                .status_code(),
            Some(StatusCode::NOT_FOUND)
        );
    }
}
