;; Int8 dot products for the embedded vector search, in WebAssembly SIMD (128-bit lanes).
;; Compiled by scripts/build-vector-kernel.ts into vector-kernel-wasm.ts; edit this file, then run
;; `bun run scripts/build-vector-kernel.ts`.
;;
;; dot(query, rows, n, stride, out): for each of the n rows of `stride` bytes starting at `rows`,
;; writes the int32 dot product of the row and the `stride`-byte query at `query` to `out` (4 bytes a
;; row). Vectors are int8 in [-127, 127]; stride is a multiple of 16 and n a multiple of 4 (the
;; caller pads with zeros). A product of two int8 fits in int16, two of them summed by
;; i32x4.dot_i16x8_s fit in int32, and 1,536 × 127 × 127 is far below 2^31, so nothing overflows.
;; Four rows are scored per pass so that each block of the query is loaded and widened once.
(module
  (memory (export "memory") 1)
  (func $dot4 (param $q_lo v128) (param $q_hi v128) (param $r v128) (param $acc v128) (result v128)
    (i32x4.add (local.get $acc)
      (i32x4.add
        (i32x4.dot_i16x8_s (local.get $q_lo) (i16x8.extend_low_i8x16_s (local.get $r)))
        (i32x4.dot_i16x8_s (local.get $q_hi) (i16x8.extend_high_i8x16_s (local.get $r))))))
  (func $sum (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))
  (func (export "dot") (param $query i32) (param $rows i32) (param $n i32) (param $stride i32) (param $out i32)
    (local $end i32) (local $d i32) (local $p i32) (local $q v128) (local $q_lo v128) (local $q_hi v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $each_four_rows
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $d (i32.const 0))
        (loop $each_block
          (local.set $q (v128.load (i32.add (local.get $query) (local.get $d))))
          (local.set $q_lo (i16x8.extend_low_i8x16_s (local.get $q)))
          (local.set $q_hi (i16x8.extend_high_i8x16_s (local.get $q)))
          (local.set $p (i32.add (local.get $rows) (local.get $d)))
          (local.set $a0 (call $dot4 (local.get $q_lo) (local.get $q_hi) (v128.load (local.get $p)) (local.get $a0)))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (local.set $a1 (call $dot4 (local.get $q_lo) (local.get $q_hi) (v128.load (local.get $p)) (local.get $a1)))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (local.set $a2 (call $dot4 (local.get $q_lo) (local.get $q_hi) (v128.load (local.get $p)) (local.get $a2)))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (local.set $a3 (call $dot4 (local.get $q_lo) (local.get $q_hi) (v128.load (local.get $p)) (local.get $a3)))
          (br_if $each_block (i32.lt_u (local.tee $d (i32.add (local.get $d) (i32.const 16))) (local.get $stride))))
        (i32.store offset=0 (local.get $out) (call $sum (local.get $a0)))
        (i32.store offset=4 (local.get $out) (call $sum (local.get $a1)))
        (i32.store offset=8 (local.get $out) (call $sum (local.get $a2)))
        (i32.store offset=12 (local.get $out) (call $sum (local.get $a3)))
        (local.set $rows (i32.add (local.get $rows) (i32.shl (local.get $stride) (i32.const 2))))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $each_four_rows)))))
