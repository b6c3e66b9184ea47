// The browser half of the Element peer: matrix-js-sdk's legacy 1:1 calls (MatrixCall), the stack Element Web
// uses, and, with `crypto` on, its Rust end-to-end encryption (crypto.js) and rooms/timelines (rooms.js), driven
// by peer.mjs through window.peer. Events go back through window.__peerEvent, a binding the driver installs
// before the page loads.

import {
  createClient,
  ClientEvent,
  CallEvent,
  SyncState,
} from "matrix-js-sdk";
import { E2EE, SecretKeys, initCrypto, waitOwnKeysUploaded } from "./crypto.js";
import { Rooms } from "./rooms.js";
import { RTC } from "./rtc.js";
import { emit, measurePeak, until } from "./util.js";

// matrix-js-sdk's CallErrorCode values (the enum is not exported from the package root).
const UserHangup = "user_hangup";
const UserBusy = "user_busy";

class Peer {
  constructor() {
    this.client = null;
    this.call = null;
    this.opts = {};
    this.e2ee = null;
    this.rooms = null;
    this.rtc = null;
  }

  /**
   * Logs in with an existing access token, fetches TURN credentials and syncs. It returns only once the TURN
   * credentials are in (when TURN is forced) and the first sync is done, so no MatrixCall, inbound or outbound,
   * is ever created without ICE servers: a MatrixCall copies them when it is made.
   */
  async start(opts) {
    if (this.client) throw new Error("already started");
    this.opts = opts;
    const secretKeys = new SecretKeys(opts.recoveryKey);
    const client = createClient({
      baseUrl: opts.baseUrl,
      userId: opts.userId,
      accessToken: opts.accessToken,
      deviceId: opts.deviceId,
      forceTURN: !!opts.forceTURN,
      fallbackICEServerAllowed: false,
      iceCandidatePoolSize: opts.iceCandidatePoolSize ?? 20,
      timelineSupport: false,
      cryptoCallbacks: opts.crypto ? secretKeys.callbacks() : undefined,
    });
    this.client = client;
    let cryptoVersion = "";
    if (opts.crypto) {
      const crypto = await initCrypto(client, opts);
      cryptoVersion = crypto.getVersion();
      this.e2ee = new E2EE(client, opts, secretKeys);
    }
    this.rooms = new Rooms(client, this.e2ee);
    this.rtc = new RTC(client);

    let turn = null;
    let turnError = null;
    client.on(ClientEvent.TurnServers, (servers) => {
      turn = servers;
    });
    client.on(ClientEvent.TurnServersError, (err, fatal) => {
      turnError = `${err}${fatal ? " (fatal)" : ""}`;
    });
    let syncState = null;
    let syncError = null;
    client.on(ClientEvent.Sync, (state, _prev, data) => {
      syncState = state;
      if (state === SyncState.Error) syncError = `${data?.error ?? "sync error"}`;
    });
    client.on("Call.incoming", (call) => this.onIncoming(call));

    await client.startClient({ initialSyncLimit: 1, lazyLoadMembers: false });
    if (!client.supportsVoip()) throw new Error("matrix-js-sdk says this browser cannot do VoIP");

    const timeout = opts.readyTimeoutMs ?? 20000;
    await until(
      () => syncState === SyncState.Prepared || syncState === SyncState.Syncing || syncError,
      timeout,
      "the first sync",
    );
    if (syncError) throw new Error(`sync failed: ${syncError}`);
    if (opts.forceTURN) {
      await until(() => turn || turnError, timeout, "TURN credentials (ClientEvent.TurnServers)");
      if (!turn) throw new Error(`no TURN credentials: ${turnError}`);
    }
    if (opts.crypto) await waitOwnKeysUploaded(client, timeout);
    return { turnServers: (turn ?? []).map((s) => ({ urls: s.urls })), cryptoVersion };
  }

