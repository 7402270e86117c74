/**
 * A 2xx JSON answer from an HTTP backend, read as one chunk, in the shape the SDK's HTTP
 * transports read (`ok`, `status`, `statusText`, `headers`, `text()`, `json()`). Building a
 * WHATWG `Response` around the bytes (Node's internal undici: body extraction, a web stream) was
 * the largest single cost on the HTTP-backend path of the benchmark (`--profile`), and the body is
 * already in memory. Event streams, errors and empty answers stay real `Response`s.
 */
export class BufferedJsonResponse {
  readonly ok = true;
  readonly redirected = false;
  readonly type = 'basic' as const;
  readonly body = null;
  private used = false;

  constructor(
    private readonly bytes: Buffer,
    readonly status: number,
    readonly headers: Headers,
    readonly url: string,
    readonly statusText = '',
  ) {}

  get bodyUsed(): boolean {
    return this.used;
  }

  private take(): Buffer {
    if (this.used) throw new TypeError('Body is unusable: Body has already been read');
    this.used = true;
    return this.bytes;
  }

  async text(): Promise<string> {
    return this.take().toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.take().toString('utf8'));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.take();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  clone(): BufferedJsonResponse {
    if (this.used) throw new TypeError('Response.clone: Body has already been consumed.');
    return new BufferedJsonResponse(this.bytes, this.status, this.headers, this.url, this.statusText);
  }
}
