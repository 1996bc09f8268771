import { VECTOR_KERNEL_WASM_BASE64 } from './vector-kernel-wasm.ts';

/**
 * Up to this many bytes of float32 vectors are also kept in memory, so that a small index (10,000
 * chunks of 384 dimensions, 2,700 of 1,536) re-scores without reading SQLite: reading the 200
 * re-scored rows from the file was half of a search's time, and a tenth of the server's CPU per
 * answer, on the benchmark's 1,800 chunks. A larger index drops the copies and reads the file.
 */
export const EXACT_COPY_BYTES = 16 * 1024 * 1024;

/**
 * Every stored vector, quantised to int8 (one scale per row) in one contiguous block of memory, for
 * the embedded store's first pass of nearest-neighbour search: a quarter of the float32 size (154 MB
 * for 100,000 × 1,536 instead of 614 MB) and scanned by a WebAssembly SIMD kernel in a few
 * milliseconds. Its ranking is approximate; the store re-scores the best few hundred rows with the
 * exact float32 vectors, which the SQLite file keeps.
 *
 * Rows are kept by SQLite rowid and maintained on every write, so no search waits for a reload.
 * Memory only grows (WebAssembly memory cannot shrink): deleting rows frees slots for later rows.
 */
export class QuantisedVectorMatrix {
  /** Bytes per row: the dimensions rounded up to the kernel's 16-byte blocks, padded with zeros. */
  private readonly stride: number;
  private readonly kernel: DotKernel;
  private capacity = 0;
  private length = 0;
  private rowids = new Float64Array(0);
  private scales = new Float32Array(0);
  /** Index into `collectionNames` per row, so the access filter is a typed-array lookup. */
  private collectionOf = new Uint16Array(0);
  private readonly collectionNames: string[] = [];
  private readonly collectionIds = new Map<string, number>();
  private readonly slotOf = new Map<number, number>();
  /** The float32 rows, `dimensions` apart, while they fit in `exactCopyBytes`; then null for good. */
  private exact: Float32Array | null = new Float32Array(0);

  constructor(
    readonly dimensions: number,
    /** `js` forces the portable kernel (tests compare the two); the default is SIMD when the engine has it. */
    kernel: 'auto' | 'js' = 'auto',
    private readonly exactCopyBytes = EXACT_COPY_BYTES,
  ) {
    this.stride = Math.ceil(dimensions / 16) * 16;
    this.kernel = (kernel === 'auto' && wasmKernel()) || new JsDotKernel();
  }

  /**
   * The float32 vector stored under `rowid`, a view valid until the next write, while the matrix
   * keeps exact copies; undefined once it has outgrown them (the caller reads the file).
   */
  exactVector(rowid: number): Float32Array | undefined {
    const slot = this.slotOf.get(rowid);
    if (!this.exact || slot === undefined) return undefined;
    return this.exact.subarray(slot * this.dimensions, (slot + 1) * this.dimensions);
  }

  /** Whether exact copies are kept (see EXACT_COPY_BYTES). */
  get keepsExact(): boolean {
    return this.exact !== null;
  }

  get size(): number {
    return this.length;
  }

  /** Which kernel scans the rows: `wasm-simd`, or `js` where the engine has no WebAssembly SIMD. */
  get kernelName(): string {
    return this.kernel.name;
  }

  /** Adds the row, or replaces the one stored under this rowid. */
  set(rowid: number, vector: Float32Array, collection: string): void {
    let slot = this.slotOf.get(rowid);
    if (slot === undefined) {
      if (this.length === this.capacity) this.grow(Math.max(64, this.capacity * 2));
      slot = this.length++;
      this.slotOf.set(rowid, slot);
      this.rowids[slot] = rowid;
    }
    this.scales[slot] = quantise(vector, this.rows().subarray(slot * this.stride, (slot + 1) * this.stride));
    this.exact?.set(vector.subarray(0, this.dimensions), slot * this.dimensions);
    this.collectionOf[slot] = this.collectionId(collection);
  }

