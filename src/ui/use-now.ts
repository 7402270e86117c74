import { useEffect, useState } from 'react';

/** The current time, refreshed every `intervalMs` (uptime, ages, running calls' elapsed time). */
export function useNow(intervalMs = 1000, now: () => number = Date.now): number {
  const [value, setValue] = useState(now);
  useEffect(() => {
    const timer = setInterval(() => setValue(now()), intervalMs);
    // A clock on screen is no reason to keep the process alive.
    timer.unref?.();
    return () => clearInterval(timer);
  }, [intervalMs, now]);
  return value;
}
