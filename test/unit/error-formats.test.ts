import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackupError, RestoreTargetError } from '../../src/bootstrap/backup/errors.js';
import { CliError } from '../../src/cli/errors.js';
import { ConfigError } from '../../src/config/load.js';
import { CredentialsError } from '../../src/connect-server/node/credentials.js';
import { MasterKeyError } from '../../src/crypto/master-key.js';
import { TooManyAttemptsError } from '../../src/domain/login/login-service.js';
import { RedirectableError, UntrustedRedirectError } from '../../src/domain/oauth/authorization-request.js';
import {
  invalidClient,
  invalidGrant,
  invalidRequest,
  isOAuthError,
  OAUTH_ERROR_CODES,
  OAuthError,
} from '../../src/domain/oauth/oauth-error.js';
import { adminFormat } from '../../src/errors/admin-format.js';
import {
  AppError,
  auditUnavailable,
  ERROR_CODES,
  integrityError,
  invalidInput,
  isAppError,
  noRoute,
  notFound,
  unauthorized,
} from '../../src/errors/app-error.js';
import { connectFormat } from '../../src/errors/connect-format.js';
import { failure } from '../../src/errors/failure.js';
import { isKeyholdError, type KeyholdError } from '../../src/errors/keyhold-error.js';
import { toKeyholdError } from '../../src/errors/normalise.js';
import { oauthFormat } from '../../src/errors/oauth-format.js';
import { pageFormat } from '../../src/errors/page-format.js';
import { PROCESS_ERROR_CODES } from '../../src/errors/process-error.js';
import type { Formatter } from '../../src/errors/wire.js';
import { DataDirInUseError } from '../../src/storage/sqlite/data-dir-lock.js';

const FAMILIES: Record<string, Formatter> = {
  admin: adminFormat,
  connect: connectFormat,
  oauth: oauthFormat,
  page: pageFormat,
};

const FAULT_PAGE = 'Something went wrong on our side. Try again later.';

interface Row {
  name: string;
  /** What is thrown (anything: it goes through toKeyholdError first, as in every handler). */
  thrown: unknown;
  status: number;
  admin: { code: string; message: string };
  oauth: { error: string; error_description: string };
  page: { title: string; text: string };
}

const sqlFault = Object.assign(new Error('SQLITE_ERROR: no such table: oauth_tokens_secretive'), {
  code: 'SQLITE_ERROR',
});

