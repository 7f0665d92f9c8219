// recur finds its .wasm files and its kernel worker with `new URL('…', import.meta.url)`; Vite copies
// them into the build. The dev server's dependency pre-bundling would move recur's code away from
// them, so recur is left out of it. The headers make the page cross-origin isolated, which gives the
// WebAssembly kernels their worker threads (without them recur runs on one thread).
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default {
  optimizeDeps: { exclude: ['recur'] },
  worker: { format: 'es' },
  build: { target: 'es2022' },
  server: { headers: isolation },
  preview: { headers: isolation },
};
