/**
 * SVG → PNG for reports and the CLI (Node-only: @resvg/resvg-js is a native addon). Vega writes
 * text with generic families such as "sans-serif", so system fonts are loaded to get legible labels.
 */
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';

/** Rasterise an SVG string; `width` scales the image to that many pixels wide (aspect kept). */
export function svgToPng(svg: string, width?: number): Uint8Array {
  if (width !== undefined && !(Number.isInteger(width) && width > 0)) {
    throw new Error(`svgToPng: width must be a positive integer, got ${width}`);
  }
  const base: ResvgRenderOptions = {
    background: 'white',
    fitTo: width === undefined ? { mode: 'original' } : { mode: 'width', value: width },
  };
  let png: Buffer;
  try {
    png = new Resvg(svg, { ...base, font: { loadSystemFonts: true } }).render().asPng();
  } catch (err) {
    // A broken font directory should cost us the labels, not the picture: retry with no fonts at all
    // (text is then skipped). Anything else, e.g. malformed SVG, fails again and is reported.
    try {
      png = new Resvg(svg, { ...base, font: { loadSystemFonts: false } }).render().asPng();
    } catch {
      throw err;
    }
  }
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
