//! A cursor over the bytes of a header or string value, for the hand-written parsers
//! ([`crate::model::media_type`], [`crate::model::datetime`]); each adds the grammar rules it needs in its own
//! `impl Cursor` block.

pub(crate) struct Cursor<'a> {
    pub(crate) bytes: &'a [u8],
    /// The byte offset of the next byte; reported in errors.
    pub(crate) at: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Cursor {
            bytes: text.as_bytes(),
            at: 0,
        }
    }

    pub(crate) fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// What is left, for error messages.
    pub(crate) fn rest(&self) -> String {
        String::from_utf8_lossy(&self.bytes[self.at.min(self.bytes.len())..]).into_owned()
    }

    /// Consumes `b` if it is next.
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.at += usize::from(hit);
        hit
    }

    /// Consumes the run of bytes that satisfy `keep`, possibly empty, and returns it.
    pub(crate) fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.at;
        while self.peek().is_some_and(&keep) {
            self.at += 1;
        }
        &self.bytes[start..self.at]
    }
}
