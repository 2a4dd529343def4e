//! The links a run got, which of them it may delete, and those it left behind.
//!
//! The hard rule: the run never deletes a link it did not create. Under `graph` a link is the
//! run's own when it was answered `201 Created`; a `200` is an existing link, and it may be
//! someone's. Under `documented` every answer is `200`, so the status cannot tell: there a link
//! is the run's own only when the run knows the items held no link before it (the built-in
//! reference server, which the run starts empty, or `CREATELINK_FRESH_ITEMS=1`) and the run has
//! not been given that link before. Otherwise the run keeps it and lists it as left behind.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::model::profile::Profile;

/// A link the run made and did not delete, and why.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Left {
    /// The item's path (the request's path without `/createLink`).
    pub item: String,
    pub id: String,
    pub why: String,
}

/// The run's links so far.
#[derive(Default, Debug)]
pub struct Ledger {
    /// By item: the links the run was given and did not delete, with the type and scope
    /// asked for.
    held: BTreeMap<String, BTreeSet<(String, Asked)>>,
    pub left: Vec<Left>,
    pub deleted: usize,
    /// Throttled answers retried, over the run.
    pub retries: usize,
}

/// The type and scope a request asked for; `None`: not asked, any.
pub type Asked = (Option<String>, Option<String>);

fn may_share(a: &Asked, b: &Asked) -> bool {
    let same = |x: &Option<String>, y: &Option<String>| x.is_none() || y.is_none() || x == y;
    same(&a.0, &b.0) && same(&a.1, &b.1)
}

/// What a link answer is, as far as cleanup and inconclusive verdicts go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Made by this request: the run deletes it.
    Created,
    /// There before this request (`200` under `graph`, or given to this run before).
    Existing,
    /// Under `documented` on items that may hold links from before the run: kept.
    Unknown,
}

impl Ledger {
    /// Records the link `id` on `item`, asked for as `asked` and answered `status`, and says
    /// where it came from. A link the run was given before counts as existing only for a
    /// request that could get it back (same type and scope): for any other it is the target's
    /// mistake, judged as such.
    pub fn record(
        &mut self,
        profile: Profile,
        ownable: bool,
        item: &str,
        asked: &Asked,
        id: &str,
        status: u16,
    ) -> Origin {
        let links = self.held.entry(item.to_owned()).or_default();
        let seen = links
            .iter()
            .any(|(held, before)| held == id && may_share(before, asked));
        links.insert((id.to_owned(), asked.clone()));
        match profile {
            _ if seen => Origin::Existing,
            Profile::Graph if status == 201 => Origin::Created,
            Profile::Graph => Origin::Existing,
            Profile::Documented if ownable => Origin::Created,
            Profile::Documented => Origin::Unknown,
        }
    }

    pub fn deleted(&mut self, item: &str, id: &str) {
        if let Some(links) = self.held.get_mut(item) {
            links.retain(|(held, _)| held != id);
        }
        self.deleted += 1;
    }

    pub fn leave(&mut self, item: &str, id: &str, why: String) {
        self.left.push(Left {
            item: item.to_owned(),
            id: shown(id),
            why,
        });
    }
}

/// An id as printed: the target chose it, so at most 80 characters, escaped.
pub fn shown(id: &str) -> String {
    let mut out: String = id
        .chars()
        .take(SHOWN)
        .flat_map(char::escape_debug)
        .collect();
    if id.chars().count() > SHOWN {
        out.push('…');
    }
    out
}

const SHOWN: usize = 80;

/// The permission id of a link answer's body, under `profile` (`{"value": …}` documented).
pub fn link_id(profile: Profile, body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let permission = match profile {
        Profile::Documented => value.get("value")?,
        Profile::Graph => &value,
    };
    permission
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_link_the_run_made_is_its_own() {
        let mut l = Ledger::default();
        let view = (Some("view".to_owned()), None);
        let edit = (Some("edit".to_owned()), None);
        let (g, d) = (Profile::Graph, Profile::Documented);
        assert_eq!(l.record(g, false, "i", &view, "a", 201), Origin::Created);
        assert_eq!(l.record(g, false, "i", &view, "a", 201), Origin::Existing);
        assert_eq!(l.record(g, true, "i", &view, "b", 200), Origin::Existing);
        assert_eq!(l.record(d, false, "i", &view, "c", 200), Origin::Unknown);
        assert_eq!(l.record(d, true, "i", &view, "d", 200), Origin::Created);
        assert_eq!(l.record(d, true, "i", &view, "d", 200), Origin::Existing);
        assert_eq!(l.record(d, true, "j", &view, "d", 200), Origin::Created);
        l.deleted("i", "d");
        assert_eq!(l.record(d, true, "i", &view, "d", 200), Origin::Created);
        // The same id for another type: not the existing link, the target's mistake.
        assert_eq!(l.record(d, true, "i", &edit, "d", 200), Origin::Created);
    }
}
