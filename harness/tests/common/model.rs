//! The documented property table, `tests/data/graph-properties.json`: Graph's types as the
//! metadata declares them, independently of `schemas/`, so that tests can check the schemas
//! against it and reach every documented property of every type, wherever the type occurs.
//!
//! Test code: a malformed table panics, naming what is wrong.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use createlink::load::config::repo_dir;
use serde_json::{Value, json};

/// What a property holds, in the table's notation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `"string"`
    String,
    /// `"boolean"`
    Boolean,
    /// `"Edm.DateTimeOffset"`: a string.
    DateTime,
    /// `{"string": [values]}`: a string with documented values, the only ones accepted.
    Values(Vec<&'static str>),
    /// A type of the table, by name: an object.
    Object(&'static str),
    /// `[x]`
    Array(Box<Kind>),
}

pub struct Member {
    pub name: &'static str,
    pub kind: Kind,
}

pub struct Type {
    /// The name after `microsoft.graph.`.
    pub name: &'static str,
    pub base: Option<&'static str>,
    /// The properties this type declares; its base type's are [`Model::members`].
    pub own: Vec<Member>,
    pub required: Vec<&'static str>,
}

pub struct Model {
    pub source: &'static str,
    types: BTreeMap<&'static str, Type>,
    /// Full names (`microsoft.graph.callRecords.userIdentity`), by the name of the base type.
    derived: BTreeMap<&'static str, Vec<&'static str>>,
}

/// A place in an instance: its JSON pointer, what it holds, whether `null` may stand there.
pub struct Place {
    pub pointer: String,
    pub kind: Kind,
    pub nullable: bool,
}

/// The roots: what `createLink` answers, and its request body.
pub const PERMISSION: &str = "permission";
pub const REQUEST: &str = "createLinkRequest";

/// The namespace of every type of the table.
pub const NAMESPACE: &str = "microsoft.graph.";

/// The table, read once for the test binary.
pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let path = repo_dir("harness/tests/data/graph-properties.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        Model::from_json(Box::leak(Box::new(value)))
    })
}

fn text(value: &'static Value, what: &str) -> &'static str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} must be a string, not {value}"))
}

fn object(value: &'static Value, what: &str) -> &'static serde_json::Map<String, Value> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("{what} must be an object, not {value}"))
}

