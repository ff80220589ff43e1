//! The alerts worker: a cron job that finds projects over a budget threshold and tells the
//! provider on Slack and by e-mail, exactly once per (project, threshold, budget period,
//! channel, recipient).
//!
//! The job is [`run`], a sequence of independent steps (a failing step is logged and the next
//! one still runs; a new step — e.g. sealing the access log — is one more line there):
//! 1. [`check_projects`] reads pages of budgeted projects after a cursor stored in D1, computes
//!    figures from rollups and *enqueues* alerts in the batch that moves the cursor (the outbox's
//!    unique key drops repeats). Retainers are also checked against the month just ended during
//!    the first week of a month, so a crossing that missed runs would have seen is not lost.
//! 2. [`deliver`] *claims* due outbox rows and sends them: Slack Block Kit (with a plain-text
//!    fallback) or a multipart e-mail; at most one message per second per Slack webhook (three
//!    per run, the rest wait for the next run); a
//!    timeout, 5xx or 429 waits with exponential backoff and jitter (or the `Retry-After`); a
//!    permanent refusal stops and shows on the admin alerts page; a sent row is final.
//!
//! Every step is a fixed number of statements (a page of 100 projects is one round trip), and
//! a run stops within [`STATEMENT_BUDGET`], so any number of projects is covered across runs
//! within D1's per-invocation limit. A project with broken data is logged and skipped; it never
//! stops the other projects or providers. The scheduled handler is a shell around it; in dev
//! builds `POST /__dev/run` runs it too.
//!
//! A second cron (each minute) seals the access log ([`seal`]); in dev builds `POST /__dev/seal`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_arithmetic))]

use chrono::{DateTime, Datelike, Utc};
use clearhours_domain::alert::{classify, crossed_budget, period_key, EmailBody, Outcome, ThresholdAlert};
use clearhours_domain::money::Money;
use clearhours_http::{json, real_now, secure, segments, ApiError, ApiResult, Kind};
use clearhours_storage::access_log;
use clearhours_storage::alerts::{self, Delivery, NewAlert, OutboxRow};
use clearhours_storage::provider::{alert_page, AlertProject, Cursor, ProviderProject};
use serde::Serialize;
use std::collections::HashMap;
use worker::{event, Context, Env, Fetch, Method, Request, RequestInit, Response, ScheduleContext, ScheduledEvent};

/// Projects read per round trip.
const PAGE: usize = 100;
/// Projects checked per run unless `ALERTS_PROJECTS_PER_RUN` says otherwise.
const PROJECTS_PER_RUN: usize = 400;
/// Outbox rows sent per run (each is an outgoing request).
const SENDS_PER_RUN: i64 = 15;
/// D1 statements one run may use: under the free plan's 50 per invocation.
const STATEMENT_BUDGET: usize = 45;
/// Statements a page costs: five reads, one more for the notes (names, waiting entries), then
/// the enqueue and the cursor.
const PAGE_STATEMENTS: usize = 8;
/// Statements kept for sending: the claim (lease + one read of the recipients) and one mark per row,
/// each right after its POST, so a run that dies can repeat at most the one message in flight.
const SEND_STATEMENTS: usize = 2 + SENDS_PER_RUN as usize;
/// A request that has not answered after this long counts as a temporary failure
/// (`ALERTS_SEND_TIMEOUT_MS` overrides it).
const SEND_TIMEOUT_MS: u64 = 10_000;
/// Slack allows about one message per second per incoming webhook.
const SLACK_SPACING_MS: u64 = 1_000;
/// Slack messages per webhook per run (paced a second apart); more wait for the next run, so a
/// burst for one provider neither stalls the run nor floods the channel.
const SLACK_PER_WEBHOOK_PER_RUN: usize = 3;
/// Retainers are also checked against the month just ended during its first days.
const CATCH_UP_DAYS: u32 = 7;

/// Digests built per run at most; the statement budget decides (each reads one contact's
/// dashboards, a batch of nine): one per run on the free plan's 50 statements, up to this many
/// with `ALERTS_STATEMENT_BUDGET` raised on a paid plan.
const DIGESTS_PER_RUN: i64 = 40;
/// Statements one digest costs: its dashboards' reads (one batch of nine) and the
/// enqueue/schedule batch (two).
const DIGEST_STATEMENTS: usize = 11;

/// What the checking steps need beyond the database: where the portal is, and the key that
/// signs unsubscribe links (derived from `DATA_KEY`; without it no client e-mail is made).
pub struct Links {
    pub base: String,
    pub unsubscribe_key: Option<[u8; 32]>,
    /// The shard this run walks, signed into unsubscribe links so the portal opens it directly
    /// (`None` for the directory database: the token's older three-part form).
    pub shard: Option<String>,
}

