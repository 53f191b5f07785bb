// What the scanner can tell about a code without the server: a signed QR payload is read and
// its Ed25519 signature checked with the merchant's public key from the kit, then judged like
// the server would (window, revoked and redeemed lists, scans already queued on this phone).
// The layout is plugins/redemption_qr/payload.py's:
//   "Q1" + base32 (no padding) of body || signature, body (big-endian) =
//   key id u32 | merchant id u32 | code id u32 | kind length u8 | kind | subject id u32
//   | valid from u32 | valid until u32 | 6 random bytes; signature over DOMAIN + body.
//
// Ed25519 is checked with @noble/ed25519 (vendored from npm), not WebCrypto's own Ed25519:
// browsers only got that in 2025 (Chrome 137, Safari 17, Firefox 129) and counter phones run
// older ones, so one implementation everywhere means the tested path is the one every phone
// runs. It hashes with WebCrypto's SHA-512, which every browser has in a secure context.

export const PREFIX = "Q1";
const DOMAIN = new TextEncoder().encode("o2o-marketplace redeemable code v1\u0000");
const SIGNATURE = 64;
const RANDOM = 6;
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
// Human codes: what staff type (marketplace/redemption/human.py).
const HUMAN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const HUMAN_LENGTH = 10;

export class NotACode extends Error {}

/** What staff typed, as a human code: capitals, letters and digits only. */
export function normaliseHuman(text) {
  return (text || "").toUpperCase().replace(/[^0-9A-Z]/g, "");
}

export function looksLikeHumanCode(text) {
  const code = normaliseHuman(text);
  return code.length === HUMAN_LENGTH && [...code].every((ch) => HUMAN_ALPHABET.includes(ch));
}

export function looksLikePayload(text) {
  return typeof text === "string" && text.startsWith(PREFIX);
}

function base32(text) {
  // Strict, like Python's b32decode: a length no encoder produces, or leftover bits that are
  // not zero, is not a code (the server compares the exact text, so no second spelling).
  if ([1, 3, 6].includes(text.length % 8)) { throw new NotACode("bad length"); }
  const out = [];
  let value = 0;
  let bits = 0;
  for (const ch of text) {
    const index = BASE32.indexOf(ch);
    if (index < 0) { throw new NotACode("not base32"); }
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
      value &= (1 << bits) - 1;
    }
  }
  if (value !== 0) { throw new NotACode("stray bits"); }
  return Uint8Array.from(out);
}

function base64url(text) {
  const plain = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(plain + "=".repeat((4 - (plain.length % 4)) % 4));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

/** The payload's body, unverified, with the bytes the signature covers. */
export function readPayload(text) {
  if (!looksLikePayload(text)) { throw new NotACode("no prefix"); }
  const signed = base32(text.slice(PREFIX.length));
  if (signed.length <= SIGNATURE + 13) { throw new NotACode("too short"); }
  const raw = signed.slice(0, signed.length - SIGNATURE);
  const signature = signed.slice(signed.length - SIGNATURE);
  const view = new DataView(raw.buffer);
  const size = view.getUint8(12);
  if (raw.length !== 13 + size + 12 + RANDOM) { throw new NotACode("wrong length"); }
  const kindBytes = raw.slice(13, 13 + size);
  if (kindBytes.some((byte) => byte > 0x7f)) { throw new NotACode("kind is not ASCII"); }
  const tail = 13 + size;
  return {
    keyId: view.getUint32(0),
    merchantId: view.getUint32(4),
    codeId: view.getUint32(8),
    kind: String.fromCharCode(...kindBytes),
    subjectId: view.getUint32(tail),
    validFrom: view.getUint32(tail + 4) || null,   // Unix seconds; null: open
    validUntil: view.getUint32(tail + 8) || null,
    raw,
    signature,
  };
}

let noble = null;

async function ed25519(url) {
  noble = noble || await import(url);
  return noble;
}

/** Whether ``body`` was signed by the kit's key ``body.keyId`` (strict RFC 8032 checks, as
 * the server's OpenSSL makes them). */
export async function signatureHolds(body, kit, nobleUrl) {
  const key = (kit.keys || []).find((k) => k.id === body.keyId);
  if (!key) { return false; }
  const message = new Uint8Array(DOMAIN.length + body.raw.length);
  message.set(DOMAIN);
  message.set(body.raw, DOMAIN.length);
  const ed = await ed25519(nobleUrl);
  try {
    return await ed.verifyAsync(body.signature, message, base64url(key.public_key),
                                {zip215: false});
  } catch (error) {
    return false;  // a malformed key or point: not a signature we accept
  }
}

/**
 * Judge a scanned text offline. Returns ``{outcome, body?, queued?}`` where outcome is one of
 * the server's: redeemable, invalid, wrong_merchant, revoked, already_redeemed,
 * not_yet_valid, expired; or "queued" (this phone accepted it already, not synced yet).
 * ``redeemedHere``: code ids redeemed through this page since the kit was fetched.
 */
export async function judgeOffline(text, {kit, queued, redeemedHere, now, nobleUrl}) {
  let body;
  try {
    body = readPayload(text);
  } catch (error) {
    if (error instanceof NotACode) { return {outcome: "invalid"}; }
    throw error;
  }
  if (!kit || body.merchantId !== kit.merchant.id) { return {outcome: "wrong_merchant"}; }
  if (!await signatureHolds(body, kit, nobleUrl)) { return {outcome: "invalid"}; }
  if ((kit.revoked || []).includes(body.codeId)) { return {outcome: "revoked", body}; }
  if ((kit.redeemed || []).includes(body.codeId) || redeemedHere.has(body.codeId)) {
    return {outcome: "already_redeemed", body};
  }
  const twin = queued.find((scan) => scan.code_id === body.codeId);
  if (twin) { return {outcome: "queued", body, queued: twin}; }
  const seconds = Math.floor(now / 1000);
  if (body.validFrom && seconds < body.validFrom) { return {outcome: "not_yet_valid", body}; }
  if (body.validUntil && seconds >= body.validUntil) { return {outcome: "expired", body}; }
  return {outcome: "redeemable", body};
}
