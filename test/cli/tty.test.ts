import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, mongock, mongockOnTty, screenText, tempProject } from './cli-harness.ts';
import { sqliteProjectFiles } from './fixtures.ts';

beforeAll(() => ensureBuilt(), 240_000);

const ESC = String.fromCharCode(27);
const SLOW_UNIT = `import { defineChangeUnit } from 'mongock';
export default defineChangeUnit({
  id: 'slow-backfill', order: '0009', author: 'dev',
  async execute() { await new Promise((resolve) => setTimeout(resolve, 1300)); },
  async rollback() {},
});
`;

describe('on a terminal (pseudo-terminal from `script`)', () => {
  it('migrate shows live progress with elapsed time, then a summary table, in colour', () => {
    const dir = tempProject({ ...sqliteProjectFiles(), 'migrations/0009_slow-backfill.ts': SLOW_UNIT });
    const run = mongockOnTty(['migrate'], { cwd: dir });
    expect(run.code).toBe(0);
    const raw = run.stdout;
    // The live line is redrawn in place (carriage return + erase line) with a spinner and elapsed time.
    expect(raw).toMatch(new RegExp(`\\r${ESC}\\[2K${ESC}\\[36m[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]${ESC}\\[39m slow-backfill ${ESC}\\[2m\\d+ ms`));
    expect(raw).toMatch(new RegExp(`slow-backfill ${ESC}\\[2m1\\.\\d s`)); // the elapsed time ticks past a second
    expect(raw).toContain(`${ESC}[32m✔ executed${ESC}[39m`);
    const screen = screenText(raw);
    expect(screen).toMatch(/^✔ executed create-users \d+ ms$/m);
    expect(screen).toMatch(/^✔ executed slow-backfill [\d.]+ m?s$/m);
    expect(screen).toMatch(/^outcome\s+change\s+author\s+duration$/m);
    expect(screen).toMatch(/^✔ executed\s+slow-backfill\s+dev\s+[\d.]+ m?s$/m);
    expect(screen).toMatch(/^Migration .*: 4 executed, 0 failed, in [\d.]+ (ms|s)\.$/m);

    const status = mongockOnTty(['status'], { cwd: dir });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`${ESC}[1morder`);
    expect(screenText(status.stdout)).toMatch(/^0009\s+slow-backfill\s+dev\s+executed\s+\S+Z\s+[\d.]+ m?s\s+\S+$/m);
  }, 60_000);

  it('NO_COLOR turns colours off on a terminal; a pipe gets plain lines, one per event', async () => {
    const dir = tempProject({ ...sqliteProjectFiles(), 'migrations/0009_slow-backfill.ts': SLOW_UNIT });
    const run = mongockOnTty(['migrate'], { cwd: dir, env: { NO_COLOR: '1' } });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(new RegExp(`${ESC}\\[\\d+m`));
    expect(screenText(run.stdout)).toMatch(/^✔ executed slow-backfill [\d.]+ m?s$/m);

    const piped = await mongock(['undo', '--last', '2'], { cwd: dir });
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe(
      piped.stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => `${line}\n`)
        .join(''),
    );
    expect(piped.stdout).toMatch(/^rolled-back slow-backfill \(\d+ ms\)\nrolled-back add-email \(\d+ ms\)\nRolled back 2 change units/);
  }, 60_000);
});
