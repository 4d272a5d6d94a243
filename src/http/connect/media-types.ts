import { unsupportedMediaType } from '../../errors/app-error.js';
import type { BodyKind } from './routes.js';

/**
 * The media types a request body of each kind may be sent as. A JSON Patch (RFC 6902) may also
 * come as `application/json-patch+json`, its registered type; it is read with the same strict
 * JSON parser and size limit as `application/json`.
 */
const BODY_MEDIA_TYPES: Readonly<Record<Exclude<BodyKind, 'none'>, readonly string[]>> = {
  json: ['application/json'],
  'json-patch': ['application/json', 'application/json-patch+json'],
  bytes: ['application/octet-stream'],
};

/** The media type of a Content-Type header, lower-case and without parameters. */
function mediaTypeOf(contentType: string | undefined): string | undefined {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() || undefined;
}

/** Throws a 415 unless `contentType` is one a body of `kind` may be sent as. */
export function checkMediaType(kind: Exclude<BodyKind, 'none'>, contentType: string | undefined): void {
  const accepted = BODY_MEDIA_TYPES[kind];
  const mediaType = mediaTypeOf(contentType);
  if (mediaType !== undefined && accepted.includes(mediaType)) return;
  throw unsupportedMediaType(
    `Unsupported Content-Type ${mediaType ? `'${mediaType}'` : '(none)'}: send the body as ${accepted.join(' or ')}`,
  );
}
