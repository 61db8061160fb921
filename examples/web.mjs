// A tiny HTTP server for the demo: answers every request with the time and its pid.
import { createServer } from 'node:http';
const port = Number(process.env.PORT ?? 8080);
createServer((req, res) => {
  console.log(`${new Date().toISOString()} ${req.method} ${req.url}`);
  res.end(`hello from pid ${process.pid} at ${new Date().toISOString()}\n`);
}).listen(port, '127.0.0.1', () => console.log(`web listening on http://127.0.0.1:${port}`));
