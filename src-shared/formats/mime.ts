/**
 * Content types of the renderer's built files, by extension (with the dot), shared by the two
 * places that serve them: the Electron `app://` protocol handler (src-main/app/security.ts) and the
 * loopback web host (src-main/host/web-host.ts). Pure data.
 */
export const RENDERER_MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** The content type of a file with extension `ext` (e.g. `.js`); `application/octet-stream` when unknown. */
export function rendererMimeType(ext: string): string {
  return RENDERER_MIME[ext] ?? 'application/octet-stream';
}
