//! Budget decisions as the client sees them (issue 15): requests for more budget or scope cuts,
//! the provider's decisions, and the budget's history.
//!
//! Rules (tested below and in `tests/budget.test.mjs`):
//! 1. **Money only as the client may see it.** Amounts (requested, countered, before and after
//!    a change) are [`BudgetAmount`]s, made only when the client's budget money is shown as
//!    amounts (`MoneyPolicy::budget`). Under percentages a change of the money budget is said as
//!    a percentage of the budget before it, and a request or counter as a percentage of the
//!    current budget — never an amount. Rates never appear.
//! 2. **Cuts name phases and tasks by the names the client sees**; an id the catalogue does not
//!    know is "a phase" / "a task", never the id.
//! 3. **The history** starts from the original budget (the first change's "before", or the
//!    current budget when nothing changed) and lists every change with who asked, who approved
//!    (the staff member, on behalf of the provider), when and why.
//! 4. **The burn-up** gets one step per change ([`budget_steps`]): the budget line is the budget
//!    in force on each day.

use super::{BudgetAmount, ClientContext, MoneyPolicy, PhaseRecord, TaskRecord};
use crate::money::hours;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a request asks to cut or defer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CutRecord {
    /// `phase` or `task`.
    pub kind: String,
    pub id: String,
    /// `cut` or `defer`.
    pub action: String,
}

/// A request's state: `requested` until staff decide; `accepted` / `declined`; `countered`
/// until the contact answers the counter (`counter_accepted` / `counter_declined`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Requested,
    Accepted,
    Declined,
    Countered,
    CounterAccepted,
    CounterDeclined,
}

impl RequestState {
    const ALL: [RequestState; 6] =
        [Self::Requested, Self::Accepted, Self::Declined, Self::Countered, Self::CounterAccepted, Self::CounterDeclined];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Countered => "countered",
            Self::CounterAccepted => "counter_accepted",
            Self::CounterDeclined => "counter_declined",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// In words, for both sides.
    pub fn label(self) -> &'static str {
        match self {
            Self::Requested => "waiting for a decision",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Countered => "counter-proposed",
            Self::CounterAccepted => "counter-proposal accepted",
            Self::CounterDeclined => "counter-proposal declined",
        }
    }
}

/// A stored request with everything staff know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetRequestRecord {
    pub id: String,
    pub project_id: String,
    pub contact_name: String,
    pub add_minutes: i64,
    pub add_amount_minor: i64,
    pub cuts: Vec<CutRecord>,
    pub reason: String,
    pub state: RequestState,
    pub counter_minutes: Option<i64>,
    pub counter_amount_minor: Option<i64>,
    pub response: String,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<String>,
    pub created_at: String,
}

/// A stored change of the budget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetChangeRecord {
    pub id: String,
    pub effective_on: NaiveDate,
    pub before_minutes: Option<i64>,
    pub after_minutes: Option<i64>,
    pub before_amount_minor: Option<i64>,
    pub after_amount_minor: Option<i64>,
    pub requested_by_name: String,
    pub approved_by_name: String,
    pub reason: String,
    pub created_at: String,
}

/// A request as the client sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientBudgetChange {
    pub id: String,
    pub project_id: String,
    pub state: RequestState,
    pub state_label: &'static str,
    /// "+40 h · +$6,000.00 · cut Phase: Launch" (money per rule 1).
    pub summary: String,
    pub reason: String,
    /// The provider's answer (decline reason, counter explanation, note on acceptance).
    pub response: String,
    /// The counter-proposal in the same words, when there is one.
    pub counter: Option<String>,
    pub requested_by: String,
    pub decided_by: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
}

/// One change of the budget as the client sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientBudgetHistoryRow {
    pub date: NaiveDate,
    pub hours_before: Option<Decimal>,
    pub hours_after: Option<Decimal>,
    pub amount_before: Option<BudgetAmount>,
    pub amount_after: Option<BudgetAmount>,
    /// Under percentages: the money budget's change in percent of the budget before it.
    pub money_change_percent: Option<Decimal>,
    pub requested_by: String,
    pub approved_by: String,
    pub reason: String,
}

/// The budget's history and the requests, as the client sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientBudgetHistory {
    pub project_id: String,
    pub original_hours: Option<Decimal>,
    pub original_amount: Option<BudgetAmount>,
    pub current_hours: Option<Decimal>,
    pub current_amount: Option<BudgetAmount>,
    /// Whether the budget has money in it (amounts or, under percentages, percent only).
    pub has_money: bool,
    /// Whether amounts are shown (else money appears only as percentages).
    pub amounts_shown: bool,
    pub changes: Vec<ClientBudgetHistoryRow>,
    pub requests: Vec<ClientBudgetChange>,
}

/// The current budget of a project (per period): what requests and history are relative to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CurrentBudget {
    pub minutes: Option<i64>,
    pub amount_minor: Option<i64>,
}

/// `part` as a percentage of `whole`, one decimal; `None` when `whole` is not positive.
fn pct(part: i64, whole: i64) -> Option<Decimal> {
    (whole > 0).then(|| {
        let mut p = (Decimal::from(part) * Decimal::from(100) / Decimal::from(whole)).round_dp(1);
        p.rescale(1);
        p
    })
}

