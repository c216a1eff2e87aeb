/**
 * The PDF renderer against a real Chromium: the sample report printed to PDF, then its pages
 * drawn to images by pdf.js inside the same kind of browser, and read back (text and pixels).
 * The page images are saved under test-artifacts/report/; `REGEN=1` (or a missing file) also
 * copies page 1 to docs/report-page.png, the picture the README shows.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../logger.ts';
import { reportContentHash } from './content-hash.ts';
import {
  createPdfRenderer,
  footerLineOf,
  PdfRendererUnavailableError,
  QUIET_CHROMIUM_ARGS,
  type PdfRenderer,
} from './pdf-renderer.ts';
import { renderReportHtml } from './render-html.ts';
import { buildSampleReport } from './sample-report.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const artifactsDir = path.join(projectRoot, 'test-artifacts', 'report');
const docsImage = path.join(projectRoot, 'docs', 'report-page.png');
const pdfjsDir = path.join(projectRoot, 'node_modules', 'pdfjs-dist', 'build');

const HOW_TO_GET_CHROMIUM =
  'no Chromium for the PDF tests: run them with `npm test` (it installs Debian’s chromium if ' +
  'missing), or `sudo scripts/install-chromium.sh`, or set PW_TEST_CHROMIUM to a Chromium or ' +
  'Chrome executable';

/** As the browser tests find theirs: PW_TEST_CHROMIUM, else Debian's /usr/bin/chromium, else null. */
function findChromium(): string | null {
  const given = process.env['PW_TEST_CHROMIUM'];
  if (given !== undefined && given !== '') {
    if (!existsSync(given)) throw new Error(`PW_TEST_CHROMIUM=${given} does not exist`);
    return given;
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null;
}

function collectingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }), lines };
}

