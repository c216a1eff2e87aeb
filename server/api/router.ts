import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.ts';
import { InvalidInputError } from '../errors.ts';

/**
 * A sub-app whose request validation failures become our 400 envelope, listing every problem with
 * its field path (`body.boundary.coordinates[0]: ...`).
 */
export function createApiRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      const problems = result.error.issues.map((issue) => ({
        path: formatPath([result.target, ...issue.path]),
        message: issue.message,
      }));
      throw new InvalidInputError(problems.map((p) => `${p.path}: ${p.message}`).join('; '), {
        details: problems,
      });
    },
  });
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((part, i) =>
      typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`,
    )
    .join('');
}
