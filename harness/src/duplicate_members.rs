//! Member names that occur more than once in one JSON object.
//!
//! RFC 8259 §4: the names within an object SHOULD be unique, and when they are not, receivers
//! behave unpredictably: serde_json and most parsers keep the last, some keep the first, some
//! refuse the document. An answer with a duplicate name means different things to different
//! clients, so it is a defect; `serde_json::Value` cannot show it, having kept one of the two
//! already. This module reads the raw bytes again with a serde visitor that only counts names.

use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

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

/// Every duplicate name of the JSON document `bytes`, sorted by pointer, each pointer once.
/// Meant for a document that parses; of one that does not, those in the objects it completed.
pub fn find(bytes: &[u8]) -> Vec<DuplicateMember> {
    let mut found = Vec::new();
    let node = Node {
        pointer: String::new(),
        found: &mut found,
    };
    // A syntax error was reported by the parse that preceded this scan; serde_json's recursion
    // limit applies here as there, so no document can exhaust the stack.
    let _ = node.deserialize(&mut serde_json::Deserializer::from_slice(bytes));
    // Objects inside both occurrences of a duplicate share their pointers: report each once.
    found.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    found.dedup_by(|a, b| a.pointer == b.pointer);
    found
}

/// One value of the document, at `pointer`.
struct Node<'a> {
    pointer: String,
    found: &'a mut Vec<DuplicateMember>,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Counts by name, and the names in order of first occurrence, for a stable report.
        let mut counts: HashMap<String, usize> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            map.next_value_seed(Node {
                pointer: member_pointer(&self.pointer, &name),
                found: &mut *self.found,
            })?;
            let count = counts.entry(name).or_insert_with_key(|name| {
                order.push(name.clone());
                0
            });
            *count += 1;
        }
        for name in order {
            let count = counts[&name];
            if count > 1 {
                self.found.push(DuplicateMember {
                    pointer: member_pointer(&self.pointer, &name),
                    name,
                    count,
                });
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        while seq
            .next_element_seed(Node {
                pointer: format!("{}/{index}", self.pointer),
                found: &mut *self.found,
            })?
            .is_some()
        {
            index += 1;
        }
        Ok(())
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

/// `parent` + `/` + `name`, escaped as RFC 6901 says: `~` as `~0`, `/` as `~1`.
fn member_pointer(parent: &str, name: &str) -> String {
    format!("{parent}/{}", name.replace('~', "~0").replace('/', "~1"))
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
    fn deep_documents_do_not_exhaust_the_stack() {
        let deep = "[".repeat(100_000);
        assert!(find(deep.as_bytes()).is_empty());
    }
}
