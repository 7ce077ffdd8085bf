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

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::directory::name;
use crate::error::{DomainError, Rule};
use crate::ids::{DepartmentId, MemberId};

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
const MONEY_FORMAT: &str = "an amount like 1234.50, with at most 2 decimals";
const DATE_FORMAT: &str = "a date like 2026-12-31";
const KEY_FORMAT: &str = "lowercase letters, digits and _, starting with a letter";
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

/// A field's limits, checked and ready to apply.
enum Limits {
    Text { long: bool, min: usize, max: usize, pattern: Option<Regex> },
    Number { min: Option<f64>, max: Option<f64> },
    Money { min: Option<i64>, max: Option<i64> },
    Date { min: Option<String>, max: Option<String> },
    SingleChoice,
    MultipleChoice { min: usize, max: usize },
    Member,
    Department,
    Attachment,
}

impl Schema {
    /// The field with this key.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// Checks the schema; the error names the first bad setting, e.g. `fields[2].options`.
    pub fn validate(&self) -> Result<(), DomainError> {
        self.compile().map(|_| ())
    }

    fn compile(&self) -> Result<Vec<Limits>, DomainError> {
        if self.fields.is_empty() || self.fields.len() > FIELDS_MAX {
            return Err(DomainError::invalid("fields", Rule::Count { min: 1, max: FIELDS_MAX }));
        }
        let mut keys = HashSet::new();
        let mut out = Vec::with_capacity(self.fields.len());
        for (i, f) in self.fields.iter().enumerate() {
            let key_path = format!("fields[{i}].key");
            check_key(&key_path, &f.key)?;
            if !keys.insert(f.key.as_str()) {
                return Err(DomainError::invalid(key_path, Rule::Unique));
            }
            name(&format!("fields[{i}].label"), &f.label, LABEL_MAX)?;
            check_options(i, f)?;
            out.push(limits(i, f)?);
        }
        Ok(out)
    }

    /// Checks a submission's values against the form and returns them in their stored form (see the
    /// module documentation). The error names the first bad value, e.g. `values.amount`; keys that
    /// name no field are refused. A schema that is itself invalid gives its own first error.
    pub fn check_values(&self, values: &Map<String, Value>) -> Result<Values, DomainError> {
        let limits = self.compile()?;
        if let Some(key) = values.keys().find(|k| self.field(k).is_none()) {
            return Err(unknown_key("values", key));
        }
        let mut out = BTreeMap::new();
        for (field, limits) in self.fields.iter().zip(&limits) {
            let path = format!("values.{}", field.key);
            let value = match values.get(&field.key) {
                Some(raw) => check_value(field, limits, &path, raw)?,
                None => None,
            };
            match value {
                Some(v) => {
                    out.insert(field.key.clone(), v);
                }
                None if field.required => return Err(DomainError::invalid(path, Rule::Required)),
                None => {}
            }
        }
        Ok(Values(out))
    }

    /// The member ids the values refer to, once each, for the service to check they exist.
    pub fn member_refs(&self, values: &Values) -> Vec<String> {
        self.refs(values, FieldKind::Member)
    }

    /// The department ids the values refer to, once each.
    pub fn department_refs(&self, values: &Values) -> Vec<String> {
        self.refs(values, FieldKind::Department)
    }

    /// The attachment ids the values refer to, once each.
    pub fn attachment_refs(&self, values: &Values) -> Vec<String> {
        self.refs(values, FieldKind::Attachment)
    }

    fn refs(&self, values: &Values, kind: FieldKind) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for f in self.fields.iter().filter(|f| f.kind == kind) {
            let ids: Vec<&str> = match values.get(&f.key) {
                Some(Value::String(s)) => vec![s.as_str()],
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            for id in ids {
                if !out.iter().any(|o| o == id) {
                    out.push(id.to_owned());
                }
            }
        }
        out
    }
}

