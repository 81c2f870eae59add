// A child process for store_sdks.test.mjs and the deploy tests: @sentry/node 11 sends one
// exception (raised inside chargeCard) and one message to argv[2] (a DSN), through the tunnel
// argv[3] when given. With SDK_USER_IP set, the user's ip_address is that value (the SDKs send
// "{{auto}}" to have the server fill in the client's address).
// Prints {"exception": id, "message": id, "flushed": bool, "statuses": [HTTP statuses]}.
import http from 'node:http';
import https from 'node:https';
import * as Sentry from '@sentry/node';

const [dsn, tunnel = '', amount = '250'] = process.argv.slice(2);
// The transport's module must match the scheme of the URL it posts to (an https tunnel gets
// node:https; its CA comes from NODE_EXTRA_CA_CERTS).
const base = new URL(tunnel || dsn).protocol === 'https:' ? https : http;
const statuses = [];
const paths = [];
// The SDK's own transport, with node:http wrapped only to see the answers it got.
const httpModule = {
  request(options, callback) {
    const req = base.request(options, callback);
    paths.push(options.path);
    req.on('response', (res) => statuses.push(res.statusCode));
    return req;
  },
};

function chargeCard(cents) {
  if (cents > 100) throw new RangeError(`card declined for ${cents} cents`);
  return cents;
}

Sentry.init({
  dsn,
  ...(tunnel ? { tunnel } : {}),
  release: 'nodeapp@3.1.0',
  environment: 'nodetest',
  sendClientReports: false,
  transportOptions: { httpModule },
});

if (process.env.SDK_USER_IP) Sentry.setUser({ ip_address: process.env.SDK_USER_IP });

const out = {};
try {
  chargeCard(Number(amount));
} catch (e) {
  out.exception = Sentry.captureException(e);
}
out.message = Sentry.captureMessage('node says hello', 'warning');
out.flushed = await Sentry.flush(10000);
out.statuses = statuses;
out.paths = paths;
await Sentry.close(2000);
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(0);
