// Wall plaques drawn on a canvas: what a museum label says, plus a ♪ band while the work's music plays.
import { artistLine, readsRightToLeft } from "./data.js";

const W = 480;
const H = 608;
const PAD = 30;
const SANS = '"Helvetica Neue", Arial, "DejaVu Sans", sans-serif';
const SERIF = 'Georgia, "DejaVu Serif", serif';

export const graphemes = typeof Intl !== "undefined" && Intl.Segmenter
  ? (text) => Array.from(new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text), (s) => s.segment)
  : (text) => Array.from(text);

/** Pieces of `word` that each fit `maxWidth`, broken between characters: Chinese and Japanese put no spaces
 * between words, and a long unbroken name would run off the plaque. */
function pieces(ctx, word, maxWidth) {
  if (ctx.measureText(word).width <= maxWidth) return [word];
  const out = [];
  let piece = "";
  for (const ch of graphemes(word)) {
    if (piece && ctx.measureText(piece + ch).width > maxWidth) {
      out.push(piece);
      piece = ch;
    } else piece += ch;
  }
  if (piece) out.push(piece);
  return out;
}

export function wrap(ctx, text, maxWidth) {
  const lines = [];
  let line = "";
  for (const word of String(text).split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (ctx.measureText(next).width <= maxWidth) {
      line = next;
      continue;
    }
    if (line) lines.push(line);
    const parts = pieces(ctx, word, maxWidth);
    lines.push(...parts.slice(0, -1));
    line = parts[parts.length - 1];
  }
  if (line) lines.push(line);
  return lines;
}

/** Draw `text` wrapped from y, at most `maxLines` lines (the last one ellipsised); returns the next y. */
export function paragraph(ctx, text, y, { font, size, colour = "#222", maxLines = 6, lead = 1.3 }) {
  if (!text) return y;
  ctx.font = `${font.includes("italic") ? "italic " : ""}${font.includes("bold") ? "bold " : ""}${size}px ${font.includes("serif") ? SERIF : SANS}`;
  ctx.fillStyle = colour;
  let lines = wrap(ctx, text, W - 2 * PAD);
  if (lines.length > maxLines) {
    lines = lines.slice(0, maxLines);
    lines[maxLines - 1] = `${lines[maxLines - 1].replace(/\s+\S*$/, "")} …`;
  }
  // Arabic or Hebrew text starts at the plaque's right edge and keeps its punctuation in place
  const rtl = readsRightToLeft(text);
  ctx.direction = rtl ? "rtl" : "ltr";
  ctx.textAlign = "start";
  for (const l of lines) {
    y += size * lead;
    ctx.fillText(l, rtl ? W - PAD : PAD, y);
  }
  ctx.direction = "ltr";
  return y;
}

/**
 * Paint a wall label: title, artist and year, the curator's text (or the caption), what the music sounds
 * like and the credit; `playing` adds a ♪ band at the foot. How it was made stays in the HTML panel.
 */
export function drawPlaque(canvas, art, { playing = false } = {}) {
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#f7f4ee";
  ctx.fillRect(0, 0, W, H);
  ctx.textBaseline = "alphabetic";
  let y = PAD - 6;
  y = paragraph(ctx, art.title, y, { font: "serif bold", size: 34, colour: "#111", maxLines: 3, lead: 1.2 });
  y = paragraph(ctx, artistLine(art), y + 4, { font: "sans", size: 23, colour: "#333", maxLines: 2 });
  const lead = art.description || art.caption;
  y = paragraph(ctx, lead, y + 10, { font: art.description ? "serif" : "serif italic", size: 20, colour: "#333", maxLines: 6 });
  if (art.music_description) {
    ctx.fillStyle = "#b9b2a5";
    ctx.fillRect(PAD, y + 14, W - 2 * PAD, 2);
    y = paragraph(ctx, `Music: ${art.music_description}`, y + 18, { font: "sans", size: 19, colour: "#444", maxLines: 4 });
  }
  const foot = playing ? H - 64 : H - PAD;
  if (art.credit) paragraph(ctx, art.credit, Math.max(y + 8, foot - 2 * 16 * 1.3 - 4), { font: "sans", size: 16, colour: "#5e584c", maxLines: 2 });
  if (playing) {
    ctx.fillStyle = "#2a2118";
    ctx.fillRect(0, H - 56, W, 56);
    ctx.fillStyle = "#f0c46c";
    ctx.font = `bold 28px ${SANS}`;
    ctx.fillText("♪  Now playing", PAD, H - 18);
  }
  return canvas;
}
