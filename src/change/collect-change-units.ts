import { type Batched, batchedProblems, batchedText, isBatched } from './batched.ts';
import { type ChangeStep, type ChangeUnitModel, RECOVERY_STRATEGIES } from './change-unit.ts';
import { declaredUnitOf } from './declared-unit.ts';
import { type ClassMarks, type MethodMark, type MethodRole, readClassMarks } from './decorators.ts';
import { type ChangeUnitDefinition, isChangeUnitDefinition } from './define-change-unit.ts';
import { markFileUnits } from './file-token.ts';
import { hasText } from './unit-order.ts';

/** What `addChangeUnits` accepts: a decorated class or a `defineChangeUnit` object. */
export type ChangeUnitSource = (abstract new (...args: never[]) => object) | ChangeUnitDefinition<never>;

/** A source plus where it came from, so errors can name the file. */
export interface LocatedSource {
  readonly source: unknown;
  readonly file: string | undefined;
  /** The digest of the file's text, for sources loaded from a scan path (see `listUnitFiles`). */
  readonly digest?: string;
}

export interface Collected {
  readonly units: ChangeUnitModel[];
  readonly problems: string[];
}

const DEFAULT_SYSTEM_VERSION = '0';

/** True for values that are change units in any form. */
export function isChangeUnitSource(value: unknown): boolean {
  return isChangeUnitDefinition(value) || readClassMarks(value) !== undefined;
}

/** Turns every source into models, collecting every problem instead of stopping at the first. */
export function collectChangeUnits(sources: readonly LocatedSource[]): Collected {
  const units: ChangeUnitModel[] = [];
  const problems: string[] = [];
  const byDigest = new Map<string, ChangeUnitModel[]>();
  for (const located of sources) {
    const first = units.length;
    collectOne(located, units, problems);
    if (located.digest === undefined) continue;
    const ofFile = byDigest.get(located.digest) ?? [];
    ofFile.push(...units.slice(first));
    byDigest.set(located.digest, ofFile);
  }
  for (const [digest, ofFile] of byDigest) markFileUnits(digest, ofFile);
  return { units, problems };
}

function collectOne({ source, file }: LocatedSource, units: ChangeUnitModel[], problems: string[]): void {
  const where = file === undefined ? '' : ` (in ${file})`;
  if (isChangeUnitDefinition(source)) {
    fromDefinition(source, file, where, units, problems);
    return;
  }
  const marks = readClassMarks(source);
  if (marks === undefined) {
    const name = typeof source === 'function' ? `class ${source.name}` : describe(source);
    problems.push(`${name}${where} is not a change unit: decorate it with @ChangeUnit or @ChangeLog, or use defineChangeUnit().`);
    return;
  }
  const unitClass = source as abstract new (...args: never[]) => object;
  if (marks.unit !== undefined) fromChangeUnitClass(unitClass, marks, file, where, units, problems);
  else fromChangeLogClass(unitClass, marks, file, where, units, problems);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return typeof value === 'object' ? `an object with keys [${Object.keys(value).join(', ')}]` : `a ${typeof value}`;
}

function methodStep(name: string): ChangeStep {
  return {
    name,
    invoke: async (target, context) => {
      const method = (target as Record<string, unknown>)[name];
      if (typeof method !== 'function') throw new TypeError(`Method '${name}' is not a function`);
      return await (method as (context: object) => unknown).call(target, context);
    },
  };
}

/** A plain function step. A class, so that creating one per unit at start-up is cheap. */
class FunctionStep implements ChangeStep {
  readonly name: string;
  readonly declared: boolean;
  readonly #fn: (context: never) => unknown;
  readonly #normalText: (() => string) | undefined;

  /** `normalText`: for units loaded from SQL or declarative files, what their checksum hashes instead of the loader's code. */
  constructor(name: string, fn: (context: never) => unknown, normalText?: () => string) {
    this.name = name;
    this.#fn = fn;
    this.#normalText = normalText;
    this.declared = normalText !== undefined;
  }

  /** Read only when a checksum is computed: start-up with nothing pending never needs it. */
  get source(): string {
    return this.#normalText?.() ?? Function.prototype.toString.call(this.#fn);
  }

  async invoke(_target: object | undefined, context: object): Promise<unknown> {
    return await this.#fn(context as never);
  }
}

/** A `batched()` step: the runner drives it batch by batch (see `runner/execution/batch-runner.ts`); `invoke` is never called. */
class BatchedStep implements ChangeStep {
  readonly name: string;
  readonly batched: Batched<never>;

