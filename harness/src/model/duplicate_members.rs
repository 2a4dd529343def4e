//! Member names that occur more than once in one JSON object.
//!
//! RFC 8259 §4: the names within an object SHOULD be unique, and when they are not, receivers
//! behave unpredictably: serde_json and most parsers keep the last, some keep the first, some
//! refuse the document. An answer with a duplicate name means different things to different
//! clients, so it is a defect; `serde_json::Value` cannot show it, having kept one of the two
//! already. This module reads the raw bytes again with a serde visitor that only counts names.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::model::json_text::cut;

/// The most duplicates kept of one document, their pointers and names cut at [`TEXT_LIMIT`]
/// characters; the rest are only counted. A body of a million duplicate names would otherwise
/// keep a million pointers.
pub const MAX_KEPT: usize = 20;

/// Pointers and names longer than this are cut: 126 nested long names make a pointer of 16 MiB.
pub const TEXT_LIMIT: usize = 400;

/// A name that occurs more than once in one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateMember {
    /// JSON pointer of the member (RFC 6901), e.g. `/value/roles`.
    pub pointer: String,
    /// The name, unescaped.
    pub name: String,
    /// How many times it occurs in that object.
    pub count: usize,
}

/// Every duplicate name of the JSON document `bytes` (the first [`MAX_KEPT`]), sorted by
/// pointer, each pointer once. Meant for a document that parses; of one that does not, those
/// in the objects it completed.
pub fn find(bytes: &[u8]) -> Vec<DuplicateMember> {
    count(bytes).0
}

/// [`find`], and how many more duplicates there are past those kept.
///
/// Memory is linear in the body: each object holds its names (borrowed from `bytes` unless
/// escaped) while it is read, a value knows its place only as a link to its parent's, and a
/// pointer is written out only for a duplicate that is kept. Duplicates seen again (objects
/// inside both occurrences of a duplicate share their pointers) are recognised by a hash of the
/// pointer, eight bytes each.
pub fn count(bytes: &[u8]) -> (Vec<DuplicateMember>, usize) {
    let mut found = Found::default();
    let node = Node {
        at: None,
        found: &mut found,
    };
    // A syntax error was reported by the parse that preceded this scan; serde_json's recursion
    // limit applies here as there, so no document can exhaust the stack.
    let _ = node.deserialize(&mut serde_json::Deserializer::from_slice(bytes));
    let mut kept = found.kept;
    kept.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    (kept, found.more)
}

#[derive(Default)]
struct Found {
    kept: Vec<DuplicateMember>,
    more: usize,
    seen: HashSet<u64>,
}

/// Where a value is: its member name or index, inside its parent's place.
struct Place<'p, 'de> {
    parent: Option<&'p Place<'p, 'de>>,
    step: Step<'p, 'de>,
}

enum Step<'p, 'de> {
    Name(&'p Cow<'de, str>),
    Index(usize),
}

impl Place<'_, '_> {
    fn pointer(at: Option<&Self>, name: &str) -> String {
        let mut steps = Vec::new();
        let mut next = at;
        while let Some(place) = next {
            steps.push(&place.step);
            next = place.parent;
        }
        let mut out = String::new();
        for step in steps.iter().rev() {
            match step {
                Step::Name(n) => push_name(&mut out, n),
                Step::Index(i) => out.push_str(&format!("/{i}")),
            }
        }
        push_name(&mut out, name);
        out
    }

    fn hash(at: Option<&Self>, name: &str) -> u64 {
        let mut hasher = DefaultHasher::new();
        let mut next = at;
        while let Some(place) = next {
            match place.step {
                Step::Name(n) => (0u8, &**n).hash(&mut hasher),
                Step::Index(i) => (1u8, i).hash(&mut hasher),
            }
            next = place.parent;
        }
        name.hash(&mut hasher);
        hasher.finish()
    }
}

/// `/` + `name`, escaped as RFC 6901 says: `~` as `~0`, `/` as `~1`.
fn push_name(out: &mut String, name: &str) {
    out.push('/');
    out.push_str(&name.replace('~', "~0").replace('/', "~1"));
}

/// One value of the document, at `at` (`None`: the whole document).
struct Node<'a, 'p, 'de> {
    at: Option<&'p Place<'p, 'de>>,
    found: &'a mut Found,
}

impl<'de> DeserializeSeed<'de> for Node<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// A member name, borrowed from the body when it has no escapes.
struct Name;