  /** Places a voice (or video) call in roomId and resolves with its call ID once the invite is out. */
  async placeCall(roomId, video) {
    const client = this.mustClient();
    if (this.call && this.call.state !== "ended") throw new Error(`already in call ${this.call.callId}`);
    await until(() => client.getRoom(roomId)?.getMyMembership() === "join", 15000, `being joined to ${roomId}`);
    const call = client.createCall(roomId);
    if (!call) throw new Error("createCall returned nothing (VoIP unsupported?)");
    this.track(call, "outbound");
    const t0 = Date.now();
    if (video) await call.placeVideoCall();
    else await call.placeVoiceCall();
    return { callId: call.callId, placedAt: t0 };
  }

  onIncoming(call) {
    if (this.call && this.call.state !== "ended" && this.call !== call) {
      // One call at a time, as Element's LegacyCallHandler does.
      emit({ event: "busy", callId: call.callId });
      call.hangup(UserBusy, false);
      return;
    }
    this.track(call, "inbound");
    emit({
      event: "incoming",
      callId: call.callId,
      sender: call.getOpponentMember?.()?.userId ?? "",
      roomId: call.roomId,
      video: call.type === "video",
    });
    if (this.opts.autoAnswer) {
      this.answer().catch((e) => emit({ event: "error", callId: call.callId, error: `auto-answer: ${e}` }));
    }
  }

  track(call, direction) {
    this.call = call;
    call.on(CallEvent.State, (state, old) => {
      emit({ event: "state", callId: call.callId, state, old, direction });
    });
    call.on(CallEvent.Hangup, () => {
      emit({ event: "hangup", callId: call.callId, reason: call.hangupReason ?? "", party: call.hangupParty ?? "" });
    });
    call.on(CallEvent.Error, (err) => {
      emit({ event: "error", callId: call.callId, error: `${err?.code ?? ""}: ${err?.message ?? err}` });
    });
    call.on(CallEvent.FeedsChanged, () => this.playRemote(call));
    // An incoming call is already ringing when matrix-js-sdk hands it over.
    if (call.state !== "fledgling") emit({ event: "state", callId: call.callId, state: call.state, old: "", direction });
  }

  /** Plays the remote streams: Chromium decodes remote audio only while something plays it. */
  playRemote(call) {
    if (this.call !== call) return;
    const audio = document.getElementById("remote-audio");
    const video = document.getElementById("remote-video");
    const stream = call.remoteUsermediaStream;
    if (!stream) return;
    if (audio.srcObject !== stream) {
      audio.srcObject = stream;
      audio.play().catch((e) => console.warn("remote audio play:", e));
    }
    if (stream.getVideoTracks().length > 0 && video.srcObject !== stream) {
      video.srcObject = stream;
      video.play().catch((e) => console.warn("remote video play:", e));
    }
  }

  async answer() {
    const call = this.mustCall();
    await call.answer(true, call.type === "video");
    return { callId: call.callId };
  }

  hangup() {
    const call = this.mustCall();
    call.hangup(UserHangup, false);
    return { callId: call.callId };
  }

  reject() {
    const call = this.mustCall();
    call.reject();
    return { callId: call.callId };
  }

