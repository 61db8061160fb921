// Program sections shared by the API and browser tests, with helper scripts in a temp dir.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Programs {
  config: string;
  dir: string;
  cleanup(): void;
}

/** `extra` lets a test add its own sections (e.g. 200 processes for the speed test). */
export function programs(extra = ''): Programs {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svweb-'));
  const big = path.join(dir, 'big.sh');
  // ~2.4 MB of numbered lines, then stay up: the log view must page through all of it.
  fs.writeFileSync(big, `#!/bin/sh\nawk 'BEGIN { for (i = 0; i < 40000; i++) printf "big line %06d ${'x'.repeat(40)}\\n", i }'\nexec sleep 1000\n`, { mode: 0o755 });
  const talk = path.join(dir, 'talk.sh');
  fs.writeFileSync(talk, `#!/bin/sh\ni=0\nwhile :; do i=$((i+1)); echo "out $i <b>&amp;"; echo "err $i" >&2; sleep 0.2; done\n`, { mode: 0o755 });
  const config = `
[program:sleeper]
command=sleep 1000
startsecs=0
stopwaitsecs=2

[program:talker]
command=${talk}
startsecs=0
stopwaitsecs=2

[program:idle]
command=sleep 1000
autostart=false
startsecs=0

[program:pool]
command=sleep 1000
process_name=%(program_name)s_%(process_num)s
numprocs=2
autostart=false
startsecs=0

[program:big]
command=${big}
startsecs=0
stopwaitsecs=2
${extra}`;
  return { config, dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
