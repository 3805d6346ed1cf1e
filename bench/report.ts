/**
 * The report: a header, a Markdown table per dataset, and an SVG chart per dataset (time and
 * size bars, one colour per contestant) rendered with vega-lite and vega's SVG renderer.
 */
import type { Cell, Timing } from "./types.js";

const MB = 1e6;

/** Milliseconds with a precision that suits them. */
export function fmtMs(ms: number): string {
  if (ms < 0.01) return ms.toFixed(4);
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

function fmtTime(t: Timing | undefined): string {
  if (!t) return "—";
  const spread = t.medianMs > 0 ? (100 * t.madMs) / t.medianMs : 0;
  return `${fmtMs(t.medianMs)} ±${spread < 10 ? spread.toFixed(1) : spread.toFixed(0)}%`;
}

function fmtRate(bytes: number, t: Timing | undefined): string {
  if (!t || t.medianMs <= 0) return "—";
  const r = bytes / MB / (t.medianMs / 1000);
  return r >= 100_000 ? `${(r / 1000).toFixed(0)}k` : r >= 100 ? r.toFixed(0) : r.toFixed(1);
}

function fmtMB(b: number | undefined): string {
  if (b === undefined) return "—";
  return b >= 10 * MB ? (b / MB).toFixed(1) : (b / MB).toFixed(3);
}

function esc(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The reference contestant of speed ratios: a built-in everyone has and that takes every dataset. */
export const REFERENCE = "v8.serialize";

function ratio(t: Timing | undefined, ref: Timing | undefined): string {
  if (!t || !ref || t.medianMs <= 0) return "—";
  const x = ref.medianMs / t.medianMs;
  return x >= 100 ? `${x.toFixed(0)}×` : x >= 0.1 ? `${x.toPrecision(2)}×` : `1/${(1 / x).toPrecision(2)}×`;
}

/** One dataset's Markdown table (heading included). */
export function markdownTable(dataset: string, description: string, cells: Cell[], memory: boolean): string {
  const ref = cells.find((c) => c.contestant === REFERENCE && !c.reason);
  const head = ["contestant", "version", "encode / dump ms", "MB/s", "× v8", "decode / load ms", "MB/s", "× v8", "size MB", "ratio"];
  if (memory) head.push("peak MB enc / dec");
  head.push("verified");
  const rows = [head, head.map((h, i) => (i < 2 || i === head.length - 1 ? "---" : "---:"))];
  for (const c of cells) {
    const name = c.mode === "file" && !c.reason ? `${c.contestant} (file)` : c.contestant;
    if (c.reason && !c.encode) {
      const row = [esc(name), esc(c.version), `*${esc(c.reason)}*`, ...Array(head.length - 3).fill("")];
      rows.push(row);
      continue;
    }
    const row = [
      esc(name),
      esc(c.version),
      fmtTime(c.encode),
      fmtRate(c.rawBytes, c.encode),
      ratio(c.encode, ref?.encode),
      fmtTime(c.decode),
      fmtRate(c.rawBytes, c.decode),
      ratio(c.decode, ref?.decode),
      fmtMB(c.bytes),
      c.bytes !== undefined ? `${((100 * c.bytes) / c.rawBytes).toFixed(1)} %` : "—",
    ];
    if (memory) row.push(c.peakEncodeBytes === undefined ? "—" : `${c.peakIsBound ? "≤" : ""}${fmtMB(c.peakEncodeBytes)} / ${fmtMB(c.peakDecodeBytes)}`);
    row.push(c.verified === true ? "yes" : c.verified ? `**no**: ${esc(c.verified)}` : "—");
    rows.push(row);
  }
  const notes = cells
    .filter((c) => c.note && !c.reason)
    .map((c) => `- ${esc(c.contestant)}: ${esc(c.note!)}`);
  const raw = cells[0]?.rawBytes ?? 0;
  return [
    `### ${dataset}`,
    "",
    `${description}; raw size ${fmtMB(raw)} MB (typed-array bytes + UTF-8 JSON of the rest). Times are medians ± median absolute deviation (% of the median); MB/s is raw size / median; "× v8" is v8.serialize's median / this median (higher is faster) in the same run.`,
    "",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
    ...(notes.length ? ["<details><summary>what each timing includes</summary>", "", ...notes, "", "</details>", ""] : []),
  ].join("\n");
}

/** A vega-lite spec: encode time, decode time and size, one bar per contestant. */
export function chartSpec(dataset: string, cells: Cell[]): object {
  const values = cells
    // A result that failed its check is in the table (marked) but not in the chart.
    .filter((c) => !c.reason && c.encode && c.decode && c.verified === true)
    .flatMap((c) => [
      { contestant: c.contestant, metric: "encode / dump (ms, log)", value: c.encode!.medianMs },
      { contestant: c.contestant, metric: "decode / load (ms, log)", value: c.decode!.medianMs },
      { contestant: c.contestant, metric: "size (MB)", value: (c.bytes ?? 0) / MB },
    ]);
  const order = cells.map((c) => c.contestant);
  // Log-scale bars need an explicit base: a power of ten at or below the smallest time.
  const times = values.filter((v) => v.metric !== "size (MB)" && v.value > 0).map((v) => v.value);
  const base = 10 ** Math.floor(Math.log10(Math.min(...times, 1)));
  const bar = (metric: string, log: boolean) => ({
    transform: [{ filter: { field: "metric", equal: metric } }],
    mark: { type: "bar", tooltip: true },
    width: 240,
    height: { step: 14 },
    encoding: {
      y: { field: "contestant", type: "nominal", sort: order, title: null, axis: { labelLimit: 260 } },
      x: log
        ? { field: "value", type: "quantitative", title: metric, scale: { type: "log", domainMin: base } }
        : { field: "value", type: "quantitative", title: metric, scale: { zero: true } },
      ...(log ? { x2: { datum: base } } : {}),
      color: { field: "contestant", type: "nominal", sort: order, legend: null, scale: { scheme: "category20" } },
    },
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `ndpack benchmarks: ${dataset}`,
    data: { values },
    hconcat: [bar("encode / dump (ms, log)", true), bar("decode / load (ms, log)", true), bar("size (MB)", false)],
    config: { font: "sans-serif", axis: { labelFontSize: 10 } },
  };
}

/** Renders a chart to SVG, or returns why it cannot (vega or vega-lite missing). */
export async function renderSvg(spec: object): Promise<string> {
  /* eslint-disable @typescript-eslint/no-explicit-any */
  const vl = (await import("vega-lite" as string)) as any;
  const vega = (await import("vega" as string)) as any;
  const compiled = (vl.compile ?? vl.default.compile)(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = (await view.toSVG()) as string;
  view.finalize();
  return svg;
}
