//! Loads a fixture (`fixtures/README.md`) into D1: reference data in one batch, then entries in
//! batches through the same upsert as ingest, so triggers build the rollups exactly as in
//! production. Relative dates resolve against each client's "today" at `now`.

use crate::args;
use crate::auth::ts;
use crate::db::{random_salt, Db, Result};
use crate::stmt::prepare_all;
use chrono::{DateTime, Utc};
use clearhours_domain::calendar::{weekday_name, ClientCalendar};
use clearhours_domain::entry::{resolve, EntryDraft, When};
use clearhours_domain::fixture::FxInvoice;
use clearhours_domain::fixture::{Fixture, FxProjects};
use clearhours_domain::ids::{ClientId, ExternalId, MemberId, PhaseId, ProjectId, TaskId};
use clearhours_domain::invoice::{Grouping, Selection, TaxRate};
use clearhours_domain::money::{Currency, HourlyRate, Money};
use clearhours_domain::network::IpAllowlist;
use clearhours_domain::password;
use clearhours_domain::project::{Budget, BudgetPeriod, Project, Thresholds};
use clearhours_domain::ValidationError;
use worker::D1PreparedStatement;

/// Upsert statements (each up to ~900 KB of rows, see `delivery::fixture_upserts`) per D1 batch.
const ENTRY_BATCH: usize = 4;

pub struct Loaded {
    pub clients: usize,
    pub projects: usize,
    pub entries: usize,
    /// Weeks approvers approve once loaded (contact, project, week start): the approval is the
    /// portal's (it hashes the week as the contact sees it), so the caller posts them there.
    pub approvals: Vec<(String, String, chrono::NaiveDate)>,
}

/// A fixture timestamp: noon UTC of a resolved day.
fn at_noon(d: chrono::NaiveDate) -> String {
    format!("{d}T12:00:00Z")
}

fn check<T, E: std::fmt::Display>(errors: &mut ValidationError, field: String, r: std::result::Result<T, E>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(field, e.to_string());
            None
        }
    }
}

