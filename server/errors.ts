/**
 * The one error family of the service. Every error a caller can act on is an AppError with a
 * snake_case code, a message that names the field, the value and the rule, and optional details.
 * The HTTP layer maps `status` to the response; everything else is logged and answered as a 500.
 */
export type ErrorDetails = Record<string, unknown> | readonly unknown[];

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: ErrorDetails | undefined;

  constructor(
    code: string,
    message: string,
    options: { status?: number; details?: ErrorDetails; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.details = options.details;
  }
}

export class InvalidInputError extends AppError {
  constructor(message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super('invalid_input', message, { ...options, status: 400 });
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id: string) {
    super('not_found', `${what} ${JSON.stringify(id)} not found`, { status: 404 });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message: string) {
    super('unauthorized', message, { status: 401 });
  }
}

export class ConfigError extends AppError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('invalid_config', `invalid configuration:\n  ${problems.join('\n  ')}`, {
      details: problems,
    });
    this.problems = problems;
  }
}

/** A failure of the database layer, keeping the driver's error as `cause`. */
export class StorageError extends AppError {
  constructor(message: string, options: { cause?: unknown; details?: ErrorDetails } = {}) {
    super('storage_error', message, { ...options, status: 503 });
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('forbidden', message, { status: 403 });
  }
}

export class ConflictError extends AppError {
  constructor(message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super('conflict', message, { ...options, status: 409 });
  }
}

export class TooManyRequestsError extends AppError {
  readonly retryAfterS: number;
  constructor(message: string, retryAfterS: number) {
    super('too_many_requests', message, { status: 429, details: { retryAfterS } });
    this.retryAfterS = retryAfterS;
  }
}
