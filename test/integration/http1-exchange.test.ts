import { readFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  ExchangeFailure,
  type ExchangeRequest,
  exchange,
  target,
} from "../../lambda/util/http-exchange.ts";
import { Http1Failure, Http1Pool } from "../../lambda/util/http1-connection.ts";
import { listenOnLoopback } from "../support/loopback-server.ts";
import { rejectionOf } from "../support/rejection.ts";

/**
 * A raw TCP server: the client's own HTTP/1.1 code is what is under test, so the answers are
 * written byte for byte, in the pieces each test chooses, rather than by node:http.
 */
async function rawServer(
  answer: (request: string, socket: net.Socket, n: number) => void | Promise<void>,
) {
  let requests = 0;
  let connections = 0;
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("close", () => sockets.delete(socket));
    let buffered = "";
    socket.on("data", (chunk) => {
      buffered += chunk.toString("latin1");
      // A request is whole at its blank line plus the Content-Length it declares.
      for (;;) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) return;
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const request = buffered.slice(0, end + 4 + length);
        buffered = buffered.slice(end + 4 + length);
        received.push(request);
        void answer(request, socket, ++requests);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    requests: () => requests,
    connections: () => connections,
    received,
  };
}

/** Writes `parts` one by one, a pause between, so that they reach the client apart. */
async function writeApart(socket: net.Socket, parts: readonly (string | Buffer)[]) {
  for (const part of parts) {
    socket.write(part);
    await sleep(2);
  }
}

const get = (url: string, timeoutMs = 2_000) =>
  exchange(
    { method: "GET", url: `${url}/v1/x?q=1`, headers: { accept: "application/json" } },
    timeoutMs,
  );

const failure = (promise: Promise<unknown>) => rejectionOf(promise, ExchangeFailure);

/** Cuts `text` at the given offsets (taken modulo its length) into consecutive parts. */
function cut(text: string, at: readonly number[]): string[] {
  const offsets = [...new Set(at.map((n) => n % text.length))].sort((a, b) => a - b);
  const parts: string[] = [];
  let from = 0;
  for (const offset of offsets) {
    if (offset > from) parts.push(text.slice(from, offset));
    from = Math.max(from, offset);
  }
  parts.push(text.slice(from));
  return parts;
}

