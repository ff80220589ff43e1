// Helpers for the access-log tests: the chain's row hash as an outsider with the key would
// compute it (to forge a tail), a signed-note checker that uses only the published verifier key
// (as a provider would), and a second provider for per-provider tests.
import { createHmac, createPublicKey, createHash, verify as edVerify } from 'node:crypto';
import { AUDIT_KEY } from './harness.mjs';
import { smallFixture } from './fixtures.mjs';

const FIELDS = ['at', 'provider_id', 'client_id', 'actor_kind', 'actor_id', 'action', 'target', 'outcome', 'ip', 'user_agent'];

/** HMAC-SHA256 of a row as shared/domain/src/audit.rs defines it. */
export function rowHash(prev, pseq, row, key = AUDIT_KEY) {
  const mac = createHmac('sha256', key);
  mac.update('clearhours-audit-v2');
  for (const part of [prev, String(pseq), ...FIELDS.map((f) => row[f] ?? '')]) {
    const b = Buffer.from(part, 'utf8');
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(BigInt(b.length));
    mac.update(len);
    mac.update(b);
  }
  return mac.digest('hex');
}

/** Checks a signed note against a verifier key `<name>+<hex id>+<base64(0x01 ‖ key)>`;
 * returns { origin, size, hash (hex), time } or throws. Uses nothing of Clearhours. */
export function openNote(note, vkey) {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(vkey.trim());
  if (!m) throw new Error('not a verifier key');
  const [, name, idHex, keyB64] = m;
  const raw = Buffer.from(keyB64, 'base64');
  if (raw[0] !== 1 || raw.length !== 33) throw new Error('not an Ed25519 verifier key');
  const pub = raw.subarray(1);
  const id = createHash('sha256').update(Buffer.concat([Buffer.from(name + '\n'), Buffer.from([1]), pub])).digest().subarray(0, 4);
  if (id.toString('hex') !== idHex) throw new Error('key id does not match the key');
  const i = note.indexOf('\n\n');
  const body = note.slice(0, i + 1);
  const sigLine = note.slice(i + 2).split('\n').find((l) => l.startsWith(`\u2014 ${name} `));
  if (!sigLine) throw new Error('no signature by this key');
  const sig = Buffer.from(sigLine.split(' ')[2], 'base64');
  if (!sig.subarray(0, 4).equals(id)) throw new Error('signature key id mismatch');
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub]), format: 'der', type: 'spki' });
  if (!edVerify(null, Buffer.from(body), key, sig.subarray(4))) throw new Error('bad signature');
  const [origin, size, hash, time] = body.trimEnd().split('\n');
  return { origin, size: Number(size), hash: Buffer.from(hash, 'base64').toString('hex'), time };
}

/** The small fixture's shape under another provider, with other ids and e-mails. */
export function otherProviderFixture() {
  let text = JSON.stringify(smallFixture(null));
  for (const [from, to] of [['prv_t', 'prv_u'], ['cli_', 'cliu_'], ['con_', 'conu_'], ['prj_', 'prju_'], ['stf_', 'stfu_'], ['mem_', 'memu_'], ['tsk_', 'tsku_'], ['phs_', 'phsu_'], ['int_api', 'intu_api'], ['.test', '.u-test'], ['Test Agency', 'Other Agency']]) {
    text = text.split(from).join(to);
  }
  return JSON.parse(text);
}

export const OTHER_LOGINS = {
  a: { email: 'ada@client-a.u-test', password: 'client-a-password-1' },
  staff: { email: 'sam@agency.u-test', password: 'agency-staff-password-1' },
};

/** Waits until `fn()` is truthy (views are logged after their response). */
export async function eventually(fn, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
