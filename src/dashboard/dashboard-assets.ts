import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** A file the page needs, served from memory with its digest as ETag. */
export interface Asset {
  readonly body: Buffer;
  readonly gzipped: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

/** The files under `assets/`, by the name the page asks for them (`assets/<name>`). */
export const ASSET_FILES: Readonly<Record<string, string>> = Object.freeze({
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
});

const PAGE_FILE = 'index.html';
const BASE_PLACEHOLDER = '{{base}}';

/** `assets/` next to this file in the sources, `dashboard-assets/` in the build (tsup copies it). */
function assetsDir(): URL {
  const here = import.meta.url;
  const candidates = [new URL('./assets/', here), new URL('./dashboard-assets/', here)];
  const found = candidates.find((dir) => existsSync(fileURLToPath(new URL(PAGE_FILE, dir))));
  if (found === undefined) throw new Error(`The dashboard's page files are missing (looked in ${candidates.map((dir) => fileURLToPath(dir)).join(', ')}).`);
  return found;
}

function asset(body: Buffer, contentType: string): Asset {
  return { body, gzipped: gzipSync(body), contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

/** Every asset and the page template, read once. */
export class DashboardAssets {
  readonly #assets = new Map<string, Asset>();
  readonly #page: string;

  constructor() {
    const dir = assetsDir();
    for (const [name, type] of Object.entries(ASSET_FILES)) this.#assets.set(name, asset(readFileSync(new URL(name, dir)), type));
    this.#page = readFileSync(new URL(PAGE_FILE, dir), 'utf8');
  }

  get(name: string): Asset | undefined {
    return this.#assets.get(name);
  }

  /** The page, with `<base href>` set to where the dashboard is mounted (so it works under any path). */
  page(base: string): Asset {
    return asset(Buffer.from(this.#page.replace(BASE_PLACEHOLDER, escapeAttribute(base)), 'utf8'), 'text/html; charset=utf-8');
  }

  /** Bytes of the page and every asset, plain and gzipped: the page weight docs/dashboard.md states. */
  weight(): { readonly bytes: number; readonly gzipBytes: number } {
    const all = [this.page('/'), ...this.#assets.values()];
    return { bytes: all.reduce((sum, item) => sum + item.body.length, 0), gzipBytes: all.reduce((sum, item) => sum + item.gzipped.length, 0) };
  }
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
