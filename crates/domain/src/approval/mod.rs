//! Approvals: templates of ordered nodes, the plan a template makes for one submission, and the
//! life of one instance through that plan. Plain data and pure functions: the service gathers
//! the facts (who heads the submitter's department, who holds a scope, the unit's contacts) and
//! stores what these functions decide.
//!
//! Rules nobody can bypass live here, not in the callers: a submitter never approves their own
//! request, an empty approver set never approves silently, nodes are passed in order and none
//! is skipped, and only a person holding an open task acts on it.

mod instance;
mod plan;

pub use instance::{Event, HOUR, Instance, Record, State, Target, Task};
pub use plan::{Facts, Plan, Step, plan};

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Reason, Rule};
use crate::form::{FieldKind, Filter, Schema};
use crate::identity::Scope;
use crate::network::Side;

/// Nodes in one template: enough for any real chain of sign-offs.
pub const MAX_NODES: usize = 20;
/// Approver rules, conditions and copy-to rules in one node.
pub const MAX_RULES: usize = 20;
/// Supervisor levels a node can reach up.
pub const MAX_LEVELS: u8 = 5;
pub const NAME_MAX: usize = 60;
/// Hours before a reminder or an escalation: at most 90 days.
pub const MAX_HOURS: u32 = 24 * 90;

/// Who approves at a node (or is copied). The service turns each into people for one
/// submission; the plan then leaves the submitter out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[schema(as = ApprovalApprovers)]
pub enum Approvers {
    /// Named members (of the template's organization, or people its networks show).
    Members { member_ids: Vec<String> },
    /// The primary admin and the sub-admins holding this scope.
    Scope { scope: Scope },
    /// The heads of the submitter's departments (the nearest department above with a head).
    DepartmentHead,
    /// The submitter's supervisor this many levels up (1 is the direct supervisor).
    Supervisor { levels: u8 },
    /// The organization's approval admins (sub-admins with the approvals scope).
    ApprovalAdmin,
    /// For a partner submitter: their unit's partner-side contacts.
    UnitContact,
    /// For a partner submitter: the backbone's owner contacts of their unit.
    BackboneOwner,
    /// The member chosen in a member field of the form.
    Field { key: String },
}

/// How a node's approvers decide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ApprovalMode)]
pub enum Mode {
    /// The first to approve decides for the node.
    #[default]
    Any,
    /// Everyone must approve, in any order.
    All,
    /// Everyone must approve, one after another in the order listed.
    Sequence,
}

text_enum!(Mode {
    Any = "any",
    All = "all",
    Sequence = "sequence",
});

/// When a node applies. A node applies when all its conditions hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[schema(as = ApprovalCondition)]
pub enum Condition {
    /// A condition on the form's values in the submission filter's syntax (`amount:gt:10000`).
    Field { filter: String },
    /// The submitter's side: the backbone's own people or a partner's.
    Side { side: Side },
    /// The submitter's unit is of one of these partner types.
    PartnerType { any_of: Vec<String> },
    /// The submitter's unit is on one of these tiers.
    Tier { any_of: Vec<String> },
}

/// One step of a template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ApprovalNode)]
pub struct Node {
    pub name: String,
    pub approvers: Vec<Approvers>,
    #[serde(default)]
    pub mode: Mode,
    /// Empty: the node always applies.
    #[serde(default)]
    pub when: Vec<Condition>,
    /// Told when the node is passed.
    #[serde(default)]
    pub copy_to: Vec<Approvers>,
    /// Open tasks are reminded after this many hours.
    #[serde(default)]
    pub remind_after_hours: Option<u32>,
    /// And move to the approval admin after this many.
    #[serde(default)]
    pub escalate_after_hours: Option<u32>,
}

/// The nodes a submission passes, in order, and who is told of the final decision.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ApprovalTemplate)]
pub struct Template {
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub copy_to: Vec<Approvers>,
}

fn invalid(path: String, rule: Rule) -> DomainError {
    DomainError::invalid(path, rule)
}

impl Template {
    /// Checks the template against the form it approves; errors name the path
    /// (`nodes.1.approvers.0.levels`). Conditions and member fields must fit the form.
    pub fn check(&self, schema: &Schema) -> Result<(), DomainError> {
        if self.nodes.is_empty() {
            return Err(invalid("nodes".into(), Rule::Required));
        }
        if self.nodes.len() > MAX_NODES {
            return Err(invalid("nodes".into(), Rule::TooMany(MAX_NODES)));
        }
        for (i, n) in self.nodes.iter().enumerate() {
            n.check(&format!("nodes.{i}"), schema)?;
        }
        check_rules(&self.copy_to, "copy_to", schema)
    }
}