fn strings(value: Option<&'static Value>, what: &str) -> Vec<&'static str> {
    match value {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(|v| text(v, what)).collect(),
        Some(other) => panic!("{what} must be an array of strings, not {other}"),
    }
}

fn kind(value: &'static Value, what: &str) -> Kind {
    match value {
        Value::String(s) => match s.as_str() {
            "string" => Kind::String,
            "boolean" => Kind::Boolean,
            "Edm.DateTimeOffset" => Kind::DateTime,
            name => Kind::Object(name),
        },
        Value::Array(items) if items.len() == 1 => Kind::Array(Box::new(kind(&items[0], what))),
        Value::Object(map) if map.len() == 1 && map.contains_key("string") => Kind::Values(
            map["string"]
                .as_array()
                .unwrap_or_else(|| panic!("{what}: \"string\" must list the values"))
                .iter()
                .map(|v| text(v, what))
                .collect(),
        ),
        other => panic!("{what}: {other} is not a kind of the table's notation"),
    }
}

impl Model {
    fn from_json(root: &'static Value) -> Model {
        let types = object(&root["types"], "\"types\"")
            .iter()
            .map(|(name, t)| {
                let own = object(&t["properties"], &format!("{name}.properties"))
                    .iter()
                    .map(|(member, k)| Member {
                        name: member,
                        kind: kind(k, &format!("{name}.{member}")),
                    })
                    .collect();
                let ty = Type {
                    name,
                    base: t.get("baseType").map(|b| text(b, "baseType")),
                    own,
                    required: strings(t.get("required"), "required"),
                };
                (name.as_str(), ty)
            })
            .collect();
        let derived = object(&root["derivedTypes"], "\"derivedTypes\"")
            .iter()
            .map(|(base, names)| (base.as_str(), strings(Some(names), base)))
            .collect();
        let model = Model {
            source: text(&root["source"], "\"source\""),
            types,
            derived,
        };
        model.check_references();
        model
    }

    /// Every type a property, a base type or a derived-type list names is in the table.
    fn check_references(&self) {
        fn named(kind: &Kind) -> Option<&'static str> {
            match kind {
                Kind::Object(name) => Some(name),
                Kind::Array(item) => named(item),
                _ => None,
            }
        }
        for t in self.types.values() {
            let names = t.own.iter().filter_map(|m| named(&m.kind)).chain(t.base);
            for name in names {
                self.ty(name);
            }
            for required in &t.required {
                assert!(
                    self.members(t.name).iter().any(|m| m.name == *required),
                    "{}: required {required} is not a property",
                    t.name
                );
            }
        }
        for base in self.derived.keys() {
            self.ty(base);
        }
    }

    pub fn ty(&self, name: &str) -> &Type {
        self.types
            .get(name)
            .unwrap_or_else(|| panic!("the table has no type {name:?}"))
    }

    pub fn types(&self) -> impl Iterator<Item = &Type> {
        self.types.values()
    }

    /// Every property of `name`: its base type's first, then its own.
    pub fn members(&self, name: &str) -> Vec<&Member> {
        let t = self.ty(name);
        let mut out = t.base.map(|b| self.members(b)).unwrap_or_default();
        out.extend(&t.own);
        out
    }

    /// The full names `@odata.type` may give where `name` is declared: its own and its derived
    /// types', without the leading `#`.
    pub fn allowed_names(&self, name: &str) -> Vec<String> {
        let derived = self.derived.get(name).into_iter().flatten();
        std::iter::once(format!("{NAMESPACE}{name}"))
            .chain(derived.map(|d| d.to_string()))
            .collect()
    }

    /// Every full type name the table knows: its types and all derived types.
    pub fn all_names(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .types
            .keys()
            .map(|t| format!("{NAMESPACE}{t}"))
            .chain(self.derived.values().flatten().map(|d| d.to_string()))
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// The types of the table derived from `name`, directly or not: the derived types the schemas
    /// must validate by their own members where `name` is declared.
    pub fn modeled_derived(&self, name: &str) -> Vec<&Type> {
        self.types
            .values()
            .filter(|t| self.derives_from(t, name))
            .collect()
    }

    fn derives_from(&self, t: &Type, name: &str) -> bool {
        match t.base {
            Some(base) => base == name || self.derives_from(self.ty(base), name),
            None => false,
        }
    }

    /// Every place of a fully populated instance of `root`, the root (pointer `""`) first.
    /// Arrays hold one item, at `/0`; required members and array items are not nullable.
    pub fn places(&self, root: &str) -> Vec<Place> {
        let mut out = Vec::new();
        self.walk(
            String::new(),
            Kind::Object(self.ty(root).name),
            false,
            &mut out,
        );
        out
    }

    fn walk(&self, pointer: String, kind: Kind, nullable: bool, out: &mut Vec<Place>) {
        out.push(Place {
            pointer: pointer.clone(),
            kind: kind.clone(),
            nullable,
        });
        match kind {
            Kind::Object(name) => {
                let required = &self.ty(name).required;
                for m in self.members(name) {
                    let nullable = !required.contains(&m.name);
                    self.walk(
                        format!("{pointer}/{}", m.name),
                        m.kind.clone(),
                        nullable,
                        out,
                    );
                }
            }
            Kind::Array(item) => self.walk(format!("{pointer}/0"), *item, false, out),
            Kind::String | Kind::Boolean | Kind::DateTime | Kind::Values(_) => {}
        }
    }

    /// A valid value of `kind` with every member present.
    pub fn sample(&self, kind: &Kind) -> Value {
        match kind {
            Kind::String => json!("sample"),
            Kind::Values(values) => json!(values[0]),
            Kind::Boolean => json!(true),
            Kind::DateTime => json!("2031-01-01T00:00:00.5+01:00"),
            Kind::Object(name) => Value::Object(
                self.members(name)
                    .into_iter()
                    .map(|m| (m.name.to_owned(), self.sample(&m.kind)))
                    .collect(),
            ),
            Kind::Array(item) => json!([self.sample(item)]),
        }
    }

    /// A fully populated instance of the type `root`.
    pub fn full(&self, root: &str) -> Value {
        self.sample(&Kind::Object(self.ty(root).name))
    }
}

/// Values that are not of `kind` (and `null` where it is not allowed).
pub fn wrong_values(kind: &Kind, nullable: bool) -> Vec<Value> {
    let mut values = match kind {
        Kind::String => vec![json!(42)],
        Kind::Values(_) => vec![json!(42), json!("conformance-unknown-value")],
        Kind::Boolean => vec![json!("true")],
        Kind::DateTime => vec![json!(1_483_228_988)],
        Kind::Object(_) => vec![json!("sample"), json!([])],
        Kind::Array(_) => vec![json!({}), json!("sample")],
    };
    if !nullable {
        values.push(Value::Null);
    }
    values
}
