import net from "node:net";
import tls from "node:tls";

/** An answer's head and its body's bytes, as one HTTP/1.1 response framed them. */
export interface Http1Answer {
  readonly status: number;
  /** Lower-cased names; a name given twice has its values joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Why a connection could not carry an exchange; `answering` once a response head was read. */
export class Http1Failure extends Error {
  override readonly name = "Http1Failure";
  constructor(
    message: string,
    readonly answering: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Where requests go: one pool of kept-alive connections per scheme, host and port. */
export interface Http1Origin {
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
  /** The Host header: the port only when it is not the scheme's default. */
  readonly authority: string;
}

const MAX_HEAD_BYTES = 64 * 1024;
const IDLE_TIMEOUT_MS = 4_000;
const CRLF_CRLF = Buffer.from("\r\n\r\n", "latin1");

type Framing =
  | { readonly kind: "none" }
  | { readonly kind: "length"; remaining: number }
  | { readonly kind: "chunked" }
  | { readonly kind: "close" };

interface Pending {
  readonly head: boolean;
  readonly resolve: (answer: Http1Answer) => void;
  readonly reject: (failure: Http1Failure) => void;
}

/**
 * One HTTP/1.1 connection, one exchange at a time (no pipelining). It reads a response as
 * RFC 9112 §6 frames it: no body for HEAD, 1xx, 204 and 304; chunked when the last transfer
 * coding is chunked; else Content-Length; else until the server closes. Anything it cannot
 * frame for certain fails the exchange and closes the connection, so no byte of one answer
 * is ever read as part of the next.
 */
class Http1Connection {
  #pending: Pending | undefined;
  #buffer: Buffer | undefined;
  #status = 0;
  #headers: Record<string, string> = {};
  #framing: Framing | undefined;
  #body: Buffer[] = [];
  #bodyBytes = 0;
  /** In chunked framing: bytes of the current chunk still to read, or -1 before a size line. */
  #chunkLeft = -1;
  #trailers = false;
  #reusable = true;
  #closed = false;

  constructor(
    readonly socket: net.Socket,
    idleTimeoutMs: number,
    private readonly onIdle: (connection: Http1Connection) => void,
    private readonly onGone: (connection: Http1Connection) => void,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 1_000);
    socket.on("data", (chunk: Buffer) => this.#read(chunk));
    socket.on("error", (error) => this.#close(error));
    socket.on("close", () => this.#close(undefined));
    socket.on("end", () => this.#close(undefined));
    // Inactivity, armed once and refreshed by Node on every read and write. It closes only an
    // idle connection: an exchange in flight is bounded by its caller's own timer.
    socket.setTimeout(idleTimeoutMs);
    socket.on("timeout", () => {
      if (this.#pending === undefined) socket.destroy();
    });
  }

  /** Whether the exchange in flight has its response head. */
  get answering(): boolean {
    return this.#framing !== undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one request, already serialized, and reads its answer. */
  send(request: Buffer | string, head: boolean): Promise<Http1Answer> {
    return new Promise<Http1Answer>((resolve, reject) => {
      if (this.#closed) {
        reject(new Http1Failure("the connection was closed", false));
        return;
      }
      this.#pending = { head, resolve, reject };
      this.#status = 0;
      this.#framing = undefined;
      this.#headers = {};
      this.#body = [];
      this.#bodyBytes = 0;
      this.#chunkLeft = -1;
      this.#trailers = false;
      this.socket.ref();
      if (typeof request === "string") this.socket.write(request, "latin1");
      else this.socket.write(request);
    });
  }

  /** Ends the exchange in flight, if any, and the connection with it. */
  destroy(error?: Error): void {
    this.socket.destroy(error);
    this.#close(error);
  }

  #read(chunk: Buffer): void {
    if (this.#pending === undefined) {
      // Bytes nobody asked for: the connection can no longer be trusted to frame answers.
      this.destroy();
      return;
    }
    let data = this.#buffer === undefined ? chunk : Buffer.concat([this.#buffer, chunk]);
    this.#buffer = undefined;
    try {
      while (data.length > 0 && this.#pending !== undefined) {
        if (this.#framing === undefined) {
          const end = data.indexOf(CRLF_CRLF);
          if (end < 0) {
            if (data.length > MAX_HEAD_BYTES) throw new Error("the response head is too large");
            this.#buffer = data;
            return;
          }
          this.#readHead(data.toString("latin1", 0, end));
          data = data.subarray(end + 4);
          const framing = this.#framing as Framing | undefined;
          if (framing === undefined) continue; // a 1xx answer: the real one follows
          if (framing.kind === "none") this.#finish();
          continue;
        }
        data = this.#readBody(data);
      }
      if (this.#pending !== undefined) return;
      // Bytes after a whole answer belong to no request: the connection is not reused.
      if (this.#reusable && data.length === 0 && this.#buffer === undefined) {
        this.socket.unref();
        this.onIdle(this);
      } else {
        this.destroy();
      }
    } catch (error) {
      this.#reusable = false;
      const pending = this.#pending;
      this.#pending = undefined;
      pending?.reject(
        new Http1Failure(error instanceof Error ? error.message : String(error), true, {
          cause: error,
        }),
      );
      this.destroy();
    }
  }

  #readHead(text: string): void {
    const lines = text.split("\r\n");
    const status = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0] ?? "");
    if (status === null) throw new Error(`not an HTTP/1.x status line: ${lines[0]?.slice(0, 80)}`);
    const code = Number(status[2]);
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(":");
      if (colon <= 0 || line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) {
        throw new Error(`malformed response header line: ${line.slice(0, 80)}`);
      }
      const name = line.slice(0, colon).toLowerCase();
      if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) {
        throw new Error(`malformed response header name: ${name.slice(0, 80)}`);
      }
      const value = line.slice(colon + 1).trim();
      const earlier = headers[name];
      headers[name] = earlier === undefined ? value : `${earlier}, ${value}`;
    }
    if (code >= 100 && code < 200) {
      if (code === 101) throw new Error("the server switched protocols");
      return;
    }
    this.#status = code;
    this.#headers = headers;
    if (status[1] === "0" || /(^|,)\s*close\s*(,|$)/i.test(headers.connection ?? "")) {
      this.#reusable = false;
    }
    this.#framing = this.#framingOf(code, headers);
  }

  #framingOf(code: number, headers: Record<string, string>): Framing {
    if (this.#pending?.head || code === 204 || code === 304) return { kind: "none" };
    const coding = headers["transfer-encoding"];
    if (coding !== undefined) {
      // With both, Transfer-Encoding wins, and the connection is not to be reused.
      if (headers["content-length"] !== undefined) this.#reusable = false;
      const last = coding.split(",").pop()?.trim().toLowerCase();
      if (last === "chunked") return { kind: "chunked" };
      this.#reusable = false;
      return { kind: "close" };
    }
    const length = headers["content-length"];
    if (length !== undefined) {
      // Repeated Content-Length values are joined above; they must all agree.
      const values = new Set(length.split(",").map((value) => value.trim()));
      const [only] = values;
      if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
        throw new Error(`invalid Content-Length: ${length.slice(0, 80)}`);
      }
      const remaining = Number(only);
      return remaining === 0 ? { kind: "none" } : { kind: "length", remaining };
    }
    this.#reusable = false;
    return { kind: "close" };
  }

  /** Takes the body's bytes from `data`; returns what is left after the answer. */
  #readBody(data: Buffer): Buffer {
    const framing = this.#framing as Framing;
    if (framing.kind === "length") {
      const taken = data.length <= framing.remaining ? data : data.subarray(0, framing.remaining);
      this.#keep(taken);
      framing.remaining -= taken.length;
      if (framing.remaining === 0) this.#finish();
      return data.subarray(taken.length);
    }
    if (framing.kind === "close") {
      this.#keep(data);
      return data.subarray(data.length);
    }
    return this.#readChunked(data);
  }

