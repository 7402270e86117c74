// The MCP upstream is split by concern: lifecycle.ts (supervision, backoff, state, sessions per
// isolation) and connection.ts (transport, era, relay, framing). This module keeps the old import path.
export { McpUpstream, isMcpBackend, type McpUpstreamDeps } from './lifecycle.js';
export { McpConnection, GATEWAY_CLIENT_INFO } from './connection.js';