fn is_key(key: &str) -> bool {
    let b = key.as_bytes();
    b.first().is_some_and(u8::is_ascii_lowercase)
        && b.len() <= KEY_MAX
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

fn check_key(path: &str, key: &str) -> Result<(), DomainError> {
    if key.is_empty() {
        return Err(DomainError::invalid(path, Rule::Required));
    }
    if key.chars().count() > KEY_MAX {
        return Err(DomainError::invalid(path, Rule::TooLong(KEY_MAX)));
    }
    if !is_key(key) {
        return Err(DomainError::invalid(path, Rule::Format(KEY_FORMAT)));
    }
    Ok(())
}

/// The error for a key that names no field: under `prefix.key` when the key looks like a key, or
/// under `prefix` alone, so arbitrary input is never echoed into a field path.
fn unknown_key(prefix: &str, key: &str) -> DomainError {
    if is_key(key) {
        DomainError::invalid(format!("{prefix}.{key}"), Rule::UnknownField)
    } else {
        DomainError::invalid(prefix, Rule::Custom("has a key that is not a field of this form"))
    }
}

fn check_options(i: usize, f: &Field) -> Result<(), DomainError> {
    let path = format!("fields[{i}].options");
    if !f.kind.has_options() {
        if f.options.is_empty() {
            return Ok(());
        }
        return Err(DomainError::invalid(path, Rule::NotFor(f.kind.as_str())));
    }
    if f.options.is_empty() || f.options.len() > OPTIONS_MAX {
        return Err(DomainError::invalid(path, Rule::Count { min: 1, max: OPTIONS_MAX }));
    }
    let mut seen = HashSet::new();
    for (j, option) in f.options.iter().enumerate() {
        let at = format!("{path}[{j}]");
        if name(&at, option, OPTION_MAX)? != *option {
            return Err(DomainError::invalid(at, Rule::Format("text without spaces at either end")));
        }
        if !seen.insert(option.as_str()) {
            return Err(DomainError::invalid(at, Rule::Unique));
        }
    }
    Ok(())
}

/// Which rules apply to which kinds.
fn rule_applies(kind: FieldKind, rule: &str) -> bool {
    use FieldKind::*;
    match rule {
        "min" | "max" => matches!(kind, Number | Money | Date),
        "min_length" | "max_length" | "pattern" => matches!(kind, Text | LongText),
        "min_count" | "max_count" => kind == MultipleChoice,
        _ => false,
    }
}

fn limits(i: usize, f: &Field) -> Result<Limits, DomainError> {
    let r = &f.rules;
    let at = |rule: &str| format!("fields[{i}].rules.{rule}");
    let set = [
        ("min", r.min.is_some()),
        ("max", r.max.is_some()),
        ("min_length", r.min_length.is_some()),
        ("max_length", r.max_length.is_some()),
        ("pattern", r.pattern.is_some()),
        ("min_count", r.min_count.is_some()),
        ("max_count", r.max_count.is_some()),
    ];
    if let Some((rule, _)) = set.iter().find(|(rule, is_set)| *is_set && !rule_applies(f.kind, rule)) {
        return Err(DomainError::invalid(at(rule), Rule::NotFor(f.kind.as_str())));
    }
    let ordered = |min_is_more: bool| {
        if min_is_more {
            Err(DomainError::invalid(at("min"), Rule::Custom("must not be more than max")))
        } else {
            Ok(())
        }
    };
    Ok(match f.kind {
        FieldKind::Text | FieldKind::LongText => {
            let long = f.kind == FieldKind::LongText;
            let cap = if long { LONG_TEXT_MAX } else { TEXT_MAX };
            let max = match r.max_length {
                Some(m) if m < 1 || m > cap => {
                    return Err(DomainError::invalid(at("max_length"), Rule::Range { min: 1, max: cap as i64 }));
                }
                Some(m) => m,
                None => cap,
            };
            let min = match r.min_length {
                Some(m) if m > max => {
                    return Err(DomainError::invalid(at("min_length"), Rule::Range { min: 0, max: max as i64 }));
                }
                Some(m) => m,
                None => 0,
            };
            let pattern = r.pattern.as_deref().map(|p| compile_pattern(&at("pattern"), p)).transpose()?;
            Limits::Text { long, min, max, pattern }
        }
        FieldKind::Number => {
            let bound = |rule: &str, b: &Bound| match b {
                Bound::Number(n) if n.is_finite() => Ok(*n),
                _ => Err(DomainError::invalid(at(rule), Rule::Format("a number"))),
            };
            let min = r.min.as_ref().map(|b| bound("min", b)).transpose()?;
            let max = r.max.as_ref().map(|b| bound("max", b)).transpose()?;
            ordered(matches!((min, max), (Some(lo), Some(hi)) if lo > hi))?;
            Limits::Number { min, max }
        }
        FieldKind::Money => {
            let bound = |rule: &str, b: &Bound| match b {
                Bound::Number(n) if n.is_finite() => parse_money(&at(rule), &n.to_string()),
                Bound::Number(_) => Err(DomainError::invalid(at(rule), Rule::Format(MONEY_FORMAT))),
                Bound::Text(t) => parse_money(&at(rule), t),
            };
            let min = r.min.as_ref().map(|b| bound("min", b)).transpose()?;
            let max = r.max.as_ref().map(|b| bound("max", b)).transpose()?;
            ordered(matches!((min, max), (Some(lo), Some(hi)) if lo > hi))?;
            Limits::Money { min, max }
        }
        FieldKind::Date => {
            let bound = |rule: &str, b: &Bound| match b {
                Bound::Text(t) => check_date(&at(rule), t.trim()),
                Bound::Number(_) => Err(DomainError::invalid(at(rule), Rule::Format(DATE_FORMAT))),
            };
            let min = r.min.as_ref().map(|b| bound("min", b)).transpose()?;
            let max = r.max.as_ref().map(|b| bound("max", b)).transpose()?;
            ordered(matches!((&min, &max), (Some(lo), Some(hi)) if lo > hi))?;
            Limits::Date { min, max }
        }
        FieldKind::MultipleChoice => {
            let n = f.options.len();
            let max = match r.max_count {
                Some(m) if m < 1 || m > n => {
                    return Err(DomainError::invalid(at("max_count"), Rule::Range { min: 1, max: n as i64 }));
                }
                Some(m) => m,
                None => n,
            };
            let min = match r.min_count {
                Some(m) if m > max => {
                    return Err(DomainError::invalid(at("min_count"), Rule::Range { min: 0, max: max as i64 }));
                }
                Some(m) => m,
                None => 0,
            };
            Limits::MultipleChoice { min, max }
        }
        FieldKind::SingleChoice => Limits::SingleChoice,
        FieldKind::Member => Limits::Member,
        FieldKind::Department => Limits::Department,
        FieldKind::Attachment => Limits::Attachment,
    })
}

/// Compiles a field's pattern anchored at both ends, within a size limit.
fn compile_pattern(path: &str, pattern: &str) -> Result<Regex, DomainError> {
    if pattern.chars().count() > PATTERN_MAX {
        return Err(DomainError::invalid(path, Rule::TooLong(PATTERN_MAX)));
    }
    let bad = |e: regex::Error| match e {
        regex::Error::CompiledTooBig(_) => DomainError::invalid(path, Rule::Custom("is too complex; simplify it")),
        _ => DomainError::invalid(path, Rule::Format("a valid regular expression")),
    };
    if pattern.is_empty() {
        return Err(DomainError::invalid(path, Rule::Format("a valid regular expression")));
    }
    let build =
        |p: &str| RegexBuilder::new(p).size_limit(PATTERN_SIZE_LIMIT).dfa_size_limit(PATTERN_SIZE_LIMIT * 16).build();
    // The pattern alone first, so `a)|(b` cannot escape the anchoring group.
    build(pattern).map_err(bad)?;
    build(&format!("^(?:{pattern})$")).map_err(bad)
}

/// Parses an amount: an optional `-`, 1 to 12 whole digits, and optionally `.` with 1 or 2 decimals
/// (`1234.5`, `-3`, `0.05`; no `+`, separators or exponents). Returns cents.
pub fn parse_money(field: &str, text: &str) -> Result<i64, DomainError> {
    let bad = || DomainError::invalid(field, Rule::Format(MONEY_FORMAT));
    let text = text.trim();
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = match body.split_once('.') {
        Some((_, "")) => return Err(bad()),
        Some((w, f)) => (w, f),
        None => (body, ""),
    };
    if whole.is_empty() || frac.len() > 2 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let whole = whole.trim_start_matches('0');
    if whole.len() > 12 {
        return Err(DomainError::invalid(
            field,
            Rule::Between { min: format_money(-MONEY_MAX_CENTS), max: format_money(MONEY_MAX_CENTS) },
        ));
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    let cents = whole * 100 + cents;
    Ok(if negative { -cents } else { cents })
}

/// Renders cents as the stored amount: `-`, whole units, `.` and two decimals (`1234.50`).
pub fn format_money(cents: i64) -> String {
    money_text(i128::from(cents))
}

fn money_text(cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A `YYYY-MM-DD` date that exists (from 1900 on), digits only.
fn check_date(path: &str, text: &str) -> Result<String, DomainError> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    if !shaped {
        return Err(DomainError::invalid(path, Rule::Format(DATE_FORMAT)));
    }
    crate::network::date(path, text)
}

/// A number typed as text: anything Rust reads as a finite f64 (`12`, `-0.5`, `1e3`).
fn parse_number(path: &str, text: &str) -> Result<f64, DomainError> {
    match text.trim().parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(n),
        _ => Err(DomainError::invalid(path, Rule::Format("a number"))),
    }
}

/// Whole numbers become JSON integers, the rest stay floats.
fn number_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < EXACT_INTEGER {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

/// The error when a value is outside `min..=max`, each bound shown by `show`.
fn out_of_range<T: PartialOrd>(
    path: &str,
    value: &T,
    min: Option<&T>,
    max: Option<&T>,
    show: impl Fn(&T) -> String,
) -> Result<(), DomainError> {
    let below = min.is_some_and(|m| value < m);
    let above = max.is_some_and(|m| value > m);
    if !below && !above {
        return Ok(());
    }
    let rule = match (min, max) {
        (Some(lo), Some(hi)) => Rule::Between { min: show(lo), max: show(hi) },
        (Some(lo), None) => Rule::AtLeast(show(lo)),
        (None, Some(hi)) => Rule::AtMost(show(hi)),
        (None, None) => return Ok(()),
    };
    Err(DomainError::invalid(path, rule))
}

/// A string value trimmed, or `None` when blank; `Err(())` when it is not a string.
fn trimmed(raw: &Value) -> Result<Option<&str>, ()> {
    match raw {
        Value::String(s) => Ok(Some(s.trim()).filter(|t| !t.is_empty())),
        _ => Err(()),
    }
}

fn is_attachment_id(text: &str) -> bool {
    text.strip_prefix(ATTACHMENT_PREFIX).is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= 64
            && rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    })
}

