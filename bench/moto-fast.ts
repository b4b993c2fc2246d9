import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * moto's server, with two of its per-request costs taken out for a long run (nothing about AWS's
 * behaviour changes): it lists its own package directory on every request to route it (under a
 * global lock), and logs every request line. A shim in front of `python -m moto.server` caches the
 * listing and quiets the request log.
 */
export function fastMotoPython(): string {
  const launcher = [
    'import sys, logging',
    'import moto.backends as backends',
    'modules = list(backends.list_of_moto_modules())',
    'backends.list_of_moto_modules = lambda: modules',
    "logging.getLogger('werkzeug').setLevel(logging.ERROR)",
    // Keep-alive: one server thread per connection instead of one per request.
    'from werkzeug.serving import WSGIRequestHandler',
    "WSGIRequestHandler.protocol_version = 'HTTP/1.1'",
    'from moto.server import main',
    'main(sys.argv[1:])',
  ].join('\n');
  const python = process.env.DRIFTGUARD_PYTHON ?? 'python3';
  const dir = mkdtempSync(join(tmpdir(), 'driftguard-load-'));
  const script = join(dir, 'moto_fast.py');
  writeFileSync(script, `${launcher}\n`);
  const shim = join(dir, 'python');
  writeFileSync(
    shim,
    `#!/bin/sh\nif [ "$1" = "-m" ] && [ "$2" = "moto.server" ]; then shift 2; exec ${python} ${script} "$@"; fi\nexec ${python} "$@"\n`,
  );
  chmodSync(shim, 0o755);
  return shim;
}
