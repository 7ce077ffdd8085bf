//! Helpers shared by the form tests: a sample schema with one field of each kind, and rows of it.

use serde_json::json;

use super::*;

mod list;
mod properties;
mod schema;
mod values;

fn schema(v: Value) -> Schema {
    serde_json::from_value(v).unwrap()
}

fn field(extra: Value) -> Value {
    let mut f = json!({"key": "f", "label": "F", "kind": "text"});
    for (k, v) in extra.as_object().unwrap() {
        f[k] = v.clone();
    }
    f
}

fn schema_error(fields: Vec<Value>) -> String {
    schema(json!({ "fields": fields })).validate().unwrap_err().to_string()
}

fn sample() -> Schema {
    schema(json!({"fields": [
        {"key": "title", "label": "Title", "kind": "text", "required": true,
         "rules": {"min_length": 2, "max_length": 20, "pattern": "[A-Za-z ]+"}},
        {"key": "notes", "label": "Notes", "kind": "long_text"},
        {"key": "qty", "label": "Quantity", "kind": "number", "rules": {"min": 1, "max": 100}},
        {"key": "amount", "label": "Amount", "kind": "money", "rules": {"min": "0", "max": "10000.00"}},
        {"key": "due", "label": "Due", "kind": "date", "rules": {"min": "2026-01-01"}},
        {"key": "region", "label": "Region", "kind": "single_choice", "options": ["North", "South"]},
        {"key": "tags", "label": "Tags", "kind": "multiple_choice", "options": ["a", "b", "c"],
         "rules": {"max_count": 2}},
        {"key": "owner", "label": "Owner", "kind": "member"},
        {"key": "dept", "label": "Department", "kind": "department"},
        {"key": "files", "label": "Files", "kind": "attachment"},
    ]}))
}

fn check(v: Value) -> Result<Values, DomainError> {
    let mut map = v.as_object().unwrap().clone();
    map.entry("title").or_insert(json!("Hello"));
    sample().check_values(&map)
}

fn value_error(v: Value) -> String {
    check(v).unwrap_err().to_string()
}

fn stored(v: Value, key: &str) -> Value {
    check(v).unwrap().get(key).cloned().unwrap_or(Value::Null)
}

fn rows() -> Vec<Values> {
    [
        json!({"title": "Bolts", "qty": 10, "amount": "100.10", "region": "North", "tags": ["a", "b"], "due": "2026-03-01"}),
        json!({"title": "Nuts", "qty": 2.5, "amount": "0.05", "region": "South", "tags": ["b"], "owner": "mem_x"}),
        json!({"title": "Washers", "amount": "50", "region": "North", "notes": "Rush ORDER please"}),
        json!({"title": "Gears"}),
    ]
    .into_iter()
    .map(|v| check(v).unwrap())
    .collect()
}