fn cut_label(ctx: &ClientContext, c: &CutRecord) -> String {
    let CutRecord { kind, id, action } = c;
    let name = match kind.as_str() {
        "phase" => ctx
            .phases
            .iter()
            .find_map(|p| {
                let PhaseRecord { id: pid, name } = p;
                (pid.as_str() == id).then(|| format!("Phase: {name}"))
            })
            .unwrap_or_else(|| "a phase".to_string()),
        _ => ctx
            .tasks
            .iter()
            .find_map(|t| {
                let TaskRecord { id: tid, name, client_explanation: _, billable_default: _ } = t;
                (tid.as_str() == id).then(|| format!("Task: {name}"))
            })
            .unwrap_or_else(|| "a task".to_string()),
    };
    format!("{} {name}", if action == "defer" { "defer" } else { "cut" })
}

/// "+40 h · +$6,000.00" or, under percentages, "+40 h · +25.0 % budget money".
fn delta_text(ctx: &ClientContext, pay: &MoneyPolicy, minutes: i64, amount_minor: i64, current: CurrentBudget) -> Vec<String> {
    let mut parts = Vec::new();
    if minutes > 0 {
        parts.push(format!("+{}", ctx.locale.hours(hours(minutes, 2))));
    }
    if amount_minor > 0 {
        match pay.budget(amount_minor) {
            Some(a) => parts.push(format!("+{a}")),
            None => match current.amount_minor.and_then(|c| pct(amount_minor, c)) {
                Some(p) => parts.push(format!("+{} budget money", ctx.locale.percent(p))),
                None => parts.push("more budget money".to_string()),
            },
        }
    }
    parts
}

/// One request as the client sees it (rules 1 and 2).
pub fn client_request(ctx: &ClientContext, current: CurrentBudget, r: &BudgetRequestRecord) -> ClientBudgetChange {
    let BudgetRequestRecord {
        id,
        project_id,
        contact_name,
        add_minutes,
        add_amount_minor,
        cuts,
        reason,
        state,
        counter_minutes,
        counter_amount_minor,
        response,
        decided_by_name,
        decided_at,
        created_at,
    } = r;
    let pay = MoneyPolicy::of(&ctx.visibility, ctx.currency).in_locale(ctx.locale);
    let mut parts = delta_text(ctx, &pay, *add_minutes, *add_amount_minor, current);
    parts.extend(cuts.iter().map(|c| cut_label(ctx, c)));
    let counter = (counter_minutes.is_some() || counter_amount_minor.is_some()).then(|| {
        let p = delta_text(ctx, &pay, counter_minutes.unwrap_or(0), counter_amount_minor.unwrap_or(0), current);
        if p.is_empty() {
            "no change to the budget".to_string()
        } else {
            p.join(" · ")
        }
    });
    ClientBudgetChange {
        id: id.clone(),
        project_id: project_id.clone(),
        state: *state,
        state_label: state.label(),
        summary: if parts.is_empty() { "no change".to_string() } else { parts.join(" · ") },
        reason: reason.clone(),
        response: response.clone(),
        counter,
        requested_by: contact_name.clone(),
        decided_by: decided_by_name.clone(),
        created_at: created_at.clone(),
        decided_at: decided_at.clone(),
    }
}

/// The history and the requests (rules 1 and 3). `changes` oldest first.
pub fn project_budget_history(
    ctx: &ClientContext,
    project_id: &str,
    current: CurrentBudget,
    changes: &[BudgetChangeRecord],
    requests: &[BudgetRequestRecord],
) -> ClientBudgetHistory {
    let pay = MoneyPolicy::of(&ctx.visibility, ctx.currency).in_locale(ctx.locale);
    let h = |m: Option<i64>| m.map(|m| hours(m, 2));
    let (orig_minutes, orig_amount) =
        changes.first().map_or((current.minutes, current.amount_minor), |c| (c.before_minutes, c.before_amount_minor));
    let rows = changes
        .iter()
        .map(|c| {
            let BudgetChangeRecord {
                id: _,
                effective_on,
                before_minutes,
                after_minutes,
                before_amount_minor,
                after_amount_minor,
                requested_by_name,
                approved_by_name,
                reason,
                created_at: _,
            } = c;
            let money_change_percent = match (pay.budget_amounts(), before_amount_minor, after_amount_minor) {
                (false, Some(b), Some(a)) if a != b => pct(a - b, *b),
                _ => None,
            };
            ClientBudgetHistoryRow {
                date: *effective_on,
                hours_before: h(*before_minutes),
                hours_after: h(*after_minutes),
                amount_before: before_amount_minor.and_then(|m| pay.budget(m)),
                amount_after: after_amount_minor.and_then(|m| pay.budget(m)),
                money_change_percent,
                requested_by: requested_by_name.clone(),
                approved_by: approved_by_name.clone(),
                reason: reason.clone(),
            }
        })
        .collect();
    ClientBudgetHistory {
        project_id: project_id.to_string(),
        original_hours: h(orig_minutes),
        original_amount: orig_amount.and_then(|m| pay.budget(m)),
        current_hours: h(current.minutes),
        current_amount: current.amount_minor.and_then(|m| pay.budget(m)),
        has_money: current.amount_minor.is_some(),
        amounts_shown: pay.budget_amounts(),
        changes: rows,
        requests: requests.iter().map(|r| client_request(ctx, current, r)).collect(),
    }
}

