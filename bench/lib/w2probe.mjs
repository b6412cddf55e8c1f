// Server cost of W2's one read of the tracking log, in its variants (run by bench/lib/w2_read_probe.sh).
//   node w2probe.mjs seed TARGETS DB N      (re)create DB.migrationlogs with N applied records
//   node w2probe.mjs time TARGETS DB RUNS [VARIANT...]
//       time each variant on each server RUNS times, interleaved (round-robin); print the
//       median/min/max wall ms, the round trips (find + getMore) of one run, and the median
//       server CPU ms (user + system of the server process) when its pid is given.
//   TARGETS: comma-separated; each URI, LABEL=URI or LABEL=URI=PID (FERRETDB_PID is the
//       pid for a bare URI).
// Resolves the `mongodb` driver from NODE_PATH (bench/.cache/node/node_modules).
import { createRequire } from "module";
import crypto from "crypto";
import fs from "fs";
import path from "path";

const require = createRequire(path.resolve(process.env.NODE_PATH ?? ".", "noop.js"));
const { MongoClient, ObjectId } = require("mongodb");

const COLL = "migrationlogs";
// Given the server's pid, also its CPU time (user + system, /proc/PID/stat) per query:
// steadier than wall time on a shared machine.
const TICK_MS = 10;  // USER_HZ = 100 on Linux
const serverCpuMs = (pid) => {
  if (!pid) return 0;
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * TICK_MS;  // utime, stime (fields 14, 15)
};
// mongo-migrate's load() projection (src/mongo/tracking_store.cc, append_record_projection).
const PROJ = Object.fromEntries(
  ["name", "version", "status", "appliedAt", "revertedAt", "duration", "error", "checksum", "appliedBy",
   "revertedBy", "lockOwner"].map((f) => [f, 1]));
PROJ._id = 0;

function record(i) {
  const v = String(i + 1).padStart(5, "0");
  return {
    _id: new ObjectId(),
    name: `${v}-insert.json`,
    version: v,
    status: "applied",
    checksum: crypto.createHash("sha256").update(v).digest("hex"),
    appliedBy: "bench@host",
    appliedAt: new Date(1764000000000 + i),
    duration: 3,
  };
}

async function seed(db, n) {
  await db.collection(COLL).drop().catch(() => {});
  const docs = Array.from({ length: n }, (_, i) => record(i));
  for (let i = 0; i < n; i += 1000) await db.collection(COLL).insertMany(docs.slice(i, i + 1000));
  await db.collection(COLL).createIndex({ name: 1 }, { unique: true, name: "name_1" });
  console.log(`seeded ${await db.collection(COLL).countDocuments()} records`);
}

// Each variant returns the number of documents it read.
const find = (db, filter, opts) => db.collection(COLL).find(filter, opts).toArray().then((a) => a.length);
const halves = async (db, mk) => (await Promise.all([0, 1].map((h) => find(db, ...mk(h))))).reduce((a, b) => a + b, 0);
let mid;  // middle _id, for the _id-range split
const VARIANTS = {
  // the driver's defaults: first batch 101 (server default), getMore without batchSize
  proj: (db) => find(db, {}, { projection: PROJ }),
  noproj: (db) => find(db, {}, {}),
  proj_bs1000: (db) => find(db, {}, { projection: PROJ, batchSize: 1000 }),
  proj_bs10000: (db) => find(db, {}, { projection: PROJ, batchSize: 10000 }),
  proj_bs100000: (db) => find(db, {}, { projection: PROJ, batchSize: 100000 }),
  noproj_bs100000: (db) => find(db, {}, { batchSize: 100000 }),
  excl: (db) => find(db, {}, { projection: { _id: 0, metadata: 0 } }),
  excl_bs100000: (db) => find(db, {}, { projection: { _id: 0, metadata: 0 }, batchSize: 100000 }),
  id0: (db) => find(db, {}, { projection: { _id: 0 } }),
  id0_bs100000: (db) => find(db, {}, { projection: { _id: 0 }, batchSize: 100000 }),
  proj_sort_id: (db) => find(db, {}, { projection: PROJ, sort: { _id: 1 }, batchSize: 100000 }),
  proj_sort_name: (db) => find(db, {}, { projection: PROJ, sort: { name: 1 }, batchSize: 100000 }),
  count_cmd: (db) => db.command({ count: COLL }).then((r) => r.n),
  count_docs: (db) => db.collection(COLL).countDocuments({}),
  find_limit1: (db) => find(db, {}, { projection: PROJ, limit: 1 }),
  split_id_2: (db) => halves(db, (h) => [h ? { _id: { $gte: mid } } : { _id: { $lt: mid } },
                                          { projection: PROJ, batchSize: 100000 }]),
  split_skip_2: (db) => halves(db, (h) => [{}, { projection: PROJ, batchSize: 100000, sort: { _id: 1 },
                                                 skip: h * 5000, limit: 5000 }]),
  aggregate_proj: (db) => db.collection(COLL).aggregate([{ $project: PROJ }], { batchSize: 100000 })
    .toArray().then((a) => a.length),
};

