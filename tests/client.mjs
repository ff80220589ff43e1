// A tiny browser-like client for the portal: keeps cookies, signs in through the real form.
export class Browser {
  constructor(stack, worker = 'portal', now) {
    this.stack = stack;
    this.worker = worker;
    this.now = now;
    this.cookies = new Map();
  }
  headers(extra = {}) {
    const h = { ...extra };
    if (this.now) h['x-clearhours-now'] = this.now;
    if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return h;
  }
  remember(res) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const [k, v] = [pair.slice(0, i), pair.slice(i + 1)];
      if (/Max-Age=0/i.test(c)) this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
  }
  async get(path, headers = {}) {
    const res = await this.stack.fetch(this.worker, path, { headers: this.headers(headers), redirect: 'manual' });
    this.remember(res);
    return res;
  }
  async post(path, form, headers = {}) {
    const res = await this.stack.fetch(this.worker, path, {
      method: 'POST',
      redirect: 'manual',
      headers: this.headers({ 'content-type': 'application/x-www-form-urlencoded', ...headers }),
      body: new URLSearchParams(form).toString(),
    });
    this.remember(res);
    return res;
  }
  /** Signs in via GET form + POST; returns the POST response. */
  async login(email, password, { staff = false } = {}) {
    const base = staff ? '/admin/login' : '/login';
    const page = await (await this.get(base)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    if (!csrf) throw new Error('no csrf field on the login page');
    return this.post(base, { email, password, csrf });
  }
  /** The CSRF token embedded in an authenticated page. */
  async csrf(path = '/projects') {
    const page = await (await this.get(path)).text();
    return /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  }
}
