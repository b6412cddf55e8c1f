// Database chores for bench/run.sh, all outside the timed parts:
//   node dbtool.mjs drop  URI DB...                 drop each database
//   node dbtool.mjs count URI DB COLL               print the number of documents
//   node dbtool.mjs seed  URI TOOL SRC_DB DST_DB DIR
//       Build in DST_DB the state that TOOL's own `up` of every migration in
//       DIR would leave, by extending what its real `up` left in SRC_DB (a
//       smaller run of the same workload): every tracking document of SRC_DB
//       is used as the template for one per migration file in DIR, with only
//       the per-migration fields changed (name, version, checksum, times);
//       other collections (locks) are copied as they are, with their indexes;
//       bench_items gets the documents the migrations would have inserted.
//       TOOL is mongo-migrate, migrate-mongo or golang-migrate.
// Resolves the `mongodb` driver from NODE_PATH (bench/.cache/node/node_modules).
import { createRequire } from "module";
import crypto from "crypto";
import fs from "fs";
import path from "path";

const require = createRequire(path.resolve(process.env.NODE_PATH ?? ".", "noop.js"));
const { MongoClient } = require("mongodb");

const BATCH = 1000;

async function insertAll(coll, docs) {
  for (let i = 0; i < docs.length; i += BATCH) await coll.insertMany(docs.slice(i, i + BATCH), { ordered: true });
}

async function copyIndexes(src, dst) {
  for (const index of await src.listIndexes().toArray()) {
    if (index.name === "_id_") continue;
    const { key, v, ns, ...options } = index;
    await dst.createIndex(key, options);
  }
}

// One tracking document per file, cloned from `template` by `vary(template, file, i)`.
function extend(template, files, vary) {
  const { _id, ...base } = template;
  return files.map((file, i) => vary(structuredClone(base), file, i));
}

const later = (date, i) => new Date(date.getTime() + i);

async function seed(client, tool, srcName, dstName, dir) {
  const src = client.db(srcName);
  const dst = client.db(dstName);
  await dst.dropDatabase();
  const names = fs.readdirSync(dir).sort();
  let tracked;  // collection name -> (template, files) -> documents
  let files;
  if (tool === "mongo-migrate") {
    files = names.filter((f) => f.endsWith(".json"));
    const checksum = (f) => crypto.createHash("sha256").update(fs.readFileSync(path.join(dir, f))).digest("hex");
    const sums = new Map(files.map((f) => [f, checksum(f)]));
    tracked = {
      migrationlogs: (t) => extend(t, files, (d, f, i) =>
        Object.assign(d, { name: f, version: f.split("-")[0], checksum: sums.get(f), appliedAt: later(d.appliedAt, i) })),
      migrationlogs_events: (t) => extend(t, files, (d, f, i) =>
        Object.assign(d, { name: f, checksum: sums.get(f), at: later(d.at, i) })),
    };
  } else if (tool === "migrate-mongo") {
    files = names.filter((f) => f.endsWith(".js"));
    tracked = {
      changelog: (t) => extend(t, files, (d, f, i) => Object.assign(d, { fileName: f, appliedAt: later(d.appliedAt, i) })),
    };
  } else if (tool === "golang-migrate") {
    files = names.filter((f) => f.endsWith(".up.json"));
    const last = Math.max(...files.map((f) => parseInt(f, 10)));
    // Its log is one document: the current version.
    tracked = { schema_migrations: (t) => [Object.assign(extend(t, [null], (d) => d)[0], { version: last, dirty: false })] };
  } else {
    throw new Error(`unknown tool ${tool}`);
  }
  for (const { name } of await src.listCollections().toArray()) {
    const from = src.collection(name);
    const to = dst.collection(name);
    let docs;
    if (name === "bench_items") {
      docs = files.map((_, i) => ({ n: i + 1 }));
    } else if (tracked[name]) {
      const template = await from.findOne({});
      if (!template) throw new Error(`${srcName}.${name} is empty: no template`);
      docs = tracked[name](template);
    } else {
      docs = await from.find({}).toArray();
    }
    await dst.createCollection(name);
    await copyIndexes(from, to);
    await insertAll(to, docs);
  }
}

const [cmd, uri, ...args] = process.argv.slice(2);
const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 5000 });
try {
  if (cmd === "drop") {
    for (const db of args) await client.db(db).dropDatabase();
  } else if (cmd === "count") {
    console.log(await client.db(args[0]).collection(args[1]).countDocuments({}));
  } else if (cmd === "seed") {
    await seed(client, ...args);
  } else {
    throw new Error(`unknown command ${cmd}`);
  }
} finally {
  await client.close();
}
