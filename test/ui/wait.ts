/**
 * Bounded polling for UI tests: a key's effect is rendered on a later turn of the event loop, and on a
 * loaded machine that can be well after any fixed delay. Throws with the last frame when it gives up.
 */
export async function until(frame: () => string, predicate: (frame: string) => boolean, what: string, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = frame();
    if (predicate(f)) return f;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last frame:\n${f}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The selected row (marked ›) of a frame. */
export function selectedLine(frame: string): string {
  return frame.split('\n').find((l) => l.startsWith('› ')) ?? '';
}
