//! Conversation notices (issue 15): what staff and client contacts are told when a question is
//! asked or answered, a budget change is requested or decided, or a week is signed off. One
//! struct per audience, rendered from askama templates (`templates/email/notice_*`), locked by
//! snapshot files in `tests/snapshots/`. The alerts outbox stores the rendered payload and a
//! reference to the recipient (`provider`, or `contact:<id>`), never an address.
//!
//! [`StaffNotice`] goes to the provider (Slack and/or e-mail) and may name anything staff know.
//! [`ClientNotice`] goes to a client contact and has **no public constructor but the ones that
//! take client-view values** (`client_view::questions::ClientThread`,
//! `client_view::budget::ClientBudgetChange`): what a contact is e-mailed is what the contact
//! may see in the portal, under the same visibility.

use crate::alert::EmailBody;
use crate::client_view::budget::{ClientBudgetChange, RequestState};
use crate::client_view::questions::ClientThread;
use serde::Serialize;

fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A message body shortened for a notice: at most `n` characters, on one line.
fn excerpt(s: &str, n: usize) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= n {
        one_line
    } else {
        format!("{}…", one_line.chars().take(n).collect::<String>())
    }
}

/// What the provider's staff are told.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StaffNotice {
    /// "New question", "Budget request", "Week approved", …
    pub headline: String,
    pub client_name: String,
    pub project_name: String,
    /// Who acted (a contact's name).
    pub who: String,
    /// What it is about ("Entry on 2026-11-02 · …", "+40 h, +USD 6,000.00").
    pub about: String,
    /// The message or reason, shortened to 300 characters.
    pub text: String,
    /// The admin page to open (absolute).
    pub link: String,
}

#[derive(askama::Template)]
#[template(path = "email/notice_staff.txt")]
struct StaffText<'a> {
    n: &'a StaffNotice,
}

#[derive(askama::Template)]
#[template(path = "email/notice_staff.html")]
struct StaffHtml<'a> {
    n: &'a StaffNotice,
}

impl StaffNotice {
    pub fn new(headline: &str, client_name: &str, project_name: &str, who: &str, about: &str, text: &str, link: &str) -> Self {
        Self {
            headline: headline.to_string(),
            client_name: client_name.to_string(),
            project_name: project_name.to_string(),
            who: who.to_string(),
            about: about.to_string(),
            text: excerpt(text, 300),
            link: link.to_string(),
        }
    }

    /// Slack Block Kit with a plain-text fallback.
    pub fn slack_message(&self) -> serde_json::Value {
        let text = format!(
            "{client} · {project}: {who} — {about}",
            client = slack_escape(&self.client_name),
            project = slack_escape(&self.project_name),
            who = slack_escape(&self.who),
            about = slack_escape(&self.about),
        );
        let mut blocks = vec![
            serde_json::json!({ "type": "section", "text": { "type": "mrkdwn", "text": format!("*{}:* {text}", slack_escape(&self.headline)) } }),
        ];
        if !self.text.is_empty() {
            blocks.push(serde_json::json!({ "type": "section", "text": { "type": "plain_text", "text": self.text } }));
        }
        blocks.push(serde_json::json!({ "type": "context", "elements": [ { "type": "mrkdwn", "text": format!("<{}|Open in Clearhours>", self.link) } ] }));
        serde_json::json!({ "text": format!("{}: {text}", self.headline), "blocks": blocks })
    }

    pub fn email(&self) -> Result<EmailBody, askama::Error> {
        Ok(EmailBody {
            subject: format!("{}: {} · {}", self.headline, self.client_name, self.project_name),
            text: askama::Template::render(&StaffText { n: self })?,
            html: askama::Template::render(&StaffHtml { n: self })?,
            list_unsubscribe: None,
        })
    }
}

/// What a client contact is told (e-mail only). Built only from client-view values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientNotice {
    headline: String,
    provider_name: String,
    project_name: String,
    about: String,
    text: String,
    link: String,
}

#[derive(askama::Template)]
#[template(path = "email/notice_client.txt")]
struct ClientText<'a> {
    n: &'a ClientNotice,
}

#[derive(askama::Template)]
#[template(path = "email/notice_client.html")]
struct ClientHtml<'a> {
    n: &'a ClientNotice,
}

impl ClientNotice {
    /// The provider's latest message on a thread, as the client sees the thread.
    pub fn answered(t: &ClientThread, provider_name: &str, portal_base: &str) -> Self {
        let text = t.messages.iter().rev().find(|m| m.from_provider).map(|m| m.body.as_str()).unwrap_or_default();
        Self {
            headline: "Your question was answered".to_string(),
            provider_name: provider_name.to_string(),
            project_name: t.project_name.clone(),
            about: t.subject.clone(),
            text: excerpt(text, 1000),
            link: format!("{}/questions/{}", portal_base.trim_end_matches('/'), t.id),
        }
    }

