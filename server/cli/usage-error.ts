import { AppError } from '../errors.ts';

/** A command line the command cannot run: the CLI prints the message and the command's usage. */
export class CliUsageError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('invalid_usage', message, { ...options, status: 400 });
  }
}