describe('createPdfRenderer without a browser', () => {
  it('says how to get one when the configured Chromium does not exist', async () => {
    const renderer = createPdfRenderer({
      chromiumPath: path.join(projectRoot, 'no-such-dir', 'chromium'),
      logger: collectingLogger().logger,
    });
    const failure = renderer.render('<p>x</p>');
    await expect(failure).rejects.toBeInstanceOf(PdfRendererUnavailableError);
    await expect(failure).rejects.toThrow(/no-such-dir\/chromium" does not exist/);
    await expect(failure).rejects.toThrow(/PW_CHROMIUM_PATH.*scripts\/install-chromium\.sh/);
    await renderer.close();
  });

  it('says so when the executable is not a browser', async () => {
    const renderer = createPdfRenderer({
      chromiumPath: process.execPath,
      logger: collectingLogger().logger,
      launchTimeoutMs: 15_000,
    });
    const failure = renderer.render('<p>x</p>');
    await expect(failure).rejects.toBeInstanceOf(PdfRendererUnavailableError);
    await expect(failure).rejects.toThrow(/could not be started.*PW_CHROMIUM_PATH/s);
    await renderer.close();
  });

  it('reads the footer line back from the report HTML', () => {
    const data = buildSampleReport();
    const hash = reportContentHash(data);
    const line = footerLineOf(renderReportHtml(data, { contentHash: hash }));
    expect(line).toBe(
      `${data.loan.reference} · ${data.borrower.name} · report ${data.reportId} · sha256 ${hash}`,
    );
  });
});

const chromiumPath = findChromium();
if (chromiumPath === null)
  process.stderr.write(`\nskipping the PDF tests: ${HOW_TO_GET_CHROMIUM}\n\n`);

interface PageImage {
  readonly text: string;
  readonly pngBase64: string;
  readonly width: number;
  readonly height: number;
  /** Variance of the grey level (0-255) over all pixels: 0 for a blank page. */
  readonly variance: number;
  /** Share of pixels darker than near-white. */
  readonly inkShare: number;
}

/**
 * The page that draws PDF pages with pdf.js: plain browser JavaScript (kept out of the test's own
 * code, which the test runner transforms), exposing `drawPdfPages(base64)`.
 */
const pdfjsPage = `<!DOCTYPE html><title>pdf.js</title><script type="module">
import * as pdfjs from '/pdf.min.mjs';
pdfjs.GlobalWorkerOptions.workerSrc = '/pdf.worker.min.mjs';
globalThis.drawPdfPages = async (base64) => {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const doc = await pdfjs.getDocument({ data: bytes }).promise;
  const pages = [];
  for (let n = 1; n <= doc.numPages; n += 1) {
    const page = await doc.getPage(n);
    const viewport = page.getViewport({ scale: 1.5 });
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(viewport.width);
    canvas.height = Math.ceil(viewport.height);
    const context = canvas.getContext('2d');
    context.fillStyle = '#fff';
    context.fillRect(0, 0, canvas.width, canvas.height);
    await page.render({ canvasContext: context, canvas, viewport }).promise;
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0, sumSq = 0, ink = 0;
    const count = pixels.length / 4;
    for (let i = 0; i < pixels.length; i += 4) {
      const grey = 0.299 * pixels[i] + 0.587 * pixels[i + 1] + 0.114 * pixels[i + 2];
      sum += grey;
      sumSq += grey * grey;
      if (grey < 200) ink += 1;
    }
    const mean = sum / count;
    const content = await page.getTextContent();
    pages.push({
      text: content.items.map((item) => item.str ?? '').join(''),
      pngBase64: canvas.toDataURL('image/png').replace(/^data:image\\/png;base64,/, ''),
      width: canvas.width,
      height: canvas.height,
      variance: sumSq / count - mean * mean,
      inkShare: ink / count,
    });
  }
  return pages;
};
</script>`;

/**
 * Draws every page of `pdf` with pdf.js in `browser`: the library and its worker are served from
 * node_modules on a made-up origin (nothing leaves the machine), the PDF goes in as base64.
 */
async function drawPdfPages(browser: Browser, pdf: Buffer): Promise<PageImage[]> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const files: Record<string, { file: string; type: string }> = {
      '/pdf.min.mjs': { file: path.join(pdfjsDir, 'pdf.min.mjs'), type: 'text/javascript' },
      '/pdf.worker.min.mjs': {
        file: path.join(pdfjsDir, 'pdf.worker.min.mjs'),
        type: 'text/javascript',
      },
    };
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      const served = url.origin === 'http://pdfjs.local' ? files[url.pathname] : undefined;
      if (url.origin === 'http://pdfjs.local' && url.pathname === '/') {
        await route.fulfill({ contentType: 'text/html', body: pdfjsPage });
      } else if (served !== undefined) {
        await route.fulfill({ contentType: served.type, body: await readFile(served.file) });
      } else {
        await route.abort('blockedbyclient');
      }
    });
    await page.goto('http://pdfjs.local/');
    await page.waitForFunction(() => 'drawPdfPages' in globalThis);
    return await page.evaluate(
      (base64: string) =>
        (globalThis as unknown as { drawPdfPages(b: string): Promise<PageImage[]> }).drawPdfPages(
          base64,
        ),
      pdf.toString('base64'),
    );
  } finally {
    await context.close();
  }
}

const withoutSpaces = (text: string): string => text.replace(/\s+/g, '');

/** This process's child processes that are a Chromium (Linux /proc). */
function chromiumChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read from its closing parenthesis.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && /chrom/i.test(comm)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked: not ours to count.
      continue;
    }
  }
  return pids;
}

