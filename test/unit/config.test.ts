import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { SETTINGS } from '../../src/config/schema.js';
import { parseMasterKey } from '../../src/crypto/master-key.js';

describe('configuration', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8300, logLevel: 'info', bodyLimit: 1048576 });
    expect(config.dataDir).toMatch(/\/data$/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('lets flags override the environment', () => {
    expect(loadConfig({ KEYHOLD_PORT: '9000' }, { port: '9100' }).port).toBe(9100);
    expect(loadConfig({ KEYHOLD_PORT: '9000' }).port).toBe(9000);
  });

  it('names the setting and what is allowed when a value is wrong', () => {
    expect(() => loadConfig({ KEYHOLD_PORT: 'abc' })).toThrowError(
      new ConfigError('KEYHOLD_PORT is invalid (got "abc"): must be an integer from 0 to 65535'),
    );
    expect(() => loadConfig({}, { port: '70000' })).toThrowError(
      '--port is invalid (got "70000"): must be an integer from 0 to 65535',
    );
    expect(() => loadConfig({ KEYHOLD_LOG_LEVEL: 'loud' })).toThrowError(
      'KEYHOLD_LOG_LEVEL is invalid (got "loud"): must be fatal, error, warn, info, debug, trace, silent',
    );
    expect(() => loadConfig({ KEYHOLD_BODY_LIMIT: '10' })).toThrowError(/KEYHOLD_BODY_LIMIT is invalid/);
  });

  it('takes a database URL only as the driver will read it, never echoing it', () => {
    for (const url of [
      'postgres://keyhold:s3cret@db.internal:5432/keyhold',
      'postgresql://keyhold:p%2Fa%3Fs%23s%40@db/keyhold?sslmode=verify-full',
      'postgres://keyhold:p@ss@db/keyhold', // the last @ ends the password
      'postgres://keyhold:s3cret@/keyhold?host=/var/run/postgresql',
      'postgres://db/keyhold?user=keyhold&password=s3cret@x&application_name=a@b',
    ])
      expect(loadConfig({ KEYHOLD_DATABASE_URL: url }).databaseUrl).toBe(url);
    for (const url of [
      'postgres://keyhold:2718/e-secret@db/keyhold',
      'postgres://keyhold:3141?pi-secret@db/keyhold',
      'postgres://keyhold:1618#phi-secret@db/keyhold',
      'postgres://keyhold:s3cret@[::1/keyhold',
    ]) {
      expect(() => loadConfig({ KEYHOLD_DATABASE_URL: url })).toThrowError(
        'KEYHOLD_DATABASE_URL is invalid: must be a postgres:// or postgresql:// connection URL, with any / ? # @ in its user or password percent-encoded',
      );
    }
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ KEYHOLD_PORT: '' }).port).toBe(8300);
  });

  it('documents every setting in docs/configuration.md', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    for (const setting of Object.values(SETTINGS)) expect(doc).toContain(setting.env);
  });
});

describe('master key parsing', () => {
  it('accepts the base64 of exactly 32 bytes', () => {
    const key = Buffer.alloc(32, 7);
    expect(parseMasterKey(key.toString('base64'), 'K').equals(key)).toBe(true);
    expect(parseMasterKey(`${key.toString('base64url')}\n`, 'K').equals(key)).toBe(true);
  });

  it('says what is wrong without echoing the key', () => {
    expect(() => parseMasterKey(Buffer.alloc(16).toString('base64'), 'KEYHOLD_MASTER_KEY')).toThrowError(
      'KEYHOLD_MASTER_KEY decodes to 16 bytes; it must be exactly 32 bytes',
    );
    expect(() => parseMasterKey('not base64!', 'KEYHOLD_MASTER_KEY')).toThrowError(
      'KEYHOLD_MASTER_KEY is not base64; it must be the base64 of 32 random bytes',
    );
  });
});
