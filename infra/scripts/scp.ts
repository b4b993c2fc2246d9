/**
 * `npm run infra:scp -- <stage>`: prints the SCP that protects driftguard's member footprint
 * (infra/scp.ts), minified as Organizations counts it. `--pretty` prints it indented.
 */
import { memberFootprintScp, SCP_MAX_CHARACTERS, scpText } from '../scp';

const stage = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
if (!stage) {
  process.stderr.write('usage: npm run infra:scp -- <stage> [--pretty]\n');
  process.exit(2);
}
const text = scpText(stage);
if (text.length > SCP_MAX_CHARACTERS) {
  process.stderr.write(`the SCP is ${text.length} characters, over Organizations' ${SCP_MAX_CHARACTERS}\n`);
  process.exit(1);
}
process.stdout.write(
  `${process.argv.includes('--pretty') ? JSON.stringify(memberFootprintScp(stage), null, 2) : text}\n`,
);
