import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  AppError,
  ConflictError,
  InvalidInputError,
  StorageError,
  TooManyRequestsError,
} from './errors.ts';
import type { Logger } from './logger.ts';

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown; requestId: string | null };
}

/**
 * The single mapping from errors to HTTP answers: AppErrors with their status and envelope,
 * anything unknown logged with its stack and answered as a generic 500.
 */
export function createErrorHandler(logger: Logger) {
  return (caught: Error, c: Context): Response => {
    const requestId = (c.get('requestId') as string | undefined) ?? null;
    const error = fromConstraintViolation(caught);
    if (error instanceof TooManyRequestsError) c.header('Retry-After', String(error.retryAfterS));
    if (error instanceof AppError && error.status === 401)
      c.header('WWW-Authenticate', 'Bearer realm="pledgewatch"');
    if (error instanceof AppError && error.status < 500) {
      return c.json(
        envelope(error.code, error.message, requestId, error.details),
        error.status as ContentfulStatusCode,
      );
    }
    if (error instanceof HTTPException) {
      const code = error.status === 413 ? 'payload_too_large' : `http_${error.status}`;
      return c.json(envelope(code, error.message || 'request refused', requestId), error.status);
    }
    if (error instanceof AppError) {
      logger.error('request failed', { requestId, error });
      return c.json(
        envelope(error.code, error.message, requestId),
        error.status as ContentfulStatusCode,
      );
    }
    logger.error('unexpected error', { requestId, error });
    return c.json(envelope('internal_error', 'internal error', requestId), 500);
  };
}

export function envelope(
  code: string,
  message: string,
  requestId: string | null,
  details?: unknown,
): ErrorEnvelope {
  return { error: { code, message, ...(details === undefined ? {} : { details }), requestId } };
}

/**
 * The database enforces what the code might miss (uniqueness, references, checks); when it does,
 * the caller hears a 409 or 400 naming the constraint, not a 503.
 */
export function fromConstraintViolation(error: Error): Error {
  if (!(error instanceof StorageError)) return error;
  const cause = error.cause as { code?: string; constraint?: string; detail?: string } | undefined;
  const sqlstate = cause?.code;
  const detail = cause?.detail ?? error.message.replace(/ \(in: .*\)$/, '');
  const details = { constraint: cause?.constraint ?? null };
  switch (sqlstate) {
    case '23505':
      return new ConflictError(`already exists: ${detail}`, { details, cause: error });
    case '23503':
      return new ConflictError(`reference problem: ${detail}`, { details, cause: error });
    case '23514':
    case '23502':
    case '22P02':
    case '22003':
    case '22007':
    case '22008':
      return new InvalidInputError(`rejected by the database: ${detail}`, {
        details,
        cause: error,
      });
    default:
      return error;
  }
}
