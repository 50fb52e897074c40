//! The flags several client commands share: connection and output ([`ClientArgs`]), path
//! filters ([`FilterArgs`]) and transfer tuning ([`TransferArgs`]).

use aws_sdk_s3::types::ChecksumAlgorithm;
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use crate::connect::ConnectArgs;
use crate::error::ClientError;
use crate::filter::Filters;
use crate::output::Printer;
use crate::transfer::TransferOptions;

/// Flags every client command takes.
#[derive(Debug, Clone, Default, Args)]
pub struct ClientArgs {
    /// Endpoint, keys and TLS.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// No progress bars and no per-file lines.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// One JSON object per line instead of text (actions, listings, stat, du, errors).
    #[arg(long, global = true)]
    pub json: bool,
}

impl ClientArgs {
    pub(crate) fn printer(&self) -> Printer {
        Printer {
            quiet: self.quiet,
            json: self.json,
        }
    }
}

/// `--include` / `--exclude` (repeatable; the last matching one decides), in the order they
/// were given. clap keeps each flag's values apart, so the order is rebuilt from the indices
/// clap records for every value: hence this hand-written `Args` rather than a derive.
#[derive(Debug, Clone, Default)]
pub struct FilterArgs {
    /// The filters, in command-line order.
    pub filters: Filters,
}

const INCLUDE: &str = "include";
const EXCLUDE: &str = "exclude";

impl FromArgMatches for FilterArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let indexed = |id: &str| -> Vec<(usize, String)> {
            match (m.indices_of(id), m.get_many::<String>(id)) {
                (Some(indices), Some(values)) => indices.zip(values.cloned()).collect(),
                _ => Vec::new(),
            }
        };
        Ok(FilterArgs {
            filters: Filters::from_indexed(indexed(INCLUDE), indexed(EXCLUDE)),
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl Args for FilterArgs {
    fn augment_args(cmd: Command) -> Command {
        cmd.arg(
            Arg::new(INCLUDE)
                .long(INCLUDE)
                .value_name("GLOB")
                .action(ArgAction::Append)
                .help("Include paths matching this glob (after an --exclude)"),
        )
        .arg(
            Arg::new(EXCLUDE)
                .long(EXCLUDE)
                .value_name("GLOB")
                .action(ArgAction::Append)
                .help("Exclude paths matching this glob"),
        )
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

/// How transfers run.
#[derive(Debug, Clone, Args)]
pub struct TransferArgs {
    /// Files at least this big use multipart uploads and parallel ranged downloads.
    #[arg(long, default_value = "8MiB", value_parser = arca_byte_size::parse)]
    pub multipart_threshold: u64,
    /// Multipart part size (default: 8 MiB up to 256 MiB files, then a 32nd of the file, at most 64 MiB).
    #[arg(long, value_parser = arca_byte_size::parse)]
    pub part_size: Option<u64>,
    /// Parts (or ranges) in flight per file.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Files in flight in a recursive copy or sync.
    #[arg(long, default_value_t = 16)]
    pub files: usize,
    /// Checksum sent with every upload: CRC32, CRC32C, CRC64NVME, SHA1 or SHA256.
    #[arg(long, default_value = "CRC32")]
    pub checksum_algorithm: String,
}

impl TransferArgs {
    pub(crate) fn options(&self) -> Result<TransferOptions, ClientError> {
        let checksum = match self.checksum_algorithm.to_ascii_uppercase().as_str() {
            "CRC32" => ChecksumAlgorithm::Crc32,
            "CRC32C" => ChecksumAlgorithm::Crc32C,
            "CRC64NVME" => ChecksumAlgorithm::Crc64Nvme,
            "SHA1" => ChecksumAlgorithm::Sha1,
            "SHA256" => ChecksumAlgorithm::Sha256,
            other => return Err(ClientError::Usage(format!("unknown checksum algorithm {other}"))),
        };
        Ok(TransferOptions {
            multipart_threshold: self.multipart_threshold,
            part_size: self.part_size,
            concurrency: self.concurrency,
            checksum,
            ..TransferOptions::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Rule;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        filters: FilterArgs,
    }

    #[test]
    fn filters_keep_the_command_line_order_across_both_flags() {
        let cli = Cli::parse_from([
            "t",
            "--exclude",
            "*",
            "--include=*.txt",
            "--exclude",
            "secret*",
            "--include",
            "a",
        ]);
        assert_eq!(
            cli.filters.filters.rules(),
            [
                Rule::Exclude("*".into()),
                Rule::Include("*.txt".into()),
                Rule::Exclude("secret*".into()),
                Rule::Include("a".into()),
            ]
        );
        assert!(Cli::parse_from(["t"]).filters.filters.rules().is_empty());
    }
}
