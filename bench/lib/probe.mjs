// Where does `up` spend its time on this server? Times, per operation, the
// tracking writes each tool makes per migration, against a tracking log that
// already holds N documents, using the same commands (filters, upsert, write
// concern) the tools send. The node driver only sends them; its own cost is
// well under a millisecond.
//   node probe.mjs URI OUT.json N...
import { createRequire } from "module";
import fs from "fs";
import path from "path";

const require = createRequire(path.resolve(process.env.NODE_PATH ?? ".", "noop.js"));
const { MongoClient, ObjectId } = require("mongodb");

const [uri, out, ...sizes] = process.argv.slice(2);
const K = 20;  // operations timed per kind and size
const majority = { writeConcern: { w: "majority" } };
const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 5000 });
const db = client.db("bench_probe");
const result = { operations_per_measurement: K, sizes: {} };

// Mean milliseconds of fn(i) over K calls; a call that returns a number
// reports its own time (of the part worth timing).
async function timed(fn) {
  let total = 0;
  for (let i = 0; i < K; i++) {
    const start = performance.now();
    const own = await fn(i);
    total += typeof own === "number" ? own : performance.now() - start;
  }
  return total / K;
}

function logDoc(i) {
  return { name: `${String(i).padStart(6, "0")}-insert.json`, appliedBy: "bench@host", checksum: "0".repeat(64),
           status: "applied", version: String(i).padStart(6, "0"), appliedAt: new Date(), duration: 1 };
}

try {
  for (const size of sizes.map(Number)) {
    await db.dropDatabase();
    const log = db.collection("migrationlogs");
    const events = db.collection("migrationlogs_events");
    const changelog = db.collection("changelog");
    await log.createIndex({ name: 1 }, { unique: true, name: "name_1" });
    for (let i = 0; i < size; i += 1000) {
      const batch = [];
      for (let j = i; j < Math.min(size, i + 1000); j++) batch.push(logDoc(j));
      await log.insertMany(batch);
      await events.insertMany(batch.map((d) => ({ name: d.name, action: "applied", at: d.appliedAt, by: d.appliedBy })));
      await changelog.insertMany(batch.map((d) => ({ fileName: d.name, appliedAt: d.appliedAt, migrationBlock: 1 })));
    }
    const fresh = (i) => `new-${size}-${i}.json`;
    const r = {};
    // mongo-migrate, per migration (DESIGN.md §3): mark it running (an
    // insert carrying the runner's lease owner), record the outcome (an update
    // by that _id and owner: fenced), append the event. And the lease's
    // renewal, every few seconds whatever the migrations (an update by _id
    // and owner).
    const owner = "host:1:0badc0de";
    const lock = db.collection("migrationlogs_lock");
    await lock.insertOne({ _id: "lease", owner, host: "host", pid: 1, user: "bench@host",
                           acquiredAt: new Date(), expiresAt: new Date(Date.now() + 60000) });
    const marked = [];
    r["mongo-migrate: mark running (insert)"] = await timed(async (i) => {
      const _id = new ObjectId();
      marked.push(_id);
      await log.insertOne({ _id, name: fresh(i), version: "1", status: "running", checksum: "0".repeat(64),
                            appliedBy: "bench@host", lockOwner: owner }, majority);
    });
    r["mongo-migrate: record the outcome (update by _id and owner)"] = await timed((i) => log.updateOne(
      { _id: marked[i], lockOwner: owner },
      { $set: { status: "applied", appliedAt: new Date(), duration: 1 }, $unset: { lockOwner: "" } },
      majority));
    r["mongo-migrate: append the event (insert)"] = await timed((i) => events.insertOne(
      { name: fresh(i), action: "applied", at: new Date(), by: "bench@host", duration: 1,
        checksum: "0".repeat(64), runner: { host: "host", pid: 1 } }, majority));
    r["mongo-migrate: renew the lease (update by _id and owner)"] = await timed(() => lock.updateOne(
      { _id: "lease", owner }, { $set: { expiresAt: new Date(Date.now() + 60000) } }, majority));
    r["for comparison: find by _id"] = await timed((i) => log.findOne({ _id: marked[i] }));
    // migrate-mongo: one insert into its changelog.
    r["migrate-mongo: record (insert)"] = await timed((i) => changelog.insertOne(
      { fileName: fresh(i), appliedAt: new Date(), migrationBlock: 1 }));
    // golang-migrate: SetVersion = drop the one-document collection, insert; twice per migration.
    r["golang-migrate: set version (drop + insert)"] = await timed(async (i) => {
      await db.collection("schema_migrations").drop().catch(() => {});
      await db.collection("schema_migrations").insertOne({ version: i, dirty: false });
    });
    // status: one read of the whole log.
    r["read the whole log (find all)"] = await timed(() => log.find({}).toArray());
    r["read the whole log, only name and status"] = await timed(() =>
      log.find({}, { projection: { _id: 0, name: 1, status: 1 } }).toArray());
    // Which index the server uses for each filter ("collection scan" if none).
    const indexOf = async (filter) => {
      const plan = JSON.stringify(await db.command({ explain: { find: "migrationlogs", filter } }));
      const m = plan.match(/"(?:Index Name|indexName)":"([^"]+)"/);
      return m ? m[1] : "collection scan";
    };
    result.index_use = { "{_id, lockOwner}": await indexOf({ _id: marked[0], lockOwner: owner }),
                         "{name}": await indexOf({ name: fresh(0) }) };
    result.sizes[size] = r;
    process.stderr.write(`probe: log of ${size} done\n`);
  }
  await db.dropDatabase();
} finally {
  await client.close();
}
fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
