//! Reads of raw time entries for client timesheets (one week at a time).
