// placeholder replaced below
import http from "node:http";
export async function startOrigin({ port = 0, name = "origin" } = {}) {
  const server = http.createServer((req, res) => res.end(name));
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  const addr = server.address();
  return { url: `http://127.0.0.1:${addr.port}`, close: () => new Promise((r) => server.close(r)) };
}
