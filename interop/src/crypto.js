// End-to-end encryption for the peer: matrix-js-sdk's Rust crypto (initRustCrypto, in memory), set up and used
// the way Element Web does: cross-signing with password UIA, secret storage with a recovery key, key backup,
// device isolation modes, room-key files, and SAS (emoji) verification.

import {
  AllDevicesIsolationMode,
  CryptoEvent,
  EventShieldColour,
  EventShieldReason,
  OnlySignedDevicesIsolationMode,
  VerificationPhase,
  VerificationRequestEvent,
  VerifierEvent,
  decodeRecoveryKey,
} from "matrix-js-sdk/lib/crypto-api/index.js";
import { RustBackupManager } from "matrix-js-sdk/lib/rust-crypto/backup.js";
import { UserId } from "@matrix-org/matrix-sdk-crypto-wasm";
import { decryptKeyFile, encryptKeyFile } from "./keyfile.js";
import { emit, until, untilAsync } from "./util.js";

/** Name of an enum value (numeric TypeScript enums compile to objects mapping both ways). */
function enumName(en, value) {
  for (const [k, v] of Object.entries(en)) if (v === value && isNaN(Number(k))) return k;
  return String(value);
}

/**
 * The secret-storage key callbacks handed to createClient: keys cached while bootstrapping (or given as a
 * recovery key in the options) answer later secret-storage reads.
 */
export class SecretKeys {
  constructor(recoveryKey) {
    this.cache = new Map();
    this.recoveryKey = recoveryKey || null;
  }

  callbacks() {
    return {
      getSecretStorageKey: async ({ keys }) => {
        const ids = Object.keys(keys);
        for (const id of ids) {
          const k = this.cache.get(id);
          if (k) return [id, k];
        }
        if (this.recoveryKey && ids.length > 0) return [ids[0], decodeRecoveryKey(this.recoveryKey)];
        return null;
      },
      cacheSecretStorageKey: (keyId, _info, key) => {
        this.cache.set(keyId, key);
      },
    };
  }
}

/** Sets up Rust crypto on a client before startClient. */
export async function initCrypto(client, opts) {
  if (opts.fastKeyBackup) {
    // Element waits up to 10 s (at random) before each key-backup upload round; tests need not.
    RustBackupManager.maxBackupLoopStartDelayMillis = 0;
  }
  await client.initRustCrypto({ useIndexedDB: false });
  const crypto = client.getCrypto();
  if (!crypto) throw new Error("initRustCrypto left the client without crypto");
  return crypto;
}

/** Waits until the server lists this device's identity keys (uploaded once sync has started). */
export async function waitOwnKeysUploaded(client, ms) {
  const userId = client.getUserId();
  const deviceId = client.getDeviceId();
  await untilAsync(
    async () => {
      const res = await client.downloadKeysForUsers([userId]);
      return !!res?.device_keys?.[userId]?.[deviceId];
    },
    ms,
    "this device's keys on the server",
    200,
  );
}

/** The E2EE half of the peer's commands. */
export class E2EE {
  constructor(client, opts, secretKeys) {
    this.client = client;
    this.crypto = client.getCrypto();
    this.opts = opts;
    this.secretKeys = secretKeys;
    this.verifications = new Verifications(client, this.crypto);
  }