describe("HTTP/1.1 exchange: framing", () => {
  it("reads a Content-Length body and a chunked one, whatever pieces they arrive in", async () => {
    const body = JSON.stringify({ page: 1, payments: [{ pg_uid: "PG11", memo: "결제 취소" }] });
    const bytes = Buffer.byteLength(body);
    const lengthAnswer = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${bytes}\r\n\r\n${body}`;
    const half = Math.floor(body.length / 2);
    const chunkedAnswer =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
      `${Buffer.byteLength(body.slice(0, half)).toString(16)};ext=1\r\n${body.slice(0, half)}\r\n` +
      `${Buffer.byteLength(body.slice(half)).toString(16).toUpperCase()}\r\n${body.slice(half)}\r\n` +
      "0\r\nX-Trailer: yes\r\n\r\n";
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), async (chunked, at) => {
        const answer = Buffer.from(chunked ? chunkedAnswer : lengthAnswer, "utf8");
        const parts = cut(answer.toString("latin1"), at).map((p) => Buffer.from(p, "latin1"));
        const server = await rawServer((_request, socket) => writeApart(socket, parts));
        const result = await get(server.url);
        expect(result.status).toBe(200);
        expect(result.text).toBe(body);
        expect(JSON.parse(result.text).payments[0].memo).toBe("결제 취소");
      }),
      { numRuns: 25 },
    );
  });

  it("keeps a connection alive across exchanges, and opens a new one after Connection: close", async () => {
    const server = await rawServer((_request, socket, n) => {
      const close = n === 2 ? "Connection: close\r\n" : "";
      socket.write(`HTTP/1.1 200 OK\r\n${close}Content-Length: 2\r\n\r\n${n}!`);
    });
    expect((await get(server.url)).text).toBe("1!");
    expect((await get(server.url)).text).toBe("2!");
    expect(server.connections()).toBe(1);
    expect((await get(server.url)).text).toBe("3!");
    expect(server.connections()).toBe(2);
  });

  it("reads a body with no length until the server closes, and never reuses that connection", async () => {
    const server = await rawServer(async (_request, socket, n) => {
      await writeApart(socket, ["HTTP/1.0 200 OK\r\n\r\n", "first ", `half ${n}`]);
      socket.end();
    });
    expect((await get(server.url)).text).toBe("first half 1");
    expect((await get(server.url)).text).toBe("first half 2");
    expect(server.connections()).toBe(2);
  });

  it("skips an interim 1xx answer, and reads 204 and 304 as having no body", async () => {
    const server = await rawServer((_request, socket, n) => {
      if (n === 1)
        socket.write(
          "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nyes",
        );
      else
        socket.write(
          `HTTP/1.1 ${n === 2 ? "204 No Content" : "304 Not Modified"}\r\nContent-Length: 9\r\n\r\n`,
        );
    });
    expect(await get(server.url)).toMatchObject({ status: 200, text: "yes" });
    expect(await get(server.url)).toMatchObject({ status: 204, text: "" });
    expect(await get(server.url)).toMatchObject({ status: 304, text: "" });
    expect(server.connections()).toBe(1);
  });

  it("joins a header given twice, and lower-cases every name", async () => {
    const server = await rawServer((_request, socket) => {
      socket.write(
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nX-Many: a\r\nx-many: b\r\nContent-Length: 0\r\n\r\n",
      );
    });
    const answer = await get(server.url);
    expect(answer.status).toBe(429);
    expect(answer.headers["retry-after"]).toBe("2");
    expect(answer.headers["x-many"]).toBe("a, b");
  });

  it("fails an answer it cannot frame for certain, and drops that connection", async () => {
    const answers = [
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\n Folded: line\r\nContent-Length: 0\r\n\r\n",
      "HTTP/2 200\r\nContent-Length: 0\r\n\r\n",
      "garbage\r\n\r\n",
    ];
    const server = await rawServer((_request, socket, n) => {
      socket.write(answers[n - 1] ?? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
    for (const answer of answers) {
      const error = await failure(get(server.url));
      expect(error.message, answer).not.toBe("");
    }
    expect((await get(server.url)).text).toBe("ok");
    expect(server.connections()).toBe(answers.length + 1);
  });

  it("does not reuse a connection that carried bytes beyond its answer", async () => {
    const server = await rawServer((_request, socket, n) => {
      socket.write(
        `HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${n}HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale`,
      );
    });
    expect((await get(server.url)).text).toBe("1");
    expect((await get(server.url)).text).toBe("2");
    expect(server.connections()).toBe(2);
  });

  it("tells a lost answer from a lost body, and bounds the whole exchange", async () => {
    const server = await rawServer(async (_request, socket, n) => {
      if (n === 1) socket.destroy();
      if (n === 2) {
        await writeApart(socket, ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "half"]);
        socket.destroy();
      }
      if (n === 3) socket.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf");
    });
    expect(await failure(get(server.url))).toMatchObject({ stage: "request", timedOut: false });
    expect(await failure(get(server.url))).toMatchObject({ stage: "body", timedOut: false });
    expect(await failure(get(server.url, 100))).toMatchObject({ stage: "body", timedOut: true });
  });

  it("opens a new connection when the server closed an idle one", async () => {
    const server = await rawServer((_request, socket, n) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${n}`);
      if (n === 1) setTimeout(() => socket.end(), 5);
    });
    expect((await get(server.url)).text).toBe("1");
    await sleep(50);
    expect((await get(server.url)).text).toBe("2");
    expect(server.connections()).toBe(2);
  });
});

