//! `Edm.DateTimeOffset`, the type Graph's metadata gives every date-time, as the OData ABNF
//! (`oasis-tcs/odata-abnf`, rule `dateTimeOffsetValue`) writes it in JSON:
//!
//! ```text
//! dateTimeOffsetValue = date "T" timeOfDayValue ( "Z" / ("+"/"-") hour ":" minute )
//! date                = year "-" month "-" day
//! timeOfDayValue      = hour ":" minute [ ":" second [ "." fractionalSeconds ] ]
//! year                = [ "-" ] ( "0" 3DIGIT / oneToNine 3*DIGIT )
//! hour = 00-23   minute = 00-59   second = 00-59 / "60" ; for leap seconds
//! fractionalSeconds   = 1*12DIGIT
//! ```
//!
//! JSON Schema's `date-time` (RFC 3339) is stricter: it wants seconds and four-digit years. A
//! service that writes `2027-06-30T23:59Z` follows its metadata, so the harness judges date-times
//! with this parser instead. ABNF literals are case-insensitive (RFC 5234 §2.3): `t` and `z` are
//! accepted like `T` and `Z`.

/// A parsed `dateTimeOffsetValue`: a real calendar date and time of day, and its UTC offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTimeOffset {
    year: i64,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    /// The fraction of the second in picoseconds: 12 digits, the most the ABNF allows, so any
    /// fraction is kept exactly.
    picos: u64,
    /// Minutes east of UTC.
    offset: i32,
}

/// A point in time, comparable across offsets: equal keys are the same instant.
///
/// Offsets are whole minutes, so the UTC minute carries the whole shift and the second within the
/// minute is kept as written; that keeps a leap second (`23:59:60Z`) apart from, and before, the
/// next day's `00:00:00Z`. Field order is comparison order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    /// Minutes since 1970-01-01T00:00Z (proleptic Gregorian calendar, year 0 = 1 BCE).
    utc_minute: i128,
    second: u8,
    picos: u64,
}

use crate::model::cursor::Cursor;

const FRACTION_DIGITS: usize = 12;

impl DateTimeOffset {
    /// Parses `text` whole; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<DateTimeOffset, String> {
        let mut c = Cursor::new(text);
        let year = c.year()?;
        c.expect(b'-', "'-' after the year")?;
        let month = c.two_digits("month", 1, 12)?;
        c.expect(b'-', "'-' after the month")?;
        let day = c.two_digits("day", 1, 31)?;
        let last = days_in_month(year, month);
        if day > last {
            return Err(format!(
                "day {day:02} does not exist: {year:04}-{month:02} has {last} days"
            ));
        }
        if !c.eat_ignore_case(b'T') {
            return Err(c.expected("'T' between the date and the time"));
        }
        let hour = c.two_digits("hour", 0, 23)?;
        c.expect(b':', "':' after the hour")?;
        let minute = c.two_digits("minute", 0, 59)?;
        let (mut second, mut picos) = (0, 0);
        if c.eat(b':') {
            second = c.two_digits("second", 0, 60)?;
            if c.eat(b'.') {
                picos = c.fraction()?;
            }
        }
        let offset = c.offset()?;
        if !c.done() {
            return Err(format!(
                "unexpected {:?} at byte {} after the offset",
                c.rest(),
                c.at
            ));
        }
        Ok(DateTimeOffset {
            year,
            month,
            day,
            hour,
            minute,
            second,
            picos,
            offset,
        })
    }

    /// The instant as a comparable key: equal keys = same instant, e.g.
    /// 2031-01-01T01:00:00+01:00 == 2031-01-01T00:00:00Z == 2031-01-01T00:00Z.
    pub fn instant(&self) -> Instant {
        let days = days_from_civil(self.year, self.month, self.day);
        let local = days * 1440 + i128::from(self.hour) * 60 + i128::from(self.minute);
        Instant {
            utc_minute: local - i128::from(self.offset),
            second: self.second,
            picos: self.picos,
        }
    }
}

