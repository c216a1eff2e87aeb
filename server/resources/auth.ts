import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv, Services } from '../app-env.ts';
import { errorResponses } from '../api/schemas.ts';
import { createApiRouter } from '../api/router.ts';
import { recordAudit } from '../db/audit.ts';
import { UnauthorizedError } from '../errors.ts';
import { authenticate } from '../auth/authenticate.ts';
import { clientAddress, isHttps } from '../auth/client-address.ts';
import {
  beginLoginAttempt,
  loginSucceeded,
  normalizeEmail,
  pruneLoginAttempts,
} from '../auth/login-limiter.ts';
import { maxPasswordLength, verifyPassword } from '../auth/passwords.ts';
import type { Principal, Role } from '../auth/principal.ts';
import { createSession, revokeSession, sessionCookieName } from '../auth/sessions.ts';
import { hashToken } from '../auth/tokens.ts';
import { findUser, userSchema } from '../auth/users.ts';

const loginSchema = z
  .object({
    email: z.string().min(1).max(320).openapi({ example: 'lies.vermeulen@pledgewatch.example' }),
    password: z.string().min(1).max(maxPasswordLength),
  })
  .openapi('Login');

/** One answer for an unknown email, a wrong password and a disabled user. */
const refusedMessage = 'email or password refused';
/** Failed attempts are kept this long (for the record), then pruned. */
const attemptRetentionMs = 7 * 86_400_000;
const pruneEveryMs = 3_600_000;

/**
 * `/api/auth`: login and logout for the web app (an httpOnly, SameSite=Strict session cookie) and
 * `me`. Login and logout are reachable without a session; `me` needs one (or an API key).
 */
export function createAuthRoutes(services: Services): OpenAPIHono<AppEnv> {
  const { config, storage, logger } = services;
  const limits = {
    windowMs: config.auth.loginWindowMs,
    maxFailuresPerEmail: config.auth.loginMaxFailuresPerEmail,
    maxFailuresPerIp: config.auth.loginMaxFailuresPerIp,
  };
  const proxy = { trustProxy: config.http.trustProxy };
  const cookieOptions = (c: Context<AppEnv>) =>
    ({
      path: '/',
      httpOnly: true,
      sameSite: 'Strict',
      secure: config.auth.sessionCookieSecure || isHttps(c, proxy),
    }) as const;
  let prunedAt = 0;

  const app = createApiRouter();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/login',
      tags: ['auth'],
      summary: 'Log in with email and password: sets the session cookie',
      description:
        'Too many failed logins for one email or from one address within the window answer 429 with Retry-After.',
      security: [],
      request: {
        body: { content: { 'application/json': { schema: loginSchema } }, required: true },
      },
      responses: {
        200: {
          description: 'the signed-in user; the session is in the pw_session cookie',
          content: { 'application/json': { schema: userSchema } },
        },
        ...errorResponses,
        429: {
          description: 'too many failed logins: retry after Retry-After seconds',
          content: errorResponses[401].content,
        },
      },
    }),
    async (c) => {
      const { email, password } = c.req.valid('json');
      const clientIp = clientAddress(c, proxy);
      if (Date.now() - prunedAt > pruneEveryMs) {
        prunedAt = Date.now();
        await pruneLoginAttempts(storage, Math.max(attemptRetentionMs, limits.windowMs));
      }
      const attempt = await beginLoginAttempt(storage, { email, clientIp }, limits);

      const { rows } = await storage.query<{
        id: string;
        email: string;
        role: Role;
        branch_id: string | null;
        password_hash: string | null;
        disabled_at: Date | null;
      }>(
        'select id, email, role, branch_id, password_hash, disabled_at from users where lower(email) = $1',
        [normalizeEmail(email)],
      );
      const user = rows[0];
      // The hash is checked even for a disabled user, so timing does not tell disabled from wrong.
      const passwordOk = await verifyPassword(password, user?.password_hash ?? null);
      if (user === undefined || !passwordOk || user.disabled_at !== null) {
        logger.warn('login refused', { clientIp, requestId: c.get('requestId') });
        throw new UnauthorizedError(refusedMessage);
      }

      const principal: Principal = {
        kind: 'user',
        userId: user.id,
        email: user.email,
        role: user.role,
        branchId: user.branch_id,
        apiKeyId: null,
      };
      const session = await storage.transaction(async (tx) => {
        await loginSucceeded(tx, attempt);
        const created = await createSession(tx, user.id, { ttlMs: config.auth.sessionTtlMs });
        await recordAudit(tx, {
          principal,
          action: 'login',
          entityType: 'users',
          entityId: user.id,
          branchId: user.branch_id,
          before: null,
          after: { clientIp, sessionExpiresAt: created.expiresAt.toISOString() },
          requestId: c.get('requestId'),
        });
        return created;
      });
      setCookie(c, sessionCookieName, session.token, {
        ...cookieOptions(c),
        expires: session.expiresAt,
        maxAge: Math.floor(config.auth.sessionTtlMs / 1000),
      });
      const answer = await findUser(storage, user.id);
      if (answer === null) throw new UnauthorizedError(refusedMessage); // deleted meanwhile
      return c.json(answer, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/logout',
      tags: ['auth'],
      summary: 'Log out: ends the session and clears the cookie',
      security: [],
      responses: {
        204: { description: 'signed out (also when there was no session)' },
        ...errorResponses,
      },
    }),
    async (c) => {
      const token = getCookie(c, sessionCookieName);
      if (token !== undefined) {
        await storage.transaction(async (tx) => {
          const { rows } = await tx.query<{
            id: string;
            email: string;
            role: Role;
            branch_id: string | null;
          }>(
            `select u.id, u.email, u.role, u.branch_id from sessions s join users u on u.id = s.user_id
             where s.id_hash = $1 and s.revoked_at is null and s.expires_at > now()`,
            [hashToken(token)],
          );
          await revokeSession(tx, token);
          const user = rows[0];
          if (user === undefined) return;
          await recordAudit(tx, {
            principal: {
              kind: 'user',
              userId: user.id,
              email: user.email,
              role: user.role,
              branchId: user.branch_id,
              apiKeyId: null,
            },
            action: 'logout',
            entityType: 'users',
            entityId: user.id,
            branchId: user.branch_id,
            before: null,
            after: null,
            requestId: c.get('requestId'),
          });
        });
      }
      deleteCookie(c, sessionCookieName, cookieOptions(c));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me',
      tags: ['auth'],
      summary: 'The signed-in user (or the owner of the API key)',
      middleware: [authenticate(storage)] as const,
      responses: {
        200: { description: 'the caller', content: { 'application/json': { schema: userSchema } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      const user = await findUser(storage, c.get('principal').userId);
      if (user === null) throw new UnauthorizedError('the signed-in user no longer exists');
      return c.json(user, 200);
    },
  );

  return app;
}
