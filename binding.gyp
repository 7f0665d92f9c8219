# The native kernel backend (src/node/native.ts). Built by tools/build-native.mjs at install; a
# failed build is not an error (recur then uses the WASM or JS backend).
#
# The kernels are one source (native/kernels_impl.h) compiled three times, with AVX-512, AVX2+FMA
# and baseline SSE2 flags, into separate static libraries; addon.cc picks one at run time from the
# CPU's features, so the module loads on any x86-64 CPU.
{
  "target_defaults": {
    "cflags_cc": ["-O3", "-std=gnu++17", "-fPIC", "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Wno-maybe-uninitialized"],
    "cflags_cc!": ["-fno-exceptions"],
    "xcode_settings": {
      "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=gnu++17", "-fno-math-errno"],
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES"
    }
  },
  "targets": [
    {
      "target_name": "recur_isa_avx512",
      "type": "static_library",
      "sources": ["native/isa_avx512.cc"],
      "cflags_cc": ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma", "-mprefer-vector-width=512"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma"] }
    },
    {
      "target_name": "recur_isa_avx2",
      "type": "static_library",
      "sources": ["native/isa_avx2.cc"],
      "cflags_cc": ["-mavx2", "-mfma"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma"] }
    },
    {
      "target_name": "recur_isa_sse",
      "type": "static_library",
      "sources": ["native/isa_sse.cc"]
    },
    {
      "target_name": "recur_native",
      "sources": ["native/addon.cc", "native/pool.cc"],
      "dependencies": ["recur_isa_avx512", "recur_isa_avx2", "recur_isa_sse"],
      "libraries": ["-lpthread"]
    }
  ]
}