describe.skipIf(chromiumPath === null)('createPdfRenderer with Chromium', () => {
  let renderer: PdfRenderer;
  let browser: Browser;
  const log = collectingLogger();

  beforeAll(async () => {
    renderer = createPdfRenderer({ chromiumPath, logger: log.logger });
    browser = await chromium.launch({
      executablePath: chromiumPath ?? '',
      headless: true,
      args: [...QUIET_CHROMIUM_ARGS],
      timeout: 30_000,
    });
  });

  afterAll(async () => {
    await renderer?.close();
    await browser?.close();
  });

  it('prints the sample report to a readable A4 PDF with the hash and "Page x of y" on every page', async () => {
    const data = buildSampleReport();
    const hash = reportContentHash(data);
    const pdf = await renderer.render(renderReportHtml(data, { contentHash: hash }));
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await mkdir(artifactsDir, { recursive: true });
    await writeFile(path.join(artifactsDir, 'sample-report.pdf'), pdf);

    const pages = await drawPdfPages(browser, pdf);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    for (const [i, page] of pages.entries()) {
      await writeFile(
        path.join(artifactsDir, `page-${i + 1}.png`),
        Buffer.from(page.pngBase64, 'base64'),
      );
      // A4 portrait (210 x 297 mm, 595 x 842 pt) at 1.5 x 72 dpi: about 893 x 1263 px.
      expect(Math.abs(page.width - 893)).toBeLessThanOrEqual(2);
      expect(Math.abs(page.height - 1263)).toBeLessThanOrEqual(2);
      expect(page.variance, `page ${i + 1} looks blank`).toBeGreaterThan(100);
      expect(page.inkShare, `page ${i + 1} has almost no ink`).toBeGreaterThan(0.003);
      const text = withoutSpaces(page.text);
      expect(text, `footer of page ${i + 1}`).toContain(
        withoutSpaces(`Page ${i + 1} of ${pages.length}`),
      );
      expect(text, `hash on page ${i + 1}`).toContain(hash);
    }
    const first = withoutSpaces(pages[0]?.text ?? '');
    expect(first).toContain(data.loan.reference);
    expect(first).toContain(withoutSpaces(data.borrower.name));
    expect(first).toContain(data.reportId);
    expect(first).toContain('Page1of');
    const all = withoutSpaces(pages.map((p) => p.text).join(''));
    for (const p of data.parcels) expect(all).toContain(p.code);
    for (const a of data.alerts) expect(all).toContain(withoutSpaces(a.title));
    expect(all).toContain('Preparedby');

    if (process.env['REGEN'] === '1' || !existsSync(docsImage)) {
      await copyFile(path.join(artifactsDir, 'page-1.png'), docsImage);
    }
  });

  it('never lets the page fetch anything', async () => {
    let hits = 0;
    const server: Server = createServer((_request, response) => {
      hits += 1;
      response.end('x');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const pdf = await renderer.render(
        `<!DOCTYPE html><html><head><link rel="stylesheet" href="${origin}/a.css"></head><body>` +
          `<p>offline</p><img src="${origin}/b.png"><iframe src="${origin}/c.html"></iframe>` +
          `<script src="${origin}/d.js"></script><div style="background:url(${origin}/e.png)">x</div>` +
          `</body></html>`,
      );
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(hits).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('renders several reports at once on one browser, and again after close()', async () => {
    const launchesBefore = log.lines.filter((l) => l.includes('chromium started')).length;
    const pdfs = await Promise.all(
      ['one', 'two', 'three', 'four'].map((word) => renderer.render(`<p>${word}</p>`)),
    );
    for (const pdf of pdfs) expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(log.lines.filter((l) => l.includes('chromium started')).length).toBe(launchesBefore);
    await renderer.close();
    const again = await renderer.render('<p>again</p>');
    expect(again.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(log.lines.filter((l) => l.includes('chromium started')).length).toBe(launchesBefore + 1);
  });

  it.skipIf(!existsSync('/proc/self/stat'))(
    'launches a new browser on the next render after a crash',
    async () => {
      const crashing = createPdfRenderer({ chromiumPath, logger: log.logger });
      try {
        const before = chromiumChildren();
        expect((await crashing.render('<p>before</p>')).length).toBeGreaterThan(0);
        const started = chromiumChildren().filter((pid) => !before.includes(pid));
        expect(started).toHaveLength(1);
        for (const pid of started) process.kill(pid, 'SIGKILL');
        // The render in flight when it died may fail; the next one gets a fresh browser.
        await crashing.render('<p>right after</p>').catch(() => undefined);
        const after = await crashing.render('<p>after</p>');
        expect(after.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      } finally {
        await crashing.close();
      }
    },
  );

  it('gives up on a render that takes longer than its timeout', async () => {
    const slow = createPdfRenderer({ chromiumPath, logger: log.logger, renderTimeoutMs: 1 });
    try {
      await expect(slow.render('<p>late</p>')).rejects.toThrow(
        /rendering the report to PDF failed/,
      );
      // The browser is still good for the next one.
    } finally {
      await slow.close();
    }
  });
});
