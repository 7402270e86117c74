// The sealed requestState and CSRF tokens on their own: keys from a shared cluster secret work
// across processes (replicas), keys from different secrets or the per-process default do not, and
// every binding (identity, expiry, plan) is enforced.
import { describe, expect, it } from 'vitest';
import type { Identity } from '../../../src/core/identity.js';
import { ApprovalKeys, clusterSecret, csrfToken, csrfValid, openPlanState, sealPlanState } from '../../../src/server/approvals/seal.js';

const alice: Identity = { client: 'alice@example.com', subject: 'sub-a', roles: [], via: 'cloudflare-access', credentialId: 'cf:aaa' };
const bob: Identity = { ...alice, client: 'bob@example.com', subject: 'sub-b', credentialId: 'cf:bbb' };
const payload = { planId: 'plan_1', digest: 'sha256:00', exp: Math.floor(Date.now() / 1000) + 60 };

describe('sealed requestState', () => {
  it('opens under keys from the same cluster secret (another replica), bound to the identity and expiry', () => {
    const state = sealPlanState(new ApprovalKeys('cluster-secret-1'), payload, alice);
    const replica = new ApprovalKeys('cluster-secret-1');
    expect(replica.shared).toBe(true);
    expect(openPlanState(replica, state, alice, Date.now())).toEqual({ ok: true, payload });
    expect(openPlanState(replica, state, bob, Date.now())).toEqual({ ok: false, why: 'bind' });
    expect(openPlanState(replica, state, alice, (payload.exp + 1) * 1000)).toEqual({ ok: false, why: 'expired' });
    expect(openPlanState(new ApprovalKeys('another-secret'), state, alice, Date.now())).toEqual({ ok: false, why: 'mac' });
    expect(openPlanState(new ApprovalKeys(), state, alice, Date.now())).toEqual({ ok: false, why: 'mac' });
    expect(openPlanState(replica, 'gatehouse-plan:v1.only-one-part', alice, Date.now())).toEqual({ ok: false, why: 'malformed' });
    // The identity never appears in what the client holds.
    expect(Buffer.from(state.split('.')[1]!, 'base64url').toString()).not.toMatch(/alice|sub-a|cf:aaa/);
  });

  it('CSRF tokens are per browser nonce, identity and plan, and never pass as each other', () => {
    const keys = new ApprovalKeys();
    const t = csrfToken(keys, 'nonce-1', alice, 'plan_1');
    expect(csrfValid(keys, 'nonce-1', alice, 'plan_1', t)).toBe(true);
    expect(csrfValid(keys, 'nonce-2', alice, 'plan_1', t)).toBe(false);
    expect(csrfValid(keys, 'nonce-1', bob, 'plan_1', t)).toBe(false);
    expect(csrfValid(keys, 'nonce-1', alice, 'plan_2', t)).toBe(false);
    expect(csrfValid(new ApprovalKeys(), 'nonce-1', alice, 'plan_1', t)).toBe(false);
  });

  it('reads gateway.cluster.secret as a reference when it is set', async () => {
    process.env.GATEHOUSE_TEST_CLUSTER_SECRET = 's3cr3t-value';
    try {
      expect(await clusterSecret({ version: 1, backends: {}, gateway: { cluster: { secret: 'env:GATEHOUSE_TEST_CLUSTER_SECRET' } } } as never)).toBe('s3cr3t-value');
      expect(await clusterSecret({ version: 1, backends: {} })).toBeUndefined();
    } finally {
      delete process.env.GATEHOUSE_TEST_CLUSTER_SECRET;
    }
  });
});