impl Node {
    fn check(&self, path: &str, schema: &Schema) -> Result<(), DomainError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(invalid(format!("{path}.name"), Rule::Required));
        }
        if name != self.name {
            return Err(invalid(format!("{path}.name"), Rule::Reason(Reason::TrimmedText)));
        }
        if name.chars().count() > NAME_MAX {
            return Err(invalid(format!("{path}.name"), Rule::TooLong(NAME_MAX)));
        }
        if self.approvers.is_empty() {
            return Err(invalid(format!("{path}.approvers"), Rule::Required));
        }
        check_rules(&self.approvers, &format!("{path}.approvers"), schema)?;
        check_rules(&self.copy_to, &format!("{path}.copy_to"), schema)?;
        if self.when.len() > MAX_RULES {
            return Err(invalid(format!("{path}.when"), Rule::TooMany(MAX_RULES)));
        }
        for (j, c) in self.when.iter().enumerate() {
            c.check(&format!("{path}.when.{j}"), schema)?;
        }
        for (field, hours) in
            [("remind_after_hours", self.remind_after_hours), ("escalate_after_hours", self.escalate_after_hours)]
        {
            if let Some(h) = hours
                && !(1..=MAX_HOURS).contains(&h)
            {
                return Err(invalid(format!("{path}.{field}"), Rule::Range { min: 1, max: MAX_HOURS.into() }));
            }
        }
        if let (Some(r), Some(e)) = (self.remind_after_hours, self.escalate_after_hours)
            && e <= r
        {
            return Err(invalid(format!("{path}.escalate_after_hours"), Rule::Reason(Reason::EscalateAfterRemind)));
        }
        Ok(())
    }
}

fn check_rules(rules: &[Approvers], path: &str, schema: &Schema) -> Result<(), DomainError> {
    if rules.len() > MAX_RULES {
        return Err(invalid(path.into(), Rule::TooMany(MAX_RULES)));
    }
    for (j, a) in rules.iter().enumerate() {
        let at = format!("{path}.{j}");
        match a {
            Approvers::Members { member_ids } => {
                if member_ids.is_empty() {
                    return Err(invalid(format!("{at}.member_ids"), Rule::Required));
                }
                if member_ids.len() > 100 {
                    return Err(invalid(format!("{at}.member_ids"), Rule::TooMany(100)));
                }
                for (k, id) in member_ids.iter().enumerate() {
                    crate::ids::MemberId::parse(id)
                        .map_err(|_| invalid(format!("{at}.member_ids.{k}"), Rule::IdPrefix("mem_")))?;
                }
            }
            Approvers::Supervisor { levels } => {
                if !(1..=MAX_LEVELS).contains(levels) {
                    return Err(invalid(format!("{at}.levels"), Rule::Range { min: 1, max: MAX_LEVELS.into() }));
                }
            }
            Approvers::Field { key } => match schema.field(key) {
                Some(f) if f.kind == FieldKind::Member => {}
                Some(_) => return Err(invalid(format!("{at}.key"), Rule::Reason(Reason::NotAMemberField))),
                None => return Err(invalid(format!("{at}.key"), Rule::UnknownField)),
            },
            Approvers::Scope { .. }
            | Approvers::DepartmentHead
            | Approvers::ApprovalAdmin
            | Approvers::UnitContact
            | Approvers::BackboneOwner => {}
        }
    }
    Ok(())
}

impl Condition {
    fn check(&self, path: &str, schema: &Schema) -> Result<(), DomainError> {
        match self {
            Condition::Field { filter } => {
                Filter::parse_query(schema, filter).map_err(|e| match e {
                    DomainError::Invalid { rule, .. } => invalid(format!("{path}.filter"), rule),
                    other => other,
                })?;
            }
            Condition::PartnerType { any_of } | Condition::Tier { any_of } => {
                if any_of.is_empty() {
                    return Err(invalid(format!("{path}.any_of"), Rule::Required));
                }
                if any_of.len() > MAX_RULES {
                    return Err(invalid(format!("{path}.any_of"), Rule::TooMany(MAX_RULES)));
                }
                if any_of.iter().any(|x| x.trim().is_empty() || x.trim() != x) {
                    return Err(invalid(format!("{path}.any_of"), Rule::Reason(Reason::TrimmedText)));
                }
            }
            Condition::Side { .. } => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
