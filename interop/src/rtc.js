// An Element X–shaped MatrixRTC peer: matrix-js-sdk's MatrixRTCSession for the signalling (compatibility-mode
// call.member state events, ring notifications, per-participant media keys over Olm-encrypted to-device) and
// livekit-client for the media, configured as the team's MatrixRTC spec (matrixrtc.md, sections 2.1–2.8)
// describes Element Call: one LiveKit connection per distinct SFU service among the members, our microphone
// published on our own service's SFU (Opus, red off, dtx on), every participant's audio subscribed, and, in an
// encrypted call, a key provider with Element Call's settings fed with the session's keys. Written from the
// spec, not from Element Call's code.

import { EventType } from "matrix-js-sdk";
import { MatrixRTCSessionEvent, MatrixRTCSessionManagerEvents } from "matrix-js-sdk/lib/matrixrtc/index.js";
import { BaseKeyProvider, Room as LiveKitRoom, RoomEvent, Track } from "livekit-client";
import { emit, measurePeak, until } from "./util.js";

const NotificationTypes = new Set([EventType.RTCNotification, EventType.CallNotify]);

/**
 * Element Call's media key provider: a keyring per participant identity (256 slots), receivers ratchet up to
 * 10 times on a decryption failure, and each raw 16-byte key is imported as HKDF material so the worker
 * derives the AES-128-GCM frame key with LiveKit's salt.
 */
class MatrixKeyProvider extends BaseKeyProvider {
  constructor() {
    super({ ratchetWindowSize: 10, keyringSize: 256 });
  }

  async setRawKey(raw, identity, index) {
    const material = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveBits", "deriveKey"]);
    this.onSetEncryptionKey(material, identity, index);
  }
}

/** One LiveKit connection: to the SFU of one livekit_service_url. */
class Connection {
  constructor(rtc, serviceUrl, own) {
    this.rtc = rtc;
    this.serviceUrl = serviceUrl;
    this.own = own;
    this.keyProvider = null;
    this.room = null;
    this.url = "";
    this.decryptionErrors = new Map(); // identity -> count
    this.firstAudio = new Set(); // identities whose decoded audio was reported
  }

  async connect(roomId, encrypted) {
    const { url, jwt } = await this.rtc.sfuGet(this.serviceUrl, roomId);
    this.url = url;
    const options = { adaptiveStream: false, dynacast: false };
    if (encrypted) {
      this.keyProvider = new MatrixKeyProvider();
      // A worker per connection: an E2EE manager owns its worker.
      options.e2ee = { keyProvider: this.keyProvider, worker: new Worker("/e2ee-worker.js") };
    }
    const room = new LiveKitRoom(options);
    this.room = room;
    room.on(RoomEvent.TrackSubscribed, (track, _pub, participant) => {
      if (track.kind !== Track.Kind.Audio) return;
      // Chromium decodes remote audio only while something plays it.
      const el = track.attach();
      el.dataset.identity = participant.identity;
      document.body.appendChild(el);
      emit({ event: "rtc.track", identity: participant.identity, service: this.serviceUrl });
    });
    room.on(RoomEvent.TrackUnsubscribed, (track) => track.detach().forEach((el) => el.remove()));
    room.on(RoomEvent.EncryptionError, (err, participant) => {
      const id = participant?.identity ?? "";
      this.decryptionErrors.set(id, (this.decryptionErrors.get(id) ?? 0) + 1);
      console.warn(`encryption error (${id}): ${err?.message ?? err}`);
    });
    room.on(RoomEvent.Disconnected, (reason) =>
      emit({ event: "rtc.disconnected", service: this.serviceUrl, reason: String(reason ?? "") }),
    );
    if (encrypted) {
      for (const k of this.rtc.keys) await this.keyProvider.setRawKey(k.key, k.identity, k.index);
      await room.setE2EEEnabled(true);
    }
    await room.connect(url, jwt, { autoSubscribe: true });
    if (this.own) {
      // As Element Call publishes audio: Opus without RED, with DTX.
      await room.localParticipant.setMicrophoneEnabled(true, undefined, { red: false, dtx: true });
    }
  }

