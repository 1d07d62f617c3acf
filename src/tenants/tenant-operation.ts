import type { MongockError } from '../errors/mongock-error.ts';

/** The outcome of an operation on one tenant that is not a migration: its value, or the error that stopped it. */
export type TenantOperation<T> = { readonly tenant: string; readonly value: T } | { readonly tenant: string; readonly error: MongockError };