/// Checks one value; `None` means the answer is empty.
fn check_value(field: &Field, limits: &Limits, path: &str, raw: &Value) -> Result<Option<Value>, DomainError> {
    if raw.is_null() {
        return Ok(None);
    }
    let invalid = |rule: Rule| DomainError::invalid(path, rule);
    Ok(Some(match limits {
        Limits::Text { long, min, max, pattern } => {
            let Value::String(s) = raw else { return Err(invalid(Rule::Format("text"))) };
            let text = if *long { s.trim().replace("\r\n", "\n").replace('\r', "\n") } else { s.trim().to_owned() };
            if text.is_empty() {
                return Ok(None);
            }
            let count = text.chars().count();
            if count > *max {
                return Err(invalid(Rule::TooLong(*max)));
            }
            if text.chars().any(|c| c.is_control() && !(*long && (c == '\n' || c == '\t'))) {
                return Err(invalid(Rule::NoControlCharacters));
            }
            if count < *min {
                return Err(invalid(Rule::TooShort(*min)));
            }
            if pattern.as_ref().is_some_and(|re| !re.is_match(&text)) {
                return Err(invalid(Rule::Format("text matching the field's pattern")));
            }
            Value::String(text)
        }
        Limits::Number { min, max } => {
            let (n, value) = match raw {
                Value::Number(n) => match n.as_f64() {
                    Some(f) if n.is_f64() => (f, number_value(f)),
                    Some(f) => (f, raw.clone()),
                    None => return Err(invalid(Rule::Format("a number"))),
                },
                Value::String(s) if s.trim().is_empty() => return Ok(None),
                Value::String(s) => {
                    let n = parse_number(path, s)?;
                    (n, number_value(n))
                }
                _ => return Err(invalid(Rule::Format("a number"))),
            };
            out_of_range(path, &n, min.as_ref(), max.as_ref(), |b| b.to_string())?;
            value
        }
        Limits::Money { min, max } => {
            let cents = match raw {
                Value::String(s) if s.trim().is_empty() => return Ok(None),
                Value::String(s) => parse_money(path, s)?,
                Value::Number(n) => parse_money(path, &n.to_string())?,
                _ => return Err(invalid(Rule::Format(MONEY_FORMAT))),
            };
            out_of_range(path, &cents, min.as_ref(), max.as_ref(), |c| format_money(*c))?;
            Value::String(format_money(cents))
        }
        Limits::Date { min, max } => {
            let Some(text) = trimmed(raw).map_err(|()| invalid(Rule::Format(DATE_FORMAT)))? else { return Ok(None) };
            let date = check_date(path, text)?;
            out_of_range(path, &date, min.as_ref(), max.as_ref(), String::clone)?;
            Value::String(date)
        }
        Limits::SingleChoice => {
            let Some(text) = trimmed(raw).map_err(|()| invalid(Rule::NotAnOption))? else { return Ok(None) };
            if !field.options.iter().any(|o| o == text) {
                return Err(invalid(Rule::NotAnOption));
            }
            Value::String(text.to_owned())
        }
        Limits::MultipleChoice { min, max } => {
            let Value::Array(items) = raw else { return Err(invalid(Rule::Format("a list of the field's options"))) };
            let mut chosen = HashSet::new();
            for (j, item) in items.iter().enumerate() {
                let at = || format!("{path}[{j}]");
                let text = item
                    .as_str()
                    .map(str::trim)
                    .filter(|t| field.options.iter().any(|o| o == t))
                    .ok_or_else(|| DomainError::invalid(at(), Rule::NotAnOption))?;
                if !chosen.insert(text) {
                    return Err(DomainError::invalid(at(), Rule::Repeated));
                }
            }
            if chosen.is_empty() {
                return Ok(None);
            }
            if chosen.len() < *min || chosen.len() > *max {
                return Err(invalid(Rule::Count { min: *min, max: *max }));
            }
            Value::Array(
                field
                    .options
                    .iter()
                    .filter(|o| chosen.contains(o.as_str()))
                    .map(|o| Value::String(o.clone()))
                    .collect(),
            )
        }
        Limits::Member => {
            let rule = || invalid(Rule::IdPrefix(MemberId::PREFIX));
            let Some(text) = trimmed(raw).map_err(|()| rule())? else { return Ok(None) };
            Value::String(MemberId::parse(text).map_err(|_| rule())?.to_string())
        }
        Limits::Department => {
            let rule = || invalid(Rule::IdPrefix(DepartmentId::PREFIX));
            let Some(text) = trimmed(raw).map_err(|()| rule())? else { return Ok(None) };
            Value::String(DepartmentId::parse(text).map_err(|_| rule())?.to_string())
        }
        Limits::Attachment => {
            let Value::Array(items) = raw else { return Err(invalid(Rule::Format("a list of attachment ids"))) };
            if items.len() > ATTACHMENTS_MAX {
                return Err(invalid(Rule::TooMany(ATTACHMENTS_MAX)));
            }
            let mut ids: Vec<Value> = Vec::with_capacity(items.len());
            for (j, item) in items.iter().enumerate() {
                let at = || format!("{path}[{j}]");
                let id = item
                    .as_str()
                    .map(str::trim)
                    .filter(|t| is_attachment_id(t))
                    .ok_or_else(|| DomainError::invalid(at(), Rule::IdPrefix(ATTACHMENT_PREFIX)))?;
                if ids.iter().any(|v| v.as_str() == Some(id)) {
                    return Err(DomainError::invalid(at(), Rule::Repeated));
                }
                ids.push(Value::String(id.to_owned()));
            }
            if ids.is_empty() {
                return Ok(None);
            }
            Value::Array(ids)
        }
    }))
}

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
            return Err(DomainError::invalid(path, Rule::Custom("cannot be filtered")));
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
            FieldKind::Attachment => return Err(DomainError::invalid(path, Rule::Custom("cannot be filtered"))),
        };
        Ok(Filter { field: f.key.clone(), op, operand })
    }

    /// Parses the query-string form `field:op:value`, e.g. `amount:ge:100`; the value may itself
    /// contain colons (`note:contains:a:b`).
    pub fn parse_query(schema: &Schema, text: &str) -> Result<Filter, DomainError> {
        let bad = || DomainError::invalid("filter", Rule::Format("field:op:value, like amount:ge:100"));
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

/// A total: a number for number fields, an amount string like `"1234.50"` for money fields.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Amount {
    Number(f64),
    Money(String),
}

/// One group of submissions and, when asked, the total of one field over it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Group {
    /// The `by` field's value as text (the option, date, id or text); `""` for rows without one,
    /// and for the single group when there is no `by`.
    pub key: String,
    /// Submissions in the group.
    pub count: u64,
    /// Total of the `of` field over the group's submissions that have a value (money exact to the
    /// cent); absent without `of`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sum: Option<Amount>,
    /// `sum` divided by the number of submissions that have a value (money rounded half away from
    /// zero to the cent); absent without `of` or when none has a value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average: Option<Amount>,
}

#[derive(Default)]
struct Tally {
    count: u64,
    valued: u64,
    cents: i128,
    total: f64,
}

/// The kinds a submission list may be grouped by.
fn groups_by(kind: FieldKind) -> bool {
    use FieldKind::*;
    matches!(kind, Text | SingleChoice | MultipleChoice | Date | Member | Department)
}

/// Groups submissions by the `by` field (a text, choice, date, member or department field; a
/// multiple-choice answer counts in the group of each option it picks) and totals the `of` field (a
/// number or money field). Without `by` there is one group with key `""`, even for no rows; with it
/// one group per key, sorted by key. Errors name `by` or `of`.
pub fn aggregate<'a>(
    schema: &Schema,
    rows: impl IntoIterator<Item = &'a Values>,
    by: Option<&str>,
    of: Option<&str>,
) -> Result<Vec<Group>, DomainError> {
    let pick = |what: &'static str, key: Option<&str>, fits: fn(FieldKind) -> bool, rule: &'static str| match key
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        None => Ok(None),
        Some(key) => match schema.field(key) {
            None if is_key(key) => Err(DomainError::invalid(what, Rule::UnknownField)),
            None => Err(unknown_key(what, key)),
            Some(f) if fits(f.kind) => Ok(Some(f)),
            Some(_) => Err(DomainError::invalid(what, Rule::Format(rule))),
        },
    };
    let by = pick("by", by, groups_by, "a text, choice, date, member or department field")?;
    let of = pick("of", of, |k| matches!(k, FieldKind::Number | FieldKind::Money), "a number or money field")?;
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    if by.is_none() {
        groups.insert(String::new(), Tally::default());
    }
    for row in rows {
        let keys = match by {
            None => vec![String::new()],
            Some(f) => group_keys(row.get(&f.key)),
        };
        let amount = of.and_then(|f| row.get(&f.key));
        for key in keys {
            let tally = groups.entry(key).or_default();
            tally.count += 1;
            match (of.map(|f| f.kind), amount) {
                (Some(FieldKind::Money), Some(v)) => {
                    let cents = match v {
                        Value::String(s) => parse_money("", s).ok(),
                        Value::Number(n) => parse_money("", &n.to_string()).ok(),
                        _ => None,
                    };
                    if let Some(c) = cents {
                        tally.valued += 1;
                        tally.cents += i128::from(c);
                    }
                }
                (Some(_), Some(Value::Number(n))) => {
                    if let Some(n) = n.as_f64() {
                        tally.valued += 1;
                        tally.total += n;
                    }
                }
                _ => {}
            }
        }
    }
    let money = of.is_some_and(|f| f.kind == FieldKind::Money);
    Ok(groups
        .into_iter()
        .map(|(key, t)| {
            let (sum, average) = match of {
                None => (None, None),
                Some(_) if money => (
                    Some(Amount::Money(money_text(t.cents))),
                    (t.valued > 0).then(|| Amount::Money(money_text(divide_rounded(t.cents, i128::from(t.valued))))),
                ),
                Some(_) => {
                    (Some(Amount::Number(t.total)), (t.valued > 0).then(|| Amount::Number(t.total / t.valued as f64)))
                }
            };
            Group { key, count: t.count, sum, average }
        })
        .collect())
}

/// `n / d` rounded half away from zero; `d` is positive.
fn divide_rounded(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    if 2 * r.abs() >= d { q + n.signum() } else { q }
}

