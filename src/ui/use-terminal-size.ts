import { useEffect, useState } from 'react';
import { useStdout } from 'ink';

export interface TerminalSize {
  columns: number;
  rows: number;
}

const FALLBACK: TerminalSize = { columns: 80, rows: 24 };

/** The terminal's size, updated on resize. Streams that do not know their size get 80×24. */
export function useTerminalSize(override?: Partial<TerminalSize>): TerminalSize {
  const { stdout } = useStdout();
  const read = (): TerminalSize => ({
    columns: override?.columns ?? (stdout.columns || FALLBACK.columns),
    rows: override?.rows ?? (stdout.rows || FALLBACK.rows),
  });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    onResize();
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
    // read() only depends on these.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout, override?.columns, override?.rows]);
  return size;
}
