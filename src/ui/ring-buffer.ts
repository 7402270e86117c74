/**
 * Fixed-capacity buffer that overwrites its oldest item: the dashboard's memory stays bounded however
 * long the gateway runs. Items carry no index; callers that need stable ids keep their own sequence.
 */
export class RingBuffer<T> {
  private readonly items: Array<T | undefined>;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(Math.max(1, capacity));
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.items.length;
    if (this.count < this.items.length) this.count++;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out = new Array<T>(this.count);
    const first = (this.next - this.count + this.items.length) % this.items.length;
    for (let i = 0; i < this.count; i++) out[i] = this.items[(first + i) % this.items.length] as T;
    return out;
  }

  /** The newest item, if any. */
  last(): T | undefined {
    return this.count === 0 ? undefined : this.items[(this.next - 1 + this.items.length) % this.items.length];
  }
}
