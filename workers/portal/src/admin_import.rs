//! Integrations, mappings, the unmapped queue and CSV imports in the admin area (issue 5).
//!
//! Routes (all staff-only; another provider's integration is a 404; every POST carries the
//! session's CSRF token and is logged):
//! - `/admin/integrations` — the provider's integrations with their queue and flag counts; POST
//!   creates one (its first secret is generated, or pasted for Clockify, and shown once).
//!   `/admin/unmapped` redirects there.
//! - POST `/admin/integrations/{id}/secrets` — rotation without downtime: a new secret, live at
//!   once; optionally the current ones expire in [`RETIRE_HOURS`] hours, time to switch senders.
//! - `/admin/integrations/{id}` — mappings (list, add), the unmapped queue, open flags on
//!   invoiced entries. POST `…/mappings` saves a mapping: queued entries that now map flow in,
//!   in the same D1 batch as the mapping. POST `…/mappings/delete` removes one. POST
//!   `…/flags/{n}/resolve` marks a flag handled.
//! - `/admin/import` — CSV import (Harvest, Toggl, Clockify detailed exports; upload or paste).
//!   POST with `action=preview` is a dry run: it lists each row's problems (row number and
//!   column) and what would happen to each row, and writes nothing. `action=import` refuses a
//!   file with problems (400, the same list); otherwise imports the whole file as one
//!   all-or-nothing D1 batch (rows bound as JSON arrays, within D1's statement limits). Rows
//!   that do not map yet go to the unmapped queue. Re-importing is idempotent: external ids are
//!   derived from the rows (see `clearhours_domain::sources::csv`).

use crate::auth::StaffCtx;
use crate::pages::Nav;
use crate::staff::{field, log, nav, staff_form, staff_or_login};
use crate::{html, redirect};
use askama::Template;
use clearhours_domain::ids::IntegrationId;
use clearhours_domain::money::hours;
use clearhours_domain::sources::csv::{parse_export, CsvProblem};
use clearhours_domain::sources::import::{self, Decision, NewSecret};
use clearhours_domain::sources::mapping::{MapKind, MatchOn};
use clearhours_domain::sources::{ExtRef, ExternalEntry};
use clearhours_domain::webhook::WebhookSecret;
use clearhours_http::{segments, ApiError, ApiResult};
use clearhours_storage::delivery::{self, Batch, Delivered, Outcome};
use clearhours_storage::mapping::{self as store, IntegrationRow, NewMapping};
use worker::{Env, FormEntry, Method, Request, Response};

/// Largest upload accepted.
const MAX_UPLOAD: usize = 5 * 1024 * 1024;
/// Rows listed on a preview page (all problems are always listed).
const PREVIEW_ROWS: usize = 300;
/// Queue entries and flags listed on an integration page.
const LIST_LIMIT: usize = 200;
/// Grace period of secrets retired by a rotation.
pub const RETIRE_HOURS: i64 = 24;

