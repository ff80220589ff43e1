//! Client billing (issue 13): unbilled hours, the upcoming invoice's preview, invoice history,
//! one invoice (page, JSON, PDF) and the hours behind it. Only contacts with the billing role
//! reach any of it: a viewer gets the same 404 as for a page that does not exist.
//!
//! What a client sees is decided only by `client_view::invoices` (and, for the hours behind an
//! invoice, `client_view::entries`); this module parses, loads, renders and logs. Opening an
//! invoice (page, API or PDF) is written to the access log every time and marks it viewed once
//! per contact.
//!
//! Routes (GET): `/billing`, `/api/v1/billing`, `/billing/invoices/{number}`,
//! `/api/v1/invoices/{number}`, `/billing/invoices/{number}/pdf`. The hours behind an invoice
//! are the timesheet with `invoice=<number>` (`/timesheet`, `/api/v1/entries` and exports).

use crate::auth::{self, ContactCtx};
use crate::pages::Nav;
use crate::{html, redirect};
use askama::Template;
use chrono::NaiveDate;
use clearhours_domain::client_view::invoices::{
    billing_summary, project_billing, project_invoice, ClientBilling, ClientBillingSummary, ClientInvoice,
};
use clearhours_domain::client_view::ClientContext;
use clearhours_domain::invoice::{check_number, default_period_end};
use clearhours_domain::locale::Locale;
use clearhours_domain::settings::RatesVisibility;
use clearhours_http::{json, ApiError, ApiResult};
use clearhours_storage::invoices as store;
use worker::{Env, Request, Response};

/// A billing contact, or: `Ok(None)` when nobody is signed in; 404 for a viewer.
async fn billing_contact(req: &Request, env: &Env) -> ApiResult<Option<ContactCtx>> {
    let Some(ctx) = auth::contact(req, env).await? else { return Ok(None) };
    if !clearhours_domain::roles::sees_invoices(ctx.scope.role()) {
        ctx.log("billing", &req.path(), "not_found").await?;
        return Err(ApiError::not_found());
    }
    Ok(Some(ctx))
}

fn nav(ctx: &ContactCtx) -> Nav {
    Nav::Client { client_name: ctx.scope.settings().name.clone(), csrf: ctx.csrf.clone(), idle_minutes: ctx.idle_minutes }
}

/// Everything on the billing page, for this contact.
pub(crate) async fn load_billing(ctx: &ContactCtx) -> ApiResult<ClientBilling> {
    let settings = ctx.scope.settings();
    let today = settings.calendar.today(ctx.now);
    let through = default_period_end(settings.visibility.view, &settings.calendar, today);
    let data = store::client_billing(&ctx.db, &ctx.scope, through).await?;
    if data.truncated {
        return Err(ApiError::new(422, "too_many", "too many unbilled hours to preview here; ask your agency to invoice them"));
    }
    let cx = ClientContext {
        visibility: settings.visibility,
        currency: settings.currency,
        locale: settings.locale,
        time_zone: settings.calendar.tz,
        members: &data.catalogue.members,
        tasks: &data.catalogue.tasks,
        phases: &data.catalogue.phases,
    };
    Ok(project_billing(&cx, &data.projects, &data.unbilled, &data.settings, &data.invoices, today, through))
}

/// The unbilled amount and next invoice date for the dashboard and portfolio: only for billing
/// contacts (`None` for everyone else). Sums in SQL, so it costs one small batch however many
/// entries are unbilled.
pub(crate) async fn summary_for(ctx: &ContactCtx) -> ApiResult<Option<ClientBillingSummary>> {
    summary_for_scope(&ctx.db, &ctx.scope, ctx.now).await
}

