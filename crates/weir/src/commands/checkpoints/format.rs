//! Small pure helpers the `weir checkpoints` tools print with: times in ISO 8601 (UTC), byte
//! sizes for people, and tables with aligned columns. No I/O.

/// `millis` since the epoch as ISO 8601 in UTC with milliseconds, e.g.
/// `2025-01-01T00:00:00.000Z` (proleptic Gregorian calendar; no dependency for one format).
pub fn iso8601_utc(millis: i64) -> String {
    let (secs, ms) = (millis.div_euclid(1000), millis.rem_euclid(1000));
    let (days, second_of_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let (h, m, s) = (second_of_day / 3600, second_of_day % 3600 / 60, second_of_day % 60);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
}

/// The date of a day number (days since 1970-01-01): Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A size for people: `512 B`, `1.5 KiB`, `3.2 MiB`, `1.0 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A duration for people, in its two largest units: `500ms`, `45s`, `12m 5s`, `2h`, `3d 4h`.
pub fn human_duration(duration: std::time::Duration) -> String {
    let secs = duration.as_secs();
    if secs == 0 && duration.subsec_millis() > 0 {
        return format!("{}ms", duration.subsec_millis());
    }
    let ((large, large_unit), (small, small_unit)) = match secs {
        86_400.. => ((secs / 86_400, "d"), (secs % 86_400 / 3600, "h")),
        3600.. => ((secs / 3600, "h"), (secs % 3600 / 60, "m")),
        60.. => ((secs / 60, "m"), (secs % 60, "s")),
        _ => return format!("{secs}s"),
    };
    if small == 0 { format!("{large}{large_unit}") } else { format!("{large}{large_unit} {small}{small_unit}") }
}

/// `1 file`, `2 files`.
pub fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// How a column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Rows under a header, every column as wide as its widest cell, two spaces apart, each line
/// prefixed by `indent`. The last column is not padded (no trailing spaces).
pub fn table(indent: &str, columns: &[(&str, Align)], rows: &[Vec<String>]) -> String {
    let header: Vec<String> = columns.iter().map(|(title, _)| title.to_string()).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::from(indent);
        for (i, cell) in row.iter().enumerate() {
            let last = i + 1 == row.len();
            let width = widths.get(i).copied().unwrap_or(0);
            let align = columns.get(i).map_or(Align::Left, |(_, align)| *align);
            match (align, last) {
                (Align::Left, true) => line.push_str(cell),
                (Align::Left, false) => line.push_str(&format!("{cell:<width$}")),
                (Align::Right, _) => line.push_str(&format!("{cell:>width$}")),
            }
            if !last {
                line.push_str("  ");
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_iso_8601_in_utc() {
        assert_eq!(iso8601_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601_utc(1_735_689_600_000), "2025-01-01T00:00:00.000Z");
        assert_eq!(iso8601_utc(951_782_400_000 + 3_723_004), "2000-02-29T01:02:03.004Z");
        assert_eq!(iso8601_utc(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso8601_utc(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
    }

    #[test]
    fn sizes_are_for_people() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(plural(1, "file", "files"), "1 file");
        assert_eq!(plural(0, "file", "files"), "0 files");
    }

    #[test]
    fn durations_are_for_people() {
        use std::time::Duration;
        let cases = [(0, "0s"), (45, "45s"), (600, "10m"), (725, "12m 5s"), (7200, "2h"), (7500, "2h 5m")];
        for (secs, text) in cases {
            assert_eq!(human_duration(Duration::from_secs(secs)), text);
        }
        assert_eq!(human_duration(Duration::from_secs(3 * 86_400 + 4 * 3600 + 59)), "3d 4h");
        assert_eq!(human_duration(Duration::from_millis(500)), "500ms");
    }

    #[test]
    fn tables_align_their_columns() {
        let rows = vec![
            vec!["a".to_string(), "1".to_string(), "x".to_string()],
            vec!["bbb".to_string(), "100".to_string(), "yy".to_string()],
        ];
        let text = table("  ", &[("NAME", Align::Left), ("N", Align::Right), ("NOTE", Align::Left)], &rows);
        assert_eq!(text, "  NAME    N  NOTE\n  a       1  x\n  bbb   100  yy\n");
    }
}
