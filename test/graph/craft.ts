/** Builds files around hand-made manifests, for the hostile-input tests and the fuzz corpus. */
import { segmentOptions } from "../../src/api.js";
import type { SegmentSource } from "../../src/graph/encode.js";
import { writeContainer, type ContainerInfo } from "../../src/segment/container.js";

/** A whole file with `manifest` as its manifest (valid checksums) and the given segments. */
export function fileWith(manifest: Uint8Array | number[], segments: SegmentSource[] = []): Uint8Array {
  const info: ContainerInfo = { bytes: 0, segments: [], manifestBytes: 0 };
  const parts: Uint8Array[] = [];
  for (const p of writeContainer({ manifest: Uint8Array.from(manifest), segments }, segmentOptions({}), info)) parts.push(p.slice());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Unsigned LEB128. */
export function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** A STRING value. */
export function str(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [0x08, ...varint(b.length), ...b];
}
