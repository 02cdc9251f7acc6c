/**
 * A real headless Chromium for the report tests: Debian's `chromium` package, installed with apt when
 * missing (CI runs on a fresh Debian machine as root), driven by playwright-core. Where apt is not
 * possible the caller skips, loudly.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** The path of Chromium, installing Debian's package if needed; or why it cannot be had. */
export function ensureChromium(): { path: string } | { skip: string } {
  if (existsSync(CHROMIUM)) return { path: CHROMIUM };
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (!root || !apt) return { skip: `Chromium is not installed at ${CHROMIUM} and cannot be installed here (${!apt ? 'no apt-get' : 'not root'}): install Debian's chromium package to run the report browser tests.` };
  try {
    process.stderr.write('installing Debian\'s chromium package for the report browser tests (apt-get install -y chromium)...\n');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: 300_000 });
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'ignore', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (e) {
    return { skip: `apt-get install -y chromium failed (${(e as Error).message.split('\n')[0]}): the report browser tests cannot run.` };
  }
  return existsSync(CHROMIUM) ? { path: CHROMIUM } : { skip: `apt-get installed chromium but ${CHROMIUM} is missing.` };
}

export interface Loaded { page: Page; errors: string[]; close: () => Promise<void> }

/** Opens `file` in a fresh headless Chromium profile; every console error and page error is collected. */
export async function openPage(executablePath: string, file: string, viewport = { width: 1280, height: 900 }): Promise<Loaded> {
  const profile = mkdtempSync(join(tmpdir(), 'twinvla-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath, headless: true, viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  const browser: Browser | null = context.browser();
  return { page, errors, close: async () => { await context.close(); await browser?.close(); } };
}
