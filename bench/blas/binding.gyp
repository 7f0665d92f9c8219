# OpenBLAS's sgemm as a tiny addon of its own, for bench/native-gemm.ts only: it is not part of recur's
# installed addon (binding.gyp at the root). Built by `npm run bench:gemm` (tools/build-native.mjs bench/blas).
{
  "targets": [
    {
      "target_name": "recur_blas",
      "sources": ["blas.cc"],
      "cflags_cc": ["-O2", "-std=gnu++17", "-Wall"],
      "libraries": ["-ldl"]
    }
  ]
}
