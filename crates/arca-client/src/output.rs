//! What commands print: a line per action for people (`upload: a to s3://b/a`), or with
//! `--json` one JSON object per line for scripts.

use serde::Serialize;

/// One thing a command did (or, with `--dryrun`, would do).
#[derive(Debug, Serialize)]
pub(crate) struct Event<'a> {
    pub action: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    pub target: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dryrun: bool,
}

impl Event<'_> {
    pub(crate) fn render(&self, json: bool) -> String {
        if json {
            return serde_json::to_string(self).unwrap_or_default();
        }
        let dry = if self.dryrun { "(dryrun) " } else { "" };
        match self.source {
            Some(s) => format!("{dry}{}: {s} to {}", self.action, self.target),
            None => format!("{dry}{}: {}", self.action, self.target),
        }
    }
}

/// Prints a JSON value on one line.
pub(crate) fn json_line(value: &serde_json::Value) {
    println!("{value}");
}

/// How a command reports its actions; `Copy` so transfer tasks can carry it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Printer {
    pub quiet: bool,
    pub json: bool,
}

impl Printer {
    /// Prints one completed action (nothing with `--quiet`), above the progress bar if any.
    pub(crate) fn done(&self, bar: Option<&indicatif::ProgressBar>, action: &str, source: Option<&str>, target: &str) {
        if self.quiet {
            return;
        }
        let line = Event {
            action,
            source,
            target,
            dryrun: false,
        }
        .render(self.json);
        match bar {
            Some(bar) => bar.suspend(|| println!("{line}")),
            None => println!("{line}"),
        }
    }
}

/// A byte count as is, or in KiB, MiB, … with `human_readable`.
pub(crate) fn human(n: i64, human_readable: bool) -> String {
    if !human_readable {
        return n.to_string();
    }
    let units = ["Bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} Bytes")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// An S3 time as `YYYY-MM-DD HH:MM:SS` (UTC), or nothing.
pub(crate) fn date(t: Option<&aws_smithy_types::DateTime>) -> String {
    t.and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
        .map(|s| s.replace('T', " ").trim_end_matches('Z').chars().take(19).collect())
        .unwrap_or_default()
}
