export { LOCK_KEY } from '../../lock/lock-config.ts';
export type { MongooseConnectionLike } from './mongodb-client.ts';
export { type CollectionSourceContext, type CollectionSourceOptions, collectionSource } from './mongodb-collection-source.ts';
export type { MongoChangeContext } from './mongodb-context.ts';
export { DEFAULT_COLLECTION_SETTINGS, DEFAULT_TRANSACTION_OPTIONS, type MongoDriverOptions, mongoDriver } from './mongodb-driver.ts';
export { LOCK_HELD, LOCK_RELEASED } from './mongodb-lock.ts';
