import { entryKey } from './change-key.ts';
import type { ChangeUnitModel } from './change-unit.ts';
import { activeProfileSet, matchesProfiles } from './profiles.ts';
import { isValidSystemVersion, isWithinSystemVersions } from './system-version.ts';
import { compareChangeSetOrders, compareJavaStrings, compareUnitOrders, hasText } from './unit-order.ts';

/** A unit chosen to take part in this run, with its author resolved. */
export interface SelectedUnit {
  readonly model: ChangeUnitModel;
  readonly author: string;
  /** `entryKey(id, author)` */
  readonly key: string;
}

export interface SelectionOptions {
  readonly defaultAuthor: string;
  readonly startSystemVersion: string;
  readonly endSystemVersion: string;
  readonly activeProfiles: readonly string[];
}

/** A unit in code that this run leaves out, and why (for `status` and `doctor`). */
export interface FilteredUnit {
  readonly model: ChangeUnitModel;
  readonly author: string;
  readonly reason: 'profile' | 'system-version';
  /** One sentence, e.g. "profiles [dev] do not match the active profiles [default]". */
  readonly detail: string;
}

export interface Selection {
  readonly units: readonly SelectedUnit[];
  readonly filtered: readonly FilteredUnit[];
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
}

/** Where a unit came from, for messages. */
export function describeUnit(model: ChangeUnitModel): string {
  const kind = model.form === 'change-set' ? '@ChangeSet' : model.form === 'change-unit' ? '@ChangeUnit' : 'defineChangeUnit';
  return `${kind} '${model.id}' (${model.source ?? `class ${model.className}`})`;
}

/**
 * Mongock's selection and order: drop units outside the active profiles and the system-version
 * window, resolve authors, reject duplicate (id, author) pairs, and sort as Java Mongock 5.5.1
 * does (`unit-order.ts`): units by order as strings, a unit without an order after those with
 * one, ties by class name; a legacy ChangeLog's change sets by their own order.
 */
export function selectChangeUnits(units: readonly ChangeUnitModel[], options: SelectionOptions): Selection {
  const problems: string[] = [];
  const active = activeProfileSet(options.activeProfiles);
  const filtered: FilteredUnit[] = [];
  const authorOf = (model: ChangeUnitModel): string => (model.author === '' ? options.defaultAuthor : model.author);
  const inProfile = units.filter((unit) => {
    if (matchesProfiles(unit.profiles, active)) return true;
    filtered.push({
      model: unit,
      author: authorOf(unit),
      reason: 'profile',
      detail: `its profiles [${[unit.profiles].flat().join(', ')}] do not match the active profiles [${[...active].join(', ')}]`,
    });
    return false;
  });

  const seen = new Map<string, ChangeUnitModel>();
  const resolved: SelectedUnit[] = [];
  for (const model of inProfile) {
    if (!isValidSystemVersion(model.systemVersion)) {
      problems.push(`${describeUnit(model)} has a systemVersion that is not a string (${typeof model.systemVersion}); use a version such as '1.2.0'.`);
      continue;
    }
    const author = authorOf(model);
    const key = entryKey(model.id, author);
    const other = seen.get(key);
    if (other !== undefined) {
      problems.push(
        `Duplicate change unit id '${model.id}' with author '${author}': ${describeUnit(other)} and ${describeUnit(model)}. Give one of them another id.`,
      );
      continue;
    }
    seen.set(key, model);
    resolved.push({ model, author, key });
  }
  for (const unit of resolved) {
    for (const [suffix, step, name] of [
      ['_before', unit.model.steps.before, 'before-step'],
      ['_after', unit.model.steps.after, 'after-step'],
    ] as const) {
      if (step === undefined) continue;
      const clash = seen.get(entryKey(`${unit.model.id}${suffix}`, unit.author));
      if (clash !== undefined)
        problems.push(`${describeUnit(clash)} has the id of the ${name} of ${describeUnit(unit.model)} ('${unit.model.id}${suffix}'). Rename it.`);
    }
  }

  // Units share a handful of versions: decide each version once.
  const within = new Map<string, boolean>();
  const inWindow = (version: string): boolean => {
    const known = within.get(version);
    if (known !== undefined) return known;
    const decided = isWithinSystemVersions(version, options.startSystemVersion, options.endSystemVersion);
    within.set(version, decided);
    return decided;
  };
  const selected = resolved.filter((unit) => {
    if (inWindow(unit.model.systemVersion)) return true;
    filtered.push({
      model: unit.model,
      author: unit.author,
      reason: 'system-version',
      detail: `its systemVersion '${unit.model.systemVersion}' is outside the window ['${options.startSystemVersion}', '${options.endSystemVersion}']`,
    });
    return false;
  });
  // Scan paths usually list files in order already: check in one pass before sorting.
  if (!selected.every((unit, i) => i === 0 || compareUnits(selected[i - 1]!, unit) <= 0)) selected.sort(compareUnits);
  return { units: selected, filtered, problems, warnings: [...orderWarnings(selected), ...unorderedWarnings(selected)] };
}

/**
 * Java's two levels in one comparator: `ChangeLogComparator` on the unit (a ChangeUnit, or the
 * ChangeLog of a change set), then, inside one ChangeLog, `ChangeSetComparator`. Ties Java leaves
 * to the JVM (change sets with equal orders: `getDeclaredMethods` order) go by id here.
 */
function compareUnits(a: SelectedUnit, b: SelectedUnit): number {
  const byUnit = compareUnitOrders(
    { order: a.model.orderKey[0] ?? '', className: a.model.className },
    { order: b.model.orderKey[0] ?? '', className: b.model.className },
  );
  if (byUnit !== 0) return byUnit;
  return compareChangeSetOrders(a.model.orderKey[1] ?? '', b.model.orderKey[1] ?? '') || compareJavaStrings(a.model.id, b.model.id);
}

const NUMERIC = /^\d+$/;

/** Warns when numeric orders of different widths sort as strings differently than as numbers. */
function orderWarnings(units: readonly SelectedUnit[]): string[] {
  const orders = units.map((unit) => unit.model.orderKey[0] ?? '').filter((order) => NUMERIC.test(order));
  for (let i = 1; i < orders.length; i++) {
    const before = orders[i - 1]!;
    const after = orders[i]!;
    if (before.length !== after.length && Number(before) > Number(after)) {
      return [
        `Change unit orders are compared as strings, so order '${before}' runs before '${after}'. Pad numeric orders to one width (e.g. '002', '010') to avoid surprises.`,
      ];
    }
  }
  return [];
}

/** Units without an order run after every unit with one, by class name: say so once. */
function unorderedWarnings(units: readonly SelectedUnit[]): string[] {
  const unordered = units.filter((unit) => !hasText(unit.model.orderKey[0] ?? ''));
  if (unordered.length === 0) return [];
  const names = [...new Set(unordered.map((unit) => unit.model.className))].join(', ');
  return [
    `Some change units have no order (${names}); they run after every unit with an order, by class name, as in Java Mongock. Give them an order such as '001'.`,
  ];
}