impl Links {
    fn from_env(env: &Env, binding: &str) -> Self {
        let base = env.var("PORTAL_BASE_URL").map(|v| v.to_string()).unwrap_or_default();
        let shard = (binding != clearhours_storage::shards::DIRECTORY).then(|| binding.to_string());
        Links { base, unsubscribe_key: clearhours_http::unsubscribe_key(env), shard }
    }

    /// The links of an e-mail to `contact_id`, or `None` without the key (then nothing is sent
    /// to contacts: an e-mail without a working unsubscribe link is never made).
    fn for_contact(&self, contact_id: &str, now: DateTime<Utc>) -> Option<clearhours_domain::notify::Links> {
        let key = self.unsubscribe_key.as_ref()?;
        let token = clearhours_domain::notify::sign_unsubscribe(key, contact_id, self.shard.as_deref(), now);
        let base = self.base.trim_end_matches('/');
        Some(clearhours_domain::notify::Links { portal_url: base.to_string(), unsubscribe_url: format!("{base}/unsubscribe?t={token}") })
    }
}

/// What one run did.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub projects_checked: usize,
    /// Projects skipped because their stored data does not decode (logged with the provider).
    pub projects_failed: usize,
    pub alerts_enqueued: usize,
    /// Weekly digests enqueued for contacts.
    pub digests_enqueued: usize,
    pub sent: usize,
    /// Temporary failures, to be tried again later.
    pub retrying: usize,
    /// Permanent failures (or given up): shown on the admin alerts page until retried.
    pub failed: usize,
    /// Left for the next run (the webhook's per-run share was used).
    pub deferred: usize,
    /// Where the next run starts ("" = the beginning).
    pub cursor: String,
    /// Wall time of each step (ms): checking projects, delivering.
    pub check_ms: u64,
    pub digest_ms: u64,
    pub deliver_ms: u64,
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    // The platform's scheduled time is the job's clock.
    #[allow(clippy::cast_possible_truncation)]
    let ms = event.schedule() as i64;
    let now = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_else(real_now);
    // Every shard (issue 16, `storage::shards`) in turn: one that fails never stops the next.
    for binding in clearhours_http::shard_bindings(&env) {
        if event.cron() == SEAL_CRON {
            match seal(&env, &binding, now).await {
                Ok(r) => worker::console_log!("access log sealed ({binding}): {r:?}"),
                Err(e) => worker::console_error!("access log sealing failed ({binding}): {}", e.detail),
            }
            continue;
        }
        match run(&env, &binding, now).await {
            Ok(r) => worker::console_log!("alerts run ({binding}): {r:?}"),
            Err(e) => worker::console_error!("alerts run failed ({binding}): {}", e.detail),
        }
    }
}

/// The cron that seals the access log (each minute; `workers/alerts/wrangler.toml`).
const SEAL_CRON: &str = "* * * * *";

/// Seals every provider's waiting access-log rows into its chain: the single writer of the
/// chains besides verification on demand (`clearhours_storage::access_log`). Stays within
/// D1's 50 statements per invocation; what is left waits for the next minute.
pub async fn seal(env: &Env, binding: &str, now: DateTime<Utc>) -> ApiResult<access_log::SealAllReport> {
    let db = clearhours_http::db_for(env, binding)?;
    let keys = clearhours_http::audit_keys(env)?;
    // D1 allows 50 statements per invocation on the free plan (1,000 on paid): AUDIT_SEAL_STATEMENTS
    // raises the budget where the plan allows.
    let budget = env.var("AUDIT_SEAL_STATEMENTS").ok().and_then(|v| v.to_string().parse().ok()).unwrap_or(45).clamp(10, 900);
    let (report, errors) = access_log::seal_pending(&db, &keys, now, budget).await?;
    for e in errors {
        worker::console_error!("access log: {e}");
    }
    Ok(report)
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let (env, invocation) = clearhours_http::invocation(env);
    let _ = &env; // only dev builds route on it
    let segs = segments(&req);
    let resp = match (req.method(), segs.iter().map(String::as_str).collect::<Vec<_>>().as_slice()) {
        (Method::Get, ["healthz"]) => json(200, &serde_json::json!({"ok": true})),
        #[cfg(feature = "dev")]
        (Method::Post, ["__dev", "run"]) if clearhours_http::dev_mode(&env) => {
            match run(&env, &dev_shard(&req), clearhours_http::now(&req, &env)).await {
                Ok(r) => json(200, &r),
                Err(e) => e.into_response(),
            }
        }
        #[cfg(feature = "dev")]
        (Method::Post, ["__dev", "seal"]) if clearhours_http::dev_mode(&env) => {
            match seal(&env, &dev_shard(&req), clearhours_http::now(&req, &env)).await {
                Ok(r) => json(200, &r),
                Err(e) => e.into_response(),
            }
        }
        _ => ApiError::not_found().into_response(),
    };
    Ok(invocation.finish(secure(resp, Kind::Private)))
}

