//! Checking a schema: keys, labels, options and each kind's rules, compiled into its limits.

use std::collections::HashSet;

use regex::{Regex, RegexBuilder};

use super::scalars::{check_date, parse_money};
use super::{
    Bound, DATE_FORMAT, FIELDS_MAX, Field, FieldKind, KEY_FORMAT, KEY_MAX, LABEL_MAX, LONG_TEXT_MAX, MONEY_FORMAT,
    OPTION_MAX, OPTIONS_MAX, PATTERN_MAX, PATTERN_SIZE_LIMIT, Schema, TEXT_MAX, is_key,
};
use crate::directory::name;
use crate::error::{DomainError, Reason, Rule};

/// A field's limits, checked and ready to apply.
pub(super) enum Limits {
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
    /// Checks the schema; the error names the first bad setting, e.g. `fields[2].options`.
    pub fn validate(&self) -> Result<(), DomainError> {
        self.compile().map(|_| ())
    }

    pub(super) fn compile(&self) -> Result<Vec<Limits>, DomainError> {
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
}

fn check_key(path: &str, key: &str) -> Result<(), DomainError> {
    if key.is_empty() {
        return Err(DomainError::invalid(path, Rule::Required));
    }
    if key.chars().count() > KEY_MAX {
        return Err(DomainError::invalid(path, Rule::TooLong(KEY_MAX)));
    }
    if !is_key(key) {
        return Err(DomainError::invalid(path, Rule::Reason(KEY_FORMAT)));
    }
    Ok(())
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
            return Err(DomainError::invalid(at, Rule::Reason(Reason::TrimmedText)));
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
        if min_is_more { Err(DomainError::invalid(at("min"), Rule::Reason(Reason::MinAboveMax))) } else { Ok(()) }
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
                _ => Err(DomainError::invalid(at(rule), Rule::Reason(Reason::NumberFormat))),
            };
            let min = r.min.as_ref().map(|b| bound("min", b)).transpose()?;
            let max = r.max.as_ref().map(|b| bound("max", b)).transpose()?;
            ordered(matches!((min, max), (Some(lo), Some(hi)) if lo > hi))?;
            Limits::Number { min, max }
        }
        FieldKind::Money => {
            let bound = |rule: &str, b: &Bound| match b {
                Bound::Number(n) if n.is_finite() => parse_money(&at(rule), &n.to_string()),
                Bound::Number(_) => Err(DomainError::invalid(at(rule), Rule::Reason(MONEY_FORMAT))),
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
                Bound::Number(_) => Err(DomainError::invalid(at(rule), Rule::Reason(DATE_FORMAT))),
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
        regex::Error::CompiledTooBig(_) => DomainError::invalid(path, Rule::Reason(Reason::PatternTooComplex)),
        _ => DomainError::invalid(path, Rule::Reason(Reason::PatternInvalid)),
    };
    if pattern.is_empty() {
        return Err(DomainError::invalid(path, Rule::Reason(Reason::PatternInvalid)));
    }
    let build =
        |p: &str| RegexBuilder::new(p).size_limit(PATTERN_SIZE_LIMIT).dfa_size_limit(PATTERN_SIZE_LIMIT * 16).build();
    // The pattern alone first, so `a)|(b` cannot escape the anchoring group.
    build(pattern).map_err(bad)?;
    build(&format!("^(?:{pattern})$")).map_err(bad)
}
