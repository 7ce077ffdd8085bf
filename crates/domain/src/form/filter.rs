//! Filters on the submission list: which operators each kind takes, and whether a row passes.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::scalars::{check_date, parse_money, parse_number};
use super::{FieldKind, Schema, TEXT_MAX, Values, unknown_key};
use crate::error::{DomainError, Reason, Rule};
use crate::ids::{DepartmentId, MemberId};

/// How a filter compares a field's value with its operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FilterOp {
    /// Equal (text: exactly, after trimming the operand).
    Eq,
    /// Not equal; rows without a value match.
    Ne,
    /// Text contains the operand, ignoring case.
    Contains,
    Gt,
    Ge,
    Lt,
    Le,
    /// A multiple-choice answer includes the option.
    Has,
}

text_enum!(FilterOp {
    Eq = "eq",
    Ne = "ne",
    Contains = "contains",
    Gt = "gt",
    Ge = "ge",
    Lt = "lt",
    Le = "le",
    Has = "has",
});

const TEXT_OPS: &[&str] = &["eq", "ne", "contains"];
const ORDERED_OPS: &[&str] = &["eq", "ne", "gt", "ge", "lt", "le"];
const EQUALITY_OPS: &[&str] = &["eq", "ne"];
const HAS_OPS: &[&str] = &["has"];

impl FieldKind {
    /// The filter operators the kind takes; attachments take none.
    pub fn filter_ops(self) -> &'static [&'static str] {
        match self {
            FieldKind::Text | FieldKind::LongText => TEXT_OPS,
            FieldKind::Number | FieldKind::Money | FieldKind::Date => ORDERED_OPS,
            FieldKind::SingleChoice | FieldKind::Member | FieldKind::Department => EQUALITY_OPS,
            FieldKind::MultipleChoice => HAS_OPS,
            FieldKind::Attachment => &[],
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Operand {
    /// Text, an option or an id; lowercased for `contains`.
    Text(String),
    Number(f64),
    Money(i64),
    Date(String),
}

impl Operand {
    /// How a stored value compares with the operand; `None` when it is of another type (for
    /// example, stored under an older schema version).
    fn compare(&self, stored: &Value) -> Option<Ordering> {
        match (self, stored) {
            (Operand::Text(t), Value::String(s)) | (Operand::Date(t), Value::String(s)) => Some(s.as_str().cmp(t)),
            (Operand::Number(n), Value::Number(s)) => s.as_f64()?.partial_cmp(n),
            (Operand::Money(c), Value::String(s)) => Some(parse_money("", s).ok()?.cmp(c)),
            (Operand::Money(c), Value::Number(s)) => Some(parse_money("", &s.to_string()).ok()?.cmp(c)),
            _ => None,
        }
    }
}

/// One condition on the submission list, checked against the form.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    field: String,
    op: FilterOp,
    operand: Operand,
}

impl Filter {
    /// A filter on `field` with operator `op` and operand `value` (trimmed, required). Text takes
    /// `eq`, `ne` and `contains` (ignoring case); number, money and date take `eq`, `ne`, `gt`,
    /// `ge`, `lt` and `le`; single choice, member and department take `eq` and `ne`; multiple
    /// choice takes `has`; attachments cannot be filtered. Errors name `filter.<field>`.
    pub fn parse(schema: &Schema, field: &str, op: &str, value: &str) -> Result<Filter, DomainError> {
        let key = field.trim();
        let Some(f) = schema.field(key) else { return Err(unknown_key("filter", key)) };
        let path = format!("filter.{key}");
        let ops = f.kind.filter_ops();
        if ops.is_empty() {
            return Err(DomainError::invalid(path, Rule::Reason(Reason::NotFilterable)));
        }
        let op = op.trim();
        if !ops.contains(&op) {
            return Err(DomainError::invalid(path, Rule::Operators(ops)));
        }
        let op = FilterOp::parse(&path, op)?;
        let value = value.trim();
        if value.is_empty() {
            return Err(DomainError::invalid(path, Rule::Required));
        }
        let operand = match f.kind {
            FieldKind::Text | FieldKind::LongText => {
                if value.chars().count() > TEXT_MAX {
                    return Err(DomainError::invalid(path, Rule::TooLong(TEXT_MAX)));
                }
                if value.chars().any(char::is_control) {
                    return Err(DomainError::invalid(path, Rule::NoControlCharacters));
                }
                Operand::Text(if op == FilterOp::Contains { value.to_lowercase() } else { value.to_owned() })
            }
            FieldKind::Number => Operand::Number(parse_number(&path, value)?),
            FieldKind::Money => Operand::Money(parse_money(&path, value)?),
            FieldKind::Date => Operand::Date(check_date(&path, value)?),
            FieldKind::SingleChoice | FieldKind::MultipleChoice => {
                if !f.options.iter().any(|o| o == value) {
                    return Err(DomainError::invalid(path, Rule::NotAnOption));
                }
                Operand::Text(value.to_owned())
            }
            FieldKind::Member => Operand::Text(
                MemberId::parse(value)
                    .map_err(|_| DomainError::invalid(&path, Rule::IdPrefix(MemberId::PREFIX)))?
                    .to_string(),
            ),
            FieldKind::Department => Operand::Text(
                DepartmentId::parse(value)
                    .map_err(|_| DomainError::invalid(&path, Rule::IdPrefix(DepartmentId::PREFIX)))?
                    .to_string(),
            ),
            FieldKind::Attachment => return Err(DomainError::invalid(path, Rule::Reason(Reason::NotFilterable))),
        };
        Ok(Filter { field: f.key.clone(), op, operand })
    }

    /// Parses the query-string form `field:op:value`, e.g. `amount:ge:100`; the value may itself
    /// contain colons (`note:contains:a:b`).
    pub fn parse_query(schema: &Schema, text: &str) -> Result<Filter, DomainError> {
        let bad = || DomainError::invalid("filter", Rule::Reason(Reason::FilterFormat));
        let (field, rest) = text.split_once(':').ok_or_else(bad)?;
        let (op, value) = rest.split_once(':').ok_or_else(bad)?;
        Self::parse(schema, field, op, value)
    }

    /// The key of the field filtered on.
    pub fn field(&self) -> &str {
        &self.field
    }

    pub fn op(&self) -> FilterOp {
        self.op
    }

    /// Whether a submission's values pass. A row without a value (or with a value of another
    /// type, from an older schema version) passes only `ne`.
    pub fn matches(&self, values: &Values) -> bool {
        let value = values.get(&self.field);
        match (self.op, &self.operand, value) {
            (FilterOp::Contains, Operand::Text(needle), Some(Value::String(s))) => {
                s.to_lowercase().contains(needle.as_str())
            }
            (FilterOp::Has, Operand::Text(option), Some(Value::Array(items))) => {
                items.iter().any(|i| i.as_str() == Some(option.as_str()))
            }
            (FilterOp::Contains | FilterOp::Has, _, _) => false,
            (op, operand, value) => match value.and_then(|v| operand.compare(v)) {
                None => op == FilterOp::Ne,
                Some(o) => match op {
                    FilterOp::Eq => o.is_eq(),
                    FilterOp::Ne => o.is_ne(),
                    FilterOp::Gt => o.is_gt(),
                    FilterOp::Ge => o.is_ge(),
                    FilterOp::Lt => o.is_lt(),
                    FilterOp::Le => o.is_le(),
                    FilterOp::Contains | FilterOp::Has => false,
                },
            },
        }
    }
}