/// `?shard=<binding>` on the dev routes (default: the directory database).
#[cfg(feature = "dev")]
fn dev_shard(req: &Request) -> String {
    req.url()
        .ok()
        .and_then(|u| u.query_pairs().find(|(k, _)| k == "shard").map(|(_, v)| v.to_string()))
        .filter(|b| clearhours_storage::shards::valid_binding(b))
        .unwrap_or_else(|| clearhours_storage::shards::DIRECTORY.to_string())
}

/// One run of the job at `now`: check the next page(s) of budgeted projects after the stored
/// cursor, enqueue the crossed thresholds and move the cursor (a run that reaches the end starts
/// the next one from the beginning), then send due outbox rows. A project whose data is broken
/// is logged with its provider and skipped; the others are checked all the same.
pub async fn run(env: &Env, binding: &str, now: DateTime<Utc>) -> ApiResult<Report> {
    let db = clearhours_http::db_for(env, binding)?;
    let links = Links::from_env(env, binding);
    let per_run = env
        .var("ALERTS_PROJECTS_PER_RUN")
        .ok()
        .and_then(|v| v.to_string().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(PROJECTS_PER_RUN);
    // D1 allows 50 statements per invocation on the free plan (1,000 on paid):
    // ALERTS_STATEMENT_BUDGET raises the budget where the plan allows.
    let budget = env
        .var("ALERTS_STATEMENT_BUDGET")
        .ok()
        .and_then(|v| v.to_string().parse::<usize>().ok())
        .unwrap_or(STATEMENT_BUDGET)
        .clamp(30, 900);
    let mut report = Report::default();
    // Each step on its own: one that fails is logged, and what comes after still runs.
    let t = wall_ms();
    // Digests first (one statement when none is due), so a long pass over many projects never
    // starves them; the project pages use what is left.
    if let Err(e) = digests(&db, &links, budget, now, &mut report).await {
        worker::console_error!("alerts: digests stopped: {}", e.detail);
    }
    let t1 = wall_ms();
    report.digest_ms = t1.saturating_sub(t);
    if let Err(e) = check_projects(&db, &links, per_run, budget, now, &mut report).await {
        worker::console_error!("alerts: checking projects stopped: {}", e.detail);
    }
    let t2 = wall_ms();
    report.check_ms = t2.saturating_sub(t1);
    let delivered = deliver(env, &db, now, &mut report).await;
    report.deliver_ms = wall_ms().saturating_sub(t2);
    delivered?;
    Ok(report)
}

/// Step 1: the next pages of projects after the cursor → alerts enqueued, cursor moved.
pub async fn check_projects(
    db: &clearhours_storage::Db,
    links: &Links,
    per_run: usize,
    budget: usize,
    now: DateTime<Utc>,
    report: &mut Report,
) -> ApiResult<()> {
    let mut cursor = alerts::cursor(db).await?;
    let mut restarted = false;
    while report.projects_checked + report.projects_failed < per_run && db.statements() + PAGE_STATEMENTS + SEND_STATEMENTS <= budget {
        let asked = PAGE.min(per_run - report.projects_checked - report.projects_failed);
        let page = alert_page(db, &cursor, asked, now).await?;
        if page.is_empty() && !cursor.is_start() && !restarted {
            // The last run stopped exactly at the end: start over.
            cursor = Cursor::default();
            restarted = true;
            continue;
        }
        let mut new = Vec::new();
        for item in &page {
            match &item.project {
                Ok(pp) => {
                    report.projects_checked += 1;
                    new.extend(alerts_for(pp, item, &links.base, now));
                    new.extend(contact_alerts(pp, item, links, now));
                }
                Err(e) => {
                    report.projects_failed += 1;
                    worker::console_error!("alerts: provider {} project {} skipped: {e}", item.provider_id, item.project_id);
                }
            }
        }
        match provider_notes(db, &page, &links.base, now).await {
            Ok(notes) => new.extend(notes),
            Err(e) => worker::console_error!("alerts: provider notes of this page skipped: {}", e.detail),
        }
        let at_end = page.len() < asked;
        let next = match page.last() {
            Some(last) if !at_end => Cursor { provider_id: last.provider_id.clone(), project_id: last.project_id.clone() },
            _ => Cursor::default(),
        };
        report.alerts_enqueued += alerts::enqueue_and_advance(db, &new, &next, now).await?;
        report.cursor = if next.is_start() { String::new() } else { format!("{}/{}", next.provider_id, next.project_id) };
        cursor = next;
        if at_end {
            break;
        }
    }
    Ok(())
}

/// The threshold alerts a project's figures cross now, on each of the provider's channels; for
/// a retainer in the first days of a month, also those of the month just ended.
fn alerts_for(pp: &ProviderProject, item: &AlertProject, base: &str, now: DateTime<Utc>) -> Vec<NewAlert> {
    let today = pp.calendar.today(now);
    let mut days = vec![today];
    if pp.project.is_monthly() && today.day() <= CATCH_UP_DAYS {
        if let Some(last_month) = today.with_day(1).and_then(|d| d.pred_opt()) {
            days.push(last_month);
        }
    }
    let mut out = Vec::new();
    for day in days {
        let f = pp.figures_on(day);
        let Some(b) = f.budget.as_ref() else { continue };
        let period_key = period_key(pp.project.is_monthly(), f.period.start);
        for threshold in crossed_budget(b, pp.project.thresholds.values()) {
            let alert = ThresholdAlert {
                client_name: pp.client_name.clone(),
                project_name: pp.project.name.clone(),
                threshold,
                percent: b.percent().unwrap_or_default(),
                used_minutes: b.used_minutes,
                allocated_minutes: b.allocated_minutes,
                used_amount: b.allocated_amount_minor.map(|_| Money::new(b.used_amount_minor, pp.project.currency)),
                allocated_amount: b.allocated_amount_minor.map(|a| Money::new(a, pp.project.currency)),
                period_key: period_key.clone(),
                portal_url: format!("{base}/admin/projects/{}", pp.project.id),
            };
            let new = |channel: &'static str, payload: String| NewAlert {
                provider_id: item.provider_id.clone(),
                client_id: pp.project.client_id.to_string(),
                project_id: pp.project.id.to_string(),
                kind: "budget_threshold",
                threshold: i64::from(threshold),
                period_key: period_key.clone(),
                channel,
                recipient: "provider".to_string(),
                payload,
            };
            if item.channels.slack {
                out.push(new("slack", alert.slack_message().to_string()));
            }
            if item.channels.email {
                match alert.email().map_err(|e| e.to_string()).and_then(|m| serde_json::to_string(&m).map_err(|e| e.to_string())) {
                    Ok(payload) => out.push(new("email", payload)),
                    Err(e) => worker::console_error!("alerts: project {} e-mail not rendered: {e}", pp.project.id),
                }
            }
        }
    }
    out
}

