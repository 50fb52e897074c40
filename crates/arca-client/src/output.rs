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