// targets: [{label, client, db, pid}]; every (target, variant) pair is timed RUNS times,
// round-robin, so a busy spell of the machine hits all of them alike.
async function time(targets, runs, names) {
  const roundTrips = new Map();
  let current;
  for (const t of targets) {
    t.client.on("commandStarted", (e) => {
      if (current && ["find", "getMore", "count", "aggregate"].includes(e.commandName))
        roundTrips.set(current, (roundTrips.get(current) ?? 0) + 1);
    });
  }
  const all = await targets[0].db.collection(COLL).find({}, { projection: { _id: 1 }, sort: { _id: 1 } }).toArray();
  mid = all[all.length >> 1]._id;
  const keys = targets.flatMap((t) => names.map((n) => ({ t, n, key: targets.length > 1 ? `${t.label}\t${n}` : n })));
  const wall = {}, cpu = {}, counts = {};
  for (const { key } of keys) { wall[key] = []; cpu[key] = []; }
  for (const { t, n } of keys) await VARIANTS[n](t.db);  // warm-up, not timed
  for (let r = 0; r < runs; r++) {
    for (const { t, n, key } of keys) {
      current = r === 0 ? key : undefined;
      const c0 = serverCpuMs(t.pid);
      const t0 = process.hrtime.bigint();
      counts[key] = await VARIANTS[n](t.db);
      wall[key].push(Number(process.hrtime.bigint() - t0) / 1e6);
      cpu[key].push(serverCpuMs(t.pid) - c0);
    }
  }
  current = undefined;
  const med = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  console.log(`${targets.length > 1 ? "server\t" : ""}variant\tdocs\tround trips\twall median ms\tmin\tmax\truns\tserver CPU median ms`);
  for (const { t, key } of keys) {
    const w = wall[key];
    console.log(`${key}\t${counts[key]}\t${roundTrips.get(key) ?? "-"}\t${med(w).toFixed(1)}\t${Math.min(...w).toFixed(1)}\t` +
                `${Math.max(...w).toFixed(1)}\t${w.length}\t${t.pid ? med(cpu[key]).toFixed(0) : "-"}`);
  }
}

// A target is URI, or LABEL=URI, or LABEL=URI=PID (PID: the server's process, for its CPU time).
async function connect(spec) {
  const parts = spec.split("=");
  const [label, uri, pid] = parts.length === 1 ? [spec, spec, process.env.FERRETDB_PID] : parts;
  const client = new MongoClient(uri, { monitorCommands: true, maxPoolSize: 4 });
  await client.connect();
  return { label, client, pid };
}

const [cmd, targetList, dbName, arg, ...rest] = process.argv.slice(2);
const targets = await Promise.all(targetList.split(",").map(connect));
try {
  for (const t of targets) t.db = t.client.db(dbName);
  if (cmd === "seed") for (const t of targets) await seed(t.db, Number(arg));
  else if (cmd === "time") await time(targets, Number(arg), rest.length ? rest : Object.keys(VARIANTS));
  else throw new Error(`unknown command ${cmd}`);
} finally {
  for (const t of targets) await t.client.close();
}
