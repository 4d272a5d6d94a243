import { createRequire } from 'node:module';
import { z } from 'zod';
import { LOG_LEVELS } from './log-levels.js';

/** Names proxy-addr knows for well-known ranges (loopback: 127.0.0.1/8 and ::1). */
const TRUST_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * `KEYHOLD_TRUST_PROXY`: a comma-separated list, checked entry by entry by the very parser that
 * will match addresses against it (proxy-addr), so a value accepted here cannot fail later.
 * Required when a list is checked, not when this module loads: every CLI command loads it.
 */
const compileTrust = (entry: string): unknown =>
  (createRequire(import.meta.url)('@fastify/proxy-addr') as typeof import('@fastify/proxy-addr')).compile(
    entry,
  );

const trustList = z
  .string()
  .transform((raw) =>
    raw
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
  )
  .refine((entries) =>
    entries.every((entry) => {
      try {
        compileTrust(entry);
        return true;
      } catch {
        return false;
      }
    }),
  );

/**
 * `KEYHOLD_DATABASE_URL`: a URL the driver reads as written. A `/`, `?` or `#` left unencoded in
 * the password ends the URL's authority early: the password then reads as a host's port and a
 * path (`postgres://app:2718/e@db/keyhold` is host `app`, port 2718), which no error message
 * could show without showing the password. Parsed as the driver parses (pg-connection-string:
 * with a placeholder host for `…@/db?host=/socket/dir`).
 */
function readsAsWritten(url: string): boolean {
  let parsed: URL;
  try {
    try {
      parsed = new URL(url);
    } catch {
      parsed = new URL(url.replace('@/', '@placeholder/'));
    }
  } catch {
    return false;
  }
  const beforeQueryValues = url.slice(url.indexOf('://') + 3).split('=')[0] ?? '';
  return parsed.username !== '' || !beforeQueryValues.includes('@');
}

export { LOG_LEVELS };

/**
 * Every setting of `keyhold serve`, in one place: its environment variable, its flag, its default
 * and what is allowed. `docs/configuration.md` is written from this table; a test keeps them equal.
 */
const port = z.coerce.number().int().min(0).max(65535);
const positiveBytes = z.coerce
  .number()
  .int()
  .min(1024)
  .max(1024 * 1024 * 1024);
const retentionDays = z.coerce.number().int().min(0).max(36_500);

