import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};

const ASSET_DIR = join('apps', 'audit', 'src', 'dashboard', 'public');

/**
 * The dashboard's static files. They sit beside this file in the sources; tsc does not copy them into dist/, so
 * from a build they are found by walking up to the repository (or to a deployment that keeps the same layout).
 */
export function findAssetDirectory(start: string = __dirname): string {
  const beside = join(start, 'public');
  if (existsSync(join(beside, 'index.html'))) return beside;
  for (let dir = start, depth = 0; depth < 8; depth++, dir = dirname(dir)) {
    const candidate = join(dir, ASSET_DIR);
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  throw new Error(`dashboard assets not found (looked for ${ASSET_DIR} above ${start})`);
}

/** Reads every asset once at boot: a handful of kilobytes, served from memory. */
export function loadAssets(directory: string = findAssetDirectory()): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [name, contentType] of Object.entries(FILES)) {
    const body = readFileSync(join(directory, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, contentType, etag });
  }
  return assets;
}
