//! Form apps: an organization's admins define a form as a schema of typed fields, and members and
//! partners submit values. These are the rules of both, the filters and totals of the submission
//! list, and its CSV cells. The service stores every schema version as it was saved; a submission
//! keeps the version it was made against, so nothing here migrates old values.
//!
//! Values are stored as [`Schema::check_values`] returns them:
//!
//! | kind | stored as |
//! |---|---|
//! | `text` | trimmed string, one line |
//! | `long_text` | trimmed string, line ends as `\n` |
//! | `number` | JSON number; whole numbers as integers (`3`, not `3.0`) |
//! | `money` | string with exactly two decimals and no separators: `"1234.50"`, `"-3.00"`, `"0.05"` |
//! | `date` | string `YYYY-MM-DD` |
//! | `single_choice` | the option's text |
//! | `multiple_choice` | array of option texts, in the schema's option order |
//! | `member` / `department` | the id string, `mem_...` / `dep_...` |
//! | `attachment` | array of attachment id strings `att_...`, in the order given |
//!
//! An empty answer (null, blank text, empty list) is left out, so a stored field is never empty.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{DomainError, Reason, Rule};

mod cells;
mod filter;
mod scalars;
mod schema;
mod totals;
mod values;

pub use cells::{csv_cells, csv_header, spreadsheet_safe};
pub use filter::{Filter, FilterOp};
pub use scalars::{format_money, parse_money};
pub use totals::{Amount, Group, aggregate};

/// A form has 1 to this many fields.
pub const FIELDS_MAX: usize = 100;
/// Field keys: `[a-z][a-z0-9_]*`, at most this long.
pub const KEY_MAX: usize = 40;
pub const LABEL_MAX: usize = 80;
/// A choice field offers 1 to this many options.
pub const OPTIONS_MAX: usize = 50;
pub const OPTION_MAX: usize = 80;
pub const PATTERN_MAX: usize = 200;
/// The longest single-line text, and the default `max_length` of text fields.
pub const TEXT_MAX: usize = 200;
/// The longest long text, and the default `max_length` of long_text fields.
pub const LONG_TEXT_MAX: usize = 5000;
/// The most attachments one attachment field holds.
pub const ATTACHMENTS_MAX: usize = 10;
/// The largest amount a money field holds, in cents (999999999999.99); the smallest is its negative.
pub const MONEY_MAX_CENTS: i64 = 99_999_999_999_999;
/// The prefix of attachment ids, which follow the same rule as the typed ids of [`crate::ids`].
pub const ATTACHMENT_PREFIX: &str = "att_";

/// Compiled size limit of a field's pattern, so an admin cannot make the server build a huge automaton.
const PATTERN_SIZE_LIMIT: usize = 1 << 16;
const MONEY_FORMAT: Reason = Reason::MoneyFormat;
const DATE_FORMAT: Reason = Reason::DateFormat;
const KEY_FORMAT: Reason = Reason::FieldKeyFormat;
/// Whole numbers up to 2^53 are stored as JSON integers: every one of them is exact in an f64.
const EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// What a field asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// Several lines of text.
    LongText,
    /// Any finite number.
    Number,
    /// An amount with at most two decimals, kept exact.
    Money,
    /// A calendar date.
    Date,
    /// One of the field's options.
    SingleChoice,
    /// Any number of the field's options.
    MultipleChoice,
    /// A member of the organization, by id.
    Member,
    /// A department, by id.
    Department,
    /// Files uploaded beforehand, by id.
    Attachment,
}

text_enum!(FieldKind {
    Text = "text",
    LongText = "long_text",
    Number = "number",
    Money = "money",
    Date = "date",
    SingleChoice = "single_choice",
    MultipleChoice = "multiple_choice",
    Member = "member",
    Department = "department",
    Attachment = "attachment",
});

impl FieldKind {
    /// Whether the field offers options (and must have them).
    pub fn has_options(self) -> bool {
        matches!(self, FieldKind::SingleChoice | FieldKind::MultipleChoice)
    }
}

/// A bound of a number, money or date field, as the admin wrote it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Bound {
    Number(f64),
    Text(String),
}

/// The optional limits of a field. Each applies to some kinds only; setting one on another kind is
/// an error, so an admin never believes a limit holds that does not.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldRules {
    /// Lowest value, inclusive. number: a number (`1.5`); money: an amount as a string or number
    /// with at most 2 decimals (`"10.00"`, `10`); date: a date (`"2026-01-01"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Bound>,
    /// Highest value, inclusive; written like `min`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Bound>,
    /// text and long_text: fewest characters of an answer (after trimming).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<usize>,
    /// text and long_text: most characters, 1 to 200 for text and 1 to 5000 for long_text
    /// (those are also the defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// text and long_text: a regular expression (Rust `regex` syntax, at most 200 characters) that
    /// the whole answer must match; it is anchored at both ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// multiple_choice: fewest options an answer picks, when it picks any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<usize>,
    /// multiple_choice: most options an answer picks, 1 to the number of options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_count: Option<usize>,
}

/// One field of a form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// The field's name in values, filters and the API: `[a-z][a-z0-9_]{0,39}`, unique in the form.
    pub key: String,
    /// What people see, 1 to 80 characters.
    pub label: String,
    pub kind: FieldKind,
    /// Whether an answer must be given.
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub rules: FieldRules,
    /// single_choice and multiple_choice: 1 to 50 distinct options of 1 to 80 characters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// A form's fields, in the order they are shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    pub fields: Vec<Field>,
}

/// A submission's checked values by field key, in the formats listed in the module documentation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object)]
pub struct Values(BTreeMap<String, Value>);

impl Values {
    /// Wraps values read back from the store, which only holds values that were checked.
    pub fn from_trusted(map: BTreeMap<String, Value>) -> Self {
        Self(map)
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    pub fn as_map(&self) -> &BTreeMap<String, Value> {
        &self.0
    }

    pub fn into_map(self) -> BTreeMap<String, Value> {
        self.0
    }

    /// The values as a JSON object, e.g. to check them again against another schema version.
    pub fn to_json(&self) -> Map<String, Value> {
        self.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Schema {
    /// The field with this key.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }
}

fn is_key(key: &str) -> bool {
    let b = key.as_bytes();
    b.first().is_some_and(u8::is_ascii_lowercase)
        && b.len() <= KEY_MAX
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

/// The error for a key that names no field: under `prefix.key` when the key looks like a key, or
/// under `prefix` alone, so arbitrary input is never echoed into a field path.
fn unknown_key(prefix: &str, key: &str) -> DomainError {
    if is_key(key) {
        DomainError::invalid(format!("{prefix}.{key}"), Rule::UnknownField)
    } else {
        DomainError::invalid(prefix, Rule::Reason(Reason::UnknownFormKey))
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
