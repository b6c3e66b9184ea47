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

/**
 * Measures a stream's audio spectrum with a WebAudio AnalyserNode for about `ms` milliseconds and returns the
 * strongest frequency (averaged power per bin) and its share of the total power.
 */
export async function measurePeak(stream, ms = 1000) {
  const ctx = new AudioContext();
  try {
    await ctx.resume();
    const src = ctx.createMediaStreamSource(stream);
    const an = ctx.createAnalyser();
    an.fftSize = 8192;
    an.smoothingTimeConstant = 0;
    src.connect(an);
    const sum = new Float64Array(an.frequencyBinCount);
    const frame = new Float32Array(an.frequencyBinCount);
    let frames = 0;
    const end = Date.now() + ms;
    while (Date.now() < end) {
      await sleep(50);
      an.getFloatFrequencyData(frame);
      for (let i = 0; i < frame.length; i++) sum[i] += Math.pow(10, frame[i] / 10);
      frames++;
    }
    let best = 1;
    for (let i = 1; i < sum.length; i++) if (sum[i] > sum[best]) best = i;
    const total = sum.reduce((a, b) => a + b, 0);
    return {
      hz: (best * ctx.sampleRate) / an.fftSize,
      share: total > 0 ? (sum[best - 1] + sum[best] + (sum[best + 1] ?? 0)) / total : 0,
      frames,
      contextState: ctx.state,
    };
  } finally {
    await ctx.close();
  }
}
