// The floor of `driftguard replay` over a folder of CloudTrail log files: read, gunzip and
// JSON.parse each one, and nothing else.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const dir = process.argv[2];
let records = 0;
for (const name of readdirSync(dir).sort()) {
  records += JSON.parse(gunzipSync(readFileSync(join(dir, name))).toString('utf8')).Records.length;
}
if (records === 0) process.exit(1);
