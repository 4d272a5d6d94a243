import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  redirectUriMatches,
  redirectUriProblem,
  validateRedirectUri,
} from '../../../src/domain/oauth/redirect-uris.js';
import { quoted } from '../../../src/domain/oauth/scope-names.js';
import { expectInvalid, invalidMessage } from '../items/helpers.js';

const NOT_HTTP =
  '`http` is allowed only for the loopback IP literals `127.0.0.1` and `[::1]`, written exactly so ' +
  '(RFC 8252 §7.3); use `https`';
const LOCALHOST =
  '`localhost` is not allowed, because it can resolve elsewhere: use `http://127.0.0.1:<port>/…` ' +
  'or `http://[::1]:<port>/…` instead (RFC 8252 §8.3)';
const SCHEME = (scheme: string) =>
  `the \`${scheme}\` scheme is not allowed: use \`https\`, \`http\` on a loopback IP literal, or a ` +
  'private-use scheme in reverse-domain form such as `com.example.app:/callback` (RFC 8252 §7.1)';
const USERINFO = 'it has user information (`user@`) before the host, which is not allowed';
const WILDCARD = 'wildcards (`*`) are not allowed: register every redirect URI in full';
const FRAGMENT = 'it has a fragment (`#…`), which a redirect URI must not have (RFC 6749 §3.1.2)';
const NOT_ASCII = 'it contains a space, a control character or a non-ASCII character; percent-encode them';

describe('validateRedirectUri', () => {
  it.each([
    'https://app.example.com/callback',
    'https://app.example.com',
    'https://app.example.com:8443/cb?tenant=a&x=%20y',
    'https://App.Example.COM/Callback/', // kept as written: matching is exact
    'http://127.0.0.1/cb',
    'http://127.0.0.1:8080/cb',
    'http://127.0.0.1',
    'http://[::1]:53123/oauth?x=1',
    'com.example.app:/oauth2redirect/example-provider',
    'com.example.app://callback',
  ])('accepts %s and returns it unchanged', (uri) => {
    expect(validateRedirectUri(uri)).toBe(uri);
    expect(redirectUriProblem(uri)).toBeUndefined();
  });

  it.each([
    ['', 'it is empty'],
    [`https://app.example.com/${'a'.repeat(2030)}`, 'it is longer than 2048 characters'],
    ['https://app.example.com/cb#x', FRAGMENT],
    ['https://app.example.com/cb#', FRAGMENT],
    ['https://user:pw@app.example.com/cb', USERINFO],
    ['https://evil.com@app.example.com/cb', USERINFO],
    ['https://@app.example.com/cb', USERINFO],
    ['com.example.app://user@host/cb', USERINFO],
    ['https://*.example.com/cb', WILDCARD],
    ['https://app.example.com/cb/*', WILDCARD],
    ['http://app.example.com/cb', NOT_HTTP],
    ['http://127.1/cb', NOT_HTTP], // the URL parser would read it as 127.0.0.1; we do not
    ['http://[0:0::1]/cb', NOT_HTTP],
    ['http://127.0.0.1.nip.io/cb', NOT_HTTP],
    ['http://127.0.0.1:/cb', NOT_HTTP],
    ['http://127.0.0.1:08080/cb', NOT_HTTP],
    ['http://10.0.0.1/cb', NOT_HTTP],
    ['http://localhost:8080/cb', LOCALHOST],
    ['http://LOCALHOST/cb', LOCALHOST],
    ['http://app.localhost/cb', LOCALHOST],
    ['http://localhost./cb', LOCALHOST],
    ['javascript:alert(1)', 'the `javascript:` scheme is never allowed'],
    ['JavaScript:alert(1)', 'the `javascript:` scheme is never allowed'],
    ['data:text/html,hi', 'the `data:` scheme is never allowed'],
    ['file:///etc/passwd', 'the `file:` scheme is never allowed'],
    ['vbscript:msgbox', 'the `vbscript:` scheme is never allowed'],
    ['ftp://files.example.com/cb', SCHEME('ftp:')],
    ['myapp:/callback', SCHEME('myapp:')],
    ['wss://app.example.com/cb', SCHEME('wss:')],
    ['/callback', 'it is not an absolute URI such as `https://app.example.com/callback`'],
    ['app.example.com/callback', 'it is not an absolute URI such as `https://app.example.com/callback`'],
    ['https:app.example.com/cb', 'it must start with `https://` in lowercase'],
    ['https:/app.example.com/cb', 'it must start with `https://` in lowercase'],
    ['HTTPS://app.example.com/cb', 'it must start with `https://` in lowercase'],
    ['HTTP://127.0.0.1/cb', 'it must start with `http://` in lowercase'],
    ['https:\\\\evil.com/cb', 'it contains `\\`, which browsers read as `/`'],
    ['https://app.example.com\\@evil.com/cb', 'it contains `\\`, which browsers read as `/`'],
    ['https://app.example.com/a b', NOT_ASCII],
    [' https://app.example.com/cb', NOT_ASCII],
    ['https://app.example.com/cb\n', NOT_ASCII],
    ['https://app.example.com/\t/cb', NOT_ASCII],
    ['https://app.example.com/é', NOT_ASCII],
  ])('refuses %j, naming it and the rule', (uri, rule) => {
    expectInvalid(() => validateRedirectUri(uri), `Invalid redirect URI ${quoted(uri)}: ${rule}`);
    expect(redirectUriProblem(uri)).toBe(rule);
  });

  it('says to use 127.0.0.1 instead of localhost', () => {
    expect(invalidMessage(() => validateRedirectUri('http://localhost:3000/cb'))).toContain(
      'use `http://127.0.0.1:<port>/…`',
    );
  });

  it('never lets a control character reach the message unescaped', () => {
    const message = invalidMessage(() => validateRedirectUri('https://a.example/\r\nSet-Cookie: x'));
    expect(message).not.toMatch(/[\r\n]/);
    expect(message).toContain('\\u000d\\u000a');
  });
});