/** Which error → which status and body, per wire family. */
const TABLE: Row[] = [
  {
    name: 'invalid input (AppError 400)',
    thrown: invalidInput('body: title: must not be empty'),
    status: 400,
    admin: { code: 'invalid_input', message: 'body: title: must not be empty' },
    oauth: { error: 'invalid_request', error_description: 'body: title: must not be empty' },
    page: { title: 'Request refused', text: 'body: title: must not be empty' },
  },
  {
    name: 'no route (AppError 404)',
    thrown: noRoute('GET', '/api/nope?title=secret-title'),
    status: 404,
    admin: { code: 'not_found', message: 'no route for GET /api/nope' },
    oauth: { error: 'invalid_request', error_description: 'no route for GET /api/nope' },
    page: { title: 'Not found', text: 'no route for GET /api/nope' },
  },
  {
    name: 'unauthorized (AppError 401)',
    thrown: unauthorized(),
    status: 401,
    admin: { code: 'unauthorized', message: 'Authentication required' },
    oauth: { error: 'invalid_client', error_description: 'Authentication required' },
    page: { title: 'Request refused', text: 'Authentication required' },
  },
  {
    name: 'too many sign-ins (AppError subclass 429)',
    thrown: new TooManyAttemptsError(30),
    status: 429,
    admin: { code: 'too_many_requests', message: 'Too many failed sign-ins; try again in 30 s.' },
    oauth: { error: 'invalid_request', error_description: 'Too many failed sign-ins; try again in 30 s.' },
    page: { title: 'Request refused', text: 'Too many failed sign-ins; try again in 30 s.' },
  },
  {
    name: 'invalid grant (OAuthError 400)',
    thrown: invalidGrant('the authorization code was already used'),
    status: 400,
    admin: { code: 'bad_request', message: 'the authorization code was already used' },
    oauth: { error: 'invalid_grant', error_description: 'the authorization code was already used' },
    page: { title: 'Request refused', text: 'the authorization code was already used' },
  },
  {
    name: 'invalid client (OAuthError 401)',
    thrown: invalidClient('client authentication failed'),
    status: 401,
    admin: { code: 'unauthorized', message: 'client authentication failed' },
    oauth: { error: 'invalid_client', error_description: 'client authentication failed' },
    page: { title: 'Request refused', text: 'client authentication failed' },
  },
  {
    name: 'untrusted redirect (OAuthError 400)',
    thrown: new UntrustedRedirectError('unknown client kc-1'),
    status: 400,
    admin: { code: 'bad_request', message: 'unknown client kc-1' },
    oauth: { error: 'invalid_request', error_description: 'unknown client kc-1' },
    page: { title: 'Request refused', text: 'unknown client kc-1' },
  },
  {
    name: 'integrity error (AppError 500, exposed)',
    thrown: integrityError('item 7'),
    status: 500,
    admin: { code: 'integrity_error', message: 'Integrity check failed for item 7' },
    oauth: { error: 'server_error', error_description: 'Integrity check failed for item 7' },
    page: { title: 'Request refused', text: FAULT_PAGE },
  },
  {
    name: 'audit unavailable (AppError 503, exposed, cause not shown)',
    thrown: auditUnavailable(sqlFault),
    status: 503,
    admin: {
      code: 'audit_unavailable',
      message: 'The audit trail is unavailable; the request was not served',
    },
    oauth: {
      error: 'server_error',
      error_description: 'The audit trail is unavailable; the request was not served',
    },
    page: { title: 'Request refused', text: FAULT_PAGE },
  },
  {
    name: 'a 4xx that may not be shown',
    thrown: new AppError(409, 'email_taken', 'ada@example.com is a user already', { expose: false }),
    status: 409,
    admin: { code: 'email_taken', message: 'Conflict' },
    oauth: { error: 'invalid_request', error_description: 'Conflict' },
    page: { title: 'Request refused', text: 'Conflict' },
  },
  {
    name: 'a start-up error (never meant for HTTP)',
    thrown: new ConfigError('KEYHOLD_MASTER_KEY is invalid: must be base64'),
    status: 500,
    admin: { code: 'internal_error', message: 'Internal server error' },
    oauth: { error: 'server_error', error_description: 'Internal server error' },
    page: { title: 'Request refused', text: FAULT_PAGE },
  },
  {
    name: "the framework's client error (body too large)",
    thrown: Object.assign(new Error('Request body is too large'), {
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    }),
    status: 413,
    admin: { code: 'payload_too_large', message: 'Request body is too large' },
    oauth: { error: 'invalid_request', error_description: 'Request body is too large' },
    page: { title: 'Request refused', text: 'Request body is too large' },
  },
  {
    name: 'an unknown error (a bug)',
    thrown: sqlFault,
    status: 500,
    admin: { code: 'internal_error', message: 'Internal server error' },
    oauth: { error: 'server_error', error_description: 'Internal server error' },
    page: { title: 'Request refused', text: FAULT_PAGE },
  },
];

const format = (family: Formatter, thrown: unknown) => family(toKeyholdError(thrown));

