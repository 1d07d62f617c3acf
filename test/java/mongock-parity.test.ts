/**
 * Differential tests against the real Java libraries: every system-version comparison and every
 * order decision of this package must equal what Java Mongock 5.5.1 (and the maven-artifact
 * 3.6.1 it uses) decides, on thousands of generated inputs, with zero disagreements. One JVM
 * answers every question of the file (test/support/java-parity.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChangeUnitModel } from '../../src/change/change-unit.ts';
import { canonicalMavenVersion, parseMavenVersion } from '../../src/change/maven-version.ts';
import { selectChangeUnits } from '../../src/change/select-change-units.ts';
import { compareSystemVersions, isWithinSystemVersions } from '../../src/change/system-version.ts';
import { compareChangeSetOrders, compareJavaStrings, compareUnitOrders } from '../../src/change/unit-order.ts';
import { decodeJavaString, javaParity, missingJavaTools, encodeJavaString as x } from '../support/java-parity.ts';
import { ADVERSARIAL_ORDERS, ADVERSARIAL_VERSIONS, nearVersion, PARITY_SEED, type Random, random, randomOrder, randomVersion } from './parity-cases.ts';

const missing = missingJavaTools();
if (missing.length > 0) {
  console.warn(
    `\n${'!'.repeat(100)}\n!! SKIPPED: the Java parity tests need ${missing.join(', ')} on PATH (a JDK and Maven, with Maven Central reachable).\n` +
      `!! Versions and orders are NOT proven equal to Java Mongock 5.5.1 on this machine.\n${'!'.repeat(100)}\n`,
  );
}

/** One group of questions: the lines sent to Java and how this package answers each. */
interface Group {
  readonly name: string;
  readonly questions: string[];
  readonly ours: string[];
  readonly labels: string[];
  answers: string[];
}

const groups = new Map<string, Group>();
function group(name: string): Group {
  let found = groups.get(name);
  if (found === undefined) {
    found = { name, questions: [], ours: [], labels: [], answers: [] };
    groups.set(name, found);
  }
  return found;
}
function ask(name: string, question: string, ours: string, label: string): void {
  const target = group(name);
  target.questions.push(question);
  target.ours.push(ours);
  target.labels.push(label);
}
const sign = (n: number): string => String(Math.sign(n) + 0);
const show = (text: string): string => JSON.stringify(text);

/** Disagreements of a group, as readable lines (at most 20), and the count compared. */
function disagreements(name: string): { compared: number; lines: string[] } {
  const target = groups.get(name)!;
  const lines: string[] = [];
  target.answers.forEach((answer, i) => {
    if (answer !== target.ours[i] && lines.length < 20) lines.push(`${target.labels[i]}: Java ${answer}, ours ${target.ours[i]}`);
  });
  const count = target.answers.filter((answer, i) => answer !== target.ours[i]).length;
  if (count > 0) lines.push(`${count} disagreements in ${target.answers.length} (seed ${PARITY_SEED})`);
  return { compared: target.answers.length, lines };
}

function versionQuestions(next: Random): void {
  const versions = [...ADVERSARIAL_VERSIONS];
  for (const a of versions) for (const b of versions) askVersion(a, b);
  for (let i = 0; i < 20_000; i++) askVersion(randomVersion(next), randomVersion(next));
  for (let i = 0; i < 10_000; i++) {
    const a = next() < 0.5 ? randomVersion(next) : ADVERSARIAL_VERSIONS[Math.floor(next() * ADVERSARIAL_VERSIONS.length)]!;
    askVersion(a, nearVersion(next, a));
  }
  const windows = [...versions, '0', '2147483647', '1', '2.5.1', '2.5.5'];
  const any = () => (next() < 0.5 ? windows[Math.floor(next() * windows.length)]! : randomVersion(next));
  for (let i = 0; i < 5_000; i++) {
    const [version, start, end] = [any(), any(), any()];
    ask(
      'window',
      `window ${x(version)} ${x(start)} ${x(end)}`,
      String(isWithinSystemVersions(version, start, end)),
      `${show(version)} in [${show(start)}, ${show(end)}]`,
    );
  }
  // Every UTF-16 code unit alone, after a digit and between a letter and a digit: isDigit, digit
  // values and lower-casing as Java's String#toLowerCase(Locale.ENGLISH) and Character see them.
  const canonical = (version: string) =>
    ask('canonical', `canonical ${x(version)}`, x(canonicalMavenVersion(parseMavenVersion(version))), `canonical of ${show(version)}`);
  for (let c = 0; c < 0x10000; c++) {
    const unit = String.fromCharCode(c);
    canonical(unit);
    canonical(`1${unit}`);
    canonical(`a${unit}1`);
  }
  for (const version of versions) canonical(version);
  for (let i = 0; i < 5_000; i++) canonical(randomVersion(next));
}

function askVersion(a: string, b: string): void {
  ask('version', `version ${x(a)} ${x(b)}`, sign(compareSystemVersions(a, b)), `compare(${show(a)}, ${show(b)})`);
}