/// The provider's notes of a page (besides thresholds), on each channel the provider (or the
/// project) has: a run-out before the end date (once per period, again when a week earlier),
/// the week's "what changed" callouts, unmapped entries waiting (at most daily) and new ingest
/// flags on invoiced entries. Names come from one extra read; nothing is read when no project
/// of the page has callouts and no provider of it has channels.
async fn provider_notes(db: &clearhours_storage::Db, page: &[AlertProject], base: &str, now: DateTime<Utc>) -> ApiResult<Vec<NewAlert>> {
    use clearhours_domain::figures::{EndCheck, Projection};
    use clearhours_domain::provider_note::{callout_line, day_number, runout_due, NoteKind, ProviderNote};
    let told = |item: &AlertProject| item.channels.slack || item.channels.email;
    let mut providers: Vec<&str> = page.iter().filter(|i| told(i)).map(|i| i.provider_id.as_str()).collect();
    providers.dedup();
    if providers.is_empty() {
        return Ok(Vec::new());
    }
    let projects: Vec<&str> = page.iter().filter(|i| told(i)).map(|i| i.project_id.as_str()).collect();
    let extras = alerts::page_extras(db, &providers, &projects).await?;
    let mut out = Vec::new();
    let mut push = |item: &AlertProject, client_id: &str, project_id: &str, note: &ProviderNote, number: i64, period: &str| {
        let new = |channel: &'static str, payload: String| NewAlert {
            provider_id: item.provider_id.clone(),
            client_id: client_id.to_string(),
            project_id: project_id.to_string(),
            kind: note.kind_key(),
            threshold: number,
            period_key: period.to_string(),
            channel,
            recipient: "provider".to_string(),
            payload,
        };
        if item.channels.slack {
            out.push(new("slack", note.slack_message().to_string()));
        }
        if item.channels.email {
            match note.email().map_err(|e| e.to_string()).and_then(|m| serde_json::to_string(&m).map_err(|e| e.to_string())) {
                Ok(payload) => out.push(new("email", payload)),
                Err(e) => worker::console_error!("alerts: note not rendered: {e}"),
            }
        }
    };
    let mut seen_providers: Vec<&str> = Vec::new();
    for item in page.iter().filter(|i| told(i)) {
        let Ok(pp) = &item.project else { continue };
        let f = pp.figures(now);
        let subject = format!("{} · {}", pp.client_name, pp.project.name);
        let url = format!("{base}/admin/projects/{}", pp.project.id);
        let (client_id, project_id) = (pp.project.client_id.to_string(), pp.project.id.to_string());
        if let Projection::RunsOut { date, end: Some(EndCheck::RunsOutEarly { end, days_early }), .. } = f.projection {
            let period = period_key(pp.project.is_monthly(), f.period.start);
            let before = item.runout_told.get(&period).copied();
            if runout_due(date, before) {
                let told_before = before.map(|d| chrono::NaiveDate::default() + chrono::Duration::days(d));
                let note = ProviderNote {
                    subject: subject.clone(),
                    kind: NoteKind::RunOut { run_out: date, end, days_early, told_before },
                    url: url.clone(),
                };
                push(item, &client_id, &project_id, &note, day_number(date), &period);
            }
        }
        if let Some(week) = f.changes.weeks.last().filter(|_| !f.changes.callouts.is_empty()) {
            let lines = f
                .changes
                .callouts
                .iter()
                .map(|c| {
                    let dim = match c.dim {
                        clearhours_domain::rollup::Dim::Member => "member",
                        clearhours_domain::rollup::Dim::Task => "task",
                        clearhours_domain::rollup::Dim::Phase => "phase",
                        clearhours_domain::rollup::Dim::All => "all",
                    };
                    let name = extras.names.get(&(dim.to_string(), c.id.clone())).cloned().unwrap_or_else(|| c.id.clone());
                    callout_line(c, &name)
                })
                .collect();
            let note = ProviderNote { subject, kind: NoteKind::Changes { week: week.start, lines }, url };
            push(item, &client_id, &project_id, &note, 0, &week.start.to_string());
        }
        if !seen_providers.contains(&item.provider_id.as_str()) {
            seen_providers.push(item.provider_id.as_str());
            let (unmapped, flags, newest) = extras.waiting.get(&item.provider_id).copied().unwrap_or_default();
            if unmapped > 0 {
                let note = ProviderNote {
                    subject: String::new(),
                    kind: NoteKind::Unmapped { count: unmapped },
                    url: format!("{base}/admin/unmapped"),
                };
                push(item, "", "", &note, 0, &now.date_naive().to_string());
            }
            if flags > 0 {
                let note = ProviderNote {
                    subject: String::new(),
                    kind: NoteKind::IngestFlags { count: flags },
                    url: format!("{base}/admin/invoices"),
                };
                push(item, "", "", &note, newest, "all");
            }
        }
    }
    Ok(out)
}

