// A minimal, fast Supervisor event listener for the fan-out benchmark. Counts events whose
// payload names a process matching argv[3] (a regexp); when the count reaches argv[4], writes
// Date.now() to argv[2] (then keeps serving). Protocol: READY, header line with len:N, N bytes
// of payload, reply RESULT 2\nOK, READY again.
import { writeFileSync } from 'node:fs';

const [doneFile, pattern, target] = process.argv.slice(2);
const re = new RegExp(pattern ?? '.');
const goal = Number(target ?? Infinity);
let count = 0;
let buf: Buffer = Buffer.alloc(0);
process.stdout.write('READY\n');
process.stdin.on('data', (chunk: Buffer) => {
  buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
  let out = '';
  for (;;) {
    const nl = buf.indexOf(10);
    if (nl < 0) break;
    const m = /len:(\d+)/.exec(buf.subarray(0, nl).toString('latin1'));
    const len = m ? Number(m[1]) : 0;
    if (buf.length < nl + 1 + len) break;
    const payload = buf.subarray(nl + 1, nl + 1 + len).toString('latin1');
    buf = buf.subarray(nl + 1 + len);
    if (re.test(payload)) {
      count++;
      if (count === goal) writeFileSync(doneFile!, `${Date.now()}\n`);
    }
    out += 'RESULT 2\nOKREADY\n';
  }
  if (out) process.stdout.write(out);
});
