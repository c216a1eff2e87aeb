/**
 * HTML to PDF with a headless Chromium driven by playwright-core: the same browser the map's
 * tests use (Debian's chromium), launched with the flags that keep it quiet and offline.
 *
 * The browser starts on the first render and is reused; each render gets its own context and
 * page (closed after), at most `maxConcurrent` at once, each bounded by `renderTimeoutMs`. Every
 * request the page would make is aborted (only data: URLs load), and scripts are off, so a
 * report can never fetch or run anything. A crashed browser is relaunched on the next render.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { AppError, errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { PDF_FOOTER_META } from './render-html.ts';

export interface PdfRenderer {
  /** The PDF (A4, backgrounds printed, "page x of y" and the report's footer line on every page). */
  render(html: string): Promise<Buffer>;
  /** Closes the browser; a later render launches a new one. */
  close(): Promise<void>;
}

export interface PdfRendererOptions {
  /** The Chromium executable; unset: /usr/bin/chromium when it exists (Debian's package). */
  readonly chromiumPath?: string | null | undefined;
  readonly logger: Logger;
  /** Longest time one render may take, launch excluded (default 30 s). */
  readonly renderTimeoutMs?: number;
  /** Renders running at once; more wait their turn (default 2). */
  readonly maxConcurrent?: number;
  /** Longest wait for the browser to start (default 30 s). */
  readonly launchTimeoutMs?: number;
}

const HOW_TO_FIX =
  'set PW_CHROMIUM_PATH to a Chromium or Chrome executable, or install Debian’s chromium with ' +
  '`sudo scripts/install-chromium.sh`';

/** No PDF can be made here: no Chromium found, or it would not start. The message says how to fix it. */
export class PdfRendererUnavailableError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('pdf_unavailable', `${message}: ${HOW_TO_FIX}`, { ...options, status: 503 });
  }
}

/** Debian's chromium, where scripts/install-chromium.sh puts it. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Headless and offline: no GPU, no QUIC, no first-run, background networking, component updates
 * or sync (without these Chromium keeps calling home and floods the log with refused
 * connections). playwright-core gives every launch its own empty profile.
 */
export const QUIET_CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A renderer that launches Chromium lazily; creating it does no I/O.
 * @example
 * const pdf = createPdfRenderer({ chromiumPath: config.report.chromiumPath, logger });
 * const bytes = await pdf.render(renderReportHtml(data, { contentHash }));
 * await pdf.close();
 */