  #readChunked(data: Buffer): Buffer {
    let rest = data;
    while (rest.length > 0) {
      if (this.#chunkLeft > 0) {
        const taken = rest.length <= this.#chunkLeft ? rest : rest.subarray(0, this.#chunkLeft);
        this.#keep(taken);
        this.#chunkLeft -= taken.length;
        rest = rest.subarray(taken.length);
        if (this.#chunkLeft === 0) this.#chunkLeft = -2; // its CRLF comes next
        continue;
      }
      const eol = rest.indexOf("\r\n", 0, "latin1");
      if (eol < 0) {
        if (rest.length > MAX_HEAD_BYTES) throw new Error("a chunk's size line is too long");
        this.#buffer = rest;
        return rest.subarray(rest.length);
      }
      const line = rest.toString("latin1", 0, eol);
      rest = rest.subarray(eol + 2);
      if (this.#chunkLeft === -2) {
        if (line !== "") throw new Error("a chunk does not end where its size says");
        this.#chunkLeft = -1;
        continue;
      }
      if (this.#trailers) {
        if (line === "") {
          this.#finish();
          return rest;
        }
        continue;
      }
      const size = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
      if (size === null) throw new Error(`invalid chunk size line: ${line.slice(0, 80)}`);
      const bytes = Number.parseInt(size[1] as string, 16);
      if (bytes === 0) this.#trailers = true;
      else this.#chunkLeft = bytes;
    }
    return rest;
  }

