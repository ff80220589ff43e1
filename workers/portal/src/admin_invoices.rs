//! The provider's invoices (issue 13): a client's billing settings, what is unbilled, creating an
//! invoice from unbilled entries (which locks them in the same batch), issuing it, recording
//! payments, the payment link, voiding (which unlocks exactly its entries), and the ingest flags
//! raised on an invoice's entries. Every change is a POST with the session's CSRF token and is
//! written to the access log. The money comes from `clearhours_domain::invoice`; the lines are
//! made by the same function as the client's preview.
//!
//! - GET `/admin/clients/{id}/invoices`; POST (create); POST `/admin/clients/{id}/billing`
//! - GET `/admin/invoices/{id}`; POST `…/issue`, `…/payments`, `…/void`, `…/payment-url`

use crate::pages::long_date;
use crate::staff::{field, log, nav, staff_form, staff_or_login};
use crate::{html, redirect};
use askama::Template;
use chrono::NaiveDate;
use clearhours_domain::calendar::add_days;
use clearhours_domain::client_view::invoices::{line_labels, project_lines, BillingSettings, InvoiceRecord};
use clearhours_domain::client_view::ClientContext;
use clearhours_domain::ids::{ClientId, InvoiceId, ProjectId};
use clearhours_domain::invoice::{
    check_number, check_payment, default_period_end, draft, status, Grouping, InvoiceStatus, Selection, TaxRate,
};
use clearhours_domain::money::{hours, Currency, Money};
use clearhours_domain::settings::RatesVisibility;
use clearhours_http::{segments, ApiError, ApiResult};
use clearhours_storage::invoices::{self as store, CreateError, InvoiceRequest, PaymentOutcome, VoidOutcome};
use worker::{Env, Method, Request, Response};

pub async fn route(req: Request, env: &Env) -> ApiResult<Response> {
    let segs = segments(&req);
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (req.method(), segs.as_slice()) {
        (Method::Get, ["admin", "clients", id, "invoices"]) => client_page(&req, env, id).await,
        (Method::Post, ["admin", "clients", id, "invoices"]) => create(req, env, id).await,
        (Method::Post, ["admin", "clients", id, "billing"]) => save_settings(req, env, id).await,
        (Method::Post, ["admin", "payment-endpoints"]) => create_endpoint(req, env).await,
        (Method::Get, ["admin", "invoices", id]) => invoice_page(&req, env, id).await,
        (Method::Post, ["admin", "invoices", id, action @ ("issue" | "payments" | "void" | "payment-url")]) => {
            invoice_action(req, env, id, action).await
        }
        (
            _,
            ["admin", "clients", _, "invoices" | "billing"]
            | ["admin", "invoices", _]
            | ["admin", "invoices", _, _]
            | ["admin", "payment-endpoints"],
        ) => Err(ApiError::method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}

fn date_field(form: &worker::FormData, name: &str, label: &str) -> ApiResult<Option<NaiveDate>> {
    let v = field(form, name);
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ApiError::bad_request(format!("{label} must be a date written YYYY-MM-DD")))
}

fn money(minor: i64, c: Currency) -> String {
    Money::new(minor, c).to_string()
}

fn status_of(r: &InvoiceRecord, today: NaiveDate) -> InvoiceStatus {
    status(r.status, r.total_minor, r.paid_minor, r.due_on, today, r.viewed)
}

pub struct AdminInvoiceRow {
    pub id: String,
    pub number: String,
    pub period: String,
    pub issued: String,
    pub due: String,
    pub total: String,
    pub paid: String,
    pub status: &'static str,
    pub status_code: &'static str,
}

pub struct ProjectChoice {
    pub id: String,
    pub name: String,
}

pub struct PreviewLine {
    pub description: String,
    pub hours: String,
    pub rate: String,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "admin_invoices.html")]
struct ClientInvoicesPage<'a> {
    nav: &'a crate::pages::Nav,
    csrf: &'a str,
    client_id: &'a str,
    client_name: &'a str,
    currency: String,
    settings: &'a BillingSettings,
    groupings: &'static [Grouping],
    next_invoice_on: String,
    increment: String,
    period_end: String,
    lines: Vec<PreviewLine>,
    subtotal: String,
    tax: String,
    total: String,
    unbilled_hours: String,
    truncated: bool,
    projects: Vec<ProjectChoice>,
    invoices: Vec<AdminInvoiceRow>,
    endpoints: Vec<String>,
}

