// Database chores for bench/fanout/run.sh, all outside the timed parts. The
// tenant databases of one variant are PREFIX00001 .. PREFIX<N>, zero-padded.
//   node tenants.mjs seed  URI PREFIX N        create each with a `users` collection
//                                              of 20 documents (a tenant's data)
//   node tenants.mjs check URI PREFIX N TOOL   exit 1 unless every database has the
//                                              5 migrations applied in TOOL's log
//                                              (mongo-migrate: migrationlogs with
//                                              status "applied"; migrate-mongo:
//                                              changelog) and their effects, and no
//                                              other database has the prefix
//   node tenants.mjs drop  URI PREFIX          drop every database named PREFIX*
// Resolves the `mongodb` driver from NODE_PATH (bench/.cache/node/node_modules).
import { createRequire } from "module";
import path from "path";

const require = createRequire(path.resolve(process.env.NODE_PATH ?? ".", "noop.js"));
const { MongoClient } = require("mongodb");

const MIGRATIONS = 5;
const USERS = 20;
const CONCURRENCY = 8;

const names = (prefix, n) => Array.from({ length: n }, (_, i) => prefix + String(i + 1).padStart(5, "0"));

// Runs fn over items, CONCURRENCY at a time.
async function pool(items, fn) {
  let next = 0;
  const worker = async () => { while (next < items.length) await fn(items[next++]); };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function seed(client, prefix, n) {
  const created = new Date("2026-01-01T00:00:00Z");
  await pool(names(prefix, n), async (db) => {
    const users = Array.from({ length: USERS }, (_, i) => ({
      name: `User ${i + 1}`, email: `user${i + 1}@${db}.example`, createdAt: new Date(created.getTime() + i * 60000),
    }));
    await client.db(db).collection("users").insertMany(users);
  });
}

async function check(client, prefix, n, tool) {
  const expected = new Set(names(prefix, n));
  const problems = [];
  const listed = (await client.db("admin").admin().listDatabases({ nameOnly: true })).databases
    .map((d) => d.name).filter((name) => name.startsWith(prefix));
  for (const name of listed) if (!expected.has(name)) problems.push(`${name}: unexpected database`);
  await pool([...expected], async (name) => {
    const db = client.db(name);
    const applied = tool === "migrate-mongo"
      ? await db.collection("changelog").countDocuments({})
      : await db.collection("migrationlogs").countDocuments({ status: "applied" });
    const settings = await db.collection("settings").countDocuments({ _id: "defaults" });
    const unmigrated = await db.collection("users").countDocuments({ $or: [{ plan: { $ne: "free" } }, { name: { $exists: true } }] });
    const users = await db.collection("users").countDocuments({});
    if (applied !== MIGRATIONS || settings !== 1 || unmigrated !== 0 || users !== USERS) {
      problems.push(`${name}: ${applied} of ${MIGRATIONS} applied in the ${tool} log, settings ${settings}, ` +
        `users ${users} (${unmigrated} not migrated)`);
    }
  });
  if (problems.length > 0) {
    console.error(`check failed: ${problems.length} database(s) of ${prefix}* wrong, the first ones:`);
    for (const p of problems.sort().slice(0, 5)) console.error(`  ${p}`);
    process.exitCode = 1;
  } else {
    console.log(`checked: ${n} databases ${prefix}*, each with ${MIGRATIONS} of ${MIGRATIONS} applied in the ${tool} log and their effects`);
  }
}

async function drop(client, prefix) {
  const listed = (await client.db("admin").admin().listDatabases({ nameOnly: true })).databases
    .map((d) => d.name).filter((name) => name.startsWith(prefix));
  await pool(listed, (name) => client.db(name).dropDatabase());
}

const [cmd, uri, prefix, n, tool] = process.argv.slice(2);
if (!prefix) throw new Error("usage: tenants.mjs seed|check|drop URI PREFIX [N [TOOL]]");
const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 5000, maxPoolSize: CONCURRENCY });
try {
  if (cmd === "seed") await seed(client, prefix, Number(n));
  else if (cmd === "check") await check(client, prefix, Number(n), tool);
  else if (cmd === "drop") await drop(client, prefix);
  else throw new Error(`unknown command ${cmd}`);
} finally {
  await client.close();
}
