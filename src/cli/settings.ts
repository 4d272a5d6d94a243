import { loadConfig } from '../config/load.js';
import type { Config, SettingName } from '../config/schema.js';
import { CliError } from './errors.js';

/** Loads the service configuration from the environment and the command's flags. */
export function configFrom(flags: Partial<Record<SettingName, string | undefined>>): Config {
  try {
    return loadConfig(process.env, flags);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}
