//! The alerts worker: a cron job that finds projects over a budget threshold and tells the
//! provider on Slack, exactly once per (project, threshold, budget period).
//!
//! The job is [`run`]: phase 1 computes figures from rollups and *enqueues* alerts (the outbox's
//! unique key drops repeats); phase 2 *claims* due outbox rows and sends them. The scheduled
//! handler is a shell around it; in dev mode `POST /__dev/run` runs it too, for the local stack.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_arithmetic))]

use chrono::{DateTime, Utc};
use clearhours_domain::alert::{crossed_budget, ThresholdAlert};
use clearhours_domain::money::Money;
use clearhours_http::{dev_mode, json, now, real_now, secure, segments, ApiError, ApiResult, Kind};
use clearhours_storage::alerts::{self, NewAlert};
use clearhours_storage::provider::{provider_projects, providers_with_alerts};
use serde::Serialize;
use worker::{event, Context, Env, Fetch, Method, Request, RequestInit, Response, ScheduleContext, ScheduledEvent};

/// What one run did.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub projects_checked: usize,
    pub alerts_enqueued: usize,
    pub sent: usize,
    pub failed: usize,
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
    let segs = segments(&req);
    let resp = match (req.method(), segs.iter().map(String::as_str).collect::<Vec<_>>().as_slice()) {
        (Method::Get, ["healthz"]) => json(200, &serde_json::json!({"ok": true})),
        (Method::Post, ["__dev", "run"]) if dev_mode(&env) => match run(&env, now(&req, &env)).await {
            Ok(r) => json(200, &r),
            Err(e) => e.into_response(),
        },
        _ => ApiError::not_found().into_response(),
    };
    Ok(secure(resp, Kind::Private))
}

/// One run of the job at `now`.
pub async fn run(env: &Env, now: DateTime<Utc>) -> ApiResult<Report> {
    let db = clearhours_http::db(env)?;
    let base = env.var("PORTAL_BASE_URL").map(|v| v.to_string()).unwrap_or_default();
    let mut report = Report::default();
    for (scope, slack_url) in providers_with_alerts(&db).await? {
        let projects = provider_projects(&db, &scope, true, |c| c.today(now)).await?;
        let mut new = Vec::new();
        for pp in &projects {
            report.projects_checked += 1;
            let f = pp.figures(now);
            let Some(b) = f.budget.as_ref() else { continue };
            let period_key = if pp.project.is_monthly() { f.period.start.format("%Y-%m").to_string() } else { "all".to_string() };
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
                    portal_url: format!("{base}/admin"),
                };
                new.push(NewAlert {
                    provider_id: scope.provider_id().to_string(),
                    client_id: pp.project.client_id.to_string(),
                    project_id: pp.project.id.to_string(),
                    kind: "budget_threshold",
                    threshold,
                    period_key: period_key.clone(),
                    channel: "slack",
                    target: slack_url.clone(),
                    payload: alert.slack_message().to_string(),
                });
            }
        }
        report.alerts_enqueued += alerts::enqueue(&db, &new, now).await?;
    }
    for row in alerts::claim(&db, now, 50).await? {
        match post_json(&row.target, &row.payload).await {
            Ok(()) => {
                alerts::mark_sent(&db, row.id, now).await?;
                report.sent += 1;
            }
            Err(e) => {
                alerts::mark_failed(&db, &row, &e).await?;
                report.failed += 1;
            }
        }
    }
    Ok(report)
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
