// Generates src/api/roomProtocol.ts from the server's JSON Schema of the room
// protocol (signaling/schema/room-v1.json), so the page's types cannot drift
// from what the server validates. Run by `npm run build` (and by hand with
// `npm run gen:room-types`).
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "json-schema-to-typescript";

const here = dirname(fileURLToPath(import.meta.url));
const schemaPath = resolve(here, "../../signaling/schema/room-v1.json");
const outPath = resolve(here, "../src/api/roomProtocol.ts");
const schema = JSON.parse(readFileSync(schemaPath, "utf8"));

const defName = (ref) => ref.replace("#/$defs/", "");
// pydantic titles every field; without this each would become a named type alias.
const untitle = (node, keep) => {
  if (Array.isArray(node)) return node.forEach((n) => untitle(n, false));
  if (node === null || typeof node !== "object") return;
  if (!keep) delete node.title;
  for (const [key, value] of Object.entries(node)) {
    if (key === "properties") Object.values(value).forEach((v) => untitle(v, false));
    else if (key !== "$defs") untitle(value, false);
  }
};
Object.values(schema.$defs).forEach((def) => untitle(def, true));
const root = {
  title: "RoomProtocolDefs",
  type: "object",
  additionalProperties: false,
  properties: Object.fromEntries(
    Object.keys(schema.$defs).map((name) => [name, { $ref: `#/$defs/${name}` }]),
  ),
  $defs: schema.$defs,
};
let body = await compile(root, "RoomProtocolDefs", {
  bannerComment: "",
  additionalProperties: false,
  strictIndexSignatures: true,
  format: false,
});
const eventMap = (name, events) =>
  `export interface ${name} {\n` +
  Object.entries(events)
    .map(([event, ref]) => `  ${JSON.stringify(event)}: ${defName(ref)};`)
    .join("\n") +
  "\n}\n";
const out = [
  "// Generated from signaling/schema/room-v1.json by scripts/gen-room-types.mjs: do not edit.",
  `export const ROOM_PROTOCOL_VERSION = ${schema["x-version"]};`,
  `export const ROOM_NAMESPACE = ${JSON.stringify(schema["x-namespace"])};`,
  "",
  body.trim(),
  "",
  `export type RoomConnectAuth = ${defName(schema["x-connect"])};`,
  eventMap("RoomClientEvents", schema["x-client-events"]),
  eventMap("RoomServerEvents", schema["x-server-events"]),
].join("\n");
writeFileSync(outPath, out);
console.log(`wrote ${outPath}`);
