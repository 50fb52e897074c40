//! The errors of the KMS API, as KMS names them: the JSON protocol answers each with its
//! `__type` and a message (HTTP 400, or 500 for [`KmsError::Internal`]).

/// A KMS request that could not be done.
#[derive(Debug, thiserror::Error)]
pub enum KmsError {
    /// No such key or alias (or not the caller's to see).
    #[error("{0}")]
    NotFound(String),
    /// The key is disabled.
    #[error("{0}")]
    Disabled(String),
    /// The key's state forbids the operation (pending deletion, or not pending it).
    #[error("{0}")]
    InvalidState(String),
    /// The ciphertext is not ours, is damaged, or its encryption context does not match.
    #[error("")]
    InvalidCiphertext,
    /// The ciphertext was made with another key than the one named.
    #[error("The key ID in the request does not identify a CMK that can perform this operation.")]
    IncorrectKey,
    /// The alias exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// A parameter is missing, malformed or out of range.
    #[error("{0}")]
    Validation(String),
    /// An alias name KMS does not accept.
    #[error("{0}")]
    InvalidAliasName(String),
    /// A key policy that does not parse or is not one of KMS.
    #[error("{0}")]
    MalformedPolicy(String),
    /// An operation KMS does not have, or Arca does not serve.
    #[error("{0}")]
    UnknownOperation(String),
    /// A parameter Arca does not honour yet.
    #[error("{0}")]
    Unsupported(String),
    /// Not allowed.
    #[error("{0}")]
    AccessDenied(String),
    /// The store or the key hierarchy failed.
    #[error("An internal error occurred.")]
    Internal,
}

impl KmsError {
    /// KMS's `__type` for the error.
    pub fn code(&self) -> &'static str {
        match self {
            KmsError::NotFound(_) => "NotFoundException",
            KmsError::Disabled(_) => "DisabledException",
            KmsError::InvalidState(_) => "KMSInvalidStateException",
            KmsError::InvalidCiphertext => "InvalidCiphertextException",
            KmsError::IncorrectKey => "IncorrectKeyException",
            KmsError::AlreadyExists(_) => "AlreadyExistsException",
            KmsError::Validation(_) => "ValidationException",
            KmsError::InvalidAliasName(_) => "InvalidAliasNameException",
            KmsError::MalformedPolicy(_) => "MalformedPolicyDocumentException",
            KmsError::UnknownOperation(_) => "UnknownOperationException",
            KmsError::Unsupported(_) => "UnsupportedOperationException",
            KmsError::AccessDenied(_) => "AccessDeniedException",
            KmsError::Internal => "KMSInternalException",
        }
    }

    /// Whether it is the server's fault (HTTP 500) rather than the request's (400).
    pub fn is_internal(&self) -> bool {
        matches!(self, KmsError::Internal)
    }
}

impl From<arca_store::StoreError> for KmsError {
    fn from(e: arca_store::StoreError) -> Self {
        tracing::error!(error = %e, "KMS request failed in the store");
        KmsError::Internal
    }
}

impl From<crate::KeyError> for KmsError {
    fn from(e: crate::KeyError) -> Self {
        tracing::error!(error = %e, "a KMS key's material does not open");
        KmsError::Internal
    }
}