  constructor(name: string, value: Batched<never>) {
    this.name = name;
    this.batched = value;
  }

  get source(): string {
    return batchedText(this.batched);
  }

  async invoke(): Promise<unknown> {
    throw new Error(`The batched step '${this.name}' runs batch by batch; it cannot be invoked as one call.`);
  }
}

/** A step is a function or a valid `batched()` value. */
function stepValid(step: unknown): boolean {
  return typeof step === 'function' || (isBatched(step) && batchedProblems('', '', step).length === 0);
}

function functionStep(name: string, fn: ((context: never) => unknown) | undefined): ChangeStep | undefined {
  return typeof fn === 'function' ? new FunctionStep(name, fn) : undefined;
}

function fromChangeUnitClass(
  unitClass: abstract new (...args: never[]) => object,
  marks: Readonly<ClassMarks>,
  file: string | undefined,
  where: string,
  units: ChangeUnitModel[],
  problems: string[],
): void {
  const options = marks.unit!;
  const label = `@ChangeUnit '${String(options.id ?? '?')}' (class ${unitClass.name})${where}`;
  const byRole = (role: MethodRole): MethodMark[] => marks.methods.filter((method) => method.role === role);
  const exactlyOne = (role: MethodRole, decorator: string, required: boolean): string | undefined => {
    const found = byRole(role);
    if (found.length > 1) problems.push(`${label} has ${found.length} @${decorator} methods (${found.map((m) => m.name).join(', ')}); exactly one is allowed.`);
    else if (found.length === 0 && required) problems.push(`${label} has no @${decorator} method; exactly one is required.`);
    return found[0]?.name;
  };
  const execution = exactlyOne('execution', 'Execution', true);
  const rollback = exactlyOne('rollback', 'RollbackExecution', true);
  const before = exactlyOne('before', 'BeforeExecution', false);
  const rollbackBefore = exactlyOne('rollbackBefore', 'RollbackBeforeExecution', before !== undefined);
  if (before === undefined && rollbackBefore !== undefined) problems.push(`${label} has @RollbackBeforeExecution without @BeforeExecution.`);
  const after = exactlyOne('after', 'AfterExecution', false);
  const rollbackAfter = exactlyOne('rollbackAfter', 'RollbackAfterExecution', after !== undefined);
  if (after === undefined && rollbackAfter !== undefined) problems.push(`${label} has @RollbackAfterExecution without @AfterExecution.`);
  recoveryProblem(label, options.recovery, problems);
  if (marks.changeLog !== undefined) problems.push(`${label} is also a @ChangeLog; use one or the other.`);
  checkIdentity(label, options.id, options.order, options.author, problems);
  if (!validTimeout(options.timeoutMs)) problems.push(`${label}: ${TIMEOUT_RULE}; got ${JSON.stringify(options.timeoutMs)}.`);
  if (execution === undefined) return;
  units.push({
    id: String(options.id),
    author: options.author ?? '',
    orderKey: [String(options.order ?? '')],
    systemVersion: options.systemVersion ?? DEFAULT_SYSTEM_VERSION,
    runAlways: options.runAlways ?? false,
    transactional: options.transactional,
    failFast: options.failFast ?? true,
    timeoutMs: options.timeoutMs,
    profiles: marks.profiles,
    form: 'change-unit',
    className: unitClass.name,
    steps: {
      execution: methodStep(execution),
      rollback: rollback === undefined ? undefined : methodStep(rollback),
      before: before === undefined ? undefined : methodStep(before),
      rollbackBefore: rollbackBefore === undefined ? undefined : methodStep(rollbackBefore),
      after: after === undefined ? undefined : methodStep(after),
      rollbackAfter: rollbackAfter === undefined ? undefined : methodStep(rollbackAfter),
      unitClass,
    },
    source: file,
    changeLogFailFast: true,
    recovery: options.recovery,
  });
}