pub async fn route(req: Request, env: &Env) -> ApiResult<Response> {
    let segs = segments(&req);
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (req.method(), segs.as_slice()) {
        (Method::Get, ["admin", "integrations"]) => list(&req, env).await,
        (Method::Post, ["admin", "integrations"]) => create(req, env).await,
        (Method::Post, ["admin", "integrations", id, "secrets"]) => rotate(req, env, id).await,
        (Method::Get, ["admin", "unmapped"]) => redirect("/admin/integrations"),
        (Method::Get, ["admin", "integrations", id]) => page(&req, env, id).await,
        (Method::Post, ["admin", "integrations", id, "mappings"]) => save_mapping(req, env, id).await,
        (Method::Post, ["admin", "integrations", id, "mappings", "delete"]) => delete_mapping(req, env, id).await,
        (Method::Post, ["admin", "integrations", id, "flags", flag, "resolve"]) => resolve_flag(req, env, id, flag).await,
        (Method::Get, ["admin", "import"]) => import_page(&req, env).await,
        (Method::Post, ["admin", "import"]) => import(req, env).await,
        (
            _,
            ["admin", "integrations" | "unmapped" | "import"]
            | ["admin", "integrations", _]
            | ["admin", "integrations", _, "mappings" | "secrets"]
            | ["admin", "integrations", _, "mappings", "delete"]
            | ["admin", "integrations", _, "flags", _, "resolve"],
        ) => Err(ApiError::method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}

// ------------------------------------------------------------------------------- helpers

fn query(req: &Request, key: &str) -> Option<String> {
    req.url().ok().and_then(|u| u.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.to_string()))
}

/// The provider's integration, or 404.
async fn integration(ctx: &StaffCtx, id: &str) -> ApiResult<(IntegrationId, IntegrationRow)> {
    let iid = IntegrationId::parse(id).map_err(|_| ApiError::not_found())?;
    let row = store::integration(&ctx.db, &ctx.scope, &iid).await?.ok_or_else(ApiError::not_found)?;
    Ok((iid, row))
}

/// "Toggl Track", "Clockify", "Clearhours API".
fn kind_label(kind: &str) -> &'static str {
    match kind {
        "toggl" => "Toggl Track webhooks",
        "clockify" => "Clockify webhooks",
        _ => "Clearhours API",
    }
}

fn webhook_path(row: &IntegrationRow) -> String {
    let route = match row.kind.as_str() {
        "toggl" => "toggl",
        "clockify" => "clockify",
        _ => "entries",
    };
    format!("/v1/integrations/{}/{route}", row.id)
}

fn ref_text(r: &Option<ExtRef>) -> String {
    r.as_ref().map_or_else(|| "—".to_string(), ExtRef::describe)
}

fn when_text(e: &ExternalEntry) -> String {
    match (e.started_at, e.date) {
        (Some(t), _) => t.format("%Y-%m-%d %H:%M UTC").to_string(),
        (None, Some(d)) => d.to_string(),
        (None, None) => "—".into(),
    }
}

// ------------------------------------------------------------------------------- integrations

pub struct IntegrationView {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub path: String,
    pub disabled: bool,
    pub unmapped: i64,
    pub flags: i64,
    pub mappings: i64,
}

impl IntegrationView {
    fn of(r: &IntegrationRow) -> Self {
        Self {
            id: r.id.clone(),
            name: r.name.clone(),
            kind: kind_label(&r.kind),
            path: webhook_path(r),
            disabled: r.disabled_at.is_some(),
            unmapped: r.unmapped,
            flags: r.flags,
            mappings: r.mappings,
        }
    }
}

#[derive(Template)]
#[template(path = "import_integrations.html")]
struct ListPage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    rows: Vec<IntegrationView>,
    name: &'a str,
    kind: &'a str,
    error: Option<String>,
}

async fn render_list(ctx: &StaffCtx, name: &str, kind: &str, error: Option<String>, status: u16) -> ApiResult<Response> {
    let rows = store::integrations(&ctx.db, &ctx.scope).await?.iter().map(IntegrationView::of).collect();
    let nav = nav(ctx).await?;
    html(status, ListPage { nav: &nav, csrf: &ctx.csrf, rows, name, kind, error }.render().map_err(ApiError::internal)?)
}

/// GET /admin/integrations
async fn list(req: &Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    render_list(&ctx, "", "toggl", None, 200).await
}

/// A new secret for an integration of `kind` (`import::new_secret` says which; this makes it).
fn secret_for(kind: &str, pasted: &str) -> ApiResult<Result<String, String>> {
    Ok(match import::new_secret(kind, pasted) {
        Ok(NewSecret::Pasted(s)) => Ok(s),
        Ok(NewSecret::Webhook) => {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(ApiError::internal)?;
            Ok(WebhookSecret::from_bytes(key.to_vec()).encode())
        }
        Ok(NewSecret::Token) => Ok(clearhours_storage::db::random_token(24)?),
        Err(e) => Err(e),
    })
}

