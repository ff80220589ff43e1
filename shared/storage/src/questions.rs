//! Questions between client contacts and provider staff (issue 15): asking, answering,
//! resolving, promoting an answer to an explanatory note, and the staff lists. Every write is
//! one D1 batch (a transaction) that also enqueues the notification row for the other side.
//!
//! Client reads and writes filter by the scope's client id and nest `VISIBLE_PROJECTS`, so a
//! thread on a project the contact may not see is not found. Staff reads filter by provider.

use crate::args;
use crate::auth::ts;
use crate::dashboard::VISIBLE_PROJECTS;
use crate::db::{new_id, rows, Arg, Db, Result, StorageError};
use crate::notices::{contact_row, staff_rows, Event, StaffPayloads};
use crate::scope::{ClientScope, ProviderScope};
use chrono::{DateTime, NaiveDate, Utc};
use clearhours_domain::client_view::questions::{MessageRecord, QuestionRecord};
use clearhours_domain::conversation::{QuestionState, SubjectIds, SubjectKind};
use clearhours_domain::ids::ProjectId;
use serde::Deserialize;

#[derive(Deserialize)]
struct QuestionDb {
    id: String,
    client_id: String,
    project_id: String,
    project_name: String,
    provider_name: String,
    contact_id: String,
    kind: String,
    week_start: Option<String>,
    local_date: Option<String>,
    member_id: Option<String>,
    task_id: Option<String>,
    phase_id: Option<String>,
    state: String,
    created_at: String,
}

#[derive(Deserialize)]
struct MessageDb {
    id: String,
    question_id: String,
    author_kind: String,
    author_id: String,
    author_name: Option<String>,
    body: String,
    created_at: String,
    note_id: Option<String>,
}

const Q_COLS: &str = "q.id, q.client_id, q.project_id, p.name AS project_name, (SELECT name FROM providers WHERE id = q.provider_id) AS provider_name, q.contact_id, q.kind, q.week_start, q.local_date,
     q.member_id, q.task_id, q.phase_id, q.state, q.created_at";
const M_COLS: &str =
    "m.id, m.question_id, m.author_kind, m.author_id, COALESCE(c.name, s.name) AS author_name, m.body, m.created_at, m.note_id";
const M_JOIN: &str = "LEFT JOIN contacts c ON m.author_kind = 'contact' AND c.id = m.author_id
     LEFT JOIN staff_users s ON m.author_kind = 'staff' AND s.id = m.author_id";

fn date(s: Option<&str>) -> Result<Option<NaiveDate>> {
    s.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|e| StorageError::Corrupt(format!("question date: {e}")))).transpose()
}

fn record(q: QuestionDb, messages: &[MessageDb]) -> Result<(String, QuestionRecord)> {
    let kind = SubjectKind::parse(&q.kind).ok_or_else(|| StorageError::Corrupt(format!("question kind {}", q.kind)))?;
    let state = QuestionState::parse(&q.state).ok_or_else(|| StorageError::Corrupt(format!("question state {}", q.state)))?;
    let subject = SubjectIds {
        week_start: date(q.week_start.as_deref())?,
        local_date: date(q.local_date.as_deref())?,
        member_id: q.member_id,
        task_id: q.task_id,
        phase_id: q.phase_id,
    };
    let messages = messages
        .iter()
        .filter(|m| m.question_id == q.id)
        .map(|m| MessageRecord {
            id: m.id.clone(),
            from_staff: m.author_kind == "staff",
            author_name: m.author_name.clone().unwrap_or_default(),
            author_id: m.author_id.clone(),
            body: m.body.clone(),
            created_at: m.created_at.clone(),
            promoted: m.note_id.is_some(),
        })
        .collect();
    Ok((
        q.client_id,
        QuestionRecord {
            id: q.id,
            project_id: q.project_id,
            project_name: q.project_name,
            provider_name: q.provider_name,
            kind,
            subject,
            state,
            asked_by: q.contact_id,
            created_at: q.created_at,
            messages,
        },
    ))
}

fn visible_args(scope: &ClientScope, project: Option<&str>) -> Vec<Arg> {
    args![scope.client_id.as_str(), i64::from(scope.all_projects), scope.contact_id.as_str(), project.map(str::to_string)]
}

