import type { Config, SettingName } from '../config/schema.js';
import { CliError } from './errors.js';

/**
 * Loads the service configuration from the environment and the command's flags. The settings
 * schema (zod, and the master-key code) is imported here, when a local command runs, not when the
 * CLI starts: every other command, `--help` and `--version` would pay for it.
 */
export async function configFrom(flags: Partial<Record<SettingName, string | undefined>>): Promise<Config> {
  const { loadConfig } = await import('../config/load.js');
  try {
    return loadConfig(process.env, flags);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}
