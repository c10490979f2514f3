/**
 * A first-fit allocator over a WebAssembly linear memory, with a coalescing free list: the GEMM
 * backend and the spin-flip kernels both hand out long-lived views into their (shared) memories and
 * reuse freed blocks. Blocks are cache-line aligned so SIMD rows never straddle more lines than
 * needed; the first 64 KiB are left to the module's static data.
 */
export const ALIGN = 64;
export const FIRST = 65536;

export class Heap {
  private top = FIRST;
  /** Free blocks sorted by address: [start, bytes]. */
  private freeList: Array<[number, number]> = [];
  /** Live blocks: start → bytes. */
  readonly live = new Map<number, number>();

  constructor(private readonly grow: (endByte: number) => void) {}

  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.freeList.length; i++) {
      const [start, len] = this.freeList[i]!;
      if (len >= size) {
        if (len === size) this.freeList.splice(i, 1);
        else this.freeList[i] = [start + size, len - size];
        this.live.set(start, size);
        return start;
      }
    }
    const start = this.top;
    this.grow(start + size);
    this.top = start + size;
    this.live.set(start, size);
    return start;
  }

  /** Frees the block at start if it is live and `bytes` rounds to its size (a whole allocation). */
  free(start: number, bytes?: number): boolean {
    const size = this.live.get(start);
    if (size === undefined) return false;
    if (bytes !== undefined && Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN) !== size) return false;
    this.live.delete(start);
    // insert sorted, then merge with neighbours
    let i = 0;
    while (i < this.freeList.length && this.freeList[i]![0] < start) i++;
    this.freeList.splice(i, 0, [start, size]);
    if (i + 1 < this.freeList.length && start + size === this.freeList[i + 1]![0]) {
      this.freeList[i]![1] += this.freeList[i + 1]![1];
      this.freeList.splice(i + 1, 1);
    }
    if (i > 0 && this.freeList[i - 1]![0] + this.freeList[i - 1]![1] === start) {
      this.freeList[i - 1]![1] += this.freeList[i]![1];
      this.freeList.splice(i, 1);
    }
    // give the tail back to the bump pointer
    const last = this.freeList[this.freeList.length - 1];
    if (last && last[0] + last[1] === this.top) {
      this.top = last[0];
      this.freeList.pop();
    }
    return true;
  }
}
