/** Peak resident memory of this process so far, in MiB (the `rss_mb` of `--json` lines and of the benchmarks). */
export function peakRssMb(): number {
  // maxRSS is in kibibytes; it is the peak, so a log line shows the most the run has needed up to then.
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
