//! The alerts worker: a cron job that finds projects over a budget threshold and tells the
//! provider on Slack, exactly once per (project, threshold, budget period).
//!
//! The job is [`run`]: phase 1 reads pages of budgeted projects after a cursor stored in D1,
//! computes figures from rollups and *enqueues* alerts (the outbox's unique key drops repeats);
//! phase 2 *claims* due outbox rows and sends them. Every step is a fixed number of statements
//! (a page of 100 projects is one round trip), and a run stops within [`STATEMENT_BUDGET`], so
//! any number of projects is covered across runs within D1's per-invocation limit. A project with
//! broken data is logged and skipped; it never stops the other projects or providers. The
//! scheduled handler is a shell around it; in dev builds `POST /__dev/run` runs it too.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_arithmetic))]

use chrono::{DateTime, Utc};
use clearhours_domain::alert::{crossed_budget, ThresholdAlert};
use clearhours_domain::money::Money;
use clearhours_http::{json, real_now, secure, segments, ApiError, ApiResult, Kind};
use clearhours_storage::alerts::{self, Delivery, NewAlert};
use clearhours_storage::provider::{alert_page, AlertProject, Cursor, ProviderProject};
use serde::Serialize;
use worker::{event, Context, Env, Fetch, Method, Request, RequestInit, Response, ScheduleContext, ScheduledEvent};

/// Projects read per round trip.
const PAGE: usize = 100;
/// Projects checked per run unless `ALERTS_PROJECTS_PER_RUN` says otherwise.
const PROJECTS_PER_RUN: usize = 400;
/// Outbox rows sent per run (each is an outgoing request).
const SENDS_PER_RUN: i64 = 15;
/// Sent rows recorded per statement: each right after its POST, so a run that dies can repeat
/// at most the one message in flight (as before).
const MARK_EVERY: usize = 1;
/// D1 statements one run may use: under the free plan's 50 per invocation.
const STATEMENT_BUDGET: usize = 45;
/// Statements a page costs: four reads, then the enqueue and the cursor.
const PAGE_STATEMENTS: usize = 6;
/// Statements kept for sending: the claim and the marks.
const SEND_STATEMENTS: usize = 1 + (SENDS_PER_RUN as usize).div_ceil(MARK_EVERY);

/// What one run did.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub projects_checked: usize,
    /// Projects skipped because their stored data does not decode (logged with the provider).
    pub projects_failed: usize,
    pub alerts_enqueued: usize,
    pub sent: usize,
    pub failed: usize,
    /// Where the next run starts ("" = the beginning).
    pub cursor: String,
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    // The platform's scheduled time is the job's clock.
    #[allow(clippy::cast_possible_truncation)]
    let ms = event.schedule() as i64;
    let now = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_else(real_now);
    match run(&env, now).await {
        Ok(r) => worker::console_log!("alerts run: {r:?}"),
        Err(e) => worker::console_error!("alerts run failed: {}", e.detail),
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let (env, invocation) = clearhours_http::invocation(env);
    let _ = &env; // only dev builds route on it
    let segs = segments(&req);
    let resp = match (req.method(), segs.iter().map(String::as_str).collect::<Vec<_>>().as_slice()) {
        (Method::Get, ["healthz"]) => json(200, &serde_json::json!({"ok": true})),
        #[cfg(feature = "dev")]
        (Method::Post, ["__dev", "run"]) if clearhours_http::dev_mode(&env) => match run(&env, clearhours_http::now(&req, &env)).await {
            Ok(r) => json(200, &r),
            Err(e) => e.into_response(),
        },
        _ => ApiError::not_found().into_response(),
    };
    Ok(invocation.finish(secure(resp, Kind::Private)))
}

/// One run of the job at `now`: check the next page(s) of budgeted projects after the stored
/// cursor, enqueue the crossed thresholds and move the cursor (a run that reaches the end starts
/// the next one from the beginning), then send due outbox rows. A project whose data is broken
/// is logged with its provider and skipped; the others are checked all the same.
pub async fn run(env: &Env, now: DateTime<Utc>) -> ApiResult<Report> {
    let db = clearhours_http::db(env)?;
    let base = env.var("PORTAL_BASE_URL").map(|v| v.to_string()).unwrap_or_default();
    let per_run = env
        .var("ALERTS_PROJECTS_PER_RUN")
        .ok()
        .and_then(|v| v.to_string().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(PROJECTS_PER_RUN);
    let mut report = Report::default();
    if let Err(e) = enqueue_due(&db, &base, per_run, now, &mut report).await {
        // Sending what is already due goes on.
        worker::console_error!("alerts: checking projects stopped: {}", e.detail);
    }
    send_due(&db, now, &mut report).await?;
    Ok(report)
}

async fn enqueue_due(db: &clearhours_storage::Db, base: &str, per_run: usize, now: DateTime<Utc>, report: &mut Report) -> ApiResult<()> {
    let mut cursor = alerts::cursor(db).await?;
    let mut restarted = false;
    while report.projects_checked + report.projects_failed < per_run
        && db.statements() + PAGE_STATEMENTS + SEND_STATEMENTS <= STATEMENT_BUDGET
    {
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
                    new.extend(alerts_for(pp, item, base, now));
                }
                Err(e) => {
                    report.projects_failed += 1;
                    worker::console_error!("alerts: provider {} project {} skipped: {e}", item.provider_id, item.project_id);
                }
            }
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

/// The threshold alerts a project's figures cross now.
fn alerts_for(pp: &ProviderProject, item: &AlertProject, base: &str, now: DateTime<Utc>) -> Vec<NewAlert> {
    let f = pp.figures(now);
    let Some(b) = f.budget.as_ref() else { return Vec::new() };
    let period_key = if pp.project.is_monthly() { f.period.start.format("%Y-%m").to_string() } else { "all".to_string() };
    crossed_budget(b, pp.project.thresholds.values())
        .into_iter()
        .map(|threshold| {
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
                portal_url: format!("{base}/admin"),
            };
            NewAlert {
                provider_id: item.provider_id.clone(),
                client_id: pp.project.client_id.to_string(),
                project_id: pp.project.id.to_string(),
                kind: "budget_threshold",
                threshold,
                period_key: period_key.clone(),
                channel: "slack",
                target: item.slack_url.clone(),
                payload: alert.slack_message().to_string(),
            }
        })
        .collect()
}

/// Claims due rows (one statement), posts them, and records each outcome right after its POST.
async fn send_due(db: &clearhours_storage::Db, now: DateTime<Utc>, report: &mut Report) -> ApiResult<()> {
    let claimed = alerts::claim(db, now, SENDS_PER_RUN).await?;
    for chunk in claimed.chunks(MARK_EVERY) {
        let mut outcomes = Vec::with_capacity(chunk.len());
        for row in chunk {
            match post_json(&row.target, &row.payload).await {
                Ok(()) => {
                    report.sent += 1;
                    outcomes.push((row, Delivery::Sent));
                }
                Err(e) => {
                    report.failed += 1;
                    outcomes.push((row, Delivery::Failed(e)));
                }
            }
        }
        alerts::mark(db, &outcomes, now).await?;
    }
    Ok(())
}

async fn post_json(url: &str, body: &str) -> Result<(), String> {
    let headers = worker::Headers::new();
    headers.set("content-type", "application/json").map_err(|e| e.to_string())?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
    let req = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
    let resp = Fetch::Request(req).send().await.map_err(|e| e.to_string())?;
    if (200..300).contains(&resp.status_code()) {
        Ok(())
    } else {
        Err(format!("webhook answered {}", resp.status_code()))
    }
}