/// The shared thresholds a project has crossed *as its client sees it* (the client's view mode
/// and non-billable rule: a weekly-summary client is told only what its completed weeks show),
/// one e-mail per opted-in contact who may see the project. The message is rendered from the
/// client-view projection only.
fn contact_alerts(pp: &ProviderProject, item: &AlertProject, links: &Links, now: DateTime<Utc>) -> Vec<NewAlert> {
    use clearhours_domain::client_view::{project_dashboard, ClientContext};
    use clearhours_domain::figures::{compute, FigureInputs};
    let Some(cs) = &item.client else { return Vec::new() };
    let today = pp.calendar.today(now);
    let f = compute(&FigureInputs {
        project: &pp.project,
        calendar: &pp.calendar,
        today,
        view: cs.visibility.view,
        show_non_billable: cs.visibility.shows_non_billable(),
        all_weeks: &pp.rollups.all_weeks,
        recent: &pp.rollups.recent,
        totals: &pp.rollups.totals,
        future: &pp.rollups.future,
    });
    let Some(b) = f.budget.as_ref() else { return Vec::new() };
    let crossed = crossed_budget(b, &cs.shared);
    if crossed.is_empty() {
        return Vec::new();
    }
    let period_key = period_key(pp.project.is_monthly(), f.period.start);
    // No member, task or phase records: a threshold e-mail names none of them.
    let cx = ClientContext {
        visibility: cs.visibility,
        currency: pp.project.currency,
        locale: cs.locale,
        time_zone: pp.calendar.tz,
        members: &[],
        tasks: &[],
        phases: &[],
    };
    let dashboard = project_dashboard(&cx, &pp.project, &f, None);
    let mut out = Vec::new();
    for contact in &cs.contact_ids {
        let Some(l) = links.for_contact(contact, now) else { continue };
        for &threshold in &crossed {
            let mail =
                clearhours_domain::notify::ClientThreshold { client_name: &pp.client_name, dashboard: &dashboard, threshold, links: &l };
            match mail.render().map_err(|e| e.to_string()).and_then(|m| serde_json::to_string(&m).map_err(|e| e.to_string())) {
                Ok(payload) => out.push(NewAlert {
                    provider_id: item.provider_id.clone(),
                    client_id: pp.project.client_id.to_string(),
                    project_id: pp.project.id.to_string(),
                    kind: "budget_threshold",
                    threshold: i64::from(threshold),
                    period_key: period_key.clone(),
                    channel: "email",
                    recipient: format!("contact:{contact}"),
                    payload,
                }),
                Err(e) => worker::console_error!("alerts: project {} contact e-mail not rendered: {e}", pp.project.id),
            }
        }
    }
    out
}

