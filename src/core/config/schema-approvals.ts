/**
 * Config schema for guarded writes (issue 10): which calls need an approved plan, and where plans live. schema.ts composes it.
 */
import { z } from 'zod';

/** A literal value or a reference (secret:, env:, file:). */
const valueOrRef = z.string();

// --- Guarded writes (issue 10): which calls need an approved plan, and what arguments may carry at all.
export const approvalModes = ['required', 'none'] as const;
/** `destructive` guards tools with destructiveHint true; `write` guards every tool not marked readOnlyHint true. */
export const approvalAnnotationModes = ['destructive', 'write', 'none'] as const;
export const approvalFields = {
  /** The backend's default: `required` guards its tools (narrowed by `approvals`), `none` guards none. */
  approval: z.enum(approvalModes).optional(),
  approvals: z
    .strictObject({
      /** Native tool names or globs (`*`, `?`) that are guarded. */
      tools: z.array(z.string().min(1)).optional(),
      annotations: z.enum(approvalAnnotationModes).optional(),
    })
    .optional(),
  /** Per native tool: `required` or `none`, overriding everything above. */
  toolApprovals: z.record(z.string(), z.enum(approvalModes)).optional(),
  /** Per native tool, per argument: a JSON Schema fragment the argument must satisfy (the argument becomes required). */
  constraints: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown()))).optional(),
};
export const gatewayApprovalsSchema = z.strictObject({
  /** Seconds a plan stays approvable and appliable (default 3600). */
  ttl: z.number().int().positive().max(30 * 86_400).optional(),
  /**
   * Where plans live: a SQLite file path (default <state dir>/approvals.db), or PostgreSQL for several
   * replicas: postgres://... without a password, or a secret:, env: or file: reference to the URL.
   */
  store: z
    .string()
    .min(1)
    .refine((s) => !/^postgres(?:ql)?:\/\/[^/@]*:[^/@]*@/i.test(s), 'a postgres:// URL with a password must not be written in the config; store it and reference it (secret:name, env:VAR or file:/path)')
    .optional(),
  /** Lets the identity that asked approve its own plan (off by default). */
  allowSelfApproval: z.boolean().optional(),
  // The approval page and URL elicitation (issue 10, web):
  /** With auth mode none, let the page at /approvals approve from loopback (off: the page is read-only). */
  webLoopback: z.boolean().optional(),
  /** The gateway's public origin for approval links (https://gatehouse.example.com); default: where it listens. */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Auth mode jwt: browser sign-in on the page (OAuth 2 authorization code + PKCE at gateway.auth.jwt.issuer). */
  login: z
    .strictObject({
      /** The OAuth client registered for the page; its redirect URI is <publicUrl>/approvals/oauth/callback. */
      clientId: z.string().min(1),
      /** For a confidential client (a literal or a secret:/env: reference); public clients use PKCE alone. */
      clientSecret: valueOrRef.optional(),
      /** Scopes asked for (default: gateway.auth.jwt.scopes); the token must satisfy the gateway's own checks. */
      scopes: z.array(z.string().min(1)).optional(),
    })
    .optional(),
});
// --- end guarded writes
