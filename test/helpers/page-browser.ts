import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/**
 * A browser over `app.inject` for the sign-in pages: it keeps the cookies the pages set (a
 * `Max-Age=0` one is forgotten) and sends them back, and reads form fields from the HTML. No
 * redirect is followed: tests look at every answer.
 */
export class PageBrowser {
  readonly cookies = new Map<string, string>();

  constructor(
    readonly app: FastifyInstance,
    readonly remoteAddress = '192.0.2.10',
  ) {}

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.#keep(
      await this.app.inject({
        method: 'GET',
        url,
        headers: this.#headers(),
        remoteAddress: this.remoteAddress,
      }),
    );
  }

  async post(url: string, form: Record<string, string>): Promise<LightMyRequestResponse> {
    return this.#keep(
      await this.app.inject({
        method: 'POST',
        url,
        headers: { ...this.#headers(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(form).toString(),
        remoteAddress: this.remoteAddress,
      }),
    );
  }

  /** Loads a page and posts its form with `fields` added (the CSRF token and hidden fields come from the page). */
  async submit(
    pageUrl: string,
    fields: Record<string, string>,
    action?: string,
  ): Promise<LightMyRequestResponse> {
    const page = await this.get(pageUrl);
    return this.post(action ?? formAction(page.body), { ...hiddenFields(page.body), ...fields });
  }

  #headers(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  }

  #keep(response: LightMyRequestResponse): LightMyRequestResponse {
    const raw = response.headers['set-cookie'];
    for (const line of raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = decodeURIComponent(pair.slice(at + 1).trim());
      if (attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
}

const decode = (s: string) =>
  s
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

/** The hidden inputs of the (first) form of a page. */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1] as string] = decode(m[2] as string);
  }
  return fields;
}

export function formAction(html: string): string {
  const m = /<form method="post" action="([^"]+)">/.exec(html);
  if (!m?.[1]) throw new Error('the page has no form');
  return decode(m[1]);
}
