import { invalidRequest } from './oauth-error.js';

/** RFC 6749 §3.2: parameters must not be repeated (RFC 8707 lets `resource` repeat). */
export function refuseRepeatedParameters(form: URLSearchParams, repeatable: string[] = []): void {
  const seen = new Set<string>();
  for (const key of form.keys()) {
    if (seen.has(key) && !repeatable.includes(key)) throw invalidRequest(`parameter ${key} is repeated`);
    seen.add(key);
  }
}