impl Cursor<'_> {
    fn eat_ignore_case(&mut self, b: u8) -> bool {
        let hit = self.peek().is_some_and(|p| p.eq_ignore_ascii_case(&b));
        self.at += usize::from(hit);
        hit
    }

    /// "expected WHAT at byte N, found ...".
    fn expected(&self, what: &str) -> String {
        if self.done() {
            format!("expected {what} at byte {}, found the end", self.at)
        } else {
            format!(
                "expected {what} at byte {}, found {:?}",
                self.at,
                self.rest()
            )
        }
    }

    fn expect(&mut self, b: u8, what: &str) -> Result<(), String> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    /// `year = [ "-" ] ( "0" 3DIGIT / oneToNine 3*DIGIT )`
    fn year(&mut self) -> Result<i64, String> {
        let negative = self.eat(b'-');
        let start = self.at;
        let digits = self.take_while(|b| b.is_ascii_digit());
        if digits.len() < 4 {
            self.at = start;
            return Err(self.expected("a year of 4 or more digits"));
        }
        if digits.len() > 4 && digits[0] == b'0' {
            return Err(format!(
                "year {} has a leading zero; only 4-digit years may start with 0",
                String::from_utf8_lossy(digits)
            ));
        }
        let magnitude = number(digits).ok_or_else(|| "the year is too large".to_owned())?;
        Ok(if negative { -magnitude } else { magnitude })
    }

    /// Exactly two digits whose value is within `min..=max`.
    fn two_digits(&mut self, what: &str, min: u8, max: u8) -> Result<u8, String> {
        let start = self.at;
        match (self.bytes.get(start), self.bytes.get(start + 1)) {
            (Some(a), Some(b)) if a.is_ascii_digit() && b.is_ascii_digit() => {
                self.at += 2;
                let value = (a - b'0') * 10 + (b - b'0');
                if (min..=max).contains(&value) {
                    Ok(value)
                } else {
                    Err(format!(
                        "{what} {value:02} is out of range {min:02} to {max:02}"
                    ))
                }
            }
            _ => Err(self.expected(&format!("two digits of the {what}"))),
        }
    }

    /// `fractionalSeconds = 1*12DIGIT`, as picoseconds.
    fn fraction(&mut self) -> Result<u64, String> {
        let digits = self.take_while(|b| b.is_ascii_digit());
        match digits.len() {
            0 => Err(self.expected("1 to 12 digits after '.'")),
            n if n > FRACTION_DIGITS => Err(format!(
                "the fraction of a second has {n} digits; at most {FRACTION_DIGITS}"
            )),
            n => {
                let scale = 10u64.pow((FRACTION_DIGITS - n) as u32);
                // At most 12 digits: always fits.
                Ok(number(digits).unwrap_or(0) as u64 * scale)
            }
        }
    }

    /// `"Z" / ("+"/"-") hour ":" minute`, as minutes east of UTC.
    fn offset(&mut self) -> Result<i32, String> {
        if self.eat_ignore_case(b'Z') {
            return Ok(0);
        }
        let sign = match self.peek() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return Err(self.expected("'Z', '+hh:mm' or '-hh:mm'")),
        };
        self.at += 1;
        let hours = self.two_digits("offset hour", 0, 23)?;
        self.expect(b':', "':' in the offset")?;
        let minutes = self.two_digits("offset minute", 0, 59)?;
        Ok(sign * (i32::from(hours) * 60 + i32::from(minutes)))
    }
}

/// Decimal digits as a number; `None` when it does not fit in an `i64`.
fn number(digits: &[u8]) -> Option<i64> {
    digits.iter().try_fold(0i64, |n, d| {
        n.checked_mul(10)?.checked_add(i64::from(d - b'0'))
    })
}

