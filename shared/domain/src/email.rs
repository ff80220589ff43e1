//! Messages sent by e-mail: one struct per message, rendered to subject, text and HTML.

use chrono::NaiveDate;
use serde::Serialize;

/// A rendered e-mail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

use crate::text::escape_html as escape;

/// The invitation to a client's portal. The token travels in the link's fragment (never sent
/// to a server by browsers) and as a code to paste.
pub struct Invitation<'a> {
    pub to: &'a str,
    pub contact_name: &'a str,
    pub client_name: &'a str,
    pub provider_name: &'a str,
    pub portal_base_url: &'a str,
    pub token: &'a str,
    pub expires_on: NaiveDate,
}

impl Invitation<'_> {
    pub fn render(&self) -> Email {
        let link = format!("{}/invite#{}", self.portal_base_url.trim_end_matches('/'), self.token);
        let subject = format!("{} invites you to the {} client portal", self.provider_name, self.client_name);
        let text = format!(
            "Hello {name},\n\n{provider} has set up a Clearhours portal for {client}: hours, budgets and invoices in one place.\n\n\
             Set your password here (the link works once, until {expires}):\n{link}\n\n\
             If the link does not open, go to {base}/invite and paste this code:\n{token}\n\n\
             If you did not expect this e-mail, you can ignore it.\n",
            name = self.contact_name,
            provider = self.provider_name,
            client = self.client_name,
            expires = self.expires_on,
            base = self.portal_base_url.trim_end_matches('/'),
            token = self.token,
        );
        let html = format!(
            "<p>Hello {name},</p><p>{provider} has set up a Clearhours portal for {client}: hours, budgets and invoices in one place.</p>\
             <p><a href=\"{link}\">Set your password</a> (the link works once, until {expires}).</p>\
             <p>If the link does not open, go to {base}/invite and paste this code: <code>{token}</code></p>\
             <p>If you did not expect this e-mail, you can ignore it.</p>",
            name = escape(self.contact_name),
            provider = escape(self.provider_name),
            client = escape(self.client_name),
            link = escape(&link),
            expires = self.expires_on,
            base = escape(self.portal_base_url.trim_end_matches('/')),
            token = escape(self.token),
        );
        Email { to: self.to.to_string(), subject, text, html }
    }
}

/// A link e-mailed to reset a password (1 hour) or to sign in without one (10 minutes).
pub struct AccountLink<'a> {
    pub to: &'a str,
    pub name: &'a str,
    pub portal_base_url: &'a str,
    /// `/password/reset` or `/login/link`.
    pub path: &'a str,
    pub token: &'a str,
    pub minutes_valid: i64,
    pub purpose: LinkPurpose,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkPurpose {
    Reset,
    SignIn,
}

impl AccountLink<'_> {
    pub fn render(&self) -> Email {
        let link = format!("{}{}#{}", self.portal_base_url.trim_end_matches('/'), self.path, self.token);
        let (subject, action) = match self.purpose {
            LinkPurpose::Reset => ("Reset your Clearhours password", "choose a new password"),
            LinkPurpose::SignIn => ("Your Clearhours sign-in link", "sign in"),
        };
        let text = format!(
            "Hello {name},\n\nUse this link to {action} (it works once, for {m} minutes):\n{link}\n\n             If you did not ask for it, ignore this e-mail; nothing changes.\n",
            name = self.name,
            m = self.minutes_valid,
        );
        let html = format!(
            "<p>Hello {name},</p><p><a href=\"{link}\">Use this link to {action}</a> (it works once, for {m} minutes).</p>\
             <p>If you did not ask for it, ignore this e-mail; nothing changes.</p>",
            name = escape(self.name),
            link = escape(&link),
            m = self.minutes_valid,
        );
        Email { to: self.to.to_string(), subject: subject.to_string(), text, html }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitation_puts_the_token_in_the_fragment_and_escapes_names() {
        let e = Invitation {
            to: "a@b.test",
            contact_name: "Ada <script>",
            client_name: "Acme & Co",
            provider_name: "Northwind",
            portal_base_url: "https://portal.example/",
            token: "tok123",
            expires_on: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default(),
        }
        .render();
        assert_eq!(e.subject, "Northwind invites you to the Acme & Co client portal");
        assert!(e.text.contains("https://portal.example/invite#tok123"));
        assert!(e.html.contains("Ada &lt;script&gt;") && !e.html.contains("<script>"));
        assert!(e.html.contains("Acme &amp; Co"));
        assert!(!e.text.contains("?token="));
    }
}
