/**
 * Text from backends (stderr lines, error messages, server names) is untrusted: it may carry colour
 * codes, cursor movement or newlines. Anything we print on one line, or inside the dashboard, goes
 * through here first so a backend cannot break the layout or smuggle escape sequences into logs.
 */

// CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), and two-byte ESC sequences; also the C1 CSI (0x9b).
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function stripAnsi(s: string): string {
  return s.includes('\u001b') || s.includes('\u009b') ? s.replace(ANSI, '') : s;
}

/** Removes escape sequences and control characters; newlines become a visible `\n`, tabs a space. */
export function singleLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[\u0000-\u001f\u007f-\u009f]/.test(s)) return s;
  return stripAnsi(s).replace(/\r?\n/g, '\\n').replace(/\t/g, ' ').replace(CONTROL, '');
}
