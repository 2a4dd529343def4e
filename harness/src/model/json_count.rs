//! How many values a JSON text holds at most, counted without parsing, and as it arrives.
//!
//! What judging an answer costs is mostly its parsed tree, which grows with the number of
//! values, not with the bytes: `0,` is two bytes and a parsed value up to 80. The client counts
//! while it reads, to reserve memory for what judging will build; the verdict refuses to parse
//! a body of more than [`MAX_VALUES`].

/// Bodies with more JSON values than this are not parsed: a permission has a few dozen. At
/// [`crate::exchange::budget::PER_VALUE`] bytes each, judging the largest body parsed stays within the
/// memory budget beside its bytes.
pub const MAX_VALUES: usize = 100_000;

/// An upper bound of the values in a JSON text, fed in pieces: one more than the commas, colons
/// and opening brackets outside strings.
#[derive(Clone, Copy, Debug)]
pub struct Counter {
    count: usize,
    in_string: bool,
    escaped: bool,
}

impl Default for Counter {
    fn default() -> Self {
        Counter {
            count: 1,
            in_string: false,
            escaped: false,
        }
    }
}

impl Counter {
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.in_string {
                match b {
                    _ if self.escaped => self.escaped = false,
                    b'\\' => self.escaped = true,
                    b'"' => self.in_string = false,
                    _ => {}
                }
            } else {
                match b {
                    b'"' => self.in_string = true,
                    b',' | b':' | b'[' | b'{' => self.count += 1,
                    _ => {}
                }
            }
        }
    }

    pub fn count(&self) -> usize {
        self.count
    }
}

/// The bound of [`Counter`] for a whole text.
pub fn count_values(bytes: &[u8]) -> usize {
    let mut counter = Counter::default();
    counter.feed(bytes);
    counter.count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_count_as_the_whole() {
        let text = br#"{"a": [1, 2, {"b,": "x\"[,"}], "c": {}}"#;
        let whole = count_values(text);
        assert_eq!(whole, 11);
        for at in 0..text.len() {
            let mut counter = Counter::default();
            counter.feed(&text[..at]);
            counter.feed(&text[at..]);
            assert_eq!(counter.count(), whole, "split at {at}");
        }
    }
}
