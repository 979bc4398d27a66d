//! The breaking-change check of the GraphQL schema: two SDL documents in (the older one a
//! partner built on, and the current one), the changes that would break that partner's
//! clients out. `.ci/run` runs it (`innohub schema --breaking-against`) against the previous
//! commit's `gateway/schema.graphql`.
//!
//! Breaking: a removed type or a change of its kind; a removed field (object, interface or
//! input), argument, enum value, union member or implemented interface; a changed type of a
//! field or argument, except a change every old client still accepts (an output field that
//! becomes non-null, an input field or argument that becomes nullable); and a new required
//! argument or input field (non-null without a default). Additions are not breaking.

use std::collections::BTreeMap;
use std::fmt;

use anyhow::Context as _;
use async_graphql::parser::types::{
    BaseType, FieldDefinition, InputValueDefinition, ServiceDocument, Type, TypeDefinition,
    TypeKind, TypeSystemDefinition,
};
use async_graphql::parser::{Positioned, parse_schema};

/// One change that breaks clients of the older schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakingChange {
    /// Where: `Type`, `Type.field`, `Type.field(argument:)` or `Enum.VALUE`.
    pub at: String,
    /// What changed, in a partner's words.
    pub change: String,
}

impl fmt::Display for BreakingChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.change)
    }
}

/// The changes from `old` to `current` that break clients of `old`, in the order of `old`'s
/// types; an error names the SDL that does not parse.
pub fn breaking_changes(old: &str, current: &str) -> anyhow::Result<Vec<BreakingChange>> {
    let old = parse_schema(old).context("the older schema does not parse")?;
    let current = parse_schema(current).context("the current schema does not parse")?;
    let current: BTreeMap<&str, &TypeDefinition> = types(&current).into_iter().collect();
    let mut breaks = Breaks::default();
    for (name, old_type) in types(&old) {
        match current.get(name) {
            None => breaks.add(name, "type removed"),
            Some(new_type) => compare_type(&mut breaks, name, &old_type.kind, &new_type.kind),
        }
    }
    Ok(breaks.0)
}

#[derive(Default)]
struct Breaks(Vec<BreakingChange>);

impl Breaks {
    fn add(&mut self, at: impl Into<String>, change: impl Into<String>) {
        self.0.push(BreakingChange {
            at: at.into(),
            change: change.into(),
        });
    }
}

/// The document's types by name (extensions are not part of innohub's SDL).
fn types(document: &ServiceDocument) -> Vec<(&str, &TypeDefinition)> {
    document
        .definitions
        .iter()
        .filter_map(|definition| match definition {
            TypeSystemDefinition::Type(ty) => Some((ty.node.name.node.as_str(), &ty.node)),
            _ => None,
        })
        .collect()
}

fn kind_name(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Scalar => "scalar",
        TypeKind::Object(_) => "object type",
        TypeKind::Interface(_) => "interface",
        TypeKind::Union(_) => "union",
        TypeKind::Enum(_) => "enum",
        TypeKind::InputObject(_) => "input type",
    }
}

fn compare_type(breaks: &mut Breaks, name: &str, old: &TypeKind, new: &TypeKind) {
    match (old, new) {
        (TypeKind::Scalar, TypeKind::Scalar) => {}
        (TypeKind::Object(old), TypeKind::Object(new)) => {
            removed_names(breaks, name, "interface", &old.implements, &new.implements);
            compare_fields(breaks, name, &old.fields, &new.fields);
        }
        (TypeKind::Interface(old), TypeKind::Interface(new)) => {
            removed_names(breaks, name, "interface", &old.implements, &new.implements);
            compare_fields(breaks, name, &old.fields, &new.fields);
        }
        (TypeKind::Union(old), TypeKind::Union(new)) => {
            removed_names(breaks, name, "member", &old.members, &new.members);
        }
        (TypeKind::Enum(old), TypeKind::Enum(new)) => {
            for value in &old.values {
                let value = value.node.value.node.as_str();
                if !new
                    .values
                    .iter()
                    .any(|v| v.node.value.node.as_str() == value)
                {
                    breaks.add(format!("{name}.{value}"), "enum value removed");
                }
            }
        }
        (TypeKind::InputObject(old), TypeKind::InputObject(new)) => {
            compare_inputs(breaks, name, "input field", &old.fields, &new.fields);
        }
        (old, new) => breaks.add(
            name,
            format!("{} became {}", kind_name(old), kind_name(new)),
        ),
    }
}

