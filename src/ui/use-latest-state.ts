import { useCallback, useRef, useState } from 'react';

/**
 * State whose latest value is readable at once: keys can arrive faster than renders (key repeat,
 * paste), so a key handler must build on the previous key's result, not on its render's closure.
 */
export function useLatestState<T>(initial: T | (() => T)): [{ readonly current: T }, (update: (prev: T) => T) => void] {
  const [value, setValue] = useState(initial);
  const ref = useRef(value);
  const set = useCallback((update: (prev: T) => T) => {
    ref.current = update(ref.current);
    setValue(ref.current);
  }, []);
  return [ref, set];
}