/// A new question's id (the notice links to it before it is written).
pub fn new_question_id() -> Result<String> {
    new_id("q")
}

/// A contact asks a question (id from [`new_question_id`]) on a project it may see, with the
/// provider's notice, in one batch. `email_me`: e-mail the contact the answer. `None` when the
/// project is not visible (nothing is written).
#[allow(clippy::too_many_arguments)]
pub async fn ask(
    db: &Db,
    scope: &ClientScope,
    id: &str,
    project: &ProjectId,
    kind: SubjectKind,
    subject: &SubjectIds,
    body: &str,
    email_me: bool,
    notice: &StaffPayloads,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let id = id.to_string();
    let message = new_id("qm")?;
    let SubjectIds { week_start, local_date, member_id, task_id, phase_id } = subject;
    let mut a = visible_args(scope, Some(project.as_str()));
    a.extend(args![
        id.as_str(),
        scope.provider_id.as_str(),
        kind.as_str(),
        week_start.map(|d| d.to_string()),
        local_date.map(|d| d.to_string()),
        member_id.clone(),
        task_id.clone(),
        phase_id.clone(),
        ts(now),
        email_me
    ]);
    let event = Event {
        provider_id: scope.provider_id.as_str(),
        client_id: scope.client_id.as_str(),
        project_id: project.as_str(),
        kind: "question",
        key: &message,
    };
    let mut batch = vec![
        db.stmt(
            &format!(
                "INSERT INTO questions (id, provider_id, client_id, project_id, contact_id, kind, week_start, local_date, member_id, task_id, phase_id, state, created_at, email_on_answer)
                 SELECT ?5, ?6, ?1, p.id, ?3, ?7, ?8, ?9, ?10, ?11, ?12, 'open', ?13, ?14 FROM projects p WHERE p.id IN ({VISIBLE_PROJECTS})"
            ),
            &a,
        )?,
        db.stmt(
            "INSERT INTO question_messages (id, question_id, client_id, author_kind, author_id, body, created_at)
             SELECT ?, id, client_id, 'contact', contact_id, ?, created_at FROM questions WHERE id = ?",
            &args![message.as_str(), body, id.as_str()],
        )?,
    ];
    batch.extend(staff_rows(db, &event, notice, &Some(("EXISTS (SELECT 1 FROM questions WHERE id = ?)", args![id.as_str()])), now)?);
    let results = db.batch(batch).await?;
    let written = results.first().and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0);
    Ok((written >= 1).then_some(id))
}

/// One thread the contact may see.
pub async fn client_thread(db: &Db, scope: &ClientScope, id: &str) -> Result<Option<QuestionRecord>> {
    let mut a = visible_args(scope, None);
    a.push(Arg::from(id));
    let results = db
        .batch(vec![
            db.stmt(
                &format!("SELECT {Q_COLS} FROM questions q JOIN projects p ON p.id = q.project_id WHERE q.id = ?5 AND q.client_id = ?1 AND q.project_id IN ({VISIBLE_PROJECTS})"),
                &a,
            )?,
            db.stmt(
                &format!("SELECT {M_COLS} FROM question_messages m {M_JOIN} WHERE m.question_id = ?5 AND m.client_id = ?1 AND EXISTS ({VISIBLE_PROJECTS}) ORDER BY m.created_at, m.rowid"),
                &a,
            )?,
        ])
        .await?;
    let [qs, ms] = results.as_slice() else { return Err(StorageError::D1("unexpected batch result".into())) };
    let ms: Vec<MessageDb> = rows(ms)?;
    rows::<QuestionDb>(qs)?.into_iter().next().map(|q| record(q, &ms).map(|(_, r)| r)).transpose()
}

