import { encode, decode, dumpSync, loadSync, isNdpackError } from "/tmp/trial3/dist/src/index.js";
for (const v of ["\ufeff", "\ufeffabc", {"\ufeffk":"\ufeff"}, ["\ufeff","\ufeff","a","b","c","d","e","f"], ["\ufeff".repeat(50)]]) {
  const r = decode(encode(v)); console.log(JSON.stringify(v)===JSON.stringify(r), JSON.stringify(r).length);
}
const a=["a","b","c","d","e","f","g","h"]; const r=decode(encode([a,a])); console.log("shared identity", r[0]===r[1]);