  #keep(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#body.push(bytes);
    this.#bodyBytes += bytes.length;
  }

  #finish(): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    this.#pending = undefined;
    const body =
      this.#body.length === 1
        ? (this.#body[0] as Buffer)
        : Buffer.concat(this.#body, this.#bodyBytes);
    this.#body = [];
    pending.resolve({ status: this.#status, headers: this.#headers, body });
  }

  #close(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reusable = false;
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) {
      if (this.#framing?.kind === "close" && error === undefined) {
        // The server's close is the end of this body.
        this.#pending = pending;
        this.#finish();
      } else {
        const answering = this.#framing !== undefined;
        pending.reject(
          new Http1Failure(
            error?.message ??
              (answering
                ? "the connection closed before the body ended"
                : "the connection closed before an answer"),
            answering,
            { cause: error },
          ),
        );
      }
    }
    if (!this.socket.destroyed) this.socket.destroy();
    this.onGone(this);
  }
}

/**
 * Kept-alive HTTP/1.1 connections by origin. Idle connections are unreferenced, so they never
 * hold a finished process open, and closed after a few idle seconds, before a server's own
 * keep-alive timeout usually closes them under a request. How many are open at once is the
 * callers' concern: every gateway and ledger call already goes through a bounded budget.
 */
export class Http1Pool {
  /**
   * `ca` replaces the trusted roots for HTTPS, and `idleTimeoutMs` the idle time after which a
   * connection is closed: for tests.
   */
  constructor(
    private readonly options: { readonly ca?: string; readonly idleTimeoutMs?: number } = {},
  ) {}

  readonly #idle = new Map<string, Http1Connection[]>();
  /** A TLS session per origin, offered again on the next connection to resume it. */
  readonly #sessions = new Map<string, Buffer>();

  /** Takes an idle connection to `origin`, or opens one. */
  connection(origin: Http1Origin): Http1Connection {
    const key = `${origin.secure ? "s" : ""}${origin.host}:${origin.port}`;
    const idle = this.#idle.get(key);
    while (idle !== undefined && idle.length > 0) {
      const connection = idle.pop() as Http1Connection;
      if (!connection.closed) return connection;
    }
    const socket = origin.secure
      ? tls.connect({
          host: origin.host,
          port: origin.port,
          servername: net.isIP(origin.host) === 0 ? origin.host : undefined,
          ALPNProtocols: ["http/1.1"],
          session: this.#sessions.get(key),
          ...(this.options.ca === undefined ? {} : { ca: this.options.ca }),
        })
      : net.connect({ host: origin.host, port: origin.port });
    if (socket instanceof tls.TLSSocket) {
      socket.on("session", (session: Buffer) => this.#sessions.set(key, session));
    }
    return new Http1Connection(
      socket,
      this.options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
      (connection) => {
        const list = this.#idle.get(key);
        if (list === undefined) this.#idle.set(key, [connection]);
        else list.push(connection);
      },
      (connection) => {
        const list = this.#idle.get(key);
        const at = list?.indexOf(connection) ?? -1;
        if (at >= 0) list?.splice(at, 1);
      },
    );
  }
}

export type { Http1Connection };