impl<'de> DeserializeSeed<'de> for Name {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Name {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

impl<'de> Visitor<'de> for Node<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Each name's count and the order of its first occurrence, for a stable report.
        let mut counts: HashMap<Cow<'de, str>, (usize, usize)> = HashMap::new();
        while let Some(name) = map.next_key_seed(Name)? {
            let place = Place {
                parent: self.at,
                step: Step::Name(&name),
            };
            map.next_value_seed(Node {
                at: Some(&place),
                found: &mut *self.found,
            })?;
            let order = counts.len();
            counts.entry(name).or_insert((order, 0)).1 += 1;
        }
        let mut duplicates: Vec<(&Cow<'de, str>, (usize, usize))> = counts
            .iter()
            .filter(|(_, c)| c.1 > 1)
            .map(|(n, c)| (n, *c))
            .collect();
        duplicates.sort_by_key(|(_, (order, _))| *order);
        for (name, (_, count)) in duplicates {
            if !self.found.seen.insert(Place::hash(self.at, name)) {
                continue;
            }
            if self.found.kept.len() < MAX_KEPT {
                self.found.kept.push(DuplicateMember {
                    pointer: cut(&Place::pointer(self.at, name), TEXT_LIMIT),
                    name: cut(name, TEXT_LIMIT),
                    count,
                });
            } else {
                self.found.more += 1;
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            let place = Place {
                parent: self.at,
                step: Step::Index(index),
            };
            let node = Node {
                at: Some(&place),
                found: &mut *self.found,
            };
            if seq.next_element_seed(node)?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    // Scalars hold no names.
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(json: &str) -> Vec<(String, usize)> {
        find(json.as_bytes())
            .into_iter()
            .map(|d| (d.pointer, d.count))
            .collect()
    }

    #[test]
    fn each_duplicate_name_is_found_at_its_pointer() {
        // (document, the duplicates as (pointer, count))
        let rows: &[(&str, &[(&str, usize)])] = &[
            (r#"{"a": 1, "b": {"a": 1}, "c": [{"a": 1}, {"a": 2}]}"#, &[]),
            (r#"{"roles": "read", "roles": ["read"]}"#, &[("/roles", 2)]),
            (
                r#"{"value": {"id": "1", "id": "2", "id": "3"}}"#,
                &[("/value/id", 3)],
            ),
            (
                r#"[{"x": 1}, {"y": [{"z": 0, "z": 0}]}]"#,
                &[("/1/y/0/z", 2)],
            ),
            // Names are compared unescaped; pointers escape '~' and '/'.
            (r#"{"a": 1, "\u0061": 2}"#, &[("/a", 2)]),
            (r#"{"a/b~c": 1, "a/b~c": 2}"#, &[("/a~1b~0c", 2)]),
            (r#"{"": 1, "": 2}"#, &[("/", 2)]),
            // Both levels; the inner one once although both occurrences of /o hold it.
            (
                r#"{"o": {"k": 1, "k": 2}, "o": {"k": 1, "k": 2}, "p": 0, "p": 1}"#,
                &[("/o", 2), ("/o/k", 2), ("/p", 2)],
            ),
            ("not json", &[]),
            (r#"{"a": 1, "a": 2, "b": "#, &[]),
        ];
        let mut failures = Vec::new();
        for (json, expected) in rows {
            let expected: Vec<(String, usize)> =
                expected.iter().map(|(p, n)| (p.to_string(), *n)).collect();
            let got = found(json);
            if got != expected {
                failures.push(format!("{json}: expected {expected:?}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn the_name_is_kept_unescaped() {
        let [d] = find(br#"{"@odata.type": 1, "@odata.type": 2}"#)
            .try_into()
            .unwrap();
        assert_eq!(d.name, "@odata.type");
        assert_eq!(d.pointer, "/@odata.type");
    }

    #[test]
    fn duplicates_past_the_limit_are_counted_and_long_pointers_cut() {
        let many: Vec<String> = (0..MAX_KEPT + 5)
            .map(|i| format!(r#"{{"k{i}": 1, "k{i}": 2}}"#))
            .collect();
        let (kept, more) = count(format!("[{}]", many.join(",")).as_bytes());
        assert_eq!((kept.len(), more), (MAX_KEPT, 5));
        // 100 levels of 100 KB names: the pointer is 10 MB, cut when kept.
        let name = "n".repeat(100_000);
        let deep = format!(
            "{}{{\"a\": 1, \"a\": 2}}{}",
            format!("{{\"{name}\": ").repeat(100),
            "}".repeat(100)
        );
        let [d]: [DuplicateMember; 1] = find(deep.as_bytes()).try_into().unwrap();
        assert!(d.pointer.len() < 2 * TEXT_LIMIT, "{}", d.pointer.len());
        assert!(
            d.pointer.ends_with("bytes in all)"),
            "{}",
            &d.pointer[..100]
        );
    }

    #[test]
    fn deep_documents_do_not_exhaust_the_stack() {
        let deep = "[".repeat(100_000);
        assert!(find(deep.as_bytes()).is_empty());
    }
}