  /**
   * Cross-signing (password UIA: Dendrite demands m.login.password even for the first upload), then secret
   * storage with a new recovery key and a new key backup, enabled. Returns the recovery key in Element's
   * format.
   */
  async bootstrap() {
    const crypto = this.crypto;
    const userId = this.client.getUserId();
    const password = this.opts.password;
    await crypto.bootstrapCrossSigning({
      authUploadDeviceSigningKeys: async (makeRequest) => {
        try {
          return await makeRequest(null);
        } catch (e) {
          const session = e?.data?.session;
          if (e?.httpStatus !== 401 || !session) throw e;
          if (!password) throw new Error("the server wants a password to upload cross-signing keys; none given");
          return await makeRequest({
            type: "m.login.password",
            identifier: { type: "m.id.user", user: userId },
            password,
            session,
          });
        }
      },
    });
    let recoveryKey = null;
    await crypto.bootstrapSecretStorage({
      createSecretStorageKey: async () => {
        const key = await crypto.createRecoveryKeyFromPassphrase();
        recoveryKey = key.encodedPrivateKey;
        return key;
      },
      setupNewSecretStorage: true,
      setupNewKeyBackup: true,
    });
    if (!recoveryKey) throw new Error("bootstrapSecretStorage did not ask for a new key");
    this.secretKeys.recoveryKey = recoveryKey;
    const check = await crypto.checkKeyBackupAndEnable();
    return {
      recoveryKey,
      crossSigningReady: await crypto.isCrossSigningReady(),
      secretStorageReady: await crypto.isSecretStorageReady(),
      backupVersion: check?.backupInfo?.version ?? "",
      backupTrusted: !!check?.trustInfo?.trusted,
    };
  }

  setOnlySignedDevices(on) {
    this.crypto.setDeviceIsolationMode(on ? new OnlySignedDevicesIsolationMode() : new AllDevicesIsolationMode(false));
  }

  /**
   * Asks the server for userId's current device list now (an out-of-band /keys/query, fed to the Rust machine)
   * instead of waiting for a device_lists change in /sync, which Dendrite may hold back until the long-poll ends.
   * Without the internals this needs, it falls back to getUserDeviceInfo(…, true), which downloads untracked
   * users only.
   */
  async refreshDevices(userId) {
    const machine = this.crypto.olmMachine;
    const processor = this.crypto.outgoingRequestProcessor;
    if (typeof machine?.queryKeysForUsers === "function" && processor?.makeOutgoingRequest) {
      await processor.makeOutgoingRequest(machine.queryKeysForUsers([new UserId(userId)]));
    }
    await this.crypto.getUserDeviceInfo([userId], true);
  }

  async deviceVerification(userId, deviceId) {
    await this.refreshDevices(userId);
    const st = await this.crypto.getDeviceVerificationStatus(userId, deviceId);
    if (!st) return { known: false, signedByOwner: false, crossSigningVerified: false, locallyVerified: false };
    return {
      known: true,
      signedByOwner: st.signedByOwner,
      crossSigningVerified: st.crossSigningVerified,
      locallyVerified: st.localVerified,
      verified: st.isVerified(),
    };
  }

  async userVerified(userId) {
    await this.refreshDevices(userId);
    const st = await this.crypto.getUserVerificationStatus(userId);
    return { crossSigningVerified: st.isCrossSigningVerified(), verified: st.isVerified(), known: st.known };
  }

  /** Reads the backup key from secret storage (with the recovery key) and restores the backup. */
  async restoreKeyBackup() {
    await this.crypto.loadSessionBackupPrivateKeyFromSecretStorage();
    const res = await this.crypto.restoreKeyBackup();
    await this.crypto.checkKeyBackupAndEnable();
    return { total: res.total, imported: res.imported };
  }

  /** The server's current backup version, whether this device trusts it, and key counts. */
  async backupInfo() {
    let server = null;
    try {
      server = await this.client.http.authedRequest("GET", "/room_keys/version");
    } catch (e) {
      if (e?.errcode !== "M_NOT_FOUND" && e?.data?.errcode !== "M_NOT_FOUND") throw e;
    }
    const out = {
      version: server?.version ?? "",
      algorithm: server?.algorithm ?? "",
      count: server?.count ?? -1,
      trusted: false,
      matchesDecryptionKey: false,
      activeVersion: (await this.crypto.getActiveSessionBackupVersion()) ?? "",
      localKeys: -1,
      localBackedUp: -1,
    };
    if (server) {
      const trust = await this.crypto.isKeyBackupTrusted(server);
      out.trusted = trust.trusted;
      out.matchesDecryptionKey = trust.matchesDecryptionKey;
    }
    // Not part of the crypto API: the Rust machine's own count of room keys and of those backed up.
    const machine = this.crypto.olmMachine;
    if (machine?.roomKeyCounts) {
      const counts = await machine.roomKeyCounts();
      out.localKeys = counts.total;
      out.localBackedUp = counts.backedUp;
    }
    return out;
  }

