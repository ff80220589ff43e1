//! Client timesheets: the page, the JSON API and the exports (CSV, Excel, PDF) from one loader,
//! so they cannot disagree. What a client sees is decided only by `client_view::entries` (see
//! its module docs); this module parses the request, loads, renders, streams and logs.
//!
//! Routes (GET): `/projects/{id}/entries` and `/timesheet` (all of the contact's projects;
//! `?project=` narrows), `/api/v1/projects/{id}/entries` and `/api/v1/entries`, the exports
//! `…/entries.csv|xlsx|pdf` and `/timesheet.csv|xlsx|pdf`, and `/glossary`. The same under
//! `/admin/preview/{contact}/…` for staff ("view as client"). Filters are in the URL (see
//! `client_view::entries::query`); a bad one is a 400 naming the parameter; a project outside
//! the scope is a 404.
//!
//! Exports: CSV streams any number of rows in keyset chunks (at least [`CHUNK`] rows, at most
//! [`CSV_READS`] reads: memory bounded by one chunk; `?bom=1` adds a UTF-8 byte order mark for
//! Excel). Excel and PDF hold at most
//! [`MAX_DOCUMENT_ROWS`] rows (a few MB in memory); a larger view is a 422 that suggests CSV or
//! a narrower filter. Every export is written to the access log with the filter and row count.

use crate::auth::{self, ContactCtx, StaffCtx};
use crate::charts::short_date;
use crate::pages::Nav;
use crate::staff::staff_or_login;
use crate::{html, redirect};
use askama::Template;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use clearhours_domain::calendar::{add_days, month_end_of, month_start_of};
use clearhours_domain::client_view::entries::query::encode;
use clearhours_domain::client_view::entries::{
    glossary, parse_query, plan, project_subtotals, project_timesheet, rows, ClientEntryRow, ClientSubtotal, ClientTaskInfo,
    ClientTimesheet, GroupBy, Loaded as LoadedData, Page, Plan, Preset, QueryError, Selection, SubtotalDim, TimesheetQuery, PAGE_SIZE,
};
use clearhours_domain::client_view::ClientContext;
use clearhours_domain::ids::{ContactId, ProjectId};
use clearhours_domain::settings::{DescriptionMode, ViewMode};
use clearhours_export::{columns, csv, file_name, pdf, xlsx, MAX_DOCUMENT_ROWS};
use clearhours_http::{ApiError, ApiResult};
use clearhours_storage::access_log::{self, AccessEvent};
use clearhours_storage::admin as admin_store;
use clearhours_storage::dashboard::Catalogue;
use clearhours_storage::entries::{self as store, TimesheetBase};
use clearhours_storage::scope::ClientScope;
use clearhours_storage::Db;
use futures_util::stream;
use worker::{Env, Request, Response};

/// Rows per D1 read when exporting Excel and PDF, and the least for CSV.
pub const CHUNK: usize = 2500;
/// D1 reads a CSV stream may make: chunks grow with the row count so that a stream stays within
/// D1's 50 statements per invocation (free plan) with room for the request's own statements.
const CSV_READS: i64 = 30;

/// Who is looking: a contact, or staff previewing as one of the client's contacts.
enum Viewer {
    Contact(ContactCtx),
    Staff { ctx: StaffCtx, scope: ClientScope, contact: ContactId },
}

impl Viewer {
    fn db(&self) -> &Db {
        match self {
            Viewer::Contact(c) => &c.db,
            Viewer::Staff { ctx, .. } => &ctx.db,
        }
    }
    fn scope(&self) -> &ClientScope {
        match self {
            Viewer::Contact(c) => &c.scope,
            Viewer::Staff { scope, .. } => scope,
        }
    }
    fn now(&self) -> DateTime<Utc> {
        match self {
            Viewer::Contact(c) => c.now,
            Viewer::Staff { ctx, .. } => ctx.now,
        }
    }
    /// Links inside the pages: client routes, or the same routes inside the preview.
    fn base(&self) -> String {
        match self {
            Viewer::Contact(_) => String::new(),
            Viewer::Staff { contact, .. } => format!("/admin/preview/{contact}"),
        }
    }
    fn nav(&self) -> Nav {
        match self {
            Viewer::Contact(c) => {
                Nav::Client { client_name: c.scope.settings().name.clone(), csrf: c.csrf.clone(), idle_minutes: c.idle_minutes }
            }
            Viewer::Staff { ctx, scope, contact } => {
                Nav::Preview { label: format!("Previewing as {contact} · {}", scope.settings().name), csrf: ctx.csrf.clone() }
            }
        }
    }
    async fn log(&self, req: &Request, action: &str, target: &str, outcome: &str) -> ApiResult<()> {
        match self {
            Viewer::Contact(c) => c.log(action, target, outcome).await,
            Viewer::Staff { ctx, scope, contact } => {
                let target = format!("{contact} {target}");
                access_log::append(
                    &ctx.db,
                    &AccessEvent {
                        at: ctx.now,
                        provider_id: Some(ctx.scope.provider_id().as_str()),
                        client_id: Some(scope.client_id().as_str()),
                        actor_kind: "staff",
                        actor_id: ctx.scope.staff_id().map(|s| s.as_str()).unwrap_or_default(),
                        action: &format!("admin_preview_{action}"),
                        target: &target,
                        outcome,
                        ip: &clearhours_http::client_ip(req),
                        user_agent: &clearhours_http::user_agent(req),
                    },
                )
                .await?;
                Ok(())
            }
        }
    }
}