  /** A getStats() summary of the current call's peer connection. */
  async stats() {
    const call = this.mustCall();
    const pc = call.peerConn;
    if (!pc) throw new Error("the call has no peer connection yet");
    const report = await pc.getStats();
    const byId = new Map();
    report.forEach((s) => byId.set(s.id, s));
    const out = {
      callId: call.callId,
      state: call.state,
      iceConnectionState: pc.iceConnectionState,
      inboundAudioPackets: 0,
      inboundAudioBytes: 0,
      totalAudioEnergy: 0,
      outboundAudioPackets: 0,
      audioCodec: "",
      inboundVideoFrames: 0,
      videoCodec: "",
      videoWidth: 0,
      videoHeight: 0,
      localCandidateType: "",
      remoteCandidateType: "",
      candidatePairState: "",
      audioPlaying: false,
    };
    let pair = null;
    report.forEach((s) => {
      if (s.type === "transport" && s.selectedCandidatePairId) pair = byId.get(s.selectedCandidatePairId);
    });
    if (!pair) {
      report.forEach((s) => {
        if (s.type === "candidate-pair" && (s.selected || s.nominated) && s.state === "succeeded") pair = s;
      });
    }
    if (pair) {
      out.candidatePairState = pair.state ?? "";
      out.localCandidateType = byId.get(pair.localCandidateId)?.candidateType ?? "";
      out.remoteCandidateType = byId.get(pair.remoteCandidateId)?.candidateType ?? "";
    }
    report.forEach((s) => {
      const codec = s.codecId ? byId.get(s.codecId)?.mimeType ?? "" : "";
      if (s.type === "inbound-rtp" && s.kind === "audio") {
        out.inboundAudioPackets += s.packetsReceived ?? 0;
        out.inboundAudioBytes += s.bytesReceived ?? 0;
        out.totalAudioEnergy += s.totalAudioEnergy ?? 0;
        if (codec) out.audioCodec = codec;
      } else if (s.type === "outbound-rtp" && s.kind === "audio") {
        out.outboundAudioPackets += s.packetsSent ?? 0;
        if (codec && !out.audioCodec) out.audioCodec = codec;
      } else if (s.type === "inbound-rtp" && s.kind === "video") {
        out.inboundVideoFrames += s.framesDecoded ?? 0;
        out.videoWidth = s.frameWidth ?? out.videoWidth;
        out.videoHeight = s.frameHeight ?? out.videoHeight;
        if (codec) out.videoCodec = codec;
      }
    });
    const audio = document.getElementById("remote-audio");
    out.audioPlaying = !!audio.srcObject && !audio.paused;
    return out;
  }

  /**
   * Puts the peer on hold (or takes it off) the way Element's hold button does: transceivers go sendonly and
   * matrix-js-sdk sends m.call.negotiate. Resolves once the peer's answer is applied (signalling stable again).
   */
  async hold(on) {
    const call = this.mustCall();
    const pc = call.peerConn;
    if (!pc) throw new Error("the call has no peer connection yet");
    await this.renegotiate(pc, () => call.setRemoteOnHold(on));
    return {
      signalingState: pc.signalingState,
      remoteOnHold: call.isRemoteOnHold(),
      directions: pc.getTransceivers().map((t) => t.currentDirection ?? ""),
    };
  }

  /**
   * Restarts ICE (as matrix-js-sdk does after ICE fails or disconnects): a new offer with fresh ICE credentials
   * goes out in m.call.negotiate. Resolves once the answer is applied and ICE is connected again.
   */
  async restartIce() {
    const call = this.mustCall();
    const pc = call.peerConn;
    if (!pc) throw new Error("the call has no peer connection yet");
    const ufrag = () => /a=ice-ufrag:(\S+)/.exec(pc.localDescription?.sdp ?? "")?.[1] ?? "";
    const remoteUfrag = () => /a=ice-ufrag:(\S+)/.exec(pc.remoteDescription?.sdp ?? "")?.[1] ?? "";
    const before = { local: ufrag(), remote: remoteUfrag() };
    await this.renegotiate(pc, () => pc.restartIce());
    await until(() => ["connected", "completed"].includes(pc.iceConnectionState), 20000, "ICE to reconnect");
    return {
      localUfragBefore: before.local,
      localUfragAfter: ufrag(),
      remoteUfragBefore: before.remote,
      remoteUfragAfter: remoteUfrag(),
      iceConnectionState: pc.iceConnectionState,
      state: call.state,
    };
  }

  /** Runs change(), waits for the local offer it causes, then for the remote answer (signalling stable). */
  async renegotiate(pc, change) {
    let offered = false;
    const onChange = () => {
      if (pc.signalingState === "have-local-offer") offered = true;
    };
    pc.addEventListener("signalingstatechange", onChange);
    try {
      change();
      await until(() => offered, 10000, "matrix-js-sdk's renegotiation offer");
      await until(() => pc.signalingState === "stable", 20000, "the peer's answer to m.call.negotiate");
    } finally {
      pc.removeEventListener("signalingstatechange", onChange);
    }
  }