/// The contact's threads on one project (newest first, at most 100).
pub async fn client_threads(db: &Db, scope: &ClientScope, project: &ProjectId) -> Result<Vec<QuestionRecord>> {
    let a = visible_args(scope, Some(project.as_str()));
    let results = db
        .batch(vec![
            db.stmt(
                &format!(
                    "SELECT {Q_COLS} FROM questions q JOIN projects p ON p.id = q.project_id
                      WHERE q.client_id = ?1 AND q.project_id IN ({VISIBLE_PROJECTS}) ORDER BY q.created_at DESC, q.id LIMIT 100"
                ),
                &a,
            )?,
            db.stmt(
                &format!(
                    "SELECT {M_COLS} FROM question_messages m {M_JOIN}
                      WHERE m.client_id = ?1 AND m.question_id IN (SELECT id FROM questions WHERE client_id = ?1 AND project_id IN ({VISIBLE_PROJECTS})
                            ORDER BY created_at DESC, id LIMIT 100)
                      ORDER BY m.created_at, m.rowid"
                ),
                &a,
            )?,
        ])
        .await?;
    let [qs, ms] = results.as_slice() else { return Err(StorageError::D1("unexpected batch result".into())) };
    let ms: Vec<MessageDb> = rows(ms)?;
    rows::<QuestionDb>(qs)?.into_iter().map(|q| record(q, &ms).map(|(_, r)| r)).collect()
}

/// How many of the contact's visible threads are not resolved, per project id.
pub async fn client_open_counts(db: &Db, scope: &ClientScope) -> Result<Vec<(String, i64)>> {
    #[derive(Deserialize)]
    struct Row {
        project_id: String,
        n: i64,
    }
    let rows: Vec<Row> = db
        .all(
            &format!(
                "SELECT project_id, COUNT(*) AS n FROM questions WHERE client_id = ?1 AND state != 'resolved'
                   AND project_id IN ({VISIBLE_PROJECTS}) GROUP BY project_id"
            ),
            &visible_args(scope, None),
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.project_id, r.n)).collect())
}

/// A follow-up from the contact: reopens the thread and tells the provider. `false` when the
/// thread is not the contact's to see.
pub async fn client_reply(
    db: &Db,
    scope: &ClientScope,
    q: &QuestionRecord,
    body: &str,
    notice: &StaffPayloads,
    now: DateTime<Utc>,
) -> Result<()> {
    let provider = scope.provider_id.as_str();
    let client = scope.client_id.as_str();
    let message = new_id("qm")?;
    let event = Event { provider_id: provider, client_id: client, project_id: &q.project_id, kind: "question", key: &message };
    let mut batch = vec![
        db.stmt(
            "INSERT INTO question_messages (id, question_id, client_id, author_kind, author_id, body, created_at) VALUES (?, ?, ?, 'contact', ?, ?, ?)",
            &args![message.as_str(), q.id.as_str(), client, scope.contact_id.as_str(), body, ts(now)],
        )?,
        db.stmt(
            "UPDATE questions SET state = 'open', resolved_at = NULL, resolved_by = NULL WHERE id = ? AND client_id = ?",
            &args![q.id.as_str(), client],
        )?,
    ];
    batch.extend(staff_rows(db, &event, notice, &None, now)?);
    db.batch(batch).await?;
    Ok(())
}

/// The contact marks the thread resolved. `false` when not found.
pub async fn client_resolve(db: &Db, scope: &ClientScope, id: &str, now: DateTime<Utc>) -> Result<bool> {
    let Some(q) = client_thread(db, scope, id).await? else { return Ok(false) };
    let client = scope.client_id.as_str();
    db.run(
        "UPDATE questions SET state = 'resolved', resolved_at = ?, resolved_by = ? WHERE id = ? AND client_id = ?",
        &args![ts(now), format!("contact:{}", scope.contact_id.as_str()), q.id.as_str(), client],
    )
    .await?;
    Ok(true)
}