export function createPdfRenderer(options: PdfRendererOptions): PdfRenderer {
  const logger = options.logger;
  const renderTimeoutMs = options.renderTimeoutMs ?? 30_000;
  const launchTimeoutMs = options.launchTimeoutMs ?? 30_000;
  const slots = createSemaphore(options.maxConcurrent ?? 2);
  let browser: Promise<Browser> | null = null;
  let closed = false;

  function executablePath(): string {
    const given = options.chromiumPath;
    if (given !== undefined && given !== null && given !== '') {
      if (!existsSync(given)) {
        throw new PdfRendererUnavailableError(`Chromium ${JSON.stringify(given)} does not exist`);
      }
      return given;
    }
    if (existsSync(DEFAULT_CHROMIUM_PATH)) return DEFAULT_CHROMIUM_PATH;
    throw new PdfRendererUnavailableError(
      `no Chromium to print PDFs with (none configured, and no ${DEFAULT_CHROMIUM_PATH})`,
    );
  }

  function launch(): Promise<Browser> {
    const path = executablePath();
    const started = Date.now();
    const launching = chromium
      .launch({
        executablePath: path,
        headless: true,
        args: [...QUIET_CHROMIUM_ARGS],
        timeout: launchTimeoutMs,
      })
      .then(
        (b) => {
          logger.info('pdf renderer: chromium started', {
            executablePath: path,
            version: b.version(),
            startMs: Date.now() - started,
          });
          b.on('disconnected', () => {
            // A crash (or close): forget it, so the next render launches a fresh browser.
            if (browser === launching) browser = null;
            if (!closed)
              logger.warn('pdf renderer: chromium disconnected', { executablePath: path });
          });
          return b;
        },
        (error: unknown) => {
          if (browser === launching) browser = null;
          throw new PdfRendererUnavailableError(
            `Chromium ${JSON.stringify(path)} could not be started (${errorMessage(error).split('\n')[0] ?? ''})`,
            { cause: error },
          );
        },
      );
    return launching;
  }

  async function renderWith(b: Browser, html: string): Promise<Buffer> {
    const footer = footerLineOf(html);
    const context: BrowserContext = await b.newContext({
      javaScriptEnabled: false,
      serviceWorkers: 'block',
    });
    const work = (async () => {
      const page = await context.newPage();
      page.setDefaultTimeout(renderTimeoutMs);
      await page.route('**/*', (route) =>
        route.request().url().startsWith('data:')
          ? route.continue()
          : route.abort('blockedbyclient'),
      );
      await page.setContent(html, { waitUntil: 'load' });
      return page.pdf({
        format: 'A4',
        printBackground: true,
        displayHeaderFooter: true,
        headerTemplate: '<span></span>',
        footerTemplate: footerTemplate(footer),
        margin: { top: '14mm', right: '12mm', bottom: '16mm', left: '12mm' },
        preferCSSPageSize: false,
      });
    })();
    // A step that hangs (playwright's own calls may never settle once their context is gone)
    // must not hold a render slot: the race answers, and closing the context frees the page.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`it took longer than ${renderTimeoutMs} ms`)),
        renderTimeoutMs,
      );
    });
    try {
      return await Promise.race([work, timeout]);
    } catch (error) {
      if (!b.isConnected()) {
        throw new Error('the PDF renderer’s Chromium stopped during the render', { cause: error });
      }
      throw new Error(`rendering the report to PDF failed: ${errorMessage(error)}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      work.catch(() => undefined);
      await context
        .close()
        .catch((error: unknown) => logger.warn('pdf renderer: closing a page failed', { error }));
    }
  }

  return {
    async render(html) {
      closed = false;
      const release = await slots.acquire();
      try {
        browser ??= launch();
        const b = await browser;
        const started = Date.now();
        const pdf = await renderWith(b, html);
        logger.debug('pdf renderer: rendered', { bytes: pdf.length, ms: Date.now() - started });
        return pdf;
      } finally {
        release();
      }
    },
    async close() {
      closed = true;
      const current = browser;
      browser = null;
      if (current === null) return;
      const b = await current.catch(() => null);
      await b?.close();
    },
  };
}

/** The footer line the HTML carries in its <meta name="pledgewatch-pdf-footer">, unescaped. */
export function footerLineOf(html: string): string {
  const match = new RegExp(`<meta name="${PDF_FOOTER_META}" content="([^"]*)">`).exec(html);
  if (match?.[1] === undefined) return '';
  return match[1]
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

function escapeForTemplate(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/** Chromium fills .pageNumber and .totalPages; the template has no access to the page's CSS. */
function footerTemplate(line: string): string {
  return (
    "<div style=\"width:100%;box-sizing:border-box;padding:0 12mm;font:7px/1.3 'DejaVu Sans',Arial,sans-serif;color:#444;" +
    'display:flex;justify-content:space-between;gap:4mm;-webkit-print-color-adjust:exact">' +
    `<span style="overflow-wrap:anywhere">${escapeForTemplate(line)}</span>` +
    '<span style="white-space:nowrap">Page <span class="pageNumber"></span> of <span class="totalPages"></span></span>' +
    '</div>'
  );
}

/** At most `size` holders at once; the others wait in order. */
function createSemaphore(size: number): { acquire(): Promise<() => void> } {
  let free = Math.max(1, size);
  const waiting: Array<() => void> = [];
  const release = (): void => {
    const next = waiting.shift();
    if (next !== undefined) next();
    else free += 1;
  };
  return {
    acquire() {
      if (free > 0) {
        free -= 1;
        return Promise.resolve(once(release));
      }
      return new Promise((resolve) => waiting.push(() => resolve(once(release))));
    },
  };
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}
