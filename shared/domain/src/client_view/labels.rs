//! Team member labels under the client's team setting.

use super::MemberRecord;
use crate::ids::MemberId;
use crate::settings::TeamDisplay;
use std::collections::HashMap;

/// Display labels for members under the client's team setting: real names; role titles
/// (numbered 1, 2… by `client_seq` when titles repeat); or "Team member A", "B"… by `client_seq`.
pub fn member_labels(members: &[MemberRecord], team: TeamDisplay) -> HashMap<MemberId, String> {
    let mut ordered: Vec<&MemberRecord> = members.iter().collect();
    ordered.sort_by(|a, b| a.client_seq.cmp(&b.client_seq).then_with(|| a.id.cmp(&b.id)));
    let mut title_counts: HashMap<&str, u32> = HashMap::new();
    for m in &ordered {
        *title_counts.entry(m.role_title.trim()).or_default() += 1;
    }
    let mut title_seen: HashMap<&str, u32> = HashMap::new();
    let mut out = HashMap::new();
    for (i, m) in ordered.iter().enumerate() {
        let MemberRecord { id, name, role_title, email: _, phone: _, cost_rate: _, default_rate: _, personal_notes: _, client_seq: _ } = m;
        let label = match team {
            TeamDisplay::Names => name.clone(),
            TeamDisplay::Roles => {
                let title = if role_title.trim().is_empty() { "Team member" } else { role_title.trim() };
                if title_counts.get(role_title.trim()).copied().unwrap_or(0) > 1 {
                    let n = title_seen.entry(role_title.trim()).or_default();
                    *n += 1;
                    format!("{title} {n}")
                } else {
                    title.to_string()
                }
            }
            TeamDisplay::Anonymous => format!("Team member {}", letters(i)),
        };
        out.insert(id.clone(), label);
    }
    out
}

/// 0 → A, 25 → Z, 26 → AA …
fn letters(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, name: &str, title: &str, seq: u32) -> MemberRecord {
        MemberRecord {
            id: MemberId::parse(id).unwrap(),
            name: name.into(),
            role_title: title.into(),
            email: format!("{id}@private.example"),
            phone: "+1 555 0100".into(),
            cost_rate: None,
            default_rate: None,
            personal_notes: "private".into(),
            client_seq: seq,
        }
    }

    #[test]
    fn labels_are_stable_and_distinct() {
        let ms = vec![
            member("mem_b", "Bo", "Senior developer", 2),
            member("mem_a", "Al", "Senior developer", 1),
            member("mem_c", "Cy", "Designer", 3),
        ];
        let roles = member_labels(&ms, TeamDisplay::Roles);
        assert_eq!(roles[&MemberId::parse("mem_a").unwrap()], "Senior developer 1");
        assert_eq!(roles[&MemberId::parse("mem_b").unwrap()], "Senior developer 2");
        assert_eq!(roles[&MemberId::parse("mem_c").unwrap()], "Designer");
        let anon = member_labels(&ms, TeamDisplay::Anonymous);
        assert_eq!(anon[&MemberId::parse("mem_a").unwrap()], "Team member A");
        assert_eq!(anon[&MemberId::parse("mem_c").unwrap()], "Team member C");
        let names = member_labels(&ms, TeamDisplay::Names);
        assert_eq!(names[&MemberId::parse("mem_b").unwrap()], "Bo");
        assert_eq!(letters(26), "AA");
        assert_eq!(letters(27), "AB");
    }
}
