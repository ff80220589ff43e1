//! Per-client visibility settings. Every default is the private choice.

use serde::{Deserialize, Serialize};

macro_rules! setting_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? } default $default:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, for settings forms and exhaustive tests.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "{other:?} is not one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }
    };
}

setting_enum!(/// Whether clients see individual hourly rates. Hidden ⇒ totals only, everywhere.
    RatesVisibility { Shown = "shown", Hidden = "hidden" } default Hidden);
setting_enum!(/// Detailed: each entry's client-facing description. Summarised: one line per task per
    /// day listing the distinct descriptions' count, never the text of internal notes.
    DescriptionMode { Detailed = "detailed", Summarised = "summarised" } default Summarised);
setting_enum!(/// How team members are named to the client.
    TeamDisplay {
        /// Real names.
        Names = "names",
        /// Role titles as pseudonyms, numbered when two share a title.
        Roles = "roles",
        /// "Team member A", stable per client.
        Anonymous = "anonymous",
    } default Anonymous);
setting_enum!(/// Real time, or completed weeks only.
    ViewMode { RealTime = "real_time", WeeklySummary = "weekly_summary" } default WeeklySummary);
setting_enum!(/// Whether non-billable time is shown to the client.
    NonBillable { Shown = "shown", Hidden = "hidden" } default Hidden);
setting_enum!(/// How a budget's money is shown to the client. Budget-level money is the only money a
    /// client with hidden rates sees, yet money used ÷ hours used is the blended rate; so the
    /// provider chooses: amounts, or percentages of the budget only.
    BudgetMoney {
        /// Amount used, allocated and remaining for the period.
        Amounts = "amounts",
        /// Percentages of the budget only; no amount anywhere.
        Percentages = "percentages",
    } default Percentages);

/// Everything a provider decides about what one client sees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Visibility {
    #[serde(default)]
    pub rates: RatesVisibility,
    #[serde(default)]
    pub descriptions: DescriptionMode,
    #[serde(default)]
    pub team: TeamDisplay,
    #[serde(default)]
    pub view: ViewMode,
    #[serde(default)]
    pub non_billable: NonBillable,
    #[serde(default)]
    pub budget_money: BudgetMoney,
}

impl Visibility {
    /// Decodes the stored text of each setting (the `clients` columns `show_rates`,
    /// `descriptions`, `team_display`, `view_mode`, `non_billable`, `budget_money`, in that
    /// order) — the one decoder every storage read uses; the error names the bad value.
    pub fn from_stored(
        rates: &str,
        descriptions: &str,
        team: &str,
        view: &str,
        non_billable: &str,
        budget_money: &str,
    ) -> Result<Self, String> {
        Ok(Visibility {
            rates: RatesVisibility::parse(rates)?,
            descriptions: DescriptionMode::parse(descriptions)?,
            team: TeamDisplay::parse(team)?,
            view: ViewMode::parse(view)?,
            non_billable: NonBillable::parse(non_billable)?,
            budget_money: BudgetMoney::parse(budget_money)?,
        })
    }

    pub fn shows_non_billable(&self) -> bool {
        self.non_billable == NonBillable::Shown
    }
    pub fn is_real_time(&self) -> bool {
        self.view == ViewMode::RealTime
    }
}

setting_enum!(/// A contact's role in the portal.
    ContactRole {
    /// Sees hours and budgets.
    Viewer = "viewer",
    /// Also sees invoices.
    Billing = "billing",
    /// Also signs off weeks and requests budget changes (issue 15, `roles`).
    Approver = "approver",
} default Viewer);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_private_choice() {
        let v = Visibility::default();
        assert_eq!(v.rates, RatesVisibility::Hidden);
        assert_eq!(v.descriptions, DescriptionMode::Summarised);
        assert_eq!(v.team, TeamDisplay::Anonymous);
        assert_eq!(v.view, ViewMode::WeeklySummary);
        assert_eq!(v.non_billable, NonBillable::Hidden);
        assert_eq!(v.budget_money, BudgetMoney::Percentages);
    }

    #[test]
    fn parse_round_trips_and_names_the_choices() {
        for t in TeamDisplay::ALL {
            assert_eq!(TeamDisplay::parse(t.as_str()), Ok(*t));
        }
        let err = ViewMode::parse("live").unwrap_err();
        assert!(err.contains("real_time") && err.contains("weekly_summary"), "{err}");
        let v: Visibility = serde_json::from_str(r#"{"team":"roles"}"#).unwrap();
        assert_eq!(v.team, TeamDisplay::Roles);
        assert_eq!(v.rates, RatesVisibility::Hidden);
        assert!(serde_json::from_str::<Visibility>(r#"{"colour":"red"}"#).is_err());
    }
}
