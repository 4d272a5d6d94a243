import { describe, expect, it } from 'vitest';
import { timeFlag } from '../../src/cli/time-flag.js';

describe('timeFlag (the CLI’s --since/--until)', () => {
  const now = new Date('2026-03-10T12:00:00.000Z');

  it.each([
    ['90s', '2026-03-10T11:58:30.000Z'],
    ['30m', '2026-03-10T11:30:00.000Z'],
    ['24h', '2026-03-09T12:00:00.000Z'],
    ['7d', '2026-03-03T12:00:00.000Z'],
    ['2w', '2026-02-24T12:00:00.000Z'],
    [' 1h ', '2026-03-10T11:00:00.000Z'],
  ])('%j before now is %s', (raw, iso) => {
    expect(timeFlag('--since', raw, now)).toBe(iso);
  });

  it('sends anything else as typed, for the server to check', () => {
    expect(timeFlag('--since', '2026-01-02T03:04:05+01:00', now)).toBe('2026-01-02T03:04:05+01:00');
    expect(timeFlag('--since', 'yesterday', now)).toBe('yesterday');
  });

  it('refuses a bare number (no unit) and a time before year 1, naming the flag', () => {
    expect(() => timeFlag('--until', '5', now)).toThrow(
      /^--until needs a unit \(s, m, h, d or w, like 24h\)/,
    );
    expect(() => timeFlag('--since', '9999999w', now)).toThrow('--since 9999999w reaches back too far');
  });
});
