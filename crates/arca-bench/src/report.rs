//! Collecting latencies and printing results (text or JSON).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::client::Timing;

/// Samples for one operation type.
#[derive(Default, Clone)]
pub(crate) struct OpStats {
    latencies_us: Vec<u32>,
    ttfb_us: Vec<u32>,
    pub bytes: u64,
    pub errors: u64,
    /// Items an operation produced beyond itself (keys listed).
    pub items: u64,
}

impl OpStats {
    pub(crate) fn record(&mut self, t: &Timing) {
        self.latencies_us.push(t.total.as_micros().min(u32::MAX as u128) as u32);
        self.ttfb_us.push(t.first_byte.as_micros().min(u32::MAX as u128) as u32);
    }

    pub(crate) fn merge(&mut self, other: OpStats) {
        self.latencies_us.extend(other.latencies_us);
        self.ttfb_us.extend(other.ttfb_us);
        self.bytes += other.bytes;
        self.errors += other.errors;
        self.items += other.items;
    }

    pub(crate) fn count(&self) -> u64 {
        self.latencies_us.len() as u64
    }
}

/// Per-operation figures in a report.
#[derive(Debug, Serialize)]
pub(crate) struct OpSummary {
    pub count: u64,
    pub errors: u64,
    pub ops_per_s: f64,
    pub mib_per_s: f64,
    pub items_per_s: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub ttfb_p50_ms: f64,
    pub ttfb_p99_ms: f64,
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[idx]) / 1000.0
}

impl OpSummary {
    pub(crate) fn from_stats(mut s: OpStats, elapsed: Duration) -> Self {
        s.latencies_us.sort_unstable();
        s.ttfb_us.sort_unstable();
        let secs = elapsed.as_secs_f64().max(1e-9);
        OpSummary {
            count: s.count(),
            errors: s.errors,
            ops_per_s: s.count() as f64 / secs,
            mib_per_s: s.bytes as f64 / secs / (1024.0 * 1024.0),
            items_per_s: s.items as f64 / secs,
            p50_ms: percentile(&s.latencies_us, 0.50),
            p90_ms: percentile(&s.latencies_us, 0.90),
            p99_ms: percentile(&s.latencies_us, 0.99),
            ttfb_p50_ms: percentile(&s.ttfb_us, 0.50),
            ttfb_p99_ms: percentile(&s.ttfb_us, 0.99),
        }
    }
}

/// The result of one benchmark run.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub workload: String,
    pub endpoint: String,
    pub concurrency: usize,
    pub object_size: u64,
    pub seconds: f64,
    pub ops: BTreeMap<String, OpSummary>,
    pub total: OpSummary,
}

impl Report {
    pub(crate) fn print(&self, json: bool) {
        if json {
            println!("{}", serde_json::to_string_pretty(self).unwrap_or_default());
            return;
        }
        println!(
            "{} against {} — concurrency {}, object size {}, {:.1} s",
            self.workload,
            self.endpoint,
            self.concurrency,
            human_size(self.object_size),
            self.seconds
        );
        println!(
            "{:<10} {:>9} {:>7} {:>11} {:>10} {:>9} {:>9} {:>9} {:>10} {:>12}",
            "op", "count", "errors", "ops/s", "MiB/s", "p50 ms", "p90 ms", "p99 ms", "ttfb p50", "items/s"
        );
        let row = |name: &str, s: &OpSummary| {
            println!(
                "{:<10} {:>9} {:>7} {:>11.1} {:>10.1} {:>9.2} {:>9.2} {:>9.2} {:>10.2} {:>12.0}",
                name,
                s.count,
                s.errors,
                s.ops_per_s,
                s.mib_per_s,
                s.p50_ms,
                s.p90_ms,
                s.p99_ms,
                s.ttfb_p50_ms,
                s.items_per_s
            )
        };
        for (name, s) in &self.ops {
            row(name, s);
        }
        if self.ops.len() > 1 {
            row("total", &self.total);
        }
    }
}

pub(crate) fn human_size(n: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (u, v) in UNITS {
        if n >= v && n.is_multiple_of(v) {
            return format!("{}{}", n / v, u);
        }
    }
    format!("{n}B")
}