  async exportKeys(passphrase, rounds) {
    const json = await this.crypto.exportRoomKeysAsJson();
    const sessions = JSON.parse(json).length;
    return { text: await encryptKeyFile(json, passphrase, rounds || undefined), sessions };
  }

  async importKeys(text, passphrase) {
    const json = await decryptKeyFile(text, passphrase);
    let last = null;
    await this.crypto.importRoomKeysAsJson(json, {
      progressCallback: (p) => {
        if (p.stage === "load_keys") last = p;
      },
    });
    return { total: last?.total ?? JSON.parse(json).length, imported: last?.successes ?? 0, failures: last?.failures ?? 0 };
  }

  /** Element's shield for a decrypted event: "none", or colour and reason, e.g. "red:UNSIGNED_DEVICE". */
  async shield(event) {
    if (!event.isEncrypted() || event.isDecryptionFailure()) return "";
    const info = await this.crypto.getEncryptionInfoForEvent(event);
    if (!info) return "";
    const colour = enumName(EventShieldColour, info.shieldColour).toLowerCase();
    if (info.shieldReason === null || info.shieldReason === undefined) return colour;
    return `${colour}:${enumName(EventShieldReason, info.shieldReason)}`;
  }

  /** The device that sent an encrypted event, found by its Curve25519 key among the sender's devices. */
  async senderDevice(event) {
    const wire = event.getWireContent();
    if (wire?.device_id) return wire.device_id;
    const key = event.getSenderKey();
    if (!key) return "";
    const sender = event.getSender();
    const devices = (await this.crypto.getUserDeviceInfo([sender])).get(sender);
    for (const [id, d] of devices ?? []) {
      if (d.getIdentityKey() === key) return id;
    }
    return "";
  }
}

function finished(req) {
  return req.phase === VerificationPhase.Done || req.phase === VerificationPhase.Cancelled;
}

/**
 * One verification request at a time, like the call peer's one call at a time: a second incoming request
 * while one is under way is cancelled. Reports "verification.request" (incoming only), "verification.phase",
 * "verification.sas", "verification.done", "verification.cancel" and "verification.busy" events, each with
 * the request's local id `vid`.
 */
class Verifications {
  constructor(client, crypto) {
    this.client = client;
    this.crypto = crypto;
    this.current = null;
    this.seq = 0;
    client.on(CryptoEvent.VerificationRequestReceived, (req) => {
      try {
        this.onRequest(req);
      } catch (e) {
        console.error("handling a verification request:", e);
        emit({ event: "verification.error", error: String(e?.message ?? e) });
      }
    });
  }

  onRequest(req) {
    if (this.current && !finished(this.current.req) && this.current.req !== req) {
      emit({ event: "verification.busy", userId: req.otherUserId, deviceId: req.otherDeviceId ?? "" });
      req.cancel({ code: "m.user", reason: "another verification is under way" }).catch(() => {});
      return;
    }
    const v = this.track(req);
    emit({
      event: "verification.request",
      vid: v.vid,
      txnId: req.transactionId ?? "",
      userId: req.otherUserId,
      deviceId: req.otherDeviceId ?? "",
      roomId: req.roomId ?? "",
      self: req.isSelfVerification,
    });
  }

  track(req) {
    const v = { vid: `v${++this.seq}`, req, verifier: null, sas: null, phase: null, ended: false, verified: false };
    this.current = v;
    const onChange = () => {
      if (req.verifier) this.hookVerifier(v, req.verifier);
      if (req.phase !== v.phase) {
        v.phase = req.phase;
        emit({ event: "verification.phase", vid: v.vid, phase: enumName(VerificationPhase, req.phase) });
      }
      this.checkEnded(v);
    };
    req.on(VerificationRequestEvent.Change, onChange);
    onChange();
    return v;
  }