/// Validates and loads. Validation errors come back before anything is written.
pub async fn load(db: &Db, fx: &Fixture, now: DateTime<Utc>) -> Result<std::result::Result<Loaded, ValidationError>> {
    let mut errors = ValidationError::default();
    let now_s = ts(now);
    let p = &fx.provider;
    let staff_ips = check(&mut errors, "provider.staff_ip_allowlist".into(), IpAllowlist::parse(&p.staff_ip_allowlist)).unwrap_or_default();
    // The webhook URL is a secret: sealed at rest, like the integration secrets.
    let slack =
        p.slack_webhook_url.as_deref().filter(|u| !u.is_empty()).map(|u| db.seal(&crate::alerts::slack_context(&p.id), u)).transpose()?;
    let mut meta: Vec<D1PreparedStatement> = vec![db.stmt(
        "INSERT INTO providers (id, name, slack_webhook_url, alert_email, staff_ip_allowlist, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        &args![&p.id, &p.name, slack, p.alert_email.clone(), staff_ips.to_stored(), now_s.as_str()],
    )?];
    for (i, s) in fx.staff.iter().enumerate() {
        let hash = check(&mut errors, format!("staff[{i}].password"), password::hash(&s.password, &random_salt()?));
        meta.push(db.stmt(
            "INSERT INTO staff_users (id, provider_id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            &args![&s.id, &p.id, &s.email, &s.name, &s.role, hash, now_s.as_str()],
        )?);
    }
    for m in &fx.members {
        meta.push(db.stmt(
            "INSERT INTO members (id, provider_id, name, role_title, email, phone, cost_rate, default_rate, personal_notes, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &args![
                &m.id,
                &p.id,
                &m.name,
                &m.role_title,
                &m.email,
                &m.phone,
                m.cost_rate.clone(),
                m.default_rate.clone(),
                &m.personal_notes,
                now_s.as_str()
            ],
        )?);
    }
    for t in &fx.tasks {
        meta.push(db.stmt(
            "INSERT INTO tasks (id, provider_id, name, client_explanation, billable_default) VALUES (?, ?, ?, ?, ?)",
            &args![&t.id, &p.id, &t.name, &t.client_explanation, t.billable],
        )?);
    }
    for (i, integ) in fx.integrations.iter().enumerate() {
        meta.push(db.stmt(
            "INSERT INTO integrations (id, provider_id, kind, name, created_at) VALUES (?, ?, ?, ?, ?)",
            &args![&integ.id, &p.id, &integ.kind, &integ.name, now_s.as_str()],
        )?);
        for (j, secret) in integ.secrets.iter().enumerate() {
            check(&mut errors, format!("integrations[{i}].secrets[{j}]"), clearhours_domain::webhook::WebhookSecret::parse(secret));
            meta.push(db.stmt(
                "INSERT INTO integration_secrets (id, integration_id, secret, created_at) VALUES (?, ?, ?, ?)",
                &args![
                    format!("{}_s{j}", integ.id),
                    &integ.id,
                    db.seal(&crate::ingest::secret_context(&integ.id), secret)?,
                    now_s.as_str()
                ],
            )?);
        }
    }

    let anchor = match fx.weekday_anchor.as_deref().map(clearhours_domain::calendar::parse_weekday).transpose() {
        Ok(a) => a,
        Err(e) => {
            errors.push("weekday_anchor", e.to_string());
            None
        }
    };
    let mut entries = Vec::new();
    let mut project_count = 0;
    let mut invoices = Vec::new();
    let mut approvals = Vec::new();
    let mut later: Vec<D1PreparedStatement> = Vec::new();
    for (i, e) in fx.payment_endpoints.iter().enumerate() {
        if e.secret.len() < 16 {
            errors.push(format!("payment_endpoints[{i}].secret"), "must be at least 16 characters");
        }
        meta.push(db.stmt(
            "INSERT INTO payment_endpoints (id, provider_id, secret, created_at) VALUES (?, ?, ?, ?)",
            &args![&e.id, &p.id, db.seal(&crate::invoices::endpoint_context(&e.id), &e.secret)?, now_s.as_str()],
        )?);
    }
    for (ci, c) in fx.clients.iter().enumerate() {
        let at = |f: &str| format!("clients[{ci}].{f}");
        let calendar = check(&mut errors, at("time_zone"), ClientCalendar::parse(&c.time_zone, &c.week_start));
        let currency = check(&mut errors, at("currency"), Currency::parse(&c.currency));
        let client_id = check(&mut errors, at("id"), ClientId::parse(&c.id));
        let (Some(calendar), Some(currency), Some(client_id)) = (calendar, currency, client_id) else { continue };
        let today = calendar.today(now);
        // Relative dates count from day 0 (see `fixture::anchor_day`); nothing after today loads.
        let day0 = clearhours_domain::fixture::anchor_day(today, anchor);
        let v = c.visibility;
        let client_ips = check(&mut errors, at("ip_allowlist"), IpAllowlist::parse(&c.ip_allowlist)).unwrap_or_default();
        let locale = if c.locale.trim().is_empty() {
            String::new()
        } else {
            check(&mut errors, at("locale"), clearhours_domain::locale::Locale::parse(&c.locale))
                .map(|l| l.tag().to_string())
                .unwrap_or_default()
        };
        meta.push(db.stmt(
            "INSERT INTO clients (id, provider_id, name, time_zone, currency, week_start, show_rates, descriptions, team_display, view_mode, non_billable, budget_money, ip_allowlist, locale, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &args![
                &c.id, &p.id, &c.name, &c.time_zone, currency.code(), weekday_name(calendar.first_day),
                v.rates.as_str(), v.descriptions.as_str(), v.team.as_str(), v.view.as_str(), v.non_billable.as_str(), v.budget_money.as_str(), client_ips.to_stored(), locale, now_s.as_str()
            ],
        )?);
        let shared = if c.shared_thresholds.is_empty() {
            String::new()
        } else {
            check(&mut errors, at("shared_thresholds"), Thresholds::new(c.shared_thresholds.clone()))
                .map(|t| t.to_stored())
                .unwrap_or_default()
        };
        meta.push(
            db.stmt("UPDATE clients SET weekly_signoff = ?, shared_thresholds = ? WHERE id = ?", &args![c.weekly_signoff, shared, &c.id])?,
        );
        if let Some(b) = &c.billing {
            let grouping = b.grouping.as_deref().map_or(Ok(Grouping::Task), Grouping::parse);
            let grouping = check(&mut errors, at("billing.grouping"), grouping).unwrap_or(Grouping::Task);
            let tax = check(&mut errors, at("billing.tax_rate"), TaxRate::parse(b.tax_rate.as_deref().unwrap_or("0"))).unwrap_or_default();
            let terms = b.payment_terms_days.unwrap_or(30);
            if !(0..=365).contains(&terms) {
                errors.push(at("billing.payment_terms_days"), "must be between 0 and 365");
            }
            if b.time_increment_minutes.is_some_and(|m| !(1..=60).contains(&m)) {
                errors.push(at("billing.time_increment_minutes"), "must be between 1 and 60");
            }
            meta.push(db.stmt(
                "UPDATE clients SET invoice_grouping = ?, tax_rate = ?, payment_terms_days = ?, next_invoice_on = ?, time_increment_minutes = ? WHERE id = ?",
                &args![
                    grouping.as_str(),
                    tax.to_stored(),
                    terms,
                    b.next_invoice_on.as_ref().map(|d| d.resolve(day0).to_string()),
                    b.time_increment_minutes,
                    &c.id
                ],
            )?);
        }
        for (k, inv) in c.invoices.iter().enumerate() {
            let at = |f: &str| format!("clients[{ci}].invoices[{k}].{f}");
            check(&mut errors, at("number"), clearhours_domain::invoice::check_number(&inv.number));
            for (j, pay) in inv.payments.iter().enumerate() {
                if pay.amount != "balance" {
                    check(&mut errors, at(&format!("payments[{j}].amount")), Money::parse_major(&pay.amount, currency));
                }
            }
            if !inv.payments.is_empty() && inv.issued_on.is_none() {
                errors.push(at("payments"), "a draft cannot be paid: give issued_on");
            }
            invoices.push((client_id.clone(), currency, day0, c.billing.as_ref().and_then(|b| b.payment_terms_days).unwrap_or(30), inv));
        }
        let mut contact_rows = Vec::new();
        for (k, contact) in c.contacts.iter().enumerate() {
            let hash = check(&mut errors, at(&format!("contacts[{k}].password")), password::hash(&contact.password, &random_salt()?));
            let all = !matches!(contact.projects, Some(FxProjects::Some(_)));
            meta.push(db.stmt(
                "INSERT INTO contacts (id, client_id, email, name, role, all_projects, password_hash, notify_thresholds, notify_digest, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                &args![
                    &contact.id,
                    &c.id,
                    &contact.email,
                    &contact.name,
                    contact.role.as_str(),
                    all,
                    hash,
                    contact.notify_thresholds,
                    contact.notify_digest,
                    now_s.as_str()
                ],
            )?);
            for (j, a) in contact.approves.iter().enumerate() {
                if !c.projects.iter().any(|p| p.id == a.project) {
                    errors.push(at(&format!("contacts[{k}].approves[{j}].project")), "must be a project of this client");
                }
                approvals.push((contact.id.clone(), a.project.clone(), calendar.week_of(a.week.resolve(day0)).start));
            }
            if let Some(FxProjects::Some(list)) = &contact.projects {
                for pid in list {
                    contact_rows.push((contact.id.clone(), pid.clone()));
                }
            }
        }
        for (pi, fp) in c.projects.iter().enumerate() {
            project_count += 1;
            let at = |f: &str| format!("clients[{ci}].projects[{pi}].{f}");
            let budget = match &fp.budget {
                None => None,
                Some(b) => {
                    let period = check(&mut errors, at("budget.period"), BudgetPeriod::parse(&b.period));
                    let amount = b.amount.as_deref().and_then(|a| check(&mut errors, at("budget.amount"), Money::parse_major(a, currency)));
                    period.map(|period| Budget {
                        period,
                        minutes: b.hours.map(|h| h * 60),
                        amount_minor: amount.map(|m| m.minor),
                        includes_non_billable: b.includes_non_billable,
                    })
                }
            };
            // Budget changes: the fixture's budget is the original, the last change is in force.
            let mut budget = budget;
            for (j, ch) in fp.budget_changes.iter().enumerate() {
                let at = |f: &str| format!("clients[{ci}].projects[{pi}].budget_changes[{j}].{f}");
                let Some(before) = budget else {
                    errors.push(at("on"), "a budget change needs a budget");
                    continue;
                };
                let amount = ch.amount.as_deref().and_then(|a| check(&mut errors, at("amount"), Money::parse_major(a, currency)));
                let after = Budget {
                    minutes: ch.hours.map(|h| h * 60).or(before.minutes),
                    amount_minor: amount.map(|m| m.minor).or(before.amount_minor),
                    ..before
                };
                let on = ch.on.resolve(day0);
                let request = format!("br_fx_{}_{j}", fp.id);
                let stamp = at_noon(on);
                later.push(db.stmt(
                    "INSERT INTO budget_requests (id, provider_id, client_id, project_id, contact_id, add_minutes, add_amount_minor, reason, state,
                                                  response, decided_by, decided_at, decision_id, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'accepted', '', ?, ?, ?, ?)",
                    &args![
                        request.as_str(),
                        &p.id,
                        &c.id,
                        &fp.id,
                        &ch.requested_by,
                        (after.minutes.unwrap_or(0) - before.minutes.unwrap_or(0)).max(0),
                        (after.amount_minor.unwrap_or(0) - before.amount_minor.unwrap_or(0)).max(0),
                        &ch.reason,
                        &ch.approved_by,
                        stamp.as_str(),
                        format!("{request}_d"),
                        stamp.as_str()
                    ],
                )?);
                later.push(db.stmt(
                    "INSERT INTO budget_changes (id, provider_id, client_id, project_id, request_id, effective_on, before_minutes, after_minutes,
                                                 before_amount_minor, after_amount_minor, requested_by, approved_by, reason, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    &args![
                        format!("bc_fx_{}_{j}", fp.id),
                        &p.id,
                        &c.id,
                        &fp.id,
                        request.as_str(),
                        on.to_string(),
                        before.minutes,
                        after.minutes,
                        before.amount_minor,
                        after.amount_minor,
                        &ch.requested_by,
                        &ch.approved_by,
                        &ch.reason,
                        stamp.as_str()
                    ],
                )?);
                budget = Some(after);
            }
            for (j, q) in fp.questions.iter().enumerate() {
                let at = |f: &str| format!("clients[{ci}].projects[{pi}].questions[{j}].{f}");
                let week = match (q.subject.as_str(), &q.week) {
                    ("project", None) => None,
                    ("week", Some(w)) => Some(calendar.week_of(w.resolve(day0)).start),
                    _ => {
                        errors.push(at("subject"), "must be \"project\" (no week) or \"week\" (with a week)");
                        None
                    }
                };
                let id = format!("q_fx_{}_{j}", fp.id);
                let asked = at_noon(q.asked_on.resolve(day0));
                let answered = q.answer.as_ref().map(|a| at_noon(a.on.resolve(day0)));
                later.push(db.stmt(
                    "INSERT INTO questions (id, provider_id, client_id, project_id, contact_id, kind, week_start, state, created_at, first_answer_at, email_on_answer)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    &args![
                        id.as_str(),
                        &p.id,
                        &c.id,
                        &fp.id,
                        &q.contact,
                        &q.subject,
                        week.map(|d| d.to_string()),
                        if answered.is_some() { "answered" } else { "open" },
                        asked.as_str(),
                        answered.clone(),
                        q.email_on_answer
                    ],
                )?);
                later.push(db.stmt(
                    "INSERT INTO question_messages (id, question_id, client_id, author_kind, author_id, body, created_at) VALUES (?, ?, ?, 'contact', ?, ?, ?)",
                    &args![format!("{id}_m0"), id.as_str(), &c.id, &q.contact, &q.body, asked.as_str()],
                )?);
                if let (Some(a), Some(when)) = (&q.answer, answered) {
                    later.push(db.stmt(
                        "INSERT INTO question_messages (id, question_id, client_id, author_kind, author_id, body, created_at) VALUES (?, ?, ?, 'staff', ?, ?, ?)",
                        &args![format!("{id}_m1"), id.as_str(), &c.id, &a.staff, &a.body, when],
                    )?);
                }
            }
            let rate = fp.rate.as_deref().and_then(|r| check(&mut errors, at("rate"), HourlyRate::parse(r)));
            let thresholds = match &fp.alert_thresholds {
                Some(t) => check(&mut errors, at("alert_thresholds"), Thresholds::new(t.clone())).unwrap_or_default(),
                None => Thresholds::default(),
            };
            let Some(id) = check(&mut errors, at("id"), ProjectId::parse(&fp.id)) else { continue };
            let project = Project {
                id,
                client_id: client_id.clone(),
                name: fp.name.clone(),
                currency,
                budget,
                starts_on: fp.starts_on.resolve(day0),
                ends_on: fp.ends_on.as_ref().map(|d| d.resolve(day0)),
                default_rate: rate,
                thresholds,
            };
            meta.push(db.stmt(
                "INSERT INTO projects (id, provider_id, client_id, name, code, budget_period, budget_minutes, budget_amount_minor,
                                       budget_includes_non_billable, starts_on, ends_on, default_rate, alert_thresholds, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                &args![
                    project.id.as_str(),
                    &p.id,
                    &c.id,
                    &fp.name,
                    &fp.code,
                    project.budget.map(|b| b.period.as_str()),
                    project.budget.and_then(|b| b.minutes),
                    project.budget.and_then(|b| b.amount_minor),
                    project.budget.is_some_and(|b| b.includes_non_billable),
                    project.starts_on.to_string(),
                    project.ends_on.map(|d| d.to_string()),
                    project.default_rate.map(|r| r.0.to_string()),
                    project.thresholds.to_stored(),
                    now_s.as_str()
                ],
            )?);
            for (k, ph) in fp.phases.iter().enumerate() {
                meta.push(db.stmt(
                    "INSERT INTO phases (id, client_id, project_id, name, position) VALUES (?, ?, ?, ?, ?)",
                    &args![&ph.id, &c.id, &fp.id, &ph.name, i64::try_from(k).unwrap_or(0)],
                )?);
            }
            for (ei, e) in fp.entries.iter().enumerate() {
                let at = |f: &str| format!("clients[{ci}].projects[{pi}].entries[{ei}].{f}");
                let member = check(&mut errors, at("member"), MemberId::parse(&e.member));
                let task = e.task.as_deref().and_then(|t| check(&mut errors, at("task"), TaskId::parse(t)));
                let phase = e.phase.as_deref().and_then(|t| check(&mut errors, at("phase"), PhaseId::parse(t)));
                let rate = e.rate.as_deref().and_then(|r| check(&mut errors, at("rate"), HourlyRate::parse(r)));
                if !(1..=1440).contains(&e.minutes) {
                    errors.push(at("minutes"), "must be between 1 and 1440");
                }
                let date = e.day.resolve(day0);
                if date > today {
                    continue; // Future-dated demo entries are not loaded.
                }
                let Some(member) = member else { continue };
                let external_id = check(&mut errors, at("day"), ExternalId::parse(&format!("fx-{}-{ei}", fp.id)));
                let Some(external_id) = external_id else { continue };
                let draft = EntryDraft {
                    external_id,
                    project_id: project.id.clone(),
                    member_id: member,
                    task_id: task,
                    phase_id: phase,
                    when: When::LocalDate(date),
                    minutes: e.minutes,
                    billable: e.billable,
                    description: e.description.clone(),
                    internal_note: e.internal_note.clone(),
                    rate,
                };
                let resolved = resolve(draft, &project, &calendar);
                entries.push(resolved);
            }
        }
        for (contact, pid) in contact_rows {
            meta.push(
                db.stmt("INSERT INTO contact_projects (contact_id, client_id, project_id) VALUES (?, ?, ?)", &args![contact, &c.id, pid])?,
            );
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    meta.extend(later);
    db.batch(meta).await?;
    let upserts = crate::delivery::fixture_upserts(&p.id, &entries, now)?;
    for chunk in upserts.chunks(ENTRY_BATCH) {
        db.batch(prepare_all(db, chunk)?).await?;
    }
    let entries = entries.len();
    if let Err(e) = load_invoices(db, &p.id, &invoices, now).await? {
        return Ok(Err(e));
    }
    Ok(Ok(Loaded { clients: fx.clients.len(), projects: project_count, entries, approvals }))
}

