import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../../support/test-app.js';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
export const CONSOLE_DIST = join(ROOT, 'console', 'dist');
export const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');

/** The console's build, made once when `npm run build` has not made it. */
export function ensureConsoleBuilt(): void {
  if (existsSync(join(CONSOLE_DIST, 'index.html'))) return;
  execFileSync('npm', ['run', 'build', '-w', 'console'], { cwd: ROOT, stdio: 'inherit' });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The real app on a port chosen first, so PUBLIC_URL (sign-in links, the OAuth callback) is the
 * address the browser uses: startTestApp listens on an ephemeral port, so its server moves there.
 */
export async function startConsoleApp(overrides: Record<string, string> = {}): Promise<TestApp & { url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await startTestApp({ PUBLIC_URL: url, CONSOLE_DIR: CONSOLE_DIST, ...overrides });
  const server: Server = t.app.getHttpServer();
  await new Promise((resolve) => server.close(resolve));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { ...t, url };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Sends the browser's requests for real provider origins to their local fakes (the authorization page). */
export async function routeToFakes(context: BrowserContext, origins: Record<string, string>): Promise<void> {
  for (const [origin, fake] of Object.entries(origins)) {
    await context.route(`${origin}/**`, async (route) => {
      const url = new URL(route.request().url());
      const response = await route.fetch({ url: `${fake}${url.pathname}${url.search}`, maxRedirects: 0 });
      await route.fulfill({ response });
    });
  }
}

/** Collects what the browser reports about the page: CSP violations and uncaught errors. */
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text()))
      problems.push(`${message.text()} (${message.location().url}:${message.location().lineNumber})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return problems;
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
}

/**
 * What the host page does with the embed script: each button opens the connect URL (`?connect=`) its
 * way and writes the outcome into #outcome.
 */
const EMBEDDING_SCRIPT = `
const connectUrl = new URLSearchParams(location.search).get('connect');
const outcome = document.getElementById('outcome');
for (const button of document.querySelectorAll('button[data-mode]')) {
  button.addEventListener('click', () => {
    Plugboard.connect(connectUrl, { mode: button.dataset.mode, container: '#slot' }).then(
      (result) => { outcome.textContent = JSON.stringify(result); },
      (error) => { outcome.textContent = 'failed: ' + error.code; },
    );
  });
}`;

/**
 * A stand-in for the host platform: the page a connect session returns to, and at /embed?app=<Plugboard
 * origin>&connect=<connect URL> a page that loads Plugboard's embed script.
 */
export async function startHostPage(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://host');
    if (url.pathname === '/embed.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(EMBEDDING_SCRIPT);
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    if (url.pathname === '/embed') {
      const app = (url.searchParams.get('app') ?? '').replace(/[^\w:./-]/g, '');
      return res.end(
        `<!doctype html><html lang="en"><title>Host settings</title><main><h1>Connections</h1>` +
          `<button data-mode="popup">Connect in a popup</button> <button data-mode="iframe">Connect here</button>` +
          `<output id="outcome"></output><div id="slot"></div></main>` +
          `<script src="${app}/connect/embed.js"></script><script src="/embed.js"></script></html>`,
      );
    }
    res.end(`<!doctype html><html lang="en"><title>Host</title><h1>Back on the host</h1><p>${req.url}</p></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A PNG of one colour, `size` pixels square: a logo to upload. */
export function squarePng(size: number, [r, g, b]: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: size }, () => [r, g, b]).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: size }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', pixels),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