  /**
   * Reports the end of a request once. Done needs the request's phase Done and, if a verifier ran, its verify()
   * resolved: the Rust SAS can leave the request Done while the SAS itself never completed (and no key was marked
   * verified), when the other side's m.key.verification.done overtook its m.key.verification.mac.
   */
  checkEnded(v) {
    const req = v.req;
    if (v.ended) return;
    if (req.phase === VerificationPhase.Done && (!v.verifier || v.verified)) {
      v.ended = true;
      emit({ event: "verification.done", vid: v.vid, userId: req.otherUserId, deviceId: req.otherDeviceId ?? "" });
    } else if (req.phase === VerificationPhase.Cancelled) {
      v.ended = true;
      emit({
        event: "verification.cancel",
        vid: v.vid,
        code: req.cancellationCode ?? "",
        sender: req.cancellingUserId ?? "",
        reason: v.error ?? "",
      });
    }
  }

  hookVerifier(v, verifier) {
    if (v.verifier === verifier) return;
    v.verifier = verifier;
    const onSas = (sas) => {
      if (v.sas) return;
      v.sas = sas;
      emit({ event: "verification.sas", vid: v.vid, emoji: sas.sas.emoji ?? [], decimal: sas.sas.decimal ?? [] });
    };
    verifier.on(VerifierEvent.ShowSas, onSas);
    verifier.on(VerifierEvent.Cancel, (e) => {
      v.error = String(e?.message ?? e?.getContent?.()?.reason ?? e);
    });
    verifier.verify().then(
      () => {
        v.verified = true;
        this.checkEnded(v);
      },
      (e) => {
        v.error = String(e?.message ?? e);
      },
    );
    const now = verifier.getShowSasCallbacks();
    if (now) onSas(now);
  }

  mustCurrent() {
    if (!this.current) throw new Error("no verification request");
    return this.current;
  }

  async accept() {
    const v = this.mustCurrent();
    await v.req.accept();
    return { vid: v.vid };
  }

  /** Starts SAS on the current request once the other side is ready. */
  async startSas() {
    const v = this.mustCurrent();
    await until(() => v.req.phase >= VerificationPhase.Ready, 30000, "the request to be ready");
    if (v.req.phase !== VerificationPhase.Ready) {
      throw new Error(`the request is ${enumName(VerificationPhase, v.req.phase)}, not Ready`);
    }
    const verifier = await v.req.startVerification("m.sas.v1");
    this.hookVerifier(v, verifier);
    return { vid: v.vid };
  }

  async confirmSas() {
    const v = this.mustCurrent();
    if (!v.sas) throw new Error("no SAS shown yet");
    await v.sas.confirm();
    return { vid: v.vid };
  }

  mismatchSas() {
    const v = this.mustCurrent();
    if (!v.sas) throw new Error("no SAS shown yet");
    v.sas.mismatch();
    return { vid: v.vid };
  }

  async cancel() {
    const v = this.mustCurrent();
    if (!finished(v.req)) await v.req.cancel();
    return { vid: v.vid };
  }

  outgoing(req) {
    if (this.current && !finished(this.current.req)) {
      req.cancel().catch(() => {});
      throw new Error(`verification ${this.current.vid} is still under way`);
    }
    const v = this.track(req);
    return {
      vid: v.vid,
      txnId: req.transactionId ?? "",
      userId: req.otherUserId,
      deviceId: req.otherDeviceId ?? "",
      roomId: req.roomId ?? "",
      self: req.isSelfVerification,
    };
  }

  busy() {
    if (this.current && !finished(this.current.req)) {
      throw new Error(`verification ${this.current.vid} is still under way`);
    }
  }

  async requestOwn() {
    this.busy();
    return this.outgoing(await this.crypto.requestOwnUserVerification());
  }

  async requestDevice(userId, deviceId) {
    this.busy();
    await this.crypto.getUserDeviceInfo([userId], true);
    return this.outgoing(await this.crypto.requestDeviceVerification(userId, deviceId));
  }

  async requestDM(userId, roomId) {
    this.busy();
    return this.outgoing(await this.crypto.requestVerificationDM(userId, roomId));
  }
}
