import { describe, expect, it } from 'vitest';
import { type ApiProblem, explainApiError, type RequestFacts } from '../../src/cli/api-errors.js';

/** Admin API answers (docs/errors.md) as the CLI words them: no status numbers, no wire prefixes. */
const token: RequestFacts = { path: 'vaults/Production', credential: 'token' };
const signIn: RequestFacts = { path: 'vaults', credential: 'sign-in' };

describe('API errors in words', () => {
  it.each<[string, ApiProblem, RequestFacts, string]>([
    [
      'a vault name where an id goes',
      {
        status: 400,
        code: 'invalid_input',
        message: 'path: vaultId: must be a 26-character id of a-z and 0-9',
      },
      token,
      "no vault named or with id 'Production'",
    ],
    [
      'an item name, percent-encoded in the path',
      {
        status: 400,
        code: 'invalid_input',
        message: 'path: itemId: must be a 26-character id of a-z and 0-9',
      },
      { path: 'vaults/k3v/items/db%20password', credential: 'token' },
      "no item named or with id 'db password'",
    ],
    [
      'a vault that does not exist',
      { status: 404, code: 'not_found', message: 'vault abcdefghijklmnopqrstuvwxyz not found' },
      token,
      "no vault named or with id 'abcdefghijklmnopqrstuvwxyz'",
    ],
    [
      'an admin token that does not exist',
      { status: 404, code: 'not_found', message: 'admin token x1 not found' },
      token,
      "no admin token named or with id 'x1'",
    ],
    [
      'a missing version keeps its sentence',
      { status: 404, code: 'not_found', message: 'item i1 has no version 9' },
      token,
      'item i1 has no version 9',
    ],
    [
      'a route the service lacks',
      { status: 404, code: 'not_found', message: 'no route for GET /api/admin/x' },
      token,
      'the service does not know this request: is it an older Keyhold than this CLI?',
    ],
    [
      'a role without the permission',
      { status: 403, code: 'forbidden', message: 'role auditor does not have the vaults:create permission' },
      token,
      'the admin token is not allowed to do this: its role (auditor) does not have the vaults:create permission (docs/roles.md)',
    ],
    [
      'another refusal, for a signed-in user',
      { status: 403, code: 'forbidden', message: 'vault v1 is not in scope' },
      signIn,
      'your sign-in is not allowed to do this: vault v1 is not in scope',
    ],
    [
      'a revoked admin token',
      { status: 401, code: 'unauthorized', message: 'admin token was revoked at 2026-12-07T00:00:00Z' },
      token,
      'the admin token was revoked at 2026-12-07T00:00:00Z: check KEYHOLD_TOKEN or --token',
    ],
    [
      'an unknown admin token',
      { status: 401, code: 'unauthorized', message: 'Invalid admin token' },
      token,
      'the admin token is not one this service knows (mistyped, or made by another service): check KEYHOLD_TOKEN or --token',
    ],
    [
      'a disabled user: signing in again would not help',
      { status: 401, code: 'unauthorized', message: 'the CLI sign-in is refused: the user is disabled' },
      signIn,
      'the CLI sign-in is refused: the user is disabled',
    ],
    [
      'an ended sign-in',
      { status: 401, code: 'unauthorized', message: 'the access token is revoked' },
      signIn,
      'your sign-in was refused (the access token is revoked): run `keyhold login` again',
    ],
    [
      'a body field',
      {
        status: 400,
        code: 'invalid_input',
        message: 'body: email: must be an email address like ada@example.com',
      },
      signIn,
      'email: must be an email address like ada@example.com',
    ],
    [
      'a query parameter is the flag of the same name',
      { status: 400, code: 'invalid_input', message: 'query: resourceType: must be one of VAULT, ITEM' },
      signIn,
      '--resource-type: must be one of VAULT, ITEM',
    ],
    [
      'an upload over the limit',
      {
        status: 413,
        code: 'payload_too_large',
        message: 'the file is larger than this server accepts: at most 1 MiB (KEYHOLD_MAX_FILE_SIZE)',
      },
      { ...token, uploadBytes: 3 * 1024 * 1024 },
      'the file (3 MiB) is larger than the server accepts (limit 1 MiB)',
    ],
    [
      'an upload over a limit not named (an older service)',
      { status: 413, code: 'payload_too_large', message: 'Request body is too large' },
      { ...token, uploadBytes: 2048 },
      'the file (2 KiB) is larger than the server accepts',
    ],
    [
      'a JSON body over the limit',
      { status: 413, code: 'payload_too_large', message: 'Request body is too large' },
      token,
      'the request is larger than the server accepts (its KEYHOLD_BODY_LIMIT): send less at once',
    ],
    [
      'a version conflict keeps its explanation',
      {
        status: 409,
        code: 'version_conflict',
        message:
          'item i1 has changed: it is at version 3, the update was based on version 2; fetch it again and retry',
      },
      token,
      'item i1 has changed: it is at version 3, the update was based on version 2; fetch it again and retry',
    ],
    [
      'too many requests, with Retry-After',
      { status: 429, code: 'too_many_requests', message: 'Too many attempts', retryAfter: '30' },
      token,
      'Too many attempts (try again in 30 s)',
    ],
    [
      'an internal error names the request id for the log',
      { status: 500, code: 'internal_error', message: 'Internal server error', requestId: 'r-1' },
      token,
      'the service failed unexpectedly (its log has the details under request id r-1)',
    ],
    [
      'an integrity failure says what it means and who to tell',
      { status: 500, code: 'integrity_error', message: 'Integrity check failed for item i1' },
      token,
      "Integrity check failed for item i1: the stored data was altered, so nothing was returned; tell the service's operator (docs/errors.md)",
    ],
    [
      "a user's unusable second factor names the command that resets it",
      {
        status: 409,
        code: 'mfa_unavailable',
        message:
          'The second factor of this user failed its integrity check and cannot be used; an administrator must reset it.',
      },
      token,
      'The second factor of this user failed its integrity check and cannot be used; an administrator must reset it (`keyhold user reset-mfa EMAIL`)',
    ],
    [
      "a proxy's answer without the admin shape",
      { status: 502 },
      token,
      'the service refused the request (502)',
    ],
  ])('%s', (_name, problem, facts, words) => {
    const said = explainApiError(problem, facts);
    expect(said).toBe(words);
  });
});
