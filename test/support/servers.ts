/**
 * Where the test suites find their real database servers (`bash scripts/test-servers.sh up`
 * starts them). Override with the environment variables when your servers live elsewhere.
 */
export const POSTGRES_URL = process.env.MONGOCK_TEST_POSTGRES_URL ?? 'postgres://mongock:mongock@127.0.0.1:54329/mongock_test';

/** The PostgreSQL role without CREATE rights (provisioned by scripts/postgres.sh). */
export const POSTGRES_LIMITED_URL = process.env.MONGOCK_TEST_POSTGRES_LIMITED_URL ?? 'postgres://mongock_limited:mongock_limited@127.0.0.1:54329/mongock_test';

export const MYSQL_URL = process.env.MONGOCK_TEST_MYSQL_URL ?? 'mysql://mongock:mongock@127.0.0.1:33069/mongock_test';

/**
 * Oracle MySQL (not MariaDB), for the paths that differ between the two; scripts/mysql.sh starts
 * it where it can (its binaries come from Debian sid), and the tests that need it are skipped, saying
 * so, where it does not answer.
 */
export const ORACLE_MYSQL_URL = process.env.MONGOCK_TEST_ORACLE_MYSQL_URL ?? 'mysql://mongock:mongock@127.0.0.1:33079/mongock_test';

export const FERRETDB_URL = process.env.MONGOCK_TEST_FERRETDB_URL ?? 'mongodb://127.0.0.1:27027/';

/** The MariaDB user with SELECT on mongock_test only (provisioned by scripts/mariadb.sh). */
export const MYSQL_LIMITED_URL = process.env.MONGOCK_TEST_MYSQL_LIMITED_URL ?? 'mysql://mongock_limited:mongock_limited@127.0.0.1:33069/mongock_test';