fn is_leap(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`), in
/// `i128` so that no year an `i64` holds can overflow.
fn days_from_civil(year: i64, month: u8, day: u8) -> i128 {
    let (month, day) = (i128::from(month), i128::from(day));
    let year = i128::from(year) - i128::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instant(text: &str) -> Instant {
        DateTimeOffset::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .instant()
    }

    #[test]
    fn valid_values_parse() {
        let mut failures = Vec::new();
        for text in [
            "2027-06-30T23:59Z",
            "2027-06-30T23:59:00Z",
            "2017-01-01T00:03:08.7291689+03:00",
            "2017-01-01T00:03:08.1Z",
            "2017-01-01T00:03:08.123456789012-08:00",
            "0001-01-01T00:00:00Z",
            "0000-01-01T00:00Z",
            "-0001-12-31T23:59:59Z",
            "12345-01-01T00:00Z",
            "2024-02-29T12:00Z",
            "2000-02-29T12:00Z",
            "2031-04-30T00:00-00:00",
            "2031-01-01T00:00+23:59",
            "2031-01-01T00:00-23:59",
            "2016-12-31T23:59:60Z",
            "2031-01-01t00:00z",
        ] {
            if let Err(e) = DateTimeOffset::parse(text) {
                failures.push(format!("{text:?} should parse: {e}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn invalid_values_fail_saying_why() {
        // (text, a part of the message)
        let rows = [
            ("", "a year of 4 or more digits"),
            ("2017-01-01", "'T' between the date and the time"),
            ("2017-01-01T00:03:08", "'Z', '+hh:mm' or '-hh:mm'"),
            ("2017-01-01 00:03:08Z", "'T' between"),
            ("2017-01-01T00Z", "':' after the hour"),
            ("2017-01-01T00:03:Z", "two digits of the second"),
            ("2017-01-01T00:03:08.Z", "1 to 12 digits after '.'"),
            ("2017-01-01T00:03:08.1234567890123Z", "has 13 digits"),
            ("2017-01-01T00:03:08+0300", "':' in the offset"),
            ("2017-01-01T00:03:08+03", "':' in the offset"),
            ("2017-01-01T00:03:08+24:00", "offset hour 24"),
            ("2017-01-01T00:03:08+03:60", "offset minute 60"),
            ("2017-01-01T00:03:08Z ", "unexpected \" \""),
            ("2017-01-01T00:03:08ZZ", "unexpected \"Z\""),
            ("217-01-01T00:00Z", "a year of 4 or more digits"),
            ("02017-01-01T00:00Z", "leading zero"),
            ("+2017-01-01T00:00Z", "a year of 4 or more digits"),
            ("2017-1-01T00:00Z", "two digits of the month"),
            ("2017-00-01T00:00Z", "month 00 is out of range 01 to 12"),
            ("2017-13-01T00:00Z", "month 13"),
            ("2017-01-00T00:00Z", "day 00"),
            ("2017-01-32T00:00Z", "day 32"),
            ("2017-04-31T00:00Z", "2017-04 has 30 days"),
            ("2023-02-29T00:00Z", "2023-02 has 28 days"),
            ("1900-02-29T00:00Z", "1900-02 has 28 days"),
            ("2017-01-01T24:00Z", "hour 24"),
            ("2017-01-01T00:60Z", "minute 60"),
            ("2017-01-01T00:00:61Z", "second 61"),
            ("2017-01-01T0:00Z", "two digits of the hour"),
            ("99999999999999999999-01-01T00:00Z", "too large"),
            ("1483228988", "'-' after the year"),
            ("next tuesday", "a year"),
            ("２０１７-01-01T00:00Z", "a year"),
        ];
        let mut failures = Vec::new();
        for (text, needle) in rows {
            match DateTimeOffset::parse(text) {
                Ok(v) => failures.push(format!("{text:?} parsed as {v:?}")),
                Err(e) if !e.contains(needle) => {
                    failures.push(format!("{text:?}: {e:?} lacks {needle:?}"))
                }
                Err(_) => {}
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn the_same_instant_has_the_same_key_whatever_the_offset_and_precision() {
        let same = [
            "2031-01-01T01:00:00+01:00",
            "2031-01-01T00:00:00Z",
            "2031-01-01T00:00Z",
            "2031-01-01T00:00:00.000000000000Z",
            "2030-12-31T16:00-08:00",
            "2031-01-01T05:45+05:45",
            "2031-01-01t00:00:00z",
        ];
        for text in same {
            assert_eq!(instant(text), instant(same[0]), "{text}");
        }
        assert_eq!(
            instant("2017-01-01T00:03:08.5Z"),
            instant("2017-01-01T00:03:08.500000000000Z")
        );
    }

    #[test]
    fn keys_order_as_time_does() {
        // Each is strictly before the next.
        let ascending = [
            "-0001-12-31T23:59:59Z",
            "0000-01-01T00:00Z",
            "0000-02-29T00:00Z",
            "0001-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999999999999Z",
            "1970-01-01T00:00Z",
            "2016-12-31T23:59:59Z",
            "2016-12-31T23:59:60Z",
            "2017-01-01T00:00:00Z",
            "2017-01-01T00:00:00.1Z",
            "2017-01-01T00:00:00.100000000001Z",
            // 00:00:01Z, then 01:00:01Z: the offset counts, not the digits.
            "2017-01-01T03:00:01+03:00",
            "2017-01-01T00:00:01-01:00",
            "9999-12-31T23:59:59Z",
            "10000-01-01T00:00Z",
        ];
        for pair in ascending.windows(2) {
            assert!(
                instant(pair[0]) < instant(pair[1]),
                "{} should be before {}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn days_count_from_the_unix_epoch() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(0, 1, 1), -719_528);
    }
}
