// A worker that logs a line every second, to stdout and now and then to stderr.
let n = 0;
setInterval(() => {
  n++;
  console.log(`${new Date().toISOString()} processed job ${n}`);
  if (n % 10 === 0) console.error(`${new Date().toISOString()} slow job ${n} took 1.2s`);
}, 1000);
process.on('SIGTERM', () => {
  console.log('worker: finishing current job, bye');
  process.exit(0);
});