  /**
   * Measures the remote audio's spectrum for about `ms` milliseconds and returns the strongest frequency, so a
   * test can check which tone the peer sends.
   */
  async peakFrequency(ms = 1000) {
    const call = this.mustCall();
    const stream = call.remoteUsermediaStream;
    if (!stream || stream.getAudioTracks().length === 0) throw new Error("no remote audio stream");
    return measurePeak(stream, ms);
  }

  async stop() {
    await this.rtc?.stop();
    if (this.call && this.call.state !== "ended") this.call.hangup(UserHangup, false);
    this.client?.stopClient();
  }

  mustClient() {
    if (!this.client) throw new Error("not started");
    return this.client;
  }

  mustE2EE() {
    if (!this.e2ee) throw new Error("crypto is off (start with crypto: true)");
    return this.e2ee;
  }

  mustRooms() {
    if (!this.rooms) throw new Error("not started");
    return this.rooms;
  }

  // Rooms and messages (with or without crypto).
  createEncryptedDM(userId) {
    return this.mustRooms().createEncryptedDM(userId);
  }
  enableEncryption(roomId) {
    return this.mustRooms().enableEncryption(roomId);
  }
  joinRoom(room) {
    return this.mustRooms().joinRoom(room);
  }
  sendText(roomId, body) {
    return this.mustRooms().sendText(roomId, body);
  }
  messages(roomId) {
    return this.mustRooms().messages(roomId);
  }
  callEvents(roomId) {
    return this.mustRooms().callEvents(roomId);
  }

  // MatrixRTC calls (rtc.js).
  rtcJoin(opts) {
    return this.mustRTC().join(opts);
  }
  rtcLeave() {
    return this.mustRTC().leave();
  }
  rtcState(roomId) {
    return this.mustRTC().state(roomId);
  }
  rtcPeakFrequency(identity, ms) {
    return this.mustRTC().peakFrequency(identity, ms ?? 1000);
  }
  rtcDecline(roomId, eventId) {
    return this.mustRTC().decline(roomId, eventId);
  }

  mustRTC() {
    if (!this.rtc) throw new Error("not started");
    return this.rtc;
  }

  // End-to-end encryption.
  bootstrapCrossSigning() {
    return this.mustE2EE().bootstrap();
  }
  setOnlySignedDevices(on) {
    this.mustE2EE().setOnlySignedDevices(on);
    return {};
  }
  deviceVerification(userId, deviceId) {
    return this.mustE2EE().deviceVerification(userId, deviceId);
  }
  userVerified(userId) {
    return this.mustE2EE().userVerified(userId);
  }
  restoreKeyBackup() {
    return this.mustE2EE().restoreKeyBackup();
  }
  backupInfo() {
    return this.mustE2EE().backupInfo();
  }
  exportKeys(passphrase, rounds) {
    return this.mustE2EE().exportKeys(passphrase, rounds);
  }
  importKeys(text, passphrase) {
    return this.mustE2EE().importKeys(text, passphrase);
  }

  // Verification: one request at a time.
  acceptVerification() {
    return this.mustE2EE().verifications.accept();
  }
  startSas() {
    return this.mustE2EE().verifications.startSas();
  }
  confirmSas() {
    return this.mustE2EE().verifications.confirmSas();
  }
  mismatchSas() {
    return this.mustE2EE().verifications.mismatchSas();
  }
  cancelVerification() {
    return this.mustE2EE().verifications.cancel();
  }
  requestOwnVerification() {
    return this.mustE2EE().verifications.requestOwn();
  }
  requestDeviceVerification(userId, deviceId) {
    return this.mustE2EE().verifications.requestDevice(userId, deviceId);
  }
  requestVerificationDM(userId, roomId) {
    return this.mustE2EE().verifications.requestDM(userId, roomId);
  }

  mustCall() {
    if (!this.call) throw new Error("no call");
    return this.call;
  }
}

window.peer = new Peer();
window.peerLoaded = true;
