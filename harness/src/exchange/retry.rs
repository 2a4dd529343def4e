//! Throttling: `429 Too Many Requests` and `503 Service Unavailable` are waited out and retried,
//! as the Graph SDKs' retry handler does (at most [`TRIES`] tries in all here).
//!
//! The wait is the answer's `Retry-After` (delay-seconds or an HTTP date, RFC 9110 §10.2.3);
//! without one, [`BACKOFF`] doubled after each try. Each wait is at most [`MAX_WAIT`], and a
//! target that asks for longer is not waited for: the trial fails at once, saying so. So a
//! request costs at most `TRIES` exchanges and `(TRIES - 1) * MAX_WAIT` of waiting, whatever the
//! target sends.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::verdict::Exchange;

/// Tries in all, the first included.
pub const TRIES: usize = 3;
/// The longest wait between two tries.
pub const MAX_WAIT: Duration = Duration::from_secs(10);
/// The first wait when the answer has no usable `Retry-After`.
pub const BACKOFF: Duration = Duration::from_secs(1);

/// What throttling cost one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Throttled {
    /// The status of each throttled answer, in order.
    pub statuses: Vec<u16>,
    /// Each wait before a retry.
    pub waits: Vec<Duration>,
    /// Why the last throttled answer was not retried, when it was the last answer.
    pub gave_up: Option<String>,
}

impl Throttled {
    pub fn retries(&self) -> usize {
        self.waits.len()
    }

    /// One line for the report, when the request was throttled at all.
    pub fn describe(&self) -> Option<String> {
        let last = *self.statuses.last()?;
        let waits: Vec<String> = self
            .waits
            .iter()
            .map(|w| format!("{:.1} s", w.as_secs_f64()))
            .collect();
        let tries = self.waits.len() + 1;
        Some(match &self.gave_up {
            Some(why) => format!(
                "throttled: answered {last} on {} of {tries} tr{}, waited {} between them; {why}",
                self.statuses.len(),
                if tries == 1 { "y" } else { "ies" },
                if waits.is_empty() {
                    "nothing".to_owned()
                } else {
                    waits.join(", ")
                }
            ),
            None => format!(
                "throttled {} time{} ({}), waited {}, then answered",
                self.statuses.len(),
                if self.statuses.len() == 1 { "" } else { "s" },
                self.statuses
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                waits.join(", ")
            ),
        })
    }
}

/// Sends with `send`, retrying while throttled; `sleep` waits (a parameter, for tests).
pub fn send<R, S: std::ops::Deref<Target = Exchange> + RetryAfter>(
    request: &R,
    send: impl Fn(&R) -> S,
    sleep: impl Fn(Duration),
) -> (S, Throttled) {
    let mut throttled = Throttled::default();
    let mut tried = 1;
    loop {
        let sent = send(request);
        let status = match &*sent {
            Exchange::Answered(r) if r.status == 429 || r.status == 503 => r.status,
            _ => return (sent, throttled),
        };
        throttled.statuses.push(status);
        if tried == TRIES {
            throttled.gave_up = Some(format!("{TRIES} tries is the most the harness makes"));
            return (sent, throttled);
        }
        let wait = match sent.retry_after().map(|v| parse(v, SystemTime::now())) {
            Some(Some(wait)) => wait,
            _ => BACKOFF * 2u32.pow(tried as u32 - 1),
        };
        if wait > MAX_WAIT {
            throttled.gave_up = Some(format!(
                "Retry-After asks for {:.0} s, more than the {} s the harness waits (MAX_WAIT)",
                wait.as_secs_f64(),
                MAX_WAIT.as_secs()
            ));
            return (sent, throttled);
        }
        drop(sent);
        sleep(wait);
        throttled.waits.push(wait);
        tried += 1;
    }
}

/// An answer's `Retry-After` header.
pub trait RetryAfter {
    fn retry_after(&self) -> Option<&str>;
}

/// `Retry-After` as a wait from `now`: delay-seconds, or an IMF-fixdate (`Sun, 06 Nov 1994
/// 08:49:37 GMT`; a date in the past is no wait). `None` for anything else.
pub fn parse(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = http_date(value)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// Seconds since the epoch of an IMF-fixdate.
fn http_date(value: &str) -> Option<u64> {
    let parts: Vec<&str> = value.split(' ').collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<u64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    if !(1..=31).contains(&day) || *h > 23 || *m > 59 || *s > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days)
        .ok()
        .map(|d| d * 86_400 + h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    use crate::verdict::{AnswerBody, Response};

    struct Fake(Exchange, Option<String>);
    impl std::ops::Deref for Fake {
        type Target = Exchange;
        fn deref(&self) -> &Exchange {
            &self.0
        }
    }
    impl RetryAfter for Fake {
        fn retry_after(&self) -> Option<&str> {
            self.1.as_deref()
        }
    }

    fn answer(status: u16, retry_after: Option<&str>) -> Fake {
        Fake(
            Exchange::Answered(Response {
                status,
                content_types: Vec::new(),
                location: None,
                body: AnswerBody::Complete(Vec::new()),
            }),
            retry_after.map(str::to_owned),
        )
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_770);
        assert_eq!(parse("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse("soon", now), None);
        assert_eq!(parse("-1", now), None);
    }

    #[test]
    fn throttled_answers_are_retried_at_most_three_tries_with_backoff() {
        let slept = RefCell::new(Vec::new());
        let (last, t) = send(&(), |_| answer(429, None), |d| slept.borrow_mut().push(d));
        assert!(matches!(&*last, Exchange::Answered(r) if r.status == 429));
        assert_eq!(t.statuses, vec![429; 3]);
        assert_eq!(*slept.borrow(), vec![BACKOFF, BACKOFF * 2]);
        assert!(
            t.describe()
                .unwrap()
                .contains("answered 429 on 3 of 3 tries")
        );

        let calls = RefCell::new(0);
        let (last, t) = send(
            &(),
            |_| {
                *calls.borrow_mut() += 1;
                if *calls.borrow() == 1 {
                    answer(503, Some("2"))
                } else {
                    answer(201, None)
                }
            },
            |_| {},
        );
        assert!(matches!(&*last, Exchange::Answered(r) if r.status == 201));
        assert_eq!(t.waits, vec![Duration::from_secs(2)]);

        let (_, t) = send(&(), |_| answer(429, Some("3600")), |_| panic!("waited"));
        assert!(t.gave_up.unwrap().contains("3600 s"));
    }
}
