/**
 * Connection settings per environment (selected with --env, else NODE_ENV, else "development"),
 * in knex's knexfile shape. Used only when neither --database-url nor DATABASE_URL is set.
 *
 * - `client: "pglite"` is the embedded database (no server needed); `dataDir` is relative to
 *   the directory workflow-seeder runs in.
 * - `client: "pg"` is a PostgreSQL server.
 */
const config = {
  development: {
    client: "pglite",
    connection: { dataDir: ".workflow-seeder/pglite" },
  },
  // A shared PostgreSQL server, e.g. an Alga PSA development database:
  // production: { client: "pg", connection: "postgres://postgres@127.0.0.1:5432/server" },
};

export default config;
