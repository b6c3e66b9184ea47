// Driver for one Element peer: matrix-js-sdk in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core). It speaks JSON lines: commands on stdin ({"id":1,"cmd":"start",...}), and on stdout
// replies ({"id":1,"ok":true,"result":{...}} or {"id":1,"ok":false,"error":"..."}) and events from the page
// ({"event":"state","state":"connected",...}). Diagnostics go to stderr. Stdin closing, a "close" command,
// SIGTERM or SIGINT shut Chromium down and remove the profile directory.
//
// Commands: start {baseUrl,userId,accessToken,deviceId,forceTURN,autoAnswer,crypto,password,recoveryKey,
// fastKeyBackup}, placeCall {roomId,video}, autoAnswer {on}, answer, hangup, reject, stats, peakFrequency {ms},
// hold {on}, restartIce, close; rtcJoin {roomId,intent,ring,encrypted} and the MatrixRTC, room and E2EE
// commands in pageCommands below. With --profile-dir DIR,
// Chromium's profile goes to DIR (which the caller then removes); otherwise to a fresh temporary directory
// removed on exit. With --fake-audio-file WAV, the fake microphone plays that file in a loop instead of beeping.

import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { ensureBuilt } from "./build.mjs";

const here = dirname(fileURLToPath(import.meta.url));
// The Rust crypto WASM: the bundle fetches it from new URL("./pkg/matrix_sdk_crypto_wasm_bg.wasm", import.meta.url).
const wasmPath = join(here, "node_modules", "@matrix-org", "matrix-sdk-crypto-wasm", "pkg", "matrix_sdk_crypto_wasm_bg.wasm");
const chromiumPath = process.env.TERMATRIX_CHROMIUM || "/usr/bin/chromium";

const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  "--autoplay-policy=no-user-gesture-required",
];

let profileDir = null;
let ownProfileDir = false;
let context = null;
let page = null;
let server = null;
let closing = false;

