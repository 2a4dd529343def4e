//! `schemas/` against the documented property table (`tests/data/graph-properties.json`, from
//! Graph's metadata), as pure functions, no network:
//!
//! - every documented property of every type is in the schemas with its documented JSON type,
//!   wherever the type occurs, in the answer and in the request;
//! - `@odata.type` accepts the declared type and every type the metadata derives from it, with or
//!   without `#`, and no other name;
//! - where `@odata.type` names a derived type the table describes, its own members are checked.
//!
//! A property or a derived type added to the table fails here until the schemas have it.

mod common;

use std::sync::OnceLock;

use common::Rows;
use common::model::{Kind, NAMESPACE, PERMISSION, Place, REQUEST, model, wrong_values};
use createlink::load::config::{Profile, repo_dir};
use createlink::load::schema::{Schemas, Violation};
use serde_json::{Value, json};

fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| Schemas::load(&repo_dir("schemas")).expect("the repo's schemas load"))
}

/// The roots of the table: the answer (judged as the graph profile's bare permission) and the
/// request body.
const ROOTS: [&str; 2] = [PERMISSION, REQUEST];

fn violations(root: &str, instance: &Value) -> Vec<Violation> {
    if root == PERMISSION {
        schemas().check_response(Profile::Graph, instance)
    } else {
        schemas().check_request(instance)
    }
}

/// The object places of `root` that are OData types (the request body itself is not one), with
/// the name of the declared type.
fn typed_object_places(root: &str) -> Vec<(Place, &'static str)> {
    model()
        .places(root)
        .into_iter()
        .filter(|p| root == PERMISSION || !p.pointer.is_empty())
        .filter_map(|p| match p.kind {
            Kind::Object(t) => Some((p, t)),
            _ => None,
        })
        .collect()
}

/// `instance` with `value` at `pointer`: replacing what is there, or added to its parent object.
fn with(mut instance: Value, pointer: &str, value: Value) -> Value {
    if let Some(slot) = instance.pointer_mut(pointer) {
        *slot = value;
        return instance;
    }
    let (parent, name) = pointer.rsplit_once('/').expect("a member pointer");
    match instance.pointer_mut(parent).and_then(Value::as_object_mut) {
        Some(object) => object.insert(name.to_owned(), value),
        None => panic!("no object at {parent:?}"),
    };
    instance
}

/// `Err` unless `instance` breaks exactly one rule, at `pointer`.
fn fails_once_at(root: &str, instance: &Value, pointer: &str) -> Result<(), String> {
    match violations(root, instance).as_slice() {
        [v] if v.pointer == pointer => Ok(()),
        other => Err(format!(
            "expected one problem at {pointer:?}, got {other:?}"
        )),
    }
}

/// `Err` unless `instance` breaks no rule.
fn passes(root: &str, instance: &Value) -> Result<(), String> {
    match violations(root, instance).as_slice() {
        [] => Ok(()),
        other => Err(format!("expected no problem, got {other:?}")),
    }
}

#[test]
fn the_table_names_its_source_and_every_type_is_reached() {
    assert!(model().source.contains("metadata"), "{}", model().source);
    let mut reached: Vec<&str> = ROOTS
        .iter()
        .flat_map(|root| model().places(root))
        .filter_map(|p| match p.kind {
            Kind::Object(t) => Some(t),
            _ => None,
        })
        .collect();
    reached.sort_unstable();
    reached.dedup();
    let mut all: Vec<&str> = model().types().map(|t| t.name).collect();
    all.sort_unstable();
    assert_eq!(reached, all, "a type no root reaches is checked nowhere");
}

/// One row per (place, value of another JSON type): the schemas know the property (a wrong value
/// is reported, at its pointer) and give it the documented type (the fully populated instance,
/// which has a value of that type everywhere, passes).
#[test]
fn every_documented_property_is_in_the_schemas_with_its_type() {
    let mut rows = Rows::default();
    for root in ROOTS {
        let full = model().full(root);
        rows.check(
            || format!("the fully populated {root}"),
            passes(root, &full),
        );
        for place in model().places(root).iter().skip(1) {
            // `null` is a separate matter (the request allows it nowhere, the answer in most places).
            for wrong in wrong_values(&place.kind, true) {
                let instance = with(full.clone(), &place.pointer, wrong.clone());
                rows.check(
                    || format!("{root} {} = {wrong}", place.pointer),
                    fails_once_at(root, &instance, &place.pointer),
                );
            }
        }
    }
    rows.hold();
}

