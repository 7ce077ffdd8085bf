//! One submission going through its plan: who holds a task now, and what each action does.
//! Every action checks who acts and in which state; each returns the events the service
//! journals and notifies, and changes nothing when it refuses.

use serde::{Deserialize, Serialize};

use super::{Mode, Plan};
use crate::error::{DomainError, Reason, Rule};

/// A reason or comment: required, at most this many characters.
pub const REASON_MAX: usize = 500;
/// Files one comment may carry.
pub const MAX_FILES: usize = 10;
/// One hour in milliseconds: reminder and escalation periods are counted in hours.
pub const HOUR: i64 = 3_600_000;
/// A submitter reminds the approvers at most once in this long.
pub const REMIND_GAP: i64 = HOUR;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ApprovalState)]
pub enum State {
    /// Waiting for the current step's approvers.
    Pending,
    /// Sent back to the submitter for changes.
    Returned,
    Approved,
    Rejected,
    Withdrawn,
}

text_enum!(State {
    Pending = "pending",
    Returned = "returned",
    Approved = "approved",
    Rejected = "rejected",
    Withdrawn = "withdrawn",
});

impl State {
    /// Approved, rejected and withdrawn instances are done: no action changes them again.
    pub fn is_final(self) -> bool {
        matches!(self, State::Approved | State::Rejected | State::Withdrawn)
    }
}

/// Where a returned instance goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "to", rename_all = "snake_case")]
#[schema(as = ReturnTarget)]
pub enum Target {
    /// To the submitter, who changes the submission and resubmits.
    Submitter,
    /// To an earlier step, whose approvers decide again.
    Step { step: usize },
}

/// What an action did, for the journal, the timeline and notifications.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
#[schema(as = ApprovalEvent)]
pub enum Event {
    /// These people now hold a task at this step.
    Opened {
        step: usize,
        members: Vec<String>,
    },
    Approved {
        step: usize,
        by: String,
    },
    /// The step is passed; its copy-to recipients are told.
    Passed {
        step: usize,
    },
    Rejected {
        step: usize,
        by: String,
        reason: String,
    },
    Returned {
        step: usize,
        by: String,
        to: Target,
        reason: String,
    },
    Resubmitted,
    Withdrawn,
    Transferred {
        step: usize,
        from: String,
        to: String,
    },
    Added {
        step: usize,
        by: String,
        member: String,
    },
    /// A remark for the timeline (anyone the request involves may leave one).
    Commented {
        by: String,
        text: String,
        /// Files attached to the comment (attachment ids).
        #[serde(default)]
        files: Vec<String>,
    },
    /// The waiting approvers were reminded: by the submitter, or by the clock (by `system`).
    Reminded {
        step: usize,
        members: Vec<String>,
    },
    /// The step waited too long: these tasks went to the approval admins, `from[i]`'s to `to[i]`.
    Escalated {
        step: usize,
        from: Vec<String>,
        to: Vec<String>,
    },
    /// An approver away hands a task that opened for them to their delegate.
    Delegated {
        step: usize,
        from: String,
        to: String,
    },
    /// A departed approver's task moved to someone else.
    Moved {
        step: usize,
        from: String,
        to: String,
    },
    /// The final decision: the bound document's effect runs with it, and the plan's copy-to
    /// recipients are told.
    Finished {
        state: State,
    },
}

impl Event {
    /// Every member id the event names.
    pub fn people_mut(&mut self) -> Vec<&mut String> {
        match self {
            Event::Opened { members, .. } | Event::Reminded { members, .. } => members.iter_mut().collect(),
            Event::Approved { by, .. }
            | Event::Rejected { by, .. }
            | Event::Returned { by, .. }
            | Event::Commented { by, .. } => vec![by],
            Event::Transferred { from, to, .. } | Event::Moved { from, to, .. } | Event::Delegated { from, to, .. } => {
                vec![from, to]
            }
            Event::Escalated { from, to, .. } => from.iter_mut().chain(to.iter_mut()).collect(),
            Event::Added { by, member, .. } => vec![by, member],
            Event::Passed { .. } | Event::Resubmitted | Event::Withdrawn | Event::Finished { .. } => Vec::new(),
        }
    }
}

