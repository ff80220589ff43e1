//! Tests of the CSV reader and the vendor export formats.
use super::*;

const HARVEST: &str = "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,Approved?,First Name,Last Name,Employee Id,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency,External Reference URL\n\
2026-11-16,Acme Corp,Website relaunch,ACME-WEB,Design,\"Homepage hero, two variants\",3.5,Yes,No,Yes,Ada,Lovelace,E-100,Designer,Yes,140.00,490.00,70.00,245.00,US Dollar - USD,\n\
2026-11-17,Acme Corp,Website relaunch,ACME-WEB,Development,\"Cart: fix rounding, \"\"qty\"\" edge case\",6.25,Yes,No,No,Grace,Hopper,E-101,Developer,Yes,150.00,937.50,80.00,500.00,US Dollar - USD,\n";

const CLOCKIFY: &str = "Project,Client,Description,Task,User,Group,Email,Tags,Billable,Start Date,Start Time,End Date,End Time,Duration (h),Duration (decimal),Billable Rate (USD),Billable Amount (USD)\r\n\
Website relaunch,Acme Corp,Sprint review and demo,Meetings,Grace Hopper,,grace@agency.example,,Yes,11/24/2026,02:00:00 PM,11/24/2026,03:15:00 PM,01:15:00,1.25,150.00,187.50\r\n";

const TOGGL: &str =
    "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags,Amount (USD)\n\
Grace Hopper,grace@agency.example,Acme Corp,Website relaunch,,Weekly sync,No,2026-11-17,16:00:00,2026-11-17,16:30:00,00:30:00,,0.00\n";

#[test]
fn reader() {
    assert_eq!(records("a,\"b,\"\"c\"\"\"\r\n1,2", ',').unwrap(), vec![vec!["a", "b,\"c\""], vec!["1", "2"]]);
    assert_eq!(records("a,\"multi\nline\"\n", ',').unwrap(), vec![vec!["a", "multi\nline"]]);
    assert_eq!(records("x\n\"open", ','), Err(2));
    assert_eq!(records("a;b\n", ';').unwrap(), vec![vec!["a", "b"]]);
    assert_eq!(records("\"\"", ',').unwrap(), vec![vec![""]]);
    assert_eq!(detect_delimiter("a;b;c\n1,2"), ';');
}

#[test]
fn harvest() {
    let p = parse_export(HARVEST).unwrap();
    assert_eq!(p.format, CsvFormat::Harvest);
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(p.rows.len(), 2);
    let e = &p.rows[1].entry;
    assert_eq!(p.rows[1].row, 3);
    assert_eq!(e.minutes, 375);
    assert_eq!(e.description, "Cart: fix rounding, \"qty\" edge case");
    assert_eq!(e.user.as_ref().unwrap().id.as_deref(), Some("E-101"));
    assert_eq!(e.user.as_ref().unwrap().names, ["Grace Hopper"]);
    assert_eq!(e.project.as_ref().unwrap().names, ["Website relaunch", "ACME-WEB"]);
    // Stable ids; duration changes keep the id.
    let again = parse_export(&HARVEST.replace("6.25", "7")).unwrap();
    assert_eq!(again.rows[1].entry.external_id, e.external_id);
    assert_eq!(again.rows[1].entry.minutes, 420);
    assert_ne!(p.rows[0].entry.external_id, e.external_id);
}

#[test]
fn clockify_and_toggl() {
    let c = parse_export(CLOCKIFY).unwrap();
    assert_eq!(c.format, CsvFormat::Clockify);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!(c.rows[0].entry.date, NaiveDate::from_ymd_opt(2026, 11, 24));
    assert_eq!(c.rows[0].entry.minutes, 75);
    assert!(c.rows[0].entry.billable);
    let t = parse_export(TOGGL).unwrap();
    assert_eq!(t.format, CsvFormat::Toggl);
    assert_eq!(t.rows[0].entry.minutes, 30);
    assert!(!t.rows[0].entry.billable);
    assert_eq!(t.rows[0].entry.task, None);
}

#[test]
fn problems_name_row_and_column() {
    let bad = TOGGL.replace("2026-11-17,16:00:00", "tomorrow,4pm").replace("00:30:00", "half an hour");
    let p = parse_export(&bad).unwrap();
    let got: Vec<_> = p.problems.iter().map(|x| (x.row, x.column.as_str())).collect();
    assert_eq!(got, [(2, "Start date"), (2, "Start time"), (2, "Duration")]);
    assert!(p.rows.is_empty());
    assert_eq!(parse_export("a,b\n1,2").unwrap_err().row, 1);
    assert_eq!(parse_export("Date,Hours,Project\n2026-01-01,1,x").unwrap_err().column, "First Name");
    assert_eq!(parse_export("").unwrap_err().row, 0);
    assert_eq!(parse_date("24/11/2026", true), NaiveDate::from_ymd_opt(2026, 11, 24));
    assert_eq!(parse_date("11/24/2026", false), NaiveDate::from_ymd_opt(2026, 11, 24));
    assert_eq!(parse_date("24.11.2026", false), NaiveDate::from_ymd_opt(2026, 11, 24));
    assert_eq!(parse_duration_seconds("1,5"), Some(5400));
    assert_eq!(parse_duration_seconds("1:61"), None);
    assert_eq!(parse_time("02:00:00 pm"), NaiveTime::from_hms_opt(14, 0, 0));
}
