// Helpers shared by the page's modules.

/** Forwards one event to the driver; `t` is the wall clock in ms, comparable across processes. */
export function emit(ev) {
  ev.t = Date.now();
  try {
    window.__peerEvent(JSON.stringify(ev));
  } catch (e) {
    console.error("peer event lost", e);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves when fn() is truthy, polling every `every` ms, or rejects after `ms`. */
export async function until(fn, ms, what, every = 50) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

/** Like until, for an async fn; an error from fn counts as "not yet" and is reported on timeout. */
export async function untilAsync(fn, ms, what, every = 100) {
  const deadline = Date.now() + ms;
  let last = null;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${last.message ?? last})` : ""}`);
    }
    await sleep(every);
  }
}