function send(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function log(...args) {
  process.stderr.write(args.join(" ") + "\n");
}

/** Serves the page and the bundle on 127.0.0.1 (an http origin the browser treats as secure). */
async function serve({ page: bundlePath, worker: workerPath }) {
  const index = readFileSync(join(here, "src", "index.html"));
  const bundle = readFileSync(bundlePath);
  const worker = readFileSync(workerPath);
  let wasm = null;
  server = createServer((req, res) => {
    const path = new URL(req.url, "http://127.0.0.1").pathname;
    if (path === "/" || path === "/index.html") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(index);
    } else if (path === "/favicon.ico") {
      res.writeHead(204);
      res.end();
    } else if (path === "/page.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
      res.end(bundle);
    } else if (path === "/e2ee-worker.js") {
      // livekit-client's E2EE worker (frame encryption for MatrixRTC calls), a classic script.
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
      res.end(worker);
    } else if (path === "/pkg/matrix_sdk_crypto_wasm_bg.wasm") {
      // Read on first use only: peers without crypto never load it. application/wasm for instantiateStreaming.
      wasm ??= readFileSync(wasmPath);
      res.writeHead(200, { "content-type": "application/wasm" });
      res.end(wasm);
    } else {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return `http://127.0.0.1:${server.address().port}/`;
}

function argValue(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function launch() {
  const built = await ensureBuilt();
  const args = [...chromiumArgs];
  const audioFile = argValue("--fake-audio-file");
  if (audioFile) args.push(`--use-file-for-fake-audio-capture=${audioFile}`);
  const url = await serve(built);
  const given = argValue("--profile-dir");
  if (given) {
    profileDir = given; // owned (and removed) by the caller
  } else {
    profileDir = mkdtempSync(join(tmpdir(), "termatrix-elementpeer-"));
    ownProfileDir = true;
  }
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args,
    permissions: ["microphone", "camera"],
  });
  page = context.pages()[0] ?? (await context.newPage());
  await page.exposeFunction("__peerEvent", (json) => {
    try {
      send(JSON.parse(json));
    } catch (e) {
      log("bad event from page:", e);
    }
  });
  page.on("console", (msg) => log(`[page ${msg.type()}]`, msg.text()));
  page.on("pageerror", (err) => log("[page error]", err?.message, err?.stack ?? String(err)));
  page.on("crash", () => {
    log("[page crashed]");
    send({ event: "crash" });
  });
  await page.goto(url);
  await page.waitForFunction(() => window.peerLoaded === true, null, { timeout: 30000 });
}

async function callPage(method, args) {
  if (!page) throw new Error("not started");
  return page.evaluate(([m, a]) => window.peer[m](...a), [method, args]);
}

// Commands that call the page method of the same name with these message fields as arguments.
const pageCommands = {
  createEncryptedDM: ["userId"],
  enableEncryption: ["roomId"],
  joinRoom: ["room"],
  sendText: ["roomId", "body"],
  messages: ["roomId"],
  callEvents: ["roomId"],
  bootstrapCrossSigning: [],
  setOnlySignedDevices: ["on"],
  deviceVerification: ["userId", "deviceId"],
  userVerified: ["userId"],
  restoreKeyBackup: [],
  backupInfo: [],
  exportKeys: ["passphrase", "rounds"],
  importKeys: ["text", "passphrase"],
  acceptVerification: [],
  startSas: [],
  confirmSas: [],
  mismatchSas: [],
  cancelVerification: [],
  requestOwnVerification: [],
  requestDeviceVerification: ["userId", "deviceId"],
  requestVerificationDM: ["userId", "roomId"],
  rtcLeave: [],
  rtcState: ["roomId"],
  rtcPeakFrequency: ["identity", "ms"],
  rtcDecline: ["roomId", "eventId"],
};

async function handle(msg) {
  if (Object.hasOwn(pageCommands, msg.cmd)) {
    return callPage(msg.cmd, pageCommands[msg.cmd].map((k) => msg[k] ?? null));
  }
  switch (msg.cmd) {
    case "start": {
      if (!page) await launch();
      const opts = {
        baseUrl: msg.baseUrl,
        userId: msg.userId,
        accessToken: msg.accessToken,
        deviceId: msg.deviceId,
        forceTURN: !!msg.forceTURN,
        autoAnswer: !!msg.autoAnswer,
        crypto: !!msg.crypto,
        password: msg.password ?? "",
        recoveryKey: msg.recoveryKey ?? "",
        fastKeyBackup: !!msg.fastKeyBackup,
      };
      return callPage("start", [opts]);
    }
    case "placeCall":
      return callPage("placeCall", [msg.roomId, !!msg.video]);
    case "autoAnswer":
      return page.evaluate((on) => {
        window.peer.opts.autoAnswer = on;
      }, !!msg.on);
    case "answer":
    case "hangup":
    case "reject":
    case "stats":
      return callPage(msg.cmd, []);
    case "hold":
      return callPage("hold", [!!msg.on]);
    case "restartIce":
      return callPage("restartIce", []);
    case "rtcJoin":
      return callPage("rtcJoin", [
        { roomId: msg.roomId, intent: msg.intent ?? "audio", ring: !!msg.ring, encrypted: !!msg.encrypted },
      ]);
    case "peakFrequency":
      return callPage("peakFrequency", [msg.ms ?? 1000]);
    case "close":
      await shutdown(0);
      return null;
    default:
      throw new Error(`unknown command ${JSON.stringify(msg.cmd)}`);
  }
}

async function shutdown(code) {
  if (closing) return;
  closing = true;
  try {
    if (page) await page.evaluate(() => window.peer?.stop()).catch(() => {});
    if (context) await context.close().catch(() => {});
  } finally {
    server?.close();
    if (profileDir && ownProfileDir) rmSync(profileDir, { recursive: true, force: true });
    process.exit(code);
  }
}

process.on("SIGTERM", () => void shutdown(0));
process.on("SIGINT", () => void shutdown(0));

const rl = createInterface({ input: process.stdin });
rl.on("line", async (line) => {
  if (!line.trim()) return;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch (e) {
    send({ ok: false, error: `bad command line: ${e.message}` });
    return;
  }
  try {
    const result = await handle(msg);
    send({ id: msg.id, ok: true, result: result ?? null });
  } catch (e) {
    send({ id: msg.id, ok: false, error: String(e?.message ?? e) });
  }
});
rl.on("close", () => void shutdown(0));
send({ event: "ready" });