/// One line of an instance's timeline: when, who acted (a member id; the submitter for a
/// submission), and what happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ApprovalRecord)]
pub struct Record {
    pub at: i64,
    pub by: String,
    pub event: Event,
}

/// One open task: a member asked to decide at a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    pub step: usize,
    pub member: String,
}

/// Puts the first of `instead` who is neither the submitter nor already in `list` where
/// `member` was; drops `member` when nobody can stand in. Returns who stood in.
fn stand_in(list: &mut Vec<String>, member: &str, instead: &[String], submitter: &str) -> Option<String> {
    let at = list.iter().position(|a| a == member)?;
    match instead.iter().find(|m| *m != submitter && !list.contains(m)) {
        Some(to) => {
            list[at] = to.clone();
            Some(to.clone())
        }
        None => {
            list.remove(at);
            None
        }
    }
}

/// One submission's approval as it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub submitter: String,
    pub plan: Plan,
    pub state: State,
    /// The step being decided (the last one once approved).
    pub step: usize,
    /// The current step's approvers as they stand, after transfers and additions.
    pub approvers: Vec<String>,
    /// Those of them who approved.
    pub approved: Vec<String>,
    /// Everything that happened, oldest first; kept across returns and resubmissions.
    #[serde(default)]
    pub timeline: Vec<Record>,
    /// When the current tasks opened, and whether the clock has reminded and escalated them
    /// since: each happens once per opening.
    #[serde(default)]
    pub since: i64,
    #[serde(default)]
    pub reminded: bool,
    #[serde(default)]
    pub escalated: bool,
}

fn refused(field: &str, reason: Reason) -> DomainError {
    DomainError::conflict(field, Rule::Reason(reason))
}

fn reason_text(reason: &str) -> Result<String, DomainError> {
    text("reason", reason)
}

fn text(field: &str, text: &str) -> Result<String, DomainError> {
    let r = text.trim();
    if r.is_empty() {
        return Err(DomainError::invalid(field, Rule::Required));
    }
    if r.chars().count() > REASON_MAX {
        return Err(DomainError::invalid(field, Rule::TooLong(REASON_MAX)));
    }
    Ok(r.to_owned())
}

impl Instance {
    /// Starts an instance on a plan: the first step's approvers get their tasks.
    pub fn start(submitter: &str, plan: Plan) -> Result<(Instance, Vec<Event>), DomainError> {
        let first = plan.steps.first().ok_or_else(|| refused("nodes", Reason::NoApprover))?;
        if first.approvers.is_empty() || plan.steps.iter().any(|s| s.approvers.iter().any(|a| a == submitter)) {
            return Err(refused("nodes", Reason::NoApprover));
        }
        let approvers = first.approvers.clone();
        let i = Instance {
            submitter: submitter.to_owned(),
            plan,
            state: State::Pending,
            step: 0,
            approvers,
            approved: Vec::new(),
            timeline: Vec::new(),
            since: 0,
            reminded: false,
            escalated: false,
        };
        let events = vec![i.opened()];
        i.check_invariants();
        Ok((i, events))
    }

    fn mode(&self) -> Mode {
        self.plan.steps.get(self.step).map_or(Mode::Any, |s| s.mode)
    }

    /// Who may act now: everyone not yet approved (one at a time in a sequence).
    pub fn open_tasks(&self) -> Vec<Task> {
        if self.state != State::Pending {
            return Vec::new();
        }
        let waiting = self.approvers.iter().filter(|a| !self.approved.contains(a));
        let members: Vec<&String> = match self.mode() {
            Mode::Sequence => waiting.take(1).collect(),
            Mode::Any | Mode::All => waiting.collect(),
        };
        members.into_iter().map(|m| Task { step: self.step, member: m.clone() }).collect()
    }

    fn holds_task(&self, member: &str) -> bool {
        self.open_tasks().iter().any(|t| t.member == member)
    }

