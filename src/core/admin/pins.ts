/** The admin API's pinning routes: GET /admin/pins[?backend=&tool=], POST /admin/pins/accept?by=[&backend=&tool=]. */

/** One held tool: changed since it was accepted, or new under `newTools: hold`. */
export interface PinChange {
  backend: string;
  tool: string;
  reason: 'changed' | 'new';
  /** Which pinned fields differ from the accepted version (empty for a new tool). */
  changes: Array<'description' | 'inputSchema' | 'outputSchema' | 'annotations'>;
  since: string;
  fingerprint: string;
  acceptedFingerprint?: string;
  /** Unified diff of the accepted version against the one the backend serves now. */
  diff: string;
}

export interface PinsResponse {
  held: PinChange[];
}

export interface PinAcceptResponse {
  accepted: PinChange[];
}
