//! The plan a template makes for one submission: which nodes apply and who approves at each.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Approvers, Condition, Mode, Template};
use crate::error::{DomainError, Reason, Rule};
use crate::form::{Filter, Schema, Values};
use crate::identity::Scope;
use crate::network::Side;

/// What the service knows of one submission when it plans: where the submitter sits and the
/// people each kind of approver rule names for them. Lists are in the order people are asked.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub submitter: String,
    /// The submitter's unit's partner type and tier; `None` for the backbone's own people.
    pub partner: Option<(String, String)>,
    pub department_heads: Vec<String>,
    /// The direct supervisor first, then theirs, and so on.
    pub supervisors: Vec<String>,
    pub scope_holders: BTreeMap<Scope, Vec<String>>,
    pub approval_admins: Vec<String>,
    pub unit_contacts: Vec<String>,
    pub backbone_owners: Vec<String>,
    pub values: Values,
    /// People a template or the form names who are no longer active: never asked.
    pub unavailable: Vec<String>,
}

impl Facts {
    fn side(&self) -> Side {
        if self.partner.is_some() { Side::Partner } else { Side::Backbone }
    }

    /// The people one rule names for this submission, submitter included.
    fn people(&self, rule: &Approvers) -> Vec<String> {
        match rule {
            Approvers::Members { member_ids } => member_ids.clone(),
            Approvers::Scope { scope } => self.scope_holders.get(scope).cloned().unwrap_or_default(),
            Approvers::DepartmentHead => self.department_heads.clone(),
            Approvers::Supervisor { levels } => {
                self.supervisors.get(usize::from(*levels).saturating_sub(1)).cloned().into_iter().collect()
            }
            Approvers::ApprovalAdmin => self.approval_admins.clone(),
            Approvers::UnitContact => self.unit_contacts.clone(),
            Approvers::BackboneOwner => self.backbone_owners.clone(),
            Approvers::Field { key } => {
                self.values.get(key).and_then(|v| v.as_str()).map(str::to_owned).into_iter().collect()
            }
        }
    }

    fn holds(&self, c: &Condition, schema: &Schema) -> Result<bool, DomainError> {
        Ok(match c {
            Condition::Field { filter } => Filter::parse_query(schema, filter)?.matches(&self.values),
            Condition::Side { side } => self.side() == *side,
            Condition::PartnerType { any_of } => self.partner.as_ref().is_some_and(|(t, _)| any_of.contains(t)),
            Condition::Tier { any_of } => self.partner.as_ref().is_some_and(|(_, tier)| any_of.contains(tier)),
        })
    }

    /// Everyone `rules` name, each once, in order; the submitter left out when `others_only`.
    fn everyone(&self, rules: &[Approvers], others_only: bool) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for id in rules.iter().flat_map(|r| self.people(r)) {
            let skipped = (others_only && id == self.submitter) || self.unavailable.contains(&id);
            if !skipped && !out.contains(&id) {
                out.push(id);
            }
        }
        out
    }
}

/// One node as it applies to a submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ApprovalStep)]
pub struct Step {
    /// The template's node; `None` for the approval admin's step when no node applied.
    pub node: Option<usize>,
    pub name: String,
    pub mode: Mode,
    /// Never empty, never the submitter.
    pub approvers: Vec<String>,
    pub copy_to: Vec<String>,
    /// Nobody the node names could approve: the approval admins stand in.
    pub fallback: bool,
    /// The node's reminder and escalation periods, in hours.
    #[serde(default)]
    pub remind_after_hours: Option<u32>,
    #[serde(default)]
    pub escalate_after_hours: Option<u32>,
}

/// The steps a submission passes, in order, and who is told of the final decision.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ApprovalPlan)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub copy_to: Vec<String>,
}

impl Plan {
    /// Every member id the plan names, to be shown or hidden as the reader may see them.
    pub fn people_mut(&mut self) -> impl Iterator<Item = &mut String> {
        let steps = self.steps.iter_mut().flat_map(|s| s.approvers.iter_mut().chain(s.copy_to.iter_mut()));
        steps.chain(self.copy_to.iter_mut())
    }
}

/// Plans one submission. A node whose rules name nobody but the submitter goes to the approval
/// admins; when they are nobody else either, the submission is refused (it would otherwise pass
/// unapproved). When no node applies, the approval admins approve: nothing passes silently.
pub fn plan(template: &Template, schema: &Schema, facts: &Facts) -> Result<Plan, DomainError> {
    let admins: Vec<String> = facts.approval_admins.iter().filter(|a| **a != facts.submitter).cloned().collect();
    let stand_in = |path: String| {
        if admins.is_empty() {
            Err(DomainError::conflict(path, Rule::Reason(Reason::NoApprover)))
        } else {
            Ok(admins.clone())
        }
    };
    let mut steps = Vec::new();
    for (i, node) in template.nodes.iter().enumerate() {
        let mut applies = true;
        for c in &node.when {
            applies &= facts.holds(c, schema)?;
        }
        if !applies {
            continue;
        }
        let named = facts.everyone(&node.approvers, true);
        let fallback = named.is_empty();
        let approvers = if fallback { stand_in(format!("nodes.{i}"))? } else { named };
        let copy_to = facts.everyone(&node.copy_to, false);
        steps.push(Step {
            node: Some(i),
            name: node.name.clone(),
            mode: node.mode,
            approvers,
            copy_to,
            fallback,
            remind_after_hours: node.remind_after_hours,
            escalate_after_hours: node.escalate_after_hours,
        });
    }
    if steps.is_empty() {
        let approvers = stand_in("nodes".into())?;
        steps.push(Step {
            node: None,
            name: String::new(),
            mode: Mode::Any,
            approvers,
            copy_to: Vec::new(),
            fallback: true,
            remind_after_hours: None,
            escalate_after_hours: None,
        });
    }
    Ok(Plan { steps, copy_to: facts.everyone(&template.copy_to, false) })
}