function orderQuestions(next: Random, classes: readonly string[]): void {
  const unitPair = (a: string, ca: number, b: string, cb: number) =>
    ask(
      'changelog',
      `changelog ${x(a)} ${ca} ${x(b)} ${cb}`,
      sign(compareUnitOrders({ order: a, className: classes[ca]! }, { order: b, className: classes[cb]! })),
      `units (${show(a)}, ${classes[ca]}) vs (${show(b)}, ${classes[cb]})`,
    );
  const setPair = (a: string, b: string) => ask('changeset', `changeset ${x(a)} ${x(b)}`, sign(compareChangeSetOrders(a, b)), `sets ${show(a)} vs ${show(b)}`);
  for (const a of ADVERSARIAL_ORDERS) {
    for (const b of ADVERSARIAL_ORDERS) {
      unitPair(a, 0, b, 0);
      unitPair(a, 0, b, 3);
      unitPair(a, 3, b, 0);
      setPair(a, b);
    }
  }
  const anyClass = () => Math.floor(next() * classes.length);
  for (let i = 0; i < 10_000; i++) {
    unitPair(randomOrder(next), anyClass(), randomOrder(next), anyClass());
    setPair(randomOrder(next), randomOrder(next));
  }
  for (let i = 0; i < 1_000; i++) planQuestion(next, classes);
}

/** A random set of ChangeUnits and ChangeLogs (distinct classes), planned by both sides. */
function planQuestion(next: Random, classes: readonly string[]): void {
  const pool = classes.map((_, i) => i).sort(() => next() - 0.5);
  const models: ChangeUnitModel[] = [];
  const words: string[] = ['plan'];
  for (const classIndex of pool.slice(0, 2 + Math.floor(next() * 7))) {
    const order = randomOrder(next);
    const className = classes[classIndex]!;
    if (next() < 0.5) {
      words.push('u', x(order), String(classIndex));
      models.push(model(className, 'change-unit', [order], className));
    } else {
      const sets = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, k) => ({ id: `${className}#${k}`, order: randomOrder(next) }));
      sets.sort((a, b) => compareJavaStrings(a.id, b.id)); // Java's stable sort then leaves ties in id order, as ours
      words.push('l', x(order), String(classIndex), String(sets.length), ...sets.flatMap((set) => [x(set.id), x(set.order)]));
      for (const set of sets) models.push(model(set.id, 'change-set', [order, set.order], className));
    }
  }
  models.sort(() => next() - 0.5);
  const selection = selectChangeUnits(models, { defaultAuthor: 'dev', startSystemVersion: '0', endSystemVersion: '2147483647', activeProfiles: [] });
  expect(selection.problems).toEqual([]);
  ask('plan', words.join(' '), selection.units.map((unit) => x(unit.model.id)).join(' '), `plan ${words.slice(1).join(' ')}`);
}

function model(id: string, form: ChangeUnitModel['form'], orderKey: string[], className: string): ChangeUnitModel {
  const step = { name: 'run', invoke: async () => undefined };
  return {
    id,
    author: 'dev',
    orderKey,
    systemVersion: '0',
    runAlways: false,
    transactional: undefined,
    failFast: true,
    profiles: [],
    form,
    className,
    steps: { execution: step, rollback: step, before: undefined, rollbackBefore: undefined, unitClass: undefined },
    source: undefined,
    changeLogFailFast: true,
  };
}

describe.skipIf(missing.length > 0)('the same decisions as the real Java Mongock 5.5.1 and maven-artifact 3.6.1', () => {
  beforeAll(() => {
    const java = javaParity();
    const [classLine] = java.ask(['classes']);
    const classes = classLine!.split(' ').map(decodeJavaString);
    const next = random(PARITY_SEED);
    versionQuestions(next);
    orderQuestions(next, classes);
    const all = [...groups.values()];
    const answers = java.ask(all.flatMap((g) => g.questions));
    let offset = 0;
    for (const g of all) {
      g.answers = answers.slice(offset, offset + g.questions.length);
      offset += g.questions.length;
    }
    console.info(`Java parity (seed ${PARITY_SEED}): ${all.map((g) => `${g.name} ${g.answers.length}`).join(', ')}`);
  }, 600_000);

  it.each([
    ['version', 'compares system versions as DefaultArtifactVersion#compareTo does (adversarial, random and near-equal pairs)', 50_000],
    ['canonical', 'parses every UTF-16 code unit as ComparableVersion does (canonical forms)', 3 * 0x10000],
    ['window', "selects units by system version as ChangeLogServiceBase#isWithinVersion does (inclusive, Mongock's window)", 5_000],
    ['changelog', 'orders units as ChangeLogComparator does (Java trim, units without an order, class names)', 20_000],
    ['changeset', 'orders change sets as ChangeSetComparator does (raw String#compareTo)', 10_000],
    ['plan', 'plans whole runs in the order Java Mongock runs them (units in a TreeSet, change sets sorted inside)', 1_000],
  ] as const)('%s: %s, with zero disagreements', (name, _title, atLeast) => {
    const { compared, lines } = disagreements(name);
    expect(compared).toBeGreaterThanOrEqual(atLeast);
    expect(lines).toEqual([]);
  });
});
