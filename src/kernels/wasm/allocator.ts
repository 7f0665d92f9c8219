/**
 * The backend's heap: a bump pointer plus free lists by exact size, 64-byte aligned (cache lines and v128 loads).
 * Buffers are reused with the same sizes over and over (one set per batch shape), so exact-size lists are enough and
 * keep free() O(1). Memory is never handed back to the engine; `grow` is asked for more when the bump passes the end.
 */
export const ALIGN = 64;

const roundUp = (n: number, a: number): number => Math.ceil(n / a) * a;

export class Allocator {
  private top: number;
  private readonly freeBySize = new Map<number, number[]>();
  private readonly live = new Map<number, number>();

  /** `grow(end)` must make bytes [0, end) addressable or throw. */
  constructor(start: number, private readonly grow: (end: number) => void) {
    this.top = roundUp(Math.max(start, ALIGN), ALIGN);
  }

  /** Address of `bytes` bytes; `fresh` tells whether they were never handed out before (so still zero). */
  alloc(bytes: number): { ptr: number; fresh: boolean } {
    const size = roundUp(Math.max(bytes, 1), ALIGN);
    const reused = this.freeBySize.get(size)?.pop();
    if (reused !== undefined) { this.live.set(reused, size); return { ptr: reused, fresh: false }; }
    const ptr = this.top;
    this.grow(ptr + size);
    this.top = ptr + size;
    this.live.set(ptr, size);
    return { ptr, fresh: true };
  }

  /** Release a block returned by alloc; anything else is an error (double free, a subarray, a foreign address). */
  release(ptr: number): void {
    const size = this.live.get(ptr);
    if (size === undefined) throw new Error(`wasm backend: free() of memory that alloc() did not return (byte ${ptr}) or freed twice`);
    this.live.delete(ptr);
    let list = this.freeBySize.get(size);
    if (!list) this.freeBySize.set(size, (list = []));
    list.push(ptr);
  }

  /** Bytes handed out by the bump pointer so far (high-water mark). */
  get used(): number { return this.top; }
}
