import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The user store folder: GATEHOUSE_CONFIG_DIR if set (tests always set it), else the platform's
 * config dir, matching where oclif puts `this.config.configDir`.
 */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GATEHOUSE_CONFIG_DIR) return env.GATEHOUSE_CONFIG_DIR;
  if (process.platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'gatehouse');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'gatehouse');
}