/// The viewer for a client route (`None`: not signed in).
async fn contact(req: &Request, env: &Env) -> ApiResult<Option<Viewer>> {
    Ok(auth::contact(req, env).await?.map(Viewer::Contact))
}

/// The viewer for a preview route, or the staff sign-in redirect.
async fn staff(req: &Request, env: &Env, contact: &str) -> ApiResult<Result<Viewer, Response>> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(Err(r)),
    };
    let cid = ContactId::parse(contact).map_err(|_| ApiError::not_found())?;
    let scope = admin_store::preview_scope(&ctx.db, &ctx.scope, &cid).await?.ok_or_else(ApiError::not_found)?;
    Ok(Ok(Viewer::Staff { ctx, scope, contact: cid }))
}

fn query_pairs(req: &Request) -> ApiResult<Vec<(String, String)>> {
    let url = req.url().map_err(|_| ApiError::bad_request("the URL could not be read"))?;
    Ok(url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
}

fn bad(e: QueryError) -> ApiError {
    let mut err = ApiError::bad_request(e.message.clone());
    err.fields.push(clearhours_domain::error::FieldError { field: e.field.to_string(), message: e.message });
    err
}

/// Everything one timesheet view needs, resolved.
struct Resolved {
    base: TimesheetBase,
    plan: Plan,
    today: NaiveDate,
    /// `prj_…` or `all`, for the access log.
    target: String,
    /// A project in the path (the project's timesheet) rather than the all-projects one.
    in_path: bool,
}

impl Resolved {
    fn ctx<'a>(&'a self, scope: &ClientScope) -> ClientContext<'a> {
        context(scope, &self.base.catalogue)
    }
}

fn context<'a>(scope: &ClientScope, c: &'a Catalogue) -> ClientContext<'a> {
    let s = scope.settings();
    ClientContext {
        visibility: s.visibility,
        currency: s.currency,
        locale: s.locale,
        time_zone: s.calendar.tz,
        members: &c.members,
        tasks: &c.tasks,
        phases: &c.phases,
    }
}

/// Parses the filters, checks the project, loads the catalogue and resolves the plan.
async fn resolve(v: &Viewer, req: &Request, path_project: Option<&str>, action: &str) -> ApiResult<Resolved> {
    let scope = v.scope();
    let settings = scope.settings();
    let calendar = settings.calendar;
    let today = calendar.today(v.now());
    let path_id = path_project.map(|p| ProjectId::parse(p).map_err(|_| ApiError::not_found())).transpose()?;
    let pairs = query_pairs(req)?;
    let mut query = parse_query(&pairs, &calendar, settings.visibility.view, today).map_err(bad)?;
    if let Some(id) = &path_id {
        query.project = Some(id.clone());
    }
    let target = query.project.as_ref().map_or_else(|| "all".to_string(), ToString::to_string);
    // `invoice=<number>`: the hours behind an invoice — billing contacts only (404 otherwise,
    // as for every billing route); without a range of its own, the invoice's period.
    let invoice = match query.invoice.clone() {
        None => None,
        Some(number) => {
            let found = if clearhours_domain::roles::sees_invoices(scope.role()) {
                clearhours_storage::invoices::client_invoice(v.db(), scope, &number).await?
            } else {
                None
            };
            let Some(d) = found else {
                v.log(req, action, &format!("invoice {number}"), "not_found").await?;
                return Err(ApiError::not_found());
            };
            if !pairs.iter().any(|(k, _)| matches!(k.as_str(), "range" | "week" | "from" | "to")) {
                let to = d.record.period_end.unwrap_or(today);
                query.preset = clearhours_domain::client_view::entries::Preset::Custom;
                query.from = Some(d.record.period_start.unwrap_or(to).min(to));
                query.to = to;
            }
            Some(d.record.id)
        }
    };
    let Some(base) = store::timesheet_base(v.db(), scope, query.project.as_ref()).await? else {
        v.log(req, action, &target, "not_found").await?;
        return Err(ApiError::not_found());
    };
    let ctx = context(scope, &base.catalogue);
    let mut plan = plan(&ctx, &base.projects, &query, &calendar, today).map_err(bad)?;
    plan.selection.invoice = invoice;
    Ok(Resolved { base, plan, today, target, in_path: path_id.is_some() })
}

