import secureJson from 'secure-json-parse';
import { AppError, badRequest } from '../errors/app-error.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A JSON request body, strictly: it must be valid UTF-8 (a lenient decoder would silently turn
 * bad bytes into U+FFFD and store the corruption) and may not hold `__proto__` or
 * `constructor.prototype` keys. An empty body is no body (undefined): clients send
 * `Content-Type: application/json` on GET and DELETE too.
 */
export function parseStrictJson(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw badRequest('Request body is not valid UTF-8', 'invalid_utf8');
  }
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    const detail =
      error instanceof SyntaxError
        ? syntaxDetail(error.message)
        : 'it contains a forbidden __proto__ or constructor key';
    throw new AppError(400, 'invalid_json', `Request body is not valid JSON: ${detail}`);
  }
}

/**
 * V8's reason, unless it quotes the body: its "Unexpected token" messages repeat the text around
 * the token (`Unexpected token 'h', "{"password": hunter2}" is not valid JSON`), and that text
 * may be a secret. The others name a position and JSON's own punctuation only.
 */
function syntaxDetail(message: string): string {
  return message.includes('"') ? 'an unexpected character' : message;
}

/** Strictly decoded UTF-8 text (see parseStrictJson), for form bodies. */
export function decodeStrictUtf8(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw badRequest('Request body is not valid UTF-8', 'invalid_utf8');
  }
}
