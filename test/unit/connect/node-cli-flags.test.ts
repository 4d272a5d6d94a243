import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeDataDir, parseMaxStaleness } from '../../../src/cli/commands/connect.js';
import { CliError } from '../../../src/cli/errors.js';

describe('keyhold connect: --max-staleness', () => {
  it('takes 0 and the unit letters of the other duration flags', () => {
    expect(parseMaxStaleness('0')).toBe(0);
    expect(parseMaxStaleness('1h')).toBe(3_600_000);
    expect(parseMaxStaleness('30m')).toBe(1_800_000);
    expect(parseMaxStaleness('90s')).toBe(90_000);
    expect(parseMaxStaleness(' 2d ')).toBe(172_800_000);
  });

  it('refuses anything else with the flag named, and more than 30 days', () => {
    for (const raw of ['', '1', '1x', '-1h', '1.5h', 'h', '1h30m']) {
      expect(() => parseMaxStaleness(raw)).toThrow(CliError);
      expect(() => parseMaxStaleness(raw)).toThrow(/^--max-staleness ".*": expected 0 or a whole number/);
    }
    expect(() => parseMaxStaleness('31d', 'KEYHOLD_CONNECT_MAX_STALENESS')).toThrow(
      'KEYHOLD_CONNECT_MAX_STALENESS "31d": must be at most 30d',
    );
  });
});

describe('keyhold connect: the data directory', () => {
  it('is the flag, else the variable, else beside the credentials file', () => {
    expect(nodeDataDir({ flag: 'a', env: 'b', credentialsFile: '/etc/c/creds.json' })).toBe(
      path.resolve('a'),
    );
    expect(nodeDataDir({ env: '/var/b', credentialsFile: '/etc/c/creds.json' })).toBe('/var/b');
    expect(nodeDataDir({ credentialsFile: '/etc/c/creds.json' })).toBe('/etc/c/keyhold-connect-data');
  });

  it('must be given when the credentials came as base64', () => {
    expect(() => nodeDataDir({})).toThrow(/pass --data-dir DIR or set KEYHOLD_CONNECT_DATA_DIR/);
    expect(() => nodeDataDir({ flag: ' ' })).toThrow(/empty/);
  });
});