function fromChangeLogClass(
  unitClass: abstract new (...args: never[]) => object,
  marks: Readonly<ClassMarks>,
  file: string | undefined,
  where: string,
  units: ChangeUnitModel[],
  problems: string[],
): void {
  const changeLog = marks.changeLog!;
  const changeSets = marks.methods.filter((method) => method.changeSet !== undefined);
  if (changeSets.length === 0) problems.push(`@ChangeLog class ${unitClass.name}${where} has no @ChangeSet methods.`);
  const strayRoles = marks.methods.filter((method) => method.role !== undefined);
  if (strayRoles.length > 0) problems.push(`@ChangeLog class ${unitClass.name}${where} uses @Execution-style decorators; those belong on a @ChangeUnit.`);
  if (changeLog.order !== undefined && typeof changeLog.order !== 'string')
    problems.push(`@ChangeLog class ${unitClass.name}${where} has an order that is not a string; give it a string order such as '001'.`);
  for (const method of changeSets) {
    const options = method.changeSet!;
    const label = `@ChangeSet '${String(options.id ?? '?')}' (${unitClass.name}.${method.name})${where}`;
    checkIdentity(label, options.id, options.order, options.author, problems);
    if (options.author === undefined || options.author === '') problems.push(`${label} has no author; @ChangeSet requires one.`);
    units.push({
      id: String(options.id),
      author: options.author ?? '',
      orderKey: [String(changeLog.order ?? ''), String(options.order ?? '')],
      systemVersion: options.systemVersion ?? DEFAULT_SYSTEM_VERSION,
      runAlways: options.runAlways ?? false,
      transactional: undefined,
      timeoutMs: undefined,
      failFast: options.failFast ?? true,
      profiles: [...marks.profiles, ...method.profiles],
      form: 'change-set',
      className: unitClass.name,
      steps: {
        execution: methodStep(method.name),
        rollback: undefined,
        before: undefined,
        rollbackBefore: undefined,
        after: undefined,
        rollbackAfter: undefined,
        unitClass,
      },
      source: file,
      changeLogFailFast: changeLog.failFast ?? true,
      recovery: undefined,
    });
  }
}

function fromDefinition(definition: ChangeUnitDefinition<never>, file: string | undefined, where: string, units: ChangeUnitModel[], problems: string[]): void {
  const { id, order, author, execute, rollback, before, rollbackBefore, after, rollbackAfter } = definition;
  const valid =
    typeof id === 'string' &&
    hasText(id) &&
    typeof order === 'string' &&
    (author === undefined || typeof author === 'string') &&
    stepValid(execute) &&
    stepValid(rollback) &&
    optionTypesValid(definition) &&
    (before === undefined ? rollbackBefore === undefined : typeof before === 'function' && typeof rollbackBefore === 'function') &&
    (after === undefined ? rollbackAfter === undefined : typeof after === 'function' && typeof rollbackAfter === 'function');
  // The messages are built only for an invalid unit: this runs for every unit at every start-up.
  if (!valid) definitionProblems(definition, where, problems);
  if (!valid && !stepValid(execute)) return;
  units.push({
    id: String(id),
    author: author ?? '',
    orderKey: [String(order ?? '')],
    systemVersion: definition.systemVersion ?? DEFAULT_SYSTEM_VERSION,
    runAlways: definition.runAlways ?? false,
    transactional: definition.transactional,
    failFast: definition.failFast ?? true,
    timeoutMs: definition.timeoutMs,
    maxRunMs: definition.maxRunMs,
    profiles: definition.profiles ?? [],
    form: 'definition',
    className: file === undefined ? 'defineChangeUnit' : file,
    steps: {
      execution: isBatched(execute) ? new BatchedStep('execute', execute) : new FunctionStep('execute', execute, declaredUnitOf(definition)?.normalText),
      rollback: isBatched(rollback) ? new BatchedStep('rollback', rollback) : functionStep('rollback', rollback),
      before: functionStep('before', before),
      rollbackBefore: functionStep('rollbackBefore', rollbackBefore),
      after: functionStep('after', after),
      rollbackAfter: functionStep('rollbackAfter', rollbackAfter),
      unitClass: undefined,
    },
    source: file,
    changeLogFailFast: true,
    recovery: definition.recovery,
  });
}

/** Node's timer limit: a longer delay would fire at once. */
const MAX_TIMEOUT_MS = 2_147_483_647;
const TIMEOUT_RULE = `'timeoutMs' must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`;

function validTimeout(value: unknown): boolean {
  return value === undefined || (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_TIMEOUT_MS);
}

