//! Arca's access-control language: the IAM policy documents AWS users already write, parsed,
//! validated and evaluated exactly as AWS documents it. Pure: no I/O, no clock, no store.
//! The server asks one question per request ([`Policy::evaluate`]) and combines the answers
//! of the layers (identity policies, the bucket policy, ACLs, Block Public Access).
//!
//! | file | what it holds |
//! |---|---|
//! | [`policy`] | the document model and the parser that refuses what AWS refuses |
//! | [`condition`] | condition operators and the request's condition keys |
//! | [`principal`] | identities, and how a `Principal` element names them |
//! | [`evaluate`] | one policy's answer to one request, statement by statement |
//! | `index` | which statements can apply to a principal and an action, built with the policy |
//! | [`public`] | whether a bucket policy is public, as Block Public Access defines it |
//! | [`actions`] | each S3 operation's action name and resource kind |
//! | [`keys`] | the request keys Arca gathers, as a set a policy reads |
//! | [`variables`] | `${aws:username}` and the other policy variables |
//! | [`wildcard`] | the `*` / `?` glob of policy documents |
//! | [`error`] | why a document was refused, in AWS's words |

pub mod actions;
pub mod condition;
pub mod error;
pub mod evaluate;
mod index;
pub mod keys;
pub mod policy;
pub mod principal;
pub mod public;
pub mod variables;
pub mod wildcard;

pub use actions::{ResourceKind, s3_action, s3_resource_arn};
pub use condition::ConditionContext;
pub use error::PolicyError;
pub use evaluate::{Miss, PolicyAnswer, Request, StatementTrace};
pub use keys::{KeySet, RequestKey};
pub use policy::{Effect, Policy, PolicyKind};
pub use principal::{Identity, PrincipalMatch, Principals, is_account_id};
