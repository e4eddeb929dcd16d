// The sign over a doorway: "Room 3" and the name of the room beyond. A name too long for one line is
// wrapped and, past two lines, cut with an ellipsis: squeezing it into one line (fillText's maxWidth)
// made a long name unreadable. An Arabic or Hebrew name is drawn in its own direction.
import { isolate, readsRightToLeft } from "./data.js";
import { graphemes, wrap } from "./plaque.js";

export const SIGN_WIDTH = 512;
const PAD = 18;
const SERIF = 'Georgia, "DejaVu Serif", serif';
const ONE_LINE = 96; // canvas height of a one-line sign

/** `line` cut to fit `maxWidth` with a trailing ellipsis, between graphemes (never inside a flag or an accent). */
function ellipsise(ctx, line, maxWidth) {
  const chars = graphemes(line);
  while (chars.length && ctx.measureText(`${chars.join("").trimEnd()} …`).width > maxWidth) chars.pop();
  return `${chars.join("").trimEnd()} …`;
}

/**
 * What a sign shows, for a canvas context that measures text: its height in canvas pixels and its lines,
 * each {text, size (px), y (baseline), rtl}. `label` is ours ("Room 3"), `title` the curator's (may be "").
 */
export function signLayout(ctx, label, title) {
  const width = SIGN_WIDTH - 2 * PAD;
  const font = (size) => (ctx.font = `${size}px ${SERIF}`);
  font(40);
  const single = title ? `${label} · ${isolate(title)}` : label;
  if (ctx.measureText(single).width <= width) return { height: ONE_LINE, lines: [{ text: single, size: 40, y: ONE_LINE / 2, rtl: false }] };
  // The label on a line of its own, then the title on at most two lines, as large as fits.
  const sizes = [34, 30, 26];
  let lines;
  for (const size of sizes) {
    font(size);
    lines = wrap(ctx, title, width);
    if (lines.length > 2 && size === sizes[sizes.length - 1]) lines = [lines[0], ellipsise(ctx, lines.slice(1).join(" "), width)];
    if (lines.length > 2) continue;
    const lead = Math.round(size * 1.2);
    const top = 36;
    const rtl = readsRightToLeft(title);
    return {
      height: top + lead * lines.length + 12,
      lines: [{ text: label, size: 24, y: 22, rtl: false }, ...lines.map((text, k) => ({ text, size, y: top + lead * k + lead / 2, rtl }))],
    };
  }
}

/** Paint the sign onto `canvas` (resized to fit); returns the canvas. */
export function drawSign(canvas, label, title) {
  const { height, lines } = signLayout(canvas.getContext("2d"), label, title);
  canvas.width = SIGN_WIDTH;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#26221e";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#f3efe6";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (const { text, size, y, rtl } of lines) {
    ctx.font = `${size}px ${SERIF}`;
    ctx.direction = rtl ? "rtl" : "ltr";
    ctx.fillText(text, canvas.width / 2, y);
  }
  return canvas;
}
