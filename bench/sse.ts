// Event-stream load (issue #6): programs that exit and restart as fast as they can produce
// well over 1000 state changes per second; one client follows GET /api/events while another
// times getState round trips. Reports events/s delivered, RPC latency during the storm,
// and how far behind the stream is when the storm stops. Standalone:
//   node dist/bench/sse.js [--programs 60] [--seconds 10]
import http from 'node:http';
import { TestDaemon } from '../test/helpers/daemon.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const PROGRAMS = arg('programs', 60);
const SECONDS = arg('seconds', 10);

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function main(): Promise<void> {
  const d = new TestDaemon({
    inet: true,
    supervisord: 'loglevel=warn',
    programs:
      `[program:flap]\ncommand=true\nnumprocs=${PROGRAMS}\nprocess_name=%(process_num)d\n` +
      'startsecs=0\nautorestart=true\nautostart=false\nstdout_logfile=NONE\nstderr_logfile=NONE\n',
  });
  await d.start();
  try {
    let received = 0;
    let lastEventAt = 0;
    const stream = http.get({ host: '127.0.0.1', port: d.port, path: '/api/events' }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const n = chunk.split('\nevent: process\n').length - 1 + (chunk.startsWith('event: process\n') ? 1 : 0);
        if (n) {
          received += n;
          lastEventAt = performance.now();
        }
      });
    });
    await new Promise((r) => setTimeout(r, 300));

    const latencies: number[] = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const t = performance.now();
        await d.call('supervisor.getState');
        latencies.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    await d.call('supervisor.startAllProcesses', false);
    const t0 = performance.now();
    const startCount = received;
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const during = received - startCount;
    const stormSecs = (performance.now() - t0) / 1000;
    const stopCalled = performance.now();
    await d.call('supervisor.stopAllProcesses', true);
    const stopReturned = performance.now();
    polling = false;
    await poll;
    await new Promise((r) => setTimeout(r, 1500));
    stream.destroy();
    const spawned = (d.mainLog().match(/spawned:/g) ?? []).length; // warn level: empty, kept for debug runs
    const rows = [
      ['programs flapping', String(PROGRAMS)],
      ['process events delivered on /api/events', `${(during / stormSecs).toFixed(0)} /s over ${stormSecs.toFixed(1)} s`],
      ['getState p50 / p99 / max during the storm', `${percentile(latencies, 50).toFixed(1)} / ${percentile(latencies, 99).toFixed(1)} / ${Math.max(...latencies).toFixed(1)} ms (${latencies.length} calls)`],
      ['stopAllProcesses(wait) took', `${(stopReturned - stopCalled).toFixed(0)} ms`],
      ['last event arrived after stopAll returned', `${Math.max(0, lastEventAt - stopReturned).toFixed(0)} ms`],
    ];
    if (spawned) rows.push(['spawns logged', String(spawned)]);
    console.log('| measure | value |\n|---|---|');
    for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  } finally {
    await d.stop();
  }
}

void main();