/// Makes each fixture invoice through the admin area's own path (`invoices::create_for_client`),
/// then issues, pays or voids it.
async fn load_invoices(
    db: &Db,
    provider: &str,
    invoices: &[(ClientId, Currency, chrono::NaiveDate, i64, &FxInvoice)],
    now: DateTime<Utc>,
) -> Result<std::result::Result<(), ValidationError>> {
    use crate::invoices as inv;
    let mut errors = ValidationError::default();
    let Ok(pid) = clearhours_domain::ids::ProviderId::parse(provider) else { return Ok(Ok(())) };
    let scope = crate::auth::system_scope(pid);
    for (k, (client, currency, day0, terms, fi)) in invoices.iter().enumerate() {
        let req = inv::InvoiceRequest {
            selection: Selection { from: fi.from.as_ref().map(|d| d.resolve(*day0)), to: fi.to.resolve(*day0), projects: Vec::new() },
            tax_rate: None,
            number: Some(&fi.number),
            terms: &fi.terms,
            notes: &fi.notes,
            payment_url: fi.payment_url.as_deref(),
        };
        let (id, _, draft) = match inv::create_for_client(db, &scope, client, &req, now).await? {
            Some(Ok(created)) => created,
            Some(Err(e)) => {
                errors.push(format!("invoices[{k}] ({})", fi.number), format!("could not be created: {e:?}"));
                continue;
            }
            None => continue,
        };
        let Some(issued) = fi.issued_on.as_ref().map(|d| d.resolve(*day0)) else { continue };
        let due = fi.due_on.as_ref().map_or_else(|| clearhours_domain::calendar::add_days(issued, *terms), |d| d.resolve(*day0));
        inv::issue(db, &scope, &id, issued, due).await?;
        let mut paid = 0i64;
        for p in &fi.payments {
            let amount = if p.amount == "balance" {
                draft.total_minor - paid
            } else {
                Money::parse_major(&p.amount, *currency).map(|m| m.minor).unwrap_or(0)
            };
            if amount > 0 {
                inv::record_payment(db, &scope, &id, amount, p.paid_on.resolve(*day0), &p.reference, now).await?;
                paid += amount;
            }
        }
        if fi.void {
            inv::void(db, &scope, &id, now).await?;
        }
    }
    Ok(if errors.is_empty() { Ok(()) } else { Err(errors) })
}

/// Dev only: runs `n` trivial statements one by one (a test shows the per-invocation limit).
pub async fn probe(db: &Db, n: usize) -> Result<()> {
    for i in 0..n {
        let _: Option<serde_json::Value> = db.first("SELECT ? AS n", &args![i64::try_from(i).unwrap_or(0)]).await?;
    }
    Ok(())
}