  /** Removes the row, moving the last row into its slot. */
  remove(rowid: number): void {
    const slot = this.slotOf.get(rowid);
    if (slot === undefined) return;
    const last = --this.length;
    this.slotOf.delete(rowid);
    if (slot !== last) {
      const rows = this.rows();
      rows.copyWithin(slot * this.stride, last * this.stride, (last + 1) * this.stride);
      this.rowids[slot] = this.rowids[last] as number;
      this.scales[slot] = this.scales[last] as number;
      this.collectionOf[slot] = this.collectionOf[last] as number;
      this.exact?.copyWithin(slot * this.dimensions, last * this.dimensions, (last + 1) * this.dimensions);
      this.slotOf.set(this.rowids[slot] as number, slot);
    }
    // Padding rows scored by the four-row kernel must be zeros.
    this.rows().fill(0, last * this.stride, (last + 1) * this.stride);
  }

  /**
   * Rowids of the `count` rows with the highest approximate dot product with `query`, best first,
   * among the rows of the `permitted` collections (all rows when absent). A row of another
   * collection never takes a place.
   */
  nearest(query: Float32Array, count: number, permitted?: readonly string[]): number[] {
    const n = this.length;
    if (n === 0 || count <= 0) return [];
    const memory = this.kernel.memory();
    const rowsBytes = this.capacity * this.stride;
    quantise(query, new Int8Array(memory, rowsBytes, this.stride));
    const padded = Math.ceil(n / 4) * 4;
    this.kernel.dot(rowsBytes, 0, padded, this.stride, rowsBytes + this.stride);
    const dots = new Int32Array(this.kernel.memory(), rowsBytes + this.stride, padded);
    const allowed = this.allowedCollections(permitted);
    const best = new TopScores(Math.min(count, n));
    for (let i = 0; i < n; i++) {
      if (allowed && allowed[this.collectionOf[i] as number] === 0) continue;
      best.offer((dots[i] as number) * (this.scales[i] as number), i);
    }
    return best.slotsBestFirst().map((slot) => this.rowids[slot] as number);
  }

  /** Bytes held for the rows, the kernel's scratch space included. */
  get bytes(): number {
    return this.kernel.memory().byteLength + this.capacity * (8 + 4 + 2) + (this.exact?.byteLength ?? 0);
  }

  private allowedCollections(permitted?: readonly string[]): Uint8Array | null {
    if (!permitted) return null;
    const allowed = new Uint8Array(this.collectionNames.length);
    for (const name of permitted) {
      const id = this.collectionIds.get(name);
      if (id !== undefined) allowed[id] = 1;
    }
    return allowed;
  }

  private collectionId(name: string): number {
    let id = this.collectionIds.get(name);
    if (id === undefined) {
      id = this.collectionNames.push(name) - 1;
      this.collectionIds.set(name, id);
    }
    return id;
  }

  private rows(capacity = this.capacity): Int8Array {
    return new Int8Array(this.kernel.memory(), 0, capacity * this.stride);
  }

  /** Memory layout: the rows (capacity × stride), then the query (stride), then one int32 per row. */
  private grow(capacity: number): void {
    this.kernel.ensure(capacity * this.stride + this.stride + capacity * 4);
    // The new slots overlap the old query and result space: the padding rows must be zeros.
    this.rows(capacity).fill(0, this.capacity * this.stride);
    this.rowids = resized(this.rowids, capacity);
    this.scales = resized(this.scales, capacity);
    this.collectionOf = resized(this.collectionOf, capacity);
    this.exact =
      this.exact && capacity * this.dimensions * 4 <= this.exactCopyBytes
        ? resized(this.exact, capacity * this.dimensions)
        : null;
    this.capacity = capacity;
  }
}

/** Writes `v / scale` rounded into `out` (int8, ±127) and returns the scale (max |v| / 127). */
function quantise(v: Float32Array, out: Int8Array): number {
  let max = 0;
  for (const x of v) max = Math.max(max, Math.abs(x));
  out.fill(0);
  if (max === 0) return 0;
  const factor = 127 / max;
  for (let d = 0; d < v.length; d++) out[d] = Math.round((v[d] as number) * factor);
  return max / 127;
}