/// A thread as staff see it: the real subject (names, and the entries behind an entry row).
pub struct StaffThread {
    pub client_id: String,
    pub client_name: String,
    pub contact_name: String,
    pub question: QuestionRecord,
    pub member_name: Option<String>,
    pub task_name: Option<String>,
    pub phase_name: Option<String>,
    pub entries: Vec<StaffEntry>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct StaffEntry {
    pub id: String,
    pub local_date: String,
    pub minutes: i64,
    pub description: String,
    pub internal_note: String,
}

#[derive(Deserialize)]
struct StaffExtra {
    client_name: String,
    contact_name: String,
    member_name: Option<String>,
    task_name: Option<String>,
    phase_name: Option<String>,
}

/// One thread of the provider's, with its real subject. One round trip.
pub async fn staff_thread(db: &Db, scope: &ProviderScope, id: &str) -> Result<Option<StaffThread>> {
    let a = args![id, scope.provider_id.as_str()];
    let results = db
        .batch(vec![
            db.stmt(&format!("SELECT {Q_COLS} FROM questions q JOIN projects p ON p.id = q.project_id WHERE q.id = ?1 AND q.provider_id = ?2"), &a)?,
            db.stmt(
                &format!("SELECT {M_COLS} FROM question_messages m {M_JOIN} WHERE m.question_id = (SELECT id FROM questions WHERE id = ?1 AND provider_id = ?2) ORDER BY m.created_at, m.rowid"),
                &a,
            )?,
            db.stmt(
                "SELECT cl.name AS client_name, co.name AS contact_name, mb.name AS member_name, t.name AS task_name, ph.name AS phase_name
                   FROM questions q JOIN clients cl ON cl.id = q.client_id JOIN contacts co ON co.id = q.contact_id
                   LEFT JOIN members mb ON mb.id = q.member_id AND mb.provider_id = q.provider_id
                   LEFT JOIN tasks t ON t.id = q.task_id AND t.provider_id = q.provider_id
                   LEFT JOIN phases ph ON ph.id = q.phase_id AND ph.project_id = q.project_id
                  WHERE q.id = ?1 AND q.provider_id = ?2",
                &a,
            )?,
            db.stmt(
                "SELECT e.id, e.local_date, e.minutes, e.description, e.internal_note FROM questions q
                   JOIN time_entries e ON e.project_id = q.project_id AND e.client_id = q.client_id AND e.local_date = q.local_date
                    AND e.member_id = q.member_id AND COALESCE(e.task_id, '') = COALESCE(q.task_id, '') AND COALESCE(e.phase_id, '') = COALESCE(q.phase_id, '')
                  WHERE q.id = ?1 AND q.provider_id = ?2 AND q.kind = 'entry' ORDER BY e.id LIMIT 200",
                &a,
            )?,
        ])
        .await?;
    let [qs, ms, extra, entries] = results.as_slice() else { return Err(StorageError::D1("unexpected batch result".into())) };
    let ms: Vec<MessageDb> = rows(ms)?;
    let Some(q) = rows::<QuestionDb>(qs)?.into_iter().next() else { return Ok(None) };
    let Some(x) = rows::<StaffExtra>(extra)?.into_iter().next() else { return Ok(None) };
    let (client_id, question) = record(q, &ms)?;
    Ok(Some(StaffThread {
        client_id,
        client_name: x.client_name,
        contact_name: x.contact_name,
        question,
        member_name: x.member_name,
        task_name: x.task_name,
        phase_name: x.phase_name,
        entries: rows(entries)?,
    }))
}

/// Staff answer: the thread becomes `answered` (the first answer's time is kept for the
/// response-time figure) and, when the asker ticked "e-mail me", the asker's e-mail `notice`
/// (rendered from the thread as the asker sees it) goes into the outbox in the same batch.
pub async fn answer(db: &Db, scope: &ProviderScope, t: &StaffThread, body: &str, notice: Option<&str>, now: DateTime<Utc>) -> Result<()> {
    let staff = scope.staff_id.as_ref().map_or_else(String::new, ToString::to_string);
    let provider = scope.provider_id.as_str();
    let id = t.question.id.as_str();
    let message = new_id("qm")?;
    let mut batch = vec![
        db.stmt(
            "INSERT INTO question_messages (id, question_id, client_id, author_kind, author_id, body, created_at) VALUES (?, ?, ?, 'staff', ?, ?, ?)",
            &args![message.as_str(), id, t.client_id.as_str(), staff, body, ts(now)],
        )?,
        db.stmt(
            "UPDATE questions SET state = 'answered', first_answer_at = COALESCE(first_answer_at, ?), resolved_at = NULL, resolved_by = NULL
              WHERE id = ? AND provider_id = ?",
            &args![ts(now), id, provider],
        )?,
    ];
    if let Some(email) = notice {
        let event =
            Event { provider_id: provider, client_id: &t.client_id, project_id: &t.question.project_id, kind: "question", key: &message };
        batch.push(contact_row(
            db,
            &event,
            &t.question.asked_by,
            email,
            &Some(("EXISTS (SELECT 1 FROM questions WHERE id = ? AND email_on_answer = 1)", args![id])),
            now,
        )?);
    }
    db.batch(batch).await?;
    Ok(())
}

/// Staff mark the thread resolved and, when the asker ticked "e-mail me", the asker's e-mail
/// `notice` goes into the outbox in the same batch — only if the thread was not resolved already
/// (the notice is written first, guarded on the state before the update).
pub async fn staff_resolve(db: &Db, scope: &ProviderScope, t: &StaffThread, notice: Option<&str>, now: DateTime<Utc>) -> Result<()> {
    let staff = scope.staff_id.as_ref().map_or_else(String::new, ToString::to_string);
    let provider = scope.provider_id.as_str();
    let id = t.question.id.as_str();
    let mut batch = Vec::new();
    if let Some(email) = notice {
        let key = new_id("qr")?;
        let event =
            Event { provider_id: provider, client_id: &t.client_id, project_id: &t.question.project_id, kind: "question", key: &key };
        batch.push(contact_row(
            db,
            &event,
            &t.question.asked_by,
            email,
            &Some(("EXISTS (SELECT 1 FROM questions WHERE id = ? AND email_on_answer = 1 AND state <> 'resolved')", args![id])),
            now,
        )?);
    }
    batch.push(db.stmt(
        "UPDATE questions SET state = 'resolved', resolved_at = ?, resolved_by = ? WHERE id = ? AND provider_id = ?",
        &args![ts(now), format!("staff:{staff}"), id, provider],
    )?);
    db.batch(batch).await?;
    Ok(())
}

/// The client of one of the provider's threads.
pub async fn client_of(db: &Db, scope: &ProviderScope, id: &str) -> Result<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        client_id: String,
    }
    let r: Option<Row> =
        db.first("SELECT client_id FROM questions WHERE id = ? AND provider_id = ?", &args![id, scope.provider_id.as_str()]).await?;
    Ok(r.map(|r| r.client_id))
}

