// Wall plaques drawn on a canvas: title, artist and year, caption, music prompt, and the models that made them.
import { artistLine, modelLabel } from "./data.js";

const W = 480;
const H = 608;
const PAD = 30;
const SANS = '"Helvetica Neue", Arial, "DejaVu Sans", sans-serif';
const SERIF = 'Georgia, "DejaVu Serif", serif';

function wrap(ctx, text, maxWidth) {
  const lines = [];
  let line = "";
  for (const word of String(text).split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (ctx.measureText(next).width > maxWidth && line) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/** Draw `text` wrapped from y, at most `maxLines` lines (the last one ellipsised); returns the next y. */
function paragraph(ctx, text, y, { font, size, colour = "#222", maxLines = 6, lead = 1.3 }) {
  if (!text) return y;
  ctx.font = `${font.includes("italic") ? "italic " : ""}${font.includes("bold") ? "bold " : ""}${size}px ${font.includes("serif") ? SERIF : SANS}`;
  ctx.fillStyle = colour;
  let lines = wrap(ctx, text, W - 2 * PAD);
  if (lines.length > maxLines) {
    lines = lines.slice(0, maxLines);
    lines[maxLines - 1] = `${lines[maxLines - 1].replace(/\s+\S*$/, "")} …`;
  }
  for (const l of lines) {
    y += size * lead;
    ctx.fillText(l, PAD, y);
  }
  return y;
}

export const PLAQUE_PIXELS = { width: W, height: H };

export function drawPlaque(canvas, art) {
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#f7f4ee";
  ctx.fillRect(0, 0, W, H);
  ctx.textBaseline = "alphabetic";
  let y = PAD - 6;
  y = paragraph(ctx, art.title, y, { font: "serif bold", size: 34, colour: "#111", maxLines: 3, lead: 1.2 });
  y = paragraph(ctx, artistLine(art), y + 4, { font: "sans", size: 23, colour: "#333", maxLines: 2 });
  y = paragraph(ctx, art.description, y + 10, { font: "serif", size: 19, colour: "#333", maxLines: 3 });
  y = paragraph(ctx, art.caption, y + 10, { font: "serif italic", size: 20, colour: "#333", maxLines: 5 });
  ctx.fillStyle = "#b9b2a5";
  ctx.fillRect(PAD, y + 14, W - 2 * PAD, 2);
  y = paragraph(ctx, art.prompt ? `Music: “${art.prompt}”` : "", y + 18, { font: "sans", size: 18, colour: "#444", maxLines: 8 });
  const m = art.models || {};
  const made = [
    `Caption: ${modelLabel(m.caption, m.caption_draft)}`,
    `Music: ${modelLabel(m.music, m.music_draft)}`,
  ];
  let yy = Math.max(y + 8, H - PAD - 2 * 17 * 1.3);
  for (const line of made) yy = paragraph(ctx, line, yy, { font: "sans", size: 17, colour: "#5e584c", maxLines: 1 });
  return canvas;
}