describe('one formatter per wire family', () => {
  it.each(TABLE)('$name', (row) => {
    const admin = format(adminFormat, row.thrown);
    expect(admin).toEqual({ status: row.status, body: { status: row.status, ...row.admin } });

    const connect = format(connectFormat, row.thrown);
    expect(connect).toEqual({ status: row.status, body: { status: row.status, message: row.admin.message } });

    const oauth = format(oauthFormat, row.thrown);
    expect(oauth.status).toBe(row.status);
    expect(oauth.body).toEqual(row.oauth);
    // RFC 6749 §5.2: a 401 names the scheme to authenticate with; nothing else gets the header.
    expect(oauth.headers).toEqual(
      row.status === 401 ? { 'www-authenticate': 'Basic realm="keyhold"' } : undefined,
    );

    const page = format(pageFormat, row.thrown);
    expect(page.status).toBe(row.status);
    expect(page.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': expect.stringContaining("default-src 'none'"),
      'x-frame-options': 'DENY',
    });
    expect(page.body).toContain(`<title>${row.page.title} · Keyhold</title>`);
    expect(page.body).toContain(`<p class="error">${row.page.text}</p>`);
  });

  it('every admin code is a documented API code, every OAuth code an RFC 6749 one', () => {
    for (const row of TABLE) {
      expect(Object.keys(ERROR_CODES)).toContain(row.admin.code);
      expect(OAUTH_ERROR_CODES).toContain(row.oauth.error);
    }
  });

  it('a message that may not be shown, or a cause, never reaches any family', () => {
    const hidden = [
      new AppError(409, 'email_taken', 'ada@example.com is a user already', { expose: false }),
      new ConfigError('KEYHOLD_MASTER_KEY is invalid: must be base64'),
      sqlFault,
      auditUnavailable(sqlFault),
    ];
    for (const thrown of hidden)
      for (const [family, formatter] of Object.entries(FAMILIES)) {
        const text = JSON.stringify(format(formatter, thrown));
        expect(text, family).not.toContain('ada@example.com');
        expect(text, family).not.toContain('KEYHOLD_MASTER_KEY');
        expect(text, family).not.toContain('oauth_tokens_secretive');
        expect(text, family).not.toContain('SQLITE');
      }
  });

  it('anything thrown that is not ours answers a generic 500 in every family, leaking nothing', () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9]{12,40}$/);
    const thrown = (s: string) =>
      fc.constantFrom<unknown>(
        new Error(s),
        new TypeError(`cannot read ${s}`),
        s,
        { message: s, code: s },
        { statusCode: 500, message: s },
        { statusCode: 302, message: s },
        Object.assign(new Error(s), { statusCode: 'nope' }),
        null,
        undefined,
      );
    fc.assert(
      fc.property(
        secret.chain((s) => fc.tuple(fc.constant(s), thrown(s))),
        ([s, value]) => {
          for (const formatter of Object.values(FAMILIES)) {
            const wire = format(formatter, value);
            expect(wire.status).toBe(500);
            expect(JSON.stringify(wire)).not.toContain(s);
          }
          expect(format(adminFormat, value).body).toEqual({
            status: 500,
            code: 'internal_error',
            message: 'Internal server error',
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('failure() logs a fault with its cause, and never a caller mistake', () => {
    const logged: unknown[] = [];
    const log = (fields: unknown) => logged.push(fields);
    expect(failure(invalidInput('x: wrong'), adminFormat, log).status).toBe(400);
    expect(failure(invalidGrant('used'), oauthFormat, log).status).toBe(400);
    expect(logged).toEqual([]);
    failure(sqlFault, connectFormat, log);
    failure(auditUnavailable(sqlFault), adminFormat, log);
    expect(logged).toEqual([
      { code: 'internal_error', err: sqlFault },
      { code: 'audit_unavailable', err: sqlFault },
    ]);
  });
});

describe('one error family', () => {
  const samples: [string, KeyholdError, string][] = [
    ['AppError', notFound('vault v not found'), 'not_found'],
    ['TooManyAttemptsError', new TooManyAttemptsError(5), 'too_many_requests'],
    ['OAuthError', invalidRequest('scope is repeated'), 'invalid_request'],
    ['UntrustedRedirectError', new UntrustedRedirectError('redirect_uri is missing'), 'invalid_request'],
    [
      'RedirectableError',
      new RedirectableError(invalidGrant('nope'), 'https://app.example/cb', null),
      'invalid_grant',
    ],
    ['ConfigError', new ConfigError('KEYHOLD_PORT is invalid'), 'invalid_setting'],
    ['MasterKeyError', new MasterKeyError('master.key is not base64'), 'master_key_invalid'],
    ['DataDirInUseError', new DataDirInUseError('/data is in use'), 'data_dir_in_use'],
    ['CredentialsError', new CredentialsError('creds.json is not JSON'), 'credentials_invalid'],
    ['BackupError', new BackupError('b.db was altered'), 'backup_invalid'],
    [
      'RestoreTargetError',
      new RestoreTargetError('/data already holds a database'),
      'restore_target_not_empty',
    ],
  ];

  it.each(samples)('%s is a KeyholdError with a stable code', (name, error, code) => {
    expect(isKeyholdError(error)).toBe(true);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect([
      ...Object.keys(ERROR_CODES),
      ...OAUTH_ERROR_CODES,
      ...Object.keys(PROCESS_ERROR_CODES),
    ]).toContain(error.code);
  });

  it('keeps the checks and fields callers use', () => {
    const oauth = invalidClient('bad secret');
    expect(isOAuthError(oauth)).toBe(true);
    expect(oauth).toBeInstanceOf(OAuthError);
    expect(oauth.error).toBe('invalid_client');
    expect(oauth.status).toBe(401);
    expect(isAppError(oauth)).toBe(false);
    expect(isAppError(new TooManyAttemptsError(1))).toBe(true);
    // The CLI's own failure is a plain Error in the CLI's bundle (no ES module to load at start-up),
    // with the process vocabulary's code.
    const cli = new CliError('no admin token', 3);
    expect(cli.exitCode).toBe(3);
    expect(cli.name).toBe('CliError');
    expect(Object.keys(PROCESS_ERROR_CODES)).toContain(cli.code);
    // Process errors speak to the operator at the terminal, never to an HTTP caller.
    expect(new ConfigError('x').expose).toBe(false);
  });

  it('the admin format gives the admin body for any error, normalised', () => {
    expect(adminFormat(toKeyholdError(invalidGrant('used'))).body).toEqual({
      status: 400,
      code: 'bad_request',
      message: 'used',
    });
    expect(adminFormat(toKeyholdError(sqlFault)).body).toEqual({
      status: 500,
      code: 'internal_error',
      message: 'Internal server error',
    });
    const own = notFound('x');
    expect(toKeyholdError(own)).toBe(own);
  });
});
