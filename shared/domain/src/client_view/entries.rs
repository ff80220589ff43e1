//! Client view of time entries (timesheet).
