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
    // mongo-migrate: before each migration, a claim inserted into the lock
    // collection (a handful of documents), carrying the outcome and event of
    // the migration before it, then a read of its own lease epoch's document
    // (find by _id: still there, the lease is still its own); every 64 migrations the outcomes and events are inserted into the
    // log and the events collection, and the claims deleted (three writes,
    // per migration one 64th of each).
    const lock = db.collection("migrationlogs_lock");
    await lock.insertOne({ _id: "lease:000000000001", epoch: 1, owner: "host:1:0badc0de", host: "host", pid: 1, user: "bench@host",
                           acquiredAt: new Date(), expiresAt: new Date(Date.now() + 60000) });
    const outcome = (i) => ({ _id: new ObjectId(), ...logDoc(size + i), name: fresh(i) });
    const event = (i) => ({ _id: new ObjectId(), name: fresh(i), action: "applied", at: new Date(), by: "bench@host",
                            duration: 1, checksum: "0".repeat(64), runner: { host: "host", pid: 1 } });
    const claimed = [];
    r["mongo-migrate: claim before each migration (insert)"] = await timed(async (i) => {
      claimed.push(`claim:${fresh(i)}`);
      const start = performance.now();
      await lock.insertOne({ _id: claimed.at(-1), claimOwner: "host:1:0badc0de",
                             running: { name: fresh(i), version: "1", checksum: "0".repeat(64), appliedBy: "bench@host" },
                             done: i ? [outcome(i - 1)] : [], events: i ? [event(i - 1)] : [] }, majority);
      const took = performance.now() - start;
      if (claimed.length === 64) {
        await lock.deleteMany({ _id: { $in: claimed.splice(0) }, claimOwner: "host:1:0badc0de" }, majority);
      }
      return took;
    });
    r["mongo-migrate: after each claim: is the lease still ours (find by _id)"] = await timed(() =>
      lock.findOne({ _id: "lease:000000000001" }, { projection: { owner: 1 } }));
    const F = 64;
    r["mongo-migrate: every 64: outcomes into the log (insert of 64)"] = await timed((i) => log.insertMany(
      Array.from({ length: F }, (_, j) => outcome(K + i * F + j)), { ordered: false, ...majority }));
    r["mongo-migrate: every 64: events (insert of 64)"] = await timed((i) => events.insertMany(
      Array.from({ length: F }, (_, j) => event(K + i * F + j)), { ordered: false, ...majority }));
    const batches = Array.from({ length: K }, (_, i) => Array.from({ length: F }, (_, j) => `claim:probe-${i}-${j}`));
    r["mongo-migrate: every 64: delete the claims"] = await timed(async (i) => {
      await lock.insertMany(batches[i].map((_id) => ({ _id, claimOwner: "host:1:0badc0de" })));
      const start = performance.now();
      await lock.deleteMany({ _id: { $in: batches[i] }, claimOwner: "host:1:0badc0de" }, majority);
      return performance.now() - start;
    });
    // Until 731bef2, per migration: mark running (an insert), record the
    // outcome (an update by that _id, still `running`), append the event.
    const marked = [];
    r["until 731bef2: mark running (insert)"] = await timed(async (i) => {
      const _id = new ObjectId();
      marked.push(_id);
      await log.insertOne({ _id, name: `old-${size}-${i}.json`, version: "1", status: "running", checksum: "0".repeat(64),
                            appliedBy: "bench@host", lockOwner: "host:1:0badc0de" }, majority);
    });
    r["until 731bef2: record outcome (update by _id and status)"] = await timed((i) => log.updateOne(
      { _id: marked[i], status: "running" },
      { $set: { status: "applied", appliedAt: new Date(), duration: 1, checksum: "0".repeat(64), appliedBy: "bench@host" },
        $unset: { error: "", revertedAt: "", revertedBy: "", lockOwner: "" } },
      majority));
    r["until 731bef2: append event (insert)"] = await timed((i) => events.insertOne(
      { name: `old-${size}-${i}.json`, action: "applied", at: new Date(), by: "bench@host" }, majority));
    // For comparison: the smallest update and delete by _id, and a find by _id
    // (on FerretDB v1 every update and delete scans the collection; inserts
    // and finds by _id do not).
    const ids = (await log.find({}, { projection: { _id: 1 } }).limit(2 * K).toArray()).map((d) => d._id);
    r["for comparison: update by _id only, one field"] = await timed((i) => log.updateOne({ _id: ids[i] }, { $set: { duration: 2 } }, majority));
    r["for comparison: find by _id"] = await timed((i) => log.findOne({ _id: ids[i] }));
    r["for comparison: delete by _id"] = await timed((i) => log.deleteOne({ _id: ids[K + i] }, majority));
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
    const explain = async (filter) => (await db.command({ explain: { find: "migrationlogs", filter } })).filterPushdown;
    result.pushdown = { "filter {name}": await explain({ name: fresh(0) }), "filter {_id}": await explain({ _id: new ObjectId() }) };
    result.sizes[size] = r;
    process.stderr.write(`probe: log of ${size} done\n`);
  }
  await db.dropDatabase();
} finally {
  await client.close();
}
fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
