// Small, hand-checkable fixtures for the integration tests. Dates are absolute; tests pin the
// workers' clock to NOW with the dev-only x-clearhours-now header.
export const NOW = '2026-11-25T15:00:00Z'; // Wednesday; 10:00 in New York, 16:00 in Berlin.
export const SECRET = 'whsec_' + Buffer.alloc(32, 9).toString('base64');

export const LOGINS = {
  a: { email: 'ada@client-a.test', password: 'client-a-password-1' },
  b: { email: 'bo@client-b.test', password: 'client-b-password-1' },
  staff: { email: 'sam@agency.test', password: 'agency-staff-password-1' },
};

export function smallFixture(slackUrl) {
  return {
    provider: { id: 'prv_t', name: 'Test Agency', slack_webhook_url: slackUrl ? `${slackUrl}/slack/prv_t` : null },
    staff: [{ id: 'stf_sam', email: LOGINS.staff.email, name: 'Sam Staff', password: LOGINS.staff.password, role: 'admin' }],
    members: [
      { id: 'mem_lead', name: 'Lena Lead', role_title: 'Lead developer', email: 'lena@private.test', phone: '+1 555 0101', cost_rate: '70.00', default_rate: '150.00', personal_notes: 'PRIVATE-NOTE-LENA' },
      { id: 'mem_dev', name: 'Dev Dana', role_title: 'Developer', email: 'dana@private.test', phone: '+1 555 0102', cost_rate: '50.00', default_rate: '120.00', personal_notes: 'PRIVATE-NOTE-DANA' },
    ],
    tasks: [
      { id: 'tsk_dev', name: 'Development', client_explanation: 'Building and changing features', billable: true },
      { id: 'tsk_pm', name: 'Project management', client_explanation: 'Planning and coordination', billable: true },
    ],
    integrations: [{ id: 'int_api', kind: 'clearhours', name: 'Test API', secrets: [SECRET] }],
    clients: [
      {
        id: 'cli_a', name: 'Client A', time_zone: 'America/New_York', currency: 'USD', week_start: 'monday',
        visibility: { rates: 'hidden', descriptions: 'detailed', team: 'names', view: 'real_time', non_billable: 'hidden' },
        contacts: [{ id: 'con_ada', email: LOGINS.a.email, name: 'Ada A', role: 'billing', password: LOGINS.a.password, projects: 'all' }],
        projects: [
          {
            id: 'prj_a', name: 'Website', code: 'A-WEB',
            budget: { period: 'fixed', hours: 10, amount: null, includes_non_billable: false },
            starts_on: '2026-10-05', ends_on: '2026-12-31', rate: '100.00', alert_thresholds: [75, 90, 100],
            phases: [{ id: 'phs_build', name: 'Build' }],
            entries: [
              // Earlier weeks: 6 h; this week (Mon 23 Nov): 1 h. 7 of 10 h used = 70 %.
              { member: 'mem_lead', task: 'tsk_dev', phase: 'phs_build', day: '2026-11-02', minutes: 180, billable: true, description: 'Checkout flow', internal_note: 'INTERNAL-NOTE-A' },
              { member: 'mem_dev', task: 'tsk_dev', phase: 'phs_build', day: '2026-11-10', minutes: 180, billable: true, description: 'Cart page', internal_note: '' },
              { member: 'mem_dev', task: 'tsk_pm', phase: null, day: '2026-11-23', minutes: 60, billable: true, description: 'Planning call', internal_note: '' },
            ],
          },
        ],
      },
      {
        id: 'cli_b', name: 'Client B', time_zone: 'Europe/Berlin', currency: 'EUR', week_start: 'sunday',
        visibility: { rates: 'hidden', descriptions: 'summarised', team: 'anonymous', view: 'weekly_summary', non_billable: 'hidden' },
        contacts: [{ id: 'con_bo', email: LOGINS.b.email, name: 'Bo B', role: 'viewer', password: LOGINS.b.password, projects: 'all' }],
        projects: [
          {
            id: 'prj_b', name: 'B-SECRET-PROJECT', code: 'B-APP',
            budget: null, starts_on: '2026-11-01', ends_on: null, rate: '90.00', alert_thresholds: [],
            phases: [],
            entries: [{ member: 'mem_lead', task: 'tsk_dev', phase: null, day: '2026-11-03', minutes: 120, billable: true, description: 'B-SECRET-DESCRIPTION', internal_note: '' }],
          },
        ],
      },
    ],
  };
}