#[test]
fn odata_type_names_the_declared_type_or_a_derived_one_and_nothing_else() {
    let mut rows = Rows::default();
    for root in ROOTS {
        let full = model().full(root);
        for (place, t) in typed_object_places(root) {
            let at = format!("{}/@odata.type", place.pointer);
            let allowed = model().allowed_names(t);
            let mut row = |name: String, ok: bool| {
                let instance = with(full.clone(), &at, json!(name));
                let outcome = if ok {
                    passes(root, &instance)
                } else {
                    fails_once_at(root, &instance, &at)
                };
                rows.check(|| format!("{root} {at} = {name:?} ({t})"), outcome);
            };
            for name in &allowed {
                row(format!("#{name}"), true);
                row(name.clone(), true);
            }
            for other in model().all_names() {
                if !allowed.contains(&other) {
                    row(format!("#{other}"), false);
                    row(other, false);
                }
            }
            // Near misses of the declared name.
            let declared = &allowed[0];
            let short = declared.trim_start_matches(NAMESPACE);
            row(format!("##{declared}"), false);
            row(format!("#{declared} "), false);
            row(format!("#Microsoft.Graph.{short}"), false);
            row(short.to_owned(), false);
        }
    }
    rows.hold();
}

/// Graph adds types over time: a name in the `microsoft.graph` namespace that the metadata does not
/// know passes wherever `@odata.type` may be, in the answer; a name the metadata knows that does
/// not derive from the declared type, or one outside the namespace, fails.
#[test]
fn an_unknown_graph_type_passes_and_a_known_one_that_does_not_derive_fails() {
    let mut rows = Rows::default();
    let full = model().full(PERMISSION);
    for (place, t) in typed_object_places(PERMISSION) {
        let at = format!("{}/@odata.type", place.pointer);
        let allowed = model().allowed_names(t);
        let mut row = |name: &str, ok: bool| {
            let instance = with(full.clone(), &at, json!(name));
            let outcome = if ok {
                passes(PERMISSION, &instance)
            } else {
                fails_once_at(PERMISSION, &instance, &at)
            };
            rows.check(|| format!("{at} = {name:?} ({t})"), outcome);
        };
        for unknown in [
            "#microsoft.graph.conformanceFutureType",
            "microsoft.graph.conformanceFutureType",
            "#microsoft.graph.security.conformanceFutureIdentity",
        ] {
            row(unknown, true);
        }
        // Known to the metadata (v1.0 or beta only), derived from none of the declared types.
        for known in [
            "#microsoft.graph.driveItem",
            "microsoft.graph.user",
            "#microsoft.graph.approvalStage",
        ] {
            let bare = known.trim_start_matches('#');
            row(known, allowed.iter().any(|a| a == bare));
        }
        for outside in [
            "#microsoft.graph.conformance FutureType",
            "#microsoft.graphs.conformanceFutureType",
            "#Microsoft.Graph.conformanceFutureType",
            "conformanceFutureType",
        ] {
            row(outside, false);
        }
    }
    rows.hold();
}

/// The names of the table are names the schemas know: none of them passes as an unknown type.
#[test]
fn the_schemas_know_every_name_of_the_table() {
    let text = std::fs::read_to_string(repo_dir("schemas").join("graphTypes.json")).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    let known: Vec<&str> = file["knownTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let missing: Vec<String> = model()
        .all_names()
        .into_iter()
        .filter(|n| !known.contains(&n.as_str()))
        .collect();
    assert!(missing.is_empty(), "graphTypes.json lacks {missing:?}");
    assert!(known.contains(&"microsoft.graph.approvalIdentitySet"));
    assert!(known.contains(&"microsoft.graph.auditUserIdentity"));
}

/// Where a base type is declared and `@odata.type` names a derived type the table describes, the
/// derived type's own members are checked too: a valid one passes, a wrong one fails at its
/// pointer. Without `@odata.type` they are unknown members of an open type, and allowed.
#[test]
fn a_derived_type_is_checked_by_its_own_members_where_its_base_is_declared() {
    let mut rows = Rows::default();
    for root in ROOTS {
        let full = model().full(root);
        for (place, base) in typed_object_places(root) {
            for derived in model().modeled_derived(base) {
                let member = |name: &str| format!("{}/{name}", place.pointer);
                let typed = with(
                    full.clone(),
                    &member("@odata.type"),
                    json!(format!("#{NAMESPACE}{}", derived.name)),
                );
                let valid = derived.own.iter().fold(typed.clone(), |v, m| {
                    with(v, &member(m.name), model().sample(&m.kind))
                });
                rows.check(
                    || format!("{} as a valid {}", place.pointer, derived.name),
                    passes(root, &valid),
                );
                for m in &derived.own {
                    let at = member(m.name);
                    for wrong in wrong_values(&m.kind, true) {
                        let instance = with(typed.clone(), &at, wrong.clone());
                        rows.check(
                            || format!("{at} = {wrong} as a {}", derived.name),
                            fails_once_at(root, &instance, &at),
                        );
                        let untyped = with(full.clone(), &at, wrong.clone());
                        rows.check(
                            || format!("{at} = {wrong} without @odata.type"),
                            passes(root, &untyped),
                        );
                    }
                }
            }
        }
    }
    rows.hold();
}
