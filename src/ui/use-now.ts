import { useEffect, useRef, useState } from 'react';

/**
 * The current time, refreshed every `intervalMs` (uptime, ages, running calls' elapsed time). A tick
 * that would come less than `intervalMs` after the last frame drawn for another reason (a published
 * snapshot, a key) is skipped: that frame already showed a fresh enough time, and under load every
 * frame costs the gateway's process (issue 13's cost budget), so the clock adds no frames of its own.
 */
export function useNow(intervalMs = 1000, now: () => number = Date.now): number {
  const [value, setValue] = useState(now);
  const drawnAt = useRef(now());
  // Runs on every render of the component that uses the clock, whatever caused it.
  useEffect(() => {
    drawnAt.current = now();
  });
  useEffect(() => {
    const timer = setInterval(() => {
      const t = now();
      if (t - drawnAt.current >= intervalMs * 0.9) setValue(t);
    }, intervalMs);
    // A clock on screen is no reason to keep the process alive.
    timer.unref?.();
    return () => clearInterval(timer);
  }, [intervalMs, now]);
  // A frame drawn for another reason shows the time it is drawn at, not the last tick's.
  return Math.max(value, now());
}
