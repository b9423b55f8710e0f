const REDRAW_MS = 200; // at most 5 redraws a second: enough to watch, cheap on a loaded machine

/**
 * Redraws one status line in place while the load runs. Silent when stdout
 * is not a terminal or CI is set, so logs and CI output stay clean.
 * Returns a function that stops it and clears the line.
 */
export function showProgress(line: () => string): () => void {
  if (!process.stdout.isTTY || process.env.CI) return () => undefined;
  const draw = () => process.stdout.write(`\r\x1b[K${line()}`);
  const timer = setInterval(draw, REDRAW_MS);
  draw();
  return () => {
    clearInterval(timer);
    process.stdout.write("\r\x1b[K");
  };
}