/// A change of the budget line on the burn-up chart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientBudgetStep {
    pub date: NaiveDate,
    /// The budget before and after, in the chart's unit: hours (an hours budget) or percent of
    /// the current budget (a money-only budget).
    pub before: Decimal,
    pub after: Decimal,
}

/// The steps of the budget line (rule 4), in the burn-up's unit (`hours` or `money`).
pub fn budget_steps(unit: &str, current: CurrentBudget, changes: &[BudgetChangeRecord]) -> Vec<ClientBudgetStep> {
    changes
        .iter()
        .filter_map(|c| match unit {
            "hours" => {
                Some(ClientBudgetStep { date: c.effective_on, before: hours(c.before_minutes?, 2), after: hours(c.after_minutes?, 2) })
            }
            "money" => {
                let now = current.amount_minor?;
                Some(ClientBudgetStep {
                    date: c.effective_on,
                    before: pct(c.before_amount_minor?, now)?,
                    after: pct(c.after_amount_minor?, now)?,
                })
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use crate::settings::{BudgetMoney, Visibility};

    fn ctx(bm: BudgetMoney) -> ClientContext<'static> {
        ClientContext {
            visibility: Visibility { budget_money: bm, ..Visibility::default() },
            currency: Currency::parse("USD").unwrap(),
            locale: crate::locale::Locale::default(),
            time_zone: chrono_tz::UTC,
            members: &[],
            tasks: &[],
            phases: &[],
        }
    }

    fn change() -> BudgetChangeRecord {
        BudgetChangeRecord {
            id: "bc_1".into(),
            effective_on: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            before_minutes: Some(100 * 60),
            after_minutes: Some(140 * 60),
            before_amount_minor: Some(1_500_000),
            after_amount_minor: Some(2_100_000),
            requested_by_name: "Ada A".into(),
            approved_by_name: "Sam Staff".into(),
            reason: "More pages".into(),
            created_at: "2026-11-25T15:00:00Z".into(),
        }
    }

    fn request() -> BudgetRequestRecord {
        BudgetRequestRecord {
            id: "br_1".into(),
            project_id: "prj_a".into(),
            contact_name: "Ada A".into(),
            add_minutes: 40 * 60,
            add_amount_minor: 600_000,
            cuts: vec![CutRecord { kind: "phase".into(), id: "phs_unknown".into(), action: "defer".into() }],
            reason: "More pages".into(),
            state: RequestState::Countered,
            counter_minutes: Some(20 * 60),
            counter_amount_minor: Some(300_000),
            response: "Half now".into(),
            decided_by_name: Some("Sam Staff".into()),
            decided_at: None,
            created_at: "x".into(),
        }
    }

    #[test]
    fn amounts_only_when_shown_otherwise_percentages() {
        let current = CurrentBudget { minutes: Some(140 * 60), amount_minor: Some(2_100_000) };
        let shown = project_budget_history(&ctx(BudgetMoney::Amounts), "prj_a", current, &[change()], &[request()]);
        assert_eq!(shown.changes[0].amount_after.as_ref().map(BudgetAmount::as_str), Some("$21,000.00"));
        assert_eq!(shown.original_hours, Some(Decimal::new(10000, 2)));
        assert!(shown.requests[0].summary.contains("+$6,000.00"), "{}", shown.requests[0].summary);
        assert_eq!(shown.requests[0].counter.as_deref(), Some("+20.00\u{a0}h · +$3,000.00"));
        assert!(shown.requests[0].summary.ends_with("defer a phase"), "{}", shown.requests[0].summary);

        let hidden = project_budget_history(&ctx(BudgetMoney::Percentages), "prj_a", current, &[change()], &[request()]);
        let json = serde_json::to_string(&hidden).unwrap();
        for amount in ["6,000", "21,000", "15,000", "3,000", "$", "phs_unknown"] {
            assert!(!json.contains(amount), "{amount} in {json}");
        }
        assert_eq!(hidden.changes[0].money_change_percent, Some(Decimal::new(400, 1)));
        assert!(hidden.requests[0].summary.contains("budget money"), "{}", hidden.requests[0].summary);
    }

    #[test]
    fn steps_in_the_charts_unit() {
        let current = CurrentBudget { minutes: Some(140 * 60), amount_minor: Some(2_100_000) };
        let s = budget_steps("hours", current, &[change()]);
        assert_eq!((s[0].before, s[0].after), (Decimal::new(10000, 2), Decimal::new(14000, 2)));
        let m = budget_steps("money", current, &[change()]);
        assert_eq!((m[0].before, m[0].after), (Decimal::new(714, 1), Decimal::new(1000, 1)));
        assert!(budget_steps("none", current, &[change()]).is_empty());
    }
}
