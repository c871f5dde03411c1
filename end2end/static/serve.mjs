// A plain static file server, as any host of the client-side (Trunk) build would be: files
// from one directory, and index.html for any other path so that links into the app
// (`/sprint/3`) load it. No headers of the Scrum server, no proxying: the app talks to the
// API on its own origin. Usage: node serve.mjs DIR PORT
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, resolve } from "node:path";

const [root, port] = [resolve(process.argv[2] ?? "."), Number(process.argv[3] ?? 8080)];
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".svg": "image/svg+xml",
};

function file(path) {
  try {
    return statSync(path).isFile() ? path : null;
  } catch {
    return null;
  }
}

createServer((request, response) => {
  const path = decodeURIComponent(new URL(request.url, "http://static").pathname);
  // Up, whether or not a build is there yet (Playwright waits for this before any test).
  if (path === "/.ready") {
    response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    return;
  }
  const wanted = join(root, normalize(path));
  const found = (wanted.startsWith(root) && file(wanted)) || file(join(root, "index.html"));
  if (!found) {
    response.writeHead(404, { "content-type": "text/plain" }).end("no such file (is the build there?)\n");
    return;
  }
  response.writeHead(200, { "content-type": TYPES[extname(found)] ?? "application/octet-stream" });
  createReadStream(found).pipe(response);
}).listen(port, "127.0.0.1", () => console.log(`serving ${root} on http://127.0.0.1:${port}/`));
