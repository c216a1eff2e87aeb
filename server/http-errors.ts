import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError } from './errors.ts';
import type { Logger } from './logger.ts';

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown; requestId: string | null };
}

/**
 * The single mapping from errors to HTTP answers: AppErrors with their status and envelope,
 * anything unknown logged with its stack and answered as a generic 500.
 */
export function createErrorHandler(logger: Logger) {
  return (error: Error, c: Context): Response => {
    const requestId = (c.get('requestId') as string | undefined) ?? null;
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
