// Preload for `node --import`: writes every module the process loads to MODULE_LOG_FILE, one per
// line. ESM resolutions come from a resolve hook (modules.register); CommonJS modules, which the
// SDK's packages are, from require.cache when the process exits.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.MODULE_LOG_FILE;
if (!file) throw new Error('module-log.mjs needs MODULE_LOG_FILE');
register(new URL('./module-log-hooks.mjs', import.meta.url), { data: { file } });
const require = createRequire(import.meta.url);
process.on('exit', () => {
  appendFileSync(file, Object.keys(require.cache).map((k) => `cjs ${k}\n`).join(''));
});