async fn load(v: &Viewer, req: &Request, path_project: Option<&str>, action: &str) -> ApiResult<(Resolved, ClientTimesheet)> {
    let r = resolve(v, req, path_project, action).await?;
    let rollup = r.plan.selection.rollup_split(&v.scope().settings().calendar);
    let data =
        store::timesheet_page(v.db(), v.scope(), &r.plan.selection, rollup.as_ref(), PAGE_SIZE + 1, SubtotalDim::of(r.plan.query.group))
            .await?;
    let ts = project_timesheet(
        &r.ctx(v.scope()),
        &r.plan,
        r.today,
        LoadedData { projects: &r.base.projects, page: data.page, totals: data.totals, subtotals: data.subtotals, notes: &data.notes },
    );
    v.log(req, action, &r.target, "success").await?;
    Ok((r, ts))
}

/// Dev mode (dev builds with `DEV_MODE=1`) reports the wasm linear memory's size — it only
/// grows, so it is the isolate's peak so far — for the benchmark. (`x-d1-rows-read` is added for
/// every response by `clearhours_http::Invocation`.)
#[allow(unused_mut, unused_variables)]
fn with_rows_read(mut r: Response, env: &Env, db: &Db) -> ApiResult<Response> {
    #[cfg(feature = "dev")]
    if clearhours_http::dev_mode(env) {
        r.headers_mut().set("x-wasm-memory-bytes", &wasm_memory().to_string())?;
    }
    Ok(r)
}

#[cfg(all(feature = "dev", target_arch = "wasm32"))]
fn wasm_memory() -> usize {
    core::arch::wasm32::memory_size(0) * 65536
}
#[cfg(all(feature = "dev", not(target_arch = "wasm32")))]
fn wasm_memory() -> usize {
    0
}

/// GET the timesheet page (a project's, or all projects' when `project` is `None`).
pub async fn page(req: &Request, env: &Env, project: Option<&str>, preview: Option<&str>) -> ApiResult<Response> {
    let v = match preview {
        None => match contact(req, env).await? {
            Some(v) => v,
            None => return redirect("/login"),
        },
        Some(c) => match staff(req, env, c).await? {
            Ok(v) => v,
            Err(r) => return Ok(r),
        },
    };
    let key = cache_key(&v, req, project, false);
    let cache = crate::views::cache(env, req);
    if let (Some(key), Viewer::Contact(c)) = (&key, &v) {
        if let Some((target, body)) = cached(&cache, key).await {
            v.log(req, "view_entries", &target, "success").await?;
            return crate::views::cached_page(c, &body, true);
        }
    }
    let (r, ts) = load(&v, req, project, "view_entries").await?;
    if let (Some(key), Viewer::Contact(c)) = (key, &v) {
        let body = render(&crate::views::slot_nav(c), &v.base(), &r, &ts, v.scope()).map_err(ApiError::internal)?;
        let resp = crate::views::cached_page(c, &body, false)?;
        cache.defer(key, format!("{}\n{body}", r.target));
        return with_rows_read(resp, env, v.db());
    }
    let body = render(&v.nav(), &v.base(), &r, &ts, v.scope()).map_err(ApiError::internal)?;
    with_rows_read(html(200, body)?, env, v.db())
}

/// The cache key of a contact's timesheet page or API answer (none for the staff preview):
/// the path's project (or `all`) and the query string exactly as sent.
fn cache_key(v: &Viewer, req: &Request, project: Option<&str>, api: bool) -> Option<String> {
    let Viewer::Contact(c) = v else { return None };
    let url = req.url().ok()?;
    let today = c.scope.settings().calendar.today(c.now);
    let view = clearhours_storage::kv::View::Timesheet {
        project: project.unwrap_or("all"),
        query: url.query().unwrap_or(""),
        api,
        idle: c.idle_minutes,
    };
    Some(clearhours_storage::kv::view_key(&c.scope, today, view))
}

/// A cached timesheet: the access log's target, then the body.
async fn cached(cache: &clearhours_storage::kv::ViewCache, key: &str) -> Option<(String, String)> {
    let value = cache.get(key).await?;
    let (target, body) = value.split_once('\n')?;
    Some((target.to_string(), body.to_string()))
}