/// POST /admin/integrations — creates an integration; its secret is shown once.
async fn create(mut req: Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let (typed, kind) = (field(&form, "name"), field(&form, "kind"));
    let name = match import::integration_name(&typed) {
        Ok(n) => n,
        Err(e) => return render_list(&ctx, typed.trim(), &kind, Some(format!("Not created: {e}.")), 400).await,
    };
    let secret = match secret_for(&kind, &field(&form, "secret"))? {
        Ok(s) => s,
        Err(e) => return render_list(&ctx, &name, &kind, Some(format!("Not created: {e}.")), 400).await,
    };
    let id = match store::create_integration(&ctx.db, &ctx.scope, &kind, &name, &secret, ctx.now).await? {
        Ok(id) => id,
        Err(e) => return render_list(&ctx, &name, &kind, Some(format!("Not created: {e}.")), 400).await,
    };
    // Deliveries name the integration only: the directory says which shard holds it.
    clearhours_storage::shards::add_integration(&crate::auth::db(env)?, id.as_str(), ctx.scope.provider_id().as_str()).await?;
    log(&ctx, &req, None, "admin_integration_create", &format!("{id} {kind}")).await?;
    let notice = "Integration created. Copy its secret now: it is not shown again.".to_string();
    render_integration(&ctx, id.as_str(), Form::default(), Some(notice), None, Some(secret), 200).await
}

/// POST /admin/integrations/{id}/secrets — a new secret; optionally retire the others.
async fn rotate(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let (iid, row) = integration(&ctx, id).await?;
    let secret = match secret_for(&row.kind, &field(&form, "secret"))? {
        Ok(s) => s,
        Err(e) => return render_integration(&ctx, id, Form::default(), None, Some(format!("No secret added: {e}.")), None, 400).await,
    };
    let retire = form.get("retire").is_some().then(|| ctx.now + chrono::Duration::hours(RETIRE_HOURS));
    if !store::add_secret(&ctx.db, &ctx.scope, &iid, &secret, retire, ctx.now).await? {
        return Err(ApiError::not_found());
    }
    log(&ctx, &req, None, "admin_integration_secret", &format!("{iid} retire_others={}", retire.is_some())).await?;
    let notice = match retire {
        Some(_) => format!(
            "New secret added and live now. The previous secrets stop working in {RETIRE_HOURS} hours. Copy it now: it is not shown again."
        ),
        None => "New secret added and live now; the previous secrets keep working. Copy it now: it is not shown again.".to_string(),
    };
    render_integration(&ctx, id, Form::default(), Some(notice), None, Some(secret), 200).await
}

pub struct MappingView {
    pub kind: String,
    pub match_on: String,
    pub external_key: String,
    pub target_id: String,
    pub target_name: String,
}

pub struct Prefill {
    pub label: String,
    pub href: String,
}

pub struct UnmappedView {
    pub external_id: String,
    pub received_at: String,
    pub when: String,
    pub hours: String,
    pub project: String,
    pub user: String,
    pub task: String,
    pub reason: String,
    /// Links that pre-fill the mapping form with this entry's unmapped references.
    pub map_links: Vec<Prefill>,
}

pub struct FlagView {
    pub id: i64,
    pub external_id: String,
    pub invoice: String,
    pub change: String,
    pub detail: String,
    pub received_at: String,
}

pub struct TargetOption {
    pub id: String,
    pub label: String,
}

pub struct Form {
    pub kind: String,
    pub match_on: String,
    pub external: String,
    pub target: String,
}

impl Default for Form {
    fn default() -> Self {
        Self { kind: "project".into(), match_on: "id".into(), external: String::new(), target: String::new() }
    }
}

pub struct SecretView {
    pub created_at: String,
    pub expires_at: String,
}

#[derive(Template)]
#[template(path = "import_integration.html")]
struct IntegrationPage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    i: IntegrationView,
    mappings: Vec<MappingView>,
    unmapped: Vec<UnmappedView>,
    flags: Vec<FlagView>,
    projects: Vec<TargetOption>,
    members: Vec<TargetOption>,
    tasks: Vec<TargetOption>,
    form: Form,
    notice: Option<String>,
    error: Option<String>,
    secrets: Vec<SecretView>,
    /// A secret just created, shown this once.
    secret_once: Option<String>,
}

