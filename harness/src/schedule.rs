//! Which trials must run one after another: those whose requests could share a link.
//!
//! Graph keeps one link per item, type and scope, and a second request for it gets the existing
//! link back, unchanged. Two trials on one item with the same type and scope therefore see each
//! other's links, and a trial that asks for more than a type and a scope (a password, an expiry,
//! recipients) can only be judged on a link it made itself. The schedule orders such trials, in a
//! fixed order, and lets every other pair run at the same time:
//!
//! - a trial's **link key** is its item and the type and scope its request asks for; a request
//!   without a type or scope gets the organization's default, which may be any of them, so it
//!   matches every key on its item. Refusals create nothing and have no key.
//! - two trials **conflict** when their keys can be the same link: whichever runs second would
//!   get the first one's link back. A trial that asks for more than a type and a scope (a
//!   password, an expiry, recipients) can only be judged on a link of its own, and a repeat
//!   needs its link to stay between its two requests; the others could share, but they are
//!   ordered too, so that every run sends the same requests and deletes the same links.
//! - of two conflicting trials the one earlier in the plan's order runs first.
//!
//! The item is recognised from the request's path, conservatively: the concrete value of the
//! last parameter segment and the literal segments after it (`01ITEM`, `b!drive/root`), with
//! `listItem/driveItem` (an item's list item's item, the item itself) left out. Two paths that
//! name an item by the same id are one item, wherever that id stands.
//!
//! Pure functions: the suite builds the schedule before the run and waits on it ([`Gate`]).

use std::collections::BTreeSet;
use std::sync::{Condvar, Mutex};

use serde_json::Value;

use crate::template::{PathTemplate, Segment};

/// Which link a trial's request may touch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkKey {
    pub item: String,
    /// `None`: not asked for, the service decides.
    pub link_type: Option<String>,
    pub scope: Option<String>,
}

impl LinkKey {
    /// The key of a link request on `path` (the concrete, percent-encoded path of
    /// `template`) with JSON `body`.
    pub fn new(template: &PathTemplate, path: &str, body: &Value) -> Self {
        let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
        LinkKey {
            item: item(template, path),
            link_type: text("type"),
            scope: text("scope"),
        }
    }

    /// Whether the two requests may be answered with one link.
    pub fn may_share(&self, other: &LinkKey) -> bool {
        let same = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        self.item == other.item
            && same(&self.link_type, &other.link_type)
            && same(&self.scope, &other.scope)
    }

    pub fn conflicts(&self, other: &LinkKey) -> bool {
        self.may_share(other)
    }
}

/// Whether the body asks for something an existing link of its type and scope need not have.
pub fn asks_more_than_type_and_scope(body: &Value) -> bool {
    body.as_object()
        .is_some_and(|o| o.keys().any(|k| k != "type" && k != "scope"))
}

/// The item a concrete path names: from its last parameter segment on, without `createLink`.
pub fn item(template: &PathTemplate, path: &str) -> String {
    let concrete: Vec<&str> = path.rsplit('/').take(template.segments().len()).collect();
    let mut concrete: Vec<&str> = concrete.into_iter().rev().collect();
    let segments = template.segments();
    let last_param = segments
        .iter()
        .rposition(|s| matches!(s, Segment::Param(_)))
        .unwrap_or(0);
    if concrete.len() != segments.len() {
        // Not the template's path (cannot happen for the suite's own requests): the whole path.
        concrete = path.split('/').collect();
    }
    let mut tail: Vec<&str> = concrete[last_param.min(concrete.len())..]
        .iter()
        .copied()
        .filter(|s| *s != "createLink")
        .collect();
    while let Some(i) = tail
        .windows(2)
        .position(|w| w[0] == "listItem" && w[1] == "driveItem")
    {
        tail.drain(i..i + 2);
    }
    tail.join("/")
}

/// The order of the run and what each trial waits for, over trials `0..keys.len()` (their plan
/// order).
#[derive(Clone, Debug)]
pub struct Schedule {
    /// For each trial, the earlier trials it conflicts with.
    pub waits_for: Vec<Vec<usize>>,
    /// The length of the longest chain of trials that ends with each trial (1: waits for none).
    pub depth: Vec<usize>,
}

impl Schedule {
    /// `keys[i]`: the link key of trial `i`, `None` for one that creates no link.
    pub fn new(keys: &[Option<LinkKey>]) -> Self {
        let mut waits_for = vec![Vec::new(); keys.len()];
        let mut depth = vec![1; keys.len()];
        for (i, key) in keys.iter().enumerate() {
            let Some(key) = key else { continue };
            for (j, earlier) in keys[..i].iter().enumerate() {
                if earlier.as_ref().is_some_and(|e| e.conflicts(key)) {
                    waits_for[i].push(j);
                    depth[i] = depth[i].max(depth[j] + 1);
                }
            }
        }
        Schedule { waits_for, depth }
    }

