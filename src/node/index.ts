/** Node-only parts of recur's API. */
export { createBackend, BACKEND_NAMES, type BackendName, type BackendOptions } from './backend.js';
export { atomicWriteFile, readFileLimited } from './files.js';
export { mobyDick, firstNames, spamAssassin, usBirths } from './corpora.js';