/// GET the timesheet as JSON (the same value the page renders).
pub async fn api(req: &Request, env: &Env, project: Option<&str>) -> ApiResult<Response> {
    let v = contact(req, env).await?.ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    let key = cache_key(&v, req, project, true);
    let cache = crate::views::cache(env, req);
    if let Some(key) = &key {
        if let Some((target, body)) = cached(&cache, key).await {
            v.log(req, "api_entries", &target, "success").await?;
            return json_text(body, true);
        }
    }
    let (r, ts) = load(&v, req, project, "api_entries").await?;
    let body = serde_json::to_string(&ts).map_err(ApiError::internal)?;
    if let Some(key) = key {
        cache.defer(key, format!("{}\n{body}", r.target));
    }
    with_rows_read(json_text(body, false)?, env, v.db())
}

fn json_text(body: String, hit: bool) -> ApiResult<Response> {
    let mut r = Response::ok(body)?;
    r.headers_mut().set("content-type", "application/json; charset=utf-8")?;
    crate::views::mark(r, hit)
}

/// The export formats.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Pdf,
}

impl Format {
    pub fn from_segment(s: &str) -> Option<Format> {
        match s.rsplit_once('.').map(|(_, e)| e) {
            Some("csv") => Some(Format::Csv),
            Some("xlsx") => Some(Format::Xlsx),
            Some("pdf") => Some(Format::Pdf),
            _ => None,
        }
    }
    fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
        }
    }
    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Pdf => "application/pdf",
        }
    }
}

/// "2026-11-25 10:00 (America/New_York)".
fn generated_at(now: DateTime<Utc>, scope: &ClientScope) -> String {
    let tz = scope.settings().calendar.tz;
    format!("{} ({})", now.with_timezone(&tz).format("%Y-%m-%d %H:%M"), tz.name())
}

/// Every row of the selection, read in keyset chunks (callers checked the count first).
async fn all_rows(
    db: &Db,
    scope: &ClientScope,
    ctx: &ClientContext<'_>,
    base: &TimesheetBase,
    sel: &Selection,
) -> ApiResult<Vec<ClientEntryRow>> {
    let mut sel = Selection { after: None, ..sel.clone() };
    let mut out = Vec::new();
    loop {
        let page = store::timesheet_chunk(db, scope, &sel, CHUNK).await?;
        let n = page.len();
        out.extend(rows(ctx, &base.projects, &sel, &page));
        if n < CHUNK || out.len() > usize::try_from(MAX_DOCUMENT_ROWS).unwrap_or(usize::MAX) {
            break;
        }
        sel.after = page.key(&sel, n - 1);
    }
    Ok(out)
}

fn attachment(mut r: Response, f: Format, name: &str) -> ApiResult<Response> {
    r.headers_mut().set("content-type", f.content_type())?;
    r.headers_mut().set("content-disposition", &format!("attachment; filename=\"{name}\""))?;
    Ok(r)
}

