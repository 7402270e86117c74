// Preloaded by run.mjs (`node -r ./loopback.cjs …`) into the demo's HTTP backend: server-everything's
// express app listens on PORT with no host, i.e. on every interface. This pins every TCP listen in
// that process to 127.0.0.1, like everything else the demo starts.
'use strict';
const net = require('node:net');

const original = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [first] = args;
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, cb]): set or replace the host.
    if (typeof args[1] === 'string') args[1] = '127.0.0.1';
    else args.splice(1, 0, '127.0.0.1');
  } else if (first && typeof first === 'object' && first.path === undefined) {
    args[0] = { ...first, host: '127.0.0.1' };
  }
  return original.apply(this, args);
};