    /// The provider marked the thread resolved (to an asker who ticked "e-mail me").
    pub fn resolved(t: &ClientThread, provider_name: &str, portal_base: &str) -> Self {
        Self {
            headline: "Your question was marked resolved".to_string(),
            provider_name: provider_name.to_string(),
            project_name: t.project_name.clone(),
            about: t.subject.clone(),
            text: format!("{provider_name} marked this question resolved. Reply in the portal to reopen it."),
            link: format!("{}/questions/{}", portal_base.trim_end_matches('/'), t.id),
        }
    }

    /// A decision on a budget request, as the client sees the request.
    pub fn budget_decided(c: &ClientBudgetChange, provider_name: &str, project_name: &str, portal_base: &str) -> Self {
        let text = match &c.counter {
            Some(counter) if c.state == RequestState::Countered => format!("Counter-proposal: {counter}. {}", c.response),
            _ => c.response.clone(),
        };
        Self {
            headline: format!("Your budget request was {}", c.state_label),
            provider_name: provider_name.to_string(),
            project_name: project_name.to_string(),
            about: c.summary.clone(),
            text: excerpt(text.trim(), 1000),
            link: format!("{}/projects/{}/budget", portal_base.trim_end_matches('/'), c.project_id),
        }
    }

    pub fn email(&self) -> Result<EmailBody, askama::Error> {
        Ok(EmailBody {
            subject: format!("{}: {}", self.headline, self.project_name),
            text: askama::Template::render(&ClientText { n: self })?,
            html: askama::Template::render(&ClientHtml { n: self })?,
            // A reply the contact asked for on this one question (the "e-mail me" box), not a
            // subscription: nothing to unsubscribe from.
            list_unsubscribe: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client_view::questions::ClientMessage;
    use crate::conversation::{QuestionState, SubjectKind};

    fn snapshot(name: &str, got: &str) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, got).unwrap();
        }
        let want = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing snapshot {name}; run with UPDATE_SNAPSHOTS=1"));
        assert_eq!(got, want, "snapshot {name} changed; review and rerun with UPDATE_SNAPSHOTS=1");
    }

    #[test]
    fn staff_notice_snapshots() {
        let n = StaffNotice::new(
            "New question",
            "Acme <Pty>",
            "Web & App",
            "Ada Client",
            "Entry on 2026-11-02 · Team member A · Design · Build",
            "Why  14 h\nof revisions?",
            "https://portal.example/admin/questions/q_1",
        );
        let e = n.email().unwrap();
        snapshot("notice_staff.subject.txt", &e.subject);
        snapshot("notice_staff.txt", &e.text);
        snapshot("notice_staff.html", &e.html);
        snapshot("notice_staff.slack.json", &serde_json::to_string_pretty(&n.slack_message()).unwrap());
        assert!(e.html.contains("Acme &#60;Pty&#62;") || e.html.contains("Acme &lt;Pty&gt;"), "{}", e.html);
        assert!(n.text == "Why 14 h of revisions?");
    }

    #[test]
    fn client_notice_snapshots() {
        let t = ClientThread {
            id: "q_1".into(),
            project_id: "prj_a".into(),
            project_name: "Website".into(),
            about: SubjectKind::Person,
            subject: "Team: Team member A".into(),
            state: QuestionState::Answered,
            created_at: "2026-11-25T15:00:00Z".into(),
            messages: vec![
                ClientMessage { from: "Ada".into(), from_provider: false, body: "Why?".into(), at: "x".into(), note: false },
                ClientMessage {
                    from: "Northwind".into(),
                    from_provider: true,
                    body: "Because <reasons>.".into(),
                    at: "y".into(),
                    note: false,
                },
            ],
        };
        let e = ClientNotice::answered(&t, "Northwind", "https://portal.example/").email().unwrap();
        snapshot("notice_client.subject.txt", &e.subject);
        snapshot("notice_client.txt", &e.text);
        snapshot("notice_client.html", &e.html);
        assert!(e.text.contains("https://portal.example/questions/q_1"));
    }

    #[test]
    fn budget_notice_snapshots() {
        let c = ClientBudgetChange {
            id: "br_1".into(),
            project_id: "prj_a".into(),
            state: RequestState::Countered,
            state_label: RequestState::Countered.label(),
            summary: "+40.00 h · defer Phase: Launch".into(),
            reason: "More pages".into(),
            response: "Half now, half in January.".into(),
            counter: Some("+20.00 h · +12.5% budget money".into()),
            requested_by: "April".into(),
            decided_by: Some("Sam Staff".into()),
            created_at: "x".into(),
            decided_at: None,
        };
        let e = ClientNotice::budget_decided(&c, "Northwind", "Website", "https://portal.example").email().unwrap();
        snapshot("notice_budget.subject.txt", &e.subject);
        snapshot("notice_budget.txt", &e.text);
        assert!(e.text.contains("Counter-proposal: +20.00 h · +12.5% budget money. Half now"), "{}", e.text);
        assert!(e.text.contains("https://portal.example/projects/prj_a/budget"));
    }
}