/// GET an export of exactly the filtered view.
pub async fn export(req: &Request, env: &Env, project: Option<&str>, f: Format, preview: Option<&str>) -> ApiResult<Response> {
    let v = match preview {
        None => match contact(req, env).await? {
            Some(v) => v,
            None => return Err(ApiError::unauthorized("sign in first")),
        },
        Some(c) => match staff(req, env, c).await? {
            Ok(v) => v,
            Err(r) => return Ok(r),
        },
    };
    let action = format!("export_{}", f.ext());
    let r = resolve(&v, req, project, &action).await?;
    let scope = v.scope();
    let ctx = r.ctx(scope);
    let sel = Selection { after: None, ..r.plan.selection.clone() };
    let mut dims = vec![SubtotalDim::Person, SubtotalDim::Task];
    if let Some(g) = SubtotalDim::of(r.plan.query.group) {
        dims.push(g);
    }
    let rollup = sel.rollup_split(&scope.settings().calendar);
    let (totals, subs) = store::timesheet_totals(v.db(), scope, &sel, rollup.as_ref(), if f == Format::Csv { &[] } else { &dims }).await?;
    let header = project_timesheet(
        &ctx,
        &Plan { selection: sel.clone(), ..r.plan.clone() },
        r.today,
        LoadedData { projects: &r.base.projects, page: Page::Entries(Vec::new()), totals, subtotals: Vec::new(), notes: &[] },
    );
    let logged = format!("{} {} rows={}", r.target, header.query, totals.rows);
    if f != Format::Csv && totals.rows > MAX_DOCUMENT_ROWS {
        v.log(req, &action, &logged, "too_many_rows").await?;
        return Err(ApiError::new(
            422,
            "too_many_rows",
            format!(
                "This view has {} rows; Excel and PDF exports hold at most {MAX_DOCUMENT_ROWS}. Download it as CSV (any size), or narrow the filter (a shorter period, one person or task).",
                totals.rows
            ),
        ));
    }
    v.log(req, &action, &logged, "success").await?;
    let client = scope.settings().name.clone();
    let name = file_name(&client, &header, f.ext());
    let now = v.now();
    match f {
        Format::Csv => {
            let bom = query_pairs(req)?.iter().any(|(k, val)| k == "bom" && val == "1");
            let head = csv::header(&header, bom);
            let chunk = usize::try_from(totals.rows / CSV_READS + 1).unwrap_or(CHUNK).clamp(CHUNK, 100_000);
            let state = CsvState {
                chunk,
                // The stream reads the scope's own shard (not the directory database).
                db: auth::shard_db(env, v.db().binding())?,
                scope: scope.clone(),
                catalogue: r.base.catalogue,
                projects: r.base.projects,
                sel,
                cols: columns(&header),
                head: Some(head),
                done: false,
            };
            let s = stream::unfold(state, |mut st| async move {
                if let Some(h) = st.head.take() {
                    return Some((Ok::<Vec<u8>, worker::Error>(h.into_bytes()), st));
                }
                if st.done {
                    return None;
                }
                match store::timesheet_chunk(&st.db, &st.scope, &st.sel, st.chunk).await {
                    Ok(page) => {
                        let n = page.len();
                        let ctx = context(&st.scope, &st.catalogue);
                        let text = csv::rows(&st.cols, &rows(&ctx, &st.projects, &st.sel, &page));
                        st.done = n < st.chunk;
                        st.sel.after = if n > 0 { page.key(&st.sel, n - 1) } else { None };
                        Some((Ok(text.into_bytes()), st))
                    }
                    Err(e) => {
                        worker::console_error!("csv export stopped: {e}");
                        st.done = true;
                        Some((Err(worker::Error::RustError("the export could not be completed".into())), st))
                    }
                }
            });
            attachment(Response::from_stream(s)?, f, &name)
        }
        Format::Xlsx => {
            let rows = all_rows(v.db(), scope, &ctx, &r.base, &sel).await?;
            let [by_person, by_task, ..] = subs.as_slice() else { return Err(ApiError::internal("subtotals missing")) };
            let info = xlsx::WorkbookInfo { client: &client, generated_at: &generated_at(now, scope), generated_unix: now.timestamp() };
            let bytes = xlsx::workbook(
                &info,
                &header,
                &rows,
                &header.totals,
                &project_subtotals(&ctx, SubtotalDim::Person, by_person),
                &project_subtotals(&ctx, SubtotalDim::Task, by_task),
            )
            .map_err(|e| ApiError::internal(e.0))?;
            attachment(Response::from_bytes(bytes)?, f, &name)
        }
        Format::Pdf => {
            let rows = all_rows(v.db(), scope, &ctx, &r.base, &sel).await?;
            let grouped = match (SubtotalDim::of(r.plan.query.group), subs.get(2)) {
                (Some(dim), Some(records)) => project_subtotals(&ctx, dim, records),
                _ => Vec::new(),
            };
            // Staff notes for the weeks shown (the page's loader reads them with the page).
            let notes = store::timesheet_page(v.db(), scope, &Selection { nothing: true, ..sel.clone() }, None, 0, None).await?.notes;
            let with_notes = project_timesheet(
                &ctx,
                &r.plan,
                r.today,
                LoadedData { projects: &r.base.projects, page: Page::Entries(Vec::new()), totals, subtotals: Vec::new(), notes: &notes },
            );
            let header = ClientTimesheet { notes: with_notes.notes, ..header };
            let info = pdf::TimesheetInfo { client: &client, generated_at: &generated_at(now, scope) };
            let bytes = pdf::timesheet(&info, &header, &rows, &header.totals, &grouped);
            attachment(Response::from_bytes(bytes)?, f, &name)
        }
    }
}

/// What the CSV stream carries between chunks.
struct CsvState {
    /// Rows per D1 read.
    chunk: usize,
    db: Db,
    scope: ClientScope,
    catalogue: Catalogue,
    projects: Vec<clearhours_domain::client_view::entries::ProjectRef>,
    sel: Selection,
    cols: Vec<clearhours_export::Column>,
    head: Option<String>,
    done: bool,
}

/// GET /glossary — each task's client explanation.
pub async fn glossary_page(req: &Request, env: &Env, preview: Option<&str>) -> ApiResult<Response> {
    let v = match preview {
        None => match contact(req, env).await? {
            Some(v) => v,
            None => return redirect("/login"),
        },
        Some(c) => match staff(req, env, c).await? {
            Ok(v) => v,
            Err(r) => return Ok(r),
        },
    };
    let base = store::timesheet_base(v.db(), v.scope(), None).await?.ok_or_else(ApiError::not_found)?;
    let tasks = glossary(&context(v.scope(), &base.catalogue));
    v.log(req, "view_glossary", "all", "success").await?;
    let nav = v.nav();
    let prefix = v.base();
    let body = GlossaryPage { nav: &nav, base: &prefix, tasks: tasks.iter().map(|t| (anchor(&t.name), t)).collect() }
        .render()
        .map_err(ApiError::internal)?;
    html(200, body)
}

