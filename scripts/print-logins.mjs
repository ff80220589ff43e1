// Prints the local URLs and the demo logins of a fixture.
import { readFileSync } from 'node:fs';
const [file, portal, ingest, alerts, capture] = process.argv.slice(2);
const fx = JSON.parse(readFileSync(file, 'utf8'));
const line = (s = '') => console.log(s);
line();
line(`Clearhours is running (demo agency: ${fx.provider.name})`);
line(`  Client portal   http://localhost:${portal}/login`);
line(`  Provider admin  http://localhost:${portal}/admin/login`);
line(`  Ingest API      http://127.0.0.1:${ingest}/v1/integrations/{id}/entries  (Standard Webhooks)`);
line(`  Alerts worker   http://127.0.0.1:${alerts}  (cron: curl "http://127.0.0.1:${alerts}/__scheduled?cron=*/5+*+*+*+*")`);
line(`  Slack capture   http://127.0.0.1:${capture}/  (what alerts sent)`);
line();
line('Provider staff:');
for (const s of fx.staff) line(`  ${s.email.padEnd(44)} ${s.password}   (${s.role})`);
line('Client contacts:');
for (const c of fx.clients) {
  for (const k of c.contacts) {
    const extra = [k.role === 'approver' && c.weekly_signoff ? 'weekly sign-off' : '', k.notify_digest ? 'weekly digest' : ''].filter(Boolean);
    line(`  ${k.email.padEnd(44)} ${k.password}   (${c.name}, ${k.role}${extra.map((e) => `, ${e}`).join('')})`);
  }
}
for (const i of fx.integrations) line(`\nIntegration ${i.id} (${i.kind}) signing secret: ${i.secrets[0]}`);
line();