/// The weekly digests that are due: for each opted-in contact whose client's week has started
/// (in the client's time zone), the week that ended, built from the same dashboards the contact
/// sees signed in, enqueued once per (contact, week) — the week is the outbox period — and the
/// next digest scheduled for the start of the client's next week, in one batch. A contact who
/// just opted in is scheduled without a digest. Bounded per run; the rest wait for the next.
pub async fn digests(db: &clearhours_storage::Db, links: &Links, budget: usize, now: DateTime<Utc>, report: &mut Report) -> ApiResult<()> {
    // Room for one page of projects is always kept, so digests never stall the pass either.
    if db.statements() + 1 + DIGEST_STATEMENTS + PAGE_STATEMENTS + SEND_STATEMENTS > budget {
        return Ok(());
    }
    let room =
        (budget.saturating_sub(db.statements() + 1 + PAGE_STATEMENTS + SEND_STATEMENTS) / DIGEST_STATEMENTS).min(DIGESTS_PER_RUN as usize);
    let (due, broken) = alerts::digests_due(db, now, i64::try_from(room).unwrap_or(1)).await?;
    for e in broken {
        worker::console_error!("alerts: {e}");
    }
    for d in due {
        if db.statements() + DIGEST_STATEMENTS + PAGE_STATEMENTS + SEND_STATEMENTS > budget {
            break;
        }
        let settings = d.scope.settings();
        let cal = settings.calendar;
        let today = cal.today(now);
        let this_week = cal.week_of(today);
        let next = clearhours_domain::calendar::add_days(this_week.start, 7);
        let next_at = cal.start_of_day_utc(next).map(clearhours_storage::auth::ts).unwrap_or_default();
        let contact = d.scope.contact_id().to_string();
        let mut digest = None;
        if !d.next_at.is_empty() {
            let dashboards = clearhours_http::dashboards::for_scope(db, &d.scope, now, None).await?;
            let last = clearhours_domain::calendar::add_days(this_week.start, -7);
            let Some(l) = links.for_contact(&contact, now) else { continue };
            if !dashboards.is_empty() {
                let mail = clearhours_domain::notify::WeeklyDigest {
                    client_name: &settings.name,
                    week_start: last,
                    week_end: clearhours_domain::calendar::add_days(this_week.start, -1),
                    dashboards: &dashboards,
                    links: &l,
                };
                match mail.render().map_err(|e| e.to_string()).and_then(|m| serde_json::to_string(&m).map_err(|e| e.to_string())) {
                    Ok(payload) => {
                        digest = Some(NewAlert {
                            provider_id: d.scope.provider_id().to_string(),
                            client_id: d.scope.client_id().to_string(),
                            project_id: String::new(),
                            kind: "weekly_digest",
                            threshold: 0,
                            period_key: last.to_string(),
                            channel: "email",
                            recipient: format!("contact:{contact}"),
                            payload,
                        });
                    }
                    Err(e) => worker::console_error!("alerts: digest of contact {contact} not rendered: {e}"),
                }
            }
        }
        if alerts::schedule_digest(db, digest.as_ref(), &d.scope, &d.next_at, &next_at, now).await? {
            report.digests_enqueued += 1;
        }
    }
    Ok(())
}

