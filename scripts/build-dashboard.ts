import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { build } from "esbuild";

/**
 * Part of `npm run build`: bundles the dashboard page (web/dashboard, with
 * uPlot) into dist/dashboard, where GET /dashboard serves it from. Nothing is
 * fetched at run time: the page works offline.
 */
const root = path.resolve(__dirname, "../..");
const source = path.join(root, "web/dashboard");
const out = path.join(root, "dist/dashboard");

async function main(): Promise<void> {
  await mkdir(out, { recursive: true });
  await build({
    entryPoints: { app: path.join(source, "main.ts"), "app-style": path.join(source, "style.css") },
    outdir: out,
    entryNames: "[name]",
    bundle: true,
    minify: true,
    sourcemap: "linked",
    format: "iife",
    target: ["es2022"],
    logLevel: "warning",
  });
  await copyFile(path.join(source, "index.html"), path.join(out, "index.html"));
}

main().catch((err) => {
  console.error(`dashboard build failed: ${(err as Error).message}`);
  process.exit(1);
});
