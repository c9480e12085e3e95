// Build the front-end assets into app/static: GOV.UK Frontend's JavaScript, images and our
// council-branded stylesheet compiled from assets/app.scss.  Nothing built here is committed.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const frontend = join(root, "node_modules", "govuk-frontend", "dist", "govuk");
const govukOut = join(root, "app", "static", "govuk");
const cssOut = join(root, "app", "static", "css");

mkdirSync(govukOut, { recursive: true });
mkdirSync(cssOut, { recursive: true });
cpSync(join(frontend, "govuk-frontend.min.js"), join(govukOut, "govuk-frontend.min.js"));
cpSync(join(frontend, "assets", "images"), join(govukOut, "assets", "images"), { recursive: true });
cpSync(join(frontend, "assets", "manifest.json"), join(govukOut, "assets", "manifest.json"));

// Leaflet for the maps, served from our own origin (the Content Security Policy allows no CDN).
const leaflet = join(root, "node_modules", "leaflet", "dist");
const leafletOut = join(root, "app", "static", "leaflet");
mkdirSync(leafletOut, { recursive: true });
cpSync(join(leaflet, "leaflet.js"), join(leafletOut, "leaflet.js"));
cpSync(join(leaflet, "leaflet.css"), join(leafletOut, "leaflet.css"));
cpSync(join(leaflet, "images"), join(leafletOut, "images"), { recursive: true });

const result = sass.compile(join(root, "assets", "app.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["mixed-decls", "import"],
});
writeFileSync(join(cssOut, "app.css"), result.css);
console.log(`built app/static/css/app.css (${result.css.length} bytes) and copied GOV.UK Frontend assets`);