export const SETTINGS = {
  dataDir: {
    env: 'KEYHOLD_DATA_DIR',
    flag: '--data-dir',
    default: './data',
    schema: z.string().min(1),
    allowed: 'a directory path',
    doc: 'Where the SQLite database and, by default, the master key file live.',
  },
  databaseUrl: {
    env: 'KEYHOLD_DATABASE_URL',
    flag: '--database-url',
    default: undefined,
    schema: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/)
      .refine(readsAsWritten)
      .optional(),
    allowed:
      'a postgres:// or postgresql:// connection URL, with any / ? # @ in its user or password percent-encoded',
    doc: 'PostgreSQL database to use instead of the SQLite database in the data directory; several `keyhold serve` nodes may share it. Its password is never logged nor echoed back in an error.',
  },
  masterKeyFile: {
    env: 'KEYHOLD_MASTER_KEY_FILE',
    flag: '--master-key-file',
    default: undefined,
    schema: z.string().min(1).optional(),
    allowed: 'a file path',
    doc: 'The master key file (32 random bytes, base64; mode 0600). When unset, `master.key` in the data directory. Ignored when KEYHOLD_MASTER_KEY is set.',
  },
  host: {
    env: 'KEYHOLD_HOST',
    flag: '--host',
    default: '127.0.0.1',
    schema: z.string().min(1),
    allowed: 'a host name or IP address',
    doc: 'Address the central service listens on.',
  },
  port: {
    env: 'KEYHOLD_PORT',
    flag: '--port',
    default: '8300',
    schema: port,
    allowed: 'an integer from 0 to 65535',
    doc: 'Port the central service listens on (0 picks a free port).',
  },
  publicUrl: {
    env: 'KEYHOLD_PUBLIC_URL',
    flag: '--public-url',
    default: undefined,
    schema: z
      .string()
      .regex(/^https?:\/\/[^/?#\s]+(\/[^?#\s]*[^/?#\s])?$/)
      .optional(),
    allowed: 'an http(s) URL without query, fragment or trailing slash, e.g. https://keyhold.example.com',
    doc: 'The URL clients reach the central service at; OAuth issuer identifiers are built from it (`{url}/oauth/{accountId}`). When unset, the listening address is used: set it behind a proxy or TLS terminator.',
  },
  masterKey: {
    env: 'KEYHOLD_MASTER_KEY',
    flag: undefined,
    default: undefined,
    schema: z.string().min(1).optional(),
    allowed: 'the base64 of 32 random bytes',
    doc: 'Master key. When unset, the master key file is used (KEYHOLD_MASTER_KEY_FILE).',
  },
  logLevel: {
    env: 'KEYHOLD_LOG_LEVEL',
    flag: '--log-level',
    default: 'info',
    schema: z.enum(LOG_LEVELS),
    allowed: LOG_LEVELS.join(', '),
    doc: 'Log level. Logs are JSON lines on standard output; secrets and query strings are never logged.',
  },
  bodyLimit: {
    env: 'KEYHOLD_BODY_LIMIT',
    flag: undefined,
    default: '1048576',
    schema: positiveBytes,
    allowed: 'bytes, from 1024 to 1073741824',
    doc: 'Largest JSON request body accepted; larger bodies get 413.',
  },
  maxFileSize: {
    env: 'KEYHOLD_MAX_FILE_SIZE',
    flag: undefined,
    default: '5242880',
    schema: positiveBytes,
    allowed: 'bytes, from 1024 to 1073741824',
    doc: 'Largest file that can be uploaded to an item; larger uploads get 413.',
  },
  maxInlineFileSize: {
    env: 'KEYHOLD_MAX_INLINE_FILE_SIZE',
    flag: undefined,
    default: '102400',
    schema: positiveBytes,
    allowed: 'bytes, from 1024 to 1073741824',
    doc: 'Largest file the Connect API returns inline (`inline_files=true`); larger ones get 413 and must be fetched from their content route.',
  },
  auditRetentionDays: {
    env: 'KEYHOLD_AUDIT_RETENTION_DAYS',
    flag: undefined,
    default: '365',
    schema: retentionDays,
    allowed: 'days, an integer from 0 (keep for ever) to 36500',
    doc: 'How long audit events of the actions of authenticated callers (results SUCCESS and FAILURE) are kept; older ones are deleted at start and every hour.',
  },
  auditRefusalRetentionDays: {
    env: 'KEYHOLD_AUDIT_REFUSAL_RETENTION_DAYS',
    flag: undefined,
    default: '30',
    schema: retentionDays,
    allowed: 'days, an integer from 0 (keep for ever) to 36500',
    doc: 'How long refusals (audit events with result DENY) are kept; older ones are deleted at start and every hour.',
  },
  tlsCertFile: {
    env: 'KEYHOLD_TLS_CERT_FILE',
    flag: undefined,
    default: undefined,
    schema: z.string().min(1).optional(),
    allowed: 'a file path (set together with KEYHOLD_TLS_KEY_FILE)',
    doc: 'PEM certificate chain (server certificate first) to serve HTTPS with; read at start and again on SIGHUP.',
  },
  tlsKeyFile: {
    env: 'KEYHOLD_TLS_KEY_FILE',
    flag: undefined,
    default: undefined,
    schema: z.string().min(1).optional(),
    allowed: 'a file path (set together with KEYHOLD_TLS_CERT_FILE)',
    doc: 'PEM private key (unencrypted) of that certificate.',
  },
  trustProxy: {
    env: 'KEYHOLD_TRUST_PROXY',
    flag: undefined,
    default: '',
    schema: trustList,
    allowed: `a comma-separated list of IP addresses and CIDR ranges (IPv4 or IPv6) or ${TRUST_NAMES.join(', ')}`,
    doc: 'Reverse proxies whose X-Forwarded-For is believed. Empty: trust none, the socket address is the client.',
  },
  databasePoolSize: {
    env: 'KEYHOLD_DATABASE_POOL_SIZE',
    flag: undefined,
    default: '10',
    schema: z.coerce.number().int().min(1).max(1000),
    allowed: 'an integer from 1 to 1000',
    doc: 'PostgreSQL only: how many connections each node opens to the database at most; unused with SQLite.',
  },
  metricsListen: {
    env: 'KEYHOLD_METRICS_LISTEN',
    flag: '--metrics-listen',
    default: undefined,
    schema: z
      .string()
      .regex(/^(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):([0-9]{1,5})$/)
      .transform(listenAddress)
      .refine((listen) => listen.port <= 65535)
      .optional(),
    allowed: 'HOST:PORT, e.g. 127.0.0.1:9464 ([::1]:9464 for IPv6; port 0 picks a free one)',
    doc: 'Where Prometheus metrics are served (`GET /metrics`, a listener of their own); unset: not served. A loopback address only, unless KEYHOLD_METRICS_TOKEN is set.',
  },
  metricsToken: {
    env: 'KEYHOLD_METRICS_TOKEN',
    flag: undefined,
    default: undefined,
    schema: z
      .string()
      .regex(/^[\x21-\x7e]{32,512}$/)
      .optional(),
    allowed: '32 to 512 printable ASCII characters without spaces (e.g. `openssl rand -base64 32`)',
    doc: 'A bearer token every metrics scrape must send; required to serve metrics on an address other than loopback. Never echoed back.',
  },
} as const;

/** `HOST:PORT` of KEYHOLD_METRICS_LISTEN, the brackets of an IPv6 host removed. */
function listenAddress(raw: string): { host: string; port: number } {
  const at = raw.lastIndexOf(':');
  return { host: raw.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(raw.slice(at + 1)) };
}

export type SettingName = keyof typeof SETTINGS;

export interface Config {
  readonly dataDir: string;
  /** PostgreSQL connection URL; undefined: the SQLite database in `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** Where the master key file is (absolute); used when `masterKey` is unset. */
  readonly masterKeyFile: string;
  readonly host: string;
  readonly port: number;
  readonly publicUrl: string | undefined;
  readonly masterKey: string | undefined;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly bodyLimit: number;
  readonly maxFileSize: number;
  readonly maxInlineFileSize: number;
  readonly auditRetentionDays: number;
  readonly auditRefusalRetentionDays: number;
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** Addresses and CIDR ranges of trusted reverse proxies; empty: trust none. */
  readonly trustProxy: readonly string[];
  /** PostgreSQL: the connection pool's size (openPostgres's `poolSize`). */
  readonly databasePoolSize: number;
  /** Where `/metrics` is served; undefined: not served. */
  readonly metricsListen: { readonly host: string; readonly port: number } | undefined;
  /** The bearer token a metrics scrape must send; undefined: none (loopback only). */
  readonly metricsToken: string | undefined;
}