/// Names in `old` that `new` no longer lists (implemented interfaces, union members).
fn removed_names(
    breaks: &mut Breaks,
    at: &str,
    what: &str,
    old: &[Positioned<async_graphql::Name>],
    new: &[Positioned<async_graphql::Name>],
) {
    for name in old {
        if !new.iter().any(|n| n.node == name.node) {
            breaks.add(at, format!("{what} {} removed", name.node));
        }
    }
}

fn compare_fields(
    breaks: &mut Breaks,
    ty: &str,
    old: &[Positioned<FieldDefinition>],
    new: &[Positioned<FieldDefinition>],
) {
    let new: BTreeMap<&str, &FieldDefinition> = new
        .iter()
        .map(|f| (f.node.name.node.as_str(), &f.node))
        .collect();
    for field in old {
        let field = &field.node;
        let at = format!("{ty}.{}", field.name.node);
        let Some(new_field) = new.get(field.name.node.as_str()) else {
            breaks.add(at, "field removed");
            continue;
        };
        if !output_accepts(&field.ty.node, &new_field.ty.node) {
            breaks.add(
                &at,
                format!(
                    "type changed from {} to {}",
                    field.ty.node, new_field.ty.node
                ),
            );
        }
        compare_inputs(
            breaks,
            &at,
            "argument",
            &field.arguments,
            &new_field.arguments,
        );
    }
}

/// Arguments of a field, or fields of an input type.
fn compare_inputs(
    breaks: &mut Breaks,
    owner: &str,
    what: &str,
    old: &[Positioned<InputValueDefinition>],
    new: &[Positioned<InputValueDefinition>],
) {
    let place = |name: &str| {
        if what == "argument" {
            format!("{owner}({name}:)")
        } else {
            format!("{owner}.{name}")
        }
    };
    for value in old {
        let value = &value.node;
        let name = value.name.node.as_str();
        let Some(new_value) = new.iter().find(|v| v.node.name.node.as_str() == name) else {
            breaks.add(place(name), format!("{what} removed"));
            continue;
        };
        let new_value = &new_value.node;
        if !input_accepts(&value.ty.node, &new_value.ty.node) {
            breaks.add(
                place(name),
                format!(
                    "type changed from {} to {}",
                    value.ty.node, new_value.ty.node
                ),
            );
        } else if required(new_value) && !required(value) {
            breaks.add(place(name), format!("{what} became required"));
        }
    }
    for new_value in new {
        let new_value = &new_value.node;
        let name = new_value.name.node.as_str();
        if required(new_value) && !old.iter().any(|v| v.node.name.node.as_str() == name) {
            breaks.add(place(name), format!("new required {what}"));
        }
    }
}

/// A client must give it: non-null without a default.
fn required(value: &InputValueDefinition) -> bool {
    !value.ty.node.nullable && value.default_value.is_none()
}

/// Every value the old output type could yield, the new one could too (clients that read
/// the old type read the new one): the same named types and lists, where the new one may
/// be non-null where the old one was nullable.
fn output_accepts(old: &Type, new: &Type) -> bool {
    (old.nullable || !new.nullable) && same_shape(&old.base, &new.base, output_accepts)
}

/// Every value a client could give the old input type, the new one accepts: the same named
/// types and lists, where the new one may be nullable where the old one was non-null.
fn input_accepts(old: &Type, new: &Type) -> bool {
    (new.nullable || !old.nullable) && same_shape(&old.base, &new.base, input_accepts)
}