/// The same for any scope (the staff's "view as client" shows what the contact sees).
pub(crate) async fn summary_for_scope(
    db: &clearhours_storage::Db,
    scope: &clearhours_storage::scope::ClientScope,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<Option<ClientBillingSummary>> {
    if !clearhours_domain::roles::sees_invoices(scope.role()) {
        return Ok(None);
    }
    let settings = scope.settings();
    let today = settings.calendar.today(now);
    let through = default_period_end(settings.visibility.view, &settings.calendar, today);
    let t = store::client_billing_totals(db, scope, through).await?;
    Ok(Some(billing_summary(
        settings.currency,
        settings.visibility.rates == RatesVisibility::Shown,
        t.unbilled_minutes,
        t.unbilled_amount_minor,
        &t.settings,
        &t.invoices,
        today,
    )))
}

pub async fn billing_page(req: &Request, env: &Env) -> ApiResult<Response> {
    let Some(ctx) = billing_contact(req, env).await? else { return redirect("/login") };
    let b = load_billing(&ctx).await?;
    ctx.log("view_billing", "", "success").await?;
    html(200, render_billing(&nav(&ctx), &b, ctx.scope.settings().locale).map_err(ApiError::internal)?)
}

pub async fn billing_api(req: &Request, env: &Env) -> ApiResult<Response> {
    let ctx = billing_contact(req, env).await?.ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    let b = load_billing(&ctx).await?;
    ctx.log("api_billing", "", "success").await?;
    Ok(json(200, &b))
}

/// One visible invoice, logged and marked viewed; 404 otherwise.
async fn open_invoice(ctx: &ContactCtx, number: &str, action: &str) -> ApiResult<ClientInvoice> {
    if check_number(number).is_err() {
        // Not a number we could have issued: logged without echoing it.
        ctx.log(action, "invalid invoice number", "not_found").await?;
        return Err(ApiError::not_found());
    }
    let settings = ctx.scope.settings();
    let today = settings.calendar.today(ctx.now);
    let Some(d) = store::client_invoice(&ctx.db, &ctx.scope, number).await? else {
        ctx.log(action, number, "not_found").await?;
        return Err(ApiError::not_found());
    };
    let first = store::mark_viewed(&ctx.db, &ctx.scope, &d.record.id, ctx.now).await?;
    let mut record = d.record;
    record.viewed = record.viewed || first;
    let inv = project_invoice(settings.visibility.rates, &record, &d.lines, &d.payments, today, d.time_increment_minutes)
        .ok_or_else(ApiError::not_found)?;
    ctx.log(action, number, if first { "first_view" } else { "success" }).await?;
    Ok(inv)
}

pub async fn invoice_page(req: &Request, env: &Env, number: &str) -> ApiResult<Response> {
    let Some(ctx) = billing_contact(req, env).await? else { return redirect("/login") };
    let inv = open_invoice(&ctx, number, "view_invoice").await?;
    // Weekly sign-offs of the weeks this invoice covers (issue 15).
    let signoffs = crate::signoff::for_period(&ctx, inv.summary.period_start, inv.summary.period_end).await?;
    html(200, render_invoice(&nav(&ctx), &inv, &signoffs, ctx.scope.settings().locale).map_err(ApiError::internal)?)
}

pub async fn invoice_api(req: &Request, env: &Env, number: &str) -> ApiResult<Response> {
    let ctx = billing_contact(req, env).await?.ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    let inv = open_invoice(&ctx, number, "api_invoice").await?;
    // The invoice and the weekly sign-offs of the weeks it covers (issue 15).
    let signoffs = crate::signoff::for_period(&ctx, inv.summary.period_start, inv.summary.period_end).await?;
    let mut body = serde_json::to_value(&inv).map_err(ApiError::internal)?;
    if let Some(o) = body.as_object_mut() {
        o.insert("signoffs".into(), serde_json::to_value(&signoffs).map_err(ApiError::internal)?);
    }
    Ok(json(200, &body))
}

pub async fn invoice_pdf(req: &Request, env: &Env, number: &str) -> ApiResult<Response> {
    let Some(ctx) = billing_contact(req, env).await? else { return redirect("/login") };
    let inv = open_invoice(&ctx, number, "download_invoice").await?;
    let signoffs = crate::signoff::for_period(&ctx, inv.summary.period_start, inv.summary.period_end).await?;
    let settings = ctx.scope.settings();
    let bytes = clearhours_export::invoice_pdf::render(&settings.name, &inv, &signoffs);
    let mut r = Response::from_bytes(bytes)?;
    r.headers_mut().set("content-type", "application/pdf")?;
    r.headers_mut().set("content-disposition", &format!("attachment; filename=\"invoice-{}.pdf\"", inv.summary.number))?;
    Ok(r)
}

// ---------------------------------------------------------------------------------- rendering

// Dates on the client's billing pages are in the client's locale (`Locale::date`).
fn opt_date(loc: Locale, d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "—".to_string(), |d| loc.date(d))
}

