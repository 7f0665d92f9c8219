/** The built-in corpora, cut from the installed @stdlib dataset packages at build time (web/vite.config.ts). */
declare module 'virtual:recur-corpora' {
  /** The first ~100 K characters of Moby Dick. */
  export const mobyDick: string;
  /** English first names, sorted, without duplicates. */
  export const names: string[];
}