    fn opened(&self) -> Event {
        Event::Opened { step: self.step, members: self.open_tasks().into_iter().map(|t| t.member).collect() }
    }

    /// Only someone with an open task may decide; anyone else is told there is no such task,
    /// whatever the state.
    fn task_of(&self, actor: &str) -> Result<(), DomainError> {
        if self.holds_task(actor) { Ok(()) } else { Err(refused("task", Reason::NoOpenTask)) }
    }

    fn submitter_only(&self, actor: &str) -> Result<(), DomainError> {
        if actor == self.submitter { Ok(()) } else { Err(refused("instance", Reason::SubmitterOnly)) }
    }

    /// Someone who may be handed a task: not the submitter, not already an approver here.
    fn newcomer(&self, member: &str) -> Result<(), DomainError> {
        if member == self.submitter {
            return Err(refused("member_id", Reason::SelfApproval));
        }
        if self.approvers.iter().any(|a| a == member) {
            return Err(refused("member_id", Reason::AlreadyApprover));
        }
        Ok(())
    }

    fn step_done(&self) -> bool {
        match self.mode() {
            Mode::Any => !self.approved.is_empty(),
            Mode::All | Mode::Sequence => self.approvers.iter().all(|a| self.approved.contains(a)),
        }
    }

    /// Enters step `step` afresh: its planned approvers, nobody approved yet.
    fn enter(&mut self, step: usize) {
        self.step = step;
        self.approvers = self.plan.steps[step].approvers.clone();
        self.approved.clear();
    }

    pub fn approve(&mut self, actor: &str) -> Result<Vec<Event>, DomainError> {
        self.task_of(actor)?;
        self.approved.push(actor.to_owned());
        let mut events = vec![Event::Approved { step: self.step, by: actor.to_owned() }];
        if self.step_done() {
            events.push(Event::Passed { step: self.step });
            if self.step + 1 == self.plan.steps.len() {
                self.state = State::Approved;
                events.push(Event::Finished { state: State::Approved });
            } else {
                self.enter(self.step + 1);
                events.push(self.opened());
            }
        } else if self.mode() == Mode::Sequence {
            events.push(self.opened());
        }
        self.check_invariants();
        Ok(events)
    }

    pub fn reject(&mut self, actor: &str, reason: &str) -> Result<Vec<Event>, DomainError> {
        self.task_of(actor)?;
        let reason = reason_text(reason)?;
        self.state = State::Rejected;
        self.check_invariants();
        Ok(vec![
            Event::Rejected { step: self.step, by: actor.to_owned(), reason },
            Event::Finished { state: State::Rejected },
        ])
    }

    /// Sends the instance back for changes: to the submitter, or to an earlier step.
    pub fn send_back(&mut self, actor: &str, to: Target, reason: &str) -> Result<Vec<Event>, DomainError> {
        self.task_of(actor)?;
        let reason = reason_text(reason)?;
        let from = self.step;
        match to {
            Target::Submitter => self.state = State::Returned,
            Target::Step { step } if step < self.step => self.enter(step),
            Target::Step { .. } => return Err(DomainError::invalid("step", Rule::Reason(Reason::EarlierStepOnly))),
        }
        let mut events = vec![Event::Returned { step: from, by: actor.to_owned(), to, reason }];
        if self.state == State::Pending {
            events.push(self.opened());
        }
        self.check_invariants();
        Ok(events)
    }

    /// The submitter sends a returned instance again, planned afresh for the changed values.
    pub fn resubmit(&mut self, actor: &str, plan: Plan) -> Result<Vec<Event>, DomainError> {
        self.submitter_only(actor)?;
        if self.state != State::Returned {
            return Err(refused("instance", Reason::NotReturned));
        }
        let (fresh, mut opened) = Instance::start(&self.submitter, plan)?;
        let timeline = std::mem::take(&mut self.timeline);
        *self = Instance { timeline, ..fresh };
        let mut events = vec![Event::Resubmitted];
        events.append(&mut opened);
        Ok(events)
    }

