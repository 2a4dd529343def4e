#!/usr/bin/env node
// An official JavaScript client against `serve --profile graph`: @microsoft/microsoft-graph-client
// (the fluent client, msgraph-sdk-javascript), as shipped, pinned in package-lock.json.
//
// Starts `createlink-conformance serve --profile graph` on a free loopback port, points the client
// at it (`baseUrl` the scheme and host, `defaultVersion` "beta"), calls createLink on each path
// below with view, edit and embed links, a password, an expiry and recipients, and checks the
// object the client returns field by field; then asks for each link again, through the client's
// raw response, and checks it gets the same link with 200 (the first answer was 201). Then checks
// that two refusals reach the caller as a GraphError with Graph's code, message, request id and
// date: a link type the document lacks (400), and the request of a client made the documented
// way, `Client.init({ authProvider })`, whose authentication handler sends no token to an `http`
// URL (401). Last, that serve's summary counts exactly the requests sent and the refusals asked.
//
// The client's own authentication handler gives its token only to `https` URLs on Graph's hosts
// or on `customHosts`, and serve is plain `http`: so the links are asked for through the client's
// default middleware chain with that one handler replaced by one that always sends the token
// (docs/reference-server.md, "Pointing an official SDK at it").
//
// Usage: node check_js_sdk.mjs PATH/TO/createlink-conformance
// Needs `npm ci --prefix scripts/sdk/js` first. Prints one line starting with
// "msgraph-sdk-javascript check:" and exits 0 when every check holds; on the first mismatch prints
// "msgraph-sdk-javascript check: FAILED: <what>" and serve's log, and exits 1. The whole run is
// bounded by 60 s, and serve is killed whatever happens.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const PREFIX = "msgraph-sdk-javascript check:";

// The createLink paths called, shared with scripts/sdk/check_python_sdk.py (scripts/sdk/paths.json):
// the suite's seed paths, then the published pages' paths.
const SHARED = JSON.parse(readFileSync(new URL("../paths.json", import.meta.url), "utf8"));
const PATHS = [...SHARED.seed, ...SHARED.published];

const TOKEN = "js-sdk-check-token-7c41e2";
const PASSWORD = "js-sdk-check-password-0b9d";
const EXPIRY = "2031-01-02T03:04:05Z";
const RECIPIENTS = ["ana@contoso.invalid", "bo@contoso.invalid"];
// Each link type asked for, the scope asked with it, and the role Graph gives it.
const LINKS = [
  ["view", "anonymous", "read"],
  ["edit", "organization", "write"],
  ["embed", "anonymous", "read"],
];
const OVERALL_TIMEOUT_MS = 60_000;
const URL_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

class Failed extends Error {}

function expect(condition, what) {
  if (!condition) throw new Failed(what);
}

// Nothing this script prints holds a secret whole (serve's log already leaves both out).
function redacted(text) {
  return String(text).split(TOKEN).join("<token>").split(PASSWORD).join("<password>");
}

let serve = null;
const log = [];

function killServe() {
  if (serve !== null && serve.exitCode === null && serve.signalCode === null) serve.kill("SIGKILL");
}
process.on("exit", killServe);

/** Stops serve on a failure: SIGTERM first, so that its summary is in the log printed, then
 * SIGKILL after 2 s. */
function stopServeQuietly() {
  if (serve === null || serve.exitCode !== null || serve.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      killServe();
      resolve();
    }, 2_000);
    serve.on("close", () => {
      clearTimeout(timer);
      resolve();
    });
    serve.kill("SIGTERM");
  });
}

async function fail(what) {
  await stopServeQuietly();
  const line = `${PREFIX} FAILED: ${redacted(what)}`;
  console.error(line);
  console.error("serve's log:\n" + redacted(log.join("")));
  console.log(line);
  process.exit(1);
}

function usage() {
  console.error("Usage: node check_js_sdk.mjs PATH/TO/createlink-conformance");
  process.exit(2);
}

/** Starts `serve --profile graph` on a free loopback port; resolves to the URL it prints. */
function startServe(binary) {
  return new Promise((resolve, reject) => {
    serve = spawn(binary, ["serve", "--profile", "graph", "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Drained all along, so a chatty server never blocks on a full pipe.
    serve.stderr.setEncoding("utf8");
    serve.stderr.on("data", (chunk) => log.push(chunk));
    let out = "";
    let settled = false;
    const settle = (f, value) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        f(value);
      }
    };
    const timer = setTimeout(
      () => settle(reject, new Failed(`serve printed no URL within ${URL_TIMEOUT_MS / 1000} s (got ${JSON.stringify(out)})`)),
      URL_TIMEOUT_MS,
    );
    serve.stdout.setEncoding("utf8");
    serve.stdout.on("data", (chunk) => {
      out += chunk;
      const end = out.indexOf("\n");
      if (end === -1) return;
      const url = out.slice(0, end).trim();
      if (url.endsWith("/beta")) settle(resolve, url);
      else settle(reject, new Failed(`serve's first line is not a base URL: ${JSON.stringify(url)}`));
    });
    serve.on("error", (e) => settle(reject, new Failed(`cannot start ${binary}: ${e.message}`)));
    serve.on("exit", (code, signal) =>
      settle(reject, new Failed(`serve exited (${signal ?? code}) before printing its URL`)),
    );
  });
}

