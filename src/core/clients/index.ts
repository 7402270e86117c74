export { resolveLauncher, runsCommand, nextStep, type Launcher } from './targets.js';
export { installClient, clientSnippet, clientEntry, clientConfigPath, defaultScope, displayPath, validateSpec, CLIENTS, SCOPES, SERVER_NAME_RE, type ClientId, type Scope, type ServerSpec, type InstallResult, type InstallOptions } from './install.js';
export { upsertJsonMember, parseJsonTree, type UpsertAction } from './json-edit.js';
export { upsertTomlTable, renderTomlTable } from './toml-edit.js';
export { unifiedDiff } from './diff.js';
export { repointClient, staleClientEntries, type RepointResult } from './install.js';
