// Importing this never loads the native keychain module; KeychainStore imports it on first use.
export { resolveValue, resolveRecord, isSecretRef, SECRET_REF_RE, type SecretStore, type ResolveOptions } from './resolve.js';
export { SecretManager, openSecrets, parseStore, WRITABLE_STORES, type WritableStore, type SecretInfo, type SetResult } from './manager.js';
export { KeychainStore, classifyKeychainError, keychainFailureOf, KEYCHAIN_SERVICE, type KeychainFailure } from './keychain.js';
export { FileSecretStore, SECRETS_FILE } from './file-store.js';
export { EnvSecretStore } from './env-store.js';
export { assertSecretName, CF_ACCESS_PREFIX } from './names.js';
export { readSecretFromStream } from './stdin.js';
