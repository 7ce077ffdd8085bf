//! Checking a submission's values against its form, into the stored formats, and the ids they refer to.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use super::scalars::{check_date, format_money, parse_money, parse_number};
use super::schema::Limits;
use super::{
    ATTACHMENT_PREFIX, ATTACHMENTS_MAX, DATE_FORMAT, EXACT_INTEGER, Field, FieldKind, MONEY_FORMAT, Schema, Values,
    unknown_key,
};
use crate::error::{DomainError, Reason, Rule};
use crate::ids::{DepartmentId, MemberId};

impl Schema {
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
            let Value::String(s) = raw else { return Err(invalid(Rule::Reason(Reason::TextFormat))) };
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
                return Err(invalid(Rule::Reason(Reason::PatternMismatch)));
            }
            Value::String(text)
        }
        Limits::Number { min, max } => {
            let (n, value) = match raw {
                Value::Number(n) => match n.as_f64() {
                    Some(f) if n.is_f64() => (f, number_value(f)),
                    Some(f) => (f, raw.clone()),
                    None => return Err(invalid(Rule::Reason(Reason::NumberFormat))),
                },
                Value::String(s) if s.trim().is_empty() => return Ok(None),
                Value::String(s) => {
                    let n = parse_number(path, s)?;
                    (n, number_value(n))
                }
                _ => return Err(invalid(Rule::Reason(Reason::NumberFormat))),
            };
            out_of_range(path, &n, min.as_ref(), max.as_ref(), |b| b.to_string())?;
            value
        }
        Limits::Money { min, max } => {
            let cents = match raw {
                Value::String(s) if s.trim().is_empty() => return Ok(None),
                Value::String(s) => parse_money(path, s)?,
                Value::Number(n) => parse_money(path, &n.to_string())?,
                _ => return Err(invalid(Rule::Reason(MONEY_FORMAT))),
            };
            out_of_range(path, &cents, min.as_ref(), max.as_ref(), |c| format_money(*c))?;
            Value::String(format_money(cents))
        }
        Limits::Date { min, max } => {
            let Some(text) = trimmed(raw).map_err(|()| invalid(Rule::Reason(DATE_FORMAT)))? else { return Ok(None) };
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
            let Value::Array(items) = raw else { return Err(invalid(Rule::Reason(Reason::OptionsList))) };
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
            let Value::Array(items) = raw else { return Err(invalid(Rule::Reason(Reason::AttachmentList))) };
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