/// GET /admin/clients/{id}/invoices
async fn client_page(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let cid = ClientId::parse(id).map_err(|_| ApiError::not_found())?;
    let header = store::billing_header(&ctx.db, &ctx.scope, &cid).await?.ok_or_else(ApiError::not_found)?;
    let today = header.calendar.today(ctx.now);
    let end = default_period_end(header.visibility.view, &header.calendar, today);
    let loaded = match store::provider_billing(&ctx.db, &ctx.scope, &cid, end).await {
        Ok(l) => l,
        Err(e) if store::is_too_many(&e) => {
            return Err(ApiError::new(
                422,
                "too_many",
                format!("more than {} unbilled entries: invoice a shorter period first", store::UNBILLED_LIMIT),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let Some((header, data)) = loaded else { return Err(ApiError::not_found()) };
    let cx = ClientContext {
        visibility: header.visibility,
        currency: header.currency,
        locale: header.locale,
        time_zone: header.calendar.tz,
        members: &data.catalogue.members,
        tasks: &data.catalogue.tasks,
        phases: &data.catalogue.phases,
    };
    let labels = line_labels(&cx, &data.projects);
    let sel = Selection { from: None, to: end, projects: Vec::new() };
    // Too many unbilled entries to preview: no lines; the form asks for a shorter period.
    let d = draft(
        if data.truncated { &[] } else { &data.unbilled },
        &sel,
        data.settings.grouping,
        data.settings.tax_rate,
        header.currency,
        &labels,
    );
    let c = header.currency;
    let lines = project_lines(&clearhours_domain::client_view::invoices::line_records(&d), RatesVisibility::Shown, c)
        .into_iter()
        .map(|l| PreviewLine {
            description: l.description,
            hours: l.hours.to_string(),
            rate: l.rate.unwrap_or_else(|| "mixed".into()),
            amount: l.amount,
        })
        .collect();
    let mut projects: Vec<ProjectChoice> =
        data.projects.iter().map(|(id, name)| ProjectChoice { id: id.to_string(), name: name.clone() }).collect();
    projects.sort_by(|a, b| a.name.cmp(&b.name));
    let invoices = data
        .invoices
        .iter()
        .map(|r| {
            let s = status_of(r, today);
            AdminInvoiceRow {
                id: r.id.to_string(),
                number: r.number.clone(),
                period: format!("{} – {}", r.period_start.map_or("—".into(), long_date), r.period_end.map_or("—".into(), long_date)),
                issued: r.issued_on.map_or("—".into(), long_date),
                due: r.due_on.map_or("—".into(), long_date),
                total: money(r.total_minor, r.currency),
                paid: money(r.paid_minor, r.currency),
                status: s.label(),
                status_code: s.as_str(),
            }
        })
        .collect();
    let nav = nav(&ctx).await?;
    let body = ClientInvoicesPage {
        nav: &nav,
        csrf: &ctx.csrf,
        client_id: cid.as_str(),
        client_name: &header.name,
        currency: c.to_string(),
        settings: &data.settings,
        groupings: Grouping::ALL,
        next_invoice_on: data.settings.next_invoice_on.map(|d| d.to_string()).unwrap_or_default(),
        increment: data.settings.time_increment_minutes.map(|m| m.to_string()).unwrap_or_default(),
        period_end: end.to_string(),
        lines,
        subtotal: money(d.subtotal_minor, c),
        tax: money(d.tax_minor, c),
        total: money(d.total_minor, c),
        unbilled_hours: hours(d.minutes(), 2).to_string(),
        truncated: data.truncated,
        projects,
        invoices,
        endpoints: store::payment_endpoints(&ctx.db, &ctx.scope).await?,
    }
    .render()
    .map_err(ApiError::internal)?;
    html(200, body)
}

/// POST /admin/clients/{id}/invoices — create a draft from unbilled entries.
async fn create(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let cid = ClientId::parse(id).map_err(|_| ApiError::not_found())?;
    let header = store::billing_header(&ctx.db, &ctx.scope, &cid).await?.ok_or_else(ApiError::not_found)?;
    let today = header.calendar.today(ctx.now);
    let from = date_field(&form, "from", "from")?;
    let to = date_field(&form, "to", "to")?.unwrap_or_else(|| default_period_end(header.visibility.view, &header.calendar, today));
    if from.is_some_and(|f| f > to) {
        return Err(ApiError::bad_request("from must not be after to"));
    }
    if to > today {
        return Err(ApiError::bad_request(format!("to must not be after today ({today}): planned time is not invoiced")));
    }
    let mut projects = Vec::new();
    for v in form.get_all("project").unwrap_or_default() {
        if let worker::FormEntry::Field(v) = v {
            projects.push(ProjectId::parse(&v).map_err(|_| ApiError::bad_request(format!("project {v:?} is not a project id")))?);
        }
    }
    let number = field(&form, "number").trim().to_string();
    if !number.is_empty() {
        check_number(&number).map_err(ApiError::bad_request)?;
    }
    let tax = field(&form, "tax_rate");
    let tax_rate = if tax.trim().is_empty() { None } else { Some(TaxRate::parse(&tax).map_err(ApiError::bad_request)?) };
    let payment_url = field(&form, "payment_url").trim().to_string();
    check_url(&payment_url)?;
    let (terms, notes) = (field(&form, "terms"), field(&form, "notes"));
    if terms.chars().count() > 2000 || notes.chars().count() > 2000 {
        return Err(ApiError::bad_request("terms and notes allow at most 2,000 characters each"));
    }
    let request = InvoiceRequest {
        selection: Selection { from, to, projects },
        tax_rate,
        number: (!number.is_empty()).then_some(number.as_str()),
        terms: terms.trim(),
        notes: notes.trim(),
        payment_url: (!payment_url.is_empty()).then_some(payment_url.as_str()),
    };
    let created = match store::create_for_client(&ctx.db, &ctx.scope, &cid, &request, ctx.now).await {
        Ok(c) => c.ok_or_else(ApiError::not_found)?,
        Err(e) if store::is_too_many(&e) => {
            return Err(ApiError::new(
                422,
                "too_many",
                format!("more than {} unbilled entries: choose a shorter period", store::UNBILLED_LIMIT),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    match created {
        Ok((inv, number, d)) => {
            log(&ctx, &req, Some(cid.as_str()), "admin_invoice_create", &format!("{number} entries={}", d.entries.len())).await?;
            redirect(&format!("/admin/invoices/{inv}"))
        }
        Err(CreateError::Empty) => {
            Err(ApiError::new(422, "empty", "there are no unbilled billable entries in that period and those projects"))
        }
        Err(CreateError::Changed) => Err(ApiError::new(
            409,
            "conflict",
            "some of these entries were invoiced or changed meanwhile; nothing was created — look again and retry",
        )),
        Err(CreateError::NumberTaken) => Err(ApiError::new(409, "conflict", format!("invoice number {number} is already used"))),
    }
}

fn check_url(u: &str) -> ApiResult<()> {
    if !u.is_empty() && (!u.starts_with("https://") || u.len() > 500 || u.contains(char::is_whitespace)) {
        return Err(ApiError::bad_request("the payment link must be an https:// URL of at most 500 characters"));
    }
    Ok(())
}

/// POST /admin/clients/{id}/billing
async fn save_settings(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let cid = ClientId::parse(id).map_err(|_| ApiError::not_found())?;
    let grouping = Grouping::parse(&field(&form, "grouping")).map_err(|e| ApiError::bad_request(format!("grouping: {e}")))?;
    let tax_rate = TaxRate::parse(&field(&form, "tax_rate")).map_err(ApiError::bad_request)?;
    let terms: i64 = field(&form, "payment_terms_days")
        .trim()
        .parse()
        .ok()
        .filter(|d| (0..=365).contains(d))
        .ok_or_else(|| ApiError::bad_request("payment terms must be 0 to 365 days"))?;
    let next = date_field(&form, "next_invoice_on", "next invoice date")?;
    let inc = field(&form, "time_increment_minutes");
    let increment = if inc.trim().is_empty() {
        None
    } else {
        Some(
            inc.trim()
                .parse::<i64>()
                .ok()
                .filter(|m| (1..=60).contains(m))
                .ok_or_else(|| ApiError::bad_request("the time increment must be 1 to 60 minutes"))?,
        )
    };
    let s = BillingSettings { grouping, tax_rate, payment_terms_days: terms, next_invoice_on: next, time_increment_minutes: increment };
    if !store::set_billing_settings(&ctx.db, &ctx.scope, &cid, &s).await? {
        return Err(ApiError::not_found());
    }
    log(
        &ctx,
        &req,
        Some(cid.as_str()),
        "admin_billing_settings",
        &format!("grouping={} tax={} terms={terms}", grouping.as_str(), tax_rate.to_stored()),
    )
    .await?;
    redirect(&format!("/admin/clients/{cid}/invoices"))
}

pub struct FlagView {
    pub entry: String,
    pub change: String,
    pub detail: String,
    pub received: String,
}

#[derive(Template)]
#[template(path = "admin_invoice.html")]
struct InvoicePage<'a> {
    nav: &'a crate::pages::Nav,
    csrf: &'a str,
    id: &'a str,
    client_id: &'a str,
    client_name: &'a str,
    number: &'a str,
    status: &'static str,
    status_code: &'static str,
    draft: bool,
    open: bool,
    voidable: bool,
    period: String,
    issued: String,
    due: String,
    lines: Vec<PreviewLine>,
    subtotal: String,
    tax_rate: String,
    tax: String,
    total: String,
    paid: String,
    balance: String,
    entry_count: i64,
    payments: Vec<(String, String, String, String)>,
    flags: Vec<FlagView>,
    views: Vec<(String, String)>,
    payment_url: String,
    today: String,
    due_default: String,
}

/// GET /admin/invoices/{id}
async fn invoice_page(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let iid = InvoiceId::parse(id).map_err(|_| ApiError::not_found())?;
    let a = store::admin_invoice(&ctx.db, &ctx.scope, &iid).await?.ok_or_else(ApiError::not_found)?;
    let r = &a.detail.record;
    let c = r.currency;
    let today = a.client.calendar.today(ctx.now);
    let s = status_of(r, today);
    let terms = store::payment_terms_days(&ctx.db, &ctx.scope, &a.client.id).await?.unwrap_or(30);
    let nav = nav(&ctx).await?;
    let body = InvoicePage {
        nav: &nav,
        csrf: &ctx.csrf,
        id: iid.as_str(),
        client_id: a.client.id.as_str(),
        client_name: &a.client.name,
        number: &r.number,
        status: s.label(),
        status_code: s.as_str(),
        draft: s == InvoiceStatus::Draft,
        open: matches!(r.status, clearhours_domain::invoice::StoredStatus::Sent) && r.paid_minor < r.total_minor,
        voidable: matches!(r.status, clearhours_domain::invoice::StoredStatus::Draft | clearhours_domain::invoice::StoredStatus::Sent)
            && a.detail.payments.is_empty(),
        period: format!("{} – {}", r.period_start.map_or("—".into(), long_date), r.period_end.map_or("—".into(), long_date)),
        issued: r.issued_on.map_or("—".into(), long_date),
        due: r.due_on.map_or("—".into(), long_date),
        lines: project_lines(&a.detail.lines, RatesVisibility::Shown, c)
            .into_iter()
            .map(|l| PreviewLine {
                description: l.description,
                hours: l.hours.to_string(),
                rate: l.rate.unwrap_or_else(|| "mixed".into()),
                amount: l.amount,
            })
            .collect(),
        subtotal: money(r.subtotal_minor, c),
        tax_rate: r.tax_rate.to_stored(),
        tax: money(r.tax_minor, c),
        total: money(r.total_minor, c),
        paid: money(r.paid_minor, c),
        balance: money((r.total_minor - r.paid_minor).max(0), c),
        entry_count: r.entry_count,
        payments: a
            .detail
            .payments
            .iter()
            .map(|p| (long_date(p.paid_on), money(p.amount_minor, c), p.reference.clone(), p.source.clone()))
            .collect(),
        flags: a
            .flags
            .iter()
            .map(|f| FlagView {
                entry: f.external_id.clone(),
                change: f.change.clone(),
                detail: f.detail.clone(),
                received: f.received_at.clone(),
            })
            .collect(),
        views: a.views.clone(),
        payment_url: r.payment_url.clone().unwrap_or_default(),
        today: today.to_string(),
        due_default: add_days(today, terms).to_string(),
    }
    .render()
    .map_err(ApiError::internal)?;
    html(200, body)
}

/// POST /admin/invoices/{id}/{issue|payments|void|payment-url}
async fn invoice_action(mut req: Request, env: &Env, id: &str, action: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let iid = InvoiceId::parse(id).map_err(|_| ApiError::not_found())?;
    let a = store::admin_invoice(&ctx.db, &ctx.scope, &iid).await?.ok_or_else(ApiError::not_found)?;
    let client = a.client.id.to_string();
    let today = a.client.calendar.today(ctx.now);
    let number = a.detail.record.number.clone();
    let conflict = |m: &str| ApiError::new(409, "conflict", m.to_string());
    let detail = match action {
        "issue" => {
            let issued = date_field(&form, "issued_on", "issue date")?.unwrap_or(today);
            let terms = store::payment_terms_days(&ctx.db, &ctx.scope, &a.client.id).await?.unwrap_or(30);
            let due = date_field(&form, "due_on", "due date")?.unwrap_or_else(|| add_days(issued, terms));
            if due < issued {
                return Err(ApiError::bad_request("the due date must not be before the issue date"));
            }
            if !store::issue(&ctx.db, &ctx.scope, &iid, issued, due).await? {
                return Err(conflict("only a draft can be issued"));
            }
            format!("{number} issued={issued} due={due}")
        }
        "payments" => {
            let r = &a.detail.record;
            if r.status != clearhours_domain::invoice::StoredStatus::Sent || r.paid_minor >= r.total_minor {
                return Err(conflict("payments can only be recorded on an issued invoice with a balance"));
            }
            let amount = Money::parse_major(&field(&form, "amount"), a.detail.record.currency)
                .map_err(|e| ApiError::bad_request(format!("amount: {e}")))?;
            check_payment(amount.minor, r.total_minor, r.paid_minor).map_err(|e| {
                ApiError::bad_request(format!("amount: {e} ({})", Money::new((r.total_minor - r.paid_minor).max(0), r.currency)))
            })?;
            let paid_on = date_field(&form, "paid_on", "payment date")?.unwrap_or(today);
            let reference = field(&form, "reference").trim().chars().take(200).collect::<String>();
            match store::record_payment(&ctx.db, &ctx.scope, &iid, amount.minor, paid_on, &reference, ctx.now).await? {
                PaymentOutcome::NotOpen => return Err(conflict("payments can only be recorded on an issued invoice with a balance")),
                PaymentOutcome::Paid | PaymentOutcome::Partial => format!("{number} amount={} on={paid_on}", amount),
            }
        }
        "void" => match store::void(&ctx.db, &ctx.scope, &iid, ctx.now).await? {
            VoidOutcome::NotVoidable => return Err(conflict("only a draft or issued invoice without payments can be voided")),
            VoidOutcome::Voided(n) => format!("{number} unlocked={n}"),
        },
        _ => {
            let url = field(&form, "payment_url").trim().to_string();
            check_url(&url)?;
            store::set_payment_url(&ctx.db, &ctx.scope, &iid, (!url.is_empty()).then_some(url.as_str())).await?;
            format!("{number} payment_url")
        }
    };
    log(&ctx, &req, Some(&client), &format!("admin_invoice_{}", action.replace('-', "_")), &detail).await?;
    redirect(&format!("/admin/invoices/{iid}"))
}

#[derive(Template)]
#[template(path = "admin_payment_endpoint.html")]
struct EndpointPage<'a> {
    nav: &'a crate::pages::Nav,
    id: &'a str,
    secret: &'a str,
    back: &'a str,
}

/// POST /admin/payment-endpoints — a new Stripe-compatible endpoint; its signing secret is shown
/// once, on this response (never in a URL), and stored sealed.
async fn create_endpoint(mut req: Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let back = field(&form, "back");
    let back = if back.starts_with("/admin/") && !back.contains("//") { back } else { "/admin".to_string() };
    let id = clearhours_storage::db::new_id("pay")?;
    let secret = format!("whsec_{}", clearhours_storage::db::random_token(32)?);
    store::create_payment_endpoint(&ctx.db, &ctx.scope, &id, &secret, ctx.now).await?;
    // Webhooks name the endpoint in the URL: the directory learns which shard holds it.
    clearhours_storage::shards::add_payment_endpoint(&crate::auth::db(env)?, &id, ctx.scope.provider_id().as_str()).await?;
    log(&ctx, &req, None, "admin_payment_endpoint_create", &id).await?;
    let nav = nav(&ctx).await?;
    html(200, EndpointPage { nav: &nav, id: &id, secret: &secret, back: &back }.render().map_err(ApiError::internal)?)
}
