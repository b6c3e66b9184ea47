// Known vectors for LiveKit frame encryption, computed with the exact
// WebCrypto calls of livekit-client (importKey raw HKDF; deriveKey HKDF
// SHA-256, salt "LKFrameEncryptionKey", info = 128 zero bytes -> AES-GCM 128;
// encrypt with iv and additionalData = the unencrypted header).
const { subtle } = globalThis.crypto;
const hex = (b) => Buffer.from(b).toString('hex');
async function vec(rawHex, ivHex, frameHex, kid) {
  const raw = Buffer.from(rawHex, 'hex');
  const material = await subtle.importKey('raw', raw, 'HKDF', false, ['deriveBits', 'deriveKey']);
  const key = await subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new TextEncoder().encode('LKFrameEncryptionKey'), info: new ArrayBuffer(128) },
    material, { name: 'AES-GCM', length: 128 }, true, ['encrypt', 'decrypt']);
  const aes = await subtle.exportKey('raw', key);
  const frame = Buffer.from(frameHex, 'hex');
  const iv = Buffer.from(ivHex, 'hex');
  const header = frame.subarray(0, 1);
  const ct = await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: header }, key, frame.subarray(1));
  const out = Buffer.concat([header, Buffer.from(ct), iv, Buffer.from([iv.length, kid])]);
  console.log(JSON.stringify({ raw: rawHex, aes: hex(aes), iv: ivHex, frame: frameHex, kid, encrypted: hex(out) }));
}
(async () => {
  await vec('000102030405060708090a0b0c0d0e0f', 'a0a1a2a3a4a5a6a7a8a9aaab', '78' + Buffer.from('termatrix opus frame').toString('hex'), 3);
  await vec('ffeeddccbbaa99887766554433221100', '000000000000000000000001', 'fc', 255);
})();
