import type { AdminStatus } from './contract.js';
import { callAdmin } from './client.js';

/**
 * The running gateway's status when one answers, else why not (no gateway, several, an older one).
 * For commands that show configuration first and live detail when they can: never a failure.
 */
export async function liveStatus(dir: string, url?: string): Promise<{ status?: AdminStatus; error?: string }> {
  try {
    return { status: await callAdmin(dir, 'GET /status', {}, { url }) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
