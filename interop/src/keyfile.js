// Element's passphrase-protected room-key file ("Export E2E room keys"), written from its description:
//
//   -----BEGIN MEGOLM SESSION DATA-----
//   base64 of: 0x01 | salt (16) | IV (16) | PBKDF2 rounds (4, big-endian) | AES-256-CTR ciphertext | HMAC-SHA256 (32)
//   -----END MEGOLM SESSION DATA-----
//
// PBKDF2-SHA512 over the passphrase and salt gives 512 bits: the AES key is the first half, the HMAC key the
// second; the HMAC covers everything before it. The plaintext is the JSON list of exported sessions.

const HEADER = "-----BEGIN MEGOLM SESSION DATA-----";
const FOOTER = "-----END MEGOLM SESSION DATA-----";
const VERSION = 1;
const SALT_LEN = 16;
const IV_LEN = 16;
const PREFIX_LEN = 1 + SALT_LEN + IV_LEN + 4;
const MAC_LEN = 32;
const LINE_LEN = 96;

/** Element's default number of PBKDF2 rounds. */
export const DEFAULT_ROUNDS = 500000;

const subtle = () => globalThis.crypto.subtle;

async function deriveKeys(passphrase, salt, rounds) {
  const base = await subtle().importKey("raw", new TextEncoder().encode(passphrase), { name: "PBKDF2" }, false, [
    "deriveBits",
  ]);
  const bits = new Uint8Array(
    await subtle().deriveBits({ name: "PBKDF2", salt, iterations: rounds, hash: "SHA-512" }, base, 512),
  );
  const aesKey = await subtle().importKey("raw", bits.slice(0, 32), { name: "AES-CTR" }, false, ["encrypt", "decrypt"]);
  const macKey = await subtle().importKey("raw", bits.slice(32, 64), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
  return { aesKey, macKey };
}

function toBase64(bytes) {
  let bin = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + step));
  }
  return btoa(bin);
}

function fromBase64(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Encrypts the exported-sessions JSON into the armored file text. */
export async function encryptKeyFile(json, passphrase, rounds = DEFAULT_ROUNDS) {
  if (!passphrase) throw new Error("a passphrase is required");
  const salt = globalThis.crypto.getRandomValues(new Uint8Array(SALT_LEN));
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_LEN));
  // Keep the 64-bit block counter (the IV's second half) far from wrapping, whatever reads the file.
  iv[8] &= 0x7f;
  const { aesKey, macKey } = await deriveKeys(passphrase, salt, rounds);
  const ciphertext = new Uint8Array(
    await subtle().encrypt({ name: "AES-CTR", counter: iv, length: 64 }, aesKey, new TextEncoder().encode(json)),
  );
  const body = new Uint8Array(PREFIX_LEN + ciphertext.length + MAC_LEN);
  body[0] = VERSION;
  body.set(salt, 1);
  body.set(iv, 1 + SALT_LEN);
  new DataView(body.buffer).setUint32(1 + SALT_LEN + IV_LEN, rounds, false);
  body.set(ciphertext, PREFIX_LEN);
  const signed = body.subarray(0, PREFIX_LEN + ciphertext.length);
  const mac = new Uint8Array(await subtle().sign("HMAC", macKey, signed));
  body.set(mac, PREFIX_LEN + ciphertext.length);
  const b64 = toBase64(body);
  const lines = [HEADER];
  for (let i = 0; i < b64.length; i += LINE_LEN) lines.push(b64.slice(i, i + LINE_LEN));
  lines.push(FOOTER);
  return lines.join("\n") + "\n";
}

/** Checks and decrypts an armored file, returning the sessions JSON. */
export async function decryptKeyFile(text, passphrase) {
  const lines = String(text)
    .split(/\r?\n/)
    .map((l) => l.trim());
  const start = lines.indexOf(HEADER);
  const end = lines.indexOf(FOOTER, start + 1);
  if (start < 0 || end < 0) throw new Error("not a room-key file: header or footer missing");
  let body;
  try {
    body = fromBase64(lines.slice(start + 1, end).join(""));
  } catch (e) {
    throw new Error(`room-key file: bad base64: ${e.message ?? e}`);
  }
  if (body.length < PREFIX_LEN + MAC_LEN) throw new Error("room-key file: too short");
  if (body[0] !== VERSION) throw new Error(`room-key file: unsupported version ${body[0]}`);
  const salt = body.subarray(1, 1 + SALT_LEN);
  const iv = body.subarray(1 + SALT_LEN, 1 + SALT_LEN + IV_LEN);
  const rounds = new DataView(body.buffer, body.byteOffset).getUint32(1 + SALT_LEN + IV_LEN, false);
  if (rounds === 0) throw new Error("room-key file: zero PBKDF2 rounds");
  const macAt = body.length - MAC_LEN;
  const { aesKey, macKey } = await deriveKeys(passphrase, salt, rounds);
  const ok = await subtle().verify("HMAC", macKey, body.subarray(macAt), body.subarray(0, macAt));
  if (!ok) throw new Error("room-key file: authentication failed (wrong passphrase?)");
  const plain = await subtle().decrypt(
    { name: "AES-CTR", counter: iv, length: 64 },
    aesKey,
    body.subarray(PREFIX_LEN, macAt),
  );
  return new TextDecoder().decode(plain);
}