function resized<T extends Float64Array | Float32Array | Uint16Array>(a: T, length: number): T {
  const out = new (a.constructor as new (n: number) => T)(length);
  out.set(a.subarray(0, Math.min(a.length, length)));
  return out;
}

/** A bounded min-heap of (score, slot): keeps the best `capacity` offered. */
class TopScores {
  private readonly scores: Float64Array;
  private readonly slots: Int32Array;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.scores = new Float64Array(capacity);
    this.slots = new Int32Array(capacity);
  }

  offer(score: number, slot: number): void {
    if (this.size < this.capacity) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if ((this.scores[parent] as number) <= score) break;
        this.scores[i] = this.scores[parent] as number;
        this.slots[i] = this.slots[parent] as number;
        i = parent;
      }
      this.scores[i] = score;
      this.slots[i] = slot;
    } else if (score > (this.scores[0] as number)) {
      this.siftDown(score, slot);
    }
  }

  private siftDown(score: number, slot: number): void {
    let i = 0;
    while (true) {
      const left = 2 * i + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child = right < this.size && (this.scores[right] as number) < (this.scores[left] as number) ? right : left;
      if ((this.scores[child] as number) >= score) break;
      this.scores[i] = this.scores[child] as number;
      this.slots[i] = this.slots[child] as number;
      i = child;
    }
    this.scores[i] = score;
    this.slots[i] = slot;
  }

  slotsBestFirst(): number[] {
    return Array.from({ length: this.size }, (_, i) => i)
      .sort((a, b) => (this.scores[b] as number) - (this.scores[a] as number))
      .map((i) => this.slots[i] as number);
  }
}

/** What the matrix needs from a kernel: memory it can grow, and the dot products (see vector-kernel.wat). */
interface DotKernel {
  readonly name: string;
  memory(): ArrayBuffer;
  /** Grows the memory to at least `bytes`, keeping its contents. */
  ensure(bytes: number): void;
  dot(query: number, rows: number, n: number, stride: number, out: number): void;
}

let compiled: WebAssembly.Module | null | undefined;

/** The SIMD kernel, or null where the engine cannot run WebAssembly SIMD. */
function wasmKernel(): DotKernel | null {
  if (compiled === undefined) {
    const bytes = Uint8Array.from(atob(VECTOR_KERNEL_WASM_BASE64), (c) => c.charCodeAt(0));
    compiled = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  if (!compiled) return null;
  const exports = new WebAssembly.Instance(compiled, {}).exports as {
    memory: WebAssembly.Memory;
    dot: (query: number, rows: number, n: number, stride: number, out: number) => void;
  };
  const PAGE = 65_536;
  return {
    name: 'wasm-simd',
    memory: () => exports.memory.buffer,
    ensure: (bytes) => {
      const missing = Math.ceil((bytes - exports.memory.buffer.byteLength) / PAGE);
      if (missing > 0) exports.memory.grow(missing);
    },
    dot: exports.dot,
  };
}

/** The same sums in plain JavaScript (about ten times slower), for engines without WebAssembly SIMD. */
class JsDotKernel implements DotKernel {
  readonly name = 'js';
  private buffer = new ArrayBuffer(0);

  memory(): ArrayBuffer {
    return this.buffer;
  }

  ensure(bytes: number): void {
    if (bytes <= this.buffer.byteLength) return;
    const next = new ArrayBuffer(bytes);
    new Uint8Array(next).set(new Uint8Array(this.buffer));
    this.buffer = next;
  }

  dot(query: number, rows: number, n: number, stride: number, out: number): void {
    const bytes = new Int8Array(this.buffer);
    const results = new Int32Array(this.buffer, out, n);
    for (let i = 0; i < n; i++) {
      const base = rows + i * stride;
      let s = 0;
      for (let d = 0; d < stride; d++) s += (bytes[query + d] as number) * (bytes[base + d] as number);
      results[i] = s;
    }
  }
}