    /// The submitter takes the request back before the final decision.
    pub fn withdraw(&mut self, actor: &str) -> Result<Vec<Event>, DomainError> {
        self.submitter_only(actor)?;
        if self.state.is_final() {
            return Err(refused("instance", Reason::AlreadyDecided));
        }
        self.state = State::Withdrawn;
        Ok(vec![Event::Withdrawn, Event::Finished { state: State::Withdrawn }])
    }

    /// Hands one's own open task to someone else.
    pub fn transfer(&mut self, actor: &str, to: &str) -> Result<Vec<Event>, DomainError> {
        self.task_of(actor)?;
        self.newcomer(to)?;
        self.replace(actor, to);
        self.check_invariants();
        Ok(vec![Event::Transferred { step: self.step, from: actor.to_owned(), to: to.to_owned() }])
    }

    /// Asks one more person to approve at this step, before or after oneself. In a step where
    /// any one approval decides, a co-approver would decide alone: hand the task over instead.
    pub fn add_approver(&mut self, actor: &str, member: &str, before: bool) -> Result<Vec<Event>, DomainError> {
        self.task_of(actor)?;
        if self.mode() == Mode::Any {
            return Err(refused("member_id", Reason::CoApproverNeedsAll));
        }
        self.newcomer(member)?;
        let at = self.approvers.iter().position(|a| a == actor).unwrap_or(self.approvers.len());
        self.approvers.insert(if before { at } else { at + 1 }, member.to_owned());
        let mut events = vec![Event::Added { step: self.step, by: actor.to_owned(), member: member.to_owned() }];
        if before && self.mode() == Mode::Sequence {
            events.push(self.opened());
        }
        self.check_invariants();
        Ok(events)
    }

    /// A member left: their place in this step and the steps to come (and those a return could
    /// go back to) moves to the first of `instead` who can take it there (their supervisor,
    /// department head, then the approval admins, as the service lists them). Where nobody can,
    /// the place is dropped; a step left with nobody waits for an admin's transfer.
    pub fn depart(&mut self, member: &str, instead: &[String]) -> Vec<Event> {
        if self.state.is_final() {
            return Vec::new();
        }
        let submitter = self.submitter.clone();
        for s in &mut self.plan.steps {
            stand_in(&mut s.approvers, member, instead, &submitter);
        }
        let waiting = self.approvers.iter().any(|a| a == member) && !self.approved.iter().any(|a| a == member);
        if !waiting {
            return Vec::new();
        }
        let step = self.step;
        let to = stand_in(&mut self.approvers, member, instead, &submitter);
        let mut events = Vec::new();
        if let Some(to) = to {
            events.push(Event::Moved { step, from: member.to_owned(), to });
        } else if self.state == State::Pending && !self.approvers.is_empty() && self.step_done() {
            // Those who approved already are now all this step asks for.
            events.push(Event::Passed { step });
            if step + 1 == self.plan.steps.len() {
                self.state = State::Approved;
                events.push(Event::Finished { state: State::Approved });
            } else {
                self.enter(step + 1);
            }
        }
        if self.state == State::Pending && events.iter().any(|e| !matches!(e, Event::Finished { .. })) {
            events.push(self.opened());
        }
        self.check_invariants();
        events
    }

    /// A remark for the timeline, in any state; the service lets only those the request involves.
    pub fn comment(&mut self, actor: &str, remark: &str, files: &[String]) -> Result<Vec<Event>, DomainError> {
        let text = text("text", remark)?;
        if files.len() > MAX_FILES {
            return Err(DomainError::invalid("attachment_ids", Rule::TooMany(MAX_FILES)));
        }
        Ok(vec![Event::Commented { by: actor.to_owned(), text, files: files.to_vec() }])
    }

