// lz4js ships no types; ndpack uses its block functions only (see src/codecs/lz4.ts).
declare module "lz4js" {
  const lz4js: unknown;
  export default lz4js;
}