describe("HTTP/1.1 exchange: idle connections", () => {
  it("closes a connection left idle, but never one whose answer is slow to come", async () => {
    const closed: number[] = [];
    let connections = 0;
    const server = net.createServer((socket) => {
      const n = ++connections;
      socket.on("close", () => closed.push(n));
      socket.on("data", () => {
        // Slower than the idle timeout: the exchange in flight must outlive it.
        setTimeout(() => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), 250);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as net.AddressInfo).port;
    const pool = new Http1Pool({ idleTimeoutMs: 100 });
    const origin = { secure: false, host: "127.0.0.1", port, authority: `127.0.0.1:${port}` };
    const request = `GET / HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`;
    const answer = await pool.connection(origin).send(request, false);
    expect(answer.body.toString()).toBe("ok");
    expect(closed).toEqual([]);
    await sleep(400);
    expect(closed).toEqual([1]);
    // The closed one is gone from the pool: the next exchange opens another.
    expect((await pool.connection(origin).send(request, false)).body.toString()).toBe("ok");
    expect(connections).toBe(2);
  });
});

describe("HTTP/1.1 exchange: the request", () => {
  it("writes the head, a UTF-8 body with its byte length, and framing headers of its own", async () => {
    const server = await rawServer((_request, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    });
    const body = JSON.stringify({ reason: "결제 콜백 누락" });
    await exchange(
      {
        method: "POST",
        url: `${server.url}/v1/payments/PG%2012/cancel?x=1`,
        headers: {
          "Idempotency-Key": "paysync-PG12",
          "content-length": "1",
          "Transfer-Encoding": "chunked",
        },
        body,
      },
      2_000,
    );
    await exchange({ method: "POST", url: `${server.url}/empty`, headers: {} }, 2_000);
    // A signed request signs its Host: one the caller gives is sent as given.
    await exchange(
      { method: "GET", url: `${server.url}/h`, headers: { Host: "signed.test" } },
      2_000,
    );
    const [post, empty, signed] = server.received;
    const host = new URL(server.url).host;
    expect(post).toBe(
      `POST /v1/payments/PG%2012/cancel?x=1 HTTP/1.1\r\nhost: ${host}\r\nIdempotency-Key: paysync-PG12\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${Buffer.from(body).toString("latin1")}`,
    );
    expect(empty).toBe(`POST /empty HTTP/1.1\r\nhost: ${host}\r\ncontent-length: 0\r\n\r\n`);
    expect(signed).toBe("GET /h HTTP/1.1\r\nhost: signed.test\r\n\r\n");
  });

  it("refuses, before sending anything, what would split a request or is no http(s) URL", async () => {
    const server = await rawServer((_request, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    });
    const bad: ExchangeRequest[] = [
      { method: "GET", url: `${server.url}/`, headers: { "x-key": "a\r\nx-evil: 1" } },
      { method: "GET", url: `${server.url}/`, headers: { "bad name": "a" } },
      { method: "GET /x", url: `${server.url}/`, headers: {} },
      { method: "GET", url: "ftp://127.0.0.1/", headers: {} },
      { method: "GET", url: "not a url", headers: {} },
      { method: "GET", url: server.url.replace("//", "//user:secret@"), headers: {} },
    ];
    for (const request of bad) {
      expect(await failure(exchange(request, 1_000)), JSON.stringify(request)).toMatchObject({
        stage: "request",
      });
    }
    expect(server.requests()).toBe(0);
  });
});

describe("HTTP/1.1 exchange: the request target", () => {
  it("sends the path and query the WHATWG URL parser would, for any href", () => {
    const origin = "http://127.0.0.1:8123";
    target(`${origin}/`); // learns the origin's prefix, as a run's first request does
    const piece = fc.string({
      unit: fc.constantFrom(..."aZ09-._~!$&'()*+,;=:@%/?#.\\ \t\"<>`{}|^é2eE".split("")),
      maxLength: 24,
    });
    fc.assert(
      fc.property(piece, piece, (path, query) => {
        for (const href of [`${origin}/${path}`, `${origin}/${path}?${query}`]) {
          const url = new URL(href);
          expect(target(href).path, href).toBe(`${url.pathname}${url.search}`);
        }
      }),
      { numRuns: 2_000 },
    );
    for (const href of [
      `${origin}/a/./b`,
      `${origin}/a/%2E%2e/b`,
      `${origin}/a/..`,
      `${origin}/p?`,
    ]) {
      const url = new URL(href);
      expect(target(href).path, href).toBe(`${url.pathname}${url.search}`);
    }
  });
});

describe("HTTP/1.1 exchange: TLS", () => {
  const here = path.dirname(new URL(import.meta.url).pathname);
  const cert = readFileSync(path.join(here, "../support/tls/localhost.crt"), "utf8");
  const key = readFileSync(path.join(here, "../support/tls/localhost.key"), "utf8");

  async function httpsServer() {
    let connections = 0;
    const server = createHttpsServer({ cert, key }, (req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`hello ${req.url}`);
    });
    server.on("secureConnection", () => {
      connections += 1;
    });
    const { port, close } = await listenOnLoopback(server);
    onTestFinished(close);
    return { port, connections: () => connections };
  }

  const request = (port: number, target: string) =>
    `GET ${target} HTTP/1.1\r\nhost: localhost:${port}\r\n\r\n`;
  const origin = (port: number) => ({
    secure: true,
    host: "localhost",
    port,
    authority: `localhost:${port}`,
  });

  it("speaks HTTPS to a trusted certificate, and resumes the session on a new connection", async () => {
    const server = await httpsServer();
    const pool = new Http1Pool({ ca: cert });
    const first = pool.connection(origin(server.port));
    expect((await first.send(request(server.port, "/a"), false)).body.toString()).toBe("hello /a");
    expect(
      (
        await pool.connection(origin(server.port)).send(request(server.port, "/b"), false)
      ).body.toString(),
    ).toBe("hello /b");
    expect(server.connections()).toBe(1);
    first.destroy();
    const second = pool.connection(origin(server.port));
    expect((await second.send(request(server.port, "/c"), false)).body.toString()).toBe("hello /c");
    expect(server.connections()).toBe(2);
    expect((second.socket as import("node:tls").TLSSocket).isSessionReused()).toBe(true);
  });

  it("fails closed on a certificate it does not trust", async () => {
    const server = await httpsServer();
    const untrusted = new Http1Pool().connection(origin(server.port));
    const error = await untrusted.send(request(server.port, "/"), false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Http1Failure);
    expect((error as Error).message).toMatch(/self[- ]signed/i);
  });
});