fn period(loc: Locale, from: Option<NaiveDate>, to: Option<NaiveDate>) -> String {
    match (from, to) {
        (Some(a), Some(b)) => loc.date_range(a, b, true),
        (None, Some(b)) => format!("Through {}", loc.date(b)),
        _ => "—".to_string(),
    }
}

/// A status badge class (words always shown too).
fn status_class(status: &str) -> &'static str {
    match status {
        "paid" => "ok",
        "overdue" => "over",
        "partially_paid" => "watch",
        "void" => "none",
        _ => "none",
    }
}

pub struct HistoryRow<'a> {
    pub i: &'a clearhours_domain::client_view::invoices::ClientInvoiceSummary,
    pub period: String,
    pub issued: String,
    pub due: String,
    pub class: &'static str,
}

#[derive(Template)]
#[template(path = "billing.html")]
struct BillingPage<'a> {
    nav: &'a Nav,
    b: &'a ClientBilling,
    next_invoice: String,
    through: String,
    preview_period: String,
    history: Vec<HistoryRow<'a>>,
    breakdowns: [(&'static str, &'static str, &'a [clearhours_domain::client_view::invoices::ClientUnbilledRow]); 4],
    today: String,
}

fn render_billing(nav: &Nav, b: &ClientBilling, loc: Locale) -> Result<String, askama::Error> {
    BillingPage {
        nav,
        b,
        next_invoice: loc.date(b.next_invoice_on),
        through: loc.date(b.unbilled.through),
        preview_period: period(loc, b.preview.period_start, Some(b.preview.period_end)),
        history: b
            .invoices
            .iter()
            .map(|i| HistoryRow {
                i,
                period: period(loc, i.period_start, i.period_end),
                issued: opt_date(loc, i.issued_on),
                due: opt_date(loc, i.due_on),
                class: status_class(i.status.as_str()),
            })
            .collect(),
        breakdowns: [
            ("By project", "Project", &b.unbilled.by_project),
            ("By phase", "Phase", &b.unbilled.by_phase),
            ("By task", "Task", &b.unbilled.by_task),
            ("By team member", "Team member", &b.unbilled.by_person),
        ],
        today: loc.date(b.today),
    }
    .render()
}

#[derive(Template)]
#[template(path = "invoice.html")]
struct InvoicePage<'a> {
    nav: &'a Nav,
    inv: &'a ClientInvoice,
    period: String,
    issued: String,
    due: String,
    class: &'static str,
    payments: Vec<(String, String)>,
    /// Each sign-off with its week's first day in the client's locale.
    signoffs: Vec<(&'a clearhours_domain::client_view::signoff::ClientSignoff, String)>,
}

fn render_invoice(
    nav: &Nav,
    inv: &ClientInvoice,
    signoffs: &[clearhours_domain::client_view::signoff::ClientSignoff],
    loc: Locale,
) -> Result<String, askama::Error> {
    let s = &inv.summary;
    InvoicePage {
        nav,
        inv,
        signoffs: signoffs.iter().map(|w| (w, loc.date(w.week_start))).collect(),
        period: period(loc, s.period_start, s.period_end),
        issued: opt_date(loc, s.issued_on),
        due: opt_date(loc, s.due_on),
        class: status_class(s.status.as_str()),
        payments: inv.payments.iter().map(|p| (loc.date(p.paid_on), p.amount.clone())).collect(),
    }
    .render()
}