  async disconnect() {
    await this.room?.disconnect();
    this.room = null;
  }

  remoteAudio(identity) {
    const p = this.room?.remoteParticipants.get(identity);
    if (!p) return null;
    for (const pub of p.audioTrackPublications.values()) if (pub.track) return { participant: p, pub };
    return null;
  }
}

/** The MatrixRTC side of the page: at most one call at a time. */
export class RTC {
  constructor(client) {
    this.client = client;
    this.call = null; // {roomId, session, encrypted, joinedAt, connections: Map(serviceUrl -> Connection)}
    this.keys = []; // every key the session gave us: {key, index, identity}
    this.keysReceived = new Map(); // identity -> count
    this.watched = new WeakSet();
    this.poller = null;
    // Media-key to-device messages received per room, by whether they came Olm-encrypted.
    this.toDeviceKeys = new Map(); // roomId -> {encrypted, plaintext}

    client.on("receivedToDeviceMessage", ({ message, encryptionInfo }) => {
      if (message?.type !== EventType.CallEncryptionKeysPrefix) return;
      const roomId = String(message.content?.room_id ?? "");
      const n = this.toDeviceKeys.get(roomId) ?? { encrypted: 0, plaintext: 0 };
      if (encryptionInfo) n.encrypted++;
      else n.plaintext++;
      this.toDeviceKeys.set(roomId, n);
    });
    client.matrixRTC.on(MatrixRTCSessionManagerEvents.SessionStarted, (_roomId, session) => this.watch(session));
    client.on("Room.timeline", (ev, _room, toStart, _removed, data) => {
      if (toStart || !data?.liveEvent) return;
      this.onTimelineEvent(ev).catch((e) => console.warn("rtc timeline event:", e));
    });
  }

  /** Reports every membership change of a room's session as an rtc.members event (once per session). */
  watch(session) {
    if (this.watched.has(session)) return;
    this.watched.add(session);
    session.on(MatrixRTCSessionEvent.MembershipsChanged, (_old, now) => {
      emit({ event: "rtc.members", roomId: session.room.roomId, members: now.map(describeMember) });
      if (this.call?.session === session) this.syncConnections().catch((e) => console.warn("rtc connections:", e));
    });
  }

  async onTimelineEvent(ev) {
    if (ev.isEncrypted()) await this.client.decryptEventIfNeeded(ev);
    const type = ev.getType();
    if (ev.getSender() === this.client.getUserId()) return;
    const content = ev.getContent();
    if (NotificationTypes.has(type)) {
      const kind = content.notification_type ?? content.notify_type ?? "";
      if (kind !== "ring") return;
      emit({
        event: "rtc.ring",
        roomId: ev.getRoomId(),
        sender: ev.getSender(),
        eventId: ev.getId(),
        type,
        intent: content["m.call.intent"] ?? "",
        lifetime: content.lifetime ?? 0,
        encrypted: ev.isEncrypted(),
      });
    } else if (type === EventType.RTCDecline) {
      emit({
        event: "rtc.decline",
        roomId: ev.getRoomId(),
        sender: ev.getSender(),
        eventId: ev.getId(),
        notificationId: content["m.relates_to"]?.event_id ?? "",
      });
    }
  }

  /**
   * Finds the homeserver's LiveKit transport: the MSC4143 endpoint, else the well-known's
   * org.matrix.msc4143.rtc_foci, as Element Web does.
   */
  async transport() {
    const pick = (list) => (list ?? []).find((t) => t?.type === "livekit" && typeof t.livekit_service_url === "string");
    try {
      const t = pick(await this.client._unstable_getRTCTransports());
      if (t) return { service: t.livekit_service_url, source: "transports" };
    } catch (e) {
      console.info(`rtc/transports: ${e?.message ?? e}; trying the well-known`);
    }
    const res = await fetch(new URL("/.well-known/matrix/client", this.client.baseUrl));
    if (res.ok) {
      const t = pick((await res.json())["org.matrix.msc4143.rtc_foci"]);
      if (t) return { service: t.livekit_service_url, source: "well-known" };
    }
    throw new Error("the homeserver advertises no LiveKit transport");
  }

