//! # arca-byte-size
//!
//! Byte sizes as people write them on Arca's command lines (`--part-size 8MiB`,
//! `arca bench --size 4KiB`). Units are binary whether or not they carry the `i`, as in the
//! AWS CLI's `multipart_chunksize = 8MB`: `k`/`KB`/`KiB` = 1024, `M…` = 1024², `G…` = 1024³;
//! no unit (or `B`) means bytes. Case does not matter.
//!
//! ```
//! assert_eq!(arca_byte_size::parse("8MiB"), Ok(8 << 20));
//! assert_eq!(arca_byte_size::parse("16M"), Ok(16 << 20));
//! assert!(arca_byte_size::parse("1.5G").is_err());
//! ```

/// Parses a size (see the crate docs). The error says what was wrong, for a clap
/// `value_parser`.
pub fn parse(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("bad size: {s}"))?;
    let mult: u64 = match unit.trim_start().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("bad size unit: {s}")),
    };
    n.checked_mul(mult).ok_or_else(|| format!("size too large: {s}"))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn units_are_binary_and_case_blind() {
        assert_eq!(parse("100"), Ok(100));
        assert_eq!(parse("100b"), Ok(100));
        assert_eq!(parse("4k"), Ok(4096));
        assert_eq!(parse("4KB"), Ok(4096));
        assert_eq!(parse("4KiB"), Ok(4096));
        assert_eq!(parse(" 8 MiB "), Ok(8 << 20));
        assert_eq!(parse("2gib"), Ok(2 << 30));
    }

    #[test]
    fn nonsense_is_refused_with_a_reason() {
        assert_eq!(parse("MiB"), Err("bad size: MiB".into()));
        assert_eq!(parse("5TB"), Err("bad size unit: 5TB".into()));
        assert_eq!(parse("-1"), Err("bad size: -1".into()));
        assert!(parse("99999999999G").unwrap_err().starts_with("size too large"));
    }
}