#[derive(Template)]
#[template(path = "glossary.html")]
struct GlossaryPage<'a> {
    nav: &'a Nav,
    base: &'a str,
    tasks: Vec<(String, &'a ClientTaskInfo)>,
}

/// The glossary anchor of a task name.
fn anchor(name: &str) -> String {
    format!("task-{}", clearhours_export::slug(name))
}

// ---- The page ----

/// A table row, formatted.
struct PageRow {
    /// A group heading before this row (grouped views).
    group: Option<GroupHead>,
    date_iso: String,
    date: String,
    project: String,
    member: String,
    task: String,
    task_anchor: String,
    phase: String,
    description: String,
    non_billable: bool,
    hours: String,
    rate: String,
    amount: String,
    /// "Ask about this row" (issue 15); empty in the staff preview.
    ask: String,
}

struct GroupHead {
    label: String,
    explanation: String,
    hours: String,
    amount: String,
    entries: i64,
    notes: Vec<String>,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "entries.html")]
struct EntriesPage<'a> {
    nav: &'a Nav,
    /// "" or "/admin/preview/{contact}".
    base: &'a str,
    /// The form's and links' path: `/projects/{id}/entries` or `/timesheet`.
    path: String,
    title: String,
    project: Option<(String, String)>,
    e: &'a ClientTimesheet,
    range: String,
    today: String,
    previous_href: Option<String>,
    next_href: Option<String>,
    first_href: Option<String>,
    next_page_href: Option<String>,
    exports: Vec<(String, &'static str)>,
    summarised: bool,
    weekly_summary: bool,
    all_projects: bool,
    columns: usize,
    rows: Vec<PageRow>,
    /// Ask links shown (the contact's own view, not the staff preview).
    asking: bool,
    /// "Ask about this week", when the range is one complete, shown week.
    ask_week: Option<String>,
    ranges: Vec<Choice>,
    projects: Vec<Choice>,
    people: Vec<Choice>,
    tasks: Vec<Choice>,
    phases: Vec<Choice>,
    billables: Vec<Choice>,
    sorts: Vec<Choice>,
    groups: Vec<Choice>,
    from: String,
    to: String,
    q: String,
    withheld_note: Option<String>,
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// "Mon, Nov 23".
fn day(d: NaiveDate) -> String {
    let w = WEEKDAYS.get(d.weekday().num_days_from_monday() as usize).copied().unwrap_or("");
    format!("{w}, {}", short_date(d))
}

fn choices(current: &str, all: &[(&str, &str)]) -> Vec<Choice> {
    all.iter().map(|(v, l)| Choice { value: v.to_string(), label: l.to_string(), selected: *v == current }).collect()
}

fn labelled(current: Option<&str>, items: impl Iterator<Item = String>, any: &str) -> Vec<Choice> {
    std::iter::once(Choice { value: String::new(), label: any.to_string(), selected: current.is_none() })
        .chain(items.map(|i| Choice { selected: Some(i.as_str()) == current, value: i.clone(), label: i }))
        .collect()
}

/// The previous and next period of the same kind, when the range is one week or one month.
/// A period: first and last date.
type Period = (NaiveDate, NaiveDate);

fn neighbours(r: &Resolved, scope: &ClientScope, e: &ClientTimesheet) -> (Option<Period>, Option<Period>) {
    let cal = scope.settings().calendar;
    let (from, to) = (r.plan.from, r.plan.to);
    let week = cal.week_of(from);
    let viewable = |start: NaiveDate, end: NaiveDate| match e.view {
        ViewMode::RealTime => start <= e.today,
        ViewMode::WeeklySummary => end < r.plan.week_start_today,
    };
    if week.start == from && week.end() == to {
        let (p, n) = (week.previous(), week.next());
        return (Some((p.start, p.end())), viewable(n.start, n.end()).then(|| (n.start, n.end())));
    }
    if month_start_of(from) == from && month_end_of(from) == to {
        let p = month_start_of(add_days(from, -1));
        let n = add_days(to, 1);
        return (Some((p, month_end_of(p))), viewable(n, month_end_of(n)).then(|| (n, month_end_of(n))));
    }
    (None, None)
}

fn render(nav: &Nav, base: &str, r: &Resolved, e: &ClientTimesheet, scope: &ClientScope) -> Result<String, askama::Error> {
    let q = &r.plan.query;
    let all_projects = !r.in_path;
    let path = match (&e.project, all_projects) {
        (Some(p), false) => format!("{base}/projects/{}/entries", p.id),
        _ => format!("{base}/timesheet"),
    };
    let with = |query: &TimesheetQuery| format!("{path}?{}", query.to_query(all_projects, None));
    let range_href =
        |(f, t): (NaiveDate, NaiveDate)| with(&TimesheetQuery { preset: Preset::Custom, from: Some(f), to: t, after: None, ..q.clone() });
    let (prev, next) = neighbours(r, scope, e);
    let export_path = |ext: &str| format!("{path}.{ext}?{}", q.to_query(all_projects, None));
    let rates = e.rates_shown;
    let subtotal_for = |row: &ClientEntryRow| -> Option<&ClientSubtotal> {
        e.subtotals.iter().find(|s| match q.group {
            GroupBy::None => false,
            GroupBy::Week => s.week_start.is_some_and(|w| w <= row.date) && s.week_end.is_some_and(|x| row.date <= x),
            GroupBy::Person => s.label == row.member,
            GroupBy::Task => s.label == row.task,
            GroupBy::Phase => s.label == row.phase,
        })
    };
    let asking = base.is_empty();
    let project_of = |name: &str| match (&e.project, all_projects) {
        (Some(p), false) => Some(p.id.to_string()),
        _ => e.projects.iter().find(|p| p.name == name).map(|p| p.id.to_string()),
    };
    let ask_href = |row: &ClientEntryRow| -> String {
        match project_of(&row.project) {
            Some(pid) if asking => format!(
                "/projects/{pid}/questions?about=entry&date={}&person={}&task={}&phase={}",
                row.date,
                encode(&row.member),
                encode(&row.task),
                encode(&row.phase)
            ),
            _ => String::new(),
        }
    };
    let one_week = {
        let w = scope.settings().calendar.week_of(e.from);
        w.start == e.from && w.end() == e.to
    };
    let ask_week = match (&e.project, all_projects) {
        (Some(p), false) if asking && one_week && !e.withheld && e.from <= e.today => {
            Some(format!("/projects/{}/questions?about=week&week={}", p.id, e.from))
        }
        _ => None,
    };
    let mut current: Option<String> = None;
    let rows = e
        .rows
        .iter()
        .map(|row| {
            let group = subtotal_for(row).and_then(|s| {
                if current.as_deref() == Some(s.label.as_str()) {
                    return None;
                }
                current = Some(s.label.clone());
                let label = match (s.week_start, s.week_end) {
                    (Some(a), Some(b)) => format!("Week of {} – {}", day(a), day(b)),
                    _ => s.label.clone(),
                };
                let notes = match s.week_start {
                    Some(w) => e.notes.iter().filter(|n| n.week_start == w).map(|n| format!("{}: {}", n.project, n.body)).collect(),
                    None => Vec::new(),
                };
                Some(GroupHead {
                    label,
                    explanation: s.explanation.clone().unwrap_or_default(),
                    hours: s.totals.hours.to_string(),
                    amount: s.totals.amount.as_ref().map(ToString::to_string).unwrap_or_default(),
                    entries: s.totals.entries,
                    notes,
                })
            });
            PageRow {
                group,
                date_iso: row.date.to_string(),
                date: day(row.date),
                project: row.project.clone(),
                member: row.member.clone(),
                task: row.task.clone(),
                task_anchor: anchor(&row.task),
                phase: row.phase.clone(),
                description: if row.description.trim().is_empty() { "—".to_string() } else { row.description.clone() },
                non_billable: !row.billable,
                hours: row.hours.to_string(),
                rate: row.rate.as_ref().map_or_else(|| "—".to_string(), ToString::to_string),
                amount: row.amount.as_ref().map(ToString::to_string).unwrap_or_default(),
                ask: ask_href(row),
            }
        })
        .collect();
    let title = match (&e.project, all_projects) {
        (Some(p), false) => p.name.clone(),
        (Some(p), true) => format!("All projects · {}", p.name),
        (None, _) => "All projects".to_string(),
    };
    let cal = scope.settings().calendar;
    let wk = cal.week_of(e.today);
    let range_labels: [(&str, String); 6] = [
        ("this_week", format!("This week ({} – {})", short_date(wk.start), short_date(wk.end()))),
        ("last_week", "Last week".into()),
        ("this_month", "This month".into()),
        ("last_month", "Last month".into()),
        ("to_date", "Project to date".into()),
        ("custom", "Custom dates".into()),
    ];
    let preset = q.preset.as_str();
    EntriesPage {
        nav,
        base,
        path: path.clone(),
        title,
        project: e.project.as_ref().filter(|_| !all_projects).map(|p| (p.id.to_string(), p.name.clone())),
        e,
        range: format!("{} – {}, {}", day(e.from), day(e.to), e.to.year()),
        today: format!("{}, {}", short_date(e.today), e.today.year()),
        previous_href: prev.map(range_href),
        next_href: next.map(range_href),
        first_href: q.after.is_some().then(|| with(q)),
        next_page_href: e.next_cursor.as_ref().map(|c| {
            let cursor = clearhours_domain::client_view::entries::Cursor::decode(c).ok();
            format!("{path}?{}", q.to_query(all_projects, cursor.as_ref()))
        }),
        exports: vec![
            (export_path("csv"), "CSV"),
            (format!("{}&bom=1", export_path("csv")), "CSV for Excel"),
            (export_path("xlsx"), "Excel"),
            (export_path("pdf"), "PDF"),
        ],
        summarised: e.descriptions == DescriptionMode::Summarised,
        weekly_summary: e.view == ViewMode::WeeklySummary,
        all_projects,
        columns: 6 + usize::from(all_projects) + if rates { 2 } else { 0 } + usize::from(asking),
        rows,
        asking,
        ask_week,
        ranges: range_labels.iter().map(|(v, l)| Choice { value: v.to_string(), label: l.clone(), selected: *v == preset }).collect(),
        projects: std::iter::once(Choice { value: String::new(), label: "All projects".into(), selected: q.project.is_none() })
            .chain(e.projects.iter().map(|p| Choice {
                value: p.id.to_string(),
                label: p.name.clone(),
                selected: q.project.as_ref() == Some(&p.id),
            }))
            .collect(),
        people: labelled(q.person.as_deref(), e.people.iter().cloned(), "Everyone"),
        tasks: labelled(q.task.as_deref(), e.tasks.iter().map(|t| t.name.clone()).chain(["No task".to_string()]), "All tasks"),
        phases: labelled(q.phase.as_deref(), e.phases.iter().cloned().chain(["No phase".to_string()]), "All phases"),
        billables: choices(
            q.billable.as_str(),
            &[("all", "Billable and non-billable"), ("billable", "Billable only"), ("non_billable", "Non-billable only")],
        ),
        sorts: choices(
            q.sort.as_str(),
            &[("date", "Date"), ("person", "Team member"), ("task", "Task"), ("phase", "Phase"), ("hours", "Hours (largest first)")],
        ),
        groups: choices(
            q.group.as_str(),
            &[("none", "No grouping"), ("week", "Week"), ("person", "Team member"), ("task", "Task"), ("phase", "Phase")],
        ),
        from: e.from.to_string(),
        to: e.to.to_string(),
        q: q.q.clone().unwrap_or_default(),
        withheld_note: e
            .withheld_from
            .filter(|_| !e.withheld)
            .map(|w| format!("Entries from {} on appear once their week is complete.", day(w))),
    }
    .render()
}

/// One project's week exactly as the contact sees it on the timesheet — every row and the
/// totals, through the same plan and projection (weekly sign-off hashes this). `None` when the
/// project is not visible; the timesheet's `withheld` says whether the week is shown yet.
pub(crate) async fn week_as_seen(
    db: &Db,
    scope: &ClientScope,
    project: &ProjectId,
    week: (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> ApiResult<Option<(Vec<ClientEntryRow>, ClientTimesheet, i64)>> {
    let Some(base) = store::timesheet_base(db, scope, Some(project)).await? else { return Ok(None) };
    let ctx = context(scope, &base.catalogue);
    let query = TimesheetQuery {
        preset: Preset::Custom,
        from: Some(week.0),
        to: week.1,
        project: Some(project.clone()),
        person: None,
        task: None,
        phase: None,
        billable: clearhours_domain::client_view::entries::BillableFilter::All,
        q: None,
        sort: clearhours_domain::client_view::entries::Sort::Date,
        group: GroupBy::None,
        after: None,
        invoice: None,
    };
    let calendar = scope.settings().calendar;
    let p = plan(&ctx, &base.projects, &query, &calendar, today).map_err(|e| ApiError::bad_request(e.message))?;
    let rollup = p.selection.rollup_split(&calendar);
    let (totals, _) = store::timesheet_totals(db, scope, &p.selection, rollup.as_ref(), &[]).await?;
    let all = all_rows(db, scope, &ctx, &base, &p.selection).await?;
    let amount_minor = totals.amount_minor;
    let ts = project_timesheet(
        &ctx,
        &p,
        today,
        LoadedData { projects: &base.projects, page: Page::Entries(Vec::new()), totals, subtotals: Vec::new(), notes: &[] },
    );
    Ok(Some((all, ts, amount_minor)))
}
