// A progress bar on stderr while a run is going: a redrawn line on a TTY, a line per 10% otherwise.
// Never writes to stdout, so JSON on stdout stays clean.

export interface Progress {
  tick(failed: boolean): void;
  done(): void;
}

export function progressBar(label: string, total: number, enabled = true, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!enabled || total <= 0) return { tick() {}, done() {} };
  const started = Date.now();
  let count = 0;
  let failed = 0;
  let lastDecile = -1;
  const render = () => {
    const width = 30;
    const filled = Math.round((count / total) * width);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count}/${total} req  ${secs}s  errors ${failed}`;
  };
  return {
    tick(isFailed) {
      count++;
      if (isFailed) failed++;
      if (stream.isTTY) stream.write(`\r${render()}`);
      else if (Math.floor((count * 10) / total) !== lastDecile) {
        lastDecile = Math.floor((count * 10) / total);
        stream.write(`${render()}\n`);
      }
    },
    done() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}
