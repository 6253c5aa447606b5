//! The clock and how times are shown: milliseconds since the epoch in the
//! database, RFC 3339 UTC (JavaScript's `toISOString()`) on the wire.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, UTC: how the database stores times.
pub fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A stored time as the API shows it: RFC 3339 UTC with milliseconds, like
/// JavaScript's `toISOString()` (what Better Auth clients parse).
///
/// Written by hand (civil-from-days, proleptic Gregorian): a task list
/// formats two of these per row, and a general formatter was a visible part
/// of a list request's cost. Years outside 0..=9999 fall back to the epoch,
/// as `toISOString()` has no four-digit form for them.
pub(crate) fn iso8601(ms: i64) -> String {
    const MS_PER_DAY: i64 = 86_400_000;
    let (days, ms_of_day) = (ms.div_euclid(MS_PER_DAY), ms.rem_euclid(MS_PER_DAY));
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return "1970-01-01T00:00:00.000Z".into();
    }
    let (secs, millis) = (ms_of_day / 1000, ms_of_day % 1000);
    let (hour, minute, second) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::with_capacity(24);
    for (value, width, after) in [
        (year, 4, '-'),
        (month, 2, '-'),
        (day, 2, 'T'),
        (hour, 2, ':'),
        (minute, 2, ':'),
        (second, 2, '.'),
        (millis, 3, 'Z'),
    ] {
        let mut digits = [b'0'; 4];
        let mut v = value;
        for d in digits[..width].iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out.extend(digits[..width].iter().map(|&b| char::from(b)));
        out.push(after);
    }
    out
}

/// (year, month, day) of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_render_like_javascript_iso_strings() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_764_080_000_123), "2025-11-25T14:13:20.123Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z", "leap day of a 400-year leap year");
        assert_eq!(iso8601(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso8601(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
        assert_eq!(iso8601(253_402_300_800_000), "1970-01-01T00:00:00.000Z", "five-digit years are not shown");
    }

    #[test]
    fn the_hand_written_format_agrees_with_the_time_crate() {
        let format =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
        // Steps of a prime number of milliseconds from 0000 to 9999 (and a dense patch near now).
        let far = (-62_167_219_200_000i64..253_402_300_799_999).step_by(7_919_000_003);
        let near = (1_700_000_000_000i64..1_700_000_000_000 + 400 * 86_400_000).step_by(86_399_997);
        for ms in far.chain(near) {
            let expected = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .unwrap()
                .format(&format)
                .unwrap();
            assert_eq!(iso8601(ms), expected, "{ms}");
        }
    }
}
