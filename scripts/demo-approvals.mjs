// Approves the weeks a fixture's approvers approve (`contacts[].approves`), through the portal's
// own sign-in and approval form: the approval hashes the week exactly as the contact sees it,
// which only the portal computes. `approvals` is what `/__dev/fixtures` returned.
//   node scripts/demo-approvals.mjs <fixture.json> <load-response.json> <portal port>
import { readFileSync } from 'node:fs';

/** `fetch(path, init)` reaches the portal; `now` (optional) is the dev clock override. */
export async function approveWeeks(fetch, fixture, approvals, now) {
  const contacts = new Map(fixture.clients.flatMap((c) => c.contacts).map((c) => [c.id, c]));
  for (const a of approvals ?? []) {
    const c = contacts.get(a.contact);
    const cookies = new Map();
    const call = async (path, init = {}) => {
      const headers = { ...(init.headers ?? {}) };
      if (now) headers['x-clearhours-now'] = now;
      if (cookies.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = await fetch(path, { ...init, headers, redirect: 'manual' });
      for (const s of res.headers.getSetCookie()) {
        const [pair] = s.split(';');
        const i = pair.indexOf('=');
        if (/Max-Age=0/i.test(s)) cookies.delete(pair.slice(0, i));
        else cookies.set(pair.slice(0, i), pair.slice(i + 1));
      }
      return res;
    };
    const form = (csrf, fields) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, csrf }).toString(),
    });
    const token = async (path) => /name="csrf" value="([^"]+)"/.exec(await (await call(path)).text())?.[1];
    const signIn = await call('/login', form(await token('/login'), { email: c.email, password: c.password }));
    if (signIn.status !== 303) throw new Error(`approver ${a.contact} could not sign in: ${signIn.status}`);
    const weeks = `/projects/${a.project}/weeks`;
    const res = await call(`${weeks}/${a.week_start}/approve`, form(await token(weeks), {}));
    if (res.status !== 303) throw new Error(`approval of ${a.project} ${a.week_start} failed: ${res.status} ${await res.text()}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [fixtureFile, loadedFile, port] = process.argv.slice(2);
  const fixture = JSON.parse(readFileSync(fixtureFile, 'utf8'));
  const loaded = JSON.parse(readFileSync(loadedFile, 'utf8'));
  await approveWeeks((path, init) => fetch(`http://127.0.0.1:${port}${path}`, init), fixture, loaded.approvals);
}
