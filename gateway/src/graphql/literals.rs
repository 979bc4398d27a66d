//! Enum values in a document are names, not strings. GraphQL's input coercion takes
//! `visibility: PUBLIC`, never `visibility: "PUBLIC"`; async-graphql's validation accepts
//! both (a string is what a *variable* of enum type holds in JSON, and the same check serves
//! literals), so this room refuses string literals where the schema wants an enum, in
//! arguments, in input objects and lists inside them, and in variables' default values.
//! Variables (JSON) keep carrying enum values as strings, as the spec says.

use std::collections::HashMap;

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, OperationType, Selection, SelectionSet, Type, TypeKind,
    TypeSystemDefinition,
};
use async_graphql::{Pos, ServerError, Value};

/// An output field's arguments by name, and the name of the field's type.
type FieldInputs = (HashMap<String, Type>, String);

/// What the check needs to know of the schema: enums, input objects' fields, and each
/// output field's arguments and type.
#[derive(Debug, Default)]
pub struct EnumInputs {
    enums: std::collections::HashSet<String>,
    inputs: HashMap<String, HashMap<String, Type>>,
    /// Output type → field → (arguments, the field's type name).
    fields: HashMap<String, HashMap<String, FieldInputs>>,
    query: String,
    mutation: String,
    subscription: String,
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

impl EnumInputs {
    /// Read the schema from its SDL.
    pub fn from_sdl(sdl: &str) -> Result<Self, String> {
        let document = async_graphql::parser::parse_schema(sdl).map_err(|e| e.to_string())?;
        let mut index = Self {
            query: "Query".into(),
            mutation: "Mutation".into(),
            subscription: "Subscription".into(),
            ..Self::default()
        };
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    if let Some(q) = schema.query {
                        index.query = q.node.to_string();
                    }
                    if let Some(m) = schema.mutation {
                        index.mutation = m.node.to_string();
                    }
                    if let Some(s) = schema.subscription {
                        index.subscription = s.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    let ty = ty.node;
                    let name = ty.name.node.to_string();
                    match ty.kind {
                        TypeKind::Enum(_) => {
                            index.enums.insert(name);
                        }
                        TypeKind::InputObject(input) => {
                            let fields = input
                                .fields
                                .into_iter()
                                .map(|f| (f.node.name.node.to_string(), f.node.ty.node))
                                .collect();
                            index.inputs.insert(name, fields);
                        }
                        TypeKind::Object(object) => {
                            index.add_fields(name, object.fields);
                        }
                        TypeKind::Interface(interface) => {
                            index.add_fields(name, interface.fields);
                        }
                        _ => {}
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        Ok(index)
    }

    fn add_fields(
        &mut self,
        owner: String,
        fields: Vec<async_graphql::Positioned<async_graphql::parser::types::FieldDefinition>>,
    ) {
        let fields = fields
            .into_iter()
            .map(|f| {
                let f = f.node;
                let arguments = f
                    .arguments
                    .into_iter()
                    .map(|a| (a.node.name.node.to_string(), a.node.ty.node))
                    .collect();
                (
                    f.name.node.to_string(),
                    (arguments, named(&f.ty.node).to_owned()),
                )
            })
            .collect();
        self.fields.insert(owner, fields);
    }

    /// The first string literal in `document` where the schema wants an enum value.
    pub fn check(&self, document: &ExecutableDocument) -> Result<(), ServerError> {
        for (_, operation) in document.operations.iter() {
            let operation = &operation.node;
            for variable in &operation.variable_definitions {
                if let Some(default) = &variable.node.default_value {
                    self.value(&default.node, &variable.node.var_type.node, default.pos)?;
                }
            }
            let root = match operation.ty {
                OperationType::Query => &self.query,
                OperationType::Mutation => &self.mutation,
                OperationType::Subscription => &self.subscription,
            };
            self.selections(root, &operation.selection_set.node)?;
        }
        for fragment in document.fragments.values() {
            let fragment = &fragment.node;
            self.selections(
                fragment.type_condition.node.on.node.as_str(),
                &fragment.selection_set.node,
            )?;
        }
        Ok(())
    }

    fn selections(&self, owner: &str, set: &SelectionSet) -> Result<(), ServerError> {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    // Unknown fields are validation's to report.
                    let Some((arguments, ty)) = self
                        .fields
                        .get(owner)
                        .and_then(|fields| fields.get(field.name.node.as_str()))
                    else {
                        continue;
                    };
                    for (name, value) in &field.arguments {
                        if let Some(expected) = arguments.get(name.node.as_str()) {
                            // Variables are JSON and may hold enum values as strings.
                            let literal = value
                                .node
                                .clone()
                                .into_const_with(|_| Ok::<_, ()>(Value::Null))
                                .unwrap_or(Value::Null);
                            self.value(&literal, expected, value.pos)?;
                        }
                    }
                    self.selections(ty, &field.selection_set.node)?;
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let on = fragment
                        .type_condition
                        .as_ref()
                        .map_or(owner, |c| c.node.on.node.as_str());
                    self.selections(on, &fragment.selection_set.node)?;
                }
                // Each fragment definition is checked once, from its own type condition.
                Selection::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }

    fn value(&self, value: &Value, expected: &Type, pos: Pos) -> Result<(), ServerError> {
        match (&expected.base, value) {
            (BaseType::List(inner), Value::List(items)) => {
                for item in items {
                    self.value(item, inner, pos)?;
                }
                Ok(())
            }
            (BaseType::List(inner), single) => self.value(single, inner, pos),
            (BaseType::Named(name), Value::String(text)) if self.enums.contains(name.as_str()) => {
                Err(ServerError::new(
                    format!(
                        "{name} is an enum: write its value without quotes ({text}, not \"{text}\")"
                    ),
                    Some(pos),
                ))
            }
            (BaseType::Named(name), Value::Object(fields)) => {
                let Some(input) = self.inputs.get(name.as_str()) else {
                    return Ok(());
                };
                for (field, value) in fields {
                    if let Some(expected) = input.get(field.as_str()) {
                        self.value(value, expected, pos)?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const SDL: &str = r#"
        enum Visibility { PRIVATE PUBLIC }
        input Details { title: String!, visibility: Visibility, tags: [Visibility!] }
        type Process { id: ID!, related(kind: Visibility): [Process!]! }
        type Query { processes(visibility: [Visibility!]): [Process!]! }
        type Mutation { submit(input: Details!): Process! }
    "#;

    fn check(query: &str) -> Result<(), ServerError> {
        let index = EnumInputs::from_sdl(SDL).unwrap();
        index.check(&async_graphql::parser::parse_query(query).unwrap())
    }

    #[test]
    fn bare_enum_values_pass() {
        check("mutation { submit(input: {title: \"PUBLIC\", visibility: PUBLIC}) { id } }")
            .unwrap();
        check("{ processes(visibility: [PUBLIC]) { related(kind: PRIVATE) { id } } }").unwrap();
        check("query($v: Visibility = PUBLIC) { processes(visibility: [$v]) { id } }").unwrap();
    }

    #[test]
    fn string_literals_for_enums_are_refused_wherever_they_are() {
        for query in [
            "mutation { submit(input: {title: \"t\", visibility: \"PUBLIC\"}) { id } }",
            "mutation { submit(input: {title: \"t\", tags: [PRIVATE, \"PUBLIC\"]}) { id } }",
            "{ processes(visibility: \"PUBLIC\") { id } }",
            "{ processes { related(kind: \"PRIVATE\") { id } } }",
            "{ processes { ...F } } fragment F on Process { related(kind: \"PRIVATE\") { id } }",
            "{ processes { ... on Process { related(kind: \"PRIVATE\") { id } } } }",
            "query($v: Visibility = \"PUBLIC\") { processes(visibility: [$v]) { id } }",
        ] {
            let error = check(query).unwrap_err();
            assert!(
                error.message.contains("without quotes"),
                "{query}: {}",
                error.message
            );
        }
    }
}