fn same_shape(old: &BaseType, new: &BaseType, inner: fn(&Type, &Type) -> bool) -> bool {
    match (old, new) {
        (BaseType::Named(old), BaseType::Named(new)) => old == new,
        (BaseType::List(old), BaseType::List(new)) => inner(old, new),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
        "A record."
        type Process implements Node {
          id: ID!
          title: String
          tags: [String!]!
          owner(first: Int = 20, after: String): [User!]
          score: Int!
        }
        interface Node { id: ID! }
        type User { name: String! }
        enum Status { DRAFT ACTIVE DONE }
        union Record = Process | User
        input ProcessInput { title: String! note: String limit: Int = 5 }
        scalar Date
        type Query { process(id: ID!, consistency: String): Process }
    "#;

    /// The breaking changes from BASE to BASE with `from` replaced by `to`.
    fn breaks(from: &str, to: &str) -> Vec<String> {
        assert!(BASE.contains(from), "the fixture has no {from:?}");
        let current = BASE.replacen(from, to, 1);
        breaking_changes(BASE, &current)
            .expect("both parse")
            .into_iter()
            .map(|b| b.to_string())
            .collect()
    }

    #[test]
    fn the_same_schema_and_additions_break_nothing() {
        assert_eq!(breaks("scalar Date", "scalar Date"), Vec::<String>::new());
        // A new type, field, optional argument, enum value, union member, optional input field.
        assert_eq!(
            breaks(
                "type User { name: String! }",
                "type User { name: String! email(verified: Boolean): String } type Team { id: ID! }"
            ),
            Vec::<String>::new()
        );
        assert_eq!(breaks("DONE }", "DONE ARCHIVED }"), Vec::<String>::new());
        assert_eq!(
            breaks("Process | User", "Process | User | Team"),
            Vec::<String>::new()
        );
        assert_eq!(
            breaks(
                "limit: Int = 5 }",
                "limit: Int = 5 extra: Int! = 1 more: String }"
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_removed_type_breaks() {
        assert_eq!(breaks("scalar Date", ""), ["Date: type removed"]);
    }

    #[test]
    fn a_changed_kind_breaks() {
        assert_eq!(
            breaks("scalar Date", "type Date { day: Int }"),
            ["Date: scalar became object type"]
        );
    }

    #[test]
    fn a_removed_field_breaks_on_objects_interfaces_and_inputs() {
        assert_eq!(breaks("score: Int!", ""), ["Process.score: field removed"]);
        assert_eq!(
            breaks("interface Node { id: ID! }", "interface Node { key: ID! }"),
            ["Node.id: field removed"]
        );
        assert_eq!(
            breaks(" note: String", ""),
            ["ProcessInput.note: input field removed"]
        );
    }

    #[test]
    fn a_changed_field_type_breaks_unless_an_output_field_becomes_non_null() {
        assert_eq!(
            breaks("score: Int!", "score: Int"),
            ["Process.score: type changed from Int! to Int"]
        );
        assert_eq!(
            breaks("score: Int!", "score: String!"),
            ["Process.score: type changed from Int! to String!"]
        );
        assert_eq!(
            breaks("tags: [String!]!", "tags: String!"),
            ["Process.tags: type changed from [String!]! to String!"]
        );
        assert_eq!(
            breaks("tags: [String!]!", "tags: [String]!"),
            ["Process.tags: type changed from [String!]! to [String]!"]
        );
        // Narrowing an output (nullable → non-null), also inside a list, is safe.
        assert_eq!(
            breaks("title: String", "title: String!"),
            Vec::<String>::new()
        );
        assert_eq!(
            breaks(
                "owner(first: Int = 20, after: String): [User!]",
                "owner(first: Int = 20, after: String): [User!]!"
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn an_input_field_type_change_breaks_unless_it_becomes_nullable() {
        assert_eq!(
            breaks("title: String! note", "title: String note"),
            Vec::<String>::new()
        );
        assert_eq!(
            breaks(" note: String", " note: String!"),
            ["ProcessInput.note: type changed from String to String!"]
        );
        assert_eq!(
            breaks("title: String! note", "title: Int! note"),
            ["ProcessInput.title: type changed from String! to Int!"]
        );
    }

    #[test]
    fn a_removed_argument_breaks() {
        assert_eq!(
            breaks(", after: String)", ")"),
            ["Process.owner(after:): argument removed"]
        );
    }

    #[test]
    fn a_changed_argument_type_breaks_unless_it_becomes_nullable() {
        assert_eq!(
            breaks("consistency: String)", "consistency: Int)"),
            ["Query.process(consistency:): type changed from String to Int"]
        );
        assert_eq!(
            breaks("process(id: ID!", "process(id: ID"),
            Vec::<String>::new()
        );
        assert_eq!(
            breaks("after: String)", "after: String!)"),
            ["Process.owner(after:): type changed from String to String!"]
        );
    }

    #[test]
    fn a_new_required_argument_or_input_field_breaks() {
        assert_eq!(
            breaks(
                "consistency: String)",
                "consistency: String, municipality: String!)"
            ),
            ["Query.process(municipality:): new required argument"]
        );
        // Non-null with a default is not required.
        assert_eq!(
            breaks(
                "consistency: String)",
                "consistency: String, first: Int! = 10)"
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            breaks("limit: Int = 5 }", "limit: Int = 5 owner: ID! }"),
            ["ProcessInput.owner: new required input field"]
        );
    }

    #[test]
    fn an_argument_that_loses_its_default_becomes_required() {
        assert_eq!(breaks("limit: Int = 5", "limit: Int"), Vec::<String>::new());
        let old = "type Query { list(first: Int! = 20): [ID!]! }";
        let new = "type Query { list(first: Int!): [ID!]! }";
        let found: Vec<String> = breaking_changes(old, new)
            .expect("both parse")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(found, ["Query.list(first:): argument became required"]);
    }

    #[test]
    fn a_removed_enum_value_breaks() {
        assert_eq!(breaks(" DONE }", " }"), ["Status.DONE: enum value removed"]);
    }

    #[test]
    fn a_removed_union_member_or_interface_breaks() {
        assert_eq!(
            breaks("Process | User", "Process"),
            ["Record: member User removed"]
        );
        assert_eq!(
            breaks("type Process implements Node {", "type Process {"),
            ["Process: interface Node removed"]
        );
    }

    #[test]
    fn an_unparsable_schema_is_an_error_naming_which() {
        let old = breaking_changes("type {", BASE).expect_err("the old one is broken");
        assert!(old.to_string().contains("older schema"), "{old}");
        let current = breaking_changes(BASE, "type {").expect_err("the new one is broken");
        assert!(current.to_string().contains("current schema"), "{current}");
    }
}

/// `gateway/schema.graphql` is the code's schema, and every part of it is described.
#[cfg(test)]
mod committed {
    use async_graphql::parser::types::{InputValueDefinition, TypeKind, TypeSystemDefinition};
    use async_graphql::parser::{Positioned, parse_schema};

    const REGENERATE: &str =
        "cargo run -p innohub-gateway --bin innohub -- schema > gateway/schema.graphql";

    #[test]
    fn schema_graphql_is_the_schema_of_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
        let committed = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{path}: {e}; generate it with `{REGENERATE}`"));
        let code = crate::graphql::sdl();
        if committed != code {
            let first = committed
                .lines()
                .zip(code.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| committed.lines().count().min(code.lines().count()));
            let breaks = super::breaking_changes(&committed, &code)
                .map(|b| {
                    b.iter()
                        .map(|b| format!("\n  breaking: {b}"))
                        .collect::<String>()
                })
                .unwrap_or_else(|e| format!("\n  {e:#}"));
            panic!(
                "gateway/schema.graphql differs from the schema the code builds (first at line \
                 {}: the file has {:?}, the code {:?}).{breaks}\nRegenerate it with \
                 `{REGENERATE}`, review the diff, and commit it: partners read their API's \
                 changes there.",
                first + 1,
                committed.lines().nth(first).unwrap_or("<end of file>"),
                code.lines().nth(first).unwrap_or("<end of file>"),
            );
        }
    }

    /// async-graphql's `XConnection` types of a paged list, which have no description of
    /// their own (their fields have; partners know the Relay connection).
    fn is_relay_connection(kind: &TypeKind) -> bool {
        let TypeKind::Object(object) = kind else {
            return false;
        };
        let has = |name: &str| object.fields.iter().any(|f| f.node.name.node == name);
        has("pageInfo") && has("edges")
    }

    /// Every type, field, input field, argument and enum value has a description: the SDL
    /// is the partners' reference.
    #[test]
    fn every_type_field_argument_and_enum_value_is_described() {
        let document = parse_schema(crate::graphql::sdl()).expect("the SDL parses");
        let mut missing = Vec::new();
        let described =
            |d: &Option<Positioned<String>>| d.as_ref().is_some_and(|d| !d.node.trim().is_empty());
        let inputs = |owner: String, values: &[Positioned<InputValueDefinition>]| {
            values
                .iter()
                .filter(|v| !described(&v.node.description))
                .map(|v| format!("{owner}{}", v.node.name.node))
                .collect::<Vec<_>>()
        };
        for definition in &document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let ty = &ty.node;
            let name = ty.name.node.as_str();
            if !described(&ty.description) && !is_relay_connection(&ty.kind) {
                missing.push(format!("type {name}"));
            }
            match &ty.kind {
                TypeKind::Object(object) => {
                    for field in &object.fields {
                        let field = &field.node;
                        if !described(&field.description) {
                            missing.push(format!("field {name}.{}", field.name.node));
                        }
                        let owner = format!("argument {name}.{}(", field.name.node);
                        missing.extend(
                            inputs(owner, &field.arguments)
                                .into_iter()
                                .map(|a| a + ":)"),
                        );
                    }
                }
                TypeKind::Interface(interface) => {
                    for field in &interface.fields {
                        if !described(&field.node.description) {
                            missing.push(format!("field {name}.{}", field.node.name.node));
                        }
                    }
                }
                TypeKind::InputObject(input) => {
                    missing.extend(inputs(format!("input field {name}."), &input.fields));
                }
                TypeKind::Enum(values) => {
                    for value in &values.values {
                        if !described(&value.node.description) {
                            missing.push(format!("enum value {name}.{}", value.node.value.node));
                        }
                    }
                }
                TypeKind::Scalar | TypeKind::Union(_) => {}
            }
        }
        assert!(
            missing.is_empty(),
            "{} parts of the schema have no description (a doc comment on the Rust item):\n{}",
            missing.len(),
            missing.join("\n")
        );
    }
}