/// What promoting a message did.
pub enum Promoted {
    /// The note's client id.
    Done(String),
    NotFound,
    /// Not a staff answer, already a note, or too long for a note.
    Refused(&'static str),
}

/// Promotes a staff answer to an explanatory note (`client_notes`) on the subject's week, or
/// on `fallback_week` (the week the question was asked) when the subject has none. One batch.
pub async fn promote(
    db: &Db,
    scope: &ProviderScope,
    message: &str,
    fallback_week: impl Fn(&str) -> Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<Promoted> {
    #[derive(Deserialize)]
    struct Row {
        client_id: String,
        author_kind: String,
        body: String,
        note_id: Option<String>,
        week_start: Option<String>,
        created_at: String,
    }
    let row: Option<Row> = db
        .first(
            "SELECT q.client_id, m.author_kind, m.body, m.note_id, q.week_start, q.created_at FROM question_messages m JOIN questions q ON q.id = m.question_id
              WHERE m.id = ? AND q.provider_id = ?",
            &args![message, scope.provider_id.as_str()],
        )
        .await?;
    let Some(row) = row else { return Ok(Promoted::NotFound) };
    if row.author_kind != "staff" {
        return Ok(Promoted::Refused("only an answer from staff can become a note"));
    }
    if row.note_id.is_some() {
        return Ok(Promoted::Refused("this answer is already a note"));
    }
    if row.body.chars().count() > 2000 {
        return Ok(Promoted::Refused("a note has at most 2,000 characters; shorten the answer in a new message"));
    }
    let week = match date(row.week_start.as_deref())? {
        Some(w) => w,
        None => fallback_week(&row.created_at).ok_or_else(|| StorageError::Corrupt("question created_at".into()))?,
    };
    let note = new_id("note")?;
    let staff = scope.staff_id.as_ref().map_or_else(String::new, ToString::to_string);
    db.batch(vec![
        db.stmt(
            "INSERT INTO client_notes (id, provider_id, client_id, project_id, week_start, body, author_staff_id, created_at)
             SELECT ?, q.provider_id, q.client_id, q.project_id, ?, m.body, ?, ? FROM question_messages m JOIN questions q ON q.id = m.question_id
              WHERE m.id = ? AND q.provider_id = ? AND m.note_id IS NULL",
            &args![note.as_str(), week.to_string(), staff, ts(now), message, scope.provider_id.as_str()],
        )?,
        db.stmt(
            "UPDATE question_messages SET note_id = ? WHERE id = ? AND note_id IS NULL AND EXISTS (SELECT 1 FROM client_notes WHERE id = ?)",
            &args![note.as_str(), message, note.as_str()],
        )?,
    ])
    .await?;
    Ok(Promoted::Done(row.client_id))
}

/// A question waiting for staff, for the admin lists.
#[derive(Clone, Debug, Deserialize)]
pub struct OpenRow {
    pub id: String,
    pub client_name: String,
    pub project_name: String,
    pub kind: String,
    pub state: String,
    pub created_at: String,
}

/// The provider's questions: those still open (oldest first), the latest others, and the
/// (asked, first answered) pairs of questions asked since `since`. One round trip.
pub async fn staff_overview(
    db: &Db,
    scope: &ProviderScope,
    since: DateTime<Utc>,
) -> Result<(Vec<OpenRow>, Vec<OpenRow>, Vec<(String, String)>)> {
    #[derive(Deserialize)]
    struct Pair {
        created_at: String,
        first_answer_at: String,
    }
    let cols = "q.id, cl.name AS client_name, p.name AS project_name, q.kind, q.state, q.created_at FROM questions q
                JOIN clients cl ON cl.id = q.client_id JOIN projects p ON p.id = q.project_id";
    let p = scope.provider_id.as_str();
    let staff = scope.staff_id.as_ref().map_or_else(String::new, ToString::to_string);
    // A manager sees the threads of assigned clients only (`domain::roles`: ReadThreads).
    let mine = "(EXISTS (SELECT 1 FROM staff_users WHERE id = ?2 AND provider_id = ?1 AND role = 'admin')
                 OR q.client_id IN (SELECT client_id FROM staff_client_assignments WHERE staff_id = ?2))";
    let results = db
        .batch(vec![
            db.stmt(
                &format!("SELECT {cols} WHERE q.provider_id = ?1 AND q.state = 'open' AND {mine} ORDER BY q.created_at, q.id LIMIT 200"),
                &args![p, staff.as_str()],
            )?,
            db.stmt(
                &format!("SELECT {cols} WHERE q.provider_id = ?1 AND q.state != 'open' AND {mine} ORDER BY q.created_at DESC, q.id LIMIT 50"),
                &args![p, staff.as_str()],
            )?,
            db.stmt(
                "SELECT created_at, first_answer_at FROM questions WHERE provider_id = ? AND created_at >= ? AND first_answer_at IS NOT NULL LIMIT 5000",
                &args![p, ts(since)],
            )?,
        ])
        .await?;
    let [open, others, pairs] = results.as_slice() else { return Err(StorageError::D1("unexpected batch result".into())) };
    Ok((rows(open)?, rows(others)?, rows::<Pair>(pairs)?.into_iter().map(|r| (r.created_at, r.first_answer_at)).collect()))
}

/// The signed-in staff user's role and whether `client` is assigned to them (for
/// `domain::roles::allows`). A job scope (no staff user) has no role: `None`.
pub async fn staff_access(db: &Db, scope: &ProviderScope, client: &str) -> Result<Option<(String, bool)>> {
    #[derive(Deserialize)]
    struct Row {
        role: String,
        assigned: i64,
    }
    let Some(staff) = scope.staff_id.as_ref() else { return Ok(None) };
    let r: Option<Row> = db
        .first(
            "SELECT s.role, EXISTS (SELECT 1 FROM staff_client_assignments a WHERE a.staff_id = s.id AND a.client_id = ?) AS assigned
               FROM staff_users s WHERE s.id = ? AND s.provider_id = ?",
            &args![client, staff.as_str(), scope.provider_id.as_str()],
        )
        .await?;
    Ok(r.map(|r| (r.role, r.assigned != 0)))
}

/// The signed-in contact's name (for the provider's notices).
pub async fn contact_name(db: &Db, scope: &ClientScope) -> Result<String> {
    #[derive(Deserialize)]
    struct Row {
        name: String,
    }
    let r: Option<Row> = db
        .first("SELECT name FROM contacts WHERE id = ? AND client_id = ?", &args![scope.contact_id.as_str(), scope.client_id.as_str()])
        .await?;
    Ok(r.map(|r| r.name).unwrap_or_default())
}
