/**
 * The installer passphrase, kept as a salted, iterated SHA-256 and never as itself:
 * `sha256i$<iterations>$<salt hex>$<digest hex>`, where digest_1 = H(salt ‖ passphrase) and
 * digest_i = H(digest_{i-1} ‖ salt ‖ passphrase). The salt is 16 bytes from the platform's
 * random source (the ESP32's hardware RNG). Iterations are few because XS runs the hash in
 * JavaScript on a 240 MHz core; the lock's attempt counter and back-off do the rest.
 */
import type { RandomPort } from "../lib/ports";
import { Sha256, toHex } from "../lib/sha256";
import { codeUnitAt } from "../lib/string-scan";
import { encodeUtf8 } from "../lib/utf8";

const PASSPHRASE_ITERATIONS = 64;
const MIN_PASSPHRASE = 8;
const MAX_PASSPHRASE = 64;
const SALT_BYTES = 16;
const PREFIX = "sha256i";

/** Why a passphrase cannot be used, or null. */
export function passphraseProblem(p: string): string | null {
  if (p.length < MIN_PASSPHRASE || p.length > MAX_PASSPHRASE) return `a passphrase has ${MIN_PASSPHRASE}-${MAX_PASSPHRASE} characters (this one has ${p.length})`;
  if (encodeUtf8(p) === null) return "a passphrase must be valid text";
  return null;
}

function iterate(sha: Sha256, salt: Uint8Array, pass: Uint8Array, iterations: number): Uint8Array {
  const first = new Uint8Array(salt.length + pass.length);
  first.set(salt, 0);
  first.set(pass, salt.length);
  let digest = sha.digest(first);
  const next = new Uint8Array(32 + first.length);
  next.set(first, 32);
  for (let i = 1; i < iterations; i++) {
    next.set(digest, 0);
    digest = sha.digest(next);
  }
  return digest;
}

function fromHex(s: string): Uint8Array | null {
  if (s.length % 2 !== 0 || !/^[0-9a-f]*$/.test(s)) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The stored form of a passphrase (which the caller has checked with passphraseProblem). */
export function hashPassphrase(passphrase: string, random: RandomPort, iterations = PASSPHRASE_ITERATIONS): string {
  const salt = new Uint8Array(SALT_BYTES);
  for (let i = 0; i < SALT_BYTES; i += 4) {
    const r = random.nextUint32();
    salt[i] = r >>> 24;
    salt[i + 1] = r >>> 16;
    salt[i + 2] = r >>> 8;
    salt[i + 3] = r;
  }
  const pass = encodeUtf8(passphrase) ?? new Uint8Array(0);
  return `${PREFIX}$${iterations}$${toHex(salt)}$${toHex(iterate(new Sha256(), salt, pass, iterations))}`;
}

/** Is the stored form well made (so a damaged one is reported rather than never matching)? */
export function isPassphraseHash(stored: string): boolean {
  const parts = stored.split("$");
  return parts.length === 4 && parts[0] === PREFIX && /^[1-9]\d{0,5}$/.test(parts[1]) && fromHex(parts[2]) !== null && parts[3].length === 64 && fromHex(parts[3]) !== null;
}

/** Does `passphrase` match the stored form? Compares every character (no early exit). */
export function verifyPassphrase(passphrase: string, stored: string): boolean {
  if (!isPassphraseHash(stored)) return false;
  const [, iter, saltHex, digestHex] = stored.split("$");
  const pass = encodeUtf8(passphrase);
  if (pass === null) return false;
  const actual = toHex(iterate(new Sha256(), fromHex(saltHex) as Uint8Array, pass, Number(iter)));
  let diff = 0;
  for (let i = 0; i < 64; i++) diff |= codeUnitAt(actual, i) ^ codeUnitAt(digestHex, i);
  return diff === 0;
}
