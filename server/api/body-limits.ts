import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../app-env.ts';
import { envelope } from '../http-errors.ts';

/** A route that may take a larger body than the service-wide limit (a land-register import). */
export interface BodyLimitRule {
  readonly method: string;
  /** Matched against the full request path, e.g. `/api/farms/import`. */
  readonly path: RegExp;
  readonly maxBytes: number;
}

/**
 * The request body limit, checked before anything reads the body: `defaultMaxBytes` for every
 * route except those a rule names, which get the rule's limit (never less than the default). Too
 * large a body is refused with 413 and the error envelope naming the limit.
 *
 * A route-level `bodyLimit` cannot raise a limit set for the whole app, since the app-wide one
 * refuses the body first; hence one middleware that picks the limit by route.
 *
 * @example app.use(limitRequestBodies(1_048_576, [{ method: 'POST', path: /^\/api\/farms\/import$/, maxBytes: 20_971_520 }]))
 */
export function limitRequestBodies(
  defaultMaxBytes: number,
  rules: readonly BodyLimitRule[],
): MiddlewareHandler<AppEnv> {
  const limit = (maxBytes: number): MiddlewareHandler<AppEnv> =>
    bodyLimit({
      maxSize: maxBytes,
      onError: (c) =>
        c.json(
          envelope(
            'payload_too_large',
            `request body exceeds the limit of ${maxBytes} bytes`,
            c.get('requestId'),
          ),
          413,
        ),
    });
  const fallback = limit(defaultMaxBytes);
  const special = rules.map((rule) => ({
    rule,
    middleware: limit(Math.max(rule.maxBytes, defaultMaxBytes)),
  }));
  return async (c, next) => {
    const match = special.find(
      ({ rule }) => rule.method === c.req.method && rule.path.test(c.req.path),
    );
    return (match?.middleware ?? fallback)(c, next);
  };
}