  /** POSTs {service}/sfu/get with an OpenID token, as compatibility mode does: {url, jwt}. */
  async sfuGet(service, roomId) {
    const openid = await this.client.getOpenIdToken();
    const res = await fetch(new URL("sfu/get", service.endsWith("/") ? service : service + "/"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ room: roomId, openid_token: openid, device_id: this.client.getDeviceId() }),
    });
    if (!res.ok) throw new Error(`${service}/sfu/get: HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
    const body = await res.json();
    if (typeof body.url !== "string" || typeof body.jwt !== "string") throw new Error("sfu/get: no url or jwt");
    return body;
  }

  /**
   * Joins the room's MatrixRTC session as Element Call in compatibility mode does: membership with
   * focus_active {livekit, multi_sfu} and our transport (livekit_alias = the room ID) first in foci_preferred;
   * keys (when encrypted) over to-device only; a ring notification if asked. Then connects to our SFU and
   * publishes the microphone. Resolves with when the join started (ms) and the transport used.
   */
  async join({ roomId, intent, ring, encrypted }) {
    if (this.call) throw new Error(`already in a call in ${this.call.roomId}`);
    const client = this.client;
    const joinedAt = Date.now();
    await until(() => client.getRoom(roomId)?.getMyMembership() === "join", 15000, `being joined to ${roomId}`);
    const room = client.getRoom(roomId);
    const { service, source } = await this.transport();
    const session = client.matrixRTC.getRoomSession(room);
    this.watch(session);
    const call = { roomId, session, encrypted: !!encrypted, joinedAt, service, connections: new Map() };
    this.call = call;
    this.keys = [];
    this.keysReceived = new Map();
    session.on(MatrixRTCSessionEvent.EncryptionKeyChanged, (this.onKey = (key, index, membership, identity) => {
      this.keysReceived.set(identity, (this.keysReceived.get(identity) ?? 0) + 1);
      this.keys.push({ key, index, identity });
      emit({ event: "rtc.key", identity, index, userId: membership.userId, deviceId: membership.deviceId });
      for (const c of call.connections.values()) {
        c.keyProvider?.setRawKey(key, identity, index).catch((e) => console.warn("setting a media key:", e));
      }
    }));
    const userId = client.getUserId();
    const deviceId = client.getDeviceId();
    const transport = { type: "livekit", livekit_service_url: service, livekit_alias: roomId };
    session.joinRTCSession({ userId, deviceId, memberId: `${userId}:${deviceId}` }, [], transport, {
      manageMediaKeys: !!encrypted,
      callIntent: intent === "video" ? "video" : "audio",
      notificationType: ring ? "ring" : undefined,
      delayedLeaveEventDelayMs: 10000,
    });
    const own = new Connection(this, service, true);
    call.connections.set(service, own);
    await own.connect(roomId, !!encrypted);
    await this.syncConnections();
    this.startAudioWatch();
    return { joinedAt, service, transportSource: source, livekitUrl: own.url, identity: `${userId}:${deviceId}` };
  }

  /** Opens a subscribe-only connection to each other members' SFU service we are not connected to yet. */
  async syncConnections() {
    const call = this.call;
    if (!call) return;
    const oldest = call.session.getOldestMembership();
    for (const m of call.session.memberships) {
      const t = oldest ? m.getTransport(oldest) : undefined;
      const service = t?.livekit_service_url;
      if (typeof service !== "string" || call.connections.has(service)) continue;
      const c = new Connection(this, service, false);
      call.connections.set(service, c);
      await c.connect(call.roomId, call.encrypted);
    }
  }

  /** Emits rtc.audio the first time each remote participant's audio decodes with energy. */
  startAudioWatch() {
    const tick = async () => {
      const call = this.call;
      if (!call) return;
      for (const c of call.connections.values()) {
        for (const p of c.room?.remoteParticipants.values() ?? []) {
          if (c.firstAudio.has(p.identity)) continue;
          const s = await audioStats(c, p.identity);
          if (s && s.decodedEnergy > 0) {
            c.firstAudio.add(p.identity);
            emit({ event: "rtc.audio", identity: p.identity, sinceJoinMs: Date.now() - call.joinedAt });
          }
        }
      }
    };
    this.poller = setInterval(() => tick().catch(() => {}), 100);
  }

  /** Leaves the session (membership {} and the key transport stopped) and disconnects from every SFU. */
  async leave() {
    const call = this.mustCall();
    this.call = null;
    clearInterval(this.poller);
    call.session.off(MatrixRTCSessionEvent.EncryptionKeyChanged, this.onKey);
    await Promise.all([...call.connections.values()].map((c) => c.disconnect().catch(() => {})));
    const left = await call.session.leaveRoomSession(10000);
    return { left };
  }

  /** Declines a ring notification (MSC4310). */
  async decline(roomId, eventId) {
    const res = await this.client.sendEvent(roomId, EventType.RTCDecline, {
      "m.relates_to": { rel_type: "m.reference", event_id: eventId },
    });
    return { eventId: res.event_id };
  }

  /** The session's members, the keys received per identity, and each remote participant's audio. */
  async state(roomId) {
    const call = this.call;
    const id = roomId || call?.roomId;
    if (!id) throw new Error("no call and no roomId");
    const room = this.client.getRoom(id);
    if (!room) throw new Error(`unknown room ${id}`);
    const session = this.client.matrixRTC.getRoomSession(room);
    const out = {
      roomId: id,
      joined: session.isJoined(),
      members: session.memberships.map(describeMember),
      keysReceived: Object.fromEntries(this.keysReceived),
      toDeviceKeys: { encrypted: 0, plaintext: 0, ...this.toDeviceKeys.get(id) },
      connections: [],
      participants: [],
    };
    if (!call || call.roomId !== id) return out;
    for (const c of call.connections.values()) {
      out.connections.push({ service: c.serviceUrl, url: c.url, own: c.own, state: c.room?.state ?? "closed" });
      for (const p of c.room?.remoteParticipants.values() ?? []) {
        const s = await audioStats(c, p.identity);
        out.participants.push({
          identity: p.identity,
          service: c.serviceUrl,
          audioTrack: !!s,
          decodedEnergy: s?.decodedEnergy ?? 0,
          audioLevel: s?.audioLevel ?? 0,
          packetsReceived: s?.packetsReceived ?? 0,
          encrypted: p.isEncrypted,
          decryptionErrors: c.decryptionErrors.get(p.identity) ?? 0,
        });
      }
    }
    return out;
  }

  /** The strongest frequency of one participant's audio over about ms milliseconds (WebAudio). */
  async peakFrequency(identity, ms) {
    const call = this.mustCall();
    for (const c of call.connections.values()) {
      const a = c.remoteAudio(identity);
      if (a) return measurePeak(new MediaStream([a.pub.track.mediaStreamTrack]), ms);
    }
    throw new Error(`no audio track from ${identity}`);
  }

  async stop() {
    if (this.call) await this.leave().catch(() => {});
  }

  mustCall() {
    if (!this.call) throw new Error("not in a MatrixRTC call");
    return this.call;
  }
}

function describeMember(m) {
  const t = m.transports?.[0];
  return {
    userId: m.userId,
    deviceId: m.deviceId,
    identity: m.rtcBackendIdentity,
    service: t?.livekit_service_url ?? "",
    intent: m.callIntent ?? "",
  };
}

/** The inbound audio stats of one remote participant on a connection, or null without an audio track. */
async function audioStats(conn, identity) {
  const a = conn.remoteAudio(identity);
  if (!a) return null;
  const report = await a.pub.track.getRTCStatsReport();
  const out = { decodedEnergy: 0, audioLevel: 0, packetsReceived: 0 };
  report?.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "audio") {
      out.decodedEnergy += s.totalAudioEnergy ?? 0;
      out.audioLevel = Math.max(out.audioLevel, s.audioLevel ?? 0);
      out.packetsReceived += s.packetsReceived ?? 0;
    }
  });
  return out;
}
