'use strict';
// Runs inside a throwaway Samba DC's network namespace (started by samba-ad.cjs before it execs samba): listens on
// a unix socket, which is a path and so reachable from every namespace, and carries each connection to the KDC's
// TCP port on the namespace's own loopback. The process that started the DC forwards a host TCP port to this
// socket, as it does for ldapi. It exits when its parent (samba) is gone, so it never outlives the DC.
// Usage: node kdc-relay.cjs SOCKET_PATH KDC_PORT
const fs = require('node:fs');
const net = require('node:net');

const [socketPath, port] = process.argv.slice(2);
const parent = process.ppid;

fs.rmSync(socketPath, { force: true });
const server = net.createServer((client) => {
  const upstream = net.connect({ host: '127.0.0.1', port: Number(port) });
  for (const socket of [client, upstream]) {
    socket.once('error', () => {
      client.destroy();
      upstream.destroy();
    });
  }
  client.pipe(upstream).pipe(client);
});
server.listen(socketPath);
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 500);