/** Plain JavaScript can pass anything: `transactional: 'false'` must not mean true. */
function optionTypesValid(definition: ChangeUnitDefinition<never>): boolean {
  const { runAlways, failFast, transactional, systemVersion, profiles, recovery, timeoutMs, maxRunMs } = definition;
  return (
    (recovery === undefined || RECOVERY_STRATEGIES.includes(recovery)) &&
    validTimeout(timeoutMs) &&
    validTimeout(maxRunMs) &&
    (maxRunMs === undefined || isBatched(definition.execute)) &&
    (runAlways === undefined || typeof runAlways === 'boolean') &&
    (failFast === undefined || typeof failFast === 'boolean') &&
    (transactional === undefined || typeof transactional === 'boolean') &&
    (systemVersion === undefined || typeof systemVersion === 'string') &&
    (profiles === undefined || (Array.isArray(profiles) && profiles.every((profile) => typeof profile === 'string')))
  );
}

function definitionProblems(definition: ChangeUnitDefinition<never>, where: string, problems: string[]): void {
  const label = `change unit '${String(definition.id ?? '?')}' (defineChangeUnit)${where}`;
  checkIdentity(label, definition.id, definition.order, definition.author, problems);
  for (const key of ['runAlways', 'failFast', 'transactional'] as const) {
    const value = definition[key];
    if (value !== undefined && typeof value !== 'boolean') problems.push(`${label}: '${key}' must be true or false; got ${JSON.stringify(value)}.`);
  }
  if (!validTimeout(definition.timeoutMs)) problems.push(`${label}: ${TIMEOUT_RULE}; got ${JSON.stringify(definition.timeoutMs)}.`);
  if (!validTimeout(definition.maxRunMs))
    problems.push(`${label}: ${TIMEOUT_RULE.replace('timeoutMs', 'maxRunMs')}; got ${JSON.stringify(definition.maxRunMs)}.`);
  else if (definition.maxRunMs !== undefined && !isBatched(definition.execute))
    problems.push(`${label}: 'maxRunMs' applies to a batched() execute only; make execute batched({ ... }) or remove maxRunMs.`);
  if (definition.systemVersion !== undefined && typeof definition.systemVersion !== 'string')
    problems.push(`${label}: 'systemVersion' must be a string such as '1.2.0'.`);
  const { profiles } = definition;
  if (profiles !== undefined && !(Array.isArray(profiles) && profiles.every((profile) => typeof profile === 'string'))) {
    problems.push(`${label}: 'profiles' must be an array of strings, e.g. ['dev'] or ['!prod'].`);
  }
  recoveryProblem(label, definition.recovery, problems);
  for (const key of ['execute', 'rollback'] as const) {
    const value = definition[key];
    if (isBatched(value)) problems.push(...batchedProblems(label, key, value));
    else if (value !== undefined && typeof value !== 'function') problems.push(`${label}: '${key}' must be a function or batched({ ... }).`);
  }
  for (const key of ['before', 'rollbackBefore', 'after', 'rollbackAfter'] as const) {
    const value = definition[key];
    if (value !== undefined && typeof value !== 'function') problems.push(`${label}: '${key}' must be a function.`);
  }
  if (definition.execute === undefined) problems.push(`${label} has no execute() function; it is required.`);
  if (definition.rollback === undefined) problems.push(`${label} has no rollback() function; it is required.`);
  if (definition.before !== undefined && definition.rollbackBefore === undefined)
    problems.push(`${label} has before() without rollbackBefore(); it is required with before().`);
  if (definition.before === undefined && definition.rollbackBefore !== undefined) problems.push(`${label} has rollbackBefore() without before().`);
  if (definition.after !== undefined && definition.rollbackAfter === undefined)
    problems.push(`${label} has after() without rollbackAfter(); it is required with after().`);
  if (definition.after === undefined && definition.rollbackAfter !== undefined) problems.push(`${label} has rollbackAfter() without after().`);
}

function recoveryProblem(label: string, recovery: unknown, problems: string[]): void {
  if (recovery !== undefined && !RECOVERY_STRATEGIES.includes(recovery as never)) {
    problems.push(`${label}: 'recovery' must be one of ${RECOVERY_STRATEGIES.map((name) => `'${name}'`).join(', ')}; got ${JSON.stringify(recovery)}.`);
  }
}

function checkIdentity(label: string, id: unknown, order: unknown, author: unknown, problems: string[]): void {
  // As in Java Mongock: an id must have text (Java's trim); an order may be empty (it sorts last).
  if (typeof id !== 'string' || !hasText(id)) problems.push(`${label} has no id; give it a non-empty string id.`);
  if (typeof order !== 'string') problems.push(`${label} has no order; give it a string order such as '001'.`);
  if (author !== undefined && typeof author !== 'string') problems.push(`${label}: author must be a string.`);
}
