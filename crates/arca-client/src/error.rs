//! Client errors, with the S3 code and a hint for the usual suspects.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

/// Why a client command failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The command line asks for something impossible.
    #[error("{0}")]
    Usage(String),
    /// The server answered with an S3 error.
    #[error("{code}: {message}{hint}")]
    S3 {
        /// The S3 error code.
        code: String,
        /// The server's message.
        message: String,
        /// What usually causes it, or empty.
        hint: String,
    },
    /// The server could not be reached or the connection failed.
    #[error("{0}")]
    Transport(String),
    /// A local file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

impl ClientError {
    /// An I/O error on `path`.
    pub fn io(path: impl std::fmt::Display, source: std::io::Error) -> Self {
        ClientError::Io {
            path: path.to_string(),
            source,
        }
    }

    /// The error as one JSON object, for `--json`.
    pub fn to_json(&self) -> String {
        let (code, message) = match self {
            ClientError::S3 { code, message, .. } => (code.as_str(), message.clone()),
            ClientError::Usage(m) => ("Usage", m.clone()),
            ClientError::Transport(m) => ("Transport", m.clone()),
            ClientError::Io { .. } => ("Io", self.to_string()),
        };
        serde_json::json!({"error": {"code": code, "message": message, "text": self.to_string()}}).to_string()
    }

    /// Exit status: 2 for usage errors, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            ClientError::Usage(_) => 2,
            _ => 1,
        }
    }
}

/// Turns any SDK error into a [`ClientError`] that names the S3 code and suggests a fix.
pub(crate) fn sdk<E, R>(e: SdkError<E, R>) -> ClientError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            let code = err.code().unwrap_or("Unknown").to_string();
            let message = err.message().unwrap_or("").to_string();
            let hint = match code.as_str() {
                "SignatureDoesNotMatch" => {
                    " (hint: check the secret key, the region (--region) and this machine's clock)"
                }
                "InvalidAccessKeyId" => {
                    " (hint: the access key is unknown to this endpoint; check --profile or the alias)"
                }
                "AccessDenied" => {
                    " (hint: the credentials in use are not allowed to do this; check --profile or the alias)"
                }
                "RequestTimeTooSkewed" => " (hint: this machine's clock is off by more than 15 minutes)",
                "NoSuchBucket" => " (hint: `arca ls` lists the buckets; `arca mb` creates one)",
                _ => "",
            };
            ClientError::S3 {
                code,
                message,
                hint: hint.to_string(),
            }
        }
        _ => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            if text.contains("invalid peer certificate") {
                text.push_str(
                    " (hint: the server's certificate is not signed by a trusted authority; \
                     pass --ca-bundle FILE or set AWS_CA_BUNDLE)",
                );
            }
            ClientError::Transport(text)
        }
    }
}
