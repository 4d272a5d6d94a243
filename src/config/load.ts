import { join, resolve } from 'node:path';
import { MASTER_KEY_FILE } from '../crypto/master-key.js';
import { ProcessError } from '../errors/process-error.js';
import { type Config, SETTINGS, type SettingName } from './schema.js';

/** A setting has a value that is not allowed. The message names the setting and what it accepts. */
export class ConfigError extends ProcessError {
  constructor(message: string) {
    super('invalid_setting', message);
  }
}

/** Settings whose value is never echoed back: a key, a URL that may hold a password, a token. */
const SECRET_SETTINGS: ReadonlySet<SettingName> = new Set(['masterKey', 'databaseUrl', 'metricsToken']);

/**
 * Metrics say how the service is used (who signs in how often, how much is read): served on
 * loopback, where only this host's scraper reaches them, or anywhere with a token.
 */
function checkMetrics(listen: Config['metricsListen'], hasToken: boolean): void {
  const { metricsListen, metricsToken } = SETTINGS;
  if (listen === undefined) {
    if (hasToken) throw new ConfigError(`${metricsToken.env} is set but ${metricsListen.env} is not`);
    return;
  }
  if (!hasToken && !isLoopback(listen.host)) {
    throw new ConfigError(
      `${metricsListen.env} is not a loopback address (${listen.host}): set ${metricsToken.env} too, or listen on 127.0.0.1 or [::1]`,
    );
  }
}

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

/**
 * Builds the frozen configuration: flags override environment, environment overrides defaults.
 * Every value is validated; the first wrong one stops start-up with its name and what is allowed.
 * A secret (the master key) is never echoed back.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  flags: Partial<Record<SettingName, string | undefined>> = {},
): Config {
  const values: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) {
    const fromFlag = flags[name];
    const fromEnv = env[setting.env];
    const raw = fromFlag ?? (fromEnv === '' ? undefined : fromEnv) ?? setting.default;
    const source = fromFlag !== undefined && setting.flag ? setting.flag : setting.env;
    const parsed = setting.schema.safeParse(raw);
    if (!parsed.success) {
      // Secrets are never echoed back: the master key, and a database URL (it may hold a password).
      const shown = SECRET_SETTINGS.has(name) ? '' : ` (got ${JSON.stringify(raw)})`;
      throw new ConfigError(`${source} is invalid${shown}: must be ${setting.allowed}`);
    }
    values[name] = parsed.data;
  }
  values.dataDir = resolve(values.dataDir as string);
  values.masterKeyFile = resolve(
    (values.masterKeyFile as string | undefined) ?? join(values.dataDir as string, MASTER_KEY_FILE),
  );
  // Both or neither: a certificate without its key (or the reverse) is a half-done deployment,
  // not a reason to fall back to plain HTTP.
  if ((values.tlsCertFile === undefined) !== (values.tlsKeyFile === undefined)) {
    const missing = values.tlsCertFile === undefined ? SETTINGS.tlsCertFile.env : SETTINGS.tlsKeyFile.env;
    throw new ConfigError(
      `${SETTINGS.tlsCertFile.env} and ${SETTINGS.tlsKeyFile.env} must be set together (${missing} is not set)`,
    );
  }
  checkMetrics(values.metricsListen as Config['metricsListen'], values.metricsToken !== undefined);
  values.trustProxy = Object.freeze(values.trustProxy);
  return Object.freeze(values) as unknown as Config;
}
