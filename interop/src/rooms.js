// Rooms and timelines for the peer: direct chats as Element makes them, text messages, and the room's
// timeline as the user would see it (decrypted where possible, with Element's shields).

import { until, untilAsync } from "./util.js";

const MEGOLM = "m.megolm.v1.aes-sha2";

export class Rooms {
  /** e2ee is the E2EE helper, or null when the peer runs without crypto. */
  constructor(client, e2ee) {
    this.client = client;
    this.e2ee = e2ee;
  }

  async waitJoined(roomId, ms = 20000) {
    await until(() => this.client.getRoom(roomId)?.getMyMembership() === "join", ms, `being joined to ${roomId}`);
    return this.client.getRoom(roomId);
  }

  async waitEncrypted(roomId, ms = 20000) {
    const crypto = this.client.getCrypto();
    if (!crypto) return;
    await untilAsync(() => crypto.isEncryptionEnabledInRoom(roomId), ms, `encryption to be on in ${roomId}`);
  }

  /**
   * A direct chat as Element creates one: private, trusted_private_chat, is_direct, the other user invited,
   * encrypted from the start (initial m.room.encryption state), and recorded in m.direct account data.
   */
  async createEncryptedDM(userId) {
    const { room_id: roomId } = await this.client.createRoom({
      preset: "trusted_private_chat",
      visibility: "private",
      is_direct: true,
      invite: [userId],
      initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: MEGOLM } }],
    });
    const direct = { ...(this.client.getAccountData("m.direct")?.getContent() ?? {}) };
    const rooms = new Set(direct[userId] ?? []);
    rooms.add(roomId);
    direct[userId] = [...rooms];
    await this.client.setAccountData("m.direct", direct);
    await this.waitJoined(roomId);
    await this.waitEncrypted(roomId);
    return { roomId };
  }

  async enableEncryption(roomId) {
    await this.waitJoined(roomId);
    await this.client.sendStateEvent(roomId, "m.room.encryption", { algorithm: MEGOLM }, "");
    await this.waitEncrypted(roomId);
    return { roomId };
  }

  async joinRoom(roomIdOrAlias) {
    const known = this.client.getRoom(roomIdOrAlias);
    if (known?.getMyMembership() === "join") return { roomId: known.roomId };
    const room = await this.client.joinRoom(roomIdOrAlias);
    await this.waitJoined(room.roomId);
    return { roomId: room.roomId };
  }

  async sendText(roomId, body) {
    await this.waitJoined(roomId);
    const res = await this.client.sendTextMessage(roomId, body);
    return { eventId: res.event_id };
  }

  /** Scrolls back until the room's creation (or the server has nothing older), so history is in the timeline. */
  async scrollbackToStart(room) {
    const timeline = room.getLiveTimeline();
    for (let i = 0; i < 20; i++) {
      if (timeline.getEvents().some((e) => e.getType() === "m.room.create")) return;
      if (room.oldState.paginationToken === null) return;
      const before = timeline.getEvents().length;
      await this.client.scrollback(room, 50);
      if (timeline.getEvents().length === before) return;
    }
  }

  /** The room's non-state events, oldest first, each once decryption has been tried. */
  async timeline(roomId) {
    const room = await this.waitJoined(roomId);
    await this.scrollbackToStart(room);
    const events = room
      .getLiveTimeline()
      .getEvents()
      .filter((e) => !e.isState());
    await Promise.all(events.map((e) => this.client.decryptEventIfNeeded(e).catch(() => {})));
    return events;
  }

  async messages(roomId) {
    const events = await this.timeline(roomId);
    return Promise.all(
      events.map(async (e) => ({
        eventId: e.getId() ?? "",
        sender: e.getSender() ?? "",
        type: e.getType(),
        msgtype: e.getContent()?.msgtype ?? "",
        body: typeof e.getContent()?.body === "string" ? e.getContent().body : "",
        encrypted: e.isEncrypted(),
        decryptionFailure: e.isDecryptionFailure(),
        failureReason: e.decryptionFailureReason ?? "",
        senderDevice: this.e2ee && e.isEncrypted() && !e.isDecryptionFailure() ? await this.e2ee.senderDevice(e) : "",
        shield: this.e2ee ? await this.e2ee.shield(e) : "",
        ts: e.getTs(),
      })),
    );
  }

  /** Every m.call.* event in the room's timeline, by decrypted type, and whether it was encrypted. */
  async callEvents(roomId) {
    const events = await this.timeline(roomId);
    return events
      .filter((e) => e.getType().startsWith("m.call."))
      .map((e) => ({
        eventId: e.getId() ?? "",
        type: e.getType(),
        sender: e.getSender() ?? "",
        encrypted: e.isEncrypted(),
        callId: e.getContent()?.call_id ?? "",
      }));
  }
}