/** SIGTERM, then serve must exit 0 within 10 s; its summary is then in the log. */
function stopServe() {
  if (serve.exitCode !== null || serve.signalCode !== null) {
    return Promise.reject(new Failed(`serve had already exited (${serve.signalCode ?? serve.exitCode})`));
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killServe();
      reject(new Failed(`serve did not exit within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM`));
    }, STOP_TIMEOUT_MS);
    // "close", not "exit": stderr is then read to its end.
    serve.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Failed(`serve exited with ${signal ?? code} after SIGTERM`));
    });
    serve.kill("SIGTERM");
  });
}

function describe(error) {
  if (error instanceof graph.GraphError) {
    return `GraphError ${error.statusCode} ${error.code}: ${error.message}`;
  }
  return `${error?.constructor?.name ?? typeof error}: ${error?.message ?? error}`;
}

/** The client's default middleware chain, with its authentication handler replaced by one that
 * sends the token to any URL (the client's own gives it to `https` Graph hosts only). It also
 * records the status of each answer, for the count and the 201s. */
function clientSendingToken(baseUrl, statuses) {
  class BearerToken {
    async execute(context) {
      const headers = context.options.headers;
      if (headers instanceof Headers) headers.set("Authorization", `Bearer ${TOKEN}`);
      else context.options.headers = { ...headers, Authorization: `Bearer ${TOKEN}` };
      await this.next.execute(context);
      statuses.push(context.response?.status);
    }
    setNext(next) {
      this.next = next;
    }
  }
  const chain = graph.MiddlewareFactory.getDefaultMiddlewareChain({ getAccessToken: async () => TOKEN });
  expect(
    chain[0] instanceof graph.AuthenticationHandler,
    `the client's default chain no longer starts with its AuthenticationHandler: ${chain.map((m) => m.constructor.name)}`,
  );
  chain[0] = new BearerToken();
  return graph.Client.initWithMiddleware({ middleware: chain, baseUrl, defaultVersion: "beta" });
}

function body(type, scope) {
  return {
    type,
    scope,
    password: PASSWORD,
    expirationDateTime: EXPIRY,
    recipients: RECIPIENTS.map((email) => ({ email })),
    message: "shared by the JavaScript SDK check",
  };
}

function checkPermission(permission, where, type, scope, role) {
  expect(permission !== null && typeof permission === "object", `${where}: no permission object, got ${JSON.stringify(permission)}`);
  expect(typeof permission.id === "string" && permission.id !== "", `${where}: id ${JSON.stringify(permission.id)}`);
  expect(
    Array.isArray(permission.roles) && permission.roles.length === 1 && permission.roles[0] === role,
    `${where}: roles ${JSON.stringify(permission.roles)}, not ["${role}"]`,
  );
  expect(permission.hasPassword === true, `${where}: hasPassword ${JSON.stringify(permission.hasPassword)}`);
  expect(
    typeof permission.expirationDateTime === "string" &&
      Date.parse(permission.expirationDateTime) === Date.parse(EXPIRY),
    `${where}: expirationDateTime ${JSON.stringify(permission.expirationDateTime)}, not ${EXPIRY}`,
  );
  const link = permission.link;
  expect(link !== null && typeof link === "object", `${where}: the permission has no link`);
  expect(link.type === type, `${where}: link.type ${JSON.stringify(link.type)}`);
  expect(link.scope === scope, `${where}: link.scope ${JSON.stringify(link.scope)}`);
  expect(typeof link.webUrl === "string" && link.webUrl !== "", `${where}: link.webUrl ${JSON.stringify(link.webUrl)}`);
  if (type === "embed") {
    expect(
      typeof link.webHtml === "string" && link.webHtml.startsWith("<iframe"),
      `${where}: an embed link's webHtml is ${JSON.stringify(link.webHtml)}`,
    );
  }
}

/** Every path, every link type, twice: the object the client returns has what was asked, and the
 * second request gets the same link with 200. Returns [links checked, requests sent]. */
