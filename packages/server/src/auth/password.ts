// Password hashing with scrypt (node:crypto), done by the member that receives the password,
// before anything is proposed: the Raft log, snapshots and the store only ever hold the hash.
// Stored form: `scrypt$N$r$p$<salt base64>$<hash base64>`, so the cost can be raised later
// without breaking old hashes. Verification compares in constant time.

import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const SCRYPT_N = 16384;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Bounds on the cost parameters a stored hash may name (a damaged or hostile hash must not DoS). */
const SCRYPT_N_MAX = 1 << 20;

function derive(password: string, salt: Buffer, opts: ScryptOptions, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, bytes, { ...opts, maxmem: 256 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, { N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P }, HASH_BYTES);
  return `scrypt$${SCRYPT_N}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** False for a wrong password and for a hash this member cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![n, r, p].every((x) => Number.isSafeInteger(x) && x > 0) || n > SCRYPT_N_MAX || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const expected = Buffer.from(parts[5] ?? '', 'base64');
  if (expected.length === 0) return false;
  const got = await derive(password, salt, { N: n, r, p }, expected.length);
  return timingSafeEqual(got, expected);
}