/// Step 2: claims due rows (one round trip), sends each, and records each outcome right after
/// its request. Slack webhooks get at most one message per second.
pub async fn deliver(env: &Env, db: &clearhours_storage::Db, now: DateTime<Utc>, report: &mut Report) -> ApiResult<()> {
    let timeout_ms = env
        .var("ALERTS_SEND_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.to_string().parse::<u64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(SEND_TIMEOUT_MS);
    // Pacing overrides, for tests that send many messages to one stand-in webhook.
    let var = |name: &str| env.var(name).ok().and_then(|v| v.to_string().parse::<u64>().ok());
    let spacing_ms = var("ALERTS_SLACK_SPACING_MS").unwrap_or(SLACK_SPACING_MS);
    let per_webhook_limit =
        var("ALERTS_SLACK_PER_RUN").and_then(|n| usize::try_from(n).ok()).filter(|n| *n > 0).unwrap_or(SLACK_PER_WEBHOOK_PER_RUN);
    let claimed = round_robin(alerts::claim(db, now, SENDS_PER_RUN).await?);
    let mut last_post: HashMap<String, u64> = HashMap::new();
    let mut per_webhook: HashMap<String, usize> = HashMap::new();
    for row in &claimed {
        let outcome = match &row.target {
            Err(e) => Outcome::Permanent { error: e.clone() },
            Ok(target) => {
                if row.channel == "slack" {
                    let n = per_webhook.entry(target.clone()).or_insert(0);
                    *n += 1;
                    if *n > per_webhook_limit {
                        report.deferred += 1;
                        alerts::mark(db, &[(row, Delivery::Deferred)], now).await?;
                        continue;
                    }
                    pace(&mut last_post, target, spacing_ms).await;
                }
                send(env, row, target, timeout_ms, now).await
            }
        };
        let delivery = match outcome {
            Outcome::Sent => {
                report.sent += 1;
                Delivery::Sent
            }
            Outcome::Retry { error, retry_after_secs } => {
                worker::console_warn!("alerts: row {} ({}) will be retried: {error}", row.id, row.channel);
                if row.attempts >= clearhours_domain::alert::MAX_ATTEMPTS {
                    report.failed += 1;
                } else {
                    report.retrying += 1;
                }
                Delivery::Retry { error, retry_after_secs }
            }
            Outcome::Permanent { error } => {
                worker::console_error!("alerts: row {} ({}) of provider {} failed: {error}", row.id, row.channel, row.provider_id);
                report.failed += 1;
                Delivery::Failed(error)
            }
        };
        alerts::mark(db, &[(row, delivery)], now).await?;
    }
    Ok(())
}

/// The claimed rows ordered so consecutive Slack messages go to different webhooks where they
/// can (each webhook's rows keep their order): the one-second spacing of one webhook then
/// overlaps with posts to the others instead of adding up.
fn round_robin(rows: Vec<OutboxRow>) -> Vec<OutboxRow> {
    let mut queues: Vec<(String, std::collections::VecDeque<OutboxRow>)> = Vec::new();
    for row in rows {
        let key = match (&row.target, row.channel.as_str()) {
            (Ok(t), "slack") => t.clone(),
            _ => format!("#{}", row.id), // e-mails and unresolved rows are not paced
        };
        match queues.iter_mut().find(|(k, _)| *k == key) {
            Some((_, q)) => q.push_back(row),
            None => queues.push((key, std::collections::VecDeque::from([row]))),
        }
    }
    let mut out = Vec::new();
    while queues.iter().any(|(_, q)| !q.is_empty()) {
        for (_, q) in &mut queues {
            if let Some(r) = q.pop_front() {
                out.push(r);
            }
        }
    }
    out
}

fn wall_ms() -> u64 {
    worker::Date::now().as_millis()
}

/// Waits until a second has passed since the last message to this webhook in this run.
async fn pace(last_post: &mut HashMap<String, u64>, target: &str, spacing_ms: u64) {
    if let Some(at) = last_post.get(target) {
        let elapsed = wall_ms().saturating_sub(*at);
        if elapsed < spacing_ms {
            worker::Delay::from(std::time::Duration::from_millis(spacing_ms - elapsed)).await;
        }
    }
    last_post.insert(target.to_string(), wall_ms());
}

/// One attempt: the Slack webhook gets the stored Block Kit message; an e-mail goes through the
/// configured transport (`EMAIL_TRANSPORT=binding`: Cloudflare's `send_email` binding
/// `SEND_EMAIL`; otherwise the HTTP e-mail API at `EMAIL_API_URL`, with `EMAIL_API_KEY` as a
/// bearer token when set).
async fn send(env: &Env, row: &OutboxRow, target: &str, timeout_ms: u64, now: DateTime<Utc>) -> Outcome {
    if row.channel == "slack" {
        return post(target, &row.payload, None, timeout_ms, "slack", now).await;
    }
    let body: EmailBody = match serde_json::from_str(&row.payload) {
        Ok(b) => b,
        Err(e) => return Outcome::Permanent { error: format!("the stored message does not decode: {e}") },
    };
    if env.var("EMAIL_TRANSPORT").map(|v| v.to_string()).unwrap_or_default() == "binding" {
        return send_binding(env, target, &body).await;
    }
    let Ok(url) = env.var("EMAIL_API_URL").map(|v| v.to_string()) else {
        return Outcome::Retry { error: "EMAIL_API_URL is not configured".into(), retry_after_secs: None };
    };
    let key = env.secret("EMAIL_API_KEY").ok().map(|k| k.to_string());
    let from = env.var("EMAIL_FROM").map(|v| v.to_string()).unwrap_or_else(|_| "alerts@clearhours.invalid".into());
    let headers: serde_json::Map<String, serde_json::Value> = body.headers().into_iter().map(|(k, v)| (k.to_string(), v.into())).collect();
    let mut msg = serde_json::json!({ "from": from, "to": target, "subject": body.subject, "text": body.text, "html": body.html });
    if !headers.is_empty() {
        msg["headers"] = serde_json::Value::Object(headers);
    }
    post(&url, &msg.to_string(), key.as_deref(), timeout_ms, "email", now).await
}

async fn send_binding(env: &Env, to: &str, body: &EmailBody) -> Outcome {
    let from = env.var("EMAIL_FROM").map(|v| v.to_string()).unwrap_or_default();
    let binding = match env.send_email("SEND_EMAIL") {
        Ok(b) => b,
        Err(e) => return Outcome::Retry { error: format!("the SEND_EMAIL binding is missing: {e}"), retry_after_secs: None },
    };
    let builder = worker::SendEmailBuilder::new(&from, to, &body.subject);
    builder.set_text(&body.text);
    builder.set_html(&body.html);
    let extra = body.headers();
    if !extra.is_empty() {
        // workers-rs 0.8.7 types `headers` as a JS object of strings; build one.
        let obj = worker::js_sys::Object::new();
        for (k, v) in extra {
            if worker::js_sys::Reflect::set(&obj, &k.into(), &v.into()).is_err() {
                return Outcome::Retry { error: format!("the {k} header could not be set"), retry_after_secs: None };
            }
        }
        builder.set_headers(wasm_bindgen::JsCast::unchecked_ref(&obj));
    }
    match binding.send_with_builder(&builder).await {
        Ok(_) => Outcome::Sent,
        Err(e) => {
            let error = format!("send_email refused the message: {e:?}");
            if error.to_ascii_lowercase().contains("invalid") {
                Outcome::Permanent { error }
            } else {
                Outcome::Retry { error, retry_after_secs: None }
            }
        }
    }
}

/// POSTs JSON with a timeout; the answer is classified by the domain.
async fn post(url: &str, body: &str, bearer: Option<&str>, timeout_ms: u64, channel: &str, now: DateTime<Utc>) -> Outcome {
    let retry = |error: String| Outcome::Retry { error, retry_after_secs: None };
    let headers = worker::Headers::new();
    if let Err(e) = headers.set("content-type", "application/json") {
        return retry(e.to_string());
    }
    if let Some(k) = bearer {
        if let Err(e) = headers.set("authorization", &format!("Bearer {k}")) {
            return retry(e.to_string());
        }
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
    let req = match Request::new_with_init(url, &init) {
        Ok(r) => r,
        Err(e) => return Outcome::Permanent { error: format!("not a valid URL: {e}") },
    };
    let controller = worker::AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(req);
    let sending = Box::pin(async {
        let mut resp = fetch.send_with_signal(&signal).await?;
        let retry_after = resp.headers().get("retry-after").ok().flatten();
        let text: String = resp.text().await.unwrap_or_default().chars().take(200).collect();
        Ok::<_, worker::Error>((resp.status_code(), text, retry_after))
    });
    let timer = Box::pin(worker::Delay::from(std::time::Duration::from_millis(timeout_ms)));
    let raced = match futures_util::future::select(sending, timer).await {
        futures_util::future::Either::Left((answer, _)) => Some(answer),
        futures_util::future::Either::Right(_) => None,
    };
    match raced {
        Some(Ok((status, text, retry_after))) => classify(channel, status, &text, retry_after.as_deref(), now),
        Some(Err(e)) => retry(format!("request failed: {e}")),
        None => {
            controller.abort();
            retry(format!("no answer within {timeout_ms} ms"))
        }
    }
}
