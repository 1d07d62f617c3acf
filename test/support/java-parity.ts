/**
 * The real Java Mongock 5.5.1 and maven-artifact 3.6.1, asked from a test: `test/java/pom.xml`
 * names the jars (Maven resolves them from Maven Central into ~/.m2), `MongockParity.java` is
 * compiled against them once, and one JVM answers a whole batch of questions (one per line).
 * Classpath and classes are cached under node_modules/.cache, keyed by the two files' contents.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

const JAVA_DIR = resolve(import.meta.dirname, '../java');
const SOURCE = join(JAVA_DIR, 'MongockParity.java');
const POM = join(JAVA_DIR, 'pom.xml');
const MAIN_CLASS = 'io.mongock.runner.core.executor.changelog.MongockParity';
const TOOLS = ['java', 'javac', 'mvn'] as const;

export interface JavaParity {
  /** Sends every line to one JVM; returns its answers, one per line, in order. */
  ask(lines: readonly string[]): string[];
}

/** The tools that are missing from PATH (the only reason a parity test may skip). */
export function missingJavaTools(): string[] {
  return TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
}

/** Resolves the jars and compiles the harness (cached); throws when Maven or javac fails. */
export function javaParity(): JavaParity {
  const key = createHash('sha256').update(readFileSync(POM)).update(readFileSync(SOURCE)).digest('hex').slice(0, 16);
  const dir = resolve(import.meta.dirname, '../../node_modules/.cache/mongock-java-parity', key);
  const classes = join(dir, 'classes');
  const classpathFile = join(dir, 'classpath.txt');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(classpathFile)) {
    writeFileSync(join(dir, 'pom.xml'), readFileSync(POM));
    const resolveClasspath = (offline: boolean) =>
      spawnSync('mvn', ['-q', '-B', ...(offline ? ['-o'] : []), 'dependency:build-classpath', '-Dmdep.outputFile=classpath.partial'], {
        cwd: dir,
        encoding: 'utf8',
      });
    const result = resolveClasspath(true).status === 0 ? { status: 0, stdout: '' } : resolveClasspath(false);
    if (result.status !== 0) throw new Error(`mvn could not resolve test/java/pom.xml from Maven Central:\n${result.stdout}`);
    renameSync(join(dir, 'classpath.partial'), classpathFile);
  }
  const classpath = readFileSync(classpathFile, 'utf8').trim();
  if (!existsSync(join(classes, 'io/mongock/runner/core/executor/changelog/MongockParity.class'))) {
    execFileSync('javac', ['-nowarn', '-cp', classpath, '-d', `${classes}.partial`, SOURCE], { stdio: 'pipe' });
    renameSync(`${classes}.partial`, classes);
  }
  return {
    ask(lines) {
      const run = spawnSync('java', ['-Xshare:auto', '-XX:TieredStopAtLevel=1', '-cp', `${classes}${delimiter}${classpath}`, MAIN_CLASS], {
        input: `${lines.join('\n')}\n`,
        encoding: 'ascii',
        maxBuffer: 1 << 30,
      });
      if (run.status !== 0) throw new Error(`the Java parity harness failed (exit ${run.status}):\n${run.stderr}`);
      const answers = run.stdout.split('\n');
      answers.pop();
      if (answers.length !== lines.length) throw new Error(`the Java parity harness answered ${answers.length} of ${lines.length} questions`);
      return answers;
    },
  };
}

/** 'x' and four hex digits per UTF-16 code unit: any string, lone surrogates included. */
export function encodeJavaString(text: string): string {
  let hex = 'x';
  for (let i = 0; i < text.length; i++) hex += text.charCodeAt(i).toString(16).padStart(4, '0');
  return hex;
}

export function decodeJavaString(hex: string): string {
  let text = '';
  for (let i = 1; i < hex.length; i += 4) text += String.fromCharCode(Number.parseInt(hex.slice(i, i + 4), 16));
  return text;
}
