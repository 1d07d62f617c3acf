import type { ChangeUnitDefinition } from './define-change-unit.ts';

/** What a unit file that is not code is: SQL statements, or a declarative list of MongoDB commands. */
export type DeclaredKind = 'sql' | 'declarative';

/** What a unit loaded from a `.sql`, `.json` or `.yaml` file says about itself, beyond its definition. */
export interface DeclaredUnit {
  readonly kind: DeclaredKind;
  /** The normal form its checksum is taken over (read only when a checksum is computed). */
  readonly normalText: () => string;
}

const declared = new WeakMap<object, DeclaredUnit>();

/** Marks a definition as loaded from a declared file, so that its checksum hashes `normalText`, not the loader's code. */
export function markDeclared<T extends ChangeUnitDefinition<never>>(definition: T, unit: DeclaredUnit): T {
  declared.set(definition, unit);
  return definition;
}

/** What {@link markDeclared} said of a definition, if anything. */
export function declaredUnitOf(definition: object): DeclaredUnit | undefined {
  return declared.get(definition);
}