    /// The most trials that must run one after another.
    pub fn longest_chain(&self) -> usize {
        self.depth.iter().copied().max().unwrap_or(0)
    }

    /// The longest chain counted by `weight` (such as the requests each trial sends).
    pub fn longest_chain_by(&self, weight: impl Fn(usize) -> usize) -> usize {
        let mut ends: Vec<usize> = Vec::with_capacity(self.waits_for.len());
        for (i, before) in self.waits_for.iter().enumerate() {
            let longest = before.iter().map(|&j| ends[j]).max().unwrap_or(0);
            ends.push(longest + weight(i));
        }
        ends.into_iter().max().unwrap_or(0)
    }

    /// The trials in an order where each comes after every trial it waits for: longest chain
    /// still to run first (a trial's predecessors always have a longer one), then by `weight`
    /// (heavier first), then plan order. Handed to a pool of threads in this order, a trial
    /// waits only for trials already started, so no thread waits for one that is not; and the
    /// long chains start first, so they do not stretch the end of the run.
    pub fn run_order(&self, weight: impl Fn(usize) -> usize) -> Vec<usize> {
        let n = self.waits_for.len();
        let mut height = vec![1; n];
        for i in (0..n).rev() {
            for &j in &self.waits_for[i] {
                height[j] = height[j].max(height[i] + 1);
            }
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| {
            (
                std::cmp::Reverse(height[i]),
                std::cmp::Reverse(weight(i)),
                i,
            )
        });
        order
    }
}

/// Trials mark themselves done here, and wait for the trials they conflict with.
pub struct Gate {
    waits_for: Vec<Vec<usize>>,
    done: Mutex<BTreeSet<usize>>,
    changed: Condvar,
}

impl Gate {
    pub fn new(schedule: &Schedule) -> Self {
        Gate {
            waits_for: schedule.waits_for.clone(),
            done: Mutex::new(BTreeSet::new()),
            changed: Condvar::new(),
        }
    }

    /// Blocks until every trial `i` waits for is done, then returns a guard that marks `i`
    /// done when dropped (also when the trial panics, so no successor waits for ever).
    pub fn enter(&self, i: usize) -> Pass<'_> {
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        while !self.waits_for[i].iter().all(|j| done.contains(j)) {
            done = self.changed.wait(done).unwrap_or_else(|e| e.into_inner());
        }
        Pass { gate: self, i }
    }
}

/// A trial's turn: dropping it lets the trials that wait for this one run.
pub struct Pass<'a> {
    gate: &'a Gate,
    i: usize,
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        self.gate
            .done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(self.i);
        self.gate.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(item: &str, body: Value) -> Option<LinkKey> {
        let t = PathTemplate::parse("/drives/{d}/items/{i}/createLink").unwrap();
        Some(LinkKey::new(
            &t,
            &format!("/beta/drives/d/items/{item}/createLink"),
            &body,
        ))
    }

    #[test]
    fn items_are_the_last_parameter_on() {
        let t = PathTemplate::parse("/drives/{d}/root/createLink").unwrap();
        assert_eq!(item(&t, "/beta/drives/b!x/root/createLink"), "b!x/root");
        let t = PathTemplate::parse("/me/a/{o}/driveItem/listItem/driveItem/createLink").unwrap();
        assert_eq!(
            item(&t, "/beta/me/a/old/driveItem/listItem/driveItem/createLink"),
            "old/driveItem"
        );
    }

    #[test]
    fn only_trials_whose_links_may_be_one_wait_for_each_other() {
        let keys = [
            key("a", json!({"type": "view", "scope": "anonymous"})),
            key(
                "a",
                json!({"type": "view", "scope": "anonymous", "password": "p"}),
            ),
            key(
                "b",
                json!({"type": "view", "scope": "anonymous", "password": "p"}),
            ),
            key("a", json!({"type": "edit", "scope": "anonymous"})),
            key("a", json!({"type": "edit", "scope": "anonymous"})),
            key("a", json!({"expirationDateTime": "2031-01-01T00:00:00Z"})),
            None,
        ];
        let s = Schedule::new(&keys);
        assert_eq!(
            s.waits_for,
            vec![
                vec![],
                vec![0],
                vec![],
                vec![],
                vec![3],
                vec![0, 1, 3, 4],
                vec![]
            ]
        );
        assert_eq!(s.longest_chain(), 3);
        assert_eq!(s.longest_chain_by(|i| i), 3 + 4 + 5);
        let order = s.run_order(|_| 0);
        for (pos, &i) in order.iter().enumerate() {
            assert!(s.waits_for[i].iter().all(|j| order[..pos].contains(j)));
        }
    }
}
