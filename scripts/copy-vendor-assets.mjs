// Copies the few front-end files the app serves from node_modules into marketplace/static/vendor,
// so the Python package serves them itself (no CDN: the API docs page must work offline).
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "marketplace", "static", "vendor");
const files = {
  "swagger-ui": ["swagger-ui-dist", ["swagger-ui.css", "swagger-ui-bundle.js", "LICENSE"]],
  pico: ["@picocss/pico", ["css/pico.min.css", "LICENSE.md"]],
  // Poster text (marketplace/posters/render.py): every Vietnamese letter.
  fonts: ["dejavu-fonts-ttf", ["ttf/DejaVuSans.ttf", "ttf/DejaVuSans-Bold.ttf", "LICENSE"]],
  // The staff scanner (plugins/redemption_qr): QR decoding where the browser has no
  // BarcodeDetector, and Ed25519 to check a code's signature offline.
  jsqr: ["jsqr", ["dist/jsQR.js", "LICENSE"]],
  "noble-ed25519": ["@noble/ed25519", ["index.js", "LICENSE"]],
};

rmSync(target, { recursive: true, force: true });
for (const [name, [pkg, list]] of Object.entries(files)) {
  for (const file of list) {
    const dest = join(target, name, file.split("/").pop());
    mkdirSync(dirname(dest), { recursive: true });
    cpSync(join(root, "node_modules", pkg, file), dest);
  }
}
console.log(`vendor assets copied to ${target}`);
