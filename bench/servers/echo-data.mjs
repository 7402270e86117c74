// What the echo server returns, shared with the load client so it can check responses.
export const BLOB_BYTES = 16 * 1024;
/** Deterministic 16 KiB of printable text, so clients can check it arrived whole. */
export const BLOB_TEXT = (() => {
  const line = 'gatehouse benchmark blob 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\n';
  return line.repeat(Math.ceil(BLOB_BYTES / line.length)).slice(0, BLOB_BYTES);
})();

export const fillerToolName = (i) => `tool_${String(i).padStart(4, '0')}`;
