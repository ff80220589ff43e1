//! Who may do what (issue 15, roles): the one table the server consults before every
//! conversation action. Pure; `tests/roles.test.mjs` checks it through the worker.
//!
//! Contacts: **viewer** reads and asks; **billing** also sees invoices; **approver** also signs
//! off weeks and requests budget changes (each role includes the one before). Staff:
//! **manager** answers questions and decides budget changes only for the clients assigned to
//! them (`staff_client_assignments`); **admin** may do everything staff may. Staff never act as
//! the client (ask, sign off, request budget), and contacts never act as the provider.
//!
//! `contacts.role` admits `approver` since migration 0020 (a rebuild of `contacts`).

use crate::settings::ContactRole;

/// A contact's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientRole {
    Viewer,
    Billing,
    Approver,
}

impl From<ContactRole> for ClientRole {
    fn from(r: ContactRole) -> Self {
        match r {
            ContactRole::Viewer => Self::Viewer,
            ContactRole::Billing => Self::Billing,
            ContactRole::Approver => Self::Approver,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffRole {
    Admin,
    Manager,
}

impl StaffRole {
    /// `staff_users.role`; anything else is treated as the least privileged role.
    pub fn parse(s: &str) -> Self {
        if s == "admin" {
            Self::Admin
        } else {
            Self::Manager
        }
    }
}

/// Who is acting, for one client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    Contact(ClientRole),
    /// `assigned`: the client is assigned to this staff user (matters for managers only).
    Staff {
        role: StaffRole,
        assigned: bool,
    },
}

/// Every action of the conversation and the portal around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Dashboards, timesheets, one's own threads.
    Read,
    Ask,
    /// Reply to or resolve a thread as the client.
    FollowUp,
    ViewInvoices,
    SignOffWeek,
    RequestBudget,
    /// Read threads in the admin area.
    ReadThreads,
    Answer,
    /// Resolve a thread as staff.
    ResolveAsStaff,
    /// Turn an answer into an explanatory note.
    Promote,
    DecideBudget,
    /// Client settings, contacts, catalogue, integrations.
    ManageClient,
}

impl Action {
    pub const ALL: [Action; 12] = [
        Self::Read,
        Self::Ask,
        Self::FollowUp,
        Self::ViewInvoices,
        Self::SignOffWeek,
        Self::RequestBudget,
        Self::ReadThreads,
        Self::Answer,
        Self::ResolveAsStaff,
        Self::Promote,
        Self::DecideBudget,
        Self::ManageClient,
    ];
}

/// Whether a contact with `role` sees invoices (billing and approver contacts).
pub fn sees_invoices(role: ContactRole) -> bool {
    allows(Actor::Contact(ClientRole::from(role)), Action::ViewInvoices)
}

/// The permission table (see the module docs).
pub fn allows(actor: Actor, action: Action) -> bool {
    use Action as A;
    match actor {
        Actor::Contact(role) => match action {
            A::Read | A::Ask | A::FollowUp => true,
            A::ViewInvoices => matches!(role, ClientRole::Billing | ClientRole::Approver),
            A::SignOffWeek | A::RequestBudget => role == ClientRole::Approver,
            A::ReadThreads | A::Answer | A::ResolveAsStaff | A::Promote | A::DecideBudget | A::ManageClient => false,
        },
        Actor::Staff { role, assigned } => match action {
            A::Ask | A::FollowUp | A::SignOffWeek | A::RequestBudget => false,
            A::ManageClient => role == StaffRole::Admin,
            A::Read | A::ViewInvoices | A::ReadThreads | A::Answer | A::ResolveAsStaff | A::Promote | A::DecideBudget => {
                role == StaffRole::Admin || assigned
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole matrix, written out: every actor × every action.
    #[test]
    fn the_matrix() {
        let actors = [
            ("viewer", Actor::Contact(ClientRole::Viewer)),
            ("billing", Actor::Contact(ClientRole::Billing)),
            ("approver", Actor::Contact(ClientRole::Approver)),
            ("manager (assigned)", Actor::Staff { role: StaffRole::Manager, assigned: true }),
            ("manager (not assigned)", Actor::Staff { role: StaffRole::Manager, assigned: false }),
            ("admin", Actor::Staff { role: StaffRole::Admin, assigned: false }),
        ];
        // Columns in Action::ALL order: Read Ask FollowUp Invoices SignOff RequestBudget
        // ReadThreads Answer ResolveAsStaff Promote DecideBudget ManageClient.
        let expected: [[u8; 12]; 6] = [
            [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
            [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
            [1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0],
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            [1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1],
        ];
        for ((name, actor), row) in actors.iter().zip(expected) {
            for (action, want) in Action::ALL.iter().zip(row) {
                assert_eq!(allows(*actor, *action), want == 1, "{name} × {action:?}");
            }
        }
        assert_eq!(ClientRole::from(ContactRole::Billing), ClientRole::Billing);
        assert_eq!(StaffRole::parse("admin"), StaffRole::Admin);
        assert_eq!(StaffRole::parse("anything"), StaffRole::Manager);
    }
}