async function checkLinks(baseUrl) {
  const statuses = [];
  const client = clientSendingToken(baseUrl, statuses);
  let checked = 0;
  let sent = 0;
  for (const path of PATHS) {
    for (const [type, scope, role] of LINKS) {
      const where = `${path} (${type})`;
      let permission;
      try {
        permission = await client.api(path).post(body(type, scope));
      } catch (e) {
        throw new Failed(`${where}: refused: ${describe(e)}`);
      }
      sent += 1;
      expect(statuses[sent - 1] === 201, `${where}: a new link answered with ${statuses[sent - 1]}, not 201`);
      checkPermission(permission, where, type, scope, role);
      checked += 1;

      const again = `${where}, asked again`;
      let response;
      try {
        response = await client.api(path).responseType(graph.ResponseType.RAW).post(body(type, scope));
      } catch (e) {
        throw new Failed(`${again}: refused: ${describe(e)}`);
      }
      sent += 1;
      expect(response instanceof Response, `${again}: ResponseType.RAW gave ${describe(response)}, not a Response`);
      expect(response.status === 200, `${again}: status ${response.status}, not 200 (the link exists)`);
      const existing = await response.json();
      expect(existing.id === permission.id, `${again}: id ${JSON.stringify(existing.id)}, not ${JSON.stringify(permission.id)}`);
      expect(existing.link?.webUrl === permission.link.webUrl, `${again}: another link.webUrl`);
    }
  }
  expect(statuses.length === sent, `${sent} requests sent, ${statuses.length} answers seen`);
  return [checked, sent];
}

/** A refusal reaches the caller as a GraphError, with Graph's fields. Returns the number. */
async function checkRefusals(baseUrl) {
  const path = PATHS[0];
  const cases = [
    // A link type the document does not have: 400, naming it.
    {
      client: clientSendingToken(baseUrl, []),
      request: { type: "share", scope: "anonymous" },
      status: 400,
      code: "invalidRequest",
      message: 'at /type: "share" is not one of',
    },
    // The client made as its README says, with an authProvider: its authentication handler gives
    // no token to an `http` URL, so serve gets no Authorization header: 401.
    {
      client: graph.Client.init({ authProvider: (done) => done(null, TOKEN), baseUrl, defaultVersion: "beta" }),
      request: { type: "view", scope: "anonymous" },
      status: 401,
      code: "InvalidAuthenticationToken",
      message: "the request has no Authorization header",
    },
  ];
  for (const { client, request, status, code, message } of cases) {
    const where = `${path} refused with ${status}`;
    let got;
    try {
      got = await client.api(path).post(request);
    } catch (e) {
      expect(e instanceof graph.GraphError, `${where}: raised ${describe(e)}, not a GraphError`);
      expect(e.statusCode === status, `${where}: statusCode ${e.statusCode}`);
      expect(e.code === code, `${where}: code ${JSON.stringify(e.code)}, not ${JSON.stringify(code)}`);
      expect(
        typeof e.message === "string" && e.message.includes(message),
        `${where}: message ${JSON.stringify(e.message)} lacks ${JSON.stringify(message)}`,
      );
      expect(typeof e.requestId === "string" && e.requestId !== "", `${where}: no requestId`);
      expect(e.date instanceof Date && !Number.isNaN(e.date.getTime()), `${where}: no date`);
      continue;
    }
    throw new Failed(`${where}: no error raised; the client returned ${JSON.stringify(got)}`);
  }
  return cases.length;
}

async function main() {
  const url = await startServe(binary);
  const baseUrl = url.slice(0, -"/beta".length);
  const [checked, sent] = await checkLinks(baseUrl);
  const refusals = await checkRefusals(baseUrl);
  await stopServe();
  const text = log.join("");
  const total = sent + refusals;
  const summary = `${total} requests, ${sent} answered, ${refusals} refused`;
  expect(text.includes(summary), `serve's summary lacks ${JSON.stringify(summary)}`);
  for (const rule of ["schema", "authorization"]) {
    expect(text.includes(`      1  ${rule}`), `serve's summary lacks one ${rule} refusal`);
  }
  for (const secret of [TOKEN, PASSWORD]) {
    expect(!text.includes(secret), "serve's log holds a secret");
  }
  return [checked, refusals];
}

if (process.argv.length !== 3) usage();
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => fail(`stopped by ${signal}`));
const binary = process.argv[2];
const overall = setTimeout(() => fail(`the check took over ${OVERALL_TIMEOUT_MS / 1000} s`), OVERALL_TIMEOUT_MS);

let graph;
let version;
try {
  graph = await import("@microsoft/microsoft-graph-client");
  version = createRequire(import.meta.url)("@microsoft/microsoft-graph-client/package.json").version;
} catch (e) {
  await fail(`the client is not installed (${e.message}); run \`npm ci --prefix scripts/sdk/js\` first`);
}

try {
  const [checked, refusals] = await main();
  clearTimeout(overall);
  console.log(
    `${PREFIX} ok: @microsoft/microsoft-graph-client ${version}, ${PATHS.length} path(s), ` +
      `${checked} links checked field by field, ${refusals} refusal(s) received as GraphError`,
  );
} catch (e) {
  await fail(e instanceof Failed ? e.message : describe(e));
}