fn prefill_links(id: &str, e: &ExternalEntry, reason: &str) -> Vec<Prefill> {
    import::wanted_mappings(e, reason)
        .into_iter()
        .map(|w| {
            let q = url_encode(&[("kind", w.kind.as_str()), ("on", w.on), ("key", &w.key)]);
            Prefill { label: w.label, href: format!("/admin/integrations/{id}?{q}#add-mapping") }
        })
        .collect()
}

/// `a=b&c=d`, form-encoded.
fn url_encode(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

async fn render_integration(
    ctx: &StaffCtx,
    id: &str,
    form: Form,
    notice: Option<String>,
    error: Option<String>,
    secret_once: Option<String>,
    status: u16,
) -> ApiResult<Response> {
    let (iid, row) = integration(ctx, id).await?;
    let secrets = store::live_secrets(&ctx.db, &iid, ctx.now)
        .await?
        .into_iter()
        .map(|s| SecretView { created_at: s.created_at, expires_at: s.expires_at.unwrap_or_else(|| "never".into()) })
        .collect();
    let mappings = store::mapping_rows(&ctx.db, &iid)
        .await?
        .into_iter()
        .map(|m| MappingView {
            kind: m.kind,
            match_on: m.match_on,
            external_key: m.external_key,
            target_name: m.target_name.unwrap_or_else(|| "(missing)".into()),
            target_id: m.target_id,
        })
        .collect();
    let unmapped = store::unmapped(&ctx.db, &ctx.scope, &iid, LIST_LIMIT)
        .await?
        .into_iter()
        .map(|u| {
            let e = u.entry();
            UnmappedView {
                external_id: u.external_id.clone(),
                received_at: u.received_at.clone(),
                when: e.as_ref().map_or_else(String::new, when_text),
                hours: e.as_ref().map_or_else(String::new, |e| hours(e.minutes, 2).to_string()),
                project: e.as_ref().map_or_else(String::new, |e| ref_text(&e.project)),
                user: e.as_ref().map_or_else(String::new, |e| ref_text(&e.user)),
                task: e.as_ref().map_or_else(String::new, |e| ref_text(&e.task)),
                map_links: e.as_ref().map_or_else(Vec::new, |e| prefill_links(&row.id, e, &u.reason)),
                reason: u.reason,
            }
        })
        .collect();
    let flags = store::flags(&ctx.db, &ctx.scope, &iid, LIST_LIMIT)
        .await?
        .into_iter()
        .map(|f| FlagView {
            id: f.id,
            external_id: f.external_id,
            invoice: f.invoice_number.unwrap_or(f.invoice_id),
            change: f.change,
            detail: f.detail,
            received_at: f.received_at,
        })
        .collect();
    let t = store::targets(&ctx.db, &ctx.scope).await?;
    let opts = |v: Vec<(String, String)>| v.into_iter().map(|(id, label)| TargetOption { id, label }).collect::<Vec<_>>();
    let nav = nav(ctx).await?;
    let page = IntegrationPage {
        nav: &nav,
        csrf: &ctx.csrf,
        i: IntegrationView::of(&row),
        mappings,
        unmapped,
        flags,
        projects: opts(t.projects),
        members: opts(t.members),
        tasks: opts(t.tasks),
        form,
        notice,
        error,
        secrets,
        secret_once,
    };
    html(status, page.render().map_err(ApiError::internal)?)
}

/// GET /admin/integrations/{id} (`?kind=&on=&key=` pre-fill the mapping form).
async fn page(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let notice = match query(req, "done").as_deref() {
        Some("mapped") => {
            let flowed = query(req, "flowed").unwrap_or_default();
            let waiting = query(req, "waiting").unwrap_or_default();
            Some(format!("Mapping saved. {flowed} queued entries flowed in; {waiting} still wait for a mapping."))
        }
        Some("unmapped") => Some("Mapping removed. Entries already stored stay as they are.".to_string()),
        Some("flag") => Some("Flag marked as handled.".to_string()),
        _ => None,
    };
    let form = Form {
        kind: query(req, "kind").unwrap_or_else(|| "project".into()),
        match_on: query(req, "on").unwrap_or_else(|| "id".into()),
        external: query(req, "key").unwrap_or_default(),
        target: String::new(),
    };
    render_integration(&ctx, id, form, notice, None, None, 200).await
}

/// POST /admin/integrations/{id}/mappings
async fn save_mapping(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let (iid, _) = integration(&ctx, id).await?;
    let f = Form {
        kind: field(&form, "kind"),
        match_on: field(&form, "match_on"),
        external: field(&form, "external"),
        target: field(&form, "target"),
    };
    let parsed = MapKind::parse(&f.kind).and_then(|k| MatchOn::parse(&f.match_on).map(|m| (k, m)));
    let (kind, match_on) = match parsed {
        Ok(p) => p,
        Err(e) => return render_integration(&ctx, id, f, None, Some(format!("Not saved: {e}.")), None, 400).await,
    };
    let new = NewMapping { kind, match_on, external: &f.external, target: f.target.trim() };
    let saved = match store::save_mapping(&ctx.db, &ctx.scope, &iid, &new, ctx.now).await? {
        Ok(s) => s,
        Err(e) => return render_integration(&ctx, id, f, None, Some(format!("Not saved: {e}.")), None, 400).await,
    };
    let flowed = saved.flowed.upserts + saved.flowed.flagged + saved.flowed.stale;
    log(
        &ctx,
        &req,
        None,
        "admin_mapping_save",
        &format!("{iid} {}:{}:{} -> {} (flowed {flowed})", kind.as_str(), match_on.as_str(), f.external.trim(), new.target),
    )
    .await?;
    redirect(&format!("/admin/integrations/{iid}?done=mapped&flowed={flowed}&waiting={}", saved.still_unmapped))
}

/// POST /admin/integrations/{id}/mappings/delete
async fn delete_mapping(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let (iid, _) = integration(&ctx, id).await?;
    let kind = MapKind::parse(&field(&form, "kind")).map_err(ApiError::bad_request)?;
    let on = MatchOn::parse(&field(&form, "match_on")).map_err(ApiError::bad_request)?;
    let key = field(&form, "external_key");
    if !store::delete_mapping(&ctx.db, &ctx.scope, &iid, kind, on, &key).await? {
        return Err(ApiError::not_found());
    }
    log(&ctx, &req, None, "admin_mapping_delete", &format!("{iid} {}:{}:{key}", kind.as_str(), on.as_str())).await?;
    redirect(&format!("/admin/integrations/{iid}?done=unmapped"))
}

/// POST /admin/integrations/{id}/flags/{n}/resolve
async fn resolve_flag(mut req: Request, env: &Env, id: &str, flag: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    staff_form(&mut req, &ctx).await?;
    let (iid, _) = integration(&ctx, id).await?;
    let n: i64 = flag.parse().map_err(|_| ApiError::not_found())?;
    if !store::resolve_flag(&ctx.db, &ctx.scope, &iid, n, ctx.now).await? {
        return Err(ApiError::not_found());
    }
    log(&ctx, &req, None, "admin_flag_resolve", &format!("{iid} flag {n}")).await?;
    redirect(&format!("/admin/integrations/{iid}?done=flag"))
}

// ------------------------------------------------------------------------------- CSV import

pub struct IntegrationOption {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

pub struct ProblemView {
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl ProblemView {
    fn of(p: &CsvProblem) -> Self {
        Self { row: p.row, column: if p.column.is_empty() { "—".into() } else { p.column.clone() }, message: p.message.clone() }
    }
}

pub struct RowView {
    pub row: usize,
    pub date: String,
    pub user: String,
    pub project: String,
    pub task: String,
    pub hours: String,
    pub billable: bool,
    /// "" when the row is ready; otherwise why it would wait in the unmapped queue.
    pub waits: String,
}

pub struct Preview {
    pub format: &'static str,
    pub rows: usize,
    pub ready: usize,
    pub waiting: usize,
    pub listed: Vec<RowView>,
    pub more: usize,
}

pub struct ImportResult {
    pub batches: usize,
    pub stored: usize,
    pub queued: usize,
    pub unchanged: usize,
    pub flagged: usize,
    pub failed_batch: Option<usize>,
}

#[derive(Template)]
#[template(path = "import_form.html")]
struct ImportPage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    integrations: Vec<IntegrationOption>,
    csv: &'a str,
    problems: Vec<ProblemView>,
    preview: Option<Preview>,
    result: Option<ImportResult>,
    error: Option<String>,
}

struct ImportView<'a> {
    integration: &'a str,
    csv: &'a str,
    problems: Vec<ProblemView>,
    preview: Option<Preview>,
    result: Option<ImportResult>,
    error: Option<String>,
}

async fn render_import(ctx: &StaffCtx, v: ImportView<'_>, status: u16) -> ApiResult<Response> {
    let integrations = store::integrations(&ctx.db, &ctx.scope)
        .await?
        .into_iter()
        .filter(|r| r.disabled_at.is_none())
        .map(|r| IntegrationOption { selected: r.id == v.integration, label: format!("{} ({})", r.name, kind_label(&r.kind)), id: r.id })
        .collect();
    let nav = nav(ctx).await?;
    let page = ImportPage {
        nav: &nav,
        csrf: &ctx.csrf,
        integrations,
        csv: v.csv,
        problems: v.problems,
        preview: v.preview,
        result: v.result,
        error: v.error,
    };
    html(status, page.render().map_err(ApiError::internal)?)
}

/// GET /admin/import
async fn import_page(req: &Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let chosen = query(req, "integration").unwrap_or_default();
    render_import(&ctx, ImportView { integration: &chosen, csv: "", problems: Vec::new(), preview: None, result: None, error: None }, 200)
        .await
}

/// The CSV text of the form: the uploaded file if any, else the pasted text.
async fn csv_text(form: &worker::FormData) -> Result<String, String> {
    if let Some(FormEntry::File(f)) = form.get("file") {
        let bytes = f.bytes().await.map_err(|_| "the file could not be read".to_string())?;
        if !bytes.is_empty() {
            return String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text; export it as UTF-8 CSV".to_string());
        }
    }
    Ok(field(form, "csv"))
}

/// POST /admin/import (`action` = `preview` or `import`).
async fn import(mut req: Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    if let Ok(Some(len)) = req.headers().get("content-length") {
        if len.parse::<usize>().is_ok_and(|n| n > MAX_UPLOAD) {
            return Err(ApiError::too_large(MAX_UPLOAD));
        }
    }
    let form = staff_form(&mut req, &ctx).await?;
    let chosen = field(&form, "integration");
    let action = field(&form, "action");
    let text = match csv_text(&form).await {
        Ok(t) => t,
        Err(e) => return render_import(&ctx, refused(&chosen, "", &e), 400).await,
    };
    if text.len() > MAX_UPLOAD {
        return Err(ApiError::too_large(MAX_UPLOAD));
    }
    const CHOOSE: &str = "choose the integration whose mappings apply";
    let Ok(iid) = IntegrationId::parse(chosen.trim()) else {
        return render_import(&ctx, refused(&chosen, &text, CHOOSE), 400).await;
    };
    if store::integration(&ctx.db, &ctx.scope, &iid).await?.is_none() {
        return render_import(&ctx, refused(&chosen, &text, CHOOSE), 400).await;
    }
    let parsed = match parse_export(&text) {
        Ok(p) => p,
        Err(p) => {
            let v = ImportView {
                integration: &chosen,
                csv: &text,
                problems: vec![ProblemView::of(&p)],
                preview: None,
                result: None,
                error: Some("Nothing imported: the file cannot be read as an export.".into()),
            };
            return render_import(&ctx, v, 400).await;
        }
    };
    let version = ctx.now.timestamp_millis();
    let mappings = store::mappings(&ctx.db, &iid).await?;
    // Resolve every row (read-only) before anything is written (`import`'s policy decides).
    let items = import::items(&parsed.rows, version);
    let store::Resolved { writes, queued, refused } = store::resolve_with(&ctx.db, &ctx.scope, &mappings, items).await?;
    let problems: Vec<ProblemView> = import::problems(&parsed.problems, &parsed.rows, &refused).iter().map(ProblemView::of).collect();
    if let Decision::DryRun { status, error } = import::decide(action == "import", problems.len(), !refused.is_empty()) {
        // Dry run: every row resolved against the mappings and the provider's data; nothing written.
        let waits: std::collections::HashMap<&str, &str> =
            queued.iter().map(|q| (q.entry.external_id.as_str(), q.reason.as_str())).collect();
        let listed = parsed
            .rows
            .iter()
            .take(PREVIEW_ROWS)
            .map(|r| RowView {
                row: r.row,
                date: when_text(&r.entry),
                user: ref_text(&r.entry.user),
                project: ref_text(&r.entry.project),
                task: ref_text(&r.entry.task),
                hours: hours(r.entry.minutes, 2).to_string(),
                billable: r.entry.billable,
                waits: waits.get(r.entry.external_id.as_str()).map(|s| s.to_string()).unwrap_or_default(),
            })
            .collect();
        let preview = Preview {
            format: parsed.format.label(),
            rows: parsed.rows.len(),
            ready: writes.len(),
            waiting: queued.len(),
            listed,
            more: parsed.rows.len().saturating_sub(PREVIEW_ROWS),
        };
        let v = ImportView { integration: &chosen, csv: &text, problems, preview: Some(preview), result: None, error };
        return render_import(&ctx, v, status).await;
    }
    // Import: the whole file is one all-or-nothing D1 batch. Its writes are bound as JSON arrays
    // (a few statements per ~1 MB of rows), so even MAX_ROWS rows stay within D1's per-invocation
    // statement limit; a failure leaves nothing half-imported.
    let mut result = ImportResult { batches: 0, stored: 0, queued: 0, unchanged: 0, flagged: 0, failed_batch: None };
    let run = clearhours_storage::db::random_token(6)?;
    let delivery = format!("csv-{version}-{run}");
    let batch = Batch { delivery_id: &delivery, writes: &writes, queued: &queued, extra: Vec::new(), dequeue: true };
    match delivery::apply_versioned(&ctx.db, &ctx.scope, &iid, batch, ctx.now).await {
        Ok(Delivered::Stored(o)) => {
            add(&mut result, &o);
            result.batches = 1;
        }
        Ok(Delivered::Duplicate) => result.batches = 1,
        Err(e) => {
            worker::console_error!("csv import failed: {e}");
            result.failed_batch = Some(1);
        }
    }
    log(
        &ctx,
        &req,
        None,
        "admin_import",
        &format!("{iid} {} rows {} stored {} queued", parsed.format.as_str(), result.stored, result.queued),
    )
    .await?;
    let status = if result.failed_batch.is_some() { 503 } else { 200 };
    let error = result.failed_batch.map(|_| {
        "Nothing was imported: the file could not be written (an import is all or nothing). Importing the same file again is safe."
            .to_string()
    });
    let v = ImportView { integration: &chosen, csv: "", problems: Vec::new(), preview: None, result: Some(result), error };
    render_import(&ctx, v, status).await
}

fn add(r: &mut ImportResult, o: &Outcome) {
    r.stored += o.upserts;
    r.queued += o.unmapped;
    r.unchanged += o.stale;
    r.flagged += o.flagged;
}

/// The import form again, with the text kept and one error.
fn refused<'a>(integration: &'a str, csv: &'a str, error: &str) -> ImportView<'a> {
    ImportView { integration, csv, problems: Vec::new(), preview: None, result: None, error: Some(format!("Nothing imported: {error}.")) }
}