/// The groups a value falls in.
fn group_keys(value: Option<&Value>) -> Vec<String> {
    match value {
        None | Some(Value::Null) => vec![String::new()],
        Some(Value::Array(items)) if !items.is_empty() => {
            let mut keys: Vec<String> = Vec::with_capacity(items.len());
            for item in items {
                let key = text_of(item);
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            keys
        }
        Some(Value::Array(_)) => vec![String::new()],
        Some(v) => vec![text_of(v)],
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

/// Text a spreadsheet will not run as a formula: a cell starting with `=`, `+`, `@`, a tab or a
/// carriage return, or `-` when it is not a number, gets a leading `'`.
pub fn spreadsheet_safe(text: String) -> String {
    let risky = match text.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => text.parse::<f64>().is_err(),
        _ => false,
    };
    if risky { format!("'{text}") } else { text }
}

/// The CSV header of a form's fields: their labels, in order.
pub fn csv_header(schema: &Schema) -> Vec<String> {
    schema.fields.iter().map(|f| spreadsheet_safe(f.label.trim().to_owned())).collect()
}

/// One submission's cells, in the order of [`csv_header`]: text as is, lists (multiple choice,
/// attachments) joined with `; `, missing values empty. Cells a spreadsheet would run as formulas
/// are defused with a leading `'`.
pub fn csv_cells(schema: &Schema, values: &Values) -> Vec<String> {
    schema.fields.iter().map(|f| spreadsheet_safe(values.get(&f.key).map(text_of).unwrap_or_default())).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

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

    #[test]
    fn the_sample_schema_is_valid_and_round_trips_through_json() {
        let s = sample();
        s.validate().unwrap();
        let back: Schema = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn unknown_schema_properties_do_not_deserialize() {
        assert!(serde_json::from_value::<Schema>(json!({"fields": [], "x": 1})).is_err());
        assert!(serde_json::from_value::<Schema>(json!({"fields": [field(json!({"help": "x"}))]})).is_err());
        assert!(serde_json::from_value::<Schema>(json!({"fields": [field(json!({"rules": {"step": 1}}))]})).is_err());
        assert!(serde_json::from_value::<Schema>(json!({"fields": [field(json!({"kind": "boolean"}))]})).is_err());
    }

    #[test]
    fn schema_field_count_keys_and_labels() {
        assert_eq!(schema_error(vec![]), "fields must have between 1 and 100 entries");
        let many: Vec<Value> = (0..101).map(|i| field(json!({"key": format!("f{i}")}))).collect();
        assert_eq!(schema_error(many), "fields must have between 1 and 100 entries");
        let hundred: Vec<Value> = (0..100).map(|i| field(json!({"key": format!("f{i}")}))).collect();
        schema(json!({ "fields": hundred })).validate().unwrap();

        assert_eq!(schema_error(vec![field(json!({"key": ""}))]), "fields[0].key is required");
        let format = "fields[0].key must be lowercase letters, digits and _, starting with a letter";
        for bad in ["Bad", "1a", "_a", "a-b", "a b", "é"] {
            assert_eq!(schema_error(vec![field(json!({ "key": bad }))]), format, "{bad}");
        }
        assert_eq!(
            schema_error(vec![field(json!({"key": "a".repeat(41)}))]),
            "fields[0].key must be at most 40 characters"
        );
        schema(json!({"fields": [field(json!({"key": format!("a{}", "_9".repeat(19)) + "z"}))]})).validate().unwrap();
        assert_eq!(
            schema_error(vec![field(json!({"key": "a"})), field(json!({"key": "b"})), field(json!({"key": "a"}))]),
            "fields[2].key is already taken"
        );

        assert_eq!(schema_error(vec![field(json!({"label": "  "}))]), "fields[0].label is required");
        assert_eq!(
            schema_error(vec![field(json!({"label": "x".repeat(81)}))]),
            "fields[0].label must be at most 80 characters"
        );
        assert_eq!(
            schema_error(vec![field(json!({"label": "a\u{7}b"}))]),
            "fields[0].label must not contain control characters"
        );
    }

    #[test]
    fn schema_options() {
        let choice = |options: Value| field(json!({"kind": "single_choice", "options": options}));
        assert_eq!(schema_error(vec![choice(json!([]))]), "fields[0].options must have between 1 and 50 entries");
        let many: Vec<String> = (0..51).map(|i| format!("o{i}")).collect();
        assert_eq!(schema_error(vec![choice(json!(many))]), "fields[0].options must have between 1 and 50 entries");
        assert_eq!(
            schema_error(vec![field(json!({"kind": "multiple_choice"}))]),
            "fields[0].options must have between 1 and 50 entries"
        );
        assert_eq!(schema_error(vec![choice(json!(["a", ""]))]), "fields[0].options[1] is required");
        assert_eq!(schema_error(vec![choice(json!(["a", "a"]))]), "fields[0].options[1] is already taken");
        assert_eq!(
            schema_error(vec![choice(json!([" a"]))]),
            "fields[0].options[0] must be text without spaces at either end"
        );
        assert_eq!(
            schema_error(vec![choice(json!(["x".repeat(81)]))]),
            "fields[0].options[0] must be at most 80 characters"
        );
        assert_eq!(
            schema_error(vec![choice(json!(["a\nb"]))]),
            "fields[0].options[0] must not contain control characters"
        );
        assert_eq!(
            schema_error(vec![field(json!({"options": ["a"]}))]),
            "fields[0].options does not apply to text fields"
        );
        assert_eq!(
            schema_error(vec![field(json!({"kind": "member", "options": ["a"]}))]),
            "fields[0].options does not apply to member fields"
        );
    }

    #[test]
    fn schema_rules_apply_only_where_they_make_sense() {
        let cases = [
            (
                json!({"kind": "number", "rules": {"pattern": "a"}}),
                "fields[0].rules.pattern does not apply to number fields",
            ),
            (json!({"kind": "text", "rules": {"min": 1}}), "fields[0].rules.min does not apply to text fields"),
            (
                json!({"kind": "date", "rules": {"max_length": 3}}),
                "fields[0].rules.max_length does not apply to date fields",
            ),
            (
                json!({"kind": "money", "rules": {"min_length": 3}}),
                "fields[0].rules.min_length does not apply to money fields",
            ),
            (
                json!({"kind": "single_choice", "options": ["a"], "rules": {"max_count": 1}}),
                "fields[0].rules.max_count does not apply to single_choice fields",
            ),
            (
                json!({"kind": "text", "rules": {"min_count": 1}}),
                "fields[0].rules.min_count does not apply to text fields",
            ),
            (
                json!({"kind": "attachment", "rules": {"max": 3}}),
                "fields[0].rules.max does not apply to attachment fields",
            ),
        ];
        for (extra, message) in cases {
            assert_eq!(schema_error(vec![field(extra)]), message);
        }
    }

    #[test]
    fn schema_bounds() {
        let cases = [
            (json!({"kind": "number", "rules": {"min": 5, "max": 1}}), "fields[0].rules.min must not be more than max"),
            (json!({"kind": "number", "rules": {"min": "x"}}), "fields[0].rules.min must be a number"),
            (json!({"kind": "number", "rules": {"max": "5"}}), "fields[0].rules.max must be a number"),
            (
                json!({"kind": "money", "rules": {"min": "1.234"}}),
                "fields[0].rules.min must be an amount like 1234.50, with at most 2 decimals",
            ),
            (
                json!({"kind": "money", "rules": {"max": 0.001}}),
                "fields[0].rules.max must be an amount like 1234.50, with at most 2 decimals",
            ),
            (
                json!({"kind": "money", "rules": {"min": "10", "max": 9.99}}),
                "fields[0].rules.min must not be more than max",
            ),
            (
                json!({"kind": "date", "rules": {"max": "2026-02-30"}}),
                "fields[0].rules.max must be a date like 2026-12-31",
            ),
            (json!({"kind": "date", "rules": {"min": 20260101}}), "fields[0].rules.min must be a date like 2026-12-31"),
            (
                json!({"kind": "date", "rules": {"min": "2026-02-01", "max": "2026-01-31"}}),
                "fields[0].rules.min must not be more than max",
            ),
            (json!({"rules": {"max_length": 201}}), "fields[0].rules.max_length must be between 1 and 200"),
            (json!({"rules": {"max_length": 0}}), "fields[0].rules.max_length must be between 1 and 200"),
            (
                json!({"kind": "long_text", "rules": {"max_length": 5001}}),
                "fields[0].rules.max_length must be between 1 and 5000",
            ),
            (
                json!({"rules": {"min_length": 30, "max_length": 20}}),
                "fields[0].rules.min_length must be between 0 and 20",
            ),
            (json!({"rules": {"min_length": 201}}), "fields[0].rules.min_length must be between 0 and 200"),
            (
                json!({"kind": "multiple_choice", "options": ["a", "b", "c"], "rules": {"max_count": 4}}),
                "fields[0].rules.max_count must be between 1 and 3",
            ),
            (
                json!({"kind": "multiple_choice", "options": ["a", "b", "c"], "rules": {"max_count": 0}}),
                "fields[0].rules.max_count must be between 1 and 3",
            ),
            (
                json!({"kind": "multiple_choice", "options": ["a", "b", "c"], "rules": {"min_count": 3, "max_count": 2}}),
                "fields[0].rules.min_count must be between 0 and 2",
            ),
        ];
        for (extra, message) in cases {
            assert_eq!(schema_error(vec![field(extra.clone())]), message, "{extra}");
        }
        let ok = [
            json!({"kind": "number", "rules": {"min": -1.5, "max": -1.5}}),
            json!({"kind": "money", "rules": {"min": 0, "max": "12.5"}}),
            json!({"kind": "date", "rules": {"min": "2026-01-01", "max": "2026-01-01"}}),
            json!({"kind": "multiple_choice", "options": ["a", "b"], "rules": {"min_count": 2, "max_count": 2}}),
        ];
        for extra in ok {
            schema(json!({"fields": [field(extra)]})).validate().unwrap();
        }
    }

    #[test]
    fn schema_patterns() {
        let pattern = |p: &str| schema_error(vec![field(json!({"rules": {"pattern": p}}))]);
        assert_eq!(pattern("("), "fields[0].rules.pattern must be a valid regular expression");
        assert_eq!(pattern(""), "fields[0].rules.pattern must be a valid regular expression");
        assert_eq!(pattern("a)|(b"), "fields[0].rules.pattern must be a valid regular expression");
        assert_eq!(pattern(&"a".repeat(201)), "fields[0].rules.pattern must be at most 200 characters");
        assert_eq!(pattern(r"\w{1000}"), "fields[0].rules.pattern is too complex; simplify it");
        assert_eq!(pattern("(a{100}){100}"), "fields[0].rules.pattern is too complex; simplify it");
    }

    #[test]
    fn unknown_and_required_values() {
        assert_eq!(value_error(json!({"zzz": 1})), "values.zzz is not a field of this form");
        assert_eq!(value_error(json!({"A B": 1})), "values has a key that is not a field of this form");
        let err = sample().check_values(&Map::new()).unwrap_err();
        assert_eq!(err.to_string(), "values.title is required");
        assert_eq!(err.field(), Some("values.title"));
        for blank in [json!(null), json!(""), json!("   ")] {
            assert_eq!(value_error(json!({ "title": blank })), "values.title is required");
        }
        // Optional fields may be absent, null or empty, and are then left out.
        let v =
            check(json!({"notes": " ", "qty": null, "amount": "", "tags": [], "files": [], "owner": null})).unwrap();
        assert_eq!(v.as_map().keys().collect::<Vec<_>>(), vec!["title"]);
    }

    #[test]
    fn text_values() {
        assert_eq!(value_error(json!({"title": "x".repeat(21)})), "values.title must be at most 20 characters");
        assert_eq!(value_error(json!({"title": "a"})), "values.title must be at least 2 characters");
        assert_eq!(value_error(json!({"title": "ab1"})), "values.title must be text matching the field's pattern");
        assert_eq!(value_error(json!({"title": "a\nb"})), "values.title must not contain control characters");
        assert_eq!(value_error(json!({"title": 5})), "values.title must be text");
        assert_eq!(value_error(json!({"title": ["ab"]})), "values.title must be text");
        assert_eq!(stored(json!({"title": "  Big Order "}), "title"), json!("Big Order"));

        assert_eq!(stored(json!({"notes": " one\r\ntwo\rthree\tfour\n"}), "notes"), json!("one\ntwo\nthree\tfour"));
        assert_eq!(value_error(json!({"notes": "a\u{0}b"})), "values.notes must not contain control characters");
        assert_eq!(value_error(json!({"notes": "x".repeat(5001)})), "values.notes must be at most 5000 characters");
        assert_eq!(stored(json!({"notes": "é".repeat(5000)}), "notes"), json!("é".repeat(5000)));

        let plain = schema(json!({"fields": [{"key": "t", "label": "T", "kind": "text"}]}));
        let long: Map<String, Value> = [("t".to_owned(), json!("x".repeat(201)))].into_iter().collect();
        assert_eq!(plain.check_values(&long).unwrap_err().to_string(), "values.t must be at most 200 characters");
    }

    #[test]
    fn number_values() {
        assert_eq!(value_error(json!({"qty": "abc"})), "values.qty must be a number");
        assert_eq!(value_error(json!({"qty": "NaN"})), "values.qty must be a number");
        assert_eq!(value_error(json!({"qty": "inf"})), "values.qty must be a number");
        assert_eq!(value_error(json!({"qty": true})), "values.qty must be a number");
        assert_eq!(value_error(json!({"qty": 0})), "values.qty must be between 1 and 100");
        assert_eq!(value_error(json!({"qty": 100.5})), "values.qty must be between 1 and 100");
        assert_eq!(stored(json!({"qty": "7"}), "qty"), json!(7));
        assert_eq!(stored(json!({"qty": 3.0}), "qty"), json!(3));
        assert_eq!(stored(json!({"qty": 2.5}), "qty"), json!(2.5));
        assert_eq!(stored(json!({"qty": " 1e1 "}), "qty"), json!(10));

        let one_sided = schema(json!({"fields": [
            {"key": "lo", "label": "Lo", "kind": "number", "rules": {"min": 0.5}},
            {"key": "hi", "label": "Hi", "kind": "number", "rules": {"max": -2}},
        ]}));
        let err = |k: &str, v: Value| one_sided.check_values(&[(k.to_owned(), v)].into_iter().collect()).unwrap_err();
        assert_eq!(err("lo", json!(0)).to_string(), "values.lo must be at least 0.5");
        assert_eq!(err("hi", json!(-1)).to_string(), "values.hi must be at most -2");
    }

    #[test]
    fn money_values() {
        let format = "values.amount must be an amount like 1234.50, with at most 2 decimals";
        for bad in [
            json!("1.234"),
            json!("1,000"),
            json!("1."),
            json!(".5"),
            json!("+5"),
            json!("1e3"),
            json!("-"),
            json!(true),
        ] {
            assert_eq!(value_error(json!({ "amount": bad })), format, "{bad}");
        }
        assert_eq!(value_error(json!({"amount": "-1"})), "values.amount must be between 0.00 and 10000.00");
        assert_eq!(value_error(json!({"amount": "10000.01"})), "values.amount must be between 0.00 and 10000.00");
        assert_eq!(
            value_error(json!({"amount": "1000000000000"})),
            "values.amount must be between -999999999999.99 and 999999999999.99"
        );
        assert_eq!(stored(json!({"amount": "1234.5"}), "amount"), json!("1234.50"));
        assert_eq!(stored(json!({"amount": " 0007.05 "}), "amount"), json!("7.05"));
        assert_eq!(stored(json!({"amount": 12}), "amount"), json!("12.00"));
        assert_eq!(stored(json!({"amount": 0.1}), "amount"), json!("0.10"));
        assert_eq!(stored(json!({"amount": 10000}), "amount"), json!("10000.00"));
        assert_eq!(stored(json!({"amount": "-0"}), "amount"), json!("0.00"));
    }

    #[test]
    fn date_values() {
        assert_eq!(value_error(json!({"due": "2025-12-31"})), "values.due must be at least 2026-01-01");
        for bad in [json!("2026-02-30"), json!("2026-+1-01"), json!("2026-1-01"), json!("26-01-01"), json!(20260101)] {
            assert_eq!(value_error(json!({ "due": bad })), "values.due must be a date like 2026-12-31", "{bad}");
        }
        assert_eq!(stored(json!({"due": " 2028-02-29 "}), "due"), json!("2028-02-29"));
    }

    #[test]
    fn choice_values() {
        assert_eq!(value_error(json!({"region": "East"})), "values.region must be one of the field's options");
        assert_eq!(value_error(json!({"region": "north"})), "values.region must be one of the field's options");
        assert_eq!(value_error(json!({"region": ["North"]})), "values.region must be one of the field's options");
        assert_eq!(stored(json!({"region": " North "}), "region"), json!("North"));

        assert_eq!(value_error(json!({"tags": "a"})), "values.tags must be a list of the field's options");
        assert_eq!(value_error(json!({"tags": ["a", "z"]})), "values.tags[1] must be one of the field's options");
        assert_eq!(value_error(json!({"tags": ["a", 1]})), "values.tags[1] must be one of the field's options");
        assert_eq!(value_error(json!({"tags": ["a", " a"]})), "values.tags[1] repeats an earlier entry");
        assert_eq!(value_error(json!({"tags": ["a", "b", "c"]})), "values.tags must have between 0 and 2 entries");
        assert_eq!(stored(json!({"tags": ["c", "a"]}), "tags"), json!(["a", "c"]));

        let at_least = schema(json!({"fields": [{"key": "t", "label": "T", "kind": "multiple_choice",
            "options": ["a", "b", "c"], "rules": {"min_count": 2}}]}));
        let one: Map<String, Value> = [("t".to_owned(), json!(["b"]))].into_iter().collect();
        assert_eq!(at_least.check_values(&one).unwrap_err().to_string(), "values.t must have between 2 and 3 entries");
    }

    #[test]
    fn reference_values() {
        assert_eq!(value_error(json!({"owner": "acc_x"})), "values.owner must be an id starting with `mem_`");
        assert_eq!(value_error(json!({"owner": "mem_ABC"})), "values.owner must be an id starting with `mem_`");
        assert_eq!(value_error(json!({"owner": 5})), "values.owner must be an id starting with `mem_`");
        assert_eq!(value_error(json!({"dept": "mem_x"})), "values.dept must be an id starting with `dep_`");
        assert_eq!(value_error(json!({"files": "att_a"})), "values.files must be a list of attachment ids");
        assert_eq!(value_error(json!({"files": ["att_a", "x"]})), "values.files[1] must be an id starting with `att_`");
        assert_eq!(value_error(json!({"files": ["att_a", "att_a"]})), "values.files[1] repeats an earlier entry");
        let eleven: Vec<String> = (0..11).map(|i| format!("att_{i}")).collect();
        assert_eq!(value_error(json!({ "files": eleven })), "values.files must have at most 10 entries");

        let v = check(json!({"owner": " mem_abc ", "dept": "dep_x2", "files": ["att_b", "att_a"]})).unwrap();
        let s = sample();
        assert_eq!(s.member_refs(&v), vec!["mem_abc"]);
        assert_eq!(s.department_refs(&v), vec!["dep_x2"]);
        assert_eq!(s.attachment_refs(&v), vec!["att_b", "att_a"]);
        assert!(s.member_refs(&Values::default()).is_empty());
    }

    #[test]
    fn invalid_schema_reports_its_own_error_when_checking_values() {
        let bad = schema(json!({"fields": [{"key": "x", "label": "", "kind": "text"}]}));
        assert_eq!(bad.check_values(&Map::new()).unwrap_err().to_string(), "fields[0].label is required");
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

    fn filtered(query: &str) -> Vec<String> {
        let f = Filter::parse_query(&sample(), query).unwrap();
        rows().iter().filter(|r| f.matches(r)).map(|r| r.get("title").unwrap().as_str().unwrap().to_owned()).collect()
    }

    #[test]
    fn filters_match() {
        assert_eq!(filtered("amount:ge:50"), vec!["Bolts", "Washers"]);
        assert_eq!(filtered("amount:lt:50.00"), vec!["Nuts"]);
        assert_eq!(filtered("amount:eq:0.05"), vec!["Nuts"]);
        assert_eq!(filtered("amount:ne:0.05"), vec!["Bolts", "Washers", "Gears"]);
        assert_eq!(filtered("qty:gt:2.5"), vec!["Bolts"]);
        assert_eq!(filtered("qty:le:2.5"), vec!["Nuts"]);
        assert_eq!(filtered("due:lt:2026-03-02"), vec!["Bolts"]);
        assert_eq!(filtered("region:eq:North"), vec!["Bolts", "Washers"]);
        assert_eq!(filtered("region:ne:North"), vec!["Nuts", "Gears"]);
        assert_eq!(filtered("tags:has:b"), vec!["Bolts", "Nuts"]);
        assert_eq!(filtered("title:contains:OL"), vec!["Bolts"]);
        assert_eq!(filtered("title:eq:Gears"), vec!["Gears"]);
        assert_eq!(filtered("notes:contains:rush order"), vec!["Washers"]);
        assert_eq!(filtered("owner:eq:mem_x"), vec!["Nuts"]);
        let f = Filter::parse(&sample(), " amount ", " ge ", " 50 ").unwrap();
        assert_eq!((f.field(), f.op()), ("amount", FilterOp::Ge));
    }

    #[test]
    fn filter_values_may_contain_colons() {
        let s = schema(json!({"fields": [{"key": "note", "label": "Note", "kind": "text"}]}));
        let f = Filter::parse_query(&s, "note:contains:a:b").unwrap();
        let row = |t: &str| s.check_values(&[("note".to_owned(), json!(t))].into_iter().collect()).unwrap();
        assert!(f.matches(&row("xA:By")));
        assert!(!f.matches(&row("a b")));
    }

    #[test]
    fn filter_errors() {
        let s = sample();
        let err = |q: &str| Filter::parse_query(&s, q).unwrap_err().to_string();
        assert_eq!(err("amount"), "filter must be field:op:value, like amount:ge:100");
        assert_eq!(err("amount:ge"), "filter must be field:op:value, like amount:ge:100");
        assert_eq!(err("nope:eq:1"), "filter.nope is not a field of this form");
        assert_eq!(err("No Pe:eq:1"), "filter has a key that is not a field of this form");
        assert_eq!(err("amount:contains:1"), "filter.amount takes only the operators: eq, ne, gt, ge, lt, le");
        assert_eq!(err("title:gt:a"), "filter.title takes only the operators: eq, ne, contains");
        assert_eq!(err("tags:eq:a"), "filter.tags takes only the operators: has");
        assert_eq!(err("region:xx:a"), "filter.region takes only the operators: eq, ne");
        assert_eq!(err("files:eq:att_a"), "filter.files cannot be filtered");
        assert_eq!(err("amount:ge: "), "filter.amount is required");
        assert_eq!(err("amount:ge:1.234"), "filter.amount must be an amount like 1234.50, with at most 2 decimals");
        assert_eq!(err("qty:ge:many"), "filter.qty must be a number");
        assert_eq!(err("due:ge:2026-13-01"), "filter.due must be a date like 2026-12-31");
        assert_eq!(err("region:eq:East"), "filter.region must be one of the field's options");
        assert_eq!(err("tags:has:z"), "filter.tags must be one of the field's options");
        assert_eq!(err("owner:eq:dep_x"), "filter.owner must be an id starting with `mem_`");
        assert_eq!(err("dept:eq:mem_x"), "filter.dept must be an id starting with `dep_`");
        assert_eq!(err(&format!("title:contains:{}", "x".repeat(201))), "filter.title must be at most 200 characters");
        assert_eq!(err("title:contains:a\u{1}"), "filter.title must not contain control characters");
    }

    #[test]
    fn filters_tolerate_values_of_another_type() {
        let old = Values::from_trusted(
            [("amount".to_owned(), json!(true)), ("qty".to_owned(), json!("many"))].into_iter().collect(),
        );
        let s = sample();
        assert!(!Filter::parse_query(&s, "amount:ge:0").unwrap().matches(&old));
        assert!(Filter::parse_query(&s, "amount:ne:0").unwrap().matches(&old));
        assert!(!Filter::parse_query(&s, "qty:eq:1").unwrap().matches(&old));
        assert!(!Filter::parse_query(&s, "tags:has:a").unwrap().matches(&old));
    }

    #[test]
    fn aggregates() {
        let s = sample();
        let rows = rows();
        let all = aggregate(&s, &rows, None, Some("amount")).unwrap();
        assert_eq!(
            all,
            vec![Group {
                key: String::new(),
                count: 4,
                sum: Some(Amount::Money("150.15".into())),
                average: Some(Amount::Money("50.05".into())),
            }]
        );
        let by_region = aggregate(&s, &rows, Some("region"), Some("qty")).unwrap();
        let got: Vec<_> =
            by_region.iter().map(|g| (g.key.as_str(), g.count, g.sum.clone(), g.average.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("", 1, Some(Amount::Number(0.0)), None),
                ("North", 2, Some(Amount::Number(10.0)), Some(Amount::Number(10.0))),
                ("South", 1, Some(Amount::Number(2.5)), Some(Amount::Number(2.5))),
            ]
        );
        let by_tag = aggregate(&s, &rows, Some("tags"), None).unwrap();
        let got: Vec<_> = by_tag.iter().map(|g| (g.key.as_str(), g.count, g.sum.is_none())).collect();
        assert_eq!(got, vec![("", 2, true), ("a", 1, true), ("b", 2, true)]);
        assert_eq!(
            aggregate(&s, [], None, None).unwrap(),
            vec![Group { key: String::new(), count: 0, sum: None, average: None }]
        );
        assert!(aggregate(&s, [], Some("region"), None).unwrap().is_empty());
        assert_eq!(
            serde_json::to_value(&all).unwrap(),
            json!([{"key": "", "count": 4, "sum": "150.15", "average": "50.05"}])
        );

        let err = |by: Option<&str>, of: Option<&str>| aggregate(&s, &rows, by, of).unwrap_err().to_string();
        assert_eq!(err(Some("nope"), None), "by is not a field of this form");
        assert_eq!(err(Some("qty"), None), "by must be a text, choice, date, member or department field");
        assert_eq!(err(None, Some("region")), "of must be a number or money field");
        assert_eq!(err(None, Some("nope")), "of is not a field of this form");
    }

    #[test]
    fn money_averages_round_half_away_from_zero() {
        assert_eq!(divide_rounded(5, 2), 3);
        assert_eq!(divide_rounded(-5, 2), -3);
        assert_eq!(divide_rounded(4, 3), 1);
        assert_eq!(divide_rounded(-4, 3), -1);
        assert_eq!(money_text(-5), "-0.05");
        assert_eq!(format_money(MONEY_MAX_CENTS), "999999999999.99");
        assert_eq!(format_money(i64::MIN), "-92233720368547758.08");
    }

    #[test]
    fn csv_rendering() {
        let s = sample();
        assert_eq!(
            csv_header(&s),
            vec!["Title", "Notes", "Quantity", "Amount", "Due", "Region", "Tags", "Owner", "Department", "Files"]
        );
        let v = check(
            json!({"title": "Bolts", "qty": 2.5, "amount": "-0", "tags": ["c", "a"], "files": ["att_a", "att_b"],
            "notes": "=HYPERLINK(\"x\")"}),
        )
        .unwrap();
        assert_eq!(
            csv_cells(&s, &v),
            vec!["Bolts", "'=HYPERLINK(\"x\")", "2.5", "0.00", "", "", "a; c", "", "", "att_a; att_b"]
        );
        assert_eq!(spreadsheet_safe("-12.50".into()), "-12.50");
        assert_eq!(spreadsheet_safe("-cmd".into()), "'-cmd");
        assert_eq!(spreadsheet_safe("@SUM(A1)".into()), "'@SUM(A1)");
    }

    // ---- properties ----

    const KINDS: &[FieldKind] = &[
        FieldKind::Text,
        FieldKind::LongText,
        FieldKind::Number,
        FieldKind::Money,
        FieldKind::Date,
        FieldKind::SingleChoice,
        FieldKind::MultipleChoice,
        FieldKind::Member,
        FieldKind::Department,
        FieldKind::Attachment,
    ];
    const DATES: &[&str] = &["2026-01-01", "2026-06-15", "2027-12-31"];
    const OPTIONS: &[&str] = &["a", "b", "Red", "Blue", "x y"];
    const PATTERNS: &[&str] = &["[a-z ]*", r"\d+", ".*", "[A-Za-z]+( [A-Za-z]+)*"];

    /// A valid field with key `f{i}`, built from random seeds.
    fn build_field(i: usize, seed: (usize, bool, Option<i64>, Option<i64>, usize, Option<usize>)) -> Field {
        let (kind, required, lo, span, n, pick) = seed;
        let kind = KINDS[kind % KINDS.len()];
        let mut rules = FieldRules::default();
        let mut options = Vec::new();
        let hi = |lo: i64| lo + span.unwrap_or(0).abs();
        match kind {
            FieldKind::Text | FieldKind::LongText => {
                let cap = if kind == FieldKind::Text { TEXT_MAX } else { LONG_TEXT_MAX };
                rules.max_length = span.map(|s| (s.unsigned_abs() as usize % cap) + 1);
                rules.min_length = lo.map(|l| l.unsigned_abs() as usize % (rules.max_length.unwrap_or(cap) + 1));
                rules.pattern = pick.map(|p| PATTERNS[p % PATTERNS.len()].to_owned());
            }
            FieldKind::Number => {
                rules.min = lo.map(|l| Bound::Number(l as f64 / 2.0));
                rules.max = span.map(|_| Bound::Number(hi(lo.unwrap_or(0)) as f64 / 2.0));
            }
            FieldKind::Money => {
                rules.min = lo.map(|l| Bound::Text(format_money(l * 25)));
                rules.max = span.map(|_| Bound::Number(hi(lo.unwrap_or(0)) as f64 * 0.25));
            }
            FieldKind::Date => {
                let a = lo.map_or(0, |l| l.unsigned_abs() as usize % DATES.len());
                rules.min = lo.map(|_| Bound::Text(DATES[a].to_owned()));
                rules.max = span.map(|s| Bound::Text(DATES[(a + s.unsigned_abs() as usize) % DATES.len()].to_owned()));
                if let (Some(Bound::Text(x)), Some(Bound::Text(y))) = (&rules.min, &rules.max)
                    && x > y
                {
                    std::mem::swap(&mut rules.min, &mut rules.max);
                }
            }
            FieldKind::SingleChoice | FieldKind::MultipleChoice => {
                options = OPTIONS[..(n % OPTIONS.len()) + 1].iter().map(|s| (*s).to_owned()).collect();
                if kind == FieldKind::MultipleChoice {
                    rules.max_count = span.map(|s| (s.unsigned_abs() as usize % options.len()) + 1);
                    rules.min_count =
                        lo.map(|l| l.unsigned_abs() as usize % (rules.max_count.unwrap_or(options.len()) + 1));
                }
            }
            _ => {}
        }
        Field { key: format!("f{i}"), label: format!("Field {i}"), kind, required, rules, options }
    }

    fn arb_schema() -> impl Strategy<Value = Schema> {
        let seed = (
            0usize..10,
            prop::bool::weighted(0.2),
            prop::option::of(-20i64..20),
            prop::option::of(0i64..40),
            0usize..5,
            prop::option::of(0usize..4),
        );
        prop::collection::vec(seed, 1..7).prop_map(|seeds| Schema {
            fields: seeds.into_iter().enumerate().map(|(i, s)| build_field(i, s)).collect(),
        })
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            (-1000.0f64..1000.0).prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::String),
            "[ -~\\n\\r\\t\\u{0}\\u{85}]{0,12}".prop_map(Value::String),
            prop::sample::select(vec![
                "a",
                "Red",
                " b ",
                "mem_abc",
                "dep_x",
                "att_1",
                "2026-06-15",
                "2024-02-29",
                "12.5",
                "-0",
                "1e3",
                "0.001",
                "",
                " ",
                "NaN",
            ])
            .prop_map(|s| Value::String(s.to_owned())),
        ];
        leaf.prop_recursive(2, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{1,3}", inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A value of the field's kind that is often (not always) acceptable.
    fn plausible(f: &Field) -> BoxedStrategy<Value> {
        let options = f.options.clone();
        match f.kind {
            FieldKind::Text => "[ -~]{0,30}".prop_map(Value::String).boxed(),
            FieldKind::LongText => "[a-z \\n\\r\\t]{0,40}".prop_map(Value::String).boxed(),
            FieldKind::Number => prop_oneof![
                (-30i64..30).prop_map(Value::from),
                (-30.0f64..30.0).prop_map(Value::from),
                (-30i64..30).prop_map(|n| Value::String(format!(" {n} "))),
            ]
            .boxed(),
            FieldKind::Money => prop_oneof![
                "-?[0-9]{1,3}(\\.[0-9]{1,2})?".prop_map(Value::String),
                (-3000i64..3000).prop_map(|c| Value::from(c as f64 / 100.0)),
                (-30i64..30).prop_map(Value::from),
            ]
            .boxed(),
            FieldKind::Date => "20(2[4-8])-0[1-9]-[0-3][0-9]".prop_map(Value::String).boxed(),
            FieldKind::SingleChoice => prop::sample::select(options).prop_map(Value::String).boxed(),
            FieldKind::MultipleChoice => prop::sample::subsequence(options.clone(), 0..=options.len())
                .prop_shuffle()
                .prop_map(|v| Value::Array(v.into_iter().map(Value::String).collect()))
                .boxed(),
            FieldKind::Member => "mem_[a-z0-9]{1,8}".prop_map(Value::String).boxed(),
            FieldKind::Department => "dep_[a-z0-9]{1,8}".prop_map(Value::String).boxed(),
            FieldKind::Attachment => prop::collection::btree_set("att_[a-z0-9]{1,6}", 0..12)
                .prop_map(|set| set.into_iter().collect::<Vec<_>>())
                .prop_shuffle()
                .prop_map(|v| Value::Array(v.into_iter().map(Value::String).collect()))
                .boxed(),
        }
    }

    fn schema_and_values() -> impl Strategy<Value = (Schema, Map<String, Value>)> {
        arb_schema().prop_flat_map(|s| {
            let per_field: Vec<_> = s
                .fields
                .iter()
                .map(|f| {
                    prop::option::weighted(0.8, prop_oneof![4 => plausible(f), 1 => arb_json()])
                        .prop_map({
                            let key = f.key.clone();
                            move |v| v.map(|v| (key.clone(), v))
                        })
                        .boxed()
                })
                .collect();
            let extra = prop::option::weighted(0.05, ("[a-zA-Z ]{1,4}", arb_json()));
            (Just(s), per_field, extra).prop_map(|(s, values, extra)| {
                let mut map: Map<String, Value> = values.into_iter().flatten().collect();
                if let Some((k, v)) = extra {
                    map.insert(k, v);
                }
                (s, map)
            })
        })
    }

    fn arb_schema_json() -> impl Strategy<Value = Value> {
        let kinds: Vec<Value> = FieldKind::NAMES.iter().map(|k| json!(k)).chain([json!("nope"), json!(3)]).collect();
        let bound = prop_oneof![
            arb_json(),
            (-100.0f64..100.0).prop_map(Value::from),
            prop::sample::select(vec!["2026-01-01", "12.50", "1e400", "-", "2026-02-30"]).prop_map(Value::from),
        ];
        let rules = (
            prop::option::of(bound.clone()),
            prop::option::of(bound),
            prop::option::of(prop_oneof![
                any::<u64>().prop_map(Value::from),
                (0u64..300).prop_map(Value::from),
                arb_json()
            ]),
            prop::option::of(prop_oneof![any::<u64>().prop_map(Value::from), (0u64..300).prop_map(Value::from)]),
            prop::option::of(prop_oneof![
                "[a-z()|*+?{}\\[\\]\\\\.^$0-9,]{0,30}".prop_map(Value::String),
                prop::sample::select(vec![r"\w{1000}", "(a{100}){100}", "a)|(b", "(?i)x", "[[:alpha:]]"])
                    .prop_map(Value::from),
            ]),
            prop::option::of((0u64..60).prop_map(Value::from)),
            prop::option::of((0u64..60).prop_map(Value::from)),
        )
            .prop_map(|(min, max, min_length, max_length, pattern, min_count, max_count)| {
                let mut m = Map::new();
                for (k, v) in [
                    ("min", min),
                    ("max", max),
                    ("min_length", min_length),
                    ("max_length", max_length),
                    ("pattern", pattern),
                    ("min_count", min_count),
                    ("max_count", max_count),
                ] {
                    if let Some(v) = v {
                        m.insert(k.to_owned(), v);
                    }
                }
                Value::Object(m)
            });
        let field = (
            prop_oneof!["[a-z][a-z0-9_]{0,3}", "\\PC{0,45}"],
            prop_oneof!["[A-Za-z ]{0,10}", "\\PC{0,90}"],
            prop::sample::select(kinds),
            prop::option::of(prop_oneof![any::<bool>().prop_map(Value::Bool), arb_json()]),
            prop::option::of(rules),
            prop::option::of(prop_oneof![
                prop::collection::vec(prop_oneof!["[a-c ]{0,2}", "\\PC{0,3}"].prop_map(Value::String), 0..6)
                    .prop_map(Value::Array),
                arb_json(),
            ]),
        )
            .prop_map(|(key, label, kind, required, rules, options)| {
                let mut f = json!({"key": key, "label": label, "kind": kind});
                if let Some(r) = required {
                    f["required"] = r;
                }
                if let Some(r) = rules {
                    f["rules"] = r;
                }
                if let Some(o) = options {
                    f["options"] = o;
                }
                f
            });
        prop_oneof![
            4 => prop::collection::vec(field, 0..5).prop_map(|fields| json!({ "fields": fields })),
            1 => arb_json(),
        ]
    }

    proptest! {
        #[test]
        fn generated_schemas_are_valid(s in arb_schema()) {
            prop_assert_eq!(s.validate(), Ok(()));
        }

        #[test]
        fn checking_values_never_panics_and_is_idempotent((s, values) in schema_and_values()) {
            if let Ok(checked) = s.check_values(&values) {
                prop_assert_eq!(s.check_values(&checked.to_json()), Ok(checked.clone()));
                for (k, v) in checked.as_map() {
                    prop_assert!(s.field(k).is_some());
                    prop_assert!(!v.is_null());
                }
                let stored: Values = serde_json::from_str(&serde_json::to_string(&checked).unwrap()).unwrap();
                prop_assert_eq!(&stored, &checked);
                prop_assert_eq!(csv_cells(&s, &checked).len(), s.fields.len());
                let rows = [checked];
                for f in &s.fields {
                    let _ = aggregate(&s, &rows, Some(&f.key), None);
                    let _ = aggregate(&s, &rows, None, Some(&f.key));
                }
            }
        }

        #[test]
        fn validating_arbitrary_schemas_never_panics(v in arb_schema_json()) {
            if let Ok(s) = serde_json::from_value::<Schema>(v) {
                let _ = s.validate();
                let _ = s.check_values(&Map::new());
            }
        }

        #[test]
        fn parsing_filters_never_panics(
            text in "\\PC{0,40}",
            field in prop_oneof![prop::sample::select(vec!["title", "qty", "amount", "due", "region", "tags", "owner", "dept", "files", "notes"]).prop_map(str::to_owned), "\\PC{0,8}"],
            op in prop_oneof![prop::sample::select(FilterOp::NAMES.to_vec()).prop_map(str::to_owned), "\\PC{0,4}"],
            value in prop_oneof!["\\PC{0,12}", "[0-9.:-]{0,12}", "mem_[a-z]{0,3}", "2026-0[0-9]-[0-9]{2}"],
        ) {
            let s = sample();
            let _ = Filter::parse_query(&s, &text);
            let _ = Filter::parse_query(&s, &format!("{field}:{op}:{value}"));
            if let Ok(f) = Filter::parse(&s, &field, &op, &value) {
                for row in rows() {
                    let _ = f.matches(&row);
                }
            }
        }

        #[test]
        fn money_round_trips(cents in -MONEY_MAX_CENTS..=MONEY_MAX_CENTS) {
            prop_assert_eq!(parse_money("m", &format_money(cents)), Ok(cents));
        }

        #[test]
        fn accepted_money_text_normalizes_to_the_same_amount(
            negative in any::<bool>(),
            whole in "[0-9]{1,14}",
            frac in prop::option::of("[0-9]{0,3}"),
        ) {
            let text = format!("{}{whole}{}", if negative { "-" } else { "" }, frac.as_deref().map(|f| format!(".{f}")).unwrap_or_default());
            match parse_money("m", &text) {
                Ok(cents) => {
                    let canonical = format_money(cents);
                    prop_assert_eq!(parse_money("m", &canonical), Ok(cents));
                    let expected = text.parse::<f64>().unwrap();
                    prop_assert!((canonical.parse::<f64>().unwrap() - expected).abs() < 1e-6 * expected.abs().max(1.0));
                }
                Err(_) => prop_assert!(
                    frac.as_deref().is_some_and(|f| f.is_empty() || f.len() > 2)
                        || whole.trim_start_matches('0').len() > 12
                ),
            }
        }
    }
}
