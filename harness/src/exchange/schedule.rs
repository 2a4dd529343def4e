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
//! The suite builds the schedule before the run and runs it with [`Schedule::execute`].

use std::collections::BinaryHeap;
use std::sync::{Condvar, Mutex};

use serde_json::Value;

use crate::model::template::{PathTemplate, Segment};

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
        // addressBar and adminDefault ask for the link the administrator configured
        // (driveitem-createlink, Link types): its type and scope are the service's to choose,
        // so such a request may share a link with any other on its item, as the default link
        // (neither type nor scope) may.
        let chosen_by_service =
            matches!(text("type").as_deref(), Some("addressBar" | "adminDefault"));
        LinkKey {
            item: item(template, path),
            link_type: text("type").filter(|_| !chosen_by_service),
            scope: text("scope").filter(|_| !chosen_by_service),
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

    /// For each trial, the longest chain of trials still to run from it, itself included.
    fn heights(&self) -> Vec<usize> {
        let n = self.waits_for.len();
        let mut height = vec![1; n];
        for i in (0..n).rev() {
            for &j in &self.waits_for[i] {
                height[j] = height[j].max(height[i] + 1);
            }
        }
        height
    }

    /// Runs every trial on `threads` threads, each as soon as the trials it waits for are done;
    /// of the trials ready, the one with the longest chain still to run first, then the one
    /// with the greater `weight` (such as the requests it sends), then plan order. A thread
    /// only ever takes a trial that is ready, so none waits for a trial that has not started,
    /// and trials not in the schedule (filtered out) are waited for by none. `deliver` gets each
    /// result as its trial ends; a trial that panics still counts as done.
    pub fn execute<R>(
        &self,
        threads: usize,
        weight: impl Fn(usize) -> usize + Sync,
        run: impl Fn(usize) -> R + Sync,
        deliver: impl Fn(usize, R) + Sync,
    ) {
        let n = self.waits_for.len();
        let height = self.heights();
        let mut successors = vec![Vec::new(); n];
        for (i, before) in self.waits_for.iter().enumerate() {
            for &j in before {
                successors[j].push(i);
            }
        }
        let priority = |i: usize| (height[i], weight(i), std::cmp::Reverse(i));
        let state = Mutex::new(Progress {
            waiting: self.waits_for.iter().map(Vec::len).collect(),
            ready: (0..n)
                .filter(|&i| self.waits_for[i].is_empty())
                .map(|i| (priority(i), i))
                .collect(),
            left: n,
        });
        let changed = Condvar::new();
        let next = || {
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if let Some((_, i)) = s.ready.pop() {
                    return Some(i);
                }
                if s.left == 0 {
                    return None;
                }
                s = changed.wait(s).unwrap_or_else(|e| e.into_inner());
            }
        };
        std::thread::scope(|scope| {
            for _ in 0..threads.clamp(1, n.max(1)) {
                scope.spawn(|| {
                    while let Some(i) = next() {
                        let _done = Done {
                            i,
                            state: &state,
                            changed: &changed,
                            successors: &successors,
                            priority: &priority,
                        };
                        deliver(i, run(i));
                    }
                });
            }
        });
    }
}

/// What `execute` has left: per trial, how many trials it still waits for; the ready ones.
struct Progress<P> {
    waiting: Vec<usize>,
    ready: BinaryHeap<(P, usize)>,
    left: usize,
}

/// Marks trial `i` done when dropped (also when it panics), and makes ready the trials that
/// waited for it only.
struct Done<'a, P: Ord, F: Fn(usize) -> P> {
    i: usize,
    state: &'a Mutex<Progress<P>>,
    changed: &'a Condvar,
    successors: &'a [Vec<usize>],
    priority: &'a F,
}

impl<P: Ord, F: Fn(usize) -> P> Drop for Done<'_, P, F> {
    fn drop(&mut self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.left -= 1;
        for &j in &self.successors[self.i] {
            s.waiting[j] -= 1;
            if s.waiting[j] == 0 {
                let p = (self.priority)(j);
                s.ready.push((p, j));
            }
        }
        self.changed.notify_all();
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
        let started = Mutex::new(Vec::new());
        let finished = Mutex::new(Vec::new());
        for threads in [1, 3, 8] {
            started.lock().unwrap().clear();
            finished.lock().unwrap().clear();
            s.execute(
                threads,
                |_| 0,
                |i| {
                    let done = finished.lock().unwrap().clone();
                    assert!(s.waits_for[i].iter().all(|j| done.contains(j)), "{i}");
                    started.lock().unwrap().push(i);
                    i
                },
                |i, r| {
                    assert_eq!(i, r);
                    finished.lock().unwrap().push(i);
                },
            );
            let mut all = finished.lock().unwrap().clone();
            all.sort();
            assert_eq!(all, (0..keys.len()).collect::<Vec<_>>());
        }
        // One thread: the longest chains still to run first, then plan order.
        let order = Mutex::new(Vec::new());
        s.execute(1, |_| 0, |i| order.lock().unwrap().push(i), |_, _| {});
        assert_eq!(order.into_inner().unwrap(), vec![0, 3, 1, 4, 2, 5, 6]);
    }
}