describe('redirectUriMatches', () => {
  const registered = [
    'https://app.example.com/callback',
    'http://127.0.0.1:8080/cb',
    'http://[::1]/native',
    'com.example.app:/oauth2redirect',
  ];

  it.each([
    'https://app.example.com/callback',
    'com.example.app:/oauth2redirect',
    'http://127.0.0.1:8080/cb', // as registered
    'http://127.0.0.1:51234/cb', // RFC 8252 §7.3: any port on loopback
    'http://127.0.0.1/cb', // no port at all is a port too
    'http://127.0.0.1:65535/cb',
    'http://[::1]:7/native',
    'http://[::1]/native',
  ])('matches %s', (requested) => {
    expect(redirectUriMatches(registered, requested)).toBe(true);
  });

  it.each([
    // exact string match everywhere else: no normalisation
    'https://app.example.com/callback/',
    'https://app.example.com:443/callback',
    'https://APP.example.com/callback',
    'https://app.example.com/Callback',
    'https://app.example.com/callback?x=1',
    'https://app.example.com/callback#x',
    'https://app.example.com/callback/../evil',
    'https://app.example.com.evil.com/callback',
    'https://evil.com/callback',
    'https://app.example.com:8443/callback', // only loopback may vary its port
    'http://app.example.com/callback',
    'com.example.app:/oauth2redirect/x',
    // loopback: only the port may differ
    'http://127.0.0.1:8080/cb/../evil',
    'http://127.0.0.1:8080/cb/',
    'http://127.0.0.1:8080/CB',
    'http://127.0.0.1:8080/cb?x=1',
    'http://127.0.0.1:8080/cb#x',
    'http://127.0.0.1:8080//evil.com/cb',
    'http://127.0.0.1.evil.com/cb',
    'http://127.0.0.1.evil.com:8080/cb',
    'http://127.0.0.1:8080@evil.com/cb',
    'http://127.0.0.1@evil.com/cb',
    'http://evil.com@127.0.0.1:8080/cb',
    'http://127.0.0.1:8080\\@evil.com/cb',
    'http://127.0.0.1:65536/cb',
    'http://127.0.0.1:0/cb',
    'http://127.0.0.1:08080/cb',
    'http://127.0.0.1:/cb',
    'http://127.1:8080/cb',
    'http://localhost:8080/cb',
    'http://[::1]:8080/cb', // another host than the registered 127.0.0.1
    'http://127.0.0.1:9/native', // another host than the registered [::1]
    'https://127.0.0.1:8080/cb',
    'HTTP://127.0.0.1:9000/cb',
    'http://127.0.0.1:9000/cb ',
    '',
  ])('does not match %j', (requested) => {
    expect(redirectUriMatches(registered, requested)).toBe(false);
  });

  it('gives no port leeway to a stored URI that only starts like a loopback one', () => {
    // Registration refuses it; matching must not rely on that.
    expect(redirectUriMatches(['http://127.0.0.1.evil.com/cb'], 'http://127.0.0.1:9.evil.com/cb')).toBe(
      false,
    );
    expect(redirectUriMatches(['http://127.0.0.1@evil.com/cb'], 'http://127.0.0.1:9@evil.com/cb')).toBe(
      false,
    );
  });

  it('matches nothing when nothing is registered', () => {
    expect(redirectUriMatches([], 'http://127.0.0.1/cb')).toBe(false);
  });

  it('never sends a browser anywhere but the registered host and path (property)', () => {
    const tail = fc.string({
      maxLength: 12,
      unit: fc.constantFrom(':', '/', '@', '.', '?', '#', '\\', '1', 'e', '%'),
    });
    const requested = fc.oneof(
      fc.string(),
      tail.map((t) => `http://127.0.0.1${t}`),
      tail.map((t) => `http://127.0.0.1:8080/cb${t}`),
      fc.tuple(tail, tail).map(([a, b]) => `http://127.0.0.1${a}/cb${b}`),
    );
    fc.assert(
      fc.property(requested, (uri) => {
        if (!redirectUriMatches(['http://127.0.0.1:8080/cb'], uri)) return;
        const url = new URL(uri);
        expect(url.protocol).toBe('http:');
        expect(url.hostname).toBe('127.0.0.1');
        expect(url.username + url.password + url.search + url.hash).toBe('');
        expect(url.pathname).toBe('/cb');
      }),
      { numRuns: 2000 },
    );
  });

  it('lets a loopback URI take any port (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65_535 }), (port) => {
        expect(redirectUriMatches(['http://127.0.0.1/cb?a=1'], `http://127.0.0.1:${port}/cb?a=1`)).toBe(true);
        expect(redirectUriMatches(['https://app.example.com/cb'], `https://app.example.com:${port}/cb`)).toBe(
          false,
        );
      }),
    );
  });
});
