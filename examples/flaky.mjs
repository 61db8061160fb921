// Crashes after a few seconds so you can watch supervisord restart it.
const life = 3000 + Math.random() * 4000;
console.log(`flaky: up, will crash in ${Math.round(life)} ms`);
setTimeout(() => {
  console.error('flaky: something went wrong, exiting with status 1');
  process.exit(1);
}, life);