    /// The submitter nudges the approvers waiting now, at most once an hour.
    pub fn remind(&mut self, actor: &str, now: i64) -> Result<Vec<Event>, DomainError> {
        self.submitter_only(actor)?;
        if self.state != State::Pending {
            return Err(refused("instance", Reason::NotWaiting));
        }
        let last = self
            .timeline
            .iter()
            .rev()
            .find(|r| r.by == actor && matches!(r.event, Event::Reminded { .. }))
            .map(|r| r.at);
        if last.is_some_and(|t| now - t < REMIND_GAP) {
            return Err(refused("instance", Reason::RemindedRecently));
        }
        let members = self.open_tasks().into_iter().map(|t| t.member).collect();
        Ok(vec![Event::Reminded { step: self.step, members }])
    }

    /// When the clock next has something to do here (a reminder or an escalation the current
    /// step's node asks for); `None` when nothing waits for it.
    pub fn due(&self) -> Option<i64> {
        if self.state != State::Pending {
            return None;
        }
        let s = self.plan.steps.get(self.step)?;
        let at = |hours: Option<u32>| hours.map(|h| self.since.saturating_add(i64::from(h).saturating_mul(HOUR)));
        let remind = at(s.remind_after_hours).filter(|_| !self.reminded);
        let escalate = at(s.escalate_after_hours).filter(|_| !self.escalated);
        remind.into_iter().chain(escalate).min()
    }

    /// Time passed: once the escalation period is over, each waiting approver's task goes to
    /// an approval admin not yet asked here; else, once the reminder period is over, the
    /// waiting approvers are reminded. Each happens once per opening of the tasks.
    pub fn tick(&mut self, now: i64, admins: &[String]) -> Vec<Event> {
        if self.due().is_none_or(|d| now < d) {
            return Vec::new();
        }
        let s = &self.plan.steps[self.step];
        let escalate = s.escalate_after_hours.map(|h| self.since.saturating_add(i64::from(h) * HOUR));
        let mut events = Vec::new();
        if !self.escalated && escalate.is_some_and(|t| now >= t) {
            self.escalated = true;
            self.reminded = true;
            let (mut from, mut to) = (Vec::new(), Vec::new());
            for t in self.open_tasks() {
                if admins.contains(&t.member) {
                    continue;
                }
                let free = admins.iter().find(|a| **a != self.submitter && !self.approvers.contains(a));
                if let Some(a) = free.cloned() {
                    self.replace(&t.member, &a);
                    from.push(t.member);
                    to.push(a);
                }
            }
            if !from.is_empty() {
                events.push(Event::Escalated { step: self.step, from, to });
            }
        } else {
            self.reminded = true;
            let members = self.open_tasks().into_iter().map(|t| t.member).collect();
            events.push(Event::Reminded { step: self.step, members });
        }
        self.check_invariants();
        events
    }

    /// Hands `from`'s open task to `to` while `from` is away; nothing when `from` holds no task
    /// or `to` could not take it (the submitter, or already asked here).
    pub fn delegate(&mut self, from: &str, to: &str) -> Option<Event> {
        if !self.holds_task(from) || self.newcomer(to).is_err() {
            return None;
        }
        self.replace(from, to);
        self.check_invariants();
        Some(Event::Delegated { step: self.step, from: from.to_owned(), to: to.to_owned() })
    }

    /// Adds what an action did to the timeline; tasks that opened start the clock afresh.
    pub fn record(&mut self, at: i64, by: &str, events: &[Event]) {
        if events.iter().any(|e| matches!(e, Event::Opened { .. })) {
            self.since = at;
            self.reminded = false;
            self.escalated = false;
        }
        self.timeline.extend(events.iter().map(|e| Record { at, by: by.to_owned(), event: e.clone() }));
    }

    fn replace(&mut self, from: &str, to: &str) {
        for a in &mut self.approvers {
            if a == from {
                *a = to.to_owned();
            }
        }
    }

    /// What no action may break; checked after each in debug builds (the tests run them).
    fn check_invariants(&self) {
        debug_assert!(!self.approvers.contains(&self.submitter), "the submitter never approves");
        debug_assert!(self.approved.iter().all(|a| self.approvers.contains(a)), "approvals come from approvers");
        debug_assert!(self.step < self.plan.steps.len().max(1), "the step is one of the plan's");
    }
}
